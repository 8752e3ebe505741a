"""Write articles back as news item files: the source's keys, order and layout, plus what editors changed.

The inverse of `articles.importing`. A file exported from an unedited article
parses to the same front matter as the file it was imported from (keys, order,
values, timestamps written the same way, unknown keys and `secured` verbatim)
and carries the same body. Reads are batched (a constant number of queries per
chunk) and every file is written atomically (temporary file, then rename).
"""

from __future__ import annotations

import datetime as dt
import os
import re
import secrets
from dataclasses import dataclass, field
from pathlib import Path, PurePath

import yaml

from . import frontmatter, schema, yaml_loader
from .frontmatter import FrontMatterError
from .validation import parse_timestamp
from .models import Article, ArticleImage, ArticleTopic, RelatedArticle

DEFAULT_EXTENSION = ".md"
# Front matter key of each editable column (the `published` key holds the status).
EDITOR_KEYS = {column: key for key, column in schema.SCALAR_FIELDS.items() if column in schema.EDITABLE_FIELDS}
CANONICAL_POSITION = {key: index for index, key in enumerate(schema.CANONICAL_ORDER)}
# The usual timestamp text (2020-05-01T01:53:00Z): read without a YAML parser, as the loader would.
_ISO_TIMESTAMP = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d{1,6})?(?:Z|[+-]\d\d:\d\d)\Z")
IMAGE_KEYS = tuple(schema.IMAGE_FIELDS)
RELATED_KEYS = tuple(schema.RELATED_FIELDS)


class ExportError(Exception):
    """An article that cannot be written (an unsafe file name, unreadable stored YAML)."""


@dataclass
class ExportSummary:
    outdir: str
    files: int = 0
    errors: list[tuple[str, str]] = field(default_factory=list)  # (source_key, message)

    def __str__(self) -> str:
        text = f"{self.files} files exported to {self.outdir}"
        return text + (f", {len(self.errors)} failed" if self.errors else "")


# --- selecting ---------------------------------------------------------------------


def articles_to_export(*, published_only: bool = False, since: dt.datetime | None = None, key: str | None = None):
    queryset = Article.objects.select_related("provider")
    if published_only:
        queryset = queryset.published()
    if since is not None:
        queryset = queryset.filter(updated_at__gte=since)
    if key is not None:
        queryset = queryset.filter(source_key=key)
    return queryset


@dataclass
class Collections:
    """An article's topics, images and related items, already as front matter values."""

    topics: list = field(default_factory=list)
    images: list = field(default_factory=list)
    related: list = field(default_factory=list)


def load_collections(article_ids: list[int]) -> dict[int, Collections]:
    """The collections of many articles: one query each, read as plain rows (no model instances)."""
    collections = {pk: Collections() for pk in article_ids}
    topics = ArticleTopic.objects.filter(article_id__in=article_ids).order_by("article_id", "position")
    for pk, name in topics.values_list("article_id", "topic__name"):
        collections[pk].topics.append(name)
    images = ArticleImage.objects.filter(article_id__in=article_ids).order_by("article_id", "position")
    for pk, *values, extra_yaml in images.values_list("article_id", *schema.IMAGE_FIELDS.values(), "extra_yaml"):
        collections[pk].images.append(image_value(dict(zip(IMAGE_KEYS, values)), extra_yaml))
    related = RelatedArticle.objects.filter(article_id__in=article_ids).order_by("article_id", "position")
    columns = (*schema.RELATED_FIELDS.values(), "published_date_time_raw", "extra_yaml")
    for pk, *values, raw, extra_yaml in related.values_list("article_id", *columns):
        collections[pk].related.append(related_value(dict(zip(RELATED_KEYS, values)), raw, extra_yaml))
    return collections


def in_chunks(queryset, *, batch_size: int = 500):
    """(article, collections) pairs in primary-key chunks: four queries per chunk, whatever its content."""
    last_pk = None
    while True:
        page = queryset.order_by("pk")
        if last_pk is not None:
            page = page.filter(pk__gt=last_pk)
        chunk = list(page[:batch_size])
        if not chunk:
            return
        collections = load_collections([article.pk for article in chunk])
        yield [(article, collections[article.pk]) for article in chunk]
        if len(chunk) < batch_size:
            return
        last_pk = chunk[-1].pk


