"""Import speed: parse-only, import and re-import throughput, and peak memory, from one run.

    .venv/bin/python bench/import_speed.py [--count 20000] [--seed 0]

Generates a corpus with `articles.generator` (or reads `--corpus DIR`), migrates
a fresh temporary SQLite file (or a throw-away test database on the server of
DATABASE_URL), then times, on the same files:
  parse only   read bytes + frontmatter.parse, the floor any importer pays;
  import       import_paths into the empty database;
  re-import    import_paths again, every file unchanged;
and finally imports once more, into the emptied database under tracemalloc,
noting the peak after half the files and after all of them: a peak that grows
with the number of files means something keeps per-file state. `--profile FILE`
adds one more import under cProfile, to see where the time goes.
Story clustering is on during the timed import; `--clustering both` (the default) also
times a fresh import without it, from the same run, for the difference it makes.
Targets (SQLite, 20,000 files): import/parse >= 0.5 (clustering on), reimport/parse >= 1.0.
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import tempfile
import time
import tracemalloc
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGETS = {"import/parse": 0.5, "reimport/parse": 1.0, "rules import/parse": 0.45}


def parse_arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--count", type=int, default=20_000, help="Items to generate (default 20000).")
    parser.add_argument("--seed", type=int, default=0, help="Generator seed (default 0).")
    parser.add_argument("--corpus", type=Path, help="Benchmark these files instead of generating a corpus.")
    parser.add_argument("--batch-size", type=int, help="import_paths batch size (default: the importer's).")
    parser.add_argument("--jobs", type=int, default=min(4, os.cpu_count() or 1),
                        help="Parser worker processes, as import_articles --jobs (default: its default, the CPU count "
                             "up to 4; 1 = all in one process).")
    parser.add_argument("--rules", type=int, default=0,
                        help="Also import once more into the emptied database with this many realistic enabled "
                             "ingest rules (the target, 0.45, is for 20).")
    parser.add_argument("--no-memory", action="store_true", help="Skip the tracemalloc pass (the slowest part).")
    parser.add_argument("--clustering", choices=("both", "on", "off"), default="both",
                        help="Story clustering during the imports (default both: the timed import with it, then "
                             "a fresh import without it, for the difference).")
    parser.add_argument("--profile", metavar="FILE", type=Path,
                        help="Also import once more under cProfile (with the rules of --rules, if any); write the stats to FILE "
                             "and print the top functions.")
    parser.add_argument("--keep", action="store_true", help="Keep the temporary directory (corpus, database).")
    parser.add_argument("--check", action="store_true", help="Exit with status 1 when a target is missed.")
    arguments = parser.parse_args()
    if arguments.count < 2:
        parser.error("--count must be at least 2")
    return arguments


def configure_django(workdir: Path) -> None:
    """newsroom.settings with DEBUG=1 (no secret key needed), on a fresh SQLite file unless DATABASE_URL is set."""
    sys.path.insert(0, str(ROOT))
    os.environ["DJANGO_SETTINGS_MODULE"] = "newsroom.settings"
    os.environ["DEBUG"] = "1"
    if not os.environ.get("DATABASE_URL"):
        os.environ["SQLITE_PATH"] = str(workdir / "bench.sqlite3")
    import django
    from django.conf import settings

    django.setup()
    # DEBUG records every query with its SQL formatted: production imports run without it.
    settings.DEBUG = False


@contextmanager
def fresh_database():
    """Migrate the temporary SQLite file, or create (and afterwards drop) a test database on the server."""
    from django.core.management import call_command
    from django.db import connection

    if connection.vendor == "sqlite":
        call_command("migrate", verbosity=0)
        yield f"sqlite {connection.settings_dict['NAME']}"
        return
    old_name = connection.settings_dict["NAME"]
    # A name of our own: pytest-django's test_<name> may be in use by a test run on the same server.
    connection.settings_dict["TEST"]["NAME"] = f"newsroom_bench_{os.getpid()}"
    test_name = connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
    try:
        yield f"{connection.vendor} {test_name} (temporary)"
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


class Elapsed:
    """Wall-clock seconds (what the targets mean) and this process's CPU seconds (steadier on a busy machine)."""

    wall = cpu = 0.0


