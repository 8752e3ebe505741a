"""Hostile and odd files: a bad one is that file's rejection, with its line; the rest of the batch imports.

Each hostile document is a small valid item plus the lines under test. The
same table runs through `validation.parse_item` (what the worker processes
run) and through `import_paths` on a folder holding good files too, on
whichever database the suite runs on: the suite runs on SQLite and on
PostgreSQL, so a file both refuse alike is refused here with the same message.
"""

import datetime as dt
import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from articles import frontmatter, schema, validation, yaml_loader
from articles.importing import import_paths
from articles.models import Article, ArticleImage, ArticleTopic, RelatedArticle
from articles.validation import FileError
from tests.builders import write_item

BASE = 'title: "Hostile"\nwebUrl: "https://news.example/hostile"\n'  # lines 2 and 3; the lines under test start at 4


def document(extra: str, *, base: str = BASE) -> bytes:
    return f"---\n{base}{extra}---\nBody.\n".encode()


def nested_flow(levels: int, opener: str = "[", closer: str = "]", leaf: str = "") -> str:
    return opener * levels + leaf + closer * levels


def nested_block(levels: int) -> str:
    return "".join(f"{'  ' * depth}k{depth}:\n" for depth in range(levels - 1)) + "  " * (levels - 1) + "leaf: 1\n"


def many(key: str, count: int, line: str) -> str:
    return f"{key}:\n" + "".join(f"  - {line.format(i=i)}\n" for i in range(count))


ALIAS_DEEP = f"a: &a {nested_flow(15)}\nb: {nested_flow(10, leaf='*a')}\n"

