"""An import and editors at work on the same articles at the same time: no acknowledged save is ever lost.

The importer and the editorial service lock article rows the same way (id order) and read under the
lock, so a re-import can neither write back a stale copy of an editor's fields nor reuse a version
number. The threaded test runs a real overlap on whichever database the suite runs on (PostgreSQL
in CI, where the lost saves were seen); the smaller tests pin down each rule on its own.
"""

import random
import threading
from collections import defaultdict
from dataclasses import dataclass

import pytest
from django.db import connections
from django.urls import reverse

from articles import editorial
from articles.editorial import EditConflict
from articles.importing import import_paths
from articles.models import Article, AuditEntry
from tests.builders import make_article, write_item

EDITORS = 4
ARTICLES = 40
IMPORT_ROUNDS = 6


@dataclass(frozen=True)
class Save:
    """A save the service acknowledged: the editor was told it was saved."""

    article_id: int
    field: str
    value: object
    batch: str


def write_round(directory, round_number: int) -> None:
    """Every file changed upstream: a new title (and so a new excerpt) and a new body."""
    for index in range(ARTICLES):
        write_item(directory, f"story-{index}", title=f"Story {index}, take {round_number}",
                   body=f"\nBody of take {round_number}.\n")


def editor_at_work(user, seed: int, ids: list[int], stop: threading.Event, saves: list, conflicts: list) -> None:
    """Saves excerpts and scores on random articles, reloading the article (its version) before each save,
    as an editor's browser does, until told to stop."""
    rng = random.Random(seed)
    try:
        number = 0
        while not stop.is_set():
            number += 1
            article_id = rng.choice(ids)
            version = Article.objects.values_list("version", flat=True).get(pk=article_id)
            field, value = rng.choice([("excerpt", f"{user.username} wrote #{number}"), ("quality", rng.randrange(1000))])
            try:
                result = editorial.update_article(
                    article_id, user=user, source="dashboard", changes={field: value}, expected_version=version
                )
            except EditConflict:
                conflicts.append(article_id)
                continue
            if result.batch:
                saves.append(Save(article_id, field, value, result.batch))
    finally:
        connections.close_all()


def importer_at_work(directory, done: threading.Event, summaries: list) -> None:
    try:
        for round_number in range(2, IMPORT_ROUNDS + 2):
            write_round(directory, round_number)
            summaries.append(import_paths([directory], batch_size=5))
    finally:
        done.set()
        connections.close_all()


@pytest.mark.django_db(transaction=True)
def test_an_import_never_undoes_an_acknowledged_save(tmp_path, django_user_model):
    from django.contrib.auth.models import Group

    editors = []
    for index in range(EDITORS):
        user = django_user_model.objects.create_user(f"editor{index}")
        user.groups.add(Group.objects.get(name="Editors"))
        editors.append(user)
    write_round(tmp_path, 1)
    import_paths([tmp_path])
    ids = list(Article.objects.values_list("pk", flat=True))
    assert len(ids) == ARTICLES

    saves, conflicts, summaries = [], [], []
    done = threading.Event()
    threads = [
        threading.Thread(target=editor_at_work, args=(user, seed, ids, done, saves, conflicts))
        for seed, user in enumerate(editors)
    ]
    threads.append(threading.Thread(target=importer_at_work, args=(tmp_path, done, summaries)))
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads)

    assert len(summaries) == IMPORT_ROUNDS and all(s.rejected == 0 for s in summaries)
    assert sum(s.updated for s in summaries) > ARTICLES, "the imports must have changed the articles"
    assert len(saves) >= 20, "the editors must have saved during the imports"
    assert_every_save_survives(saves)
    assert_versions_are_unique_and_increasing()
    assert_audit_replays_to_the_current_values()


def assert_every_save_survives(saves: list[Save]) -> None:
    """Each acknowledged save is in the audit, and its value is current unless a later save replaced it."""
    logged = {(e.batch, e.field): e for e in AuditEntry.objects.exclude(source="import")}
    current = {a.pk: a for a in Article.objects.only("pk", "excerpt", "quality", "editor_fields")}
    for save in saves:
        entry = logged[(save.batch, save.field)]
        assert entry.new_value == save.value
        article = current[save.article_id]
        assert save.field in article.editor_fields
        if getattr(article, save.field) != save.value:
            later = AuditEntry.objects.filter(article_id=save.article_id, field=save.field, version__gt=entry.version)
            assert later.exists(), f"the save {save} was undone without a trace"
            assert not later.filter(source="import").exists(), f"an import overwrote the save {save}"


