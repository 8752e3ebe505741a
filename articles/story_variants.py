"""A labelled set for story clustering: the same story told by several providers, and stories that only look alike.

Each story is written by two to five providers the way real headlines vary: a site-name
suffix or a "Video:" prefix, Title Case, HTML entities, a reordered clause, a few words
added or dropped, a headline verb swapped for a synonym, an excerpt of its own or a
trimmed copy of the wire's. Beside them, hard negatives: the same headline about another
company, place or person; the quarterly results of two companies; the same event in two
different years (a year apart, or with only the year in the title telling them apart);
a story that comes back a year later in the same words. Every item carries its `story`
id, the ground truth a benchmark scores pairs against.

Deterministic for a seed, pure Python (no Django); `write_labelled_corpus` writes the items
as news item files (`frontmatter.dump`) with the story id in an extra key, `labelStory`.
"""

from __future__ import annotations

import datetime as dt
import random
import re
from dataclasses import dataclass, field
from pathlib import Path

from .frontmatter import dump

LABEL_KEY = "labelStory"
_EPOCH = dt.datetime(2021, 1, 4, 8, 0, tzinfo=dt.timezone.utc)

COMPANIES = (
    "Acme Robotics", "Globex", "Initech", "Umbrella Health", "Stark Mobility", "Wayne Foods", "Tyrell Genetics",
    "Cyberdyne Cloud", "Soylent Energy", "Hooli", "Vandelay Imports", "Massive Dynamic", "Oscorp Chemicals",
    "Pied Piper", "Aperture Labs", "Wonka Confectionery", "Gringotts Bank", "Monarch Airlines", "Nakatomi Trading",
    "Virtucon Steel",
)
PLACES = (
    "Springfield", "Shelbyville", "Gotham", "Metropolis", "Riverdale", "Sunnydale", "Hill Valley", "Twin Peaks",
    "Pawnee", "Scranton", "Bedrock", "Quahog", "Arlen", "Eagleton", "Stars Hollow", "Hawkins",
)
PEOPLE = (
    "Maria Okafor", "James Lindqvist", "Aiko Tanaka", "Pedro Alvarez", "Fatima Rahman", "Henrik Olsen",
    "Grace Mbeki", "Lucas Moreau", "Priya Raman", "Tomasz Nowak", "Elena Petrova", "Samuel Adeyemi",
)
EVENTS = ("Marathon", "Film Festival", "Jazz Week", "Tech Summit", "Book Fair", "Grand Prix", "Open", "Regatta")
PROVIDERS = (
    ("CNN", "cnn.com"), ("Reuters", "reuters.com"), ("TechCrunch", "techcrunch.com"), ("The Verge", "theverge.com"),
    ("BBC News", "bbc.co.uk"), ("Associated Press", "apnews.com"), ("The Guardian", "theguardian.com"),
    ("Bloomberg", "bloomberg.com"), ("Ars Technica", "arstechnica.com"), ("Al Jazeera", "aljazeera.com"),
    ("Engadget", "engadget.com"), ("Politico", "politico.com"),
)
THINGS = (
    "flood barrier", "tram extension", "battery plant", "data centre", "night bus service", "housing scheme",
    "solar farm", "water tariff", "bike lane network", "school meal plan", "library budget", "stadium lease",
)
# A story: its headline orderings (same words), its wire excerpt; {c} company, {p} place, {q} person, {t} thing,
# {n} a number, {y} a year, {k} a quarter, {e} an event.
TEMPLATES = (
    (("{c} reports record {k} {y} revenue of ${n} billion", "{k} {y}: {c} reports record revenue of ${n} billion"),
     "{c} said revenue for the {k} of {y} reached ${n} billion, ahead of what analysts had expected. "
     "The company raised its outlook for the rest of the year."),
    (("{p} council approves {t} after {n}-hour debate", "After a {n}-hour debate, {p} council approves {t}"),
     "Councillors in {p} voted to go ahead with the {t} late on Tuesday after a session that ran for {n} hours. "
     "Opponents said they would challenge the decision."),
    (("{c} to cut {n} jobs as demand slows", "As demand slows, {c} to cut {n} jobs"),
     "{c} will cut {n} jobs over the coming months, the company said, blaming weaker demand. "
     "Unions called the move a betrayal."),
    (("{q} named chief executive of {c}", "{c} names {q} as chief executive"),
     "{c} has appointed {q} as its next chief executive, ending a search that lasted most of the year. "
     "{q} joins from a rival."),
    (("{p} {e} {y} draws record crowds", "Record crowds at {p} {e} {y}"),
     "Organisers of the {p} {e} said more than {n},000 people attended this year's edition, a record. "
     "Local hotels reported full bookings."),
    (("{c} unveils {t} plan for {p}", "{c}'s plan for a {p} {t} unveiled"),
     "{c} presented plans for a {t} in {p} on Monday, saying construction could begin next spring. "
     "Residents will be consulted first."),
    (("{q} wins {p} mayoral race", "{p} elects {q} as mayor"),
     "{q} won the race for mayor of {p} with {n} percent of the vote, according to official results. "
     "Turnout was higher than in the last election."),
    (("Storm knocks out power to {n},000 homes in {p}", "{n},000 homes in {p} without power after storm"),
     "A storm swept through {p} overnight, leaving about {n},000 homes without electricity. "
     "Crews expect to restore power within two days."),
    (("{c} buys {c2} in ${n} billion deal", "{c2} acquired by {c} for ${n} billion"),
     "{c} agreed to buy {c2} for ${n} billion in cash, the two companies said. "
     "The deal still needs approval from regulators."),
    (("{p} launches free {t} trial for residents", "Free {t} trial for {p} residents launches"),
     "Residents of {p} can use the new {t} free of charge during a six-month trial, the city said. "
     "Officials will decide on a permanent scheme next year."),
)
_SYNONYM_SWAPS = (
    ("unveils", "launches"), ("unveils", "reveals"), ("approves", "backs"), ("cut", "slash"), ("buys", "acquires"),
    ("wins", "claims"), ("reports", "posts"), ("launches", "rolls out"), ("named", "appointed"), ("draws", "attracts"),
)
_ADDED = ("officially", "now", "finally", "on Tuesday", "amid criticism", "as expected", "in surprise move")
_PREFIXES = ("Video: ", "Watch: ", "WATCH: ", "LIVE: ", "Breaking: ", "Update: ", "[VIDEO] ")
_SUFFIX_FORMS = (" - {name}", " | {name}", " — {name}", " – {name}", " ({name})", " | {domain}")


