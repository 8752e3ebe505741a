"""Story clusters in the database: which articles form one.

`cluster_articles` places new or changed articles (the importer calls it for each batch through
`cluster_imported`), `recluster` places them all afresh; `articles.clustering` decides what is one story.
"""

from __future__ import annotations

import json
import logging
from collections import defaultdict
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Callable, Iterable, Iterator

from django.conf import settings
from django.db import connection, transaction
from django.db.models import BigIntegerField, Case, Count, IntegerField, Q, Value, When
from django.db.models.functions import Coalesce

from . import clustering, editorial
from .cluster_plan import plan_clusters
from .story_leads import refresh_clusters
from .models import Article, ClusterBand, StoryCluster

logger = logging.getLogger(__name__)


# --- clustering articles -------------------------------------------------------------------------

CLUSTER_LOCK = 0x636C7573  # "clus": one clustering transaction at a time, whichever importer runs it
LOOKUP_CHUNK = 2000
# What one clustering transaction holds is its articles, their candidates and the candidates' texts: it grows
# with the articles per call and the items a day, so calls take CLUSTER_CHUNK articles (an import batch is split,
# a re-clustering goes by that many) and read the candidates outside them OUTSIDE_CHUNK at a time.
CLUSTER_CHUNK = 250
OUTSIDE_CHUNK = 500
BAND_CHUNK = 1000  # bands looked up per statement, always this many (padded): one statement shape to cache
MOST_PER_BAND = 50  # a band shared by more items is a commonplace; its newest items are candidates enough
ATTEMPTS = 4
TEXT_VALUES = (
    "pk", "title", "excerpt", "published_date_time", "imported_at", "web_url_key", "original_url_key",
    "provider__name", "provider__domain",
)


@dataclass(frozen=True)
class ClusterSettings:
    """How alike two items must be, and how far apart in time they may be, to be one story."""

    threshold: float = clustering.DEFAULT_THRESHOLD
    days: float = clustering.DEFAULT_DAYS

    @classmethod
    def from_settings(cls, *, threshold: float | None = None, days: float | None = None) -> "ClusterSettings":
        return cls(
            threshold=threshold if threshold is not None else getattr(settings, "CLUSTER_THRESHOLD", cls.threshold),
            days=days if days is not None else getattr(settings, "CLUSTER_DAYS", cls.days),
        )


@dataclass
class ClusteringOutcome:
    """What a clustering call did: articles judged, articles moved, clusters touched, articles left as they were
    because their clusters kept changing under it."""

    articles: int = 0
    moved: int = 0
    clusters: set[int] = field(default_factory=set)
    deferred: int = 0
    stories: int = 0  # after a recluster: how many stories of two or more there are

    def add(self, other: "ClusteringOutcome") -> None:
        """Count in a later call's articles, moves and deferrals (not its clusters: a re-clustering's would be
        every story)."""
        self.articles += other.articles
        self.moved += other.moved
        self.deferred += other.deferred


class MembershipMoved(Exception):
    """Someone changed who belongs to a cluster between our read and our locks: start over."""


def days_if_clustering() -> float | None:
    """The days of the import's clustering, or None when STORY_CLUSTERS is off (then nothing needs story hints)."""
    return ClusterSettings.from_settings().days if getattr(settings, "STORY_CLUSTERS", True) else None


def cluster_imported(source_keys: list[str], *, hints: dict[str, clustering.StoryHint] | None = None) -> ClusteringOutcome | None:
    """The importer's hook, after a batch committed: cluster what it wrote (unless STORY_CLUSTERS is off).
    `hints`: story texts and bands worked out by the parser workers, by source key (used where they still hold).

    The batch is stored by then, so a failure here is logged rather than raised: the importer would
    otherwise take it for its batch's and write the files again one by one. `recluster` catches up.
    """
    if not getattr(settings, "STORY_CLUSTERS", True) or not source_keys:
        return None
    try:
        keys = dict(Article.objects.filter(source_key__in=source_keys).values_list("pk", "source_key"))
        hints = hints or {}
        total = ClusteringOutcome()
        for chunk in _chunks(sorted(keys), CLUSTER_CHUNK):
            total.add(cluster_articles(chunk, hints={pk: hints[keys[pk]] for pk in chunk if keys[pk] in hints}))
        return total
    except Exception:  # noqa: BLE001 - see above; the log has the traceback
        logger.exception("story clustering failed for a batch of %d articles; run recluster", len(source_keys))
        return None


