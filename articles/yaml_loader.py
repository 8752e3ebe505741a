"""The YAML loader for front matter: PyYAML's C safe loader, made to refuse, with the line, what would crash,
stall or break a run later.

Pure Python (no Django). Python-object tags are refused (safe loader); documents with aliases are measured
on the event stream first (alias bombs); the loader itself refuses nesting past MAX_DEPTH, a key twice in
one mapping, impossible timestamps, numbers too long to use, and (PostgreSQL stores neither) NUL characters
and lone surrogates. Timestamps remember the text they were written as (`SourceTimestamp`), so an export
can write them the same way. `FrontMatterError` is the one error of a file that cannot be an item.
"""

from __future__ import annotations

import datetime as dt
import re

import yaml

try:  # The C loader is ~10x faster; the pure-Python one behaves the same.
    from yaml import CSafeLoader as SafeLoader
except ImportError:  # pragma: no cover - only without libyaml
    from yaml import SafeLoader

MAX_DEPTH = 20
MAX_ALIASES = 50
MAX_EXPANDED_NODES = 20_000
# Python writes an int back as text only up to 4,300 digits (sys.get_int_max_str_digits()); 14,000 bits stay
# under that. Longer number text is refused before it is converted: a sexagesimal 1:2:3:... takes quadratic time.
MAX_INT_BITS = 14_000
MAX_NUMBER_TEXT = 5_000


class FrontMatterError(ValueError):
    """A file that cannot be read as a news item. `line` is 1-based, or None."""

    def __init__(self, message: str, line: int | None = None):
        super().__init__(message)
        self.message = message
        self.line = line



class SourceTimestamp(dt.datetime):
    """A datetime that remembers how the source wrote it, so an export can write it the same way."""

    raw: str = ""


def escape_controls(text: str, limit: int | None = None) -> str:
    """`text` safe to print on a terminal or store anywhere: as it is when every character is printable,
    else Python's repr of it (control characters, bidi marks and lone surrogates escaped); at most about `limit`
    characters of it."""
    if limit is not None and len(text) > limit:
        text = text[:limit] + "…"
    return text if text.isprintable() else repr(text)


def shown(value, limit: int = 60) -> str:
    """A value quoted in a message: strings in quotes with any control character escaped, at most `limit` characters."""
    if isinstance(value, str):
        return repr(value[:limit] + "…" if len(value) > limit else value)
    return escape_controls(str(value), limit)


class _Unusable(ValueError):
    """A scalar that loads in PyYAML but must not be kept; the loader reports it with its key and line."""


_CONSTRUCTION_ERRORS = (ValueError, OverflowError, TypeError, KeyError, AttributeError)
_NO_KEY = object()


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


def _construct_possible_timestamp(loader, node):
    value = _construct_timestamp(loader, node)
    if isinstance(value, dt.datetime) and value.tzinfo is not None:
        value.astimezone(dt.timezone.utc)  # OverflowError when the offset carries it out of Python's range
    return value


def _construct_int(loader, node):
    if len(node.value) > MAX_NUMBER_TEXT:
        raise _Unusable(f"a number written with more than {MAX_NUMBER_TEXT} characters ({len(node.value)})")
    value = SafeLoader.construct_yaml_int(loader, node)
    if value.bit_length() > MAX_INT_BITS:
        raise _Unusable(f"an integer too large to write back ({value.bit_length()} bits)")
    return value


_NUL_OR_SURROGATE = re.compile("[\x00\ud800-\udfff]")
# Every escape a double-quoted scalar could write a NUL or a lone surrogate with (text decoded from UTF-8 holds
# neither otherwise). A match only selects the loader that checks every string: a false alarm costs a little time.
_SUSPECT_ESCAPE = re.compile(r"\\(?:0|x00|u0000|U00000000|u[dD][89a-fA-F]|U0000[dD][89a-fA-F])")


