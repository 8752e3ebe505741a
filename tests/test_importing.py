import datetime as dt
import sys

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from articles import heap, import_writer, importing
from articles.importing import import_paths
from articles.validation import validate
from articles.frontmatter import FrontMatterError
from articles.reading import InProcessParser
from articles.models import Article, ArticleImage, ArticleTopic, AuditEntry, ImportRun, RelatedArticle
from tests.builders import GOOD_FRONT, item_text, write_item

pytestmark = pytest.mark.django_db

WRITES = ("INSERT", "UPDATE", "DELETE", "REPLACE")


def front_with(slug="bad", **changes) -> str:
    """The good front matter with some lines replaced: changes maps a key to its new line ('' drops it)."""
    lines = GOOD_FRONT.format(title="Bad", slug=slug).splitlines()
    out = []
    for line in lines:
        key = line.split(":")[0]
        if key in changes:
            if changes[key]:
                out.append(changes.pop(key))
        else:
            out.append(line)
    out.extend(value for value in changes.values() if value)
    return "\n".join(out) + "\n"


# --- the shared corpus ------------------------------------------------------------


@pytest.mark.corpus
def test_whole_corpus_imports_and_reimport_writes_nothing(corpus_dir):
    first = import_paths([corpus_dir])
    assert first.rejected == 0, [str(e) for e in first.errors]
    assert first.created == first.files == Article.objects.count() > 300

    with CaptureQueriesContext(connection) as queries:
        second = import_paths([corpus_dir])
    assert second.unchanged == second.files == first.files
    writes = [q["sql"] for q in queries.captured_queries if q["sql"].lstrip().upper().startswith(WRITES)]
    assert writes == []


@pytest.mark.corpus
def test_corpus_keeps_every_field_of_the_seed(corpus_dir):
    import_paths([corpus_dir / "seed"])
    article = Article.objects.get()
    assert article.heat == -1 and article.quality == 50
    assert article.status == Article.Status.AWAITING_REVIEW
    assert article.published_date_time == dt.datetime(2020, 5, 1, 1, 53, tzinfo=dt.timezone.utc)
    assert article.published_date_time_raw == "2020-05-01T01:53:00Z"
    assert article.provider.mapping == {"name": "SiliconANGLE", "domain": "siliconangle.com"}
    assert [link.topic.name for link in article.topic_links.all()] == ["Machine Learning", "AI"]
    assert article.secured.startswith("oiCSZXnL")
    related = article.related.get()
    assert related.quality == 78 and related.provider["domain"] == "theverge.com"
    assert related.excerpt is not None and related.images[0]["width"] == 1400
    assert article.source_keys[:3] == ["category", "title", "excerpt"]


@pytest.mark.corpus
def test_corpus_duplicates_are_marked_both_ways(corpus_dir):
    import_paths([corpus_dir])
    marked = Article.objects.filter(is_possible_duplicate=True)
    assert marked.count() >= 2
    for article in marked:
        assert all(article in other.duplicates.all() for other in article.duplicates.all())


# --- rules ---------------------------------------------------------------------------


def test_missing_optional_keys_import_with_defaults_and_stay_absent(tmp_path):
    write_item(tmp_path, "bare", front='title: "Bare"\noriginalUrl: "https://x.example/bare"\n')
    assert import_paths([tmp_path]).created == 1
    article = Article.objects.get()
    assert (article.quality, article.heat, article.status) == (0, -1, Article.Status.AWAITING_REVIEW)
    assert article.source_keys == ["title", "originalUrl"]


def test_quality_and_heat_are_not_capped(tmp_path):
    write_item(tmp_path, "hot", front=front_with(quality="quality: 189", heat="heat: 500"))
    import_paths([tmp_path])
    assert Article.objects.values_list("quality", "heat").get() == (189, 500)


def test_unknown_keys_and_nulls_are_kept_in_order(tmp_path):
    write_item(tmp_path, "extra", front=front_with(excerpt="excerpt:", sourceFeed="sourceFeed: {a: [1, 2]}"))
    import_paths([tmp_path])
    article = Article.objects.get()
    assert article.extra_yaml.index("excerpt") < article.extra_yaml.index("sourceFeed")
    assert article.source_keys[-1] == "sourceFeed"


