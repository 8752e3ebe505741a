"""Export: import then export gives back the source file; editors' changes reach the output; writes are atomic."""

import datetime as dt
import os
import re
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from articles import exporting, frontmatter
from articles.importing import import_paths
from articles.models import Article
from tests.builders import GOOD_FRONT, item_text, write_item

pytestmark = pytest.mark.django_db

TIMESTAMP_LINE = re.compile(r"^\s*(?:- )?publishedDateTime:.*$|^.*\b\d{4}-\d\d-\d\d[Tt ]\d\d:\d\d.*$", re.MULTILINE)


def assert_same_value(expected, actual, where: str = "front") -> None:
    """Equal values of the same type; mappings in the same key order; timestamps the same instant and text."""
    if isinstance(expected, dt.datetime):
        assert isinstance(actual, dt.datetime), where
        assert actual == expected, where
        assert getattr(actual, "raw", None) == getattr(expected, "raw", None), where
        return
    assert type(actual) is type(expected), f"{where}: {type(expected).__name__} became {type(actual).__name__}"
    if isinstance(expected, dict):
        assert list(actual) == list(expected), f"{where}: keys or their order differ"
        for key, value in expected.items():
            assert_same_value(value, actual[key], f"{where}.{key}")
    elif isinstance(expected, list):
        assert len(actual) == len(expected), f"{where}: length differs"
        for index, (one, other) in enumerate(zip(expected, actual)):
            assert_same_value(one, other, f"{where}[{index}]")
    else:
        assert actual == expected, where


def timestamp_lines(text: str) -> list[str]:
    return [line.strip() for line in TIMESTAMP_LINE.findall(text.replace("\r\n", "\n"))]


def assert_round_trip(source: Path, exported: Path) -> None:
    original, written = source.read_bytes(), exported.read_bytes()
    before, after = frontmatter.parse(original), frontmatter.parse(written)
    assert_same_value(before.front, after.front, source.name)
    assert after.body == before.body, f"{source.name}: body differs"
    assert timestamp_lines(written.decode("utf-8")) == timestamp_lines(original.decode("utf-8-sig")), source.name


def export_one(key: str, outdir: Path) -> Path:
    summary = exporting.export_articles(outdir, key=key)
    assert summary.files == 1 and not summary.errors
    return next(outdir.glob(f"{key}.*"))


def edit(article: Article, **changes) -> None:
    """An editor's change, through the editorial service when it exists."""
    try:
        from articles.editorial import update_article
    except ImportError:
        update_article = None
    if update_article is not None:
        update_article(article.pk, user=None, source="command", changes=changes)
    else:
        Article.objects.filter(pk=article.pk).update(**changes, editor_fields=sorted(changes))


# --- round trip ------------------------------------------------------------------------


@pytest.mark.corpus
def test_every_corpus_file_comes_back_from_import_then_export(corpus_files, tmp_path):
    imported = import_paths(corpus_files)
    assert imported.rejected == 0, [str(error) for error in imported.errors]

    summary = exporting.export_articles(tmp_path)

    assert summary.files == len(corpus_files) and not summary.errors
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(p.name for p in corpus_files)
    for source in corpus_files:
        assert_round_trip(source, tmp_path / source.name)


@pytest.mark.corpus
def test_seed_comes_back_byte_for_byte(corpus_dir, tmp_path):
    seed = next((corpus_dir / "seed").iterdir())
    import_paths([seed])
    exported = export_one(seed.stem, tmp_path / "out")
    assert exported.name == seed.name
    assert exported.read_bytes() == seed.read_bytes()


EDGE_FRONT = """category: news
title: "Edge of the format"
custom:
  nested:
    list: [1, two, 3.5]
    when: 2021-01-02T03:04:05+01:00
  flag: true
excerpt: "Entities &#038; more&nbsp;"
publishedDateTime: "2020-05-01T03:53:00+02:00"
seenAt: 2020-01-01 10:00:00
webUrl: "https://news.example/edge"
type: article
2021: a year as a key
tags:
  - plain
  - kind: mapping
    at: 2019-12-31
provider:
  name: Example News
  domain: news.example
  motto: "Unknown provider key"
topics:
  - Testing
  - Edge Cases
images:
  - url: "https://img.example/edge.jpg"
    width: 10
    credit: "Unknown image key"
related:
  - title: "A related story"
    publishedDateTime: "2020-04-30T18:41:00-05:00"
    webUrl: "https://other.example/story"
    note: [unknown, related, key]
secured: "opaque;value=="
trailer:
  - 1
  - null
"""


