"""The news item schema: check a parsed front matter mapping and turn it into an `ArticleRecord`.

Pure Python (no Django, no database), like `frontmatter` below it: the importer's
worker processes run `parse_item` on raw bytes, and the exporter reads
timestamps back with `parse_timestamp`. A file that breaks the schema raises
`FrontMatterError` (message and, where known, line), which the importer turns
into that file's `FileError`.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass

from . import frontmatter, schema
from .yaml_loader import FrontMatterError, SourceTimestamp, escape_controls, shown
from .urlnorm import UnsafeUrl, read_url, url_key


@dataclass(frozen=True)
class FileError:
    path: str
    line: int | None
    message: str

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line else self.path
        return f"{where}: {self.message}"



@dataclass
class ArticleRecord:
    """One validated item, ready to write: article columns plus its ordered children."""

    fields: dict
    provider: dict | None
    topics: list[str]
    images: list[dict]
    related: list[dict]

    @property
    def url_keys(self) -> set[str]:
        return {key for key in (self.fields["web_url_key"], self.fields["original_url_key"]) if key}


def _check_string(value, key: str, *, max_length: int | None = None, required: bool = False) -> str:
    if not isinstance(value, str):
        raise FrontMatterError(f"{key}: expected a string, got {_type_name(value)}")
    if required and not value.strip():
        raise FrontMatterError(f"{key}: must not be empty")
    if max_length is not None and len(value) > max_length:
        raise FrontMatterError(f"{key}: longer than {max_length} characters ({len(value)})")
    return value


def scalar_text(value):
    """A number, boolean or date where text is expected (`title: 1984`, `category: 2020`), as text; other
    values as they are. YAML reads such plain scalars as what they look like; they are real titles."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, SourceTimestamp) and value.raw:
        return value.raw
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    return value


def whole_number(value):
    """A score written as a whole float (`50.0`) or as digits in quotes (`"12"`) as an integer; other values
    as they are (then refused by `_check_int` unless already an integer)."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and re.fullmatch(r"[+-]?\d{1,12}", value.strip()):
        return int(value)
    return value


def _check_list(value, key: str, *, max_items: int, noun: str) -> list:
    if not isinstance(value, list):
        raise FrontMatterError(f"{key}: expected a list, got {_type_name(value)}")
    if len(value) > max_items:
        raise FrontMatterError(f"{key}: more than {max_items} {noun} ({len(value)})")
    return value


def _check_int(value, key: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise FrontMatterError(f"{key}: expected an integer, got {_type_name(value)}")
    low, high = schema.INT32
    if not low <= value <= high:
        raise FrontMatterError(f"{key}: {value} is out of range")
    return value


def _check_bool(value, key: str) -> bool:
    if not isinstance(value, bool):
        raise FrontMatterError(f"{key}: expected true or false, got {_type_name(value)}")
    return value


def _check_url(value, key: str, *, link: bool = False) -> str:
    """A URL kept verbatim: http(s), protocol-relative or site-relative; `link`: it must name its host
    (an item's own webUrl/originalUrl, which readers open outside the source site)."""
    value = _check_string(value, key)
    if not value:
        return value
    try:
        url = read_url(value)
    except UnsafeUrl as problem:
        raise FrontMatterError(f"{key}: {problem}: {value[:80]!r}") from None
    if link and not url.is_link:
        raise FrontMatterError(f"{key}: not an http(s) URL, so it cannot be opened as the item's link: {value[:80]!r}")
    return value


def _type_name(value) -> str:
    return {
        bool: "a boolean", int: "an integer", float: "a number", str: "a string", list: "a list", dict: "a mapping",
        type(None): "nothing (null)",
    }.get(type(value), "a timestamp" if isinstance(value, (dt.date, dt.datetime)) else type(value).__name__)


def parse_timestamp(value, key: str) -> tuple[dt.datetime, str]:
    """A YAML timestamp or ISO-8601 string -> (aware UTC datetime, the text to write it back with).

    Instants outside schema.EARLIEST_TIMESTAMP..LATEST_TIMESTAMP are refused: shown in a
    time zone a day away from UTC they would leave Python's range, and every page shows them.
    """
    if isinstance(value, dt.datetime):
        raw = value.raw if isinstance(value, SourceTimestamp) else ""
        moment = dt.datetime.combine(value.date(), value.time(), value.tzinfo)
    elif isinstance(value, dt.date):
        raw, moment = value.isoformat(), dt.datetime(value.year, value.month, value.day)
    elif isinstance(value, str):
        text = value.strip()
        try:
            moment = dt.datetime.fromisoformat(text[:-1] + "+00:00" if text[-1:] in "zZ" and text else text)
        except ValueError:
            raise FrontMatterError(
                f"{key}: not a timestamp: {shown(value, 40)} (expected ISO 8601, e.g. 2020-05-01T01:53:00Z)"
            ) from None
        raw = json.dumps(value, ensure_ascii=False)
    else:
        raise FrontMatterError(f"{key}: expected a timestamp, got {_type_name(value)}")
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.timezone.utc)
    try:
        moment = moment.astimezone(dt.timezone.utc)
    except OverflowError:
        moment = None
    if moment is None or not schema.EARLIEST_TIMESTAMP <= moment <= schema.LATEST_TIMESTAMP:
        written = value if isinstance(value, str) else raw or value.isoformat()
        raise FrontMatterError(
            f"{key}: {shown(written, 40)} is outside the supported range "
            f"({schema.EARLIEST_TIMESTAMP.date()} to {schema.LATEST_TIMESTAMP.date()} UTC)"
        )
    return moment, raw if len(raw) <= 64 else ""


