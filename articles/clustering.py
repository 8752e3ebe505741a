"""Whether two news items report the same story, and the MinHash bands that find candidates without a scan.

Pure Python, no Django: `cluster_index` feeds it stored articles and writes what it decides.

A headline is reduced to what carries its meaning: HTML entities decoded, tags and a
"Video:"/"Watch:"-style prefix dropped, a site-name suffix (" - CNN", " | TechCrunch")
dropped, case folded, stop words dropped, words lightly stemmed and common headline
synonyms folded ("unveils"/"launches"). Two items are the same story when

- they share a canonical URL (always), or
- they were published within `days` of each other, neither names something (a name or
  a number, as its title writes it) that the other never mentions while the other
  names something of its own (the quarterly results of two companies, "Q3 2025"
  against "Q3 2026"), and their titles are alike (weighted Dice coefficient over the
  words, names counting double) — or a little less alike with excerpts that agree.

Candidates come from MinHash signatures cut into bands (`story_bands`), each band a
signed 64-bit value stored in an indexed table; the time bucket is part of the value,
so a lookup only meets items of about the same days.
"""

from __future__ import annotations

import functools
import hashlib
import html
import math
import re
import struct
import unicodedata
from dataclasses import dataclass
from typing import Iterable

DEFAULT_THRESHOLD = 0.5
DEFAULT_DAYS = 3
EXCERPT_SUPPORT = 0.4   # excerpt likeness that lets titles a little below the threshold still match
EXCERPT_MARGIN = 0.2    # how far below the threshold a title may be when the excerpts agree
NAME_WEIGHT = 2.0
SUBSTITUTED_WORDS = 3     # words of their own both titles need together, besides names, to be two stories
SUBSTITUTED_SHARE = 0.25  # ... and each at least this share of its words

# --- normalisation ---------------------------------------------------------------------------

_TAGS = re.compile(r"<[^>]{0,200}>")
_MEDIA_WORDS = (
    r"video|videos|watch|live|live updates|breaking|breaking news|just in|update|updated|exclusive|photos?|"
    r"pictures|in pictures|gallery|listen|audio|podcast|analysis|explainer|opinion|report|new|latest|read|"
    r"re-?transmission|press release|update \d+|corrected|correction|sponsored"
)
_PREFIX = re.compile(rf"^\s*(?:(?:{_MEDIA_WORDS})\s*[:|\-–—]\s*|[\[(](?:{_MEDIA_WORDS})[\])]\s*[:\-–—]?\s*)", re.I)
_BRACKETED_TAG = re.compile(rf"\s*[\[(](?:{_MEDIA_WORDS})[\])]\s*", re.I)
_SEPARATOR = re.compile(r"\s+(?:[-–—|·•»]|::)\s+|\s*\|\s*")
_TRAILING_PARENS = re.compile(r"\s*\(([^()]{1,40})\)\s*$")
_WORD = re.compile(r"[^\W_]+(?:[’'.,&][^\W_]+)*")
_DIGIT = re.compile(r"\d")

STOP_WORDS = frozenset("""
a an the and or but nor of to in on at by for from with without into onto over under about after before
as is are was were be been being am do does did has have had having it its it's this that these those
there here than then so such not no yes up down out off via per vs versus amid among between during
will would can could should may might must shall i me my we us our you your he him his she her they
them their what which who whom whose when where why how all any both each few more most other some
own same too very just also s t says said say saying new now""".split())

# Words a title-cased headline capitalises that still name nothing: they never count as names.
COMMON_WORDS = frozenset("""
report reports reported record records revenue revenues profit profits loss losses sales quarter quarterly
results result earnings first second third fourth last next year years month months week weeks day days
today tonight yesterday tomorrow january february march april may june july august september october
november december jan feb mar apr jun jul aug sep sept oct nov dec spring summer autumn fall winter monday tuesday wednesday thursday friday saturday sunday morning night plan plans planned deal deals talks vote votes voted bill
law laws rule rules ban bans court judge police city state country government minister president leader
chief ceo boss company companies firm firms market markets stock stocks shares share price prices rate rates
cut cuts rise rises rising fall falls falling jump jumps surge surges slump slumps drop drops climb climbs
hit hits beat beats miss misses win wins won lose loses lost launch launches launched unveil unveils unveiled
announce announces announced reveal reveals revealed introduce introduces introduced debut debuts debuted
open opens opened close closes closed start starts end ends set sets get gets make makes take takes give
gives back big small high low top best worst more less most least major minor key huge million billion
trillion percent people man woman men women child children family home house world global national local
public private new old young big how why what who when where update updates live video watch breaking
news story stories case cases death deaths dead killed kill kills fire storm flood crash attack war
weather warning warnings school schools health care job jobs work worker workers strike strikes power
energy water food data test tests study studies team teams game games season final finals match cup league
after before over under amid against into inside outside near far ahead behind again still says said
approve approves approved approval reject rejects rejected back backs backed push pushes pushed face faces
faced warn warns warned call calls called help helps helped move moves moved seek seeks sought expect expects
expected""".split())

