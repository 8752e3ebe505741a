"""What ingest rules do: their actions, set-based per batch of articles, through `editorial`, and undone per
rule and run.

A rule's changes are audited with the rule as actor (`source=rule`, no user) and the import run it ran in;
all it did in one run shares one audit batch (`run_batch`), so "undo what rule R did in run N" is
`editorial.undo` of that batch. Added topics are not a column, so they are audited in a batch of their
own (the same name with `-t`), undone here.

Never on what an editor decided: an article whose status a person set (an audit entry from the
dashboard, the admin or a command) is left alone entirely, and a field a person set is never changed by a
rule. Rules may change what earlier rules did: they run in `position` order, each seeing what the ones
before it wrote, and a matching "stop here" rule ends the list for that article.
"""

from __future__ import annotations

import hashlib
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from itertools import islice

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Case, Count, Exists, JSONField, Max, Min, OuterRef, Value, When
from django.utils.text import slugify

from . import editorial
from .models import Article, ArticleTopic, AuditEntry, ImportRun, IngestRule, Topic
from .rules import matching, ordered_rules, rule_filter

RULE = AuditEntry.Source.RULE
PERSON_SOURCES = (AuditEntry.Source.DASHBOARD, AuditEntry.Source.ADMIN, AuditEntry.Source.COMMAND)
MANAGE_PERMISSION = "articles.manage_rules"
STATUS_OF = {IngestRule.StatusAction.PUBLISH: Article.Status.PUBLISHED, IngestRule.StatusAction.REJECT: Article.Status.REJECTED}
ROW_VALUES = ("pk", "status", "quality", "heat", "needs_attention", "editor_fields")
CHUNK = 500  # articles per set-based step when a rule is applied to the queue
TOPIC_SUFFIX = "-t"


def run_batch(rule: IngestRule, run: ImportRun | None) -> str:
    """The audit batch of everything `rule` did in `run` (at most 32 characters)."""
    return f"r{rule.pk}-i{run.pk}" if run is not None else f"r{rule.pk}-dry"


def column_changes(rule: IngestRule) -> dict:
    """The columns the rule sets, and to what."""
    changes = {}
    if rule.status_action in STATUS_OF:
        changes["status"] = STATUS_OF[rule.status_action]
    if rule.set_quality is not None:
        changes["quality"] = rule.set_quality
    if rule.set_heat is not None:
        changes["heat"] = rule.set_heat
    if rule.mark_for_attention:
        changes["needs_attention"] = True
    return changes


def describe_actions(rule: IngestRule) -> str:
    """The rule's actions in a few words, for the list, the import summary and the dry run."""
    parts = [IngestRule.StatusAction(rule.status_action).label.lower()] if rule.status_action else []
    parts += [f"set {name} to {getattr(rule, 'set_' + name)}" for name in ("quality", "heat") if getattr(rule, "set_" + name) is not None]
    parts += [f"add topic “{rule.add_topic}”"] if rule.add_topic else []
    parts += ["mark for attention"] if rule.mark_for_attention else []
    parts += ["stop here"] if rule.stop_here else []
    return ", ".join(parts) or "nothing"


def editor_owned(article_ids: list[int]) -> dict[int, set[str]]:
    """The fields a person (not the importer, not a rule) set on each of these articles: one query."""
    owned = defaultdict(set)
    if article_ids:
        rows = AuditEntry.objects.filter(article_id__in=article_ids, source__in=PERSON_SOURCES)
        for article_id, name in rows.order_by().values_list("article_id", "field").distinct():
            owned[article_id].add(name)
    return owned


def _old_values(name: str, rows: list[dict]) -> Case:
    """The field's current values as JSON for the audit, one branch per distinct value (not per article)."""
    by_value = defaultdict(list)
    for row in rows:
        by_value[row[name]].append(row["pk"])
    whens = [When(pk__among=ids, then=Value(value, output_field=JSONField())) for value, ids in by_value.items()]
    return Case(*whens, output_field=JSONField())