def cluster_articles(article_ids: Iterable[int], *, config: ClusterSettings | None = None,
                     hints: dict[int, clustering.StoryHint] | None = None) -> ClusteringOutcome:
    """Put new or changed articles into their stories: find candidates through the bands and canonical URLs,
    verify each pair, then join, create or merge clusters; an article an editor placed never moves.

    Runs in a transaction of its own and takes every article lock it needs in one id-ordered statement,
    after reading without locks what it will need: so it cannot deadlock with editors, who lock the same
    way, or with a batch of the importer. Call it outside any transaction that holds article locks.
    """
    ids = sorted(set(article_ids))
    config = config or ClusterSettings.from_settings()
    if not ids:
        return ClusteringOutcome()
    for attempt in range(ATTEMPTS):
        try:
            with transaction.atomic():
                return _cluster_once(ids, config, last_attempt=attempt == ATTEMPTS - 1, hints=hints or {})
        except MembershipMoved:
            continue
    raise AssertionError("unreachable: the last attempt never raises MembershipMoved")  # pragma: no cover


def _moment(row: dict) -> float | None:
    """An article's place in time: its date, or its import for an article without one."""
    moment = row["published_date_time"] or row["imported_at"]
    return moment.timestamp() if moment else None


def story_source(row: dict) -> tuple:
    """What an article row (TEXT_VALUES) makes its story text of."""
    return clustering.story_source(
        row["title"], row["excerpt"], (row["web_url_key"], row["original_url_key"]),
        _moment(row), (row["provider__name"] or "", row["provider__domain"] or ""),
    )


def story_texts(rows: Iterable[dict]) -> dict[int, clustering.StoryText]:
    """What the comparison needs of each article row (TEXT_VALUES)."""
    return {row["pk"]: clustering.story_text_from(story_source(row)) for row in rows}


def _texts_and_bands(ids: list[int], config: ClusterSettings, hints: dict[int, clustering.StoryHint]):
    """The articles' story texts and bands: a hint's where the article still holds what it was made of."""
    texts, bands = {}, {}
    for row in _chunked_values(Article.objects.all(), "pk__in", ids, TEXT_VALUES):
        pk, source, hint = row["pk"], story_source(row), hints.get(row["pk"])
        if hint is not None and hint.matches(source, config.days):
            texts[pk], bands[pk] = hint.text, hint.bands
        else:
            texts[pk] = clustering.story_text_from(source)
            bands[pk] = clustering.story_bands(texts[pk], days=config.days)
    return texts, bands


def _cluster_once(ids: list[int], config: ClusterSettings, *, last_attempt: bool,
                  hints: dict[int, clustering.StoryHint]) -> ClusteringOutcome:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [CLUSTER_LOCK])
    texts, bands = _texts_and_bands(ids, config, hints)
    ids = sorted(texts)
    same_url: set[tuple[int, int]] = set()
    edges = _verified_edges(texts, _candidates(texts, bands), config, same_url)  # empties the candidates
    outcome = ClusteringOutcome(articles=len(ids))
    current, pinned, moments = _lock_involved(ids, edges, last_attempt=last_attempt, outcome=outcome)
    edges = [(a, b) for a, b in edges if a in current and b in current]
    moves = plan_clusters(current, pinned, set(ids) - pinned, edges, moments=moments,
                          longest=config.days * 86400, unbounded=same_url)
    outcome.moved = len(moves)
    outcome.clusters = _apply_moves(moves, current)
    _store_bands(ids, bands)
    return outcome


