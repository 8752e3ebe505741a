"""Import news item files: validate each one, then upsert them in batches.

Flow per batch of files: read bytes and hash them; one query finds the known
articles; unchanged files (same hash) stop there without being parsed; the rest
are parsed and validated into `ArticleRecord`s — a bad file becomes a
`FileError` and nothing of it is written; the good ones are written together in
one transaction with bulk queries. If that transaction fails, the batch is
retried file by file so one bad row cannot sink its neighbours.

Parsing (PyYAML's constructors: most of the CPU time) can run in worker
processes, a batch ahead of the writes (`jobs`).
"""

from __future__ import annotations

import contextlib
import functools
import gc
import hashlib
import itertools
import json
import logging
import os
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from django.db import DatabaseError, connection, models, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.text import slugify

from . import editorial, schema
from .models import Article, ArticleImage, ArticleTopic, ImportRun, Provider, RelatedArticle, Topic
from .reading import InProcessParser, WorkerPool, check_paths, display_path, iter_files, open_regular
from .validation import ArticleRecord, FileError

logger = logging.getLogger(__name__)
MAX_WARNINGS_KEPT = 1000  # in the run's log; each one also reaches `on_result`

DEFAULT_MAX_BYTES = 1024 * 1024
DEFAULT_BATCH_SIZE = 1000


# --- results ---------------------------------------------------------------------------


@dataclass
class FileResult:
    path: str
    key: str
    status: str  # created, updated, unchanged, rejected, skipped (not a file to read: a warning)
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    error: FileError | None = None

    def as_json(self) -> str:
        return json.dumps(
            {"path": self.path, "key": self.key, "status": self.status, "errors": self.errors, "warnings": self.warnings},
            ensure_ascii=False,
        )


@dataclass
class ImportSummary:
    files: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0
    skipped: int = 0
    errors: list[FileError] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)  # the first MAX_WARNINGS_KEPT of them

    def count(self, result: FileResult) -> None:
        setattr(self, result.status, getattr(self, result.status) + 1)
        if result.status == "skipped":
            if len(self.warnings) < MAX_WARNINGS_KEPT:
                self.warnings.extend(result.warnings)
            return
        self.files += 1
        if result.error:
            self.errors.append(result.error)

    def __str__(self) -> str:
        return ImportRun.describe_counts(self)


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
class PendingFile:
    path: Path
    key: str
    data: bytes | None
    content_hash: str
    record: ArticleRecord | None = None
    body: str = ""
    existing: dict | None = None


IMPORT_LOCK = 0x6E657773  # any constant shared by all importers ("news")