def _construct_checked_str(loader, node):
    value = loader.construct_scalar(node)
    found = _NUL_OR_SURROGATE.search(value)
    if found:
        if found.group() == "\x00":
            raise _Unusable("a NUL character (\\0) in the text: PostgreSQL cannot store it")
        raise _Unusable(f"a lone surrogate ({found.group()!r}) in the text: it cannot be written as UTF-8")
    return value


class StoredYamlLoader(SafeLoader):
    """The C safe loader, with timestamps that keep their source text: for YAML this project wrote itself
    (unknown keys kept as `extra_yaml`), which rows imported before the checks below existed may not pass."""


StoredYamlLoader.add_constructor("tag:yaml.org,2002:timestamp", _construct_timestamp)


class FrontMatterLoader(StoredYamlLoader):
    """The C safe loader, refusing at load time what would break later, with its line.

    Refused: a key twice in one mapping (YAML requires unique keys; PyYAML keeps
    the last one), nesting deeper than MAX_DEPTH, impossible timestamps
    (2024-02-30, or out of range once their UTC offset is applied) and numbers
    too long to use. Timestamps keep their source text (`SourceTimestamp`).
    Nodes are built by libyaml; construction, where these checks live, is Python.
    """

    def __init__(self, stream, first_line: int = 1):
        super().__init__(stream)
        self.first_line = first_line

    def line_of(self, node) -> int:
        return self.first_line + node.start_mark.line

    def construct_document(self, node):
        """BaseConstructor's, counting levels: each pass over the pending generators builds the containers
        of one more level, so the passes measure the nesting exactly (shared containers aside: see load_front)."""
        try:
            data = self.construct_object(node)
            depth = 0
            while self.state_generators:
                depth += 1
                if depth > MAX_DEPTH:
                    deep = _node_deeper_than(node, MAX_DEPTH)
                    raise FrontMatterError(f"nesting deeper than {MAX_DEPTH} levels", deep and self.line_of(deep))
                generators, self.state_generators = self.state_generators, []
                for generator in generators:
                    for _ in generator:
                        pass
        except FrontMatterError:
            raise
        except _CONSTRUCTION_ERRORS as error:  # from a value no mapping or sequence holds: no node to point at
            raise self.refusal(None, _NO_KEY, error) from None
        finally:
            self.constructed_objects, self.recursive_objects, self.deep_construct = {}, {}, False
        return data

    def construct_mapping(self, node, deep=False):
        """SafeConstructor's, refusing a key the mapping already has and naming the key in a value's error.

        Keys a `<<` merge brings in come first and may be overridden by the mapping's own, as YAML says.
        """
        if not isinstance(node, yaml.MappingNode):
            return super().construct_mapping(node, deep)
        own_pairs = node.value
        self.flatten_mapping(node)  # takes the `<<` pairs out of own_pairs, and puts any merged pairs before them
        merged = node.value[: len(node.value) - len(own_pairs)]
        mapping: dict = {}
        own_keys = set() if merged else mapping
        key, failing = _NO_KEY, None
        try:
            for pairs, overridable in ((merged, True), (own_pairs, False)):
                for key_node, value_node in pairs:
                    key, failing = _NO_KEY, key_node
                    key = self.construct_object(key_node, deep=deep)
                    try:
                        repeated = key in own_keys
                    except TypeError:
                        raise yaml.constructor.ConstructorError(
                            "while constructing a mapping", node.start_mark, "found unhashable key", key_node.start_mark
                        ) from None
                    if not overridable:
                        if repeated:
                            raise self.duplicate_key(key, key_node, own_pairs)
                        if merged:
                            own_keys.add(key)
                    failing = value_node
                    mapping[key] = self.construct_object(value_node, deep=deep)
        except FrontMatterError:
            raise
        except _CONSTRUCTION_ERRORS as error:
            raise self.refusal(failing, key, error) from None
        return mapping

    def construct_sequence(self, node, deep=False):
        try:
            return super().construct_sequence(node, deep)
        except FrontMatterError:
            raise
        except _CONSTRUCTION_ERRORS as error:
            # Items are built in order and remembered: the first one not built is the one that failed.
            failing = next((child for child in node.value if child not in self.constructed_objects), None)
            raise self.refusal(failing, _NO_KEY, error) from None

    def duplicate_key(self, key, key_node, pairs) -> FrontMatterError:
        first = next(
            (other for other, _ in pairs if other is not key_node and self.construct_object(other) == key), key_node
        )
        return FrontMatterError(f"duplicate key {shown(key)} (also on line {self.line_of(first)})", self.line_of(key_node))

    def refusal(self, node, key, error: Exception) -> FrontMatterError:
        """A value that cannot be kept, as that file's error: which key, what value, why."""
        text = shown(node.value) if isinstance(node, yaml.ScalarNode) else ""
        kind = node.tag.rsplit(":", 1)[-1] if node is not None else ""
        if isinstance(error, _Unusable):
            problem = f"{error}: {text}" if text and kind != "str" else str(error)
        elif kind == "timestamp" and isinstance(error, OverflowError):
            problem = f"timestamp {text} is out of range once its UTC offset is applied"
        elif kind == "timestamp" and isinstance(error, ValueError):
            reason = "its UTC offset is out of range" if "offset" in str(error) else str(error)
            problem = f"impossible date or time {text} ({reason})"
        elif kind == "timestamp":
            problem = f"not a timestamp: {text}"
        else:
            reason = escape_controls(str(error).split(";")[0], 120)
            problem = f"cannot read {text or 'a value'} as {kind or 'a value'} ({type(error).__name__}: {reason})"
        where = f"{escape_controls(str(key), 80)}: " if key is not _NO_KEY else ""
        return FrontMatterError(where + problem, self.line_of(node) if node is not None else None)