# The newest MOST_PER_BAND stored articles of each band: a band's whole list grows with the articles per time
# bucket, so holding all of it made each batch's memory grow with the table. PostgreSQL picks them (a window
# function: only those cross the wire); SQLite, which runs in this process, streams each band newest first from
# the index and the loop keeps the first ones (its window function sorts every row: twice the time).
# Plain SQL: the ORM's per-value preparation of thousands of band parameters costs more than the query.
_BAND_TABLE = ClusterBand._meta.db_table
_NEWEST_PER_BAND_SQL = (
    "SELECT band, article_id FROM (SELECT band, article_id, ROW_NUMBER() OVER "
    f"(PARTITION BY band ORDER BY article_id DESC) AS newest FROM {_BAND_TABLE} WHERE band IN ({{values}})) "
    "AS banded WHERE newest <= %s"
)
_BANDS_NEWEST_FIRST_SQL = (
    f"SELECT band, article_id FROM {_BAND_TABLE} WHERE band IN ({{values}}) ORDER BY band DESC, article_id DESC"
)


def stored_members(bands: set[int]) -> defaultdict[int, list[int]]:
    """The newest MOST_PER_BAND articles stored under each of `bands`."""
    by_band: defaultdict[int, list[int]] = defaultdict(list)
    values = ", ".join(["%s"] * BAND_CHUNK)
    capped_by_database = connection.vendor == "postgresql"
    sql = (_NEWEST_PER_BAND_SQL if capped_by_database else _BANDS_NEWEST_FIRST_SQL).format(values=values)
    with connection.cursor() as cursor:
        for chunk in _chunks(sorted(bands), BAND_CHUNK):
            padded = chunk + chunk[-1:] * (BAND_CHUNK - len(chunk))  # a repeated band changes nothing in IN
            cursor.execute(sql, [*padded, MOST_PER_BAND] if capped_by_database else padded)
            while rows := cursor.fetchmany(BAND_CHUNK):
                for band, pk in rows:
                    members = by_band[band]
                    if len(members) < MOST_PER_BAND:
                        members.append(pk)
    return by_band


def _verified_edges(texts: dict[int, clustering.StoryText], candidates: dict[int, set[int]],
                    config: ClusterSettings, same_url: set[tuple[int, int]]) -> list[tuple[int, int]]:
    """The candidate pairs that are one story (and, into `same_url`, those that share a canonical URL: one story
    whatever their dates). The batch's candidates outside it are read OUTSIDE_CHUNK at a time and dropped once
    compared: a batch of 1,000 can have 15,000 of them (a few kB each as compared), more the more items a day
    the table holds, so reading them at once made memory grow with the table. For the same reason `candidates`
    (up to MOST_PER_BAND ids per band of each article) is emptied as its pairs are sorted out, and the pairs
    outside the batch are kept as lists by outside article, not as a set of tuples."""
    def same(a: int, b: int, others: dict) -> bool:
        first, second = texts.get(a) or others[a], texts.get(b) or others[b]
        if first.url_keys & second.url_keys:
            same_url.add((min(a, b), max(a, b)))
        return clustering.same_story(first, second, threshold=config.threshold, days=config.days)

    inside: set[tuple[int, int]] = set()  # pairs within the batch, each once
    outside: dict[int, list[int]] = defaultdict(list)  # an article outside the batch -> its candidates in it
    while candidates:
        pk, found = candidates.popitem()
        for other in found:
            if other in texts:
                inside.add((min(pk, other), max(pk, other)))
            else:
                outside[other].append(pk)
    edges = [(a, b) for a, b in sorted(inside) if same(a, b, {})]
    for chunk in _chunks(sorted(outside), OUTSIDE_CHUNK):
        worth = _worth_comparing({other: outside.pop(other) for other in chunk}, texts, config.days)
        others = story_texts(_chunked_values(Article.objects.all(), "pk__in", sorted(worth), TEXT_VALUES))
        edges += [(min(pk, other), max(pk, other)) for other in others for pk in worth[other]
                  if same(pk, other, others)]
    return sorted(edges)