def start_batch_transaction() -> None:
    """Make concurrent importers write one batch at a time (they still parse in parallel), and let a
    batch commit without waiting for its WAL to reach the disk.

    PostgreSQL: a transaction-scoped advisory lock, and `synchronous_commit` off
    for this transaction only, because a batch otherwise waits longer for its
    commit's disk flush than for its inserts (docs/PERFORMANCE.md). A server crash
    can then lose the last batches of a run (the WAL writer's delay's worth), never
    half of one; the next run imports those files again, since their content hash
    is not in the database. SQLite needs neither: its IMMEDIATE transactions
    already admit one writer at a time.
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [IMPORT_LOCK])
            cursor.execute("SET LOCAL synchronous_commit TO OFF")


@dataclass
class PreparedBatch:
    results: list[FileResult] = field(default_factory=list)
    to_parse: list[PendingFile] = field(default_factory=list)
    parsed: Iterator | None = None


ARTICLE_COLUMNS = (
    "category", "title", "excerpt", "published_date_time", "published_date_time_raw", "original_url", "web_url",
    "amp_web_url", "cdn_amp_web_url", "type", "quality", "heat", "status", "featured_content", "secured",
)
DEFAULTS = {field.name: field.get_default() for field in Article._meta.concrete_fields if field.name in ARTICLE_COLUMNS}
# Columns compared for "what changed upstream"; editor-kept ones are skipped per article.
COMPARED_COLUMNS = ARTICLE_COLUMNS + ("body", "extra_yaml", "source_keys")
UPDATED_COLUMNS = list(COMPARED_COLUMNS) + [
    "source_file", "content_hash", "provider", "provider_variant", "web_url_key", "original_url_key",
    "version", "changed_since_review", "editor_fields", "updated_at",
]
EXISTING_VALUES = (
    "id", "source_key", "content_hash", "editor_fields", "version", "reviewed_at", "changed_since_review",
) + COMPARED_COLUMNS


# What tells an unchanged file from a changed one, read for a whole batch before parsing anything.
UNCHANGED_TEST_VALUES = ("source_key", "content_hash", "editor_fields")


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
    """Imports files in batches. Keeps provider and topic ids cached for the whole run."""

    def __init__(self, *, dry_run: bool = False, overwrite_edits: bool = False,
                 max_bytes: int = DEFAULT_MAX_BYTES):
        self.dry_run = dry_run
        self.overwrite_edits = overwrite_edits
        self.max_bytes = max_bytes
        self.provider_ids: dict[str, int] = {}
        self.provider_mappings: dict[str, dict] = {}
        self.topic_ids: dict[str, int] = {}
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
            if self.is_unchanged(item):
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
                item.record, item.body = outcome
                to_write.append(item)
        if not to_write:
            return results
        if self.dry_run:
            results.extend(self.result_for(item) for item in to_write)
            return results
        try:
            results.extend(self.write_batch(to_write))
        except Exception:  # noqa: BLE001 - one bad row must not sink its neighbours: retry file by file
            results.extend(self.write_one_by_one(to_write))
        return results

    def write_batch(self, items: list[PendingFile]) -> list[FileResult]:
        """Write items in one transaction, their rows locked and read afresh first."""
        with transaction.atomic():
            start_batch_transaction()
            to_write, unchanged = self.lock_and_recheck(items)
            return unchanged + self.write(to_write)

    def lock_and_recheck(self, items: list[PendingFile]) -> tuple[list[PendingFile], list[FileResult]]:
        """Lock the batch's articles, and those its URLs make duplicates of, then read them again.

        Locked as editors lock them (`editorial.lock_articles`, id order), all at once before any write, so
        an editor's save either lands before this read (and is kept) or waits for the batch to commit (and
        then sees its new version). Another importer may also have written some of these files meanwhile.
        """
        keys = [item.key for item in items]
        url_keys = set().union(*(item.record.url_keys for item in items))
        involved = Q(source_key__in=keys)
        if url_keys:
            involved |= Q(web_url_key__in=url_keys) | Q(original_url_key__in=url_keys)
        locked = editorial.lock_articles(Article.objects.filter(involved)).values_list("pk", "source_key")
        batch_ids = [pk for pk, key in locked if key in set(keys)]
        rows = {row["source_key"]: row for row in Article.objects.filter(pk__in=batch_ids).values(*EXISTING_VALUES)}
        to_write, unchanged = [], []
        for item in items:
            item.existing = rows.get(item.key)
            if self.is_unchanged(item):
                unchanged.append(FileResult(path=display_path(item.path), key=item.key, status="unchanged"))
            else:
                to_write.append(item)
        return to_write, unchanged

    def is_unchanged(self, item: PendingFile) -> bool:
        if not item.existing or item.existing["content_hash"] != item.content_hash:
            return False
        return not (self.overwrite_edits and item.existing["editor_fields"])

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

    def result_for(self, item: PendingFile) -> FileResult:
        """The result of a file that is (or, in a dry run, would be) written."""
        kept = self.kept_fields(item)
        warnings = ["kept editor changes to: " + ", ".join(kept)] if kept else []
        return FileResult(path=display_path(item.path), key=item.key, status="updated" if item.existing else "created",
                          warnings=warnings)

    def kept_fields(self, item: PendingFile) -> list[str]:
        if self.overwrite_edits or not item.existing:
            return []
        return [name for name in item.existing["editor_fields"] if name in schema.EDITABLE_FIELDS]

    # writing ----------------------------------------------------------------------------

    def write(self, items: list[PendingFile]) -> list[FileResult]:
        """Write validated items: articles, then their children, in bulk. Runs inside `write_batch`'s transaction."""
        now = timezone.now()
        self.resolve_providers([item.record.provider for item in items if item.record.provider])
        self.resolve_topics([name for item in items for name in item.record.topics])
        new_rows, changed, upstream = [], [], {}
        reviewed = reviewed_outlines([item.existing["id"] for item in items if item.existing and item.existing["reviewed_at"]])
        for item in items:
            values = self.article_values(item, now)
            if item.existing:
                changes = self.upstream_changes(item, values, reviewed.get(values["id"]))
                if changes:
                    upstream[values["id"]] = (item.existing["version"], changes)
                values["changed_since_review"] = bool(changes) or item.existing["changed_since_review"]
                changed.append(values)
            else:
                new_rows.append(values)
        versions = editorial.log_upstream_changes(upstream, at=now) if upstream else {}
        changed_articles = []
        for values in changed:
            values["version"] = versions.get(values["id"], values["version"])
            changed_articles.append(Article(**values))
        ids = {article.source_key: article.pk for article in changed_articles}
        if new_rows:
            insert_rows(Article, new_rows)
            ids.update(Article.objects.filter(source_key__in=[row["source_key"] for row in new_rows]).values_list("source_key", "id"))
        if changed_articles:
            Article.objects.bulk_update(changed_articles, UPDATED_COLUMNS, batch_size=500)
            changed_ids = [article.pk for article in changed_articles]
            ArticleImage.objects.filter(article_id__in=changed_ids).delete()
            RelatedArticle.objects.filter(article_id__in=changed_ids).delete()
            ArticleTopic.objects.filter(article_id__in=changed_ids).delete()
        self.create_children(items, ids)
        self.mark_duplicates({ids[item.key]: item.record.url_keys for item in items})
        return [self.result_for(item) for item in items]

    def article_values(self, item: PendingFile, now) -> dict:
        """The Article columns for an item: the file's values, defaults for absent keys, kept editor changes.

        For a known article, `item.existing` was read under the row lock, so what is kept is current.
        """
        record = item.record
        values = {**DEFAULTS, **record.fields, "body": item.body}
        for name in self.kept_fields(item):
            values[name] = item.existing[name]
        provider_key = self.provider_key(record.provider) if record.provider else None
        values.update(
            source_key=item.key,
            source_file=str(item.path),
            content_hash=item.content_hash,
            provider_id=self.provider_ids[provider_key] if provider_key else None,
            provider_variant=(
                record.provider if provider_key and self.provider_mappings[provider_key] != record.provider else None
            ),
            updated_at=now,
        )
        if item.existing:
            values.update(
                id=item.existing["id"],
                version=item.existing["version"] + 1,
                editor_fields=[] if self.overwrite_edits else item.existing["editor_fields"],
                changed_since_review=False,
            )
        else:
            values["imported_at"] = now
        return values

    def upstream_changes(self, item: PendingFile, values: dict, old_outline: dict | None) -> list[editorial.UpstreamChange]:
        """What moved upstream on an article an editor already reviewed (nothing for one never reviewed)."""
        if old_outline is None:
            return []
        changes = [(name, item.existing[name], values[name]) for name in COMPARED_COLUMNS]
        new_outline = record_outline(item.record)
        changes += [(name, old_outline[name], new_outline[name]) for name in OUTLINE_KEYS]
        return [editorial.UpstreamChange(name, old, new) for name, old, new in changes if old != new]

    def create_children(self, items: list[PendingFile], by_key: dict[str, int]) -> None:
        images, related, topic_links = [], [], []
        for item in items:
            article_id = by_key[item.key]
            record = item.record
            images.extend({**image, "article": article_id, "position": i} for i, image in enumerate(record.images))
            related.extend({**rel, "article": article_id, "position": i} for i, rel in enumerate(record.related))
            topic_links.extend(
                {"article": article_id, "topic": self.topic_ids[name], "position": i}
                for i, name in enumerate(record.topics)
            )
        insert_rows(ArticleImage, images)
        insert_rows(RelatedArticle, related)
        insert_rows(ArticleTopic, topic_links)

    # providers and topics ------------------------------------------------------------

    @staticmethod
    def provider_key(mapping: dict) -> str:
        return str(mapping.get("domain") or mapping.get("name")).strip().lower()[:255]

    def resolve_providers(self, mappings: list[dict]) -> None:
        """Make sure every provider exists; the first mapping seen for a key becomes the provider's."""
        wanted = {}
        for mapping in mappings:
            wanted.setdefault(self.provider_key(mapping), mapping)
        missing = [key for key in wanted if key not in self.provider_ids]
        if not missing:
            return
        self.load_providers(missing)
        to_create = [
            Provider(key=key, name=str(wanted[key].get("name") or ""), domain=str(wanted[key].get("domain") or ""),
                     mapping=wanted[key])
            for key in missing if key not in self.provider_ids
        ]
        if to_create:
            Provider.objects.bulk_create(to_create, ignore_conflicts=True)
            self.load_providers([provider.key for provider in to_create])

    def load_providers(self, keys: list[str]) -> None:
        for provider in Provider.objects.filter(key__in=keys).only("id", "key", "mapping"):
            self.provider_ids[provider.key] = provider.id
            self.provider_mappings[provider.key] = provider.mapping

    def resolve_topics(self, names: list[str]) -> None:
        missing = {name for name in names if name not in self.topic_ids}
        if not missing:
            return
        self.load_topics(missing)
        still_missing = [name for name in sorted(missing) if name not in self.topic_ids]
        if still_missing:
            taken = set(Topic.objects.filter(slug__in=[unique_slug(n) for n in still_missing]).values_list("slug", flat=True))
            to_create = []
            for name in still_missing:
                slug = unique_slug(name)
                if slug in taken:
                    slug = unique_slug(name, salted=True)
                taken.add(slug)
                to_create.append(Topic(name=name, slug=slug))
            Topic.objects.bulk_create(to_create, ignore_conflicts=True)
            self.load_topics(still_missing)
            for name in still_missing:  # lost a slug race with another importer: take a salted slug
                if name not in self.topic_ids:
                    topic, _ = Topic.objects.get_or_create(name=name, defaults={"slug": unique_slug(name, salted=True)})
                    self.topic_ids[name] = topic.id

    def load_topics(self, names) -> None:
        self.topic_ids.update(Topic.objects.filter(name__in=list(names)).values_list("name", "id"))

    # duplicates -------------------------------------------------------------------------

    def mark_duplicates(self, keys_of: dict[int, set[str]]) -> None:
        """Link articles whose canonical webUrl/originalUrl match, both ways, whichever came first."""
        all_keys = set().union(*keys_of.values()) if keys_of else set()
        if not all_keys:
            return
        owners: dict[str, set[int]] = {}
        rows = Article.objects.filter(Q(web_url_key__in=all_keys) | Q(original_url_key__in=all_keys))
        for pk, web_key, original_key in rows.values_list("pk", "web_url_key", "original_url_key"):
            for key in (web_key, original_key):
                if key in all_keys:
                    owners.setdefault(key, set()).add(pk)
        pairs = set()
        for pk, keys in keys_of.items():
            for key in keys:
                for other in owners.get(key, ()):
                    if other != pk:
                        pairs.add((pk, other))
                        pairs.add((other, pk))
        if not pairs:
            return
        through = Article.duplicates.through
        through.objects.bulk_create(
            [through(from_article_id=a, to_article_id=b) for a, b in pairs], ignore_conflicts=True
        )
        Article.objects.filter(pk__in={a for a, _ in pairs}, is_possible_duplicate=False).update(is_possible_duplicate=True)