FrontMatterLoader.add_constructor("tag:yaml.org,2002:timestamp", _construct_possible_timestamp)
FrontMatterLoader.add_constructor("tag:yaml.org,2002:int", _construct_int)


class _TextCheckingLoader(FrontMatterLoader):
    """Also refuses strings (keys included) holding a NUL or a lone surrogate: PostgreSQL stores neither, so
    a file SQLite would take would fail there. Used only when the text has an escape that could write one."""


_TextCheckingLoader.add_constructor("tag:yaml.org,2002:str", _construct_checked_str)


def _node_deeper_than(root, limit: int):
    """The first collection node nested deeper than `limit`, in document order, or None."""
    stack, seen = [(root, 1)], set()
    while stack:
        node, depth = stack.pop()
        if isinstance(node, yaml.ScalarNode) or id(node) in seen:
            continue
        seen.add(id(node))
        if depth > limit:
            return node
        children = [part for pair in node.value for part in pair] if isinstance(node, yaml.MappingNode) else node.value
        stack.extend((child, depth + 1) for child in reversed(children))
    return None


_CONTAINERS = (dict, list, tuple)


def nesting_depth(data, limit: int = MAX_DEPTH) -> int:
    """How deep loaded data nests (a container = one level), measuring each container once: aliases may share
    one, or make one contain itself (that counts as deeper than any limit). Stops past `limit`."""
    if not isinstance(data, _CONTAINERS):
        return 0
    heights: dict[int, int] = {}  # id -> levels from that container down, itself included
    stack = [[data, iter(_values(data)), 1]]  # container, its children not seen yet, its height so far
    on_path = {id(data)}
    while stack:
        frame = stack[-1]
        for child in frame[1]:
            if not isinstance(child, _CONTAINERS):
                continue
            height = heights.get(id(child))
            if height is None:
                if id(child) in on_path or len(stack) >= limit:
                    return limit + 1
                on_path.add(id(child))
                stack.append([child, iter(_values(child)), 1])
                break
            if len(stack) + height > limit:
                return limit + 1
            frame[2] = max(frame[2], height + 1)
        else:
            stack.pop()
            on_path.discard(id(frame[0]))
            heights[id(frame[0])] = frame[2]
            if stack:
                stack[-1][2] = max(stack[-1][2], frame[2] + 1)
    return heights[id(data)]


