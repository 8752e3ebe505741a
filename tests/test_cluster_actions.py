"""The story actions (`editorial_clusters`): one batch each, audited, undoable whole, refused on a stale story."""

import threading

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from articles import editorial
from articles.story_leads import refresh_clusters
from articles.editorial import EditConflict
from articles.editorial_clusters import (
    StoryChanged, join_stories, publish_and_reject_rest, reject_story, take_out_of_story,
)
from articles.models import Article, AuditEntry, StoryCluster
from tests.builders import make_article, make_story
from tests.conftest import make_user
from tests.threads import started

pytestmark = pytest.mark.django_db

SOURCE = "dashboard"


def seen(*articles) -> dict[int, int]:
    """The versions a review page showed: what the editor decides on."""
    return {article.pk: article.version for article in articles}


def fresh(*articles) -> list[Article]:
    return [Article.objects.get(pk=article.pk) for article in articles]


def story_of_three(**fields):
    first, second, third = (make_article(quality=quality, **fields) for quality in (70, 60, 50))
    return make_story(first, second, third), first, second, third


# deciding a story --------------------------------------------------------------------------


def test_publish_this_and_reject_the_rest_is_one_audited_batch(editor):
    cluster, first, second, third = story_of_three()

    result = publish_and_reject_rest(second.pk, user=editor, source=SOURCE, seen=seen(first, second, third))

    assert [a.status for a in fresh(first, second, third)] == ["rejected", "published", "rejected"]
    logged = list(AuditEntry.objects.filter(batch=result.batch).order_by("article_id"))
    assert [(e.article_id, e.action, e.field, e.old_value, e.new_value) for e in logged] == [
        (first.pk, "reject", "status", "awaiting", "rejected"),
        (second.pk, "publish", "status", "awaiting", "published"),
        (third.pk, "reject", "status", "awaiting", "rejected"),
    ]
    assert {e.user_id for e in logged} == {editor.pk} and {e.source for e in logged} == {SOURCE}
    assert result.count == 3 and "rejected 2 items" in result.message


def test_undo_brings_the_whole_story_back(editor):
    cluster, first, second, third = story_of_three()
    result = publish_and_reject_rest(second.pk, user=editor, source=SOURCE, seen=seen(first, second, third))

    undone = editorial.undo(result.batch, user=editor, source=SOURCE)

    assert undone.count == 3
    assert [a.status for a in fresh(first, second, third)] == ["awaiting"] * 3
    cluster.refresh_from_db()
    assert cluster.lead_id == first.pk and cluster.size == 3


def test_reject_all_rejects_every_member_not_rejected_yet(editor):
    cluster, first, second, third = story_of_three()
    Article.objects.filter(pk=third.pk).update(status="rejected")
    third.refresh_from_db()

    result = reject_story(first.pk, user=editor, source=SOURCE, seen=seen(first, second, third))

    assert [a.status for a in fresh(first, second, third)] == ["rejected"] * 3
    assert AuditEntry.objects.filter(batch=result.batch).count() == 2


def test_a_decided_story_shows_its_published_item_as_lead(editor):
    cluster, first, second, third = story_of_three()

    publish_and_reject_rest(third.pk, user=editor, source=SOURCE, seen=seen(first, second, third))

    cluster.refresh_from_db()
    assert cluster.lead_id == first.pk  # all decided: the best scored leads
    assert [a.folded_into_cluster for a in fresh(first, second, third)] == [False, True, True]


def test_publishing_the_lead_alone_hands_the_story_to_a_member_still_awaiting_review(editor):
    """Else the one-row-per-story queue of items awaiting review would hide the story's other items."""
    cluster, first, second, third = story_of_three()

    editorial.publish(first.pk, user=editor, source=SOURCE, expected_version=first.version)

    cluster.refresh_from_db()
    assert cluster.lead_id == second.pk
    assert [a.folded_into_cluster for a in fresh(first, second, third)] == [True, False, True]


def test_a_member_changed_since_the_editor_loaded_the_story_refuses_the_decision(editor, second_editor):
    cluster, first, second, third = story_of_three()
    editorial.set_scores(third.pk, user=second_editor, source="admin", quality=90)

    with pytest.raises(EditConflict) as refused:
        publish_and_reject_rest(first.pk, user=editor, source=SOURCE, seen=seen(first, second, third))

    assert "editor2 changed quality from 50 to 90" in refused.value.describe()
    assert [a.status for a in fresh(first, second, third)] == ["awaiting"] * 3
    assert not AuditEntry.objects.filter(user=editor).exists()


def test_a_member_that_joined_since_refuses_the_decision(editor):
    cluster, first, second, third = story_of_three()
    newcomer = make_article(title="Late report")
    Article.objects.filter(pk=newcomer.pk).update(cluster=cluster)

    with pytest.raises(StoryChanged, match="“Late report” joined it; nothing was changed"):
        reject_story(first.pk, user=editor, source=SOURCE, seen=seen(first, second, third))

    assert not Article.objects.filter(status="rejected").exists()