PLACING_VALUES = ("pk", "published_date_time", "imported_at", "web_url_key", "original_url_key")


def _worth_comparing(outside: dict[int, list[int]], texts: dict[int, clustering.StoryText],
                     days: float) -> dict[int, list[int]]:
    """Of the articles outside the batch (-> their candidates in it), those that may be one story with a
    candidate: sharing a canonical URL, or not `apart_in_time`. At a dense table about half are not (a looked-up
    band takes in the neighbouring time bucket), and their story texts were most of a clustering call's time:
    this reads only their dates and URL keys, and `same_story` would have said no to them on those alone."""
    worth = {}
    for row in _chunked_values(Article.objects.all(), "pk__in", sorted(outside), PLACING_VALUES):
        moment, keys = _moment(row), {row["web_url_key"], row["original_url_key"]}
        near = [pk for pk in outside[row["pk"]]
                if keys & texts[pk].url_keys or not clustering.apart_in_time(moment, texts[pk].moment, days)]
        if near:
            worth[row["pk"]] = near
    return worth


def _candidates(texts: dict[int, clustering.StoryText], bands: dict[int, tuple[list[int], list[int]]]) -> dict[int, set[int]]:
    """Each article's candidates: those sharing a stored band with its looked-up bands (in the table, or among
    this batch), or a canonical URL."""
    by_band = stored_members({band for _, looked_up in bands.values() for band in looked_up})
    for pk, (stored, _) in bands.items():
        for band in stored:
            by_band[band].append(pk)
    candidates: dict[int, set[int]] = {}
    for pk, (_, looked_up) in bands.items():
        found = set()
        for band in looked_up:
            members = by_band.get(band, ())
            found.update(sorted(set(members))[-MOST_PER_BAND:] if len(members) > MOST_PER_BAND else members)
        found.discard(pk)
        candidates[pk] = found
    url_keys = {key for text in texts.values() for key in text.url_keys}
    if url_keys:
        by_key = defaultdict(set)
        for pk, web, original in Article.objects.filter(
            Q(web_url_key__in=url_keys) | Q(original_url_key__in=url_keys)
        ).values_list("pk", "web_url_key", "original_url_key"):
            by_key[web].add(pk)
            by_key[original].add(pk)
        for pk, text in texts.items():
            for key in text.url_keys:
                candidates[pk].update(by_key.get(key, ()) - {pk})
    return candidates


def _lock_involved(ids: list[int], edges: list[tuple[int, int]], *, last_attempt: bool,
                   outcome: ClusteringOutcome) -> tuple[dict[int, int | None], set[int], dict[int, float | None]]:
    """Lock, in one id-ordered statement, the batch, the articles it links to and every member of their
    clusters; return their clusters, which of them an editor placed and their times (an article without a date
    at its import), as read under the locks."""
    linked = set(ids).union(*edges) if edges else set(ids)
    clusters = set(Article.objects.filter(pk__in=linked, cluster__isnull=False).values_list("cluster_id", flat=True))
    members = set(Article.objects.filter(cluster_id__in=clusters).values_list("pk", flat=True)) if clusters else set()
    wanted = linked | members
    rows = list(editorial.lock_articles(Article.objects.filter(pk__in=wanted)).values_list(
        "pk", "cluster_id", "cluster_set_by_editor", Coalesce("published_date_time", "imported_at")))
    current = {pk: cluster for pk, cluster, _, _ in rows}
    pinned = {pk for pk, _, placed, _ in rows if placed}
    moments = {pk: moment.timestamp() if moment else None for pk, _, _, moment in rows}
    clusters_now = {cluster for cluster in current.values() if cluster is not None}
    strangers = set(Article.objects.filter(cluster_id__in=clusters_now).exclude(pk__in=current).values_list(
        "pk", "cluster_id")) if clusters_now else set()
    if strangers:
        if not last_attempt:
            raise MembershipMoved
        # Still moving after several attempts: leave those clusters' articles as they are this time.
        moving = {cluster for _, cluster in strangers}
        frozen = {pk for pk, cluster in current.items() if cluster in moving}
        outcome.deferred = len(frozen)
        current = {pk: cluster for pk, cluster in current.items() if pk not in frozen}
        pinned -= frozen
    return current, pinned, moments