def _split_known(mapping: dict, known: Iterable[str]) -> tuple[dict, dict]:
    known = set(known)
    return {k: v for k, v in mapping.items() if k in known}, {k: v for k, v in mapping.items() if k not in known}


def _image(value, key: str) -> dict:
    if not isinstance(value, dict):
        raise FrontMatterError(f"{key}: expected a mapping, got {_type_name(value)}")
    if "url" not in value:
        raise FrontMatterError(f"{key}: missing url")
    known, extra = _split_known(value, schema.IMAGE_FIELDS)
    image = {"url": _check_url(known["url"], f"{key}.url"), "extra_yaml": frontmatter.dump_extra(extra)}
    for name in ("width", "height"):
        if known.get(name) is not None:
            image[name] = _check_int(known[name], f"{key}.{name}")
    if known.get("title") is not None:
        image["title"] = _check_string(known["title"], f"{key}.title")
    if known.get("isCached") is not None:
        image["is_cached"] = _check_bool(known["isCached"], f"{key}.isCached")
    return image


def _image_list(value, key: str) -> list[dict]:
    _check_list(value, key, max_items=schema.MAX_IMAGES, noun="images")
    return [_image(item, f"{key}[{index}]") for index, item in enumerate(value)]


def _provider(value, key: str) -> dict:
    if not isinstance(value, dict):
        raise FrontMatterError(f"{key}: expected a mapping, got {_type_name(value)}")
    for name in ("name", "domain"):
        if value.get(name) is not None:
            _check_string(value[name], f"{key}.{name}", max_length=schema.MAX_NAME_LENGTH)
    if value.get("images") is not None:
        _image_list(value["images"], f"{key}.images")
    if not (value.get("name") or value.get("domain")):
        raise FrontMatterError(f"{key}: needs a name or a domain")
    return _json_safe(value, key)


def _json_safe(value, key: str):
    """Values kept in JSON columns must be JSON; a timestamp there would not come back as one, and
    PostgreSQL's jsonb refuses NaN and infinity (SQLite would store them)."""
    try:
        json.dumps(value, allow_nan=False)
    except ValueError:
        raise FrontMatterError(f"{key}: holds .nan or .inf, which a JSON column cannot store") from None
    except TypeError:
        raise FrontMatterError(f"{key}: holds a value that is not plain text, number, list or mapping") from None
    return value


def _related(value, key: str) -> dict:
    if not isinstance(value, dict):
        raise FrontMatterError(f"{key}: expected a mapping, got {_type_name(value)}")
    known, extra = _split_known(value, schema.RELATED_FIELDS)
    item: dict = {"extra_yaml": frontmatter.dump_extra(extra)}
    for name in ("title", "excerpt"):
        if known.get(name) is not None:
            item[name] = _check_string(known[name], f"{key}.{name}")
    if known.get("type") is not None:
        item["type"] = _check_string(known["type"], f"{key}.type", max_length=schema.MAX_TYPE_LENGTH)
    for name in ("webUrl", "ampWebUrl", "cdnAmpWebUrl"):
        if known.get(name) is not None:
            item[schema.RELATED_FIELDS[name]] = _check_url(known[name], f"{key}.{name}")
    if known.get("publishedDateTime") is not None:
        item["published_date_time"], item["published_date_time_raw"] = parse_timestamp(
            known["publishedDateTime"], f"{key}.publishedDateTime"
        )
    if known.get("quality") is not None:
        item["quality"] = _check_int(known["quality"], f"{key}.quality")
    if known.get("provider") is not None:
        item["provider"] = _provider(known["provider"], f"{key}.provider")
    if known.get("images") is not None:
        _image_list(known["images"], f"{key}.images")
        item["images"] = _json_safe(known["images"], f"{key}.images")
    item["web_url_key"] = url_key(item.get("web_url") or "")
    return item