# (id, lines added to BASE, what the message says, the line it names or None)
HOSTILE = [
    # impossible dates, in every key
    ("feb-30", "publishedDateTime: 2024-02-30\n",
     "publishedDateTime: impossible date or time '2024-02-30' (day is out of range for month)", 4),
    ("month-13-unknown-key", "when: 2024-13-45\n", "when: impossible date or time '2024-13-45'", 4),
    ("impossible-in-related", "related:\n  - title: R\n    when: 2024-13-45\n", "when: impossible date or time", 6),
    ("impossible-in-a-list", "extra:\n  dates: [2024-01-01, 2024-02-30]\n", "impossible date or time '2024-02-30'", 5),
    ("impossible-as-a-key", "2024-02-30: x\n", "impossible date or time '2024-02-30'", 4),
    ("year-zero", "when: 0000-01-01\n", "when: impossible date or time '0000-01-01'", 4),
    ("hour-25", "when: 2024-01-01T25:00:00Z\n", "when: impossible date or time", 4),
    ("offset-99h", "when: 2024-01-01T00:00:00+99:00\n", "when: impossible date or time", 4),
    ("tagged-not-a-timestamp", "when: !!timestamp yesterday\n", "when: not a timestamp: 'yesterday'", 4),
    # edge timestamps
    ("edge-low-offset", "publishedDateTime: 0001-01-01T00:00:00+14:00\n",
     "publishedDateTime: timestamp '0001-01-01T00:00:00+14:00' is out of range once its UTC offset is applied", 4),
    ("edge-high-offset", "publishedDateTime: 9999-12-31T23:59:59-14:00\n",
     "publishedDateTime: timestamp '9999-12-31T23:59:59-14:00' is out of range", 4),
    ("edge-in-related", "related:\n  - title: R\n    publishedDateTime: 9999-12-31T23:59:59-14:00\n",
     "publishedDateTime: timestamp '9999-12-31T23:59:59-14:00' is out of range", 6),
    ("edge-in-unknown-key", "seen: 0001-01-01T00:00:00+14:00\n", "seen: timestamp '0001-01-01T00:00:00+14:00'", 4),
    ("edge-string", "publishedDateTime: '9999-12-31T23:59:59-14:00'\n",
     "publishedDateTime: '9999-12-31T23:59:59-14:00' is outside the supported range (0001-01-02 to 9999-12-30 UTC)", 4),
    ("first-day", "publishedDateTime: 0001-01-01T12:00:00Z\n", "publishedDateTime: '0001-01-01T12:00:00Z' is outside", 4),
    ("last-day", "publishedDateTime: 9999-12-31\n", "publishedDateTime: '9999-12-31' is outside the supported range", 4),
    ("last-day-related", "related:\n  - title: R\n    publishedDateTime: 9999-12-31T00:00:00Z\n",
     "related[0].publishedDateTime: '9999-12-31T00:00:00Z' is outside the supported range", 4),
    # duplicate keys, in every mapping
    ("duplicate-title", 'title: "Again"\n', "duplicate key 'title' (also on line 2)", 4),
    ("duplicate-written-two-ways", 'excerpt: one\n"excerpt": two\n', "duplicate key 'excerpt' (also on line 4)", 5),
    ("duplicate-in-provider", "provider:\n  name: A\n  domain: a.example\n  name: B\n",
     "duplicate key 'name' (also on line 5)", 7),
    ("duplicate-in-related", "related:\n  - title: A\n    webUrl: https://a.example/\n    title: B\n",
     "duplicate key 'title' (also on line 5)", 7),
    ("duplicate-in-unknown-key", "extra:\n  k: 1\n  k: 2\n", "duplicate key 'k' (also on line 5)", 6),
    ("duplicate-in-flow", "extra: {k: 1, k: 2}\n", "duplicate key 'k' (also on line 4)", 4),
    ("duplicate-beside-a-merge", "base: &b {k: 1}\nm:\n  <<: *b\n  j: 2\n  j: 3\n", "duplicate key 'j' (also on line 7)", 8),
    # nesting, block and flow alike
    ("flow-sequences-30", f"x: {nested_flow(30)}\n", "nesting deeper than 20 levels", 4),
    ("flow-mappings-30", f"x: {nested_flow(30, '{a: ', '}', '1')}\n", "nesting deeper than 20 levels", 4),
    ("block-mappings-25", "x:\n" + "".join(f"{'  ' * (d + 1)}k{d}:\n" for d in range(24)) + "  " * 25 + "leaf: 1\n",
     "nesting deeper than 20 levels", 24),
    ("sequences-of-sequences-25", "x:\n" + "- " * 25 + "leaf\n", "nesting deeper than 20 levels", 5),
    ("mixed-block-and-flow", "x:\n  a:\n    b:\n      - " + nested_flow(20, "{c: ", "}", "1") + "\n",
     "nesting deeper than 20 levels", 7),
    ("deep-in-related", "related:\n  - title: R\n    extra: " + nested_flow(19) + "\n", "nesting deeper than 20 levels", 6),
    ("deep-through-aliases", ALIAS_DEEP, "nesting deeper than 20 levels", None),
    ("recursive-alias", "a: &a [*a]\n", "nesting deeper than 20 levels", None),
    ("deep-through-omap", "x: " + "!!omap [a: " * 12 + "1" + "]" * 12 + "\n", "nesting deeper than 20 levels", None),
    ("thousand-levels", f"x: {nested_flow(5000)}\n", "nesting", 4),
    ("alias-bomb", "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{chr(ord('b') + i)}: &{chr(ord('b') + i)} [" + ", ".join([f"*{chr(ord('a') + i)}"] * 9) + "]\n"
        for i in range(8)), "alias", 8),
    # what one database stores and the other refuses
    ("nul-escape", 'excerpt: "a\\0b"\n', "excerpt: a NUL character (\\0) in the text", 4),
    ("nul-hex-escape", 'excerpt: "a\\x00b"\n', "excerpt: a NUL character", 4),
    ("nul-unicode-escape", 'category: "\\u0000"\n', "category: a NUL character", 4),
    ("nul-long-escape", 'extra: "\\U00000000"\n', "extra: a NUL character", 4),
    ("nul-in-a-key", '"k\\0": 1\n', "a NUL character", 4),
    ("nul-in-unknown-nested", 'extra:\n  deep: ["ok", "x\\0"]\n', "a NUL character", 5),
    ("nul-in-provider", 'provider:\n  name: "A\\0"\n', "name: a NUL character", 5),
    ("nul-in-topic", 'topics:\n  - "AI\\0"\n', "a NUL character", 5),
    ("nul-in-related", 'related:\n  - title: "R\\x00"\n', "title: a NUL character", 5),
    ("nan-in-provider", "provider:\n  name: A\n  score: .nan\n", "provider: holds .nan or .inf", 4),
    ("inf-in-related-images", "related:\n  - title: R\n    images: [{url: /a.jpg, ratio: .inf}]\n",
     "related[0].images: holds .nan or .inf", 4),
    ("nan-in-related-provider", "related:\n  - title: R\n    provider: {name: A, x: -.inf}\n",
     "related[0].provider: holds .nan or .inf", 4),
    # characters YAML does not allow, with and without the alias check before loading
    ("raw-control-character", "excerpt: bell \x07\n", "YAML error: control characters are not allowed (U+0007)", 4),
    ("raw-control-character-and-alias", "a: &x 1\nb: *x\nc: \x1b[31m\n", "control characters are not allowed", 6),
    # numbers too long to use, tags that cannot build their value
    ("huge-hex-int", "x: 0x" + "f" * 4000 + "\n", "x: an integer too large to write back", 4),
    ("sexagesimal-stall", "x: 1" + ":1" * 3000 + "\n", "x: a number written with more than 5000 characters", 4),
    ("sexagesimal-float", "x: 1" + ":1" * 3000 + ".5\n", "x: cannot read", 4),
    ("decimal-over-python-limit", "x: " + "9" * 4400 + "\n", "x: cannot read", 4),
    ("tagged-bool", "x: !!bool maybe\n", "x: cannot read 'maybe' as bool", 4),
    ("tagged-float", "x: !!float abc\n", "x: cannot read 'abc' as float", 4),
    ("tagged-int", "x: !!int abc\n", "x: cannot read 'abc' as int", 4),
]