def _apply_moves(moves: dict, current: dict[int, int | None]) -> set[int]:
    """Write the plan: new clusters created, articles moved, every touched cluster refreshed."""
    new_tokens = sorted({target for target in moves.values() if isinstance(target, tuple)})
    created = StoryCluster.objects.bulk_create([StoryCluster() for _ in new_tokens])
    new_ids = {token: cluster.pk for token, cluster in zip(new_tokens, created)}
    targets = {pk: new_ids.get(target, target) if isinstance(target, tuple) else target for pk, target in moves.items()}
    joining = {pk: target for pk, target in targets.items() if target is not None}
    if joining:
        Article.objects.filter(pk__in=list(joining)).update(
            cluster_id=Case(*[When(pk=pk, then=Value(target)) for pk, target in joining.items()],
                            output_field=BigIntegerField()),
            folded_into_cluster=False,
        )
    leaving = [pk for pk, target in targets.items() if target is None]
    if leaving:
        Article.objects.filter(pk__in=leaving).update(cluster=None, folded_into_cluster=False)
    touched = {current.get(pk) for pk in targets} | set(targets.values())
    touched.discard(None)
    refresh_clusters(touched)
    return touched


def _store_bands(ids: list[int], bands: dict[int, tuple[list[int], list[int]]]) -> None:
    """Replace the articles' stored bands: one INSERT of every row, sent as two arrays (PostgreSQL) or one JSON
    array (SQLite), not a statement per row."""
    ClusterBand.objects.filter(article_id__in=ids).delete()
    rows = [(pk, band) for pk in ids for band in dict.fromkeys(bands[pk][0])]
    if not rows:
        return
    table = connection.ops.quote_name(ClusterBand._meta.db_table)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f"INSERT INTO {table} (article_id, band) SELECT * FROM unnest(%s::bigint[], %s::bigint[])",
                           [[pk for pk, _ in rows], [band for _, band in rows]])
        else:
            cursor.execute(f"INSERT INTO {table} (article_id, band) SELECT json_extract(value, '$[0]'), "
                           "json_extract(value, '$[1]') FROM json_each(%s)", [json.dumps(rows)])


def _chunks(items: list, size: int) -> Iterator[list]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


def _chunked_values(queryset, lookup: str, values: list, fields: tuple) -> Iterator[dict]:
    for chunk in _chunks(values, LOOKUP_CHUNK):
        yield from queryset.filter(**{lookup: chunk}).order_by().values(*fields)


# --- re-clustering everything ----------------------------------------------------------------------

RECLUSTER_CHUNK = CLUSTER_CHUNK


