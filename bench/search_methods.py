"""Trigram (what the queue uses) against full-text search, on PostgreSQL, for searches editors type.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/newsroom_bench .venv/bin/python bench/search_methods.py

Runs on a database filled by `bench/fill.py` (migration 0003 applied). For
each term, times the queue's own page query (first page, and a deep page)
two ways: as shipped (`articles.search`: substring match, trigram GIN
indexes) and with the text condition replaced by full-text search
(`to_tsvector('simple', title || ' ' || excerpt) @@ phraseto_tsquery(...)`,
GIN expression index, created for the run and dropped afterwards), the
provider condition being the same. Prints median milliseconds and how many
articles each finds: full-text matches whole words only, so it finds fewer.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FTS_INDEX = "bench_article_fts"
FTS_DOCUMENT = "to_tsvector('simple', \"articles_article\".\"title\" || ' ' || \"articles_article\".\"excerpt\")"
TERMS = (
    "harbor", "ashford", "lumen labs", "solar farm", "council", "gazette",  # places, organisations, things, providers
    "transp",  # part of a word
    "education demand doubled in 7",  # a phrase from one story's headline: a few dozen articles
    "no such words",
)


def parse_arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--deep-page", type=int, default=50, help="The deep page (50 rows each; default 50).")
    parser.add_argument("--terms", nargs="+", default=TERMS)
    return parser.parse_args()


def configure_django() -> None:
    sys.path.insert(0, str(ROOT))
    os.environ["DJANGO_SETTINGS_MODULE"] = "newsroom.settings"
    os.environ.setdefault("DEBUG", "1")
    import django
    from django.conf import settings

    django.setup()
    settings.DEBUG = False


def trigram_rows(term: str):
    from django.http import QueryDict

    from articles import selectors

    return selectors.review_queue(QueryDict(f"q={term}")).rows


def full_text_rows(term: str):
    from django.db.models import BooleanField, Q
    from django.db.models.expressions import RawSQL
    from django.http import QueryDict

    from articles import selectors
    from articles.search import provider_match

    matches = RawSQL(f"{FTS_DOCUMENT} @@ phraseto_tsquery('simple', %s)", [term], output_field=BooleanField())
    return selectors.review_queue(QueryDict("")).rows.filter(Q(matches) | provider_match(term))


def timed(queryset, offset: int, repeat: int) -> tuple[float, int]:
    from django.db import connection

    sql, params = queryset[offset: offset + 51].query.sql_with_params()
    times = []
    with connection.cursor() as cursor:
        for _ in range(repeat + 1):
            started = time.perf_counter()
            cursor.execute(sql, params)
            rows = cursor.fetchall()
            times.append(time.perf_counter() - started)
    return statistics.median(times[1:]) * 1000, len(rows)


def main() -> int:
    arguments = parse_arguments()
    configure_django()
    from django.db import connection

    from articles.models import Article

    if connection.vendor != "postgresql":
        sys.exit("Set DATABASE_URL to a filled PostgreSQL database.")
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_indexes WHERE indexname = %s", [FTS_INDEX])
        existed = cursor.fetchone() is not None
        if not existed:
            started = time.perf_counter()
            cursor.execute(f'CREATE INDEX "{FTS_INDEX}" ON "articles_article" USING gin (({FTS_DOCUMENT}))')
            cursor.execute('ANALYZE "articles_article"')
            print(f"full-text index built in {time.perf_counter() - started:.1f} s")
    try:
        total = Article.objects.count()
        deep = (arguments.deep_page - 1) * 50
        print(f"{total:,} articles; median of {arguments.repeat} runs after one warm-up, ms")
        width = max(len(term) for term in arguments.terms)
        print(f"{'term':<{width}} {'trigram found':>13} {'p1':>7} {f'p{arguments.deep_page}':>7}   "
              f"{'full-text found':>15} {'p1':>7} {f'p{arguments.deep_page}':>7}")
        for term in arguments.terms:
            cells = []
            for rows in (trigram_rows(term), full_text_rows(term)):
                found = rows.count()
                first, _ = timed(rows, 0, arguments.repeat)
                deeper, _ = timed(rows, deep, arguments.repeat)
                cells.append((found, first, deeper))
            (t_found, t_first, t_deep), (f_found, f_first, f_deep) = cells
            print(f"{term:<{width}} {t_found:>13,} {t_first:7.1f} {t_deep:7.1f}   {f_found:>15,} {f_first:7.1f} {f_deep:7.1f}")
    finally:
        if not existed:
            with connection.cursor() as cursor:
                cursor.execute(f'DROP INDEX IF EXISTS "{FTS_INDEX}"')
    return 0


if __name__ == "__main__":
    sys.exit(main())