def test_string_timestamps_are_stored_as_utc(tmp_path):
    write_item(tmp_path, "tz", front=front_with(publishedDateTime='publishedDateTime: "2024-05-01T12:00:00+02:00"'))
    import_paths([tmp_path])
    article = Article.objects.get()
    assert article.published_date_time == dt.datetime(2024, 5, 1, 10, tzinfo=dt.timezone.utc)
    assert article.published_date_time_raw == '"2024-05-01T12:00:00+02:00"'


def test_same_story_with_tracking_parameters_is_a_possible_duplicate(tmp_path):
    write_item(tmp_path, "one", front=front_with("one", webUrl='webUrl: "https://News.Example/story/?utm_source=x#top"'))
    import_paths([tmp_path])
    write_item(tmp_path, "two", front=front_with("two", webUrl='webUrl: "https://news.example/story?fbclid=1"'))
    import_paths([tmp_path])
    one, two = Article.objects.order_by("source_key")
    assert one.is_possible_duplicate and two.is_possible_duplicate
    assert list(one.duplicates.all()) == [two]


def test_changed_file_updates_and_children_are_replaced(tmp_path):
    path = write_item(tmp_path, "story")
    import_paths([tmp_path])
    path.write_text(path.read_text().replace("width: 800", "width: 1024").replace("- Testing", "- Other\n  - Testing"))
    summary = import_paths([tmp_path])
    assert (summary.updated, summary.created) == (1, 0)
    article = Article.objects.get()
    assert article.images.get().width == 1024
    assert [link.topic.name for link in article.topic_links.all()] == ["Other", "Testing"]
    assert article.version == 2


def test_reimport_keeps_excerpt_an_editor_changed(tmp_path):
    path = write_item(tmp_path, "story")
    import_paths([tmp_path])
    Article.objects.update(excerpt="Editor's excerpt", quality=90, editor_fields=["excerpt", "quality"])
    path.write_text(path.read_text().replace("An excerpt", "Upstream excerpt").replace("quality: 50", "quality: 10").replace("heat: 20", "heat: 30"))
    result = []
    import_paths([tmp_path], on_result=result.append)
    article = Article.objects.get()
    assert (article.excerpt, article.quality, article.heat) == ("Editor's excerpt", 90, 30)
    assert "excerpt" in result[0].warnings[0]


def test_overwrite_edits_lets_the_file_win(tmp_path):
    write_item(tmp_path, "story")
    import_paths([tmp_path])
    Article.objects.update(excerpt="Editor's excerpt", editor_fields=["excerpt"])
    assert import_paths([tmp_path], overwrite_edits=True).updated == 1
    article = Article.objects.get()
    assert article.excerpt.startswith("An excerpt") and article.editor_fields == []


def test_reimport_of_reviewed_article_records_what_changed_upstream(tmp_path):
    path = write_item(tmp_path, "story")
    import_paths([tmp_path])
    Article.objects.update(reviewed_at=dt.datetime(2024, 6, 1, tzinfo=dt.timezone.utc))
    path.write_text(path.read_text().replace('title: "Story"', 'title: "Story, corrected"').replace("- Testing", "- Fixes"))
    import_paths([tmp_path])
    article = Article.objects.get()
    assert article.changed_since_review
    changes = {entry.field: (entry.old_value, entry.new_value) for entry in AuditEntry.objects.filter(source="import")}
    assert changes["title"] == ("Story", "Story, corrected")
    assert changes["topics"] == (["Testing"], ["Fixes"])
    assert set(changes) == {"title", "topics"}


def test_dry_run_writes_nothing(tmp_path):
    write_item(tmp_path, "story")
    summary = import_paths([tmp_path], dry_run=True)
    assert summary.created == 1
    assert not Article.objects.exists() and not ImportRun.objects.exists()