@contextmanager
def stopwatch():
    elapsed = Elapsed()
    wall, cpu = time.perf_counter(), time.process_time()
    yield elapsed
    elapsed.wall, elapsed.cpu = time.perf_counter() - wall, time.process_time() - cpu


class QueryCounter:
    def __init__(self):
        self.count = 0

    def __call__(self, execute, sql, params, many, context):
        self.count += 1
        return execute(sql, params, many, context)


def timed_import(paths, options, **extra):
    from django.db import connection

    from articles.importing import import_paths

    counter = QueryCounter()
    with connection.execute_wrapper(counter), stopwatch() as elapsed:
        summary = import_paths(paths, **options, **extra)
    return summary, elapsed, counter.count


def parse_only(files) -> tuple[float, int]:
    from articles import frontmatter

    size = 0
    with stopwatch() as elapsed:
        for path in files:
            data = path.read_bytes()
            size += len(data)
            frontmatter.parse(data)
    return elapsed, size


def traced_import_peaks(paths, options, half: int) -> tuple[int, int]:
    """Peak traced memory after `half` files and after all files of one import run."""
    seen = 0
    peak_at_half = 0

    def on_result(result):
        nonlocal seen, peak_at_half
        seen += 1
        if seen == half:
            peak_at_half = tracemalloc.get_traced_memory()[1]

    tracemalloc.start()
    try:
        timed_import(paths, options, on_result=on_result)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    return peak_at_half, peak


def profiled_import(paths, options, output: Path) -> None:
    import cProfile
    import pstats

    profiler = cProfile.Profile()
    profiler.runcall(timed_import, paths, options)
    profiler.dump_stats(output)
    print(f"profile:         fresh import under cProfile, stats in {output}; top functions by own time:")
    pstats.Stats(profiler, stream=sys.stdout).sort_stats("tottime").print_stats(25)


def rate(files: int, elapsed: Elapsed) -> str:
    return f"{files} files in {elapsed.wall:6.2f} s = {files / elapsed.wall:7,.0f} files/s (CPU {elapsed.cpu:6.2f} s)"


def corpus_for(arguments, workdir: Path) -> Path:
    """The files to measure: --corpus as given, or a corpus generated into workdir (--count, --seed)."""
    from articles.generator import generate_corpus

    if arguments.corpus:
        print(f"corpus:          {arguments.corpus}")
        return arguments.corpus
    corpus = workdir / "corpus"
    with stopwatch() as elapsed:
        generate_corpus(corpus, count=arguments.count, seed=arguments.seed)
    print(f"corpus:          generated, seed {arguments.seed}: {rate(arguments.count, elapsed)}")
    return corpus


def create_rules(count: int) -> None:
    """`count` enabled ingest rules of the kinds a desk writes, on the generator's vocabulary: words and
    phrases, providers, categories, types, topics, score ranges; every action, some stopping the list."""
    from articles.models import IngestRule

    providers = ["harborcitygazette.example", "northwindherald.example", "ashfordledger.example"]  # the generator's

    kinds = [
        dict(words='"flood barrier" ferry', set_quality=70, add_topic="Infrastructure"),
        dict(categories=["sports"], quality_max=30, status_action="reject", stop_here=True),
        dict(providers=[providers[0]], words="jobs", mark_for_attention=True),
        dict(types=["video"], set_heat=5),
        dict(topics=["Climate"], words_in="excerpt", words="researchers", add_topic="Climate desk"),
        dict(categories=["business"], heat_min=80, status_action="publish"),
        dict(words='"solar farm" "battery plant"', mark_for_attention=True),
        dict(quality_min=90, status_action="publish", stop_here=True),
        dict(providers=providers[1:], categories=["culture"], set_quality=40),
        dict(words="opinion", words_in="title", set_heat=1),
    ]
    IngestRule.objects.bulk_create(
        IngestRule(name=f"bench rule {index}", position=index, enabled=True, **kinds[index % len(kinds)])
        for index in range(count)
    )


def rule_changes() -> int:
    from articles.models import AuditEntry

    return AuditEntry.objects.filter(source=AuditEntry.Source.RULE).count()


