"""Server time and query count of every page an editor or a consumer hits, on an already-filled database.

    .venv/bin/python bench/pages.py --sqlite /tmp/newsroom-100k.sqlite3 [--repeat 20]
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/newsroom_bench .venv/bin/python bench/pages.py

Fill the database first with `bench/fill.py`. One process, Django's test client,
logged in as an editor (staff, in the Editors group; `bench/fill.py` creates
it). Each page is requested twice to warm up, then `--repeat` times; the table
shows median and 95th percentile of the time `client.get` takes (the whole
Django stack, middleware and template rendering included, no network), the
median CPU time of this process per request (steadier than wall time on a busy
machine; on PostgreSQL it leaves out the server's own work), and the queries
each request ran. A stock `ModelAdmin` (defaults only, the same
list_display as ours) is registered on a separate AdminSite, here and not in
the product, so the queue can be compared with what Django gives for free (with our page size, so both
lists show as many rows).
Deep queue pages are measured both ways an editor reaches them: `page=500` typed
in (an OFFSET) and "by Next links" (the URL the pager's Next link gives on that
page, a keyset cursor; the last page when the list has fewer than 500).
Pages whose URL does not exist yet are listed as skipped.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
import types
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EDITOR = "bench-editor"


def parse_arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--sqlite", type=Path, help="Filled SQLite file (ignored when DATABASE_URL is set).")
    parser.add_argument("--repeat", type=int, default=20, help="Timed requests per page (default 20).")
    parser.add_argument("--search", default="harbor", help="Text for the search pages (default: harbor).")
    parser.add_argument("--deep-page", type=int, default=500, help="The deep queue page (default 500).")
    parser.add_argument("--median-target", type=float, default=50.0, help="Median target in ms (default 50).")
    parser.add_argument("--p95-target", type=float, default=150.0, help="95th percentile target in ms (default 150).")
    parser.add_argument("--only", help="Measure only pages whose name contains this text.")
    parser.add_argument("--explain", action="store_true", help="Print each page's slowest query and its plan.")
    return parser.parse_args()


def configure_django(sqlite: Path | None) -> None:
    sys.path.insert(0, str(ROOT))
    os.environ["DJANGO_SETTINGS_MODULE"] = "newsroom.settings"
    os.environ.setdefault("DEBUG", "1")
    os.environ["ALLOWED_HOSTS"] = "testserver,localhost"
    if sqlite and not os.environ.get("DATABASE_URL"):
        if not sqlite.exists():
            sys.exit(f"{sqlite}: no such file (fill it first with bench/fill.py)")
        os.environ["SQLITE_PATH"] = str(sqlite.resolve())
    import django
    from django.conf import settings

    django.setup()
    settings.DEBUG = False  # no query log, no debug pages: production's code path


# --- the stock admin ----------------------------------------------------------------------


def naive_thumbnail(admin, article):
    """What a thumbnail column looks like without our changelist's subquery: one query per row."""
    from django.utils.html import format_html

    image = article.images.first()
    return format_html('<img src="{}" width="64" height="40" alt="">', image.url) if image else ""


STOCK_COLUMNS = {"thumbnail": naive_thumbnail}


def install_stock_admin() -> str:
    """Serve a defaults-only ModelAdmin at /stock-admin/ beside the project's URLs; returns its changelist path."""
    from django.conf import settings
    from django.contrib import admin
    from django.urls import clear_url_caches, include, path

    from articles.models import Article

    ours = admin.site._registry.get(Article)
    columns = {}
    for name in ours.list_display if ours else ("__str__",):
        if name in STOCK_COLUMNS:
            columns[name] = STOCK_COLUMNS[name]
        elif not hasattr(Article, name) and ours and callable(getattr(ours, name, None)):
            columns[name] = staticmethod(getattr(ours, name))  # our admin's column, bound to our admin
    list_display = list(ours.list_display) if ours else ["__str__"]
    site = admin.AdminSite(name="stockadmin")
    stock = {
        "list_display": list_display, "list_per_page": ours.list_per_page if ours else 100,
        "change_list_template": "admin/change_list.html",  # not ours (admin/articles/article/change_list.html)
    }
    site.register(Article, type("StockArticleAdmin", (admin.ModelAdmin,), {**stock, **columns}))
    urls = types.ModuleType("bench_pages_urls")
    urls.urlpatterns = [path("stock-admin/", site.urls), path("", include(settings.ROOT_URLCONF))]
    sys.modules[urls.__name__] = urls
    settings.ROOT_URLCONF = urls.__name__
    clear_url_caches()
    return "/stock-admin/articles/article/"