def topic_named(name: str) -> Topic:
    """The topic called `name`, created (with a free slug) when no article has had it yet."""
    topic = Topic.objects.filter(name=name).first()
    if topic is not None:
        return topic
    slug = slugify(name)[:240] or "topic"
    if Topic.objects.filter(slug=slug).exists():
        slug = f"{slug}-{hashlib.blake2b(name.encode(), digest_size=4).hexdigest()}"
    topic, _ = Topic.objects.get_or_create(name=name, defaults={"slug": slug})
    return topic


def apply_rule(rule: IngestRule, rows: list[dict], owned: dict[int, set[str]], *, batch: str, run) -> int:
    """Apply `rule`'s actions to the articles of `rows` (locked, matched, read under the lock): a write per
    action, whatever their number. Returns how many articles it changed."""
    live = [row for row in rows if "status" not in owned.get(row["pk"], ())]
    changed = set()
    for name, value in column_changes(rule).items():
        targets = [row for row in live if name not in owned.get(row["pk"], ()) and row[name] != value]
        if not targets:
            continue
        editorial.write_changes(
            Article.objects.filter(pk__among=[row["pk"] for row in targets]),
            changes={name: value}, old_values={name: _old_values(name, targets)},
            editor_fields=[row["editor_fields"] for row in targets],
            user=None, source=RULE, batch=batch, rule=rule, import_run=run, mark_reviewed=False,
        )
        changed.update(row["pk"] for row in targets)
        for row in targets:
            row[name] = value
            row["editor_fields"] = row["editor_fields"] + [name] if name not in row["editor_fields"] else row["editor_fields"]
    if rule.add_topic and live:
        topic = topic_named(rule.add_topic)
        editorial.write_topic_change(
            Article.objects.filter(pk__among=[row["pk"] for row in live]), topic=topic, add=True, user=None,
            source=RULE, batch=batch + TOPIC_SUFFIX, action="add_topic", rule=rule, import_run=run,
        )
    return len(changed)


@dataclass
class RuleRunner:
    """The enabled rules of one import run, applied to each batch the importer writes, inside its transaction."""

    rules: list[IngestRule]
    import_run: ImportRun | None = None
    fired: dict[int, int] = field(default_factory=lambda: defaultdict(int))  # rule id -> articles matched

    @classmethod
    def enabled(cls) -> RuleRunner | None:
        rules = list(ordered_rules().filter(enabled=True))
        return cls(rules) if rules else None

    def run(self, *, new_ids: list[int], changed_ids: list[int]) -> dict[int, list[IngestRule]]:
        """Run the rules on a written batch (its rows locked by the importer): new articles always, changed
        ones for rules that say so. Returns, per article, the rules that matched it, in order."""
        fired = defaultdict(list)
        stopped: set[int] = set()
        owned = editor_owned(changed_ids)
        for rule in self.rules:
            candidates = [pk for pk in (new_ids + changed_ids if rule.apply_to_changed else new_ids) if pk not in stopped]
            if not candidates:
                continue
            rows = list(matching(rule, Article.objects.filter(pk__among=candidates)).order_by("pk").values(*ROW_VALUES))
            if not rows:
                continue
            apply_rule(rule, rows, owned, batch=run_batch(rule, self.import_run), run=self.import_run)
            self.fired[rule.pk] += len(rows)
            for row in rows:
                fired[row["pk"]].append(rule)
            if rule.stop_here:
                stopped.update(row["pk"] for row in rows)
        return fired


# --- editors' actions -----------------------------------------------------------------


def require_manage(user, rule: IngestRule | None = None) -> None:
    """Managing rules needs `manage_rules`; applying or undoing one also what its actions need."""
    needed = [MANAGE_PERMISSION, editorial.CHANGE_PERMISSION]
    if rule is not None and rule.status_action:
        needed.append(editorial.PUBLISH_PERMISSION)
    if not user.has_perms(needed):
        raise PermissionDenied("You may not apply or undo this rule.")


