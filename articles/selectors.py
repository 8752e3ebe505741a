"""The reads behind the dashboard, the review queue and the review page.

Each function returns rows ready to render (relations joined or prefetched), so
a page costs the same few queries whatever its size. The queue never counts the
whole filtered table: it fetches one row more than a page to know whether
there is a next one (`QueuePage`), because a COUNT(*) over a text search on
100,000 rows costs more than the page itself. The dashboard's aggregates are
cached for a minute (`cached_for_dashboard`); its latest import runs never are.
"""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass, field

from django.core.cache import cache
from django.db import connections
from django.db.models import Count, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.http import QueryDict
from django.utils import timezone
from django.utils.formats import date_format

from . import paging
from .filters import ReviewQueueFilter
from .models import Article, ArticleImage, ArticleTopic, AuditEntry, ImportRun, Provider, Topic
from .schema import NOT_SCORED

DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 200
DEFAULT_ORDERING = ("-published_date_time", "-id")


# --- the review queue ------------------------------------------------------------------

QUEUE_ROW_FIELDS = (
    "id", "title", "category", "type", "published_date_time", "imported_at", "quality", "heat", "status",
    "version", "changed_since_review", "is_possible_duplicate", "needs_attention", "provider", "cluster",
)


def queue_rows() -> QuerySet[Article]:
    """Articles with what a queue row shows: provider, topics and the first image's URL."""
    thumbnail = ArticleImage.objects.filter(article=OuterRef("pk")).order_by("position").values("url")[:1]
    return (
        Article.objects.select_related("provider")
        .only(*QUEUE_ROW_FIELDS, "provider__key", "provider__name", "provider__domain")
        .annotate(thumbnail_url=Subquery(thumbnail))
        .prefetch_related(Prefetch("topic_links", queryset=ArticleTopic.objects.select_related("topic")))
    )


@dataclass
class ReviewQueue:
    """A filtered queue: the FilterSet (for the form and its errors) and its rows in a total order."""

    filterset: ReviewQueueFilter
    ordering: paging.Ordering  # (field, descending), ending with the primary key

    @property
    def rows(self) -> QuerySet[Article]:
        return self.filterset.qs.order_by(*paging.order_expressions(Article, self.ordering))


def review_queue(params: QueryDict, *, queryset: QuerySet[Article] | None = None) -> ReviewQueue:
    """The queue filtered by `params` (the FilterSet's plain names), newest first unless `o` says otherwise.

    The order always ends with the primary key and puts missing dates last on
    every database, so pages never overlap and previous/next is well defined.
    """
    filterset = ReviewQueueFilter(params, queryset=queryset if queryset is not None else queue_rows())
    return ReviewQueue(filterset=filterset, ordering=paging.total_ordering(filterset.ordering, default=DEFAULT_ORDERING))


@dataclass
class QueuePage:
    """One page of the queue, counted by peeking one row ahead instead of COUNT(*).

    `next_cursor` / `previous_cursor` are the positions of its last and first rows: the pager's
    links carry them, so walking page by page reads from there through an index range, and
    page 500 reached that way costs what page 1 costs. A page number typed in is an OFFSET.
    """

    items: list = field(default_factory=list)
    number: int = 1
    size: int = DEFAULT_PAGE_SIZE
    has_next: bool = False
    ordering: paging.Ordering = field(default_factory=lambda: paging.total_ordering(DEFAULT_ORDERING))

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def next_page_number(self) -> int:
        return self.number + 1

    @property
    def previous_page_number(self) -> int | None:
        """None for the first page, whose link is the plain queue URL."""
        return self.number - 1 if self.number > 2 else None

    @property
    def next_cursor(self) -> str | None:
        return self.cursor_of(self.items[-1]) if self.has_next and self.items else None

    @property
    def previous_cursor(self) -> str | None:
        return self.cursor_of(self.items[0]) if self.number > 2 and self.items else None

    def cursor_of(self, article: Article) -> str:
        return paging.encode_position(paging.position_of(article, self.ordering), self.ordering)

    @property
    def start_index(self) -> int:
        return (self.number - 1) * self.size + 1 if self.items else 0

    @property
    def end_index(self) -> int:
        return (self.number - 1) * self.size + len(self.items)


def parse_positive_int(value, *, default: int, maximum: int) -> int:
    try:
        number = int(value)
    except (TypeError, ValueError):
        return default
    return min(max(number, 1), maximum)