def test_import_run_is_recorded_with_errors(tmp_path):
    write_item(tmp_path, "good")
    (tmp_path / "bad.md").write_text("no front matter\n")
    import_paths([tmp_path], arguments={"paths": [str(tmp_path)]})
    run = ImportRun.objects.get()
    assert (run.files, run.created, run.rejected, run.status) == (2, 1, 1, "finished")
    assert run.errors[0]["path"].endswith("bad.md") and run.errors[0]["line"] == 1


def test_the_c_heap_is_kept_from_fragmenting(tmp_path, monkeypatch):
    """glibc's heap kept from fragmenting over a long run: its mmap threshold fixed for the run, the heap trimmed
    between batches (bench/memory.py measures the effect)."""
    for index in range(7):
        write_item(tmp_path, f"story-{index}")
    calls = []

    class Glibc:
        def mallopt(self, parameter, value):
            calls.append(("mallopt", parameter, value))

        def malloc_trim(self, pad):
            calls.append(("trim", pad))

    monkeypatch.setattr(heap, "GLIBC", Glibc())
    import_paths([tmp_path], batch_size=3)
    assert calls == [("mallopt", heap.M_MMAP_THRESHOLD, 128 * 1024)] + [("trim", 0)] * 3
    if sys.platform.startswith("linux"):
        assert heap.GLIBC is not None


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "sqlite", reason="Python's statement cache is sqlite3's")
def test_a_sqlite_run_keeps_no_prepared_statements(tmp_path):
    """The run's connection has no statement cache (its one-off statements only held memory), and the connection
    is as configured again afterwards; inside a caller's transaction the connection is left alone."""
    write_item(tmp_path, "story-1")
    configured = connection.settings_dict
    connection.ensure_connection()
    before = connection.connection
    seen = []

    def note_the_connection(result):
        seen.append((connection.settings_dict["OPTIONS"].get("cached_statements"), connection.connection))

    import_paths([tmp_path], on_result=note_the_connection)
    cached, during = seen[0]
    assert cached == 0 and during is not None and during is not before  # reopened with the option
    assert connection.settings_dict is configured and "cached_statements" not in configured["OPTIONS"]
    assert connection.connection is None  # closed: the next query opens it as configured
    assert Article.objects.filter(source_key="story-1").exists()

    seen.clear()
    write_item(tmp_path, "story-2")
    with transaction.atomic():
        before = connection.connection
        import_paths([tmp_path], on_result=note_the_connection)
    assert seen[0] == (None, before)
    assert Article.objects.count() == 2


def test_interrupted_import_leaves_whole_batches_only(tmp_path, monkeypatch):
    for index in range(6):
        write_item(tmp_path, f"story-{index}")
    calls = {"n": 0}
    original = import_writer.BatchWriter.create_children

    def interrupt_on_second_batch(self, *args):
        calls["n"] += 1
        if calls["n"] == 2:
            raise KeyboardInterrupt
        return original(self, *args)

    monkeypatch.setattr(import_writer.BatchWriter, "create_children", interrupt_on_second_batch)
    with pytest.raises(KeyboardInterrupt):
        import_paths([tmp_path], batch_size=3)
    assert Article.objects.count() == 3
    assert ArticleImage.objects.count() == 3 and ArticleTopic.objects.count() == 3
    assert ImportRun.objects.get().status == "interrupted"
    monkeypatch.undo()
    summary = import_paths([tmp_path], batch_size=3)
    assert (summary.unchanged, summary.created) == (3, 3)


# --- bad input ------------------------------------------------------------------------

ALIAS_BOMB = "title: bomb\nwebUrl: \"https://x.example\"\na: &a [x,x,x,x,x,x,x,x,x]\n" + "\n".join(
    f"{c}: &{c} [" + ",".join([f"*{chr(ord(c) - 1)}"] * 9) + "]" for c in "bcdefgh"
) + "\n"