# Headline verbs that say the same thing in other words, folded to one stem (applied after stemming).
_SYNONYM_GROUPS = (
    ("unveil", "launch", "introduc", "debut", "reveal", "present", "roll"),
    ("announc", "confirm", "declar"),
    ("cut", "slash", "reduc", "trim"),
    ("rise", "ris", "jump", "surg", "climb", "soar", "gain", "rose"),
    ("fall", "fell", "drop", "slid", "slide", "plung", "tumbl", "sink", "sank", "declin"),
    ("buy", "bought", "acquir", "purchas"),
    ("win", "won", "claim", "clinch", "secur"),
    ("approv", "back", "pass", "endors"),
    ("reject", "block", "veto"),
    ("warn", "caution"),
    ("kill", "dead", "death", "die", "dies", "died"),
    ("probe", "investigat", "inquiry"),
    ("quit", "resign", "step"),
    ("sue", "su", "lawsuit"),
    ("report", "post"),
    ("job", "role"),
)
_SYNONYMS = {word: group[0] for group in _SYNONYM_GROUPS for word in group}


def clean_text(text: str) -> str:
    """Entities decoded (twice: feeds double-encode `&amp;#038;`), tags removed, Unicode compatibility forms
    and odd spaces folded."""
    text = html.unescape(html.unescape(text or ""))
    text = _TAGS.sub(" ", text)
    text = unicodedata.normalize("NFKC", text).replace("\u00a0", " ")
    return " ".join(text.split())


def _looks_like_site_name(segment: str, site_words: frozenset[str]) -> bool:
    words = segment.split()
    if not words or len(words) > 5 or len(segment) > 45:
        return False
    lowered = {_fold(word) for word in words}
    if lowered & site_words or "." in segment and " " not in segment:
        return True
    return all(word[:1].isupper() or word[:1].isdigit() or word.lower() in STOP_WORDS for word in words)


def headline(title: str, *, site_words: Iterable[str] = ()) -> str:
    """The title without what is not the story: a media prefix, bracketed media tags and a site-name suffix."""
    site = frozenset(site_words)
    text = clean_text(title)
    for _ in range(3):
        stripped = _PREFIX.sub("", text, count=1)
        if stripped == text:
            break
        text = stripped
    text = _BRACKETED_TAG.sub(" ", text).strip()
    parens = _TRAILING_PARENS.search(text)
    if parens and _looks_like_site_name(parens.group(1), site):
        text = text[: parens.start()]
    cuts = list(_SEPARATOR.finditer(text))
    while cuts and len(text[:cuts[-1].start()].split()) >= 2 and _looks_like_site_name(text[cuts[-1].end():], site):
        text = text[:cuts.pop().start()]
    if cuts and site and _fold_all(text[:cuts[0].start()]) <= site and len(text[cuts[0].end():].split()) >= 3:
        text = text[cuts[0].end():]
    return text.strip()


WORDS_CACHED = 1 << 12  # the most recent words; a cache as large as a desk's vocabulary grows with the articles


@functools.lru_cache(maxsize=WORDS_CACHED)
def _fold(word: str) -> str:
    """A word as compared: lower case, no possessive, no dots or thousands commas ("U.S." -> "us")."""
    word = word.lower().replace("’", "'")
    if word.endswith("'s"):
        word = word[:-2]
    word = word.replace("'", "")
    if _DIGIT.search(word):
        return word.replace(",", "")
    return word.replace(".", "").replace(",", "").replace("&", "")


def _fold_all(text: str) -> set[str]:
    return {_fold(word) for word in _WORD.findall(text)}


