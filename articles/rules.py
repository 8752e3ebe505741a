"""What an ingest rule matches: its conditions as one queryset filter, the same for the preview, the import
and "apply to the articles awaiting review".

Words are whole words or "quoted phrases", any one of them, case-insensitive. They are never a regular
expression: every character an editor types is escaped, and their length and number are bounded, so no
rule can make the database run away. Each word is found through `icontains` (on PostgreSQL the trigram
indexes of migration 0003 serve it, as for the queue's search) and then held to word boundaries by a
regular expression built here from the escaped word (`\\W` on both sides: the same meaning in Python's
`re`, which SQLite's REGEXP uses, and in PostgreSQL's).
"""

from __future__ import annotations

import shlex

from django.core.exceptions import ValidationError
from django.db.models import F, Q, QuerySet

from .models import Article, ArticleTopic, IngestRule, Provider, Topic

MAX_WORDS_LENGTH = 1000  # characters of a rule's words field
MAX_TERMS = 30  # words and phrases in one rule
MAX_TERM_LENGTH = 100  # characters of one word or phrase
MAX_LIST = 100  # providers, categories, types or topics named by one rule
PREVIEW_SIZE = 20
REGEX_SPECIALS = set("\\.^$|?*+()[]{}")  # special in both Python's re and PostgreSQL's regular expressions
WORDS_FIELDS = {
    IngestRule.WordsIn.TITLE: ("title",),
    IngestRule.WordsIn.EXCERPT: ("excerpt",),
    IngestRule.WordsIn.EITHER: ("title", "excerpt"),
}
CONDITION_FIELDS = (
    "providers", "categories", "types", "topics", "words", "quality_min", "quality_max", "heat_min", "heat_max",
)


def parse_words(text: str) -> list[str]:
    """The words and "quoted phrases" of `text`, each with its inner spaces collapsed, duplicates dropped.

    Raises ValidationError for an unclosed quote or for more, or longer, terms than the limits allow.
    """
    if len(text) > MAX_WORDS_LENGTH:
        raise ValidationError(f"At most {MAX_WORDS_LENGTH} characters of words.")
    lexer = shlex.shlex(text, posix=True)
    lexer.whitespace_split = True
    lexer.quotes = '"'
    lexer.escape = ""
    try:
        terms = [" ".join(term.split()) for term in lexer]
    except ValueError:
        raise ValidationError('A phrase is missing its closing quote (").') from None
    terms = list(dict.fromkeys(term for term in terms if term))
    if any(not char.isprintable() for term in terms for char in term.replace(" ", "")):
        raise ValidationError("Words cannot hold control characters.")
    if len(terms) > MAX_TERMS:
        raise ValidationError(f"At most {MAX_TERMS} words or phrases.")
    if long := [term for term in terms if len(term) > MAX_TERM_LENGTH]:
        raise ValidationError(f"A word or phrase is at most {MAX_TERM_LENGTH} characters: “{long[0][:40]}…”.")
    return terms


def escape(term: str) -> str:
    """`term` as a regular expression matching it literally, in Python's `re` and in PostgreSQL alike
    (a backslash before a punctuation character means that character in both; spaces match any run of
    white space)."""
    pieces = []
    for char in term:
        if char == " ":
            pieces.append(r"\s+")
        elif char in REGEX_SPECIALS:
            pieces.append("\\" + char)
        else:
            pieces.append(char)
    return "".join(pieces)


def whole_word_pattern(term: str) -> str:
    r"""A pattern finding `term` only as a whole word or phrase: not "art" in "start"."""
    return rf"(^|\W){escape(term)}(\W|$)"


def words_match(terms: list[str], words_in: str) -> Q:
    """Articles whose title and/or excerpt holds any of `terms` as whole words (case-insensitive)."""
    found = Q()
    for term in terms:
        pattern = whole_word_pattern(term)
        for field in WORDS_FIELDS[words_in]:
            found |= Q(**{f"{field}__icontains": term}) & Q(**{f"{field}__iregex": pattern})
    return found


