"""Import news item files: the run, batch by batch, with a result per file and a log of the run.

Flow per batch of files (found by `reading`): read bytes and hash them; one
query finds the known articles; unchanged files (same hash) stop there without
being parsed; the rest are parsed and validated (`validation`) — a bad file
becomes a `FileError` and nothing of it is written; the good ones are written
together in one transaction (`import_writer`). If that transaction fails, the
batch is retried file by file so one bad row cannot sink its neighbours; only a
failure of the run itself (the database gone) stops the run (`ImportFailed`).

Parsing (PyYAML's constructors: most of the CPU time) can run in worker
processes, a batch ahead of the writes (`jobs`).
"""

from __future__ import annotations

import contextlib
import gc
import hashlib
import itertools
import logging
import os
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from . import cluster_index, heap
from .import_log import FileResult, ImportSummary, RunLog, record_run
from .import_writer import UNCHANGED_TEST_VALUES, BatchWriter, PendingFile
from .models import Article, ImportRun
from .rule_actions import RuleRunner, describe_actions
from .reading import InProcessParser, WorkerPool, check_paths, display_path, iter_files, open_regular
from .validation import FileError

logger = logging.getLogger(__name__)

DEFAULT_MAX_BYTES = 1024 * 1024
DEFAULT_BATCH_SIZE = 1000


class ImportFailed(Exception):
    """The run itself cannot go on (the database stopped answering): not any one file's fault."""


def database_is_reachable() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        return True
    except Exception:  # noqa: BLE001 - whatever the driver raises, the answer is no
        return False


# --- the import ------------------------------------------------------------------------


@dataclass
class PreparedBatch:
    results: list[FileResult] = field(default_factory=list)
    to_parse: list[PendingFile] = field(default_factory=list)
    parsed: Iterator | None = None


class RunKeys:
    """The source keys a run has read, in a temporary table rather than in memory.

    Two files with the same name in one run: the second is rejected. Keeping every key in a Python
    set made the importer's memory grow with the number of files; the table lives on the run's own
    connection and is dropped when the run ends.
    """

    TABLE = "newsroom_import_run_keys"

    def __init__(self):
        self.created = False

    def add_batch(self, keys: list[str]) -> set[str]:
        """Record `keys`; return those an earlier batch of the run already had."""
        if not keys:
            return set()
        quote = connection.ops.quote_name
        with connection.cursor() as cursor:
            if not self.created:
                cursor.execute(f"DROP TABLE IF EXISTS {quote(self.TABLE)}")
                cursor.execute(f"CREATE TEMPORARY TABLE {quote(self.TABLE)} (source_key VARCHAR(255) PRIMARY KEY)")
                self.created = True
            placeholders = ", ".join(["%s"] * len(keys))
            cursor.execute(f"SELECT source_key FROM {quote(self.TABLE)} WHERE source_key IN ({placeholders})", keys)
            earlier = {row[0] for row in cursor.fetchall()}
            new = list(dict.fromkeys(key for key in keys if key not in earlier))
            cursor.executemany(f"INSERT INTO {quote(self.TABLE)} (source_key) VALUES (%s)", [[key] for key in new])
        return earlier

    def close(self) -> None:
        if self.created:
            try:
                with connection.cursor() as cursor:
                    cursor.execute(f"DROP TABLE IF EXISTS {connection.ops.quote_name(self.TABLE)}")
            except DatabaseError:  # the connection is gone, and its temporary table with it
                pass
            self.created = False