@functools.cache
def insert_plan(model) -> tuple[str, list]:
    """The INSERT statement for every non-pk column of `model`, and how to fill and convert each value."""
    quote = connection.ops.quote_name
    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    columns = ", ".join(quote(f.column) for f in fields)
    placeholders = ", ".join(["%s"] * len(fields))
    plan = []
    for f in fields:
        default = None if f.null and not f.has_default() else f.get_default()
        convert = None
        if isinstance(f, models.DateTimeField):
            convert = connection.ops.adapt_datetimefield_value
        elif isinstance(f, models.JSONField):
            convert = functools.partial(connection.ops.adapt_json_value, encoder=f.encoder)
        plan.append((f.name, f.attname, default, convert))
    return f"INSERT INTO {quote(model._meta.db_table)} ({columns}) VALUES ({placeholders})", plan


def insert_rows(model, rows: list[dict]) -> None:
    """Insert plain dicts with one executemany: several times faster than bulk_create for wide batches.

    Keys are field names (or attnames for foreign keys); missing ones take the field's default.
    """
    if not rows:
        return
    sql, plan = insert_plan(model)
    params = []
    for row in rows:
        values = []
        for name, attname, default, convert in plan:
            value = row[name] if name in row else row.get(attname, default)
            if convert is not None and value is not None:
                value = convert(value)
            values.append(value)
        params.append(values)
    with connection.cursor() as cursor:
        cursor.executemany(sql, params)