def test_a_member_that_left_since_refuses_the_decision(editor, second_editor):
    cluster, first, second, third = story_of_three()
    take_out_of_story(third.pk, user=second_editor, source=SOURCE, expected_version=third.version)

    with pytest.raises(StoryChanged, match="1 item left it"):
        reject_story(first.pk, user=editor, source=SOURCE, seen=seen(first, second, third))


def test_an_article_in_no_story_cannot_be_decided_as_one(editor):
    alone = make_article()

    with pytest.raises(ValidationError, match="not part of a story"):
        reject_story(alone.pk, user=editor, source=SOURCE, seen=seen(alone))


def test_deciding_a_story_needs_the_publish_permission(db, viewer):
    from django.contrib.auth.models import Permission

    scorer = make_user("scorer")
    scorer.user_permissions.add(Permission.objects.get(codename="change_article"))
    cluster, first, second, third = story_of_three()

    for user in (viewer, scorer):
        with pytest.raises(PermissionDenied):
            reject_story(first.pk, user=user, source=SOURCE, seen=seen(first, second, third))
    take_out_of_story(third.pk, user=scorer, source=SOURCE, expected_version=third.version)  # no status change
    assert not Article.objects.filter(status="rejected").exists()


@pytest.mark.parametrize("members", [3, 30])
def test_deciding_a_story_takes_a_fixed_number_of_queries(editor, django_assert_num_queries, members):
    articles = [make_article(quality=members - n) for n in range(members)]
    make_story(*articles)
    editor.has_perm("articles.change_article")  # permissions are cached on the user, as in a request

    # SAVEPOINT, its story, the lock, 2 × (INSERT … SELECT audit, UPDATE), the story's refresh (its members and
    # the story read; the lead stays, so nothing rewritten), RELEASE
    with django_assert_num_queries(10):
        result = publish_and_reject_rest(articles[0].pk, user=editor, source=SOURCE, seen=seen(*articles))

    assert result.count == members


# taking out and joining ------------------------------------------------------------------


def test_an_article_taken_out_stands_alone_for_good_and_the_story_goes_on(editor):
    cluster, first, second, third = story_of_three()

    result = take_out_of_story(first.pk, user=editor, source=SOURCE, expected_version=first.version)

    first, second, third = fresh(first, second, third)
    assert (first.cluster_id, first.cluster_set_by_editor, first.folded_into_cluster) == (None, True, False)
    assert (second.cluster_id, third.cluster_id) == (cluster.pk, cluster.pk)
    cluster.refresh_from_db()
    assert (cluster.size, cluster.lead_id) == (2, second.pk)
    logged = {(e.field, e.old_value, e.new_value, e.action) for e in AuditEntry.objects.filter(batch=result.batch)}
    assert logged == {("cluster", cluster.pk, None, "take out of story"),
                      ("cluster_set_by_editor", False, True, "take out of story")}


def test_taking_one_of_two_out_dissolves_the_story_and_undo_brings_it_back(editor):
    first, second = make_article(quality=70), make_article(quality=60)
    cluster = make_story(first, second)

    result = take_out_of_story(second.pk, user=editor, source=SOURCE, expected_version=second.version)

    assert [a.cluster_id for a in fresh(first, second)] == [None, None]
    assert not StoryCluster.objects.exists()

    editorial.undo(result.batch, user=editor, source=SOURCE)

    first, second = fresh(first, second)
    assert (first.cluster_id, second.cluster_id) == (cluster.pk, cluster.pk)
    assert (first.cluster_set_by_editor, second.cluster_set_by_editor) == (False, False)
    restored = StoryCluster.objects.get()
    assert (restored.size, restored.lead_id, second.folded_into_cluster) == (2, first.pk, True)


def test_taking_out_checks_the_version_the_editor_saw(editor, second_editor):
    cluster, first, second, third = story_of_three()
    editorial.set_scores(second.pk, user=second_editor, source="admin", heat=99)

    with pytest.raises(EditConflict):
        take_out_of_story(second.pk, user=editor, source=SOURCE, expected_version=second.version)

    assert Article.objects.get(pk=second.pk).cluster_id == cluster.pk


def test_joining_two_stories_keeps_every_member_together_and_undo_splits_them_again(editor):
    left = make_story(make_article(quality=90), make_article(quality=10))
    right_lead, right_other = make_article(quality=80), make_article(quality=20)
    right = make_story(right_lead, right_other)
    acted = left.lead

    result = join_stories(acted.pk, right_other.pk, user=editor, source=SOURCE, expected_version=acted.version)

    members = Article.objects.filter(cluster=right)
    assert members.count() == 4 and all(member.cluster_set_by_editor for member in members)
    assert not StoryCluster.objects.filter(pk=left.pk).exists()
    right.refresh_from_db()
    assert (right.size, right.lead_id) == (4, acted.pk)
    assert "4 articles in story" in result.message

    editorial.undo(result.batch, user=editor, source=SOURCE)

    assert sorted(StoryCluster.objects.values_list("pk", "size")) == sorted([(left.pk, 2), (right.pk, 2)])
    assert not Article.objects.filter(cluster_set_by_editor=True).exists()