def rule_filter(rule: IngestRule) -> Q:
    """The rule's conditions as one filter: every condition given holds (an empty one matches everything)."""
    conditions = Q()
    if rule.providers:
        conditions &= Q(provider_id__in=list(Provider.objects.filter(key__in=rule.providers).values_list("pk", flat=True)))
    if rule.categories:
        conditions &= Q(category__in=rule.categories)
    if rule.types:
        conditions &= Q(type__in=rule.types)
    if rule.topics:
        topic_ids = list(Topic.objects.filter(name__in=rule.topics).values_list("pk", flat=True))
        conditions &= Q(pk__in=ArticleTopic.objects.filter(topic_id__in=topic_ids).values("article_id"))
    if rule.words.strip():
        conditions &= words_match(parse_words(rule.words), rule.words_in)
    for field in ("quality", "heat"):
        low, high = getattr(rule, f"{field}_min"), getattr(rule, f"{field}_max")
        if low is not None:
            conditions &= Q(**{f"{field}__gte": low})
        if high is not None:
            conditions &= Q(**{f"{field}__lte": high})
    return conditions


def has_conditions(rule: IngestRule) -> bool:
    return any(getattr(rule, name) not in (None, "", []) and str(getattr(rule, name)).strip() for name in CONDITION_FIELDS)


def matching(rule: IngestRule, articles: QuerySet | None = None) -> QuerySet:
    """The articles of `articles` (by default all of them) that `rule` matches."""
    return (articles if articles is not None else Article.objects.all()).filter(rule_filter(rule))


PREVIEW_COUNT_LIMIT = 10_000


class MatchCount(int):
    """A preview's count: exact up to PREVIEW_COUNT_LIMIT, past it "more than" that. Counting every article a
    common word matches reads that many rows (seconds at a million articles); the limit keeps the preview a
    bounded query, and past ten thousand an editor needs the size, not the figure."""

    @property
    def capped(self) -> bool:
        return self > PREVIEW_COUNT_LIMIT

    @property
    def shown(self) -> str:
        return f"more than {PREVIEW_COUNT_LIMIT:,}" if self.capped else f"{int(self):,}"


def preview(rule: IngestRule, *, awaiting_only: bool = False) -> tuple[MatchCount, list[Article]]:
    """How many existing articles `rule` matches (`MatchCount`), and the newest PREVIEW_SIZE of them (undated
    last, the queue's order and index): two queries, one when fewer match."""
    articles = matching(rule, Article.objects.awaiting_review() if awaiting_only else None)
    first = list(
        articles.select_related("provider").only(
            "pk", "title", "status", "category", "type", "quality", "heat", "published_date_time",
            "provider__name", "provider__key",
        ).order_by(F("published_date_time").desc(nulls_last=True), "-id")[:PREVIEW_SIZE]
    )
    count = len(first) if len(first) < PREVIEW_SIZE else articles.order_by()[: PREVIEW_COUNT_LIMIT + 1].count()
    return MatchCount(count), first


def ordered_rules() -> QuerySet:
    """Every rule, in the order they run."""
    return IngestRule.objects.order_by("position", "id")


def describe_conditions(rule: IngestRule) -> str:
    """The rule's conditions in a line, for the list and the confirmations."""
    parts = []
    for name, label in (("providers", "provider"), ("categories", "category"), ("types", "type"), ("topics", "topic")):
        if values := getattr(rule, name):
            parts.append(f"{label} is {' or '.join(values)}")
    if rule.words.strip():
        parts.append(f"{IngestRule.WordsIn(rule.words_in).label.lower()} has {rule.words.strip()}")
    for field in ("quality", "heat"):
        low, high = getattr(rule, f"{field}_min"), getattr(rule, f"{field}_max")
        if low is not None and high is not None:
            parts.append(f"{field} {low}–{high}")
        elif low is not None:
            parts.append(f"{field} {low} or more")
        elif high is not None:
            parts.append(f"{field} up to {high}")
    return "; ".join(parts) or "every article"