LIMITS = [
    ("title-601", f'title: "{"T" * 601}"\nwebUrl: "https://news.example/l"\n',
     "title: longer than 600 characters (601)", 2),
    ("category-256", BASE + f"category: {'c' * 256}\n", "category: longer than 255 characters (256)", 4),
    ("type-65", BASE + f"type: {'t' * 65}\n", "type: longer than 64 characters (65)", 4),
    ("topics-1001", BASE + many("topics", 1001, "topic {i}"), "topics: more than 1000 topics (1001)", 4),
    ("topic-name-256", BASE + many("topics", 1, "t" * 256), "topics[0]: longer than 255 characters (256)", 4),
    ("images-1001", BASE + many("images", 1001, "url: /i/{i}.jpg"), "images: more than 1000 images (1001)", 4),
    ("related-1001", BASE + many("related", 1001, "title: r{i}"), "related: more than 1000 related items (1001)", 4),
    ("provider-name-256", BASE + f"provider:\n  name: {'p' * 256}\n", "provider.name: longer than 255 characters", 4),
    ("provider-logos-1001", BASE + "provider:\n  name: P\n  images:\n" + "".join(
        f"    - url: /l/{i}.png\n" for i in range(1001)), "provider.images: more than 1000 images (1001)", 4),
    ("related-images-1001", BASE + "related:\n  - title: R\n    images:\n" + "".join(
        f"      - url: /r/{i}.png\n" for i in range(1001)), "related[0].images: more than 1000 images (1001)", 4),
    ("related-type-65", BASE + f"related:\n  - title: R\n    type: {'t' * 65}\n",
     "related[0].type: longer than 64 characters (65)", 4),
]

# Odd but valid: kept, and exported as they came.
ACCEPTED = [
    ("twenty-levels-flow", f"x: {nested_flow(19)}\n"),
    ("twenty-levels-block", "x:\n" + "".join(f"{'  ' * (d + 1)}k{d}:\n" for d in range(18)) + "  " * 19 + "leaf: 1\n"),
    ("twenty-levels-dashes", "x:\n" + "- " * 19 + "leaf\n"),
    ("merge-overrides-a-key", "base: &b {k: 1, j: 2}\nm:\n  <<: *b\n  k: 3\n"),
    ("edge-timestamps-in-unknown-keys", "first: 0001-01-01T00:00:00Z\nlast: 9999-12-31T23:59:59Z\n"),
    ("earliest-stored-instant", "publishedDateTime: 0001-01-02T00:00:00Z\n"),
    ("latest-stored-instant", "publishedDateTime: 9999-12-30T23:59:59.999999Z\n"),
    ("latest-with-an-offset", "publishedDateTime: 9999-12-31T09:59:59+14:00\n"),
    ("backslash-zero-in-single-quotes", "excerpt: 'a\\0b'\n"),
    ("escaped-backslash-then-zero", 'excerpt: "a\\\\0b"\n'),
    ("other-control-characters", 'excerpt: "bell \\a, escape \\e[31m, delete \\x7f"\n'),
    ("relative-images", 'images:\n  - url: "/img/a.jpg"\n  - url: "//cdn.example/b.jpg"\n'),
    ("tags-in-unknown-keys", "s: !!set {a, b}\nb: !!binary aGVsbG8=\no: !!omap [a: 1, b: 2]\n"),
    ("numbers-at-the-limit", "x: " + "9" * 4000 + "\ny: 0x" + "f" * 3000 + "\n"),
    ("a-star-in-text", 'excerpt: "5* hotel"\n'),
    ("title-600", ""),
    ("thousand-topics", many("topics", 1000, "topic {i}")),
]


