"""Peak memory of `import_articles` for growing numbers of files: it must not grow with the number of files.

    .venv/bin/python bench/memory.py [--counts 10000 100000 1000000] [--seed 0] [--workdir DIR]

For each count, generates that many items (each count's corpus is a prefix
of the largest one, written once, streamed), then runs `manage.py import_articles DIR`
in a fresh process on a fresh database (a new SQLite file, or with
DATABASE_URL a throw-away database on that server, dropped after its run)
under `/usr/bin/time -v`, and prints the process's peak resident memory
(maximum RSS) with the wall time, then the largest count's peak over the
smallest's against the target: flat within 10%.
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
TARGET_RATIO = 1.10  # the largest count's peak over the smallest's
DISK_PER_FILE = 16 * 1024  # a generated file (about 6 KB in a 4 KB-block file system) and its rows in SQLite


def parse_arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--counts", type=int, nargs="+", default=[10_000, 100_000, 1_000_000],
                        help="Corpus sizes to compare.")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--jobs", type=int, default=1, help="import_articles --jobs (default 1: one process, "
                        "whose peak is the whole import's; with more, the peak shown is the largest process's).")
    parser.add_argument("--keep", action="store_true", help="Keep the corpus and databases.")
    parser.add_argument("--workdir", type=Path, help="Where the corpus goes, kept afterwards (the databases are not, "
                        "without --keep); a corpus finished there before is reused. Default: a temporary directory.")
    return parser.parse_args()


def generate(workdir: Path, counts: list[int], seed: int) -> dict[int, Path]:
    """One directory per count, the largest written, the others hard links to a prefix of it; streamed,
    so a million files never sit in this process's memory as a list. Directories finished before in
    `workdir` (their marker files say so) are reused."""
    sys.path.insert(0, str(ROOT))
    from articles.frontmatter import dump
    from articles.generator import iter_items

    largest = max(counts)
    directories = {count: workdir / f"n{count}-seed{seed}" for count in counts}
    markers = [directory.with_name(directory.name + ".complete") for directory in directories.values()]
    if all(marker.exists() for marker in markers):
        return directories
    for directory in directories.values():
        directory.mkdir(parents=True, exist_ok=True)
    smaller = sorted((count for count in counts if count != largest), reverse=True)
    for index, (name, front, body) in enumerate(iter_items(count=largest, seed=seed)):
        path = directories[largest] / name
        path.write_bytes(dump(front, body).encode("utf-8"))
        for count in smaller:
            if index >= count:
                break
            link = directories[count] / name
            link.unlink(missing_ok=True)
            os.link(path, link)
    for marker in markers:
        marker.touch()
    return directories


def database_env(workdir: Path, count: int) -> tuple[dict, str]:
    """The import's environment, and its database: a SQLite file's path, or a PostgreSQL database's name."""
    # DEBUG off, as in production: with it, Django keeps the last 9,000 queries' SQL, which grows with the run.
    env = {**os.environ, "DEBUG": "0", "SECRET_KEY": os.environ.get("SECRET_KEY", "bench-only-" + "k" * 50)}
    url = os.environ.get("DATABASE_URL")
    if not url:
        path = workdir / f"n{count}.sqlite3"
        drop_database(str(path))
        env["SQLITE_PATH"] = str(path)
        return env, str(path)
    name = f"newsroom_memory_{count}_{os.getpid()}"
    drop_database(name)
    with admin_connection() as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    env["DATABASE_URL"] = url.rsplit("/", 1)[0] + "/" + name
    return env, name


def drop_database(database: str) -> None:
    if not os.environ.get("DATABASE_URL"):
        for suffix in ("", "-wal", "-shm"):
            Path(database + suffix).unlink(missing_ok=True)
        return
    with admin_connection() as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')


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


def check_disk(workdir: Path, counts: list[int]) -> None:
    needed = max(counts) * DISK_PER_FILE
    free = shutil.disk_usage(workdir).free
    print(f"disk: {free / 2**30:,.1f} GiB free in {workdir}, about {needed / 2**30:,.1f} GiB needed", flush=True)
    if free < needed:
        sys.exit("not enough free disk space for the largest corpus and its database")


def main() -> int:
    arguments = parse_arguments()
    if not Path("/usr/bin/time").exists():
        sys.exit("needs /usr/bin/time (Debian package 'time')")
    counts = sorted(set(arguments.counts))
    if arguments.workdir:
        arguments.workdir.mkdir(parents=True, exist_ok=True)
    workdir = arguments.workdir or Path(tempfile.mkdtemp(prefix="newsroom-memory-"))
    try:
        check_disk(workdir, counts)
        started = time.perf_counter()
        directories = generate(workdir, counts, arguments.seed)
        print(f"corpus: {max(counts):,} files ready in {time.perf_counter() - started:.0f} s", flush=True)
        peaks = {}
        for count in counts:
            env, database = database_env(workdir, count)
            try:
                peak, wall, summary = peak_of_import(directories[count], env, arguments.jobs)
            finally:
                if not arguments.keep:
                    drop_database(database)
            peaks[count] = peak
            print(f"{count:>9,} files: max RSS {peak / 1024:7.1f} MiB, {wall:7.1f} s = {count / wall:,.0f} files/s  "
                  f"[{summary}]", flush=True)
        low, high = counts[0], counts[-1]
        ratio = peaks[high] / peaks[low]
        print(f"{high:,} vs {low:,} files: peak x{ratio:.3f} "
              f"(target: flat within {TARGET_RATIO - 1:.0%}, x{TARGET_RATIO:.2f} at most: "
              f"{'ok' if ratio <= TARGET_RATIO else 'MISSED'}), "
              f"{(peaks[high] - peaks[low]) * 1024 / (high - low):,.1f} bytes more per extra file")
    finally:
        if arguments.keep or arguments.workdir:
            print(f"kept: {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
