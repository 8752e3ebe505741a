"""Deterministic corpora of fictional news items, shaped like the pipeline's files, for tests and benchmarks.

Every item is written with `frontmatter.dump`, so generated files have the exact
layout of real ones: an article with images, five related items, a provider
(most with logos), topics; some videos with an iframe `featuredContent`; and keys
left out as often as real feeds leave them out (AMP URLs, webUrl on videos,
quality/heat/published, isCached, logos). About one item in a hundred re-publishes
a recent story under a tracking-parameter variant of its URL, as syndication does.

Item `index` of seed `seed` depends on nothing else, except a duplicate looking
back at most `DUPLICATE_WINDOW` items, so a corpus streams to disk in constant
memory, the same seed always gives byte-identical files and a shorter corpus is
a prefix of a longer one. Pure Python: no Django.
"""

from __future__ import annotations

import base64
import datetime as dt
import random
import re
from collections import deque
from collections.abc import Iterator
from pathlib import Path

from .frontmatter import dump

RELATED_PER_ITEM = 5
DUPLICATE_RATE = 0.01
DUPLICATE_WINDOW = 32
SAMPLE_IMAGE_BASE = "/static/sample/"  # site-relative: shown against SOURCE_SITE_URL (the demo sets it)
SAMPLE_THUMBNAILS = ("harbor", "city", "circuit", "orbit", "stadium", "forest", "rail", "chart")
SAMPLE_LOGOS = ("logo-gazette", "logo-tech", "logo-science", "logo-video")
LOGO_HOST = "https://assets.newsdesk-aggregator.example/organizations/"

_EPOCH = dt.datetime(2019, 1, 1, tzinfo=dt.timezone.utc)
_SPAN_SECONDS = 7 * 365 * 24 * 3600
_NOT_SLUG = re.compile(r"[^a-z0-9]+")

# --- vocabulary (all invented) ------------------------------------------------------

_PLACES = (
    "Harbor City", "Northwind", "Ashford", "Lakemont", "Port Ellery", "Cedar Falls", "Riverton", "Marlow Bay",
    "Stonebridge", "Westhaven", "Kingsreach", "Brightwater", "Fenwick", "Oakridge", "Saltmarsh", "Greyfield",
)
_MASTHEADS = ("Gazette", "Herald", "Ledger", "Courier", "Tribune", "Observer", "Review", "Dispatch", "Wire", "Post")
_BEATS = {
    "news": ("City Hall", "Transport", "Housing", "Elections", "Courts", "Public Health", "Education", "Policing"),
    "business": ("Markets", "Startups", "Retail", "Energy", "Jobs", "Banking", "Trade", "Real Estate"),
    "technology": ("AI", "Cybersecurity", "Cloud", "Smartphones", "Open Source", "Chips", "Privacy", "Robotics"),
    "science": ("Space", "Climate", "Oceans", "Genetics", "Archaeology", "Physics", "Wildlife", "Medicine"),
    "sports": ("Football", "Cycling", "Tennis", "Athletics", "Sailing", "Basketball", "Rowing", "Chess"),
    "culture": ("Film", "Music", "Books", "Theatre", "Food", "Design", "Museums", "Festivals"),
}
_CATEGORY_WEIGHTS = (("news", 55), ("business", 12), ("technology", 12), ("science", 9), ("sports", 7), ("culture", 5))
_CATEGORIES = tuple(name for name, _ in _CATEGORY_WEIGHTS)
_CUMULATIVE_WEIGHTS = tuple(sum(weight for _, weight in _CATEGORY_WEIGHTS[: i + 1]) for i in range(len(_CATEGORIES)))
_ORGANISATIONS = (
    "Lumen Labs", "Brightline Transit", "Kestrel Energy", "Orchard Foods", "Tidewater Bank", "Quarry Systems",
    "Northstar Mobile", "Fathom Robotics", "Bluefin Logistics", "Copperleaf Health", "Halcyon Air", "Mosaic Media",
)
_GROUPS = (
    "the city council", "regional planners", "local teachers", "small-business owners", "commuters",
    "health officials", "researchers", "residents", "the port authority", "volunteers", "parents", "engineers",
)
_THINGS = (
    "ferry timetable", "bike lane network", "flood barrier", "school meal plan", "data centre", "battery plant",
    "night bus service", "housing scheme", "library budget", "solar farm", "tram extension", "water tariff",
    "satellite launch", "coral survey", "transfer window", "film festival", "stadium lease", "privacy rules",
)
_TITLE_TEMPLATES = (
    "{place} approves {thing} after {n}-hour debate",
    "{org} unveils {thing} plan for {place}",
    "Why {group} in {place} are worried about the {thing}",
    "{org} to cut {n} jobs as {topic} slows",
    "What the new {thing} means for {group}",
    "{place} {topic} update: {group} push back on {thing}",
    "Inside the race to build {place}'s {thing}",
    "{org} and {org2} strike {topic} deal worth {n} million",
    "Researchers map {topic} risks around the {thing}",
    "{place} votes on {thing} next week: what to know",
    "{org} says {topic} demand doubled in {n} months",
    "Opinion: the {thing} is the wrong answer for {place}",
)
_SENTENCES = (
    "The decision follows months of consultation with {group} across {place}.",
    "{org} said the change would take effect within {n} weeks.",
    "Critics argue the {thing} was rushed and underfunded.",
    "Officials expect the first results to be visible by spring.",
    "The plan still needs approval from {group} before work can begin.",
    "A spokesperson for {org} declined to comment on the figures.",
    "Supporters say the {thing} will save {place} money over the next decade.",
    "It is one of {n} similar proposals filed this year.",
    "{group} will be able to comment on the draft until the end of the month.",
    "The project has been delayed twice since it was first announced.",
    "Analysts at {org} called the numbers a turning point for {topic}.",
    "Residents packed the hall for a meeting that ran past midnight.",
)
_MARKDOWN_BODY = (
    "\n## What happened\n\n{s1}\n\n{s2}\n\n## What comes next\n\n- {s3}\n- {s4}\n\n"
    "> {s5}\n"
)
_VIDEO_ID_CHARACTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
_TRACKING = (
    "?utm_source=newsletter&utm_medium=email",
    "?utm_source=twitter&utm_medium=social&utm_campaign=morning",
    "?utm_campaign=weekend-digest",
    "?fbclid=IwAR0sample",
)