def accepted_document(case_id: str, extra: str) -> bytes:
    if case_id == "title-600":
        return document("", base=f'title: "{"T" * 600}"\nwebUrl: "https://news.example/t"\n')
    return document(extra)


# --- parse_item: what the workers run ---------------------------------------------------


@pytest.mark.parametrize("case_id, extra, message, line", HOSTILE, ids=[case[0] for case in HOSTILE])
def test_hostile_document_is_that_files_error_with_its_line(case_id, extra, message, line):
    outcome = validation.parse_item(document(extra))

    assert isinstance(outcome, FileError), outcome
    assert message in outcome.message
    assert outcome.line == line


@pytest.mark.parametrize("case_id, text, message, line", LIMITS, ids=[case[0] for case in LIMITS])
def test_limits_are_checked_before_any_database(case_id, text, message, line):
    outcome = validation.parse_item(f"---\n{text}---\n".encode())

    assert isinstance(outcome, FileError), outcome
    assert outcome.message.startswith(message)
    assert outcome.line == line


@pytest.mark.parametrize("case_id, extra", ACCEPTED, ids=[case[0] for case in ACCEPTED])
def test_odd_but_valid_document_is_kept(case_id, extra):
    outcome = validation.parse_item(accepted_document(case_id, extra))

    assert not isinstance(outcome, FileError), outcome


def test_a_lone_surrogate_escape_is_refused():
    outcome = validation.parse_item(document('excerpt: "\\ud800"\n'))

    assert isinstance(outcome, FileError)
    assert re.search("surrogate|invalid Unicode", outcome.message) and outcome.line == 4


def test_timestamps_in_unknown_keys_are_kept_verbatim():
    record, _ = validation.parse_item(document("first: 0001-01-01T00:00:00Z\nlast: 9999-12-31 23:59:59\n"))

    assert record.fields["extra_yaml"] == "first: 0001-01-01T00:00:00Z\nlast: 9999-12-31 23:59:59\n"


def test_the_stored_range_keeps_a_day_inside_pythons():
    utc = dt.timezone.utc
    assert schema.EARLIEST_TIMESTAMP == dt.datetime.min.replace(tzinfo=utc) + dt.timedelta(days=1)
    assert schema.LATEST_TIMESTAMP == dt.datetime.max.replace(tzinfo=utc) - dt.timedelta(days=1)


@pytest.mark.parametrize("module, name", [(frontmatter, "parse"), (validation, "validate")])
def test_an_unexpected_exception_becomes_the_files_error(module, name, monkeypatch):
    def broken(*args, **kwargs):
        raise ZeroDivisionError("something nobody foresaw\x1b[31m")

    monkeypatch.setattr(module, name, broken)
    outcome = validation.parse_item(document(""))

    assert isinstance(outcome, FileError)
    assert outcome.message.startswith("unexpected error while reading the file: ZeroDivisionError: ")
    assert "\x1b" not in outcome.message and "something nobody foresaw" in outcome.message


YAMLISH = st.lists(
    st.sampled_from([
        "\n", "  ", "- ", ": ", "? ", ",", "[", "]", "{", "}", "&a ", "*a", "&b ", "*b", "<<: ", "!!omap ", "!!set ",
        "!!timestamp ", "!!binary ", "!!int ", "!!float ", "!!bool ", "!!str ", "!x ", "'", '"', "#", "|", ">", "%",
        "2024-02-30", "2024-01-01T00:00:00+14:00", "9999-12-31T23:59:59-14:00", "0001-01-01", "1:2:3", "0x1f", ".nan",
        "-.inf", "~", "null", "yes", '"\\0"', '"\\ud800"', '"\\x00"', "\\", "title", "webUrl", "https://a.example/",
        "related", "provider", "topics", "images", "url", "publishedDateTime", "quality", "name", "k",
    ]) | st.text(max_size=8),
    max_size=60,
).map("".join)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(YAMLISH)
def test_yamlish_text_never_raises(front):
    outcome = validation.parse_item(f"---\n{BASE}{front}\n---\n".encode("utf-8", "surrogatepass"))

    assert isinstance(outcome, FileError) or isinstance(outcome[0], validation.ArticleRecord)


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=400))
def test_arbitrary_bytes_never_raise(data):
    outcome = validation.parse_item(b"---\n" + data)

    assert isinstance(outcome, FileError) or isinstance(outcome[0], validation.ArticleRecord)


