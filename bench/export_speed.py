"""Export speed: import and export throughput on the same generated corpus, from one run.

    .venv/bin/python bench/export_speed.py [--count 20000] [--seed 0]

Generates a corpus with `articles.generator` (or reads `--corpus DIR`), migrates
a fresh temporary SQLite file (or a throw-away test database on the server of
DATABASE_URL), imports it, then exports every article into an empty directory
and compares each exported file with its source byte for byte.
Target: export/import >= 1 (exporting is never the slower half of a round trip).
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

from import_speed import configure_django, corpus_for, fresh_database  # the same setup as the import benchmark

TARGET = 1.0


def parse_arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--count", type=int, default=20_000, help="Items to generate (default 20000).")
    parser.add_argument("--seed", type=int, default=0, help="Generator seed (default 0).")
    parser.add_argument("--corpus", type=Path, help="Benchmark these files instead of generating a corpus.")
    parser.add_argument("--batch-size", type=int, default=500, help="Export chunk size (default 500).")
    parser.add_argument("--keep", action="store_true", help="Keep the temporary directory (corpus, database, export).")
    parser.add_argument("--check", action="store_true", help="Exit with status 1 when the target is missed.")
    arguments = parser.parse_args()
    if arguments.count < 1:
        parser.error("--count must be at least 1")
    return arguments


def timed(function, *args, **kwargs):
    """(result, wall seconds, CPU seconds, queries) of one call."""
    from django.db import connection

    queries = 0

    def count(execute, sql, params, many, context):
        nonlocal queries
        queries += 1
        return execute(sql, params, many, context)

    with connection.execute_wrapper(count):
        wall, cpu = time.perf_counter(), time.process_time()
        result = function(*args, **kwargs)
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    return result, wall, cpu, queries


def rate(files: int, wall: float, cpu: float | None = None) -> str:
    text = f"{files} files in {wall:6.2f} s = {files / wall:7,.0f} files/s"
    return text + (f" (CPU {cpu:6.2f} s)" if cpu is not None else "")


def identical_files(sources: list[Path], outdir: Path) -> int:
    return sum(1 for path in sources if (outdir / path.name).is_file() and
               (outdir / path.name).read_bytes() == path.read_bytes())


def main() -> int:
    arguments = parse_arguments()
    workdir = Path(tempfile.mkdtemp(prefix="newsroom-export-bench-"))
    configure_django(workdir)

    from articles.exporting import export_articles
    from articles.importing import import_paths
    from articles.reading import discover_files

    corpus = corpus_for(arguments, workdir)
    files = discover_files([corpus])
    size = sum(path.stat().st_size for path in files)
    outdir = workdir / "export"

    with fresh_database() as database:
        print(f"database:        {database}")
        print(f"files:           {len(files)} files, {size / 2**20:.1f} MB")
        imported, import_seconds, import_cpu, queries = timed(import_paths, [corpus])
        print(f"import:          {rate(len(files), import_seconds, import_cpu)}  [{imported}; {queries} queries]")
        exported, export_seconds, export_cpu, queries = timed(export_articles, outdir, batch_size=arguments.batch_size)
        print(f"export:          {rate(exported.files, export_seconds, export_cpu)}  [{exported}; {queries} queries]")

    print(f"byte-identical:  {identical_files(files, outdir)} of {len(files)} exported files equal their source")
    ratio = (exported.files / export_seconds) / (imported.files / import_seconds)
    verdict = "ok" if ratio >= TARGET else "MISSED"
    print(f"export/import:   {ratio:5.2f}  (target >= {TARGET}: {verdict})")

    if arguments.keep:
        print(f"kept:            {workdir}")
    else:
        shutil.rmtree(workdir, ignore_errors=True)
    return 1 if arguments.check and verdict != "ok" else 0


if __name__ == "__main__":
    sys.exit(main())
