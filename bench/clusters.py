"""Story clusters: pairwise precision and recall on a labelled set, what the real corpus groups, and re-clustering.

    .venv/bin/python bench/clusters.py [--stories 2000] [--seed 0]     # the labelled set
    .venv/bin/python bench/clusters.py --corpus ../shared/corpus       # what it groups, for a person to check
    .venv/bin/python bench/clusters.py --recluster 100000              # re-clustering time and memory

The labelled set (`articles.story_variants`: the same story from several providers as
real headlines vary it, and hard negatives) is written as files and imported into a
fresh database with clustering on, as an import would run; the clusters the database
then holds are scored pair by pair against the stories' ids (target: precision and
recall both >= 0.95), and a sample of the pairs it got wrong is printed.
`--corpus DIR` imports those files instead and prints every cluster: provider, date
and title of each member. `--recluster N` fills the database with N generated items
(clustering off), then times `recluster` over them, with the peak traced memory after
half of them and after all (flat memory: the two about equal).
The database: a temporary SQLite file, or a throw-away test database on DATABASE_URL's server.
"""

from __future__ import annotations

import argparse
import itertools
import random
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

from import_speed import configure_django, fresh_database, megabytes, stopwatch

TARGET = 0.95


def parse_arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--stories", type=int, default=2000, help="Stories in the labelled set (default 2000).")
    parser.add_argument("--seed", type=int, default=0, help="Seed of the labelled set (default 0).")
    parser.add_argument("--corpus", type=Path, help="Import these files and print the clusters they form.")
    parser.add_argument("--recluster", type=int, metavar="N", help="Time recluster over N generated articles.")
    parser.add_argument("--threshold", type=float, help="Title likeness threshold (default: CLUSTER_THRESHOLD).")
    parser.add_argument("--days", type=float, help="Most days between items of a story (default: CLUSTER_DAYS).")
    parser.add_argument("--errors", type=int, default=15, help="Wrong pairs to print (default 15).")
    parser.add_argument("--check", action="store_true", help="Exit with status 1 when a target is missed.")
    return parser.parse_args()


def apply_settings(arguments) -> None:
    from django.conf import settings

    if arguments.threshold is not None:
        settings.CLUSTER_THRESHOLD = arguments.threshold
    if arguments.days is not None:
        settings.CLUSTER_DAYS = arguments.days
    print(f"settings:        threshold {settings.CLUSTER_THRESHOLD}, days {settings.CLUSTER_DAYS:g}")


def clusters_by_key() -> dict[str, int | None]:
    from articles.models import Article

    return dict(Article.objects.values_list("source_key", "cluster_id"))


def labelled(arguments, workdir: Path) -> bool:
    from articles.importing import import_paths
    from articles.story_variants import pairwise_scores, write_labelled_corpus

    items = write_labelled_corpus(workdir / "labelled", stories=arguments.stories, seed=arguments.seed)
    print(f"labelled set:    {arguments.stories} stories (seed {arguments.seed}), {len(items)} items, "
          f"{len({item.story for item in items})} distinct stories with the hard negatives")
    with stopwatch() as elapsed:
        summary = import_paths([workdir / "labelled"])
    print(f"import:          {summary} in {elapsed.wall:.1f} s (CPU {elapsed.cpu:.1f} s)")
    truth = {item.key: item.story for item in items}
    found = clusters_by_key()
    precision, recall, hits, found_pairs, true_pairs = pairwise_scores(truth, found)
    ok = precision >= TARGET and recall >= TARGET
    print(f"pairs:           {true_pairs} true, {found_pairs} found, {hits} right")
    print(f"precision:       {precision:.4f}  recall: {recall:.4f}  (target both >= {TARGET}: {'ok' if ok else 'MISSED'})")
    print_wrong_pairs(items, truth, found, arguments.errors)
    return ok


def print_wrong_pairs(items, truth, found, limit: int) -> None:
    by_key = {item.key: item for item in items}
    wrong = []
    for a, b in itertools.combinations(sorted(by_key), 2):
        same_truth, same_found = truth[a] == truth[b], found[a] is not None and found[a] == found[b]
        if same_truth != same_found:
            wrong.append(("joined apart stories" if same_found else "missed", a, b))
    random.Random(0).shuffle(wrong)
    for kind, a, b in wrong[:limit]:
        print(f"  {kind}: {by_key[a].title!r}  /  {by_key[b].title!r}  ({by_key[a].story}, {by_key[b].story})")


def corpus(arguments) -> None:
    from articles.importing import import_paths
    from articles.models import Article

    with stopwatch() as elapsed:
        summary = import_paths([arguments.corpus])
    print(f"import:          {summary} in {elapsed.wall:.1f} s")
    rows = Article.objects.filter(cluster__isnull=False).order_by("cluster_id", "published_date_time").values_list(
        "cluster_id", "provider__name", "published_date_time", "title")
    count = 0
    for cluster, members in itertools.groupby(rows, key=lambda row: row[0]):
        count += 1
        print(f"\nstory {cluster}:")
        for _, provider, published, title in members:
            print(f"  {published:%Y-%m-%d %H:%M} | {provider or '-':<24.24} | {title}")
    print(f"\n{count} stories of two or more among {Article.objects.count()} articles")


def reclustering(arguments, workdir: Path) -> None:
    from django.conf import settings

    from articles.cluster_index import recluster
    from articles.generator import generate_corpus
    from articles.importing import import_paths
    from articles.models import Article, StoryCluster

    settings.STORY_CLUSTERS = False
    chunk = 10_000
    with stopwatch() as elapsed:
        for start in range(0, arguments.recluster, chunk):
            directory = workdir / f"fill-{start}"
            generate_corpus(directory, count=min(chunk, arguments.recluster - start), seed=arguments.seed + start,
                            related=0)
            import_paths([directory])
            for path in directory.iterdir():
                path.unlink()
    print(f"filled:          {Article.objects.count()} articles in {elapsed.wall:.0f} s (clustering off)")
    settings.STORY_CLUSTERS = True
    done, peak_at_half, half = 0, 0, arguments.recluster // 2

    def on_progress(count: int) -> None:
        nonlocal done, peak_at_half
        done += count
        if not peak_at_half and done >= half:
            peak_at_half = tracemalloc.get_traced_memory()[1]

    tracemalloc.start()
    with stopwatch() as elapsed:
        outcome = recluster(on_progress=on_progress)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    print(f"recluster:       {outcome.articles} articles in {elapsed.wall:.1f} s (CPU {elapsed.cpu:.1f} s, under "
          f"tracemalloc) = {outcome.articles / elapsed.wall:,.0f} articles/s; {StoryCluster.objects.count()} stories")
    print(f"peak memory:     {megabytes(peak_at_half)} traced after {half} articles, {megabytes(peak)} after all "
          f"(x{peak / max(peak_at_half, 1):.2f})")


def main() -> int:
    arguments = parse_arguments()
    workdir = Path(tempfile.mkdtemp(prefix="newsroom-clusters-"))
    configure_django(workdir)
    ok = True
    with fresh_database() as database:
        print(f"database:        {database}")
        apply_settings(arguments)
        started = time.perf_counter()
        if arguments.corpus:
            corpus(arguments)
        elif arguments.recluster:
            reclustering(arguments, workdir)
        else:
            ok = labelled(arguments, workdir)
        print(f"took:            {time.perf_counter() - started:.0f} s")
    import shutil

    shutil.rmtree(workdir, ignore_errors=True)
    return 1 if arguments.check and not ok else 0


if __name__ == "__main__":
    sys.exit(main())