@dataclass
class LabelledItem:
    key: str
    story: str
    title: str
    excerpt: str
    published: dt.datetime
    provider: tuple[str, str]
    web_url: str
    extra: dict = field(default_factory=dict)


def _fill(rng: random.Random) -> dict:
    first, second = rng.sample(COMPANIES, 2)
    return {
        "c": first, "c2": second, "p": rng.choice(PLACES), "q": rng.choice(PEOPLE), "t": rng.choice(THINGS),
        "n": rng.randrange(2, 95), "y": rng.randrange(2019, 2027), "k": rng.choice(("Q1", "Q2", "Q3", "Q4")),
        "e": rng.choice(EVENTS),
    }


def _title_case(text: str) -> str:
    small = {"a", "an", "the", "of", "for", "in", "on", "to", "as", "at", "by", "and", "after"}
    words = text.split(" ")
    return " ".join(w if (i and w.lower() in small) or not w[:1].isalpha() else w[:1].upper() + w[1:]
                     for i, w in enumerate(words))


def _vary_title(rng: random.Random, orderings: tuple[str, ...], values: dict, provider: tuple[str, str]) -> str:
    title = rng.choice(orderings).format(**values)
    title = title[:1].upper() + title[1:]
    if rng.random() < 0.35:
        for old, new in rng.sample(_SYNONYM_SWAPS, len(_SYNONYM_SWAPS)):
            if re.search(rf"\b{old}\b", title):
                title = re.sub(rf"\b{old}\b", new, title, count=1)
                break
    if rng.random() < 0.3:
        words = title.split(" ")
        words.insert(rng.randrange(1, len(words) + 1), rng.choice(_ADDED))
        title = " ".join(words)
    if rng.random() < 0.15:
        title = re.sub(r"\b(record|free|new) ", "", title, count=1)
    if rng.random() < 0.3:
        title = _title_case(title)
    if rng.random() < 0.2:
        title = rng.choice(_PREFIXES) + title
    if rng.random() < 0.5:
        title += rng.choice(_SUFFIX_FORMS).format(name=provider[0], domain=provider[1])
    if rng.random() < 0.15:
        title = title.replace("'", "&#8217;").replace(" & ", " &amp; ").replace(" and ", " &#038; ")
    return title


def _vary_excerpt(rng: random.Random, wire: str, values: dict) -> str:
    sentences = wire.format(**values).split(". ")
    roll = rng.random()
    if roll < 0.4:
        return ". ".join(sentences)
    if roll < 0.7:
        return sentences[0] + ("." if not sentences[0].endswith(".") else "")
    if roll < 0.85:
        return ". ".join(reversed(sentences)).replace("..", ".")
    return ""  # some providers send no excerpt


def _item(stories: list[LabelledItem], rng: random.Random, story: str, title: str, excerpt: str,
          when: dt.datetime, provider: tuple[str, str]) -> None:
    index = len(stories)
    slug = re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")[:60]
    stories.append(LabelledItem(
        key=f"label-{index:06d}", story=story, title=title, excerpt=excerpt, published=when, provider=provider,
        web_url=f"https://www.{provider[1]}/{when:%Y/%m/%d}/{slug}-{rng.randrange(10**6)}",
    ))