BAD_FILES = {
    "no-front-matter": (b"title: x\n", "no front matter", 1),
    "unterminated": (b"---\ntitle: x\n", "unterminated front matter", 1),
    "yaml-syntax": (b'---\ntitle: "x"\nexcerpt: [oops\n---\n', "YAML error", 4),
    "not-a-mapping": (b"---\n- just\n- a list\n---\n", "not a mapping", 2),
    "missing-title": (item_text(front=front_with(title="")).encode(), "title: missing", None),
    "empty-title": (item_text(front=front_with(title='title: "  "')).encode(), "title: must not be empty", 3),
    "wrong-type-quality": (item_text(front=front_with(quality='quality: "high"')).encode(), "quality: expected an integer", 8),
    "wrong-type-published": (item_text(front=front_with(published="published: maybe")).encode(), "published: expected true or false", 10),
    "bool-heat": (item_text(front=front_with(heat="heat: true")).encode(), "heat: expected an integer", 9),
    "bad-timestamp": (item_text(front=front_with(publishedDateTime='publishedDateTime: "yesterday"')).encode(), "not a timestamp", 5),
    "javascript-url": (item_text(front=front_with(webUrl='webUrl: "javascript:alert(1)"')).encode(), "webUrl: a javascript: URL (only http and https are allowed)", 6),
    "data-url-in-image": (item_text(front=front_with(slug="x").replace('url: "https://img.example/x.jpg"', 'url: "data:text/html,<script>"')).encode(), "images[0].url", 19),
    "no-url": (item_text(front=front_with(webUrl="")).encode(), "webUrl/originalUrl: missing", None),
    "alias-bomb": (f"---\n{ALIAS_BOMB}---\n".encode(), "alias bomb", 8),
    "deep-nesting": (("---\ntitle: x\nx: " + "[" * 3000 + "]" * 3000 + "\n---\n").encode(), "nesting", None),
    "python-tag": (b"---\ntitle: !!python/object/apply:os.system ['true']\n---\n", "YAML error", 2),
    "empty": (b"", "empty file", None),
    "invalid-utf8": (b"---\ntitle: caf\xe9\n---\n", "invalid UTF-8", 2),
    "binary": (bytes(range(256)) * 4, "binary file", None),
    "too-big": (item_text(body="x" * 2000).encode(), "over the limit", None),
}


@pytest.mark.parametrize("name", sorted(BAD_FILES))
def test_bad_file_is_rejected_alone_with_a_clear_message(tmp_path, name):
    data, message, line = BAD_FILES[name]
    bad = tmp_path / f"{name}.md"
    bad.write_bytes(data)
    write_item(tmp_path, "aaa-good")
    write_item(tmp_path, "zzz-good")
    results = []
    summary = import_paths([tmp_path], max_bytes=1500, on_result=results.append)

    assert (summary.created, summary.rejected) == (2, 1)
    [rejected] = [r for r in results if r.status == "rejected"]
    assert rejected.key == name
    assert message in rejected.errors[0] and str(bad) in rejected.errors[0]
    assert rejected.error.line == line
    assert not Article.objects.filter(source_key=name).exists()
    assert set(Article.objects.values_list("source_key", flat=True)) == {"aaa-good", "zzz-good"}


def test_rejected_update_keeps_the_previous_version(tmp_path):
    path = write_item(tmp_path, "story")
    import_paths([tmp_path])
    path.write_text(path.read_text().replace("quality: 50", "quality: lots"))
    assert import_paths([tmp_path]).rejected == 1
    article = Article.objects.get()
    assert article.quality == 50 and article.images.count() == 1


def test_database_error_in_a_batch_falls_back_to_one_file_at_a_time(tmp_path, monkeypatch):
    for slug in ("a", "b", "c"):
        write_item(tmp_path, slug)
    original = import_writer.BatchWriter.write

    def refuse_batches_with_b(self, items):
        if any(item.key == "b" for item in items):
            from django.db import DatabaseError
            raise DatabaseError("simulated")
        return original(self, items)

    monkeypatch.setattr(import_writer.BatchWriter, "write", refuse_batches_with_b)
    summary = import_paths([tmp_path])
    assert (summary.created, summary.rejected) == (2, 1)
    assert "database refused it" in summary.errors[0].message and summary.errors[0].path.endswith("b.md")
    assert RelatedArticle.objects.count() == 0 and Article.objects.count() == 2


