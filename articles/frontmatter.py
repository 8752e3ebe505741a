"""Read and write the news item file format: YAML front matter between `---` lines, then a Markdown body.

Pure Python (no Django, no database) so parsing can be tested and benchmarked alone.

Reading: bytes to text (UTF-8, optional BOM), text to front matter and body, the
front matter through the defensive loader of `yaml_loader`.
Writing follows the layout of the pipeline's files: scalars first, a blank line
before each block (provider, topics, images, related, ...), strings quoted where
the pipeline quotes them.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import re
from dataclasses import dataclass

import yaml

try:  # The C dumper is faster; the pure-Python one behaves the same.
    from yaml import CSafeDumper as SafeDumper
except ImportError:  # pragma: no cover - only without libyaml
    from yaml import SafeDumper

from .yaml_loader import FrontMatterError, SourceTimestamp, StoredYamlLoader, load_front

__all__ = ["FrontMatterError", "SourceTimestamp", "Document", "parse", "dump", "dump_extra", "load_extra"]

DELIMITER = "---"


@dataclass
class Document:
    front: dict
    body: str
    front_line: int  # line number of the first front matter line, to report YAML errors



# --- reading -----------------------------------------------------------------------


def decode(data: bytes) -> str:
    """Bytes to text: UTF-8 with an optional BOM; NUL bytes mean a binary file."""
    if not data.strip():
        raise FrontMatterError("empty file")
    if b"\x00" in data:
        raise FrontMatterError("binary file (contains NUL bytes), not a text news item")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        raise FrontMatterError(f"invalid UTF-8 at byte {error.start}", line) from None


def split(text: str) -> tuple[str, str, int]:
    """Split text into (front matter, body, first front matter line). CRLF is accepted.

    The body is everything after the closing delimiter line, kept verbatim.
    """
    if text.startswith("---\n"):  # fast path for LF files whose first '---'-like line closes the front matter
        end = text.find("\n---\n", 3)
        if end != -1 and text.find("\n---", 3) == end:
            return text[4 : end + 1].replace("\r\n", "\n"), text[end + 5 :], 2
    lines = text.splitlines(keepends=True)
    if not lines or lines[0].rstrip("\r\n").rstrip() != DELIMITER:
        raise FrontMatterError("no front matter: the file must start with a '---' line", 1)
    for index in range(1, len(lines)):
        if lines[index].rstrip("\r\n").rstrip() == DELIMITER:
            front = "".join(lines[1:index]).replace("\r\n", "\n")
            body = "".join(lines[index + 1 :])
            return front, body, 2
    raise FrontMatterError("unterminated front matter: no closing '---' line", 1)


def parse(data: bytes) -> Document:
    """Parse a file's bytes into its front matter mapping and body, or raise FrontMatterError."""
    front, body, first_line = split(decode(data))
    return Document(front=load_front(front, first_line), body=body, front_line=first_line)


# --- writing -----------------------------------------------------------------------

QUOTED_KEYS = frozenset(
    {"title", "excerpt", "originalUrl", "webUrl", "ampWebUrl", "cdnAmpWebUrl", "url", "featuredContent", "secured"}
)
BLOCK_SCALAR_KEYS = frozenset({"featuredContent", "secured"})
_PLAIN_SAFE = re.compile(r"[A-Za-z][A-Za-z0-9 ._/()+-]*\Z")
_YAML_WORDS = frozenset({"y", "n", "yes", "no", "on", "off", "true", "false", "null", "nan", "inf"})
_PLAIN_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*\Z")
_NON_PRINTABLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x84\x86-\x9f\ud800-\udfff\ufffe\uffff]")


def format_timestamp(value: dt.datetime) -> str:
    """An aware datetime as the pipeline writes it: ISO 8601 in UTC with a Z."""
    if value.tzinfo is not None:
        value = value.astimezone(dt.timezone.utc)
    text = value.replace(tzinfo=None).isoformat()
    return text + "Z"


def quote(text: str) -> str:
    """A double-quoted YAML scalar (JSON string syntax is valid YAML)."""
    if _NON_PRINTABLE.search(text):
        return yaml.dump(text, Dumper=SafeDumper, default_style='"', width=2**30, allow_unicode=True).rstrip("\n")
    return json.dumps(text, ensure_ascii=False)