# --- model to front matter ---------------------------------------------------------


def _instant(value) -> dt.datetime | None:
    """The instant the importer reads from a source timestamp value (YAML timestamp, date or ISO string)."""
    try:
        return parse_timestamp(value, "publishedDateTime")[0]
    except FrontMatterError:
        return None


def _source_timestamp(raw: str):
    """The value the source's timestamp text loads as; the common ISO form skips the YAML parser."""
    if _ISO_TIMESTAMP.match(raw):
        moment = dt.datetime.fromisoformat(raw)
        value = frontmatter.SourceTimestamp(
            moment.year, moment.month, moment.day, moment.hour, moment.minute, moment.second,
            moment.microsecond, moment.tzinfo,
        )
        value.raw = raw
        return value
    return yaml.load(raw, Loader=yaml_loader.FrontMatterLoader)


def timestamp_value(instant: dt.datetime | None, raw: str):
    """The value to write for a timestamp: the source's own text while it still denotes the stored instant.

    A plain YAML timestamp comes back as a `SourceTimestamp` (written verbatim),
    a quoted string as that string; otherwise the stored instant, which the
    writer formats the pipeline's way (UTC, `Z`).
    """
    if raw:
        try:
            value = _source_timestamp(raw)
        except (yaml.YAMLError, ValueError):
            return raw if instant is None else instant
        if instant is None or _instant(value) == instant:
            return value
    return instant


def _known_first(mapping, known: tuple) -> dict:
    """A nested mapping with the keys we know in schema order, then the others as stored."""
    if not isinstance(mapping, dict):
        return mapping
    ordered = {key: mapping[key] for key in known if key in mapping}
    ordered.update((key, value) for key, value in mapping.items() if key not in ordered)
    return ordered


def _image_list(images) -> list:
    return [_known_first(image, IMAGE_KEYS) for image in images]


def provider_value(mapping):
    mapping = _known_first(mapping, schema.PROVIDER_KEYS)
    if isinstance(mapping, dict) and isinstance(mapping.get("images"), list):
        mapping["images"] = _image_list(mapping["images"])
    return mapping


def image_value(known: dict, extra_yaml: str) -> dict:
    """An image mapping from its columns (None: absent in the source) and its unknown keys."""
    mapping = {key: value for key, value in known.items() if value is not None}
    mapping.update(frontmatter.load_extra(extra_yaml))
    return mapping


def related_value(known: dict, raw: str, extra_yaml: str) -> dict:
    """A related item from its columns (None: absent), its timestamp text and its unknown keys."""
    mapping = {}
    for key, value in known.items():
        if key == "publishedDateTime":
            if value is None and not raw:
                continue
            value = timestamp_value(value, raw)
        elif value is None:
            continue
        elif key == "provider":
            value = provider_value(value)
        elif key == "images" and isinstance(value, list):
            value = _image_list(value)
        mapping[key] = value
    mapping.update(frontmatter.load_extra(extra_yaml))
    return mapping


def modelled_value(article: Article, key: str, collections: Collections):
    if key == "publishedDateTime":
        return timestamp_value(article.published_date_time, article.published_date_time_raw)
    if key == "published":
        return article.status == Article.Status.PUBLISHED
    if key == "provider":
        return provider_value(article.provider_mapping)
    if key in ("topics", "images", "related"):
        return getattr(collections, key)
    return getattr(article, schema.SCALAR_FIELDS[key])


def _has_value(article: Article, key: str, collections: Collections) -> bool:
    """For an article with no source layout: whether a modelled key is worth writing."""
    if key in ("quality", "heat", "published"):
        return True
    if key == "publishedDateTime":
        return article.published_date_time is not None or bool(article.published_date_time_raw)
    if key == "provider":
        return article.provider_id is not None
    if key in ("topics", "images", "related"):
        return bool(getattr(collections, key))
    return bool(getattr(article, schema.SCALAR_FIELDS[key]))