def queue_page(
    rows: QuerySet[Article], *, page=1, size=DEFAULT_PAGE_SIZE, ordering: paging.Ordering | None = None,
    after: str | None = None, before: str | None = None,
) -> QueuePage:
    """A page of `rows` (sorted by `ordering`): the rows beyond the position `after` (or those just before
    `before`) when it is a valid cursor, else page number `page`. Either way its ids first, then only
    those rows (`paging`). `page` stays the page's number for display when a cursor picks its rows.
    """
    ordering = ordering or paging.total_ordering(DEFAULT_ORDERING)
    number = parse_positive_int(page, default=1, maximum=100_000)
    size = parse_positive_int(size, default=DEFAULT_PAGE_SIZE, maximum=MAX_PAGE_SIZE)
    ids_in_order = rows.prefetch_related(None).values_list("pk", flat=True)
    start_after = paging.decode_position(Article, after, ordering) if after else None
    end_before = paging.decode_position(Article, before, ordering) if before and not start_after else None
    if start_after:
        ids = paging.walk(ids_in_order, start_after, ordering, backwards=False, limit=size + 1)
        has_next = len(ids) > size
    elif end_before and number > 1:
        ids = paging.walk(ids_in_order, end_before, ordering, backwards=True, limit=size + 1)[::-1]
        if len(ids) <= size:  # rows left the queue meanwhile: fewer than a page before this one
            ids, number = paging.ids_at(rows, 0, size + 1), 1
            has_next = len(ids) > size
        else:
            ids, has_next = ids[1:], True
    else:
        offset = (number - 1) * size
        ids = paging.ids_at(rows, offset, offset + size + 1)
        has_next = len(ids) > size
    ids = ids[:size]
    items = paging.in_order(paging.rows_for(rows, ids).order_by(), ids) if ids else []
    return QueuePage(items=items, number=number, size=size, has_next=has_next, ordering=ordering)


@dataclass(frozen=True)
class Neighbours:
    """The articles before and after one in a queue, and the queue parameters that could not be read (by name).
    Unpacks as (previous, next)."""

    previous: Article | None
    next: Article | None
    errors: dict

    def __iter__(self):
        return iter((self.previous, self.next))


def neighbours_in_queue(article: Article, params: QueryDict) -> Neighbours:
    """The articles before and after `article` in the queue `params` describe.

    Compares on the article's current values (keyset), so it works on any page
    and still works after the article itself left the filter (say, once published).
    """
    queue = review_queue(params, queryset=Article.objects.only("pk", "title"))
    rows = queue.filterset.qs
    return Neighbours(
        step(rows, article, queue.ordering, backwards=True), step(rows, article, queue.ordering, backwards=False),
        dict(queue.filterset.errors),
    )


def step(rows: QuerySet[Article], article: Article, ordering: paging.Ordering, *, backwards: bool):
    """The first row beyond `article` walking `ordering` (backwards: walking it in reverse)."""
    found = paging.walk(rows, paging.position_of(article, ordering), ordering, backwards=backwards, limit=1)
    return found[0] if found else None


# --- the review page ---------------------------------------------------------------------


def article_for_review(pk: int) -> Article:
    """One article with everything the review page shows; raises Article.DoesNotExist."""
    return (
        Article.objects.select_related("provider", "reviewed_by", "published_by")
        .prefetch_related(
            Prefetch("topic_links", queryset=ArticleTopic.objects.select_related("topic")),
            "images",
            "related",
            Prefetch("duplicates", queryset=Article.objects.only("pk", "title", "status", "source_key")),
        )
        .get(pk=pk)
    )


def related_with_copies(article: Article) -> list:
    """The article's related items, each with `our_copy`: one of our articles with the same canonical URL."""
    related = list(article.related.all())
    keys = {item.web_url_key for item in related if item.web_url_key}
    copies = {}
    if keys:
        for copy in Article.objects.filter(Q(web_url_key__in=keys) | Q(original_url_key__in=keys)).only(
            "pk", "title", "status", "web_url_key", "original_url_key"
        ).order_by("pk"):
            for key in (copy.web_url_key, copy.original_url_key):
                if key in keys:
                    copies.setdefault(key, copy)
    for item in related:
        item.our_copy = copies.get(item.web_url_key)
    return related


def audit_history(article: Article, *, limit: int = 100) -> list[AuditEntry]:
    return list(AuditEntry.objects.filter(article=article).select_related("user").order_by("-at", "-id")[:limit])


