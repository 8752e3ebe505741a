"""Read and write the news item file format: YAML front matter between `---` lines, then a Markdown body.

Pure Python (no Django, no database) so parsing can be tested and benchmarked alone.

Reading is defensive: the loader is PyYAML's C safe loader (Python-object tags
are refused), and documents that could blow up after loading — alias bombs,
deep nesting — are measured on the event stream first and refused.
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

try:  # The C loader is ~10x faster; the pure-Python one behaves the same.
    from yaml import CSafeDumper as SafeDumper
    from yaml import CSafeLoader as SafeLoader
except ImportError:  # pragma: no cover - only without libyaml
    from yaml import SafeDumper, SafeLoader

DELIMITER = "---"
MAX_DEPTH = 20
MAX_ALIASES = 50
MAX_EXPANDED_NODES = 20_000


class FrontMatterError(ValueError):
    """A file that cannot be read as a news item. `line` is 1-based, or None."""

    def __init__(self, message: str, line: int | None = None):
        super().__init__(message)
        self.message = message
        self.line = line


@dataclass
class Document:
    front: dict
    body: str
    front_line: int  # line number of the first front matter line, to report YAML errors


class SourceTimestamp(dt.datetime):
    """A datetime that remembers how the source wrote it, so an export can write it the same way."""

    raw: str = ""


def _construct_timestamp(loader, node):
    value = SafeLoader.construct_yaml_timestamp(loader, node)
    if isinstance(value, dt.datetime):
        stamped = SourceTimestamp(
            value.year, value.month, value.day, value.hour, value.minute, value.second,
            value.microsecond, value.tzinfo,
        )
        stamped.raw = node.value
        return stamped
    return value


class FrontMatterLoader(SafeLoader):
    """The C safe loader, with timestamps that keep their source text."""


FrontMatterLoader.add_constructor("tag:yaml.org,2002:timestamp", _construct_timestamp)


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


def _needs_structure_check(front: str) -> bool:
    """Cheap test for what could hide an alias bomb or deep nesting; plain items skip the event scan.

    Substring tests only: this runs on every file. (libyaml itself stops at 1,000 levels, so a document
    that slips past these hints is still bounded.)
    """
    return (
        "*" in front
        or front.count("[") + front.count("{") > 32
        or "\n" + " " * 40 in front
        or "- - - -" in front
    )


def check_structure(front: str, first_line: int, *, max_depth: int = MAX_DEPTH,
                    max_aliases: int = MAX_ALIASES, max_nodes: int = MAX_EXPANDED_NODES) -> None:
    """Refuse documents that are small on disk but huge or deep once loaded.

    Walks the event stream (flat, no recursion) counting depth, aliases and the
    number of nodes the document would have with every alias expanded.
    """
    anchored_sizes: dict[str, int] = {}
    stack: list[list] = [[0, None]]  # [expanded node count, anchor] per open collection
    aliases = 0
    try:
        for event in yaml.parse(front, Loader=SafeLoader):
            if isinstance(event, (yaml.MappingStartEvent, yaml.SequenceStartEvent)):
                stack.append([1, event.anchor])
                if len(stack) - 1 > max_depth:
                    raise FrontMatterError(
                        f"nesting deeper than {max_depth} levels", first_line + event.start_mark.line
                    )
            elif isinstance(event, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
                size, anchor = stack.pop()
                if anchor:
                    anchored_sizes[anchor] = size
                stack[-1][0] += size
            elif isinstance(event, yaml.ScalarEvent):
                if event.anchor:
                    anchored_sizes[event.anchor] = 1
                stack[-1][0] += 1
            elif isinstance(event, yaml.AliasEvent):
                aliases += 1
                if aliases > max_aliases:
                    raise FrontMatterError(
                        f"more than {max_aliases} YAML aliases (alias bombs are refused)",
                        first_line + event.start_mark.line,
                    )
                stack[-1][0] += anchored_sizes.get(event.anchor, 1)
            if stack[-1][0] > max_nodes or stack[0][0] > max_nodes:
                raise FrontMatterError(
                    f"YAML expands to more than {max_nodes} nodes (alias bomb?)", first_line + event.start_mark.line
                )
    except yaml.MarkedYAMLError as error:
        raise yaml_error(error, first_line) from None


def yaml_error(error: yaml.YAMLError, first_line: int) -> FrontMatterError:
    mark = getattr(error, "problem_mark", None) or getattr(error, "context_mark", None)
    problem = getattr(error, "problem", None) or str(error)
    context = getattr(error, "context", None)
    message = f"YAML error: {problem}" + (f" ({context})" if context else "")
    return FrontMatterError(message, first_line + mark.line if mark is not None else None)


def load_front(front: str, first_line: int = 2) -> dict:
    if _needs_structure_check(front):
        check_structure(front, first_line)
    try:
        data = yaml.load(front, Loader=FrontMatterLoader)
    except yaml.YAMLError as error:
        raise yaml_error(error, first_line) from None
    except RecursionError:
        raise FrontMatterError(f"nesting deeper than {MAX_DEPTH} levels") from None
    if data is None:
        raise FrontMatterError("front matter is empty", first_line)
    if not isinstance(data, dict):
        raise FrontMatterError(f"front matter is not a mapping (it is a {type(data).__name__})", first_line)
    return data


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
    return yaml.load(text, Loader=FrontMatterLoader) or {}