def assert_versions_are_unique_and_increasing() -> None:
    by_article = defaultdict(list)
    for article_id, version in AuditEntry.objects.order_by("id").values_list("article_id", "version"):
        by_article[article_id].append(version)
    for article_id, versions in by_article.items():
        assert versions == sorted(set(versions)), f"article {article_id}: versions {versions}"
    for article in Article.objects.filter(pk__in=list(by_article)):
        assert article.version >= by_article[article.pk][-1]


def assert_audit_replays_to_the_current_values() -> None:
    """Field by field, each entry starts from the value the previous one left, and the last one is current."""
    entries = defaultdict(list)
    for entry in AuditEntry.objects.order_by("version"):
        entries[(entry.article_id, entry.field)].append(entry)
    articles = {a.pk: a for a in Article.objects.all()}
    for (article_id, field), chain in entries.items():
        for before, after in zip(chain, chain[1:]):
            assert after.old_value == before.new_value, f"article {article_id} {field}: a change left no trace"
        if field in ("excerpt", "quality"):
            assert getattr(articles[article_id], field) == chain[-1].new_value


# --- each rule on its own ------------------------------------------------------------------


@pytest.mark.django_db
def test_a_reimport_audits_through_the_service_with_a_version_per_field(tmp_path, editor):
    write_item(tmp_path, "story", title="First title")
    import_paths([tmp_path])
    article = Article.objects.get()
    editorial.set_scores(article.pk, user=editor, source="dashboard", quality=90, expected_version=1)
    write_item(tmp_path, "story", title="Second title", body="\nNew body.\n")

    import_paths([tmp_path])

    article.refresh_from_db()
    upstream = list(AuditEntry.objects.filter(source="import").order_by("version"))
    assert {e.field for e in upstream} == {"title", "excerpt", "body"}
    assert [e.version for e in upstream] == [3, 4, 5] and article.version == 5
    assert len({e.batch for e in upstream}) == 1 and upstream[0].batch
    assert article.quality == 90 and article.changed_since_review


@pytest.mark.django_db
def test_a_reimport_keeps_a_save_made_after_the_batch_was_read(tmp_path, editor):
    """The importer reads the rows it writes again, under their lock, when its batch transaction starts."""
    from articles import importing
    from articles.reading import InProcessParser

    write_item(tmp_path, "story", title="First title")
    import_paths([tmp_path])
    article = Article.objects.get()
    write_item(tmp_path, "story", title="Second title")
    importer = importing.Importer()
    batch = importer.prepare([tmp_path / "story.md"], InProcessParser())  # reads version 1, no editor fields
    editorial.edit_excerpt(article.pk, user=editor, source="dashboard", excerpt="The editor's words", expected_version=1)

    importer.finish(batch)

    article.refresh_from_db()
    assert (article.title, article.excerpt) == ("Second title", "The editor's words")
    assert article.editor_fields == ["excerpt"]
    [upstream] = AuditEntry.objects.filter(source="import")
    assert (upstream.field, upstream.new_value, upstream.version, article.version) == ("title", "Second title", 3, 3)


CHANGES = {
    "edit": lambda pk: (reverse("articles:edit", args=[pk]),
                        {"excerpt": "New words", "quality": "50", "heat": "10", "status": "awaiting"}),
    "scores": lambda pk: (reverse("articles:scores", args=[pk]), {"quality": "70", "heat": "10"}),
    "publish": lambda pk: (reverse("articles:publish", args=[pk]), {}),
    "unpublish": lambda pk: (reverse("articles:unpublish", args=[pk]), {}),
    "reject": lambda pk: (reverse("articles:reject", args=[pk]), {}),
}


@pytest.mark.django_db
@pytest.mark.parametrize("change", CHANGES)
@pytest.mark.parametrize("version", [None, "", "abc", "0"])
def test_an_editorial_post_without_a_readable_version_is_refused(editor_client, change, version):
    article = make_article(quality=50, heat=10, status="published" if change == "unpublish" else "awaiting")
    url, data = CHANGES[change](article.pk)
    if version is not None:
        data["version"] = version

    response = editor_client.post(url, data)

    assert response.status_code == 400
    assert Article.objects.get(pk=article.pk).version == 1
    assert not AuditEntry.objects.exists()


@pytest.mark.django_db
def test_each_audited_field_takes_its_own_version(editor):
    article = make_article(quality=50, heat=10)

    editorial.set_scores(article.pk, user=editor, source="dashboard", quality=60, heat=20, expected_version=1)
    editorial.publish(article.pk, user=editor, source="dashboard", expected_version=3)

    versions = list(AuditEntry.objects.order_by("version").values_list("field", "version"))
    assert versions == [("quality", 2), ("heat", 3), ("status", 4)]
    assert Article.objects.get(pk=article.pk).version == 4