class Importer:
    """Reads and parses a run's files in batches, and hands each batch's good files to the writer."""

    def __init__(self, *, dry_run: bool = False, overwrite_edits: bool = False,
                 max_bytes: int = DEFAULT_MAX_BYTES, run_log: RunLog | None = None):
        self.dry_run = dry_run
        self.max_bytes = max_bytes
        self.writer = BatchWriter(overwrite_edits=overwrite_edits)
        self.run_log = run_log
        self.rules_loaded = False
        self.seen_keys = RunKeys()

    # reading ------------------------------------------------------------------------

    def read(self, path: Path) -> PendingFile | FileResult:
        key = path.stem
        try:
            with open_regular(path) as handle:
                data = handle.read(self.max_bytes + 1)  # never more than the limit, however big the file
                if len(data) > self.max_bytes:
                    size = os.fstat(handle.fileno()).st_size
                    return self.rejected(
                        path, key, None, f"file is {size} bytes, over the limit of {self.max_bytes} (--max-bytes)"
                    )
        except OSError as error:
            return self.rejected(path, key, None, f"cannot read: {error.strerror or error}")
        if len(key) > 255:
            return self.rejected(path, key, None, "file name is longer than 255 characters")
        return PendingFile(path=path, key=key, data=data, content_hash=hashlib.blake2b(data, digest_size=20).hexdigest())

    @staticmethod
    def rejected(path: Path, key: str, line: int | None, message: str) -> FileResult:
        error = FileError(display_path(path), line, message)
        return FileResult(path=display_path(path), key=key, status="rejected", errors=[str(error)], error=error)

    # the batch --------------------------------------------------------------------------

    def prepare(self, paths: list[Path], parser) -> PreparedBatch:
        """Read a batch, set aside the unchanged files, and start parsing the rest."""
        batch = PreparedBatch()
        if not self.rules_loaded:  # the enabled rules as the run starts
            self.writer.rules, self.rules_loaded = RuleRunner.enabled(), True
        pending: list[PendingFile] = []
        for path in paths:
            item = self.read(path)
            (batch.results if isinstance(item, FileResult) else pending).append(item)
        pending = self.first_of_each_key(pending, batch.results)
        existing = {
            row["source_key"]: row
            for row in Article.objects.filter(source_key__in=[p.key for p in pending]).values(*UNCHANGED_TEST_VALUES)
        } if pending else {}
        for item in pending:
            item.existing = existing.get(item.key)
            if self.writer.is_unchanged(item):
                batch.results.append(FileResult(path=display_path(item.path), key=item.key, status="unchanged"))
            else:
                batch.to_parse.append(item)
        batch.parsed = parser.start([item.data for item in batch.to_parse])
        for item in batch.to_parse:
            item.data = None  # handed to the parser; keep memory flat
        return batch

    def first_of_each_key(self, items: list[PendingFile], results: list[FileResult]) -> list[PendingFile]:
        """Items whose source key no earlier file of this run had; the others are rejected."""
        earlier = self.seen_keys.add_batch([item.key for item in items])
        first = []
        for item in items:
            if item.key in earlier:
                results.append(self.rejected(item.path, item.key, None, f"same source key {item.key!r} as another file in this run"))
            else:
                earlier.add(item.key)
                first.append(item)
        return first

    def close(self) -> None:
        self.seen_keys.close()

    def finish(self, batch: PreparedBatch) -> list[FileResult]:
        """Collect a batch's parse results and write the good files in one transaction."""
        results, to_write = batch.results, []
        for item, outcome in zip(batch.to_parse, batch.parsed):
            if isinstance(outcome, FileError):
                results.append(self.rejected(item.path, item.key, outcome.line, outcome.message))
            else:
                item.record, item.body, item.story = outcome
                to_write.append(item)
        if not to_write:
            return results
        if self.dry_run:
            results.extend(self.dry_run_results(to_write))
            return results
        if self.run_log:
            try:
                run = self.run_log.started_run()
            except DatabaseError as error:
                raise ImportFailed(f"the database stopped answering before writing {to_write[0].path}: {error}") from error
            if self.writer.rules:
                self.writer.rules.import_run = run
        try:
            results.extend(self.write_batch(to_write))
        except Exception:  # noqa: BLE001 - one bad row must not sink its neighbours: retry file by file
            results.extend(self.write_one_by_one(to_write))
        return results

    def write_batch(self, items: list[PendingFile]) -> list[FileResult]:
        """Write items in one transaction (`BatchWriter.write_batch`)."""
        self.writer.rules_fired = {}
        written, unchanged = self.writer.write_batch(items)
        return [FileResult(path=display_path(item.path), key=item.key, status="unchanged") for item in unchanged] + [
            self.result_for(item, rules=self.writer.rules_fired.get(item.key, ())) for item in written
        ]

    def dry_run_results(self, items: list[PendingFile]) -> list[FileResult]:
        """What writing `items` would do. With ingest rules enabled, the batch is really written, rules and all,
        and rolled back: the rules' matching is the database's, so this is the one way to show what they would do
        without a second definition of it."""
        if not self.writer.rules:
            return [self.result_for(item) for item in items]
        try:
            with transaction.atomic():
                results = self.write_batch(items)
                transaction.set_rollback(True)
        except Exception:  # noqa: BLE001 - a row the database refuses: say what a plain dry run says
            results = [self.result_for(item) for item in items]
        finally:
            self.writer.forget_cached_ids()  # providers and topics it created were rolled back
        return results

    def write_one_by_one(self, items: list[PendingFile]) -> list[FileResult]:
        """Each file in a transaction of its own: a file the database refuses is rejected alone.

        An error that is the database's rather than the file's (the server gone) stops the run.
        """
        results = []
        for item in items:
            try:
                results.extend(self.write_batch([item]))
            except Exception as error:  # noqa: BLE001 - reported as this file's rejection, or the run's failure
                if not database_is_reachable():
                    raise ImportFailed(f"the database stopped answering while writing {item.path}: {error}") from error
                message = f"database refused it: {error}" if isinstance(error, DatabaseError) else (
                    f"unexpected error while writing it: {type(error).__name__}: {error}"
                )
                results.append(self.rejected(item.path, item.key, None, message))
        return results

    def result_for(self, item: PendingFile, *, rules=()) -> FileResult:
        """The result of a file that is (or, in a dry run, would be) written, with the ingest rules that matched it."""
        kept = self.writer.kept_fields(item)
        warnings = ["kept editor changes to: " + ", ".join(kept)] if kept else []
        return FileResult(path=display_path(item.path), key=item.key, status="updated" if item.existing else "created",
                          warnings=warnings,
                          rules=[{"id": rule.pk, "name": rule.name, "actions": describe_actions(rule)} for rule in rules])