def format_string(text: str, key: str | None) -> str:
    if key not in QUOTED_KEYS and _PLAIN_SAFE.match(text) and text.lower() not in _YAML_WORDS and text == text.strip():
        return text
    return quote(text)


def format_key(key) -> str:
    if isinstance(key, str) and _PLAIN_KEY.match(key) and key.lower() not in _YAML_WORDS:
        return key
    return format_scalar(key, None) if not isinstance(key, str) else quote(key)


def format_scalar(value, key: str | None) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return ".nan"
        if math.isinf(value):
            return ".inf" if value > 0 else "-.inf"
        return repr(value)
    if isinstance(value, SourceTimestamp) and value.raw:
        return value.raw
    if isinstance(value, dt.datetime):
        return format_timestamp(value) if value.tzinfo is not None else value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, str):
        return format_string(value, key)
    raise TypeError(f"cannot write {type(value).__name__}")


def is_scalar(value) -> bool:
    return not isinstance(value, (dict, list, tuple))


def _write_value(lines: list[str], key, value, indent: int) -> None:
    """Append `key: value` at `indent`, with block collections below it."""
    prefix = " " * indent + format_key(key) + ":"
    if is_scalar(value):
        lines.append(f"{prefix} {format_scalar(value, key)}")
    elif not value:
        lines.append(prefix + (" {}" if isinstance(value, dict) else " []"))
    elif isinstance(value, dict):
        lines.append(prefix)
        for sub_key, sub_value in value.items():
            _write_value(lines, sub_key, sub_value, indent + 2)
    else:
        lines.append(prefix)
        _write_items(lines, value, indent + 2, key)


def _write_items(lines: list[str], items, indent: int, key) -> None:
    for item in items:
        if isinstance(item, dict) and item:
            first = True
            for sub_key, sub_value in item.items():
                start = len(lines)
                _write_value(lines, sub_key, sub_value, indent + 2)
                if first:
                    lines[start] = " " * indent + "- " + lines[start][indent + 2 :]
                    first = False
        elif isinstance(item, (list, tuple)) and item:
            lines.append(" " * indent + "-")
            _write_items(lines, item, indent + 2, key)
        elif is_scalar(item):
            lines.append(" " * indent + "- " + format_scalar(item, key))
        else:
            lines.append(" " * indent + "- " + ("{}" if isinstance(item, dict) else "[]"))


def _is_plain_line(key, value) -> bool:
    return is_scalar(value) and key not in BLOCK_SCALAR_KEYS


def dump_front(front: dict) -> str:
    """The front matter mapping as YAML lines in the pipeline's layout (no delimiters)."""
    lines: list[str] = []
    previous_plain = True
    for index, (key, value) in enumerate(front.items()):
        plain = _is_plain_line(key, value)
        if index and not (plain and previous_plain):
            lines.append("")
        try:
            _write_value(lines, key, value, 0)
        except TypeError:  # a value only the YAML library knows how to write (binary, set, ...)
            lines.append(yaml.dump({key: value}, Dumper=ExtraDumper, sort_keys=False, allow_unicode=True).rstrip("\n"))
        previous_plain = plain
    return "\n".join(lines) + "\n"


def dump(front: dict, body: str) -> str:
    """A whole file: delimiters, front matter, body verbatim."""
    return f"{DELIMITER}\n{dump_front(front)}{DELIMITER}\n{body}"


# --- unknown keys travel as YAML text ------------------------------------------------


class ExtraDumper(SafeDumper):
    """The safe dumper, writing source timestamps as the source wrote them."""


ExtraDumper.add_representer(
    SourceTimestamp,
    lambda dumper, value: dumper.represent_scalar("tag:yaml.org,2002:timestamp", value.raw or value.isoformat()),
)


def dump_extra(mapping: dict) -> str:
    """Keys we do not model, as YAML text that `load_extra` gives back in the same order."""
    if not mapping:
        return ""
    return yaml.dump(mapping, Dumper=ExtraDumper, sort_keys=False, allow_unicode=True, default_flow_style=False)


def load_extra(text: str) -> dict:
    if not text:
        return {}
    return yaml.load(text, Loader=StoredYamlLoader) or {}