def recent_changes(*, limit: int = 10) -> list[AuditEntry]:
    """The latest editorial changes (not imports) to any article, newest first, read backwards along the time
    index: the admin index page's "Recent actions"."""
    return list(
        AuditEntry.objects.exclude(source=AuditEntry.Source.IMPORT)
        .select_related("user", "article").only("at", "source", "action", "field", "article__title", "user__username")
        .order_by("-at", "-id")[:limit]
    )


@dataclass(frozen=True)
class UpstreamChange:
    field: str
    old_value: object
    new_value: object
    at: dt.datetime


def upstream_changes(article: Article) -> list[UpstreamChange]:
    """What imports changed on a reviewed article since its review, one line per field (oldest value to newest)."""
    if not article.changed_since_review:
        return []
    entries = AuditEntry.objects.filter(
        article=article, source=AuditEntry.Source.IMPORT, action="reimport"
    ).order_by("at", "id")
    if article.reviewed_at:
        entries = entries.filter(at__gte=article.reviewed_at)
    changes: dict[str, UpstreamChange] = {}
    for entry in entries:
        first = changes.get(entry.field)
        old_value = first.old_value if first else entry.old_value
        changes[entry.field] = UpstreamChange(entry.field, old_value, entry.new_value, entry.at)
    return list(changes.values())


# --- the dashboard -------------------------------------------------------------------------


def start_of_today(now: dt.datetime | None = None) -> dt.datetime:
    return timezone.localtime(now).replace(hour=0, minute=0, second=0, microsecond=0)


DASHBOARD_CACHE_SECONDS = 60
DASHBOARD_CACHE_PREFIX = "newsroom:dashboard:v1"


def cached_for_dashboard(function):
    """Keep an aggregate for a minute: together they read the article table's indexes (about 0.3 s at 1M
    rows on PostgreSQL), and figures a minute old do for an overview. The key holds the local day, so "today" and the
    chart's days turn over at midnight, not up to a minute after it."""

    @functools.wraps(function)
    def cached(*args, **kwargs):
        day = f"{timezone.get_current_timezone_name()}:{start_of_today(kwargs.get('now')).date().isoformat()}"
        arguments = [str(arg) for arg in args] + [f"{k}={v}" for k, v in sorted(kwargs.items()) if k != "now"]
        key = ":".join([DASHBOARD_CACHE_PREFIX, function.__name__, *arguments, day])
        return cache.get_or_set(key, lambda: function(*args, **kwargs), DASHBOARD_CACHE_SECONDS)

    return cached


@cached_for_dashboard
def dashboard_counts(*, now: dt.datetime | None = None) -> dict[str, int]:
    """The numbers an editor acts on. Each count reads an index only (status, import time, the partial
    indexes on the two flags), never the wide article rows: hence COUNT(*) and counts of indexed
    columns, not COUNT(id), in these aggregates."""
    by_status = dict(Article.objects.order_by().values_list("status").annotate(n=Count("*")))
    counts = {status.name.lower(): by_status.get(status.value, 0) for status in Article.Status}
    return {
        "awaiting": counts["awaiting_review"],
        "published": counts["published"],
        "rejected": counts["rejected"],
        "total": sum(by_status.values()),
        "imported_today": Article.objects.filter(imported_at__gte=start_of_today(now)).count(),
        "duplicates": Article.objects.filter(is_possible_duplicate=True).count(),
        "changed": Article.objects.filter(changed_since_review=True).count(),
    }


def latest_import_runs(*, limit: int = 5) -> list[ImportRun]:
    """Never cached: a LIMIT read of a small table, and an import that just finished must show at once."""
    return list(ImportRun.objects.order_by("-started_at", "-id")[:limit])


@dataclass(frozen=True)
class Bar:
    label: str
    value: int
    query: str = ""  # the queue's query string for this bar, when it has one
    title: str = ""