def _tell(items, rng, story: str, template, values: dict, when: dt.datetime, providers: int) -> None:
    """One story told by `providers` providers within two days."""
    orderings, wire = template
    for provider in rng.sample(PROVIDERS, providers):
        moment = when + dt.timedelta(minutes=rng.randrange(0, 48 * 60))
        _item(items, rng, story, _vary_title(rng, orderings, values, provider), _vary_excerpt(rng, wire, values),
              moment, provider)


def _placeholders(template) -> list[str]:
    return sorted(set(re.findall(r"{(\w+)}", " ".join(template[0]))))


_KIND_PLACEHOLDER = {"company": "c", "place": "p", "person": "q", "year": "y", "quarter": "k"}


def _hard_negative(rng: random.Random, values: dict, template) -> tuple[dict, int, str]:
    """Another story that shares the first's template: another company, place, person, year or quarter in its
    title; or the same words a year later. Returns its values, its days after the first, and what differs."""
    other = dict(values)
    shown = _placeholders(template)
    kind = rng.choice([kind for kind, key in _KIND_PLACEHOLDER.items() if key in shown] + ["next year"])
    if kind == "company":
        other["c"] = rng.choice([c for c in COMPANIES if c not in (values["c"], values["c2"])])
    elif kind == "place":
        other["p"] = rng.choice([p for p in PLACES if p != values["p"]])
    elif kind == "person":
        other["q"] = rng.choice([q for q in PEOPLE if q != values["q"]])
    elif kind == "year":
        other["y"] = values["y"] + rng.choice((-1, 1))
    elif kind == "quarter":
        other["k"] = rng.choice([k for k in ("Q1", "Q2", "Q3", "Q4") if k != values["k"]])
    days = 365 if kind == "next year" else rng.randrange(0, 3)
    if kind == "next year":
        other["y"] = values["y"] + 1
    return other, days, kind


def labelled_items(*, stories: int = 400, seed: int = 0) -> list[LabelledItem]:
    """`stories` stories, each told by 1-5 providers, a third of them shadowed by a hard negative."""
    rng = random.Random(f"story-variants:{seed}")
    span_hours = max(24 * 60, 8 * stories)  # about three stories a day: a desk's pace for one template
    items: list[LabelledItem] = []
    told: set[tuple] = set()  # no two stories with the same words in one week: nothing could tell them apart

    def fresh(template, values, when) -> bool:
        signature = (template[1], (when - _EPOCH).days // 7, *(values[key] for key in _placeholders(template)))
        if signature in told:
            return False
        told.add(signature)
        return True

    for number in range(stories):
        template = rng.choice(TEMPLATES)
        when = _EPOCH + dt.timedelta(hours=rng.randrange(0, span_hours))
        values = _fill(rng)
        while not fresh(template, values, when):
            values = _fill(rng)
        _tell(items, rng, f"s{number}", template, values, when, rng.choice((1, 2, 2, 3, 3, 4, 5)))
        if rng.random() < 0.35:
            other, days, kind = _hard_negative(rng, values, template)
            if kind == "next year" or fresh(template, other, when + dt.timedelta(days=days)):
                _tell(items, rng, f"s{number}-{kind.replace(' ', '-')}", template, other,
                      when + dt.timedelta(days=days), rng.choice((1, 2, 3)))
    return items


def front_matter(item: LabelledItem) -> dict:
    front = {"category": "news", "title": item.title}
    if item.excerpt:
        front["excerpt"] = item.excerpt
    front.update(publishedDateTime=item.published, webUrl=item.web_url, type="article",
                 provider={"name": item.provider[0], "domain": item.provider[1]}, **{LABEL_KEY: item.story})
    return front


def write_labelled_corpus(outdir: str | Path, *, stories: int = 400, seed: int = 0) -> list[LabelledItem]:
    """Write the labelled set as news item files into `outdir`, one per item, named by its key."""
    outdir = Path(outdir)
    outdir.mkdir(parents=True, exist_ok=True)
    items = labelled_items(stories=stories, seed=seed)
    for item in items:
        (outdir / f"{item.key}.md").write_bytes(dump(front_matter(item), "\n").encode("utf-8"))
    return items


def pairwise_scores(truth: dict[str, str], found: dict[str, object]) -> tuple[float, float, int, int, int]:
    """Pairwise precision and recall of `found` (key -> cluster, None for alone) against `truth` (key -> story):
    (precision, recall, true pairs found, pairs found, true pairs)."""
    def pairs(groups: dict[str, object]) -> set[tuple[str, str]]:
        members: dict[object, list[str]] = {}
        for key, group in groups.items():
            if group is not None:
                members.setdefault(group, []).append(key)
        return {(a, b) for keys in members.values() for i, a in enumerate(sorted(keys)) for b in sorted(keys)[i + 1:]}

    true_pairs, found_pairs = pairs(truth), pairs(found)
    hits = len(true_pairs & found_pairs)
    precision = hits / len(found_pairs) if found_pairs else 1.0
    recall = hits / len(true_pairs) if true_pairs else 1.0
    return precision, recall, hits, len(found_pairs), len(true_pairs)