@functools.lru_cache(maxsize=WORDS_CACHED)
def stem(word: str) -> str:
    """A light suffix stripper: enough that "unveils", "unveiled" and "unveiling" meet, cheap at import speed."""
    if len(word) <= 3 or _DIGIT.search(word):
        return word
    for suffix, replacement, rest in (("ies", "y", 3), ("ing", "", 3), ("ed", "", 3), ("es", "e", 3), ("s", "", 3),
                                      ("al", "", 4)):
        if word.endswith(suffix) and len(word) - len(suffix) >= rest and not word.endswith("ss"):
            word = word[: -len(suffix)] + replacement
            break
    if len(word) > 3 and word.endswith("e"):
        word = word[:-1]
    if len(word) > 4 and word[-1] == word[-2] and word[-1] not in "aeiouls":
        word = word[:-1]
    return _SYNONYMS.get(word, word)


_AMOUNT = re.compile(r"(?<![\w.])(\d+(?:[.,]\d+)?)(bn|tn|billion|million|trillion)\b|([$£€])(\d+(?:[.,]\d+)?)m\b", re.I)
_UNITS = {"bn": "billion", "tn": "trillion", "m": "million"}


def _spell_amounts(text: str) -> str:
    """"$3bn" and "$3 billion", "£40m" and "£40 million" alike."""
    if not _DIGIT.search(text):  # every amount has a digit; most texts have none, and the substitution is slow
        return text
    def spelled(match):
        if match.group(1):
            return f"{match.group(1)} {_UNITS.get(match.group(2).lower(), match.group(2))}"
        return f"{match.group(3)}{match.group(4)} million"
    return _AMOUNT.sub(spelled, text)


def content_words(text: str) -> list[tuple[str, str, str]]:
    """(original word, folded, its comparable stem) for every word that is not a stop word."""
    words = []
    for original in _WORD.findall(_spell_amounts(text)):
        folded = _fold(original)
        if folded and folded not in STOP_WORDS:
            words.append((original, folded, stem(folded)))
    return words


def _is_title_case(words: list[str]) -> bool:
    """Every longer word capitalised (one exception allowed in a long title): the capitals tell nothing."""
    long_words = [word for word in words if len(word) > 3 and word[:1].isalpha()]
    lower = sum(not word[:1].isupper() for word in long_words)
    return len(long_words) >= 3 and lower <= len(long_words) // 6


def _is_shouted(words: list[str]) -> bool:
    """Written in capitals throughout: an upper-case word is then no acronym."""
    letters = [word for word in words if len(word) > 1 and word.isalpha()]
    return len(letters) >= 3 and sum(word.isupper() for word in letters) >= 0.7 * len(letters)


def _names(title_words: list[tuple[str, str, str]], excerpt_words: list[tuple[str, str, str]]) -> tuple[frozenset, frozenset]:
    """The title's words that name something, and those that may: numbers, acronyms and inner capitals
    ("iPhone") do; so does a capitalised word of a sentence-cased title. In a title-cased headline (every word
    capitalised) a capitalised word does when the excerpt capitalises it too, and may otherwise. Never a word
    the excerpt writes in lower case, nor a common headline word."""
    originals = [original for original, _, _ in title_words]
    shouted = _is_shouted(originals)
    title_case = shouted or _is_title_case(originals)
    excerpt_lower = {folded for word, folded, _ in excerpt_words if word[:1].islower()}
    excerpt_capitalised = {folded for word, folded, _ in excerpt_words if word[:1].isupper()}
    names, maybe = set(), set()
    for original, folded, stemmed in title_words:
        if _DIGIT.search(original) or not shouted and len(original) > 1 and (
                original.isupper() or any(c.isupper() for c in original[1:])):
            names.add(stemmed)
        elif (original[:1].isupper() and folded not in COMMON_WORDS and stemmed not in COMMON_WORDS
              and folded not in excerpt_lower):
            (names if not title_case or folded in excerpt_capitalised else maybe).add(stemmed)
    return frozenset(names), frozenset(names | maybe)


@dataclass(frozen=True)
class StoryText:
    """What the comparison needs of one item, computed once."""

    title: frozenset[str]
    excerpt: frozenset[str]
    names: frozenset[str]
    capitalised: frozenset[str]  # the names, and the words of a title-cased headline that may be names
    mentions: frozenset[str]
    url_keys: frozenset[str]
    moment: float | None