OUTLINE_KEYS = ("provider", "topics", "images", "related")


def reviewed_outlines(article_ids: list[int]) -> dict[int, dict]:
    """Provider, topics, image and related URLs of reviewed articles, to tell an editor what moved upstream."""
    if not article_ids:
        return {}
    outlines = {pk: {"provider": None, "topics": [], "images": [], "related": []} for pk in article_ids}
    for pk, provider in Article.objects.filter(pk__in=article_ids).values_list("pk", "provider__key"):
        outlines[pk]["provider"] = provider
    for pk, name in ArticleTopic.objects.filter(article_id__in=article_ids).order_by("article_id", "position").values_list("article_id", "topic__name"):
        outlines[pk]["topics"].append(name)
    for pk, url in ArticleImage.objects.filter(article_id__in=article_ids).values_list("article_id", "url"):
        outlines[pk]["images"].append(url)
    for pk, title, url in RelatedArticle.objects.filter(article_id__in=article_ids).values_list("article_id", "title", "web_url"):
        outlines[pk]["related"].append(url or title)
    return outlines


def record_outline(record: ArticleRecord) -> dict:
    return {
        "provider": Importer.provider_key(record.provider) if record.provider else None,
        "topics": list(record.topics),
        "images": [image["url"] for image in record.images],
        "related": [item.get("web_url") or item.get("title") for item in record.related],
    }