def _pick(rng: random.Random, choices):
    """rng.choice, three times faster; the generator makes ~100 picks per item."""
    return choices[int(rng.random() * len(choices))]


def _between(rng: random.Random, low: int, high: int) -> int:
    return low + int(rng.random() * (high - low + 1))


def _slug(text: str) -> str:
    return _NOT_SLUG.sub("-", text.lower()).strip("-")


def _provider(index: int) -> dict:
    """Provider `index` of the fixed roster; the same provider always has the same mapping."""
    place = _PLACES[index % len(_PLACES)]
    masthead = _MASTHEADS[(index // len(_PLACES) + index) % len(_MASTHEADS)]
    name = f"The {place} {masthead}" if index % 5 == 0 else f"{place} {masthead}"
    domain = _slug(f"{place}{masthead}").replace("-", "") + ".example"
    return {"name": name, "domain": domain}


PROVIDER_COUNT = 48
_PROVIDERS = tuple(_provider(i) for i in range(PROVIDER_COUNT))


class _Story:
    """The random choices behind one item's words."""

    def __init__(self, rng: random.Random, category: str):
        self.rng = rng
        self.topic = _pick(rng, _BEATS[category])
        self.words = {
            "place": _pick(rng, _PLACES), "org": _pick(rng, _ORGANISATIONS), "org2": _pick(rng, _ORGANISATIONS),
            "group": _pick(rng, _GROUPS), "thing": _pick(rng, _THINGS), "topic": self.topic,
        }

    def fill(self, template: str) -> str:
        self.words["n"] = 2 + int(self.rng.random() * 47)
        return template.format_map(self.words)

    def title(self) -> str:
        text = self.fill(_pick(self.rng, _TITLE_TEMPLATES))
        return text[0].upper() + text[1:]

    def sentence(self) -> str:
        text = self.fill(_pick(self.rng, _SENTENCES))
        return text[0].upper() + text[1:]

    def excerpt(self) -> str:
        """Two to four sentences, cut near 300 characters mid-sentence like a feed excerpt."""
        text = " ".join(self.sentence() for _ in range(_between(self.rng, 2, 4)))
        if self.rng.random() < 0.08:
            text = text.replace(" and ", " &#038; ", 1).replace(". ", ".&nbsp; ", 1)
        if len(text) > 300:
            text = text[:300].rsplit(" ", 1)[0] + (" ..." if self.rng.random() < 0.3 else "")
        return text


def _timestamp(rng: random.Random) -> dt.datetime:
    return _EPOCH + dt.timedelta(seconds=int(rng.random() * _SPAN_SECONDS))


def _pick_category(rng: random.Random) -> str:
    roll = rng.random() * _CUMULATIVE_WEIGHTS[-1]
    for name, limit in zip(_CATEGORIES, _CUMULATIVE_WEIGHTS):
        if roll < limit:
            return name
    return _CATEGORIES[-1]  # pragma: no cover - roll < total


def _provider_mapping(provider_index: int, image_base: str | None) -> dict:
    """Two providers in three have a logo, always the same one, as the aggregator hosts them."""
    mapping = dict(_PROVIDERS[provider_index])
    if provider_index % 3:
        if image_base:
            url = f"{image_base}{SAMPLE_LOGOS[provider_index % len(SAMPLE_LOGOS)]}.svg"
        else:
            url = f"{LOGO_HOST}{mapping['domain']}-50x50.jpg"
        mapping["images"] = [{"url": url, "width": 50, "height": 50}]
    return mapping


def _image(rng: random.Random, domain: str, slug: str, when: dt.datetime, image_base: str | None) -> dict:
    width, height = _pick(rng, ((1280, 720), (1200, 630), (1600, 900), (800, 533), (630, 355), (1400, 933)))
    if image_base:
        url = f"{image_base}{_pick(rng, SAMPLE_THUMBNAILS)}.svg"
    else:
        url = f"https://media.{domain}/{when.year}/{when.month:02d}/{slug[:48]}-{width}x{height}.jpg"
    return {"url": url, "width": width, "height": height}


def _article_url(domain: str, when: dt.datetime, slug: str) -> str:
    return f"https://www.{domain}/{when.year}/{when.month:02d}/{when.day:02d}/{slug}/"


def _amp_urls(web_url: str) -> dict:
    host_and_path = web_url.split("://", 1)[1]
    host = host_and_path.split("/", 1)[0]
    return {
        "ampWebUrl": web_url + "amp/",
        "cdnAmpWebUrl": f"https://{host.replace('.', '-')}.cdn.ampproject.org/c/s/{host_and_path}amp/",
    }


def _related(rng: random.Random, category: str, when: dt.datetime, image_base: str | None) -> dict:
    story = _Story(rng, category)
    title = story.title()
    provider_index = int(rng.random() * PROVIDER_COUNT)
    provider = _PROVIDERS[provider_index]
    published = when - dt.timedelta(seconds=int(rng.random() * 3 * 24 * 3600))
    slug = _slug(title)
    item = {
        "title": title,
        "excerpt": story.excerpt(),
        "publishedDateTime": published,
        "webUrl": _article_url(provider["domain"], published, slug),
    }
    if rng.random() < 0.4:
        item.update(_amp_urls(item["webUrl"]))
    item["type"] = "article"
    item["provider"] = dict(provider)
    item["quality"] = _between(rng, 0, 189)
    if rng.random() < 0.85:
        item["images"] = [_image(rng, provider["domain"], slug, published, image_base)]
    return item


def _video_embed(rng: random.Random) -> str:
    if rng.random() < 0.7:
        video_id = "".join(_pick(rng, _VIDEO_ID_CHARACTERS) for _ in range(11))
        return (
            f'<iframe width="800" height="500" frameborder="0" src="https://www.youtube.com/embed/{video_id}" '
            'allow="accelerometer; autoplay; encrypted-media; gyroscope; picture-in-picture" allowfullscreen></iframe>'
        )
    return (
        f'<iframe src="https://player.vimeo.com/video/{rng.randrange(10**8, 10**9)}" width="640" height="360" '
        'frameborder="0" allow="autoplay; fullscreen; picture-in-picture" allowfullscreen></iframe>'
    )


def _secured(rng: random.Random) -> str:
    payload = base64.b64encode(rng.randbytes(rng.randrange(180, 420))).decode("ascii")
    return payload + ";" + base64.b64encode(rng.randbytes(16)).decode("ascii")


def generate_item(rng: random.Random, index: int, *, related: int = RELATED_PER_ITEM,
                  image_base: str | None = None) -> tuple[str, dict, str]:
    """One fictional item: (file name, front matter mapping in the pipeline's key order, body).

    `image_base` (e.g. SAMPLE_IMAGE_BASE) points images and logos at the bundled
    SVG thumbnails, so a generated corpus also renders in the offline demo.
    """
    category = _pick_category(rng)
    story = _Story(rng, category)
    title = story.title()
    when = _timestamp(rng)
    provider_index = int(rng.random() * PROVIDER_COUNT)
    provider = _provider_mapping(provider_index, image_base)
    domain = provider["domain"]
    slug = _slug(title)
    is_video = rng.random() < 0.08
    web_url = _article_url(domain, when, slug) if not is_video else f"https://video.{domain}/watch/{slug}"

    front: dict = {"category": category, "title": title, "excerpt": story.excerpt(), "publishedDateTime": when}
    front["originalUrl"] = web_url
    if not (is_video and rng.random() < 0.75):
        front["webUrl"] = web_url
    if not is_video and rng.random() < 0.1:
        front.update(_amp_urls(web_url))
    front["type"] = "video" if is_video else "article"
    if rng.random() < 0.95:
        quality = _between(rng, 0, 189)
        front["quality"] = quality
        front["heat"] = -1 if rng.random() < 0.15 else quality
        front["published"] = rng.random() < 0.6
    if is_video:
        front["featuredContent"] = _video_embed(rng)
    front["provider"] = provider
    more_topics = (_pick(rng, _BEATS[category]) for _ in range(_between(rng, 0, 2)))
    front["topics"] = list(dict.fromkeys([story.topic, *more_topics]))
    images = [_image(rng, domain, slug, when, image_base) for _ in range(1 if rng.random() < 0.9 else 2)]
    for image in images:
        if rng.random() < 0.2:
            image["title"] = title
        if rng.random() < 0.9:
            image["isCached"] = True
    front["images"] = images
    if related:
        front["related"] = [_related(rng, category, when, image_base) for _ in range(related)]
    if rng.random() < 0.01:
        front["sourceFeed"] = f"https://www.{domain}/feed/"
    front["secured"] = _secured(rng)

    body = "\n"
    if rng.random() < 0.05:
        body = _MARKDOWN_BODY.format(**{f"s{i}": story.sentence() for i in range(1, 6)})
    if rng.random() < 0.05:
        name = f"{index:03d}_{rng.getrandbits(64):016x}.txt"
    else:
        name = f"{when.date().isoformat()}-{slug[:60].rstrip('-')}-{index}.md"
    return name, front, body


def item_rng(seed: int, index: int) -> random.Random:
    """The random source of item `index`: independent of every other item, stable across Python runs."""
    return random.Random(f"newsroom-generator:{seed}:{index}")


def _as_duplicate(front: dict, original: dict, rng: random.Random) -> None:
    """Re-publish `original`'s story: same title and URLs plus a tracking parameter."""
    front["title"] = original["title"]
    suffix = rng.choice(_TRACKING)
    for key in ("originalUrl", "webUrl"):
        if key in front and key in original:
            front[key] = original[key] + suffix


def iter_items(*, count: int, seed: int, related: int = RELATED_PER_ITEM,
               image_base: str | None = None) -> Iterator[tuple[str, dict, str]]:
    """The corpus item by item, in constant memory."""
    recent: deque[dict] = deque(maxlen=DUPLICATE_WINDOW)
    for index in range(count):
        rng = item_rng(seed, index)
        name, front, body = generate_item(rng, index, related=related, image_base=image_base)
        if recent and rng.random() < DUPLICATE_RATE:
            _as_duplicate(front, rng.choice(recent), rng)
        else:
            recent.append({key: front[key] for key in ("title", "originalUrl", "webUrl") if key in front})
        yield name, front, body


def generate_corpus(outdir: str | Path, *, count: int, seed: int, related: int = RELATED_PER_ITEM,
                    image_base: str | None = None) -> list[Path]:
    """Write `count` items into `outdir` (created if missing; same-named files are overwritten)."""
    outdir = Path(outdir)
    outdir.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, front, body in iter_items(count=count, seed=seed, related=related, image_base=image_base):
        path = outdir / name
        path.write_bytes(dump(front, body).encode("utf-8"))
        paths.append(path)
    return paths