def story_text(title: str, excerpt: str = "", *, url_keys: Iterable[str] = (), moment: float | None = None,
               site: Iterable[str] = ()) -> StoryText:
    """`site`: the provider's name and domain, whose words never count as the story's (a site-name suffix)."""
    site_words = frozenset(_fold(word) for text in site for word in _WORD.findall(text or ""))
    site_words |= {word.split(".")[0] for word in site_words if "." in word}
    excerpt_text = clean_text(excerpt)
    title_words = [word for word in content_words(headline(title, site_words=site_words)) if word[1] not in site_words]
    excerpt_words = content_words(excerpt_text)
    names, capitalised = _names(title_words, excerpt_words)
    title_stems = frozenset(stemmed for _, _, stemmed in title_words)
    excerpt_stems = frozenset(stemmed for _, _, stemmed in excerpt_words)
    return StoryText(
        title=title_stems,
        excerpt=excerpt_stems,
        names=names,
        capitalised=capitalised,
        mentions=title_stems | excerpt_stems,
        url_keys=frozenset(key for key in url_keys if key),
        moment=moment,
    )


# --- the decision ------------------------------------------------------------------------------

def dice(a: frozenset[str], b: frozenset[str]) -> float:
    return 2 * len(a & b) / (len(a) + len(b)) if a and b else 0.0


def title_likeness(a: StoryText, b: StoryText) -> float:
    """Weighted Dice over title words: a shared name says more than a shared ordinary word."""
    if not a.title or not b.title:
        return 0.0
    names = a.names | b.names

    def weight(words):
        return sum(NAME_WEIGHT if word in names else 1.0 for word in words)

    return 2 * weight(a.title & b.title) / (weight(a.title) + weight(b.title))


def distinct_subjects(a: StoryText, b: StoryText) -> bool:
    """Each title says something the other item never mentions: a name or a number (a company, a place, a year,
    a quarter; a name misspelt by one swapped, added or dropped letter still counts as mentioned), or words of
    its own — a quarter of its words, three between them (a tram line where the other has a library). Words
    one side merely adds ("on Tuesday") are no sign of another story."""
    own_a = _unmentioned(a.title - b.mentions, a.capitalised, b.mentions)
    own_b = _unmentioned(b.title - a.mentions, b.capitalised, a.mentions)
    if own_a & a.names and own_b & b.capitalised or own_a & a.capitalised and own_b & b.names:
        return True
    return (len(own_a) + len(own_b) >= SUBSTITUTED_WORDS
            and all(own and len(own) >= SUBSTITUTED_SHARE * len(text.title) for own, text in ((own_a, a), (own_b, b))))


def _unmentioned(words: frozenset[str], names: frozenset[str], mentions: frozenset[str]) -> frozenset[str]:
    """`words` without the names among them that are a typo away from a mention ("ISTM" for "ITSM")."""
    return frozenset(word for word in words if word not in names or not _typo_of_any(word, mentions))


def _typo_of_any(word: str, words: frozenset[str]) -> bool:
    """Whether `words` holds another word of letters, both four or more long, one adjacent swap, one added or one
    dropped letter away from `word`. The word's own swaps and drops are looked up; only the longer words are
    walked (a comparison with every word was a third of the clustering's time)."""
    size = len(word)
    if size < 4 or not word.isalpha():
        return False
    nearby = {word[:i] + word[i + 1] + word[i] + word[i + 2:] for i in range(size - 1) if word[i] != word[i + 1]}
    if size > 4:
        nearby.update(word[:i] + word[i + 1:] for i in range(size))
    if not nearby.isdisjoint(words):
        return True
    return any(len(other) == size + 1 and other.isalpha() and any(other[:i] + other[i + 1:] == word for i in range(size + 1))
               for other in words)


def apart_in_time(a: float | None, b: float | None, days: float) -> bool:
    """Both dated and more than `days` apart: then only a shared canonical URL makes them one story."""
    return a is not None and b is not None and abs(a - b) > days * 86400


def same_story(a: StoryText, b: StoryText, *, threshold: float = DEFAULT_THRESHOLD, days: float = DEFAULT_DAYS) -> bool:
    if a.url_keys & b.url_keys:
        return True
    if apart_in_time(a.moment, b.moment, days):
        return False
    likeness = title_likeness(a, b)
    # Too unlike to be one story whatever else holds: skip the costlier test for distinct subjects.
    if likeness < threshold - EXCERPT_MARGIN or distinct_subjects(a, b):
        return False
    return likeness >= threshold or dice(a.excerpt, b.excerpt) >= EXCERPT_SUPPORT


# --- MinHash bands ---------------------------------------------------------------------------------