def validate(front: dict) -> ArticleRecord:
    """Check a parsed front matter mapping against the schema and turn it into columns. Raises FrontMatterError."""
    title = front.get("title")
    if title is None:
        raise FrontMatterError("title: missing (every item needs a title)")
    _check_string(scalar_text(title), "title", required=True, max_length=schema.MAX_TITLE_LENGTH)
    if not (front.get("webUrl") or front.get("originalUrl")):
        raise FrontMatterError("webUrl/originalUrl: missing (every item needs at least one)")

    fields: dict = {"source_keys": [str(key) for key in front]}
    extra: dict = {}
    for key, value in front.items():
        if not isinstance(key, str):
            extra[key] = value
            continue
        if value is None or key not in schema.MODELLED_KEYS:
            extra[key] = value  # unknown keys and explicit nulls travel verbatim
            continue
        column = schema.SCALAR_FIELDS.get(key)
        if key in schema.TEXT_KEYS and scalar_text(value) is not value:
            extra[key] = value  # exported as the source wrote it; the column holds its text
            value = scalar_text(value)
        if key in schema.URL_KEYS:
            fields[column] = _check_url(value, key, link=key in schema.LINK_KEYS)
        elif key == "category":
            fields[column] = _check_string(value, key, max_length=schema.MAX_NAME_LENGTH)
        elif key == "type":
            fields[column] = _check_string(value, key, max_length=schema.MAX_TYPE_LENGTH)
        elif key in schema.STRING_KEYS:
            fields[column] = _check_string(value, key)
        elif key in schema.INTEGER_KEYS:
            number = whole_number(value)
            if number is not value:
                extra[key] = value  # `quality: 50.0`, `heat: "12"`: exported as written
            fields[column] = _check_int(number, key)
        elif key == "published":
            fields["status"] = schema.PUBLISHED if _check_bool(value, key) else schema.AWAITING_REVIEW
        elif key == "publishedDateTime":
            fields["published_date_time"], fields["published_date_time_raw"] = parse_timestamp(value, key)
    fields["extra_yaml"] = frontmatter.dump_extra(extra)
    fields["web_url_key"] = url_key(fields.get("web_url", ""))
    fields["original_url_key"] = url_key(fields.get("original_url", ""))

    provider = _provider(front["provider"], "provider") if front.get("provider") is not None else None
    topics = front.get("topics")
    topics = [] if topics is None else _check_list(topics, "topics", max_items=schema.MAX_TOPICS, noun="topics")
    if any(scalar_text(topic) is not topic for topic in topics):
        extra["topics"] = topics  # `- 2020`: exported as written, the topic named by its text
        fields["extra_yaml"] = frontmatter.dump_extra(extra)
        topics = [scalar_text(topic) for topic in topics]
    for index, topic in enumerate(topics):
        _check_string(topic, f"topics[{index}]", max_length=schema.MAX_NAME_LENGTH, required=True)
    images = _image_list(front["images"], "images") if front.get("images") is not None else []
    related = front.get("related")
    related = [] if related is None else _check_list(related, "related", max_items=schema.MAX_RELATED, noun="related items")
    related = [_related(item, f"related[{index}]") for index, item in enumerate(related)]
    return ArticleRecord(fields=fields, provider=provider, topics=list(topics), images=images, related=related)


def key_line(text: str, key: str) -> int | None:
    """The line of a top-level key in a file, to point an error at it."""
    name = key.split(":")[0].split(".")[0].split("[")[0].split("/")[0]
    for number, line in enumerate(text.splitlines(), start=1):
        if line.startswith(name + ":"):
            return number
    return None


def parse_item(data: bytes) -> tuple[ArticleRecord, str] | FileError:
    """Parse and validate one file's bytes: (record, body), or a FileError without its path. Never raises.

    Module-level and free of database access, so worker processes can run it.
    Any unexpected exception becomes the file's error, so that one file cannot end a run.
    """
    try:
        document = frontmatter.parse(data)
    except FrontMatterError as error:
        return FileError("", error.line, error.message)
    except Exception as error:  # noqa: BLE001 - one file's problem, whatever it is, must not end the run
        return unexpected_error(error)
    try:
        return validate(document.front), document.body
    except FrontMatterError as error:
        text = data.decode("utf-8-sig", errors="replace")
        return FileError("", error.line or key_line(text, error.message), error.message)
    except RecursionError:
        return FileError("", None, "nesting too deep")
    except Exception as error:  # noqa: BLE001
        return unexpected_error(error)


def unexpected_error(error: Exception) -> FileError:
    message = escape_controls(str(error), 200)
    return FileError("", None, f"unexpected error while reading the file: {type(error).__name__}: {message}")