@pytest.mark.parametrize(
    "name, text",
    [
        ("unknown-keys-and-string-timestamps", item_text(front=EDGE_FRONT, body="# Body\n\nWith *Markdown*.\n")),
        ("no-quality-heat-published", item_text(front=re.sub(r"^(quality|heat|published):.*\n", "", GOOD_FRONT.format(
            title="Unscored", slug="unscored"), flags=re.MULTILINE))),
        ("crlf", item_text("crlf", body="First line\r\nSecond line\r\n").replace("\n", "\r\n").replace("\r\r\n", "\r\n")),
        ("naive-and-fractional-timestamps", item_text(front=GOOD_FRONT.format(title="Naive", slug="naive").replace(
            "2024-05-01T10:00:00Z", "2024-05-01 10:00:00.250"))),
        ("explicit-nulls", item_text(front=GOOD_FRONT.format(title="Nulls", slug="nulls").replace(
            'excerpt: "An excerpt about Nulls."', "excerpt: null\nfeaturedContent: ~"))),
    ],
)
def test_edge_files_come_back_from_import_then_export(tmp_path, name, text):
    source = tmp_path / "in" / f"{name}.txt"
    source.parent.mkdir()
    source.write_bytes(text.encode("utf-8"))
    assert import_paths([source]).created == 1

    exported = export_one(name, tmp_path / "out")

    assert exported.name == source.name
    assert_round_trip(source, exported)


def test_nested_mappings_come_back_with_known_keys_first_then_unknown_ones(tmp_path):
    front = GOOD_FRONT.format(title="Nested", slug="nested").replace(
        '  - url: "https://img.example/nested.jpg"\n', '  - credit: Someone\n    url: "https://img.example/nested.jpg"\n'
    )
    import_paths([write_item(tmp_path, "nested", front=front)])

    image = frontmatter.parse(export_one("nested", tmp_path / "out").read_bytes()).front["images"][0]

    assert list(image) == ["url", "width", "height", "credit"]


@pytest.mark.parametrize(
    "raw, instant",
    [
        ("2020-05-01T01:53:00Z", dt.datetime(2020, 5, 1, 1, 53, tzinfo=dt.timezone.utc)),
        ("2020-05-01T03:53:00.5+02:00", dt.datetime(2020, 5, 1, 1, 53, 0, 500000, tzinfo=dt.timezone.utc)),
        ("2020-05-01 01:53:00", dt.datetime(2020, 5, 1, 1, 53, tzinfo=dt.timezone.utc)),
        ("2020-05-01", dt.datetime(2020, 5, 1, tzinfo=dt.timezone.utc)),
        ('"2020-05-01T03:53:00+02:00"', dt.datetime(2020, 5, 1, 1, 53, tzinfo=dt.timezone.utc)),
    ],
)
def test_timestamp_text_is_written_back_as_the_source_wrote_it(raw, instant):
    value = exporting.timestamp_value(instant, raw)
    assert frontmatter.format_scalar(value, "publishedDateTime") == raw
    assert exporting.timestamp_value(instant + dt.timedelta(seconds=1), raw) == instant + dt.timedelta(seconds=1)


def test_timestamp_is_rewritten_when_it_no_longer_denotes_the_stored_instant(tmp_path):
    import_paths([write_item(tmp_path, "moved")])
    Article.objects.update(published_date_time=dt.datetime(2024, 6, 2, 8, 30, tzinfo=dt.timezone.utc))

    front = frontmatter.parse(export_one("moved", tmp_path / "out").read_bytes()).front

    assert front["publishedDateTime"].raw == "2024-06-02T08:30:00Z"


# --- editors' changes --------------------------------------------------------------------


def test_editor_changes_appear_in_the_export(tmp_path):
    import_paths([write_item(tmp_path, "edited")])
    article = Article.objects.get()
    edit(article, excerpt="Rewritten by an editor.", quality=90, heat=150, status=Article.Status.PUBLISHED)

    exported = frontmatter.parse(export_one("edited", tmp_path / "out").read_bytes())

    assert exported.front["excerpt"] == "Rewritten by an editor."
    assert exported.front["quality"] == 90
    assert exported.front["heat"] == 150
    assert exported.front["published"] is True
    assert list(exported.front) == list(frontmatter.parse((tmp_path / "edited.md").read_bytes()).front)


def test_a_key_an_editor_set_that_the_source_lacked_takes_its_canonical_place(tmp_path):
    front = re.sub(r"^(quality|heat|published):.*\n", "", GOOD_FRONT.format(title="Bare", slug="bare"), flags=re.M)
    import_paths([write_item(tmp_path, "bare", front=front)])
    edit(Article.objects.get(), quality=70, status=Article.Status.PUBLISHED)

    exported = frontmatter.parse(export_one("bare", tmp_path / "out").read_bytes()).front

    assert "heat" not in exported
    assert list(exported)[list(exported).index("type") + 1 :][:2] == ["quality", "published"]
    assert exported["quality"] == 70 and exported["published"] is True