_MERSENNE = (1 << 61) - 1
TITLE_BANDS, TITLE_ROWS = 10, 2
EXCERPT_BANDS, EXCERPT_ROWS = 2, 3
EXCERPT_SAMPLE = 24  # the excerpt words with the least hashes: a consistent sample of a long excerpt
_BAND_MIX = tuple(
    ((a % (_MERSENNE - 1)) + 1, b % _MERSENNE)
    for a, b in struct.iter_unpack("<QQ", hashlib.blake2b(b"newsroom band mix", digest_size=64).digest())
)


@functools.lru_cache(maxsize=WORDS_CACHED)
def word_hashes(word: str, kind: str) -> tuple[int, ...]:
    """32 independent 32-bit hashes of a word (two BLAKE2b digests): the MinHash functions, one per column.

    Kept for the 4,096 words last used: an entry holds 32 integers (over a kilobyte), and a cache that grew with
    a desk's vocabulary would make an import's or a re-clustering's memory grow with the number of articles.
    """
    data = word.encode()
    return struct.unpack("<16I", hashlib.blake2b(data, digest_size=64, person=kind.encode() + b"1").digest()) + \
        struct.unpack("<16I", hashlib.blake2b(data, digest_size=64, person=kind.encode() + b"2").digest())


def minhash(words: Iterable[str], kind: str, size: int) -> list[int]:
    """The words' MinHash signature of `size` values: for each hash function, the least value over the words."""
    columns = zip(*(word_hashes(word, kind) for word in words))
    return [min(column) for column, _ in zip(columns, range(size))]


def _band_values(kind: int, index: int, rows: list[int], buckets: Iterable[int]) -> list[int]:
    """A band as signed 64-bit values, one per time bucket: its kind, index and rows mixed by a polynomial
    hash, the bucket added last (so one mix serves both buckets a lookup needs)."""
    value = kind << 8 | index
    for row, (a, b) in zip(rows, _BAND_MIX):
        value = (value * a + row + b) % _MERSENNE
    step = _BAND_MIX[-1][0]
    return [((value + bucket * step) % _MERSENNE) * 4 - (1 << 62) for bucket in buckets]


def time_buckets(moment: float | None, days: float) -> tuple[int, int]:
    """(the item's bucket, the neighbouring one nearer to it). Buckets are 2 x `days` wide, so everything
    within `days` of the item lies in these two."""
    width = 2 * days * 86400
    position = (moment or 0.0) / width
    bucket = math.floor(position)
    return bucket, bucket - 1 if position - bucket < 0.5 else bucket + 1


def story_bands(text: StoryText, *, days: float = DEFAULT_DAYS) -> tuple[list[int], list[int]]:
    """(the bands to store, the bands to look up). Stored bands carry the item's own time bucket; looked-up
    ones also the neighbouring bucket nearer in time, so any two items within `days` of each other meet."""
    bucket, neighbour = time_buckets(text.moment, days)
    signatures = []
    excerpt = sorted(text.excerpt, key=lambda word: word_hashes(word, "excerpt")[-1])[:EXCERPT_SAMPLE]
    for kind, words, name, rows, bands in (
        (1, text.title, "title", TITLE_ROWS, TITLE_BANDS),
        (2, excerpt, "excerpt", EXCERPT_ROWS, EXCERPT_BANDS),
    ):
        signature = minhash(words, name, rows * bands)
        signatures.extend((kind, index // rows, signature[index:index + rows]) for index in range(0, len(signature), rows))
    stored, looked_up = [], []
    for kind, index, rows in signatures:
        own, near = _band_values(kind, index, rows, (bucket, neighbour))
        stored.append(own)
        looked_up += (own, near)
    return stored, looked_up


@dataclass(frozen=True)
class StoryHint:
    """An item's StoryText and bands worked out ahead (by an import's parser worker, beside the writer), with
    what they were worked out from: good for a stored article only if it holds the same values (`matches`)."""

    source: tuple
    days: float
    text: StoryText
    bands: tuple[list[int], list[int]]

    def matches(self, source: tuple, days: float) -> bool:
        return self.days == days and self.source == source


def story_source(title: str, excerpt: str, url_keys: tuple, moment: float | None, site: tuple) -> tuple:
    """What a story text is made of, as one comparable value."""
    return (title, excerpt, url_keys, moment, site)


def story_text_from(source: tuple) -> StoryText:
    title, excerpt, url_keys, moment, site = source
    return story_text(title, excerpt, url_keys=url_keys, moment=moment, site=site)


def story_hint(source: tuple, *, days: float) -> StoryHint:
    text = story_text_from(source)
    return StoryHint(source=source, days=days, text=text, bands=story_bands(text, days=days))
