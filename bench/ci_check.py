"""CI-sized scale check: fails when a page's query count depends on the page number, the page size or the item.

    .venv/bin/python bench/ci_check.py [--articles 3000]
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/test .venv/bin/python bench/ci_check.py

Fills a temporary SQLite file (or, with DATABASE_URL, a throw-away test
database on that server) with generated articles through `bench/fill.py`'s
path, then requests every page of `bench/pages.py` in two or three variants
that must cost the same number of queries: page 1 and a deep page, small and
large page sizes, a plain article and a heavily linked one. Prints the counts;
exits 1 when a page's variants differ or a page fails, 0 otherwise. Pages whose
URL does not exist are reported and skipped. Timings are not checked here:
they belong to the manual runs (docs/PERFORMANCE.md).
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))

import fill  # noqa: E402
import pages  # noqa: E402


def parse_arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--articles", type=int, default=3000, help="Items to generate (default 3000).")
    parser.add_argument("--seed", type=int, default=0)
    return parser.parse_args()


@contextmanager
def fresh_database(workdir: Path):
    """A temporary SQLite file, or a test database created (and dropped afterwards) on DATABASE_URL's server."""
    from django.core.management import call_command
    from django.db import connection

    if connection.vendor == "sqlite":
        call_command("migrate", verbosity=0)
        yield f"sqlite {connection.settings_dict['NAME']}"
        return
    old_name = connection.settings_dict["NAME"]
    connection.settings_dict["TEST"]["NAME"] = f"newsroom_ci_check_{os.getpid()}"  # never the test suite's database
    name = connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
    try:
        yield f"{connection.vendor} {name} (temporary)"
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


def variants(stock_changelist: str) -> list[tuple[str, list[str]]]:
    """Each page with URLs that must cost the same queries. REVIEW_* are filled in with real articles;
    WALK:<query>:<page> is the queue page the pager's Next links lead to (a cursor, not an offset)."""
    filtered = "status=awaiting&category=news&o=-heat"
    return [
        ("dashboard", ["/", "/"]),
        ("queue", ["/articles/", "/articles/?page=20", "WALK::20", "/articles/?size=200", "/articles/?size=25&page=7"]),
        ("queue search", ["/articles/?q=harbor", "/articles/?q=harbor&page=5", "WALK:q=harbor:5",
                          "/articles/?q=council&size=200"]),
        ("queue 2 filters o=-heat", [f"/articles/?{filtered}", f"/articles/?{filtered}&page=3&size=100",
                                     f"WALK:{filtered}:3"]),
        ("review page", ["REVIEW_PLAIN", "REVIEW_LINKED"]),
        ("admin changelist", ["/admin/articles/article/", "/admin/articles/article/?p=20"]),
        ("admin changelist filtered", ["/admin/articles/article/?status__exact=awaiting",
                                       "/admin/articles/article/?status__exact=awaiting&p=10"]),
        ("admin search", ["/admin/articles/article/?q=harbor", "/admin/articles/article/?q=harbor&p=3"]),
        ("api", ["/api/articles/", "API_DEEP", "/api/articles/?limit=100", "/api/articles/?limit=5&category=news"]),
        ("rss", ["/feeds/rss/", "/feeds/rss/"]),
        ("atom", ["/feeds/atom/", "/feeds/atom/"]),
    ]


def review_pair() -> tuple[str, str]:
    """The article with the fewest children and the one with the most (topics, images, related, duplicates)."""
    from django.db.models import Count

    from articles.models import Article

    ranked = Article.objects.filter(changed_since_review=False).annotate(
        children=Count("topic_links", distinct=True) + Count("images", distinct=True)
        + Count("related", distinct=True) + Count("duplicates", distinct=True)
    ).order_by("children", "pk").values_list("pk", flat=True)
    plain, linked = ranked.first(), ranked.reverse().first()
    return f"/articles/{plain}/", f"/articles/{linked}/"


def walked(spec: str) -> str | None:
    _, query, page = spec.split(":")
    found = pages.walked_url(query, int(page))
    return found[1] if found else None


def count_queries(client, url: str) -> tuple[int, int]:
    from django.db import connection

    log = pages.QueryLog()
    with connection.execute_wrapper(log):
        response = client.get(url)
    return response.status_code, log.count


def main() -> int:
    arguments = parse_arguments()
    started = time.perf_counter()
    workdir = Path(tempfile.mkdtemp(prefix="newsroom-ci-check-"))
    os.environ["ALLOWED_HOSTS"] = "testserver,localhost"
    fill.configure_django(None if os.environ.get("DATABASE_URL") else workdir / "ci.sqlite3")
    try:
        with fresh_database(workdir) as database:
            return check(arguments, workdir, database, started)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


# Pages that read a story's other members in one more query, only when their rows include a story (the fill
# clusters like an import): one page may hold one and the next none, so their counts may differ by that query.
STORY_READS = {"queue": 1, "queue search": 1, "queue 2 filters o=-heat": 1, "review page": 1}


def check(arguments, workdir: Path, database: str, started: float) -> int:
    from django.contrib import admin
    from django.test import Client

    from articles.models import Article

    fill.import_all(count=arguments.articles, seed=arguments.seed, chunk=1000, workdir=workdir, quiet=True)
    editor = fill.bench_editor()
    fill.spread_import_times(30)
    fill.add_editorial_state(editor)
    print(f"filled {database} with {Article.objects.count():,} articles in {time.perf_counter() - started:.0f} s")

    stock_changelist = pages.install_stock_admin()
    client = Client()
    client.force_login(editor)
    plain, linked = review_pair()
    api_deep = pages.api_deep_url(client, 10) if pages.url_exists("/api/articles/") else None
    failures = []
    for name, urls in variants(stock_changelist):
        urls = [{"REVIEW_PLAIN": plain, "REVIEW_LINKED": linked, "API_DEEP": api_deep}.get(url, url) for url in urls]
        urls = [walked(url) if url and url.startswith("WALK:") else url for url in urls]
        if None in urls:
            print(f"{name:<28} skipped: no deep API or queue page")
            continue
        if not pages.url_exists(urls[0]) or (name.startswith("admin") and Article not in admin.site._registry):
            print(f"{name:<28} skipped: no such page yet")
            continue
        counts = []
        for url in urls:
            count_queries(client, url)  # warm-up: per-process caches (content types, templates)
            status, count = count_queries(client, url)
            if status != 200:
                failures.append(f"{name}: {url} answered {status}")
            counts.append(count)
        constant = max(counts) - min(counts) <= STORY_READS.get(name, 0)
        if not constant:
            failures.append(f"{name}: query counts {counts} for {urls}")
        shown = "  ".join(f"{count:>3} {url}" for count, url in zip(counts, urls))
        print(f"{name:<28} {'ok  ' if constant else 'FAIL'}  {shown}")
    print(f"{time.perf_counter() - started:.0f} s in all")
    for failure in failures:
        print("FAIL:", failure)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
