"""`export_articles OUTDIR`: a thin shell around `articles.exporting.export_articles`."""

import datetime as dt
import sys

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime

from articles.exporting import articles_to_export, export_articles


def parse_since(value: str) -> dt.datetime:
    """An ISO date or date-time; naive values are in the site's time zone."""
    try:
        moment = parse_datetime(value)
        if moment is None:
            day = parse_date(value)
            moment = dt.datetime.combine(day, dt.time()) if day else None
    except ValueError:
        moment = None
    if moment is None:
        raise CommandError(
            f"--since: not a date or date-time: {value!r} (e.g. 2024-05-01 or 2024-05-01T10:00:00Z)", returncode=2
        )
    return timezone.make_aware(moment) if timezone.is_naive(moment) else moment


class Command(BaseCommand):
    help = "Write articles back as news item files (front matter + Markdown), one per article, in OUTDIR."

    def add_arguments(self, parser):
        parser.add_argument("outdir", metavar="OUTDIR", help="Directory to write into (created if missing).")
        parser.add_argument("--published-only", action="store_true", help="Only published articles.")
        parser.add_argument("--since", metavar="DATETIME", help="Only articles changed since then (ISO 8601).")
        parser.add_argument("--key", metavar="KEY", help="Only the article with this source key (file name).")
        parser.add_argument("--batch-size", type=int, default=500, help="Articles read per chunk.")
        parser.add_argument("--fsync", action="store_true", help="Flush every file to disk before renaming it.")

    def handle(self, *args, **options):
        if options["batch_size"] < 1:
            raise CommandError("--batch-size must be positive.", returncode=2)
        since = parse_since(options["since"]) if options["since"] else None
        key = options["key"]
        if key is not None and not articles_to_export(key=key).exists():
            raise CommandError(f"--key: no article with source key {key!r}", returncode=2)
        try:
            summary = export_articles(
                options["outdir"],
                published_only=options["published_only"],
                since=since,
                key=key,
                batch_size=options["batch_size"],
                durable=options["fsync"],
            )
        except (FileExistsError, NotADirectoryError, PermissionError) as error:
            message = f"{options['outdir']}: cannot write there ({error.strerror or error})"
            raise CommandError(message, returncode=2) from None
        for source_key, message in summary.errors:
            self.stderr.write(f"{source_key}: {message}")
        self.stdout.write(self.style.SUCCESS(str(summary)) if not summary.errors else self.style.WARNING(str(summary)))
        if summary.errors:
            sys.exit(1)