def test_joining_two_articles_in_no_story_makes_one(editor):
    one, two = make_article(), make_article()

    result = join_stories(one.pk, two.pk, user=editor, source=SOURCE, expected_version=one.version)

    story = StoryCluster.objects.get()
    assert story.size == 2 and {a.cluster_id for a in fresh(one, two)} == {story.pk}
    editorial.undo(result.batch, user=editor, source=SOURCE)
    assert not StoryCluster.objects.exists()


def test_joining_with_itself_or_an_unknown_article_is_refused(editor):
    one = make_article()

    with pytest.raises(ValidationError, match="itself"):
        join_stories(one.pk, one.pk, user=editor, source=SOURCE, expected_version=one.version)
    with pytest.raises(ValidationError, match="no article #999999"):
        join_stories(one.pk, 999999, user=editor, source=SOURCE, expected_version=one.version)
    assert not AuditEntry.objects.exists()


def test_a_viewer_cannot_take_out_or_join(viewer):
    one, two = make_article(), make_article()
    make_story(one, two)

    with pytest.raises(PermissionDenied):
        take_out_of_story(one.pk, user=viewer, source=SOURCE, expected_version=1)
    with pytest.raises(PermissionDenied):
        join_stories(one.pk, two.pk, user=viewer, source=SOURCE, expected_version=1)


# two editors at once ---------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_a_decision_waits_for_a_concurrent_save_and_then_refuses_the_changed_story(
    editor, second_editor,
):
    """Two connections: another editor saves a member (locking its story, as every writer does) and has not
    committed yet; the decision waits for the lock, reads the story again under it and is refused instead of
    rejecting an item the editor has not seen."""
    cluster, first, second, third = story_of_three()
    locked, release, outcome = threading.Event(), threading.Event(), {}

    def other_editor():
        with transaction.atomic():  # the save's locks are held until this commits
            editorial.set_scores(third.pk, user=second_editor, source="admin", quality=95)
            locked.set()
            release.wait(10)

    def deciding_editor():
        try:
            outcome["result"] = reject_story(first.pk, user=editor, source=SOURCE, seen=seen(first, second, third))
        except EditConflict as conflict:
            outcome["conflict"] = conflict.describe()

    holder = started(other_editor)
    assert locked.wait(10)
    decider = started(deciding_editor)
    decider.join(0.5)
    assert decider.is_alive(), "the decision must wait for the other editor's lock"
    release.set()
    holder.join(10)
    decider.join(10)

    assert "changed quality from 50 to 95" in outcome["conflict"]
    assert [a.status for a in fresh(first, second, third)] == ["awaiting"] * 3
    assert Article.objects.get(pk=third.pk).quality == 95


@pytest.mark.parametrize("stories", [2, 12])
def test_a_bulk_change_to_story_members_refreshes_their_leads_in_a_fixed_number_of_queries(
    editor, django_assert_num_queries, stories,
):
    leads = []
    for _ in range(stories):
        lead, other = make_article(quality=90), make_article(quality=10)
        make_story(lead, other)
        leads.append(lead)
    editor.has_perm("articles.change_article")

    # SAVEPOINT, their stories, the lock, the audit, the UPDATE, the refresh (members; the new leads unfolded and
    # the old ones folded, only those rows; the stories read, then their leads written), RELEASE
    with django_assert_num_queries(11):
        editorial.bulk_set_status([lead.pk for lead in leads], status="published", user=editor, source=SOURCE)

    assert not Article.objects.filter(pk__in=[lead.pk for lead in leads], folded_into_cluster=False).exists()


def test_refreshing_a_story_rewrites_only_the_rows_whose_fold_changes():
    members = [make_article(quality=quality) for quality in (10, 20, 30, 40)]
    make_story(*members)
    cluster_id = Article.objects.get(pk=members[0].pk).cluster_id
    Article.objects.filter(pk=members[0].pk).update(quality=99)  # the new lead

    with CaptureQueriesContext(connection) as queries:
        refresh_clusters([cluster_id])

    article_updates = [q["sql"] for q in queries.captured_queries
                       if q["sql"].startswith('UPDATE "articles_article"')]
    assert len(article_updates) == 2
    assert f"IN ({members[0].pk})" in article_updates[0] and f"IN ({members[3].pk})" in article_updates[1]
    folded = dict(Article.objects.filter(pk__in=[m.pk for m in members]).values_list("pk", "folded_into_cluster"))
    assert folded == {members[0].pk: False, members[1].pk: True, members[2].pk: True, members[3].pk: True}
    assert StoryCluster.objects.get(pk=cluster_id).lead_id == members[0].pk
