import datetime as dt

import pytest

from articles import frontmatter, yaml_loader
from articles.frontmatter import FrontMatterError
from tests.builders import item_text


def parse_text(text: str) -> frontmatter.Document:
    return frontmatter.parse(text.encode("utf-8"))


def test_parses_front_matter_and_keeps_body_verbatim():
    document = parse_text(item_text("a", body="\n# Heading\r\nText\n"))
    assert document.front["title"] == "A"
    assert document.front["provider"] == {"name": "Example News", "domain": "news.example"}
    assert document.body == "\n# Heading\r\nText\n"


def test_timestamps_are_aware_and_remember_their_text():
    value = parse_text(item_text("a")).front["publishedDateTime"]
    assert value == dt.datetime(2024, 5, 1, 10, 0, tzinfo=dt.timezone.utc)
    assert value.raw == "2024-05-01T10:00:00Z"


def test_accepts_bom_and_crlf():
    data = "\ufeff".encode() + item_text("a").replace("\n", "\r\n").encode()
    assert frontmatter.parse(data).front["title"] == "A"


@pytest.mark.parametrize(
    "data, message, line",
    [
        (b"", "empty file", None),
        (b"title: x\n", "no front matter", 1),
        (b"---\ntitle: x\n", "unterminated front matter", 1),
        (b"---\ntitle: x\nexcerpt: [unclosed\n---\n", "YAML error", 4),
        (b"---\n- a\n- b\n---\n", "not a mapping", 2),
        (b"---\n---\n", "front matter is empty", 2),
        (b"---\ntitle: \xff\xfe\n---\n", "invalid UTF-8", 2),
        (b"\x89PNG\r\n\x1a\n\x00\x00", "binary file", None),
        (b"---\ntitle: !!python/object/apply:os.system ['echo hi']\n---\n", "YAML error", 2),
    ],
)
def test_bad_files_raise_a_clear_error_with_a_line(data, message, line):
    with pytest.raises(FrontMatterError) as caught:
        frontmatter.parse(data)
    assert message in caught.value.message
    assert caught.value.line == line


def test_alias_bomb_is_refused_before_it_expands():
    lines = ['a: &a ["x","x","x","x","x","x","x","x","x"]']
    for level in "bcdefghi":
        previous = chr(ord(level) - 1)
        lines.append(f"{level}: &{level} [" + ",".join([f"*{previous}"] * 9) + "]")
    text = "---\ntitle: bomb\n" + "\n".join(lines) + "\n---\n"
    with pytest.raises(FrontMatterError, match="alias"):
        frontmatter.parse(text.encode())


def test_deep_nesting_is_refused():
    text = "---\ntitle: deep\nx: " + "[" * 5000 + "]" * 5000 + "\n---\n"
    with pytest.raises(FrontMatterError, match="nesting"):
        frontmatter.parse(text.encode())


def test_deep_block_nesting_is_refused():
    nested = "".join(f"{'  ' * depth}k{depth}:\n" for depth in range(60)) + "  " * 60 + "leaf: 1\n"
    with pytest.raises(FrontMatterError, match="nesting deeper"):
        frontmatter.parse(("---\ntitle: deep\n" + nested + "---\n").encode())


def test_a_few_aliases_are_fine():
    text = "---\ntitle: ok\nbase: &b {k: 1}\ncopy: *b\n---\n"
    assert frontmatter.parse(text.encode()).front["copy"] == {"k": 1}


def test_dump_writes_the_pipeline_layout():
    front = {
        "category": "news",
        "title": "A title: with colon",
        "quality": 5,
        "published": False,
        "publishedDateTime": dt.datetime(2020, 5, 1, 1, 53, tzinfo=dt.timezone.utc),
        "provider": {"name": "The Verge", "domain": "theverge.com"},
        "topics": ["AI", "yes"],
        "secured": "abc==",
    }
    text = frontmatter.dump(front, "\n")
    assert text == (
        "---\n"
        "category: news\n"
        'title: "A title: with colon"\n'
        "quality: 5\n"
        "published: false\n"
        "publishedDateTime: 2020-05-01T01:53:00Z\n"
        "\n"
        "provider:\n"
        "  name: The Verge\n"
        "  domain: theverge.com\n"
        "\n"
        "topics:\n"
        "  - AI\n"
        '  - "yes"\n'
        "\n"
        'secured: "abc=="\n'
        "---\n\n"
    )
    assert frontmatter.parse(text.encode()).front == front


