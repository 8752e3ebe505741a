"""Two importers at once on overlapping files (PostgreSQL): no errors, no duplicate rows, the combined throughput.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/test .venv/bin/python bench/concurrent_import.py [--count 10000]

Generates `--count` items, then for each scenario creates a fresh database on
DATABASE_URL's server and starts two `import_paths` processes at the same
instant: A takes the first two thirds of the files, B the last two thirds, so
a third of the files are imported by both. Scenario "same order": both walk
their files in name order, as two cron runs over one directory do. Scenario
"opposite order": B walks backwards, so the two meet head-on in the overlap.
A reference database gets the whole corpus from one importer, alone.

Checks: both processes exit cleanly with no rejected file; every file is one
article; each article's provider, topics (in order), images, related items and
duplicate links equal the reference's; no provider or topic exists twice. The
databases are dropped afterwards unless --keep.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable

DIGEST_SQL = """
SELECT a.source_key, a.content_hash, a.title, a.status, p.key,
       (SELECT string_agg(t.name, '|' ORDER BY l.position) FROM articles_articletopic l
          JOIN articles_topic t ON t.id = l.topic_id WHERE l.article_id = a.id),
       (SELECT string_agg(i.url, '|' ORDER BY i.position) FROM articles_articleimage i WHERE i.article_id = a.id),
       (SELECT string_agg(coalesce(r.web_url, r.title, ''), '|' ORDER BY r.position)
          FROM articles_relatedarticle r WHERE r.article_id = a.id),
       a.is_possible_duplicate,
       (SELECT string_agg(o.source_key, '|' ORDER BY o.source_key) FROM articles_article_duplicates d
          JOIN articles_article o ON o.id = d.to_article_id WHERE d.from_article_id = a.id)