@cached_for_dashboard
def imports_per_day(*, days: int = 30, now: dt.datetime | None = None) -> list[Bar]:
    """Articles imported on each of the last `days` days (today included), in one pass over the
    import-time index: a count per day range, since truncating every row's timestamp costs far more."""
    first = start_of_today(now) - dt.timedelta(days=days - 1)
    starts = [first + dt.timedelta(days=offset) for offset in range(days + 1)]
    day_ranges = {
        f"day{offset}": Q(imported_at__gte=starts[offset], imported_at__lt=starts[offset + 1]) for offset in range(days)
    }
    counts = Article.objects.filter(imported_at__gte=first).aggregate(
        **{name: Count("imported_at", filter=day) for name, day in day_ranges.items()}
    )
    bars = []
    for offset in range(days):
        day, count = starts[offset].date(), counts[f"day{offset}"]
        bars.append(Bar(
            label=date_format(day, "MONTH_DAY_FORMAT"), value=count, title=f"{count} imported on {date_format(day)}"
        ))
    return bars


SCORE_BUCKETS = ((None, -1), (0, 24), (25, 49), (50, 74), (75, 99), (100, 149), (150, None))


@cached_for_dashboard
def score_distribution(score: str, *, status: str = Article.Status.AWAITING_REVIEW) -> list[Bar]:
    """How the queue's `score` ("quality" or "heat") spreads over fixed buckets; each bar links to its slice."""
    buckets = {}
    for low, high in SCORE_BUCKETS:
        condition = Q()
        if low is not None:
            condition &= Q(**{f"{score}__gte": low})
        if high is not None:
            condition &= Q(**{f"{score}__lte": high})
        buckets[bucket_key(low, high)] = Count(score, filter=condition)
    counts = Article.objects.filter(status=status).aggregate(**buckets)
    bars = []
    for low, high in SCORE_BUCKETS:
        label = bucket_label(score, low, high)
        params = QueryDict(mutable=True)
        params["status"] = status
        if low is not None:
            params[f"{score}_min"] = str(low)
        if high is not None:
            params[f"{score}_max"] = str(high)
        count = counts[bucket_key(low, high)]
        bars.append(Bar(label=label, value=count, query=params.urlencode(), title=f"{count} with {score} {label}"))
    return bars


def bucket_key(low, high) -> str:
    return f"b_{'min' if low is None else low}_{'max' if high is None else high}".replace("-", "m")


def bucket_label(score: str, low, high) -> str:
    if low is None:
        return NOT_SCORED if score == "heat" else f"< {high + 1}"
    if high is None:
        return f"{low}+"
    return f"{low}–{high}"


SUGGESTIONS_MAX = 200
SUGGESTIONS_CACHE_SECONDS = 60
SUGGESTIONS_CACHE_KEY = "newsroom:filter-suggestions:v2"


def filter_suggestions() -> dict[str, list]:
    """What the filter form offers for category, type, provider and topic: at most SUGGESTIONS_MAX of each.

    Categories and types are walked from their indexes; providers and topics are read in the order of their
    unique key, LIMITed. Four bounded queries whatever the number of articles, and none at all for a minute
    after: a category imported meanwhile is offered a minute later, and can be typed at once.
    """
    return cache.get_or_set(SUGGESTIONS_CACHE_KEY, read_filter_suggestions, SUGGESTIONS_CACHE_SECONDS)


def read_filter_suggestions() -> dict[str, list]:
    def known(name):
        return [value for value in distinct_values(Article, name, SUGGESTIONS_MAX + 1) if value][:SUGGESTIONS_MAX]

    return {
        "categories": known("category"),
        "types": known("type"),
        "providers": list(Provider.objects.order_by("key").values_list("key", "name")[:SUGGESTIONS_MAX]),
        "topics": list(Topic.objects.order_by("slug").values_list("slug", "name")[:SUGGESTIONS_MAX]),
    }


def distinct_values(model, field_name: str, limit: int) -> list:
    """A column's distinct values by walking its index (PostgreSQL wiki: "loose indexscan"), one probe per value.

    SELECT DISTINCT sorts every row; with a handful of values over 100,000
    rows, stepping from each value to the next is a few index lookups.
    """
    connection = connections[model.objects.db]
    quote = connection.ops.quote_name
    table, column = quote(model._meta.db_table), quote(model._meta.get_field(field_name).column)
    sql = (
        f"WITH RECURSIVE walk(value, n) AS ("
        f" SELECT MIN({column}), 1 FROM {table}"
        f" UNION ALL"
        f" SELECT (SELECT MIN({column}) FROM {table} WHERE {column} > walk.value), n + 1"
        f" FROM walk WHERE walk.value IS NOT NULL AND n < %s"
        f") SELECT value FROM walk WHERE value IS NOT NULL"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [limit])
        return [row[0] for row in cursor.fetchall()]