@pytest.mark.parametrize(
    "value",
    ["plain", "with: colon", "#hash", "true", "null", "123", " padded ", "line\nbreak", "tab\tand \x07 bell",
     "quote \" and \\ backslash", "ünïcödé ✓", "", "- dash", "2020-05-01"],
)
def test_dump_round_trips_awkward_strings(value):
    front = {"title": value, "category": value, "topics": [value], "unknown": {"nested": value}}
    assert frontmatter.parse(frontmatter.dump(front, "").encode()).front == front


@pytest.mark.corpus
def test_every_corpus_file_writes_back_byte_for_byte(corpus_files):
    for path in corpus_files:
        data = path.read_bytes()
        document = frontmatter.parse(data)
        assert frontmatter.dump(document.front, document.body).encode() == data, path.name


def test_extra_keys_round_trip_through_yaml_text():
    extra = {"sourceFeed": "x", "when": parse_text("---\nt: 2020-01-02T03:04:05+02:00\n---\n").front["t"], "n": [1, {"a": None}]}
    assert frontmatter.load_extra(frontmatter.dump_extra(extra)) == extra



def front_of(lines: str) -> dict:
    return frontmatter.parse(f"---\ntitle: t\n{lines}---\n".encode()).front


def nested(style: str, levels: int) -> str:
    """Front matter lines whose data nests `levels` deep, the top-level mapping included."""
    inner = levels - 1
    if style == "flow-sequences":
        return "x: " + "[" * inner + "]" * inner + "\n"
    if style == "flow-mappings":
        return "x: " + "{a: " * inner + "1" + "}" * inner + "\n"
    if style == "mixed-flow":
        openers = ["[" if i % 2 == 0 else "{a: " for i in range(inner)]
        return "x: " + "".join(openers) + "1" + "".join("]" if o == "[" else "}" for o in reversed(openers)) + "\n"
    if style == "dashes":
        return "x:\n" + "- " * inner + "leaf\n"
    if style == "block-mappings":
        return "x:\n" + "".join(f"{'  ' * depth}k{depth}:\n" for depth in range(1, inner)) + "  " * inner + "leaf: 1\n"
    if style == "block-then-flow":
        block = "x:\n  y:\n    - z: "
        return block + "[" * (inner - 3) + "]" * (inner - 3) + "\n"
    raise ValueError(style)


STYLES = ["flow-sequences", "flow-mappings", "mixed-flow", "dashes", "block-mappings", "block-then-flow"]


@pytest.mark.parametrize("style", STYLES)
def test_twenty_levels_load(style):
    assert yaml_loader.nesting_depth(front_of(nested(style, 20))) == 20


@pytest.mark.parametrize("style", STYLES)
def test_twenty_one_levels_are_refused_with_the_line(style):
    text = nested(style, 21)
    with pytest.raises(FrontMatterError, match="nesting deeper than 20 levels") as caught:
        front_of(text)
    assert caught.value.line is not None and 3 <= caught.value.line <= 2 + text.count("\n")


def test_nesting_through_aliases_counts_what_they_share():
    shared = "a: &a " + "[" * 15 + "]" * 15 + "\n"
    assert yaml_loader.nesting_depth(front_of(shared + "b: [[[*a]]]\n")) == 19
    with pytest.raises(FrontMatterError, match="nesting deeper than 20 levels"):
        front_of(shared + "b: [[[[[*a]]]]]\n")


def test_an_alias_inside_itself_is_refused():
    with pytest.raises(FrontMatterError, match="nesting deeper"):
        front_of("a: &a [1, *a]\n")


def test_a_key_twice_is_refused_with_both_lines():
    with pytest.raises(FrontMatterError) as caught:
        front_of("excerpt: one\nquality: 1\nexcerpt: two\n")
    assert (caught.value.message, caught.value.line) == ("duplicate key 'excerpt' (also on line 3)", 5)


def test_a_merged_key_may_be_overridden():
    assert front_of("base: &b {k: 1, j: 2}\nm:\n  <<: *b\n  k: 3\n")["m"] == {"k": 3, "j": 2}


@pytest.mark.parametrize("text, shown", [
    ("plain.md", "plain.md"), ("a\nb.md", "'a\\nb.md'"), ("\x1b[31m.md", "'\\x1b[31m.md'"),
    ("\u202egnp.md", "'\\u202egnp.md'"), ("ünï ✓.md", "ünï ✓.md"),
])
def test_escape_controls_shows_every_control_character_escaped(text, shown):
    assert yaml_loader.escape_controls(text) == shown