def apply_to_awaiting(rule: IngestRule, *, user) -> editorial.ChangeResult:
    """Apply `rule` to every article awaiting review that it matches, as one undoable batch: the matching rows
    locked in id order, then its actions, CHUNK articles per step."""
    require_manage(user, rule)
    batch = f"r{rule.pk}-a{uuid.uuid4().hex[:10]}"
    with transaction.atomic():
        ids = list(editorial.lock_articles(matching(rule, Article.objects.awaiting_review())).values_list("pk", flat=True))
        changed = 0
        iterator = iter(ids)
        while chunk := list(islice(iterator, CHUNK)):
            rows = list(Article.objects.filter(pk__among=chunk).filter(rule_filter(rule)).order_by("pk").values(*ROW_VALUES))
            changed += apply_rule(rule, rows, editor_owned(chunk), batch=batch, run=None)
    topics = AuditEntry.objects.filter(batch=batch + TOPIC_SUFFIX).count() if rule.add_topic else 0
    count = max(changed, topics)
    message = f"Applied “{rule.name}” to the articles awaiting review: {count} of {len(ids)} matching changed."
    return editorial.ChangeResult(batch if count else "", count, message)


def undo_batch(batch: str, *, rule: IngestRule, user, source: str) -> editorial.ChangeResult:
    """Undo everything `rule` did in `batch` (its columns through `editorial.undo`, its added topics here),
    all or nothing: refused when someone changed those fields since."""
    require_manage(user, rule)
    if not batch.startswith(f"r{rule.pk}-") or batch.endswith(TOPIC_SUFFIX):
        return editorial.ChangeResult("", 0, "Nothing to undo.")
    with transaction.atomic():
        result = editorial.undo(batch, user=user, source=source)
        topic_entries = AuditEntry.objects.filter(batch=batch + TOPIC_SUFFIX, action="add_topic")
        taken = 0
        for name in topic_entries.order_by().values_list("new_value", flat=True).distinct():
            topic = Topic.objects.filter(name=name).first()
            if topic is None:
                continue
            ids = topic_entries.filter(new_value=name).values("article_id")
            still_the_rules = Article.objects.filter(pk__in=ids).filter(Exists(ArticleTopic.objects.filter(
                article=OuterRef("pk"), topic=topic, added_by_rule=True)))  # not where the source lists it since
            articles = editorial.lock_articles(still_the_rules)
            taken += editorial.write_topic_change(
                Article.objects.filter(pk__in=list(articles.values_list("pk", flat=True))), topic=topic, add=False,
                user=user, source=source, batch=result.batch or f"{batch}-u", action="undo",
            )
    count = max(result.count, taken)
    if not count:
        return editorial.ChangeResult("", 0, "Nothing to undo: the rule changed nothing that is still as it left it.")
    return editorial.ChangeResult(result.batch, count, f"Undid what “{rule.name}” did: {count} article{'s' if count != 1 else ''}.")


@dataclass(frozen=True)
class RuleBatch:
    """One batch of a rule's work, for its history: an import run's, or one "apply to awaiting review"."""

    batch: str
    import_run_id: int | None
    at: object
    articles: int


def rule_history(rule: IngestRule, *, limit: int = 50) -> list[RuleBatch]:
    """The rule's batches, newest first (topic batches folded into theirs): one query."""
    rows = (
        AuditEntry.objects.filter(rule=rule).order_by().values("batch", "import_run_id")
        .annotate(first=Min("at"), last=Max("at"), articles=Count("article_id", distinct=True))
        .order_by("-last")[: limit * 2]
    )
    merged: dict[str, dict] = {}
    for row in rows:
        key = row["batch"].removesuffix(TOPIC_SUFFIX)
        seen = merged.setdefault(key, {**row, "batch": key, "articles": 0})
        seen["articles"] = max(seen["articles"], row["articles"])
        seen["first"] = min(seen["first"], row["first"])
    return [RuleBatch(row["batch"], row["import_run_id"], row["first"], row["articles"]) for row in merged.values()][:limit]