def test_rejected_article_exports_as_not_published(tmp_path):
    import_paths([write_item(tmp_path, "rejected", front=GOOD_FRONT.format(title="R", slug="r").replace(
        "published: false", "published: true"))])
    edit(Article.objects.get(), status=Article.Status.REJECTED)

    exported = frontmatter.parse(export_one("rejected", tmp_path / "out").read_bytes()).front

    assert exported["published"] is False


# --- selection, batching, files ------------------------------------------------------------


@pytest.fixture
def three_articles(tmp_path):
    source = tmp_path / "in"
    source.mkdir()
    for slug in ("one", "two", "three"):
        write_item(source, slug)
    import_paths([source])
    Article.objects.filter(source_key="two").update(status=Article.Status.PUBLISHED)
    old = dt.datetime(2020, 1, 1, tzinfo=dt.timezone.utc)
    Article.objects.exclude(source_key="three").update(updated_at=old)
    return tmp_path / "out"


def exported_names(outdir: Path) -> list[str]:
    return sorted(p.name for p in outdir.iterdir())


def test_published_only(three_articles, capsys):
    call_command("export_articles", str(three_articles), "--published-only")
    assert exported_names(three_articles) == ["two.md"]
    assert capsys.readouterr().out.strip() == f"1 files exported to {three_articles}"


def test_since_selects_articles_changed_since(three_articles):
    call_command("export_articles", str(three_articles), "--since", "2021-01-01")
    assert exported_names(three_articles) == ["three.md"]


def test_key_selects_one_article(three_articles):
    call_command("export_articles", str(three_articles), "--key", "one")
    assert exported_names(three_articles) == ["one.md"]


@pytest.mark.parametrize(
    "arguments, message",
    [
        (["--since", "last tuesday"], "--since: not a date"),
        (["--key", "missing"], "no article with source key 'missing'"),
        (["--batch-size", "0"], "--batch-size must be positive"),
    ],
)
def test_usage_errors(three_articles, arguments, message):
    with pytest.raises(CommandError, match=message):
        call_command("export_articles", str(three_articles), *arguments)


def test_outdir_that_is_a_file_is_a_usage_error(three_articles):
    three_articles.write_text("not a directory")
    with pytest.raises(CommandError, match="cannot write there"):
        call_command("export_articles", str(three_articles))


def test_reads_in_chunks_with_a_constant_number_of_queries(tmp_path, django_assert_num_queries):
    for index in range(5):
        write_item(tmp_path, f"item-{index}")
    import_paths([tmp_path])

    with django_assert_num_queries(3 * 4):  # chunks of 2, 2, 1; articles + topics + images + related each
        summary = exporting.export_articles(tmp_path / "out", batch_size=2)

    assert summary.files == 5


def test_unsafe_source_key_is_reported_and_nothing_escapes_outdir(tmp_path):
    import_paths([write_item(tmp_path, "fine")])
    Article.objects.update(source_key="../escaped")

    summary = exporting.export_articles(tmp_path / "out")

    assert summary.files == 0 and summary.errors[0][0] == "../escaped"
    assert not (tmp_path / "escaped.md").exists() and not list((tmp_path / "out").iterdir())


def test_failed_write_leaves_the_previous_file_and_no_partial_one(tmp_path, monkeypatch):
    import_paths([write_item(tmp_path, "story")])
    outdir = tmp_path / "out"
    outdir.mkdir()
    (outdir / "story.md").write_text("previous export\n")

    def interrupted(source, target):
        assert Path(source).read_bytes().startswith(b"---\n")  # the full file was written aside first
        raise KeyboardInterrupt

    monkeypatch.setattr(exporting.os, "replace", interrupted)
    with pytest.raises(KeyboardInterrupt):
        exporting.export_articles(outdir)

    assert exported_names(outdir) == ["story.md"]
    assert (outdir / "story.md").read_text() == "previous export\n"


def test_write_atomic_replaces_the_whole_file_with_readable_permissions(tmp_path):
    target = tmp_path / "item.md"
    target.write_text("old content that is longer than the new one\n")

    exporting.write_atomic(target, "new\n")

    assert target.read_text() == "new\n"
    assert exported_names(tmp_path) == ["item.md"]
    assert target.stat().st_mode & 0o044 == 0o044 & ~_umask()


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask
