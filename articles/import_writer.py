"""Write a batch of validated items: lock, read afresh, upsert articles, replace their children, mark duplicates.

The importer's database half (`importing` reads and parses the files). A batch
is one transaction: its articles, and those its URLs make duplicates of, are
locked first the way editors lock them (`editorial.lock_articles`, id order)
and read again under the lock, so nothing an editor saved meanwhile is written
back from a stale copy; what moved upstream on a reviewed article is audited
through `editorial.log_upstream_changes`. Inserts go through one executemany
per table (`insert_rows`), updates through `bulk_update`.
"""

from __future__ import annotations

import functools
import hashlib
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from django.db import connection, models, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.text import slugify

from . import cluster_index, editorial, schema
from .models import Article, ArticleImage, ArticleTopic, Provider, RelatedArticle, Topic
from .clustering import StoryHint
from .validation import ArticleRecord


@dataclass
class PendingFile:
    path: Path
    key: str
    data: bytes | None
    content_hash: str
    record: ArticleRecord | None = None
    body: str = ""
    existing: dict | None = None
    story: StoryHint | None = None  # from a parser worker, for the clustering


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


class BatchWriter:
    """Writes batches of one run. Keeps provider and topic ids cached for the whole run."""

    def __init__(self, *, overwrite_edits: bool = False):
        self.overwrite_edits = overwrite_edits
        self.provider_ids: dict[str, int] = {}
        self.provider_mappings: dict[str, dict] = {}
        self.topic_ids: dict[str, int] = {}
        self.rules = None  # a rule_actions.RuleRunner when ingest rules are enabled
        self.rules_fired: dict[str, list] = {}  # source key -> the rules that matched it, for the last batch

    def write_batch(self, items: list[PendingFile]) -> tuple[list[PendingFile], list[PendingFile]]:
        """Write items in one transaction, their rows locked and read afresh first: (written, found unchanged)."""
        with transaction.atomic():
            start_batch_transaction()
            to_write, unchanged = self.lock_and_recheck(items)
            self.write(to_write)
        cluster_index.cluster_imported(  # its own transaction and locks
            [item.key for item in to_write], hints={item.key: item.story for item in to_write if item.story})
        return to_write, unchanged

    def lock_and_recheck(self, items: list[PendingFile]) -> tuple[list[PendingFile], list[PendingFile]]:
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
                unchanged.append(item)
            else:
                to_write.append(item)
        return to_write, unchanged

    def is_unchanged(self, item: PendingFile) -> bool:
        """Same bytes as the stored article, and nothing to overwrite (`item.existing` read with
        UNCHANGED_TEST_VALUES at least)."""
        if not item.existing or item.existing["content_hash"] != item.content_hash:
            return False
        return not (self.overwrite_edits and self.edited(item))

    @staticmethod
    def edited(item: PendingFile) -> list[str]:
        """The fields of the file an editor (or a rule) changed on the stored article; not their other changes
        (a story taken apart, a mark for attention), which no file holds."""
        return [name for name in item.existing["editor_fields"] if name in schema.EDITABLE_FIELDS] if item.existing else []

    def kept_fields(self, item: PendingFile) -> list[str]:
        return [] if self.overwrite_edits else self.edited(item)

    def overwritten(self, item: PendingFile) -> list[str]:
        return self.edited(item) if self.overwrite_edits else []

    def write(self, items: list[PendingFile]) -> None:
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
            rule_topics = self.rule_topics(changed_ids)
            ArticleTopic.objects.filter(article_id__in=changed_ids).delete()
        else:
            rule_topics = {}
        self.create_children(items, ids, rule_topics)
        self.mark_duplicates({ids[item.key]: item.record.url_keys for item in items})
        if self.rules:  # ingest rules, on the rows this batch holds locked
            fired = self.rules.run(new_ids=[ids[row["source_key"]] for row in new_rows],
                                   changed_ids=[article.pk for article in changed_articles])
            self.rules_fired = {key: fired[pk] for key, pk in ids.items() if pk in fired}

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
            overwritten = self.overwritten(item)
            values.update(
                id=item.existing["id"],
                version=item.existing["version"] + 1,
                editor_fields=[name for name in item.existing["editor_fields"] if name not in overwritten],
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

    def rule_topics(self, article_ids: list[int]) -> dict[int, list[int]]:
        """The topics ingest rules added to these articles, in order: a changed file replaces the source's topics,
        not theirs (unless the run overwrites edits, which a rule's actions count as)."""
        if self.overwrite_edits:
            return {}
        added = defaultdict(list)
        for article_id, topic_id in ArticleTopic.objects.filter(
                article_id__in=article_ids, added_by_rule=True).order_by("article_id", "position").values_list(
                "article_id", "topic_id"):
            added[article_id].append(topic_id)
        return added

    def create_children(self, items: list[PendingFile], by_key: dict[str, int], rule_topics: dict[int, list[int]]) -> None:
        images, related, topic_links = [], [], []
        for item in items:
            article_id = by_key[item.key]
            record = item.record
            images.extend({**image, "article": article_id, "position": i} for i, image in enumerate(record.images))
            related.extend({**rel, "article": article_id, "position": i} for i, rel in enumerate(record.related))
            sources = [self.topic_ids[name] for name in record.topics]
            added = [topic for topic in rule_topics.get(article_id, ()) if topic not in sources]
            topic_links.extend(
                {"article": article_id, "topic": topic, "position": i, "added_by_rule": i >= len(sources)}
                for i, topic in enumerate(sources + added)
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

    def forget_cached_ids(self) -> None:
        """After a rolled-back batch (a dry run with rules): the providers and topics it created are gone."""
        self.provider_ids.clear()
        self.provider_mappings.clear()
        self.topic_ids.clear()

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
    source_topics = ArticleTopic.objects.filter(article_id__in=article_ids, added_by_rule=False)  # a rule's are no news
    for pk, name in source_topics.order_by("article_id", "position").values_list("article_id", "topic__name"):
        outlines[pk]["topics"].append(name)
    for pk, url in ArticleImage.objects.filter(article_id__in=article_ids).values_list("article_id", "url"):
        outlines[pk]["images"].append(url)
    for pk, title, url in RelatedArticle.objects.filter(article_id__in=article_ids).values_list("article_id", "title", "web_url"):
        outlines[pk]["related"].append(url or title)
    return outlines


def record_outline(record: ArticleRecord) -> dict:
    return {
        "provider": BatchWriter.provider_key(record.provider) if record.provider else None,
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