# --- measuring ------------------------------------------------------------------------------


class QueryLog:
    """Counts queries and keeps the slowest one of a request, without DEBUG's per-query bookkeeping."""

    def __init__(self):
        self.count = 0
        self.slowest = (0.0, "", None)

    def __call__(self, execute, sql, params, many, context):
        self.count += 1
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            took = time.perf_counter() - started
            if took > self.slowest[0]:
                self.slowest = (took, sql, params)


@dataclass
class Measurement:
    name: str
    url: str
    times: list[float] = field(default_factory=list)
    cpu_times: list[float] = field(default_factory=list)
    queries: set[int] = field(default_factory=set)
    status: int = 0
    skipped: str = ""
    slowest: tuple = (0.0, "", None)

    @property
    def median(self) -> float:
        return statistics.median(self.times) * 1000

    @property
    def cpu_median(self) -> float:
        return statistics.median(self.cpu_times) * 1000

    @property
    def p95(self) -> float:
        ordered = sorted(self.times)
        return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))] * 1000


def measure(client, name: str, url: str, repeat: int) -> Measurement:
    from django.db import connection

    result = Measurement(name, url)
    for attempt in range(repeat + 2):
        log = QueryLog()
        with connection.execute_wrapper(log):
            started, cpu_started = time.perf_counter(), time.process_time()
            response = client.get(url)
            took, cpu = time.perf_counter() - started, time.process_time() - cpu_started
        result.status = response.status_code
        if response.status_code != 200:
            result.skipped = f"HTTP {response.status_code}"
            return result
        if attempt >= 2:  # the first two warm caches
            result.times.append(took)
            result.cpu_times.append(cpu)
            result.queries.add(log.count)
            if log.slowest[0] > result.slowest[0]:
                result.slowest = log.slowest
    return result


def url_exists(url: str) -> bool:
    from django.urls import Resolver404, resolve

    try:
        resolve(url.split("?", 1)[0])
    except Resolver404:
        return False
    return True


# --- which pages ----------------------------------------------------------------------------


def admin_filter_query() -> str | None:
    """A filter our admin offers: status when it is a list_filter, else the first plain field filter."""
    from django.contrib import admin

    from articles.models import Article

    ours = admin.site._registry.get(Article)
    if ours is None:
        return None
    names = [item if isinstance(item, str) else item[0] if isinstance(item, tuple) else None for item in ours.list_filter]
    if "status" in names:
        return "status__exact=awaiting"
    return "status__exact=awaiting" if not names else f"{names[0]}__isnull=False" if names[0] else None


def api_deep_url(client, pages: int) -> str | None:
    """The API URL `pages` cursor pages in, found by following `next`."""
    url = "/api/articles/"
    for _ in range(pages):
        response = client.get(url)
        if response.status_code != 200:
            return None
        following = response.json().get("next")
        if not following:
            return None
        url = following.replace("http://testserver", "")
    return url


