"""The editorial service: every change audited, marked as an editor's, version-checked, permission-checked, undoable."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from articles import editorial
from articles.editorial import EditConflict
from articles.models import Article, AuditEntry
from tests.builders import make_article
from tests.conftest import make_user

pytestmark = pytest.mark.django_db

def entries(article: Article) -> list[AuditEntry]:
    return list(AuditEntry.objects.filter(article=article).order_by("id"))


# update_article and its shortcuts ------------------------------------------------------


def test_set_scores_records_one_audit_entry_per_changed_field(editor):
    article = make_article(quality=50, heat=10)

    result = editorial.set_scores(article.pk, user=editor, source="dashboard", quality=70, heat=10)

    article.refresh_from_db()
    assert (article.quality, article.heat, article.version) == (70, 10, 2)
    [entry] = entries(article)
    assert (entry.user, entry.source, entry.action, entry.field) == (editor, "dashboard", "edit", "quality")
    assert (entry.old_value, entry.new_value, entry.version, entry.batch) == (50, 70, 2, result.batch)
    assert timezone.now() - entry.at < dt.timedelta(minutes=1)
    assert result.count == 1
    assert result.message == f"Saved the quality of “{article.title}”."


def test_update_marks_fields_as_an_editors_and_records_the_review(editor):
    article = make_article(editor_fields=["heat"], changed_since_review=True)

    editorial.update_article(article.pk, user=editor, source="admin", changes={"excerpt": "Better", "quality": 1})

    article.refresh_from_db()
    assert article.editor_fields == ["heat", "excerpt", "quality"]
    assert article.reviewed_by == editor and article.reviewed_at is not None
    assert article.changed_since_review is False


def test_edit_excerpt_keeps_the_old_and_new_text_in_the_audit(editor):
    article = make_article(excerpt="Old text")

    editorial.edit_excerpt(article.pk, user=editor, source="dashboard", excerpt="New text")

    [entry] = entries(article)
    assert (entry.field, entry.old_value, entry.new_value, entry.action) == ("excerpt", "Old text", "New text", "edit")


@pytest.mark.parametrize(
    ("function", "status", "action", "verb"),
    [
        (editorial.publish, "published", "publish", "Published"),
        (editorial.reject, "rejected", "reject", "Rejected"),
    ],
)
def test_status_changes_are_audited_with_their_action(editor, function, status, action, verb):
    article = make_article()

    result = function(article.pk, user=editor, source="dashboard")

    article.refresh_from_db()
    assert article.status == status
    [entry] = entries(article)
    assert (entry.action, entry.field, entry.old_value, entry.new_value) == (action, "status", "awaiting", status)
    assert result.message == f"{verb} “{article.title}”."


def test_publish_records_who_published_and_unpublish_clears_it(editor):
    article = make_article()

    editorial.publish(article.pk, user=editor, source="dashboard")
    article.refresh_from_db()
    assert article.published_by == editor and article.published_at is not None

    editorial.unpublish(article.pk, user=editor, source="dashboard")
    article.refresh_from_db()
    assert article.status == "awaiting"
    assert article.published_by is None and article.published_at is None
    assert [e.action for e in entries(article)] == ["publish", "unpublish"]


def test_a_change_to_the_same_value_writes_nothing(editor):
    article = make_article(status="published")

    result = editorial.publish(article.pk, user=editor, source="dashboard")

    article.refresh_from_db()
    assert (result.batch, result.count) == ("", 0)
    assert "already published" in result.message
    assert article.version == 1 and article.editor_fields == []
    assert entries(article) == []


def test_a_command_changes_as_the_system_without_a_user():
    article = make_article()

    editorial.set_scores(article.pk, user=None, source="command", heat=99)

    [entry] = entries(article)
    assert entry.user is None and entry.source == "command"
    article.refresh_from_db()
    assert article.heat == 99 and article.reviewed_by is None


@pytest.mark.parametrize(
    "changes",
    [
        {"quality": 2**31},
        {"heat": -(2**31) - 1},
        {"quality": "70"},
        {"heat": True},
        {"status": "deleted"},
        {"title": "Not editable"},
        {"excerpt": None},
    ],
)
def test_invalid_changes_are_refused_and_nothing_is_written(editor, changes):
    article = make_article()

    with pytest.raises(ValidationError):
        editorial.update_article(article.pk, user=editor, source="dashboard", changes=changes)

    article.refresh_from_db()
    assert article.version == 1 and entries(article) == []


def test_an_unknown_source_is_refused(editor):
    article = make_article()
    with pytest.raises(ValueError):
        editorial.publish(article.pk, user=editor, source="browser")


# permissions ---------------------------------------------------------------------------


def test_a_viewer_cannot_change_anything(viewer):
    article = make_article()

    with pytest.raises(PermissionDenied):
        editorial.set_scores(article.pk, user=viewer, source="dashboard", quality=1)
    with pytest.raises(PermissionDenied):
        editorial.bulk_set_status([article.pk], status="published", user=viewer, source="dashboard")

    article.refresh_from_db()
    assert article.quality == 50 and entries(article) == []


def test_changing_status_needs_the_publish_permission(db):
    from django.contrib.auth.models import Permission

    scorer = make_user("scorer")
    scorer.user_permissions.add(Permission.objects.get(codename="change_article"))
    article = make_article()

    editorial.set_scores(article.pk, user=scorer, source="dashboard", quality=80)
    with pytest.raises(PermissionDenied):
        editorial.publish(article.pk, user=scorer, source="dashboard")

    article.refresh_from_db()
    assert (article.quality, article.status) == (80, "awaiting")


def test_unchanged_status_in_a_full_form_needs_no_publish_permission(db):
    from django.contrib.auth.models import Permission

    scorer = make_user("scorer")
    scorer.user_permissions.add(Permission.objects.get(codename="change_article"))
    article = make_article()

    editorial.update_article(
        article.pk, user=scorer, source="dashboard", changes={"status": "awaiting", "excerpt": "Fixed"}
    )

    article.refresh_from_db()
    assert article.excerpt == "Fixed"


def test_an_inactive_editor_is_refused(editor):
    editor.is_active = False
    editor.save()
    article = make_article()
    with pytest.raises(PermissionDenied):
        editorial.publish(article.pk, user=editor, source="dashboard")


# conflicts -----------------------------------------------------------------------------


def test_a_stale_version_is_refused_and_the_first_change_survives(editor, second_editor):
    second_editor.first_name, second_editor.last_name = "Ann", "Lee"
    second_editor.save()
    article = make_article(quality=50, excerpt="Original")
    seen = article.version
    editorial.set_scores(article.pk, user=second_editor, source="dashboard", quality=70, expected_version=seen)

    with pytest.raises(EditConflict) as caught:
        editorial.update_article(
            article.pk, user=editor, source="dashboard", changes={"quality": 10, "excerpt": "Mine"},
            expected_version=seen,
        )

    article.refresh_from_db()
    assert (article.quality, article.excerpt, article.version) == (70, "Original", 2)
    assert [e.user for e in entries(article)] == [second_editor]
    conflict = caught.value
    assert conflict.article.version == 2
    assert [(e.field, e.old_value, e.new_value) for e in conflict.their_changes] == [("quality", 50, 70)]
    message = conflict.describe()
    assert message.startswith("Ann Lee changed quality from 50 to 70 at ")
    assert message.endswith("nothing of yours was saved.")


def test_the_conflict_names_every_change_since_oldest_first(editor, second_editor):
    article = make_article(quality=50, excerpt="Original")
    editorial.update_article(
        article.pk, user=second_editor, source="dashboard", changes={"quality": 70, "excerpt": "Theirs"}
    )
    editorial.publish(article.pk, user=second_editor, source="admin")

    with pytest.raises(EditConflict) as caught:
        editorial.reject(article.pk, user=editor, source="dashboard", expected_version=1)

    message = caught.value.describe()
    assert "editor2 changed quality from 50 to 70 and excerpt from “Original” to “Theirs” at" in message
    assert "editor2 changed status from Awaiting review to Published at" in message
    assert message.index("quality") < message.index("status")


def test_a_conflict_without_audit_entries_still_explains_itself(editor):
    article = make_article()
    Article.objects.filter(pk=article.pk).update(version=5)  # e.g. a re-import of an unreviewed item

    with pytest.raises(EditConflict) as caught:
        editorial.publish(article.pk, user=editor, source="dashboard", expected_version=1)

    assert caught.value.their_changes == []
    assert "changed since you opened it (it is now at version 5)" in caught.value.describe()


def test_the_current_version_is_accepted(editor):
    article = make_article()
    editorial.publish(article.pk, user=editor, source="dashboard", expected_version=1)
    result = editorial.set_scores(article.pk, user=editor, source="dashboard", heat=3, expected_version=2)
    assert result.count == 1


# bulk ----------------------------------------------------------------------------------


def test_bulk_publish_is_one_batch_and_skips_those_already_published(editor):
    awaiting = [make_article() for _ in range(3)]
    rejected = make_article(status="rejected", editor_fields=["excerpt"])
    published = make_article(status="published")
    ids = [a.pk for a in awaiting] + [rejected.pk, published.pk]

    result = editorial.bulk_set_status(ids, status="published", user=editor, source="dashboard")

    assert result.count == 4
    assert result.message == "Published 4 articles (1 already published)."
    assert set(Article.objects.filter(pk__in=ids).values_list("status", flat=True)) == {"published"}
    logged = AuditEntry.objects.filter(batch=result.batch)
    assert logged.count() == 4
    assert sorted(logged.values_list("old_value", flat=True)) == ["awaiting"] * 3 + ["rejected"]
    assert set(logged.values_list("action", "field", "new_value", "source", "user")) == {
        ("publish", "status", "published", "dashboard", editor.pk)
    }
    for article in Article.objects.filter(pk__in=ids).exclude(pk=published.pk):
        assert article.version == 2
        assert article.published_by == editor
        assert logged.get(article=article).version == 2
    assert Article.objects.get(pk=rejected.pk).editor_fields == ["excerpt", "status"]
    assert Article.objects.get(pk=awaiting[0].pk).editor_fields == ["status"]
    assert Article.objects.get(pk=published.pk).version == 1
    assert entries(published) == []


def test_bulk_accepts_a_queryset_of_ids(editor):
    articles = [make_article(category="sport") for _ in range(2)] + [make_article(category="news")]

    result = editorial.bulk_set_status(
        Article.objects.filter(category="sport"), status="rejected", user=editor, source="admin"
    )

    assert result.count == 2
    assert list(Article.objects.order_by("pk").values_list("status", flat=True)) == ["rejected", "rejected", "awaiting"]
    assert articles[2].pk not in AuditEntry.objects.values_list("article_id", flat=True)


def test_bulk_with_nothing_to_change_writes_nothing(editor):
    article = make_article(status="rejected")
    result = editorial.bulk_set_status([article.pk], status="rejected", user=editor, source="dashboard")
    assert (result.batch, result.count) == ("", 0)
    assert "already rejected" in result.message
    assert not AuditEntry.objects.exists()


@pytest.mark.parametrize("size", [5, 120])
def test_bulk_takes_a_constant_number_of_queries(editor, django_assert_num_queries, size):
    mixed_fields = [[], ["excerpt"], ["quality", "heat"]]
    ids = [make_article(editor_fields=mixed_fields[i % 3]).pk for i in range(size)]
    editor.has_perm("articles.change_article")  # permissions are cached on the user, as in a request

    # SAVEPOINT, their stories (none: no refresh), SELECT … FOR UPDATE, INSERT … SELECT of the audit entries, UPDATE,
    # RELEASE
    with django_assert_num_queries(6):
        result = editorial.bulk_set_status(ids, status="published", user=editor, source="dashboard")

    assert result.count == size
    assert AuditEntry.objects.filter(batch=result.batch).count() == size
    fields = {a.pk: a.editor_fields for a in Article.objects.all()}
    assert fields[ids[0]] == ["status"]
    assert fields[ids[1]] == ["excerpt", "status"]
    assert fields[ids[2]] == ["quality", "heat", "status"]


# undo ----------------------------------------------------------------------------------


def test_undo_restores_a_single_change_and_audits_it(editor, second_editor):
    article = make_article(quality=50, heat=10)
    done = editorial.set_scores(article.pk, user=editor, source="dashboard", quality=70, heat=20)

    result = editorial.undo(done.batch, user=second_editor, source="dashboard")

    article.refresh_from_db()
    # Each audited field takes the next version: two fields changed (2, 3), then both undone (4, 5).
    assert (article.quality, article.heat, article.version) == (50, 10, 5)
    assert result.count == 1 and result.batch not in ("", done.batch)
    assert result.message == f"Undid the change to “{article.title}”."
    undone = AuditEntry.objects.filter(batch=result.batch).order_by("version")
    assert [(e.action, e.field, e.old_value, e.new_value, e.user, e.source, e.version) for e in undone] == [
        ("undo", "heat", 20, 10, second_editor, "dashboard", 4),
        ("undo", "quality", 70, 50, second_editor, "dashboard", 5),
    ]


def test_undo_restores_a_bulk_change_to_each_old_status(editor):
    awaiting = make_article()
    rejected = make_article(status="rejected")
    done = editorial.bulk_set_status([awaiting.pk, rejected.pk], status="published", user=editor, source="admin")

    result = editorial.undo(done.batch, user=editor, source="admin")

    assert result.count == 2 and result.message == "Undid the change to 2 articles."
    assert Article.objects.get(pk=awaiting.pk).status == "awaiting"
    assert Article.objects.get(pk=rejected.pk).status == "rejected"
    assert AuditEntry.objects.filter(batch=result.batch, action="undo").count() == 2


def test_undo_is_refused_after_a_later_change_to_the_same_field(editor, second_editor):
    article = make_article(quality=50)
    done = editorial.set_scores(article.pk, user=editor, source="dashboard", quality=70)
    editorial.set_scores(article.pk, user=second_editor, source="dashboard", quality=90)

    with pytest.raises(EditConflict) as caught:
        editorial.undo(done.batch, user=editor, source="dashboard")

    article.refresh_from_db()
    assert article.quality == 90 and article.version == 3
    assert "editor2 changed quality from 70 to 90" in caught.value.describe()
    assert caught.value.describe().endswith("nothing was undone.")


def test_undo_is_refused_when_one_article_of_a_bulk_changed_since(editor, second_editor):
    first, second = make_article(), make_article()
    done = editorial.bulk_set_status([first.pk, second.pk], status="published", user=editor, source="dashboard")
    editorial.reject(second.pk, user=second_editor, source="dashboard")

    with pytest.raises(EditConflict):
        editorial.undo(done.batch, user=editor, source="dashboard")

    assert Article.objects.get(pk=first.pk).status == "published"
    assert Article.objects.get(pk=second.pk).status == "rejected"


def test_undo_twice_is_refused(editor):
    article = make_article()
    done = editorial.publish(article.pk, user=editor, source="dashboard")
    editorial.undo(done.batch, user=editor, source="dashboard")

    with pytest.raises(EditConflict):
        editorial.undo(done.batch, user=editor, source="dashboard")
    assert Article.objects.get(pk=article.pk).status == "awaiting"


def test_undo_ignores_a_later_change_to_another_field(editor):
    article = make_article(quality=50, heat=10)
    done = editorial.set_scores(article.pk, user=editor, source="dashboard", quality=70)
    editorial.set_scores(article.pk, user=editor, source="dashboard", heat=30)

    editorial.undo(done.batch, user=editor, source="dashboard")

    article.refresh_from_db()
    assert (article.quality, article.heat) == (50, 30)


def test_undo_is_refused_when_the_value_moved_without_an_audit_entry(editor):
    article = make_article(quality=50)
    done = editorial.set_scores(article.pk, user=editor, source="dashboard", quality=70)
    Article.objects.filter(pk=article.pk).update(quality=5)  # e.g. a re-import with --overwrite-edits

    with pytest.raises(EditConflict):
        editorial.undo(done.batch, user=editor, source="dashboard")
    assert Article.objects.get(pk=article.pk).quality == 5


def test_undo_of_a_status_change_needs_the_publish_permission(editor, viewer):
    article = make_article()
    done = editorial.publish(article.pk, user=editor, source="dashboard")

    with pytest.raises(PermissionDenied):
        editorial.undo(done.batch, user=viewer, source="dashboard")
    assert Article.objects.get(pk=article.pk).status == "published"


def test_undo_of_an_unknown_batch_does_nothing(editor):
    assert editorial.undo("", user=editor, source="dashboard").count == 0
    assert editorial.undo("0" * 32, user=editor, source="dashboard").count == 0
