"""`import_articles PATH [PATH ...]`: a thin shell around `articles.importing.import_paths`.

Exit status: 0 every file imported (or unchanged); 1 some files were rejected (the rest imported);
2 a usage error (nothing done); 3 the run itself failed (the database stopped answering: it stopped
there, whole batches before it committed); 130 interrupted (Ctrl-C; whole batches committed).
"""

import os
import sys
from contextlib import ExitStack

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from articles.importing import DEFAULT_BATCH_SIZE, ImportFailed, import_paths
from articles.reading import display_path, iter_files


def ignore(*notice) -> None:
    pass


EXIT_SOME_REJECTED = 1
EXIT_USAGE = 2
EXIT_RUN_FAILED = 3
EXIT_INTERRUPTED = 130


class Command(BaseCommand):
    help = "Import news item files (YAML front matter + Markdown) from files or directories."

    def add_arguments(self, parser):
        parser.add_argument("paths", nargs="+", metavar="PATH", help="A file, or a directory searched recursively.")
        parser.add_argument(
            "--dry-run", action="store_true",
            help="Validate and report, with what the enabled ingest rules would do to each file; write nothing.",
        )
        parser.add_argument(
            "--overwrite-edits", action="store_true", help="Let the files replace fields editors have changed."
        )
        parser.add_argument("--max-bytes", type=int, default=settings.IMPORT_MAX_BYTES, help="Reject larger files.")
        parser.add_argument("--batch-size", type=int, default=DEFAULT_BATCH_SIZE, help="Files per transaction.")
        parser.add_argument(
            "--jobs", type=int, default=min(4, os.cpu_count() or 1),
            help="Worker processes parsing ahead of the writes (default: the CPU count, at most 4; 1 = none).",
        )
        parser.add_argument(
            "--report", metavar="FILE", help="Write one JSON object per file to FILE (with the ingest rules it matched)."
        )
        parser.add_argument("--no-progress", action="store_true", help="No progress bar, even on a terminal.")

    def handle(self, *args, **options):
        if options["max_bytes"] < 1 or options["batch_size"] < 1 or options["jobs"] < 1:
            raise CommandError("--max-bytes, --batch-size and --jobs must be positive.", returncode=EXIT_USAGE)
        try:
            # For the progress bar; keeps no list. Its warnings come once, from the import itself.
            total = sum(1 for _ in iter_files(options["paths"], on_skip=ignore))
        except FileNotFoundError as error:
            raise CommandError(str(error), returncode=EXIT_USAGE) from None
        with ExitStack() as stack:
            report = stack.enter_context(open(options["report"], "w", encoding="utf-8")) if options["report"] else None
            progress = stack.enter_context(
                tqdm(total=total, unit="file", disable=options["no_progress"] or not sys.stderr.isatty(), file=sys.stderr)
            )

            def on_result(result):
                message = ""
                if result.status == "skipped":
                    message = "skipped: " + "; ".join(result.warnings)
                else:
                    progress.update(1)
                if result.status == "rejected":
                    message = "rejected: " + "; ".join(result.errors)
                elif result.rules and (options["dry_run"] or options["verbosity"] > 1):
                    would = "rules would apply" if options["dry_run"] else "rules applied"
                    message = f"{result.path}: {would}: " + "; ".join(
                        f"“{rule['name']}” ({rule['actions']})" for rule in result.rules)
                if message:
                    if progress.disable:
                        self.stderr.write(message)
                    else:
                        progress.write(message, file=sys.stderr)
                if report:
                    report.write(result.as_json() + "\n")

            try:
                summary = import_paths(
                    options["paths"],
                    dry_run=options["dry_run"],
                    overwrite_edits=options["overwrite_edits"],
                    max_bytes=options["max_bytes"],
                    batch_size=options["batch_size"],
                    jobs=options["jobs"],
                    on_result=on_result,
                    arguments={
                        **{k: options[k] for k in ("dry_run", "overwrite_edits", "max_bytes")},
                        "paths": [display_path(path) for path in options["paths"]],
                        "report": display_path(options["report"]) if options["report"] else None,
                    },
                )
            except ImportFailed as failure:
                raise CommandError(f"import stopped: {failure}", returncode=EXIT_RUN_FAILED) from failure
            except KeyboardInterrupt:
                self.stderr.write("import interrupted: the batches written so far are committed.")
                sys.exit(EXIT_INTERRUPTED)
        line = str(summary) + (" (dry run: nothing written)" if options["dry_run"] else "")
        self.stdout.write(self.style.SUCCESS(line) if not summary.rejected else self.style.WARNING(line))
        for rule_line in summary.rule_lines():
            self.stdout.write(("would apply " if options["dry_run"] else "applied ") + rule_line)
        if summary.rejected:
            sys.exit(EXIT_SOME_REJECTED)
