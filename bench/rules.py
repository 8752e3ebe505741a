"""Ingest rule previews: how long `rules.preview` (count + the newest 20) takes for typical rules on a filled database.

    createdb -h 127.0.0.1 -U postgres nr_rules1m
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/nr_rules1m .venv/bin/python bench/fill.py --articles 100000 --copies 10
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/nr_rules1m .venv/bin/python bench/rules.py [--repeat 5] [--explain]

Rules are built in memory, never saved: the database is only read. Each rule is previewed once to warm the
cache, then `--repeat` times; the line gives the median and the slowest, with the match count. Target: under
a second at 1,000,000 articles on PostgreSQL.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGET_SECONDS = 1.0


def parse_arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--repeat", type=int, default=5, help="Timed previews per rule (default 5).")
    parser.add_argument("--explain", action="store_true", help="Print each count query's plan (PostgreSQL).")
    parser.add_argument("--check", action="store_true", help="Exit with status 1 when a preview misses the target.")
    return parser.parse_args()


def configure_django() -> None:
    sys.path.insert(0, str(ROOT))
    os.environ["DJANGO_SETTINGS_MODULE"] = "newsroom.settings"
    os.environ.setdefault("DEBUG", "1")
    import django

    django.setup()


def typical_rules():
    """Rules an aggregation desk writes, on the values the filled database holds."""
    from django.db.models import Count

    from articles.models import Article, IngestRule, Topic

    provider = Article.objects.values("provider__key").annotate(n=Count("id")).order_by("-n")[:1][0]["provider__key"]
    topic = Topic.objects.order_by("name").values_list("name", flat=True).first() or "Markets"
    return [
        ("provider + words", IngestRule(providers=[provider], words='"flood barrier" ferry')),
        ("words only (common phrase)", IngestRule(words='"flood barrier"')),
        ("words only (rare word)", IngestRule(words="zeppelin")),
        ("words in the excerpt", IngestRule(words="midnight", words_in=IngestRule.WordsIn.EXCERPT)),
        ("category + quality range", IngestRule(categories=["sports"], quality_min=20, quality_max=60)),
        ("topic + heat from", IngestRule(topics=[topic], heat_min=50)),
        ("type only", IngestRule(types=["video"])),
        ("provider + category + words", IngestRule(providers=[provider], categories=["business"], words="jobs deal")),
    ]


def main() -> int:
    arguments = parse_arguments()
    configure_django()
    from django.db import connection

    from articles import rules
    from articles.models import Article

    total = Article.objects.count()
    print(f"database: {connection.vendor} {connection.settings_dict['NAME']}, {total:,} articles")
    missed = False
    for label, rule in typical_rules():
        rules.preview(rule)
        timings = []
        for _ in range(arguments.repeat):
            started = time.perf_counter()
            count, first = rules.preview(rule)
            timings.append(time.perf_counter() - started)
        slowest = max(timings)
        missed |= slowest >= TARGET_SECONDS
        print(f"{label:32} {count.shown:>18} matches  median {statistics.median(timings) * 1000:7.1f} ms"
              f"  slowest {slowest * 1000:7.1f} ms  ({rules.describe_conditions(rule)})")
        if arguments.explain and connection.vendor == "postgresql":
            print(rules.matching(rule).order_by().explain(analyze=True))
    print(f"target: every preview under {TARGET_SECONDS:.0f} s: {'missed' if missed else 'met'}")
    return 1 if arguments.check and missed else 0


if __name__ == "__main__":
    sys.exit(main())