# --- through the importer, on this run's database -------------------------------------


@pytest.mark.django_db
def test_each_hostile_file_is_rejected_and_the_good_ones_import(tmp_path):
    for index in range(3):
        write_item(tmp_path, f"good-{index}")
    for case_id, extra, _, _ in HOSTILE:
        (tmp_path / f"{case_id}.md").write_bytes(document(extra))

    summary = import_paths([tmp_path])

    errors = {error.path.rsplit("/", 1)[-1][:-3]: error for error in summary.errors}
    assert set(errors) == {case[0] for case in HOSTILE}
    for case_id, _, message, line in HOSTILE:
        assert message in errors[case_id].message, case_id
        assert errors[case_id].line == line, case_id
    assert summary.created == 3
    assert sorted(Article.objects.values_list("source_key", flat=True)) == ["good-0", "good-1", "good-2"]


@pytest.mark.django_db
def test_limits_give_the_same_rejection_on_every_database(tmp_path):
    write_item(tmp_path, "good")
    for case_id, text, _, _ in LIMITS:
        (tmp_path / f"{case_id}.md").write_text(f"---\n{text}---\n")
    (tmp_path / "megabyte-title.md").write_text(f'---\ntitle: "{"T" * 2**20}"\nwebUrl: "https://a.example/"\n---\n')
    (tmp_path / "forty-thousand-topics.md").write_text("---\n" + BASE + many("topics", 40_000, "t{i}") + "---\n")

    summary = import_paths([tmp_path], max_bytes=4 * 2**20)

    messages = {error.path.rsplit("/", 1)[-1][:-3]: error.message for error in summary.errors}
    for case_id, _, message, _ in LIMITS:
        assert messages.pop(case_id).startswith(message), case_id
    assert messages == {
        "megabyte-title": "title: longer than 600 characters (1048576)",
        "forty-thousand-topics": "topics: more than 1000 topics (40000)",
    }
    assert summary.created == 1 and Article.objects.get().source_key == "good"


@pytest.mark.django_db
def test_items_at_every_limit_import_on_every_database(tmp_path):
    front = (
        f'title: "{"é" * schema.MAX_TITLE_LENGTH}"\nwebUrl: "https://news.example/full"\n'
        f"category: {'c' * schema.MAX_NAME_LENGTH}\ntype: {'t' * schema.MAX_TYPE_LENGTH}\n"
        + many("topics", schema.MAX_TOPICS, "topic {i}")
        + many("images", schema.MAX_IMAGES, "url: /i/{i}.jpg")
        + many("related", schema.MAX_RELATED, "title: r{i}")
    )
    (tmp_path / "full.md").write_text(f"---\n{front}---\n", encoding="utf-8")
    (tmp_path / "emoji.md").write_text(f'---\ntitle: "{"😀" * 600}"\nwebUrl: "https://a.example/"\n---\n')

    summary = import_paths([tmp_path], max_bytes=4 * 2**20)

    assert summary.created == 2, [str(error) for error in summary.errors]
    assert ArticleTopic.objects.count() == ArticleImage.objects.count() == RelatedArticle.objects.count() == 1000


@pytest.mark.django_db
@pytest.mark.parametrize("case_id, extra", ACCEPTED, ids=[case[0] for case in ACCEPTED])
def test_odd_but_valid_files_import(case_id, extra, tmp_path):
    (tmp_path / f"{case_id}.md").write_bytes(accepted_document(case_id, extra))

    summary = import_paths([tmp_path])

    assert summary.created == 1, [str(error) for error in summary.errors]


# --- the stored range: every page shows its ends, in any time zone ------------------------

EDGES = {
    "earliest": "0001-01-02T00:00:00Z",
    "latest": "9999-12-30T23:59:59.999999Z",
    "latest-east": "9999-12-31T13:59:59+14:00",
    "earliest-west": "0001-01-01T12:00:00-12:00",
}