def recluster(*, config: ClusterSettings | None = None, chunk_size: int = RECLUSTER_CHUNK,
              on_progress: Callable[[int], None] | None = None) -> ClusteringOutcome:
    """Cluster every article afresh (after the threshold or the days changed), keeping editors' placements.

    Two passes over the articles in id chunks, so memory stays flat whatever the table's size: the first
    takes every article an editor did not place out of its cluster and drops all bands; the second clusters
    each chunk as an import would, against the chunks before it. `on_progress(n)` after each chunk of n
    articles of the second pass.

    On PostgreSQL it holds the clustering lock for the whole run, so an import's clustering waits for it
    rather than placing its batch among clusters being taken apart (its batch is stored meanwhile).
    """
    config = config or ClusterSettings.from_settings()
    with _clustering_held():
        _release_all(chunk_size)
        _drop_clusters(chunk_size)
        total = ClusteringOutcome()
        for chunk in _id_chunks(Article.objects.all(), chunk_size):
            total.add(cluster_articles(chunk, config=config))
            if on_progress:
                on_progress(len(chunk))
        placed = sorted(set(StoryCluster.objects.filter(members__cluster_set_by_editor=True).values_list("pk", flat=True)))
        for chunk in _chunks(placed, chunk_size):  # their other members left in the first pass
            with transaction.atomic():
                list(editorial.lock_articles(Article.objects.filter(cluster_id__in=chunk)).values_list("pk"))
                _refresh_keeping_placements(chunk)
    total.stories = StoryCluster.objects.filter(size__gte=2).count()
    return total


@contextmanager
def _clustering_held() -> Iterator[None]:
    """The clustering lock for longer than a transaction (PostgreSQL; SQLite writes one transaction at a time)."""
    if connection.vendor != "postgresql":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_lock(%s)", [CLUSTER_LOCK])
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(%s)", [CLUSTER_LOCK])


def _release_all(chunk_size: int) -> None:
    """Every article an editor did not place out of its cluster, every band dropped."""
    for chunk in _id_chunks(Article.objects.all(), chunk_size):
        with transaction.atomic():
            released = editorial.lock_articles(Article.objects.filter(
                pk__in=chunk, cluster__isnull=False, cluster_set_by_editor=False))
            Article.objects.filter(pk__in=list(released.values_list("pk", flat=True))).update(
                cluster=None, folded_into_cluster=False)
            ClusterBand.objects.filter(article_id__in=chunk).delete()


def _drop_clusters(chunk_size: int) -> None:
    """Every cluster without an editor's placement, with any member a clustering gave it since `_release_all`
    (where nothing holds the lock: SQLite between two transactions) released, folded no more."""
    for chunk in _id_chunks(StoryCluster.objects.exclude(members__cluster_set_by_editor=True), chunk_size):
        with transaction.atomic():
            joined = editorial.lock_articles(Article.objects.filter(cluster_id__in=chunk))
            Article.objects.filter(pk__in=list(joined.values_list("pk", flat=True))).update(
                cluster=None, folded_into_cluster=False)
            StoryCluster.objects.filter(pk__in=chunk).delete()


def _refresh_keeping_placements(cluster_ids: list[int]) -> None:
    """`refresh_clusters`, except that a cluster left with one member an editor placed keeps it."""
    sizes = dict(Article.objects.filter(cluster_id__in=cluster_ids).values("cluster_id").annotate(
        n=Count("pk")).values_list("cluster_id", "n"))
    refresh_clusters([pk for pk in cluster_ids if sizes.get(pk, 0) != 1])
    alone = dict(Article.objects.filter(cluster_id__in=[pk for pk in cluster_ids if sizes.get(pk) == 1]).values_list(
        "cluster_id", "pk"))
    if alone:
        StoryCluster.objects.filter(pk__in=list(alone)).update(size=1, lead_id=Case(
            *[When(pk=cluster_id, then=Value(member)) for cluster_id, member in alone.items()],
            output_field=IntegerField()))
        Article.objects.filter(pk__in=list(alone.values())).update(folded_into_cluster=False)


def _id_chunks(queryset, size: int) -> Iterator[list[int]]:
    """The queryset's ids, `size` at a time, in id order (keyset: no OFFSET, nothing held between chunks)."""
    last = 0
    while True:
        chunk = list(queryset.filter(pk__gt=last).order_by("pk").values_list("pk", flat=True)[:size])
        if not chunk:
            return
        yield chunk
        last = chunk[-1]