def walked_url(query: str, deep: int) -> tuple[int, str] | None:
    """The URL the queue's Next link leads to on page `deep` (or on its last page, if it has fewer), as
    walking page by page reaches it: page number plus the cursor of the previous page's last row."""
    from django.http import QueryDict

    from articles import paging, selectors

    params = QueryDict(query)
    queue = selectors.review_queue(params)
    size = selectors.DEFAULT_PAGE_SIZE
    last_page = max(1, (queue.rows.count() + size - 1) // size)
    page = min(deep, last_page)
    if page < 2:
        return None
    previous_last = queue.rows[(page - 1) * size - 1]
    token = paging.encode_position(paging.position_of(previous_last, queue.ordering), queue.ordering)
    return page, f"/articles/?{query}{'&' if query else ''}page={page}&after={token}"


def review_urls(limit: int = 5) -> list[str]:
    """A few articles an editor would open: reviewed ones that changed upstream, duplicates, plain ones."""
    from articles.models import Article

    picks = list(Article.objects.filter(changed_since_review=True).order_by("-id").values_list("pk", flat=True)[:2])
    picks += list(Article.objects.filter(is_possible_duplicate=True).order_by("-id").values_list("pk", flat=True)[:2])
    picks += list(Article.objects.order_by("-id").values_list("pk", flat=True)[:limit - len(picks)])
    return [f"/articles/{pk}/" for pk in picks]


def story_review_url() -> str | None:
    """The review page of the newest article in a story (none before clustering has run)."""
    from articles.models import Article

    pk = Article.objects.filter(cluster__isnull=False).order_by("-id").values_list("pk", flat=True).first()
    return f"/articles/{pk}/" if pk else None


def pages(client, arguments, stock_changelist: str) -> list[tuple[str, str]]:
    deep = arguments.deep_page
    q = arguments.search
    filtered = "status=awaiting&category=news&o=-heat"
    admin_filter = admin_filter_query()
    walked = {name: walked_url(query, deep) for name, query in (("", ""), ("q", f"q={q}"), ("2", filtered))}

    def by_next_links(label: str, key: str) -> list[tuple[str, str]]:
        if walked[key] is None:
            return []
        page, url = walked[key]
        return [(f"{label}, page {page} by Next links", url)]

    listed = [
        ("dashboard", "/"),
        ("queue", "/articles/"),
        (f"queue page {deep}", f"/articles/?page={deep}"),
        *by_next_links("queue", ""),
        (f"queue q={q}", f"/articles/?q={q}"),
        (f"queue q={q} page {deep}", f"/articles/?q={q}&page={deep}"),
        *by_next_links(f"queue q={q}", "q"),
        ("queue 2 filters, o=-heat", f"/articles/?{filtered}"),
        (f"queue 2 filters, o=-heat, page {deep}", f"/articles/?{filtered}&page={deep}"),
        *by_next_links("queue 2 filters, o=-heat", "2"),
        ("review page", "REVIEW"),
        ("queue, every item (show=items)", "/articles/?show=items"),
        ("queue, items in a story (clustered=true)", "/articles/?clustered=true"),
        *([("review page of a story", story)] if (story := story_review_url()) else []),
        ("admin changelist", "/admin/articles/article/"),
        (f"admin changelist {admin_filter or '(no admin yet)'}", f"/admin/articles/article/?{admin_filter or ''}"),
        (f"admin changelist page {deep}", f"/admin/articles/article/?p={deep}"),
        ("stock changelist", stock_changelist),
        ("stock changelist status__exact=awaiting", f"{stock_changelist}?status__exact=awaiting"),
        (f"stock changelist page {deep}", f"{stock_changelist}?p={deep}"),
        ("api page 1", "/api/articles/"),
        ("api 50 cursor pages deep", "API_DEEP"),
        ("rss", "/feeds/rss/"),
    ]
    if arguments.only:
        listed = [(name, url) for name, url in listed if arguments.only in name]
    return listed


def main() -> int:
    arguments = parse_arguments()
    configure_django(arguments.sqlite)

    from django.contrib import admin
    from django.contrib.auth.models import Group, User
    from django.db import connection
    from django.test import Client

    from articles.models import Article

    stock_changelist = install_stock_admin()
    editor, _ = User.objects.get_or_create(username=EDITOR, defaults={"is_staff": True})
    editor.groups.add(Group.objects.get(name="Editors"))
    client = Client()
    client.force_login(editor)

    total = Article.objects.count()
    print(f"database: {connection.vendor} {connection.settings_dict['NAME']}, {total:,} articles; "
          f"{arguments.repeat} timed requests per page after 2 warm-ups")
    results: list[Measurement] = []
    for name, url in pages(client, arguments, stock_changelist):
        if url == "REVIEW":
            urls = review_urls()
            result = Measurement(name, urls[0] if urls else "/articles/<pk>/")
            if not urls or not url_exists(urls[0]):
                result.skipped = "no review URL yet"
            else:
                for each in urls:
                    one = measure(client, name, each, max(1, arguments.repeat // len(urls)))
                    result.times += one.times
                    result.cpu_times += one.cpu_times
                    result.queries |= one.queries
                    result.skipped = result.skipped or one.skipped
                    result.slowest = max(result.slowest, one.slowest, key=lambda s: s[0])
            results.append(result)
            continue
        if url == "API_DEEP":
            url = api_deep_url(client, 50) if url_exists("/api/articles/") else None
            if url is None:
                results.append(Measurement(name, "/api/articles/?cursor=…", skipped="no API or fewer than 51 pages"))
                continue
        if name.startswith("admin") and Article not in admin.site._registry:
            results.append(Measurement(name, url, skipped="Article not registered in the admin yet"))
            continue
        if not url_exists(url):
            results.append(Measurement(name, url, skipped="no such URL yet"))
            continue
        results.append(measure(client, name, url, arguments.repeat))
        print(".", end="", flush=True)
    print()
    report(results, arguments)
    if arguments.explain:
        explain(results)
    return 0


def report(results: list[Measurement], arguments) -> None:
    width = max(len(r.name) for r in results)
    print(f"{'page':<{width}}  {'median ms':>9}  {'p95 ms':>7}  {'cpu ms':>6}  {'queries':>7}  verdict")
    for r in results:
        if r.skipped:
            print(f"{r.name:<{width}}  {'-':>9}  {'-':>7}  {'-':>6}  {'-':>7}  skipped: {r.skipped}")
            continue
        queries = "/".join(str(n) for n in sorted(r.queries))
        ok = r.median <= arguments.median_target and r.p95 <= arguments.p95_target
        verdict = "ok" if ok else f"SLOW (target {arguments.median_target:g}/{arguments.p95_target:g})"
        if r.name.startswith("stock"):
            verdict = "(reference)"
        print(f"{r.name:<{width}}  {r.median:9.1f}  {r.p95:7.1f}  {r.cpu_median:6.1f}  {queries:>7}  {verdict}")
    by_name = {r.name: r for r in results if not r.skipped}
    for ours, theirs in (
        ("queue", "stock changelist"),
        (f"queue page {arguments.deep_page}", f"stock changelist page {arguments.deep_page}"),
        ("admin changelist", "stock changelist"),
    ):
        if ours in by_name and theirs in by_name:
            ratio = by_name[theirs].median / by_name[ours].median
            print(f"{ours} vs {theirs}: {ratio:.1f}x faster (target for the queue: 3x)")


def explain(results: list[Measurement]) -> None:
    from django.db import connection

    for r in results:
        if r.skipped or not r.slowest[1]:
            continue
        took, sql, params = r.slowest
        print(f"\n== {r.name}: slowest query {took * 1000:.1f} ms\n{sql % tuple(repr(p) for p in params or ())}"[:3000])
        prefix = "EXPLAIN ANALYZE " if connection.vendor == "postgresql" else "EXPLAIN QUERY PLAN "
        with connection.cursor() as cursor:
            cursor.execute(prefix + sql, params)
            for row in cursor.fetchall():
                print("   ", " | ".join(str(cell) for cell in row))


if __name__ == "__main__":
    sys.exit(main())