@pytest.mark.django_db
@pytest.mark.parametrize("zone", ["UTC", "Pacific/Kiritimati", "Etc/GMT+12"])
def test_items_at_the_ends_of_the_stored_range_show_on_every_page(zone, tmp_path, superuser, client, settings):
    from django.urls import reverse

    from articles.exporting import export_articles

    settings.TIME_ZONE = zone
    for name, stamp in EDGES.items():
        related = f"related:\n  - title: R\n    webUrl: https://r.example/{name}\n    publishedDateTime: {stamp}\n"
        (tmp_path / f"{name}.md").write_text(
            f"---\ntitle: {name}\nwebUrl: https://news.example/{name}\npublishedDateTime: {stamp}\npublished: true\n"
            f"topics: [Edges]\nprovider: {{name: Edge, domain: edge.example}}\n{related}---\n"
        )
    assert import_paths([tmp_path]).created == len(EDGES)
    client.force_login(superuser)
    article = Article.objects.get(source_key="latest")
    pages = [
        reverse("articles:dashboard"), reverse("articles:queue"), reverse("articles:queue") + "?sort=published",
        reverse("articles:review", args=[article.pk]),
        reverse("admin:articles_article_change", args=[article.pk]),
        reverse("public:api-articles"), reverse("public:api-article", args=[article.source_key]),
        *(reverse(f"public:{kind}-{fmt}", **extra) for fmt in ("rss", "atom", "json") for kind, extra in (
            ("feed", {}), ("topic-feed", {"args": ["edges"]}), ("provider-feed", {"args": ["edge.example"]}))),
    ]
    for url in pages:
        assert client.get(url).status_code == 200, url

    summary = export_articles(tmp_path / "out")
    assert summary.files == len(EDGES) and not summary.errors
    for name, stamp in EDGES.items():
        assert f"publishedDateTime: {stamp}\n" in (tmp_path / "out" / f"{name}.md").read_text()


@pytest.mark.django_db
def test_the_admin_changelist_shows_an_item_of_year_9999(tmp_path, superuser, client):
    from django.urls import reverse

    for name, stamp in (("latest", "9999-12-30T23:59:59Z"), ("today", "2024-05-01T10:00:00Z")):
        (tmp_path / f"{name}.md").write_text(
            f"---\ntitle: {name}\nwebUrl: https://news.example/{name}\npublishedDateTime: {stamp}\n---\n"
        )
    import_paths([tmp_path])
    client.force_login(superuser)

    assert client.get(reverse("admin:articles_article_changelist")).status_code == 200


@pytest.mark.django_db
def test_rows_imported_before_these_checks_still_export(tmp_path):
    from articles.exporting import export_articles
    from tests.builders import make_article

    deep = "[" * 30 + "]" * 30  # nesting the old heuristics let through
    make_article(
        source_key="old-row", extra_yaml=f"x: {deep}\nseen: 0001-01-01T00:00:00+14:00\n",
        source_keys=["title", "webUrl", "x", "seen"],
    )

    summary = export_articles(tmp_path)

    assert summary.files == 1 and not summary.errors
    text = (tmp_path / "old-row.md").read_text()
    assert "seen: 0001-01-01T00:00:00+14:00\n" in text and yaml_loader.nesting_depth(frontmatter.load_extra(text[4:-4]), limit=99) == 31


@pytest.mark.django_db
def test_numbers_and_dates_where_text_is_expected_are_kept_and_exported_as_written(tmp_path):
    """Odd but valid YAML: `title: 1984` is a number to YAML, and a real title."""
    from articles.exporting import export_articles
    from articles.frontmatter import parse
    from articles.models import Article

    source = tmp_path / "in"
    source.mkdir()
    text = (
        "---\ncategory: 2020\ntitle: 1984\nexcerpt: yes\npublishedDateTime: 2024-05-01T10:00:00Z\n"
        "webUrl: https://a.example/x\ntype: 3.5\nquality: 50.0\nheat: \"12\"\ntopics:\n  - 2020\n  - AI\n---\nbody\n"
    )
    (source / "odd.md").write_text(text)

    summary = import_paths([source])

    assert summary.created == 1, [str(error) for error in summary.errors]
    article = Article.objects.get()
    assert (article.title, article.category, article.excerpt, article.type) == ("1984", "2020", "true", "3.5")
    assert (article.quality, article.heat) == (50, 12)
    assert [link.topic.name for link in article.topic_links.all()] == ["2020", "AI"]
    export_articles(tmp_path / "out")
    assert parse((tmp_path / "out" / "odd.md").read_bytes()).front == parse(text.encode()).front
