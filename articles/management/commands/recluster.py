"""Cluster every article afresh, e.g. after CLUSTER_THRESHOLD or CLUSTER_DAYS changed; editors' placements stay."""

import sys

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from articles.cluster_index import RECLUSTER_CHUNK, ClusterSettings, recluster
from articles.models import Article


class Command(BaseCommand):
    help = __doc__

    def add_arguments(self, parser):
        parser.add_argument("--threshold", type=float,
                            help="Title likeness (0-1) two items need to be one story (default: CLUSTER_THRESHOLD).")
        parser.add_argument("--days", type=float,
                            help="Most days between two items of one story (default: CLUSTER_DAYS).")
        parser.add_argument("--chunk-size", type=int, default=RECLUSTER_CHUNK,
                            help=f"Articles per transaction (default {RECLUSTER_CHUNK}); memory grows with it.")
        parser.add_argument("--no-progress", action="store_true", help="No progress bar, even on a terminal.")

    def handle(self, *args, **options):
        threshold, days = options["threshold"], options["days"]
        if threshold is not None and not 0 < threshold <= 1:
            raise CommandError("--threshold must be above 0 and at most 1.", returncode=2)
        if days is not None and not 0 < days <= 3650:
            raise CommandError("--days must be above 0 and at most 3650.", returncode=2)
        if options["chunk_size"] < 1:
            raise CommandError("--chunk-size must be positive.", returncode=2)
        config = ClusterSettings.from_settings(threshold=threshold, days=days)
        with tqdm(total=Article.objects.count(), unit="article", file=sys.stderr,
                  disable=options["no_progress"] or not sys.stderr.isatty()) as progress:
            outcome = recluster(config=config, chunk_size=options["chunk_size"], on_progress=progress.update)
        self.stdout.write(
            f"{outcome.articles} articles clustered (threshold {config.threshold}, {config.days:g} days): "
            f"{outcome.stories} stories of two or more"
            + (f"; {outcome.deferred} left as they were, their clusters being changed meanwhile" if outcome.deferred else "")
        )
