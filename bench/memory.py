"""Peak memory of `import_articles` for growing numbers of files: it must not grow with the number of files.

    .venv/bin/python bench/memory.py [--counts 10000 100000] [--seed 0]

For each count, generates that many items (each count's corpus is a prefix
of the largest one, written once), then runs `manage.py import_articles DIR`
in a fresh process on a fresh database (a new SQLite file, or with
DATABASE_URL a throw-away database on that server) under `/usr/bin/time -v`,
and prints the process's peak resident memory (maximum RSS) with the wall
time. A constant-memory importer shows about the same peak for 10,000 and
100,000 files; what remains is per-file bookkeeping (a path and a key per
file), a few hundred bytes each.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable


def parse_arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--counts", type=int, nargs="+", default=[10_000, 100_000], help="Corpus sizes to compare.")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--jobs", type=int, default=1, help="import_articles --jobs (default 1: one process, "
                        "whose peak is the whole import's; with more, the peak shown is the largest process's).")
    parser.add_argument("--keep", action="store_true", help="Keep the corpus and databases.")
    return parser.parse_args()


def generate(workdir: Path, counts: list[int], seed: int) -> dict[int, Path]:
    """One directory per count, hard links to a prefix of one generated corpus, so the largest is written once."""
    sys.path.insert(0, str(ROOT))
    from articles.generator import generate_corpus

    files = generate_corpus(workdir / "all", count=max(counts), seed=seed)  # in generation order
    directories = {}
    for count in counts:
        directory = workdir / f"n{count}"
        directory.mkdir()
        for path in files[:count]:
            os.link(path, directory / path.name)
        directories[count] = directory
    return directories


def database_env(workdir: Path, count: int) -> tuple[dict, str | None]:
    # DEBUG off, as in production: with it, Django keeps the last 9,000 queries' SQL, which grows with the run.
    env = {**os.environ, "DEBUG": "0", "SECRET_KEY": os.environ.get("SECRET_KEY", "bench-only-" + "k" * 50)}
    url = os.environ.get("DATABASE_URL")
    if not url:
        env["SQLITE_PATH"] = str(workdir / f"n{count}.sqlite3")
        return env, None
    name = f"newsroom_memory_{count}_{os.getpid()}"
    with admin_connection() as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}"')
        connection.execute(f'CREATE DATABASE "{name}"')
    env["DATABASE_URL"] = url.rsplit("/", 1)[0] + "/" + name
    return env, name


def admin_connection():
    import psycopg

    return psycopg.connect(os.environ["DATABASE_URL"], autocommit=True)


def peak_of_import(directory: Path, env: dict, jobs: int) -> tuple[int, float, str]:
    """(max RSS in KiB, wall seconds, the command's summary line) of one import_articles run."""
    subprocess.run([PYTHON, "manage.py", "migrate", "--verbosity", "0"], cwd=ROOT, env=env, check=True)
    started = time.perf_counter()
    finished = subprocess.run(
        ["/usr/bin/time", "-v", PYTHON, "manage.py", "import_articles", str(directory), "--no-progress",
         "--jobs", str(jobs)],
        cwd=ROOT, env=env, capture_output=True, text=True,
    )
    wall = time.perf_counter() - started
    if finished.returncode != 0:
        sys.exit(f"import_articles failed:\n{finished.stdout[-2000:]}\n{finished.stderr[-2000:]}")
    peak = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", finished.stderr).group(1))
    summary = next((line for line in finished.stdout.splitlines()[::-1] if "files:" in line), "")
    return peak, wall, summary.strip()


def main() -> int:
    arguments = parse_arguments()
    if not Path("/usr/bin/time").exists():
        sys.exit("needs /usr/bin/time (Debian package 'time')")
    counts = sorted(set(arguments.counts))
    workdir = Path(tempfile.mkdtemp(prefix="newsroom-memory-"))
    databases = []
    try:
        started = time.perf_counter()
        directories = generate(workdir, counts, arguments.seed)
        print(f"generated {max(counts):,} files in {time.perf_counter() - started:.0f} s")
        peaks = {}
        for count in counts:
            env, database = database_env(workdir, count)
            if database:
                databases.append(database)
            peak, wall, summary = peak_of_import(directories[count], env, arguments.jobs)
            peaks[count] = peak
            print(f"{count:>9,} files: max RSS {peak / 1024:7.1f} MiB, {wall:6.1f} s = {count / wall:,.0f} files/s  [{summary}]")
        low, high = counts[0], counts[-1]
        growth = (peaks[high] - peaks[low]) * 1024 / (high - low)
        print(f"{high:,} vs {low:,} files: x{peaks[high] / peaks[low]:.2f} the peak, "
              f"{growth:,.0f} bytes more per extra file")
    finally:
        if not arguments.keep:
            shutil.rmtree(workdir, ignore_errors=True)
            if databases:
                with admin_connection() as connection:
                    for name in databases:
                        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        else:
            print(f"kept: {workdir}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
