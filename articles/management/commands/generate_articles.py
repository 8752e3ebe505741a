"""`generate_articles OUTDIR --count N --seed S`: write a deterministic corpus of fictional items."""

from django.core.management.base import BaseCommand, CommandError

from articles.generator import RELATED_PER_ITEM, SAMPLE_IMAGE_BASE, generate_corpus


class Command(BaseCommand):
    help = "Write N fictional news item files shaped like the pipeline's into OUTDIR (same seed, same bytes)."
    requires_system_checks = []  # writes files only: no database, no URLs

    def add_arguments(self, parser):
        parser.add_argument("outdir", metavar="OUTDIR", help="Directory to write into (created if missing).")
        parser.add_argument("--count", type=int, default=1000, help="Number of items (default 1000).")
        parser.add_argument("--seed", type=int, default=0, help="Random seed (default 0).")
        parser.add_argument(
            "--related", type=int, default=RELATED_PER_ITEM, help=f"Related items per item (default {RELATED_PER_ITEM})."
        )
        parser.add_argument(
            "--demo-images", action="store_true",
            help=f"Point images and logos at the bundled thumbnails ({SAMPLE_IMAGE_BASE}) so the demo renders them.",
        )

    def handle(self, *args, **options):
        if options["count"] < 0 or options["related"] < 0:
            raise CommandError("--count and --related must not be negative.", returncode=2)
        paths = generate_corpus(
            options["outdir"], count=options["count"], seed=options["seed"], related=options["related"],
            image_base=SAMPLE_IMAGE_BASE if options["demo_images"] else None,
        )
        self.stdout.write(f"{len(paths)} files written to {options['outdir']}")