def _insert_canonically(keys: list, key: str) -> None:
    """Put a key the source lacked after the last key that precedes it in the pipeline's order."""
    position = CANONICAL_POSITION[key]
    index = 0
    for at, existing in enumerate(keys):
        if CANONICAL_POSITION.get(existing, len(CANONICAL_POSITION)) < position:
            index = at + 1
    keys.insert(index, key)


def key_order(article: Article, extra: dict, collections: Collections) -> list:
    """The keys to write: the source's, in its order, plus editor-set keys at their canonical place.

    `source_keys` holds every key as text, so an unknown key that is not a
    string (`1:`, `true:`) is matched to its `extra_yaml` entry by that text.
    """
    extra_by_name = {str(key): key for key in extra}
    if article.source_keys:
        keys = [
            extra_by_name.get(name, name) for name in article.source_keys
            if name in extra_by_name or name in schema.MODELLED_KEYS
        ]
    else:
        keys = [key for key in schema.CANONICAL_ORDER if _has_value(article, key, collections)]
    present = set(keys)
    for column in article.editor_fields:
        key = EDITOR_KEYS.get(column)
        if key and key not in present:
            _insert_canonically(keys, key)
            present.add(key)
    keys.extend(key for key in extra if key not in present)
    return keys


def front_matter(article: Article, collections: Collections | None = None) -> dict:
    """The article as a front matter mapping, ready for `frontmatter.dump`."""
    if collections is None:
        collections = load_collections([article.pk])[article.pk]
    try:
        extra = frontmatter.load_extra(article.extra_yaml)
    except yaml.YAMLError as error:
        raise ExportError(f"stored unknown keys are not readable YAML: {error}") from None
    edited = {EDITOR_KEYS[column] for column in article.editor_fields if column in EDITOR_KEYS}
    return {
        key: extra[key] if key in extra and key not in edited else modelled_value(article, key, collections)
        for key in key_order(article, extra, collections)
    }


def render(article: Article, collections: Collections | None = None) -> str:
    return frontmatter.dump(front_matter(article, collections), article.body)


# --- files ---------------------------------------------------------------------------


def file_name(article: Article) -> str:
    """The original file name: the source key with the source file's extension."""
    extension = PurePath(article.source_file).suffix if article.source_file else ""
    name = article.source_key + (extension or DEFAULT_EXTENSION)
    if (
        not article.source_key
        or name in (".", "..")
        or any(char in name for char in "/\\\x00")
        or len(name.encode("utf-8")) > 255
    ):
        raise ExportError(f"cannot use {name!r} as a file name")
    return name


def write_atomic(path: Path, text: str, *, durable: bool = False) -> None:
    """Write a file so that readers see the old content or the new one, never a part.

    The temporary file sits beside the target (same file system, so the rename
    is atomic) and is removed if anything fails. `durable` also fsyncs it
    before the rename, for exports that must survive a power cut.
    """
    data = text.encode("utf-8")
    temporary = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    try:
        with open(descriptor, "wb", closefd=True) as handle:
            handle.write(data)
            if durable:
                handle.flush()
                os.fsync(handle.fileno())
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def export_articles(
    outdir: str | Path,
    *,
    published_only: bool = False,
    since: dt.datetime | None = None,
    key: str | None = None,
    batch_size: int = 500,
    durable: bool = False,
) -> ExportSummary:
    """Write one file per selected article into `outdir` (created if missing)."""
    outdir = Path(outdir)
    outdir.mkdir(parents=True, exist_ok=True)
    summary = ExportSummary(outdir=str(outdir))
    queryset = articles_to_export(published_only=published_only, since=since, key=key)
    for chunk in in_chunks(queryset, batch_size=batch_size):
        for article, collections in chunk:
            try:
                path = outdir / file_name(article)
                text = render(article, collections)
            except ExportError as error:
                summary.errors.append((article.source_key, str(error)))
                continue
            write_atomic(path, text, durable=durable)
            summary.files += 1
    return summary