FROM articles_article a LEFT JOIN articles_provider p ON p.id = a.provider_id
"""


def parse_arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--count", type=int, default=10_000, help="Items to generate (default 10000).")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--keep", action="store_true", help="Keep the databases and the corpus.")
    parser.add_argument("--worker", type=Path, help=argparse.SUPPRESS)  # internal: import the paths listed in a file
    parser.add_argument("--start-at", type=float, help=argparse.SUPPRESS)
    return parser.parse_args()


# --- a worker process ---------------------------------------------------------------------


def run_worker(listing: Path, start_at: float) -> int:
    """Import the files listed in `listing`, starting at the wall-clock instant `start_at`; print a JSON result."""
    sys.path.insert(0, str(ROOT))
    os.environ["DJANGO_SETTINGS_MODULE"] = "newsroom.settings"
    import django
    from django.conf import settings

    django.setup()
    settings.DEBUG = False
    from articles.importing import import_paths

    paths = listing.read_text().split("\n")
    time.sleep(max(0.0, start_at - time.time()))
    began = time.time()
    summary = import_paths(paths)
    ended = time.time()
    print(json.dumps({
        "files": summary.files, "created": summary.created, "updated": summary.updated,
        "unchanged": summary.unchanged, "rejected": summary.rejected, "began": began, "ended": ended,
        "errors": [str(error) for error in summary.errors[:10]],
    }))
    return 0


# --- databases ------------------------------------------------------------------------------


def server_url() -> str:
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        sys.exit("Set DATABASE_URL to a PostgreSQL server (this benchmark is about PostgreSQL's locking).")
    return url


def database_url(name: str) -> str:
    base = server_url().rsplit("/", 1)[0]
    return f"{base}/{name}"


def admin_connection():
    import psycopg

    return psycopg.connect(server_url(), autocommit=True)


def create_database(name: str) -> str:
    with admin_connection() as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}"')
        connection.execute(f'CREATE DATABASE "{name}"')
    url = database_url(name)
    subprocess.run([PYTHON, "manage.py", "migrate", "--verbosity", "0"], cwd=ROOT, check=True,
                   env={**os.environ, "DATABASE_URL": url, "DEBUG": "1"})
    return url


def drop_database(name: str) -> None:
    with admin_connection() as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def query(url: str, sql: str) -> list[tuple]:
    import psycopg

    with psycopg.connect(url) as connection:
        return connection.execute(sql).fetchall()


# --- running importers ------------------------------------------------------------------------


def start_importers(url: str, listings: list[Path]) -> list[dict]:
    """Start one worker per listing, all beginning at the same instant; wait; their JSON results."""
    start_at = time.time() + 3.0  # time for each process to set Django up first
    env = {**os.environ, "DATABASE_URL": url, "DEBUG": "1"}
    processes = [
        subprocess.Popen([PYTHON, __file__, "--worker", str(listing), "--start-at", str(start_at)], cwd=ROOT,
                         env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for listing in listings
    ]
    results = []
    for process in processes:
        out, err = process.communicate()
        result = {"returncode": process.returncode, "stderr": err.strip()[-2000:]}
        lines = [line for line in out.splitlines() if line.startswith("{")]
        if lines:
            result.update(json.loads(lines[-1]))
        results.append(result)
    return results


def write_listing(path: Path, files: list[Path]) -> Path:
    path.write_text("\n".join(str(f) for f in files))
    return path


def digest(url: str) -> dict:
    """What an import made: each article with its children, and the providers and topics."""
    return {
        "articles": {row[0]: row[1:] for row in query(url, DIGEST_SQL)},
        "articles_provider": {row[0] for row in query(url, "SELECT key FROM articles_provider")},
        "articles_topic": {row[0] for row in query(url, "SELECT name FROM articles_topic")},
    }


def check(url: str, results: list[dict], reference: dict, count: int) -> list[str]:
    problems = []
    for name, result in zip("AB", results):
        if result["returncode"] != 0:
            problems.append(f"importer {name} exited with {result['returncode']}: {result['stderr']}")
        elif result["rejected"] or result["errors"]:
            problems.append(f"importer {name} rejected {result['rejected']} files: {result['errors']}")
    articles, keys = query(url, "SELECT count(*), count(DISTINCT source_key) FROM articles_article")[0]
    if articles != count or keys != count:
        problems.append(f"{articles} articles ({keys} distinct keys) for {count} files")
    for table, column in (("articles_provider", "key"), ("articles_topic", "name"), ("articles_topic", "slug")):
        twice = query(url, f"SELECT {column} FROM {table} GROUP BY {column} HAVING count(*) > 1")
        if twice:
            problems.append(f"{table}.{column} twice: {twice[:5]}")
    for table, column in (("articles_provider", "key"), ("articles_topic", "name")):
        ours = {row[0] for row in query(url, f"SELECT {column} FROM {table}")}
        if ours != reference[table]:
            problems.append(f"{table}: {len(ours)} rows, the single importer made {len(reference[table])}")
    ours, theirs = digest(url)["articles"], reference["articles"]
    differing = [key for key in theirs if ours.get(key) != theirs[key]]
    if differing:
        key = differing[0]
        problems.append(f"{len(differing)} articles differ from the single importer's, e.g. {key}: "
                        f"{ours.get(key)} != {theirs[key]}")
    return problems


def scenario(name: str, files: list[Path], workdir: Path, reference: dict, keep: bool) -> bool:
    count = len(files)
    a = files[: 2 * count // 3]
    b = files[count // 3:]
    if name == "opposite order":
        b = list(reversed(b))
    database = f"newsroom_concurrent_{name.split()[0]}_{os.getpid()}"
    url = create_database(database)
    try:
        started = time.time()
        results = start_importers(url, [write_listing(workdir / "a.txt", a), write_listing(workdir / "b.txt", b)])
        problems = check(url, results, reference, count)
        began = min(r.get("began", started) for r in results)
        ended = max(r.get("ended", time.time()) for r in results)
        wall = ended - began
        print(f"\n{name}: A {len(a):,} files, B {len(b):,} files, {len(a) + len(b) - count:,} in both")
        for label, result in zip("AB", results):
            if "files" in result:
                print(f"  importer {label}: {result['files']:,} files in {result['ended'] - result['began']:.1f} s: "
                      f"{result['created']:,} created, {result['updated']:,} updated, "
                      f"{result['unchanged']:,} unchanged, {result['rejected']} rejected")
        rewritten = query(url, "SELECT count(*) FROM articles_article WHERE version > 1")[0][0]
        print(f"  together: {count:,} articles in {wall:.1f} s = {count / wall:,.0f} articles/s "
              f"({len(a) + len(b):,} files handled = {(len(a) + len(b)) / wall:,.0f} files/s)")
        print(f"  written twice (the later importer rewrote an identical article): {rewritten:,}")
        print("  " + ("OK: no errors, no duplicates, same data as one importer" if not problems else "FAILED"))
        for problem in problems:
            print("   -", problem)
        return not problems
    finally:
        if not keep:
            drop_database(database)


def main() -> int:
    arguments = parse_arguments()
    if arguments.worker:
        return run_worker(arguments.worker, arguments.start_at)
    server_url()
    sys.path.insert(0, str(ROOT))
    from articles.generator import generate_corpus

    workdir = Path(tempfile.mkdtemp(prefix="newsroom-concurrent-"))
    reference_name = f"newsroom_concurrent_reference_{os.getpid()}"
    try:
        files = sorted(generate_corpus(workdir / "corpus", count=arguments.count, seed=arguments.seed))
        url = create_database(reference_name)
        results = start_importers(url, [write_listing(workdir / "all.txt", files)])
        single = results[0]
        if single.get("returncode") != 0 or "files" not in single:
            print(f"the single importer failed: {single}")
            return 1
        wall = single["ended"] - single["began"]
        print(f"one importer alone: {single['files']:,} files in {wall:.1f} s = {single['files'] / wall:,.0f} files/s "
              f"({single['created']:,} created, {single['rejected']} rejected)")
        reference = digest(url)
        if not arguments.keep:
            drop_database(reference_name)
        ok = all([scenario(name, files, workdir, reference, arguments.keep)
                  for name in ("same order", "opposite order")])
    finally:
        if not arguments.keep:
            shutil.rmtree(workdir, ignore_errors=True)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