@contextlib.contextmanager
def gc_paused():
    """Pause the cyclic garbage collector for one batch.

    Parsing allocates hundreds of thousands of short-lived objects and none of them form cycles;
    the collector would scan the batch's live records again and again (docs/PERFORMANCE.md has the cost).
    It runs again between batches, so memory stays bounded by the batch size.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def batched(items: Iterable, size: int) -> Iterator[list]:
    iterator = iter(items)
    while batch := list(itertools.islice(iterator, size)):
        yield batch


@contextlib.contextmanager
def sqlite_statements_not_cached() -> Iterator[None]:
    """On SQLite, the run's connection reopened without Python's prepared-statement cache, then as configured.

    The cache keeps the last 128 statements prepared. An import's are mostly one-off shapes (an IN list or a bulk
    update of every length), up to ~170 kB each in SQLite, so over a long run the cache held up to ~20 MiB that no
    later query reused, more the denser the table (docs/PERFORMANCE.md, Importer memory). Editors' pages, which
    repeat their statements, keep it. Inside a transaction (a caller's, a test's) the connection is left as it is.
    """
    if connection.vendor != "sqlite" or connection.in_atomic_block:
        yield
        return
    configured = connection.settings_dict
    connection.close()
    connection.settings_dict = {**configured, "OPTIONS": {**configured.get("OPTIONS", {}), "cached_statements": 0}}
    try:
        yield
    finally:
        connection.close()
        connection.settings_dict = configured


@sqlite_statements_not_cached()
def import_paths(
    paths: Iterable[str | os.PathLike],
    *,
    dry_run: bool = False,
    overwrite_edits: bool = False,
    max_bytes: int = DEFAULT_MAX_BYTES,
    batch_size: int = DEFAULT_BATCH_SIZE,
    jobs: int = 1,
    on_result: Callable[[FileResult], None] | None = None,
    arguments: dict | None = None,
) -> ImportSummary:
    """Import every news item file under `paths`. Never raises for a bad file: it is counted as rejected.

    Each batch commits on its own, so an interrupted run (Ctrl-C) leaves whole
    batches in the database and nothing half-written. The run is logged as an
    `ImportRun` when it changed or rejected anything (an all-unchanged run writes nothing).
    With `jobs` > 1 and more than one batch of files, worker processes parse the
    next batch while this one is written.
    """
    started = timezone.now()
    heap.keep_large_blocks_out_of_the_heap()
    run_log = RunLog(started=started, arguments=arguments or {})
    importer = Importer(dry_run=dry_run, overwrite_edits=overwrite_edits, max_bytes=max_bytes, run_log=run_log)
    parser = InProcessParser()
    summary = ImportSummary()
    status, failure = ImportRun.Status.FAILED, ""

    def report(results: list[FileResult]) -> None:
        for result in results:
            summary.count(result)
            if on_result:
                on_result(result)

    def skipped(path: str, reason: str) -> None:
        report([FileResult(path=path, key="", status="skipped", warnings=[f"{path}: {reason}"])])

    def refused(path: str, reason: str) -> None:
        error = FileError(path, None, reason)
        report([FileResult(path=path, key="", status="rejected", errors=[str(error)], error=error)])

    files = iter_files(check_paths(paths), on_skip=skipped, on_reject=refused)

    try:
        current = None
        for index, batch in enumerate(batched(files, batch_size)):
            if index == 1 and jobs > 1:  # more than one batch: worth starting workers
                parser = WorkerPool(jobs, story_days=None if dry_run else cluster_index.days_if_clustering())
            with gc_paused():
                try:
                    upcoming = importer.prepare(batch, parser)
                except DatabaseError as error:
                    raise ImportFailed(f"the database stopped answering while reading {batch[0]}: {error}") from error
                if current is not None:
                    report(importer.finish(current))
            heap.return_freed_memory()
            current = upcoming
        if current is not None:
            with gc_paused():
                report(importer.finish(current))
        status = ImportRun.Status.FINISHED
    except KeyboardInterrupt:
        status = ImportRun.Status.INTERRUPTED
        raise
    except ImportFailed as error:
        failure = str(error)
        raise
    except Exception as error:  # a fault of the run, not of a file: stop, say where, log the run
        failure = f"unexpected error after {summary.files} files: {type(error).__name__}: {error}"
        raise ImportFailed(failure) from error
    finally:
        parser.close()
        importer.close()
        if not dry_run and (summary.created or summary.updated or summary.rejected or summary.skipped or failure):
            record_run(summary, started=started, status=status, failure=failure, arguments=arguments or {},
                       run=run_log.run)
    if not dry_run and (summary.created or summary.updated):
        refresh_planner_statistics()
    return summary


def refresh_planner_statistics() -> None:
    """SQLite keeps no statistics by itself: after a big import its planner can pick a poor index.
    `PRAGMA optimize` re-analyses only what needs it, and is cheap. PostgreSQL's autovacuum does the
    same on its own. Housekeeping: if it cannot run now (an editor's write holds the database), the
    next import runs it; it never fails this one."""
    if connection.vendor != "sqlite":
        return
    try:
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA optimize")
    except DatabaseError as error:
        logger.warning("Skipped refreshing the planner's statistics: %s", error)