def test_same_key_twice_in_one_run_is_rejected(tmp_path):
    (tmp_path / "one").mkdir()
    (tmp_path / "two").mkdir()
    write_item(tmp_path / "one", "story")
    write_item(tmp_path / "two", "story")
    summary = import_paths([tmp_path])
    assert (summary.created, summary.rejected) == (1, 1)
    assert "same source key" in summary.errors[0].message


def test_validate_rejects_bad_nested_urls():
    from articles.frontmatter import parse

    front = parse(item_text("x").encode()).front
    front["related"] = [{"title": "r", "webUrl": "ftp://files.example/x"}]
    with pytest.raises(FrontMatterError, match=r"related\[0\].webUrl"):
        validate(front)
    front["related"] = [{"title": "r", "provider": {"name": "P", "images": [{"url": "javascript:x"}]}}]
    with pytest.raises(FrontMatterError, match=r"related\[0\].provider.images\[0\].url"):
        validate(front)


def test_worker_processes_give_the_same_result_as_one_process(tmp_path):
    for index in range(7):
        write_item(tmp_path, f"story-{index}")
    (tmp_path / "broken.md").write_text("---\ntitle: [\n---\n")
    results = []
    summary = import_paths([tmp_path], jobs=2, batch_size=3, on_result=results.append)
    assert (summary.created, summary.rejected) == (7, 1)
    assert "broken.md:3: YAML error" in summary.errors[0].__str__()
    assert ArticleImage.objects.count() == 7 and ArticleTopic.objects.count() == 7
    assert import_paths([tmp_path], jobs=2, batch_size=3).unchanged == 7


def test_files_another_importer_wrote_meanwhile_are_not_written_twice(tmp_path):
    paths = [write_item(tmp_path, f"story-{index}") for index in range(3)]
    slow = importing.Importer()
    batch = slow.prepare(paths, InProcessParser())
    assert import_paths([tmp_path]).created == 3  # the other importer wins the race
    results = slow.finish(batch)
    assert {result.status for result in results} == {"unchanged"}
    assert Article.objects.count() == 3 and Article.objects.filter(version=1).count() == 3


@pytest.mark.skipif(connection.vendor != "postgresql", reason="an advisory lock and asynchronous commit are PostgreSQL's")
def test_each_batch_takes_the_import_lock_and_commits_asynchronously(tmp_path):
    """SET LOCAL: only the batch's own transaction; editors' writes stay synchronous."""
    for index in range(5):
        write_item(tmp_path, f"story-{index}")

    with CaptureQueriesContext(connection) as queries:
        import_paths([tmp_path], batch_size=2)

    statements = [query["sql"] for query in queries.captured_queries]
    locks = [i for i, sql in enumerate(statements) if f"pg_advisory_xact_lock({import_writer.IMPORT_LOCK})" in sql]
    relaxed = [i for i, sql in enumerate(statements) if sql == "SET LOCAL synchronous_commit TO OFF"]
    inserts = [i for i, sql in enumerate(statements) if 'INSERT INTO "articles_article" (' in sql]
    assert len(locks) == len(relaxed) == len(inserts) == 3  # batches of 2, 2 and 1
    assert all(lock < setting < insert for lock, setting, insert in zip(locks, relaxed, inserts))


def test_overwrite_edits_rewrites_only_what_a_file_holds(tmp_path):
    """A change no file holds (a story taken apart, a mark for attention) is no edit to overwrite: an unchanged file
    leaves such an article alone, and a rewrite keeps those changes."""
    write_item(tmp_path, "story")
    import_paths([tmp_path])
    Article.objects.update(editor_fields=["cluster", "cluster_set_by_editor", "needs_attention"])
    assert import_paths([tmp_path], overwrite_edits=True).unchanged == 1
    assert Article.objects.get().version == 1

    Article.objects.update(excerpt="Editor's excerpt", editor_fields=["cluster", "excerpt", "needs_attention"])
    assert import_paths([tmp_path], overwrite_edits=True).updated == 1
    article = Article.objects.get()
    assert article.excerpt.startswith("An excerpt") and article.editor_fields == ["cluster", "needs_attention"]