def megabytes(size: int) -> str:
    return f"{size / 2**20:.1f} MB"


def main() -> int:
    arguments = parse_arguments()
    workdir = Path(tempfile.mkdtemp(prefix="newsroom-bench-"))
    configure_django(workdir)

    from django.conf import settings
    from django.core.management import call_command

    from articles.models import StoryCluster
    from articles.reading import discover_files

    corpus = corpus_for(arguments, workdir)
    files = discover_files([corpus])
    options = {"batch_size": arguments.batch_size} if arguments.batch_size else {}
    options["jobs"] = arguments.jobs
    missed = []

    with fresh_database() as database:
        print(f"database:        {database}; parser jobs: {options['jobs']}")
        parse_time, size = parse_only(files)
        print(f"files:           {len(files)} files, {megabytes(size)}, {size / len(files) / 1024:.1f} KB on average")
        print(f"parse only:      {rate(len(files), parse_time)}")

        clustering = arguments.clustering != "off"
        settings.STORY_CLUSTERS = clustering
        summary, import_time, queries = timed_import([corpus], options)
        print(f"import:          {rate(len(files), import_time)}  [{summary}; {queries} queries; "
              f"clustering {'on' if clustering else 'off'}: {StoryCluster.objects.count()} stories]")
        summary, reimport_time, queries = timed_import([corpus], options)
        print(f"re-import:       {rate(len(files), reimport_time)}  [{summary}; {queries} queries]")

        timings = [("import/parse", import_time), ("reimport/parse", reimport_time)]
        if arguments.clustering == "both":
            call_command("flush", interactive=False, verbosity=0)
            settings.STORY_CLUSTERS = False
            summary, plain_time, queries = timed_import([corpus], options)
            settings.STORY_CLUSTERS = True
            print(f"import:          {rate(len(files), plain_time)}  [{summary}; {queries} queries; clustering off]")
            timings.insert(1, ("import/parse (no clustering)", plain_time))
        for name, timing in timings:
            ratio = parse_time.wall / timing.wall
            target = TARGETS[name.split(" ")[0]]
            verdict = "ok" if ratio >= target else "MISSED"
            if verdict != "ok":
                missed.append(name)
            print(f"{name + ':':<16} {ratio:5.2f}  (target >= {target}: {verdict}; "
                  f"by CPU time {parse_time.cpu / timing.cpu:.2f})")

        if arguments.rules:
            call_command("flush", interactive=False, verbosity=0)
            create_rules(arguments.rules)
            summary, rules_time, queries = timed_import([corpus], options)
            print(f"import, {arguments.rules} rules: {rate(len(files), rules_time)}  [{summary}; {queries} queries; "
                  f"{rule_changes()} audited rule changes]")
            ratio = parse_time.wall / rules_time.wall
            verdict = "ok" if ratio >= TARGETS["rules import/parse"] else "MISSED"
            if verdict != "ok":
                missed.append("rules import/parse")
            print(f"rules import/parse: {ratio:5.2f}  (target >= {TARGETS['rules import/parse']}: {verdict}; "
                  f"by CPU time {parse_time.cpu / rules_time.cpu:.2f}; without rules above)")

        if not arguments.no_memory:
            call_command("flush", interactive=False, verbosity=0)
            half = len(files) // 2
            peak_half, peak_all = traced_import_peaks([corpus], options, half)
            print(f"peak memory:     {megabytes(peak_half)} traced after {half} files, "
                  f"{megabytes(peak_all)} after {len(files)} (x{peak_all / peak_half:.2f}; tracemalloc, fresh import)")
        if arguments.profile:
            call_command("flush", interactive=False, verbosity=0)
            create_rules(arguments.rules)
            profiled_import([corpus], options, arguments.profile)
    max_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * (1 if sys.platform == "darwin" else 1024)
    print(f"max RSS:         {megabytes(max_rss)} (whole process: corpus generation and SQLite page cache included)")

    if arguments.keep:
        print(f"kept:            {workdir}")
    else:
        import shutil

        shutil.rmtree(workdir, ignore_errors=True)
    return 1 if arguments.check and missed else 0


if __name__ == "__main__":
    sys.exit(main())