def unique_slug(name: str, *, salted: bool = False) -> str:
    base = slugify(name)[:200] or "topic"
    if salted or base != slugify(name):
        return f"{base}-{hashlib.sha1(name.encode()).hexdigest()[:8]}"
    return base


# --- entry point --------------------------------------------------------------------


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
    importer = Importer(dry_run=dry_run, overwrite_edits=overwrite_edits, max_bytes=max_bytes)
    parser = InProcessParser()
    summary = ImportSummary()
    started = timezone.now()
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
                parser = WorkerPool(jobs)
            with gc_paused():
                try:
                    upcoming = importer.prepare(batch, parser)
                except DatabaseError as error:
                    raise ImportFailed(f"the database stopped answering while reading {batch[0]}: {error}") from error
                if current is not None:
                    report(importer.finish(current))
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
            record_run(summary, started=started, status=status, failure=failure, arguments=arguments or {})
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


def record_run(summary: ImportSummary, *, started, status: str, failure: str = "", arguments: dict) -> ImportRun | None:
    """Log the run. A run whose database is gone cannot log itself: it says so, and its exit code tells."""
    try:
        return _create_run(summary, started=started, status=status, failure=failure, arguments=arguments)
    except DatabaseError as error:
        logger.warning("Could not log this import run: %s", error)
        return None


def _create_run(summary: ImportSummary, *, started, status: str, failure: str, arguments: dict) -> ImportRun:
    return ImportRun.objects.create(
        failure=failure,
        finished_at=timezone.now(),
        arguments={**arguments, "started": started.isoformat()},
        status=status,
        files=summary.files,
        created=summary.created,
        updated=summary.updated,
        unchanged=summary.unchanged,
        rejected=summary.rejected,
        skipped=summary.skipped,
        warnings=summary.warnings,
        errors=[{"path": e.path, "line": e.line, "message": e.message} for e in summary.errors],
    )