def _values(container):
    return container.values() if isinstance(container, dict) else container


def check_structure(front: str, first_line: int, *, max_depth: int = MAX_DEPTH,
                    max_aliases: int = MAX_ALIASES, max_nodes: int = MAX_EXPANDED_NODES) -> None:
    """Refuse documents that are small on disk but huge or deep once loaded.

    Walks the event stream (flat, no recursion) counting depth, aliases and the
    number of nodes the document would have with every alias expanded (refused
    past `max_nodes` only when there are aliases: without them, size is the file's).
    """
    anchored_sizes: dict[str, int] = {}
    stack: list[list] = [[0, None]]  # [expanded node count, anchor] per open collection
    aliases = expanded = 0
    try:
        for event in yaml.parse(front, Loader=SafeLoader):
            if isinstance(event, (yaml.MappingStartEvent, yaml.SequenceStartEvent)):
                stack.append([1, event.anchor])
                expanded += 1
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
                expanded += 1
            elif isinstance(event, yaml.AliasEvent):
                aliases += 1
                if aliases > max_aliases:
                    raise FrontMatterError(
                        f"more than {max_aliases} YAML aliases (alias bombs are refused)",
                        first_line + event.start_mark.line,
                    )
                size = anchored_sizes.get(event.anchor, 1)
                stack[-1][0] += size
                expanded += size
            if aliases and expanded > max_nodes:
                raise FrontMatterError(
                    f"YAML expands to more than {max_nodes} nodes (alias bomb?)", first_line + event.start_mark.line
                )
    except yaml.YAMLError as error:
        raise yaml_error(error, first_line, front) from None


def yaml_error(error: yaml.YAMLError, first_line: int, front: str = "") -> FrontMatterError:
    if isinstance(error, yaml.reader.ReaderError):  # a character YAML does not allow; it has a position, no mark
        character = error.character if isinstance(error.character, str) else chr(error.character)
        line = front.count("\n", 0, error.position) + first_line if front else None
        return FrontMatterError(f"YAML error: {error.reason} (U+{ord(character):04X})", line)
    mark = getattr(error, "problem_mark", None) or getattr(error, "context_mark", None)
    problem = getattr(error, "problem", None) or str(error)
    context = getattr(error, "context", None)
    message = f"YAML error: {problem}" + (f" ({context})" if context else "")
    return FrontMatterError(escape_controls(message, 300), first_line + mark.line if mark is not None else None)


def load_front(front: str, first_line: int = 2) -> dict:
    """The front matter text as a mapping, or FrontMatterError.

    Aliases are measured on the event stream before loading (alias bombs); the
    loader measures nesting as it builds, which is exact unless containers are
    shared (aliases) or built by explicit tags (`!!omap` nests pairs): those
    documents are measured again once loaded. Strings are checked for NUL and
    lone surrogates only when an escape could have written one.
    """
    if "*" in front:
        check_structure(front, first_line)
    suspect = "\\" in front and _SUSPECT_ESCAPE.search(front)
    loader = (_TextCheckingLoader if suspect else FrontMatterLoader)(front, first_line)
    try:
        data = loader.get_single_data()
    except yaml.YAMLError as error:
        raise yaml_error(error, first_line, front) from None
    except RecursionError:
        raise FrontMatterError(f"nesting deeper than {MAX_DEPTH} levels") from None
    finally:
        loader.dispose()
    if ("*" in front or "!" in front) and nesting_depth(data) > MAX_DEPTH:
        raise FrontMatterError(f"nesting deeper than {MAX_DEPTH} levels (aliases and tags included)")
    if data is None:
        raise FrontMatterError("front matter is empty", first_line)
    if not isinstance(data, dict):
        raise FrontMatterError(f"front matter is not a mapping (it is a {type(data).__name__})", first_line)
    return data


