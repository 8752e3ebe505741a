"""The story screens through the test client: the queue's one row per story, the review page's story, its buttons."""

import pytest
from django.test import Client
from django.urls import reverse

from articles.editorial_clusters import take_out_of_story
from articles.models import Article, AuditEntry, StoryCluster
from tests.builders import make_article, make_provider, make_story
from tests.conftest import make_user
from tests.test_views import count_queries

pytestmark = pytest.mark.django_db


def queue(client, **params):
    return client.get(reverse("articles:queue"), params)


def rows(response) -> list[int]:
    return [article.pk for article in response.context["page"].items]


def seen(*articles) -> list[str]:
    return [f"{article.pk}:{Article.objects.get(pk=article.pk).version}" for article in articles]


@pytest.fixture
def story():
    """A story of three providers' items (the first leads) and an article on its own."""
    lead = make_article(title="Harbour reopens", quality=80, provider=make_provider("harbour.example"))
    second = make_article(title="Harbour opens again", quality=60, provider=make_provider("coast.example"),
                          excerpt="The port is back <b>open</b>.")
    third = make_article(title="Port reopens after storm", quality=40, provider=make_provider("bay.example"))
    cluster = make_story(lead, second, third)
    alone = make_article(title="Forest fire contained")
    return {"cluster": cluster, "lead": lead, "second": second, "third": third, "alone": alone}


# --- the queue ---------------------------------------------------------------------------------


def test_the_queue_shows_one_row_per_story_by_default_with_its_other_sources(editor_client, story):
    response = queue(editor_client)

    assert sorted(rows(response)) == sorted([story["lead"].pk, story["alone"].pk])
    html = response.content.decode()
    assert "+2 sources" in html
    assert "Harbour opens again" in html and "Port reopens after storm" in html  # folded under the lead
    assert html.count('class="story-members"') == 1
    assert '<a href="?show=items">Every item</a>' in html


def test_every_item_on_request(editor_client, story):
    response = queue(editor_client, show="items")

    assert len(rows(response)) == 4
    html = response.content.decode()
    assert "+2 sources" not in html and '<a href="?">One row per story</a>' in html


@pytest.mark.parametrize("value, expected", [("true", ["lead", "second", "third"]), ("false", ["alone"])])
def test_the_in_a_story_filter(editor_client, story, value, expected):
    response = queue(editor_client, show="items", clustered=value)

    assert sorted(rows(response)) == sorted(story[name].pk for name in expected)


@pytest.mark.parametrize("params", [{"show": "stories!"}, {"clustered": "maybe"}])
def test_a_story_parameter_the_queue_cannot_read_answers_400_naming_it(editor_client, story, params):
    response = queue(editor_client, **params)

    assert response.status_code == 400
    assert list(params)[0] in response.context["form"].errors


def test_a_story_stays_visible_in_the_awaiting_queue_when_its_lead_is_published(editor_client, story):
    lead = story["lead"]
    editor_client.post(reverse("articles:publish", args=[lead.pk]), {"version": lead.version})

    response = queue(editor_client, status="awaiting")

    assert story["second"].pk in rows(response) and "+2 sources" in response.content.decode()


def test_pages_of_stories_walk_by_cursor_without_a_folded_item(editor_client):
    leads = []
    for n in range(7):
        lead, other = make_article(quality=90), make_article(quality=10)
        make_story(lead, other)
        leads.append(lead.pk)
    seen_rows, url = [], reverse("articles:queue") + "?size=3"
    while url:
        response = editor_client.get(url)
        seen_rows += rows(response)
        page = response.context["page"]
        url = (reverse("articles:queue") + f"?size=3&page={page.next_page_number}&after={page.next_cursor}"
               if page.has_next else None)

    assert sorted(seen_rows) == sorted(leads)


def test_the_story_view_costs_one_query_more_whatever_the_number_of_stories(editor_client, django_assert_num_queries):
    for n in range(3):
        make_article()
    url = reverse("articles:queue")
    editor_client.get(url)  # the filter suggestions, cached for a minute
    plain = count_queries(editor_client, url)
    make_story(make_article(), make_article())
    one_story = count_queries(editor_client, url)
    for n in range(10):
        make_story(make_article(topics=["Boats"]), make_article(), make_article())

    with django_assert_num_queries(one_story):
        response = editor_client.get(url)

    assert one_story == plain + 1  # the stories' other members, in one query
    assert len(rows(response)) == 14


# --- the review page ---------------------------------------------------------------------------


def test_the_review_page_lists_the_storys_other_items_side_by_side(editor_client, story):
    response = editor_client.get(reverse("articles:review", args=[story["lead"].pk]))

    html = response.content.decode()
    assert "This story" in html and f"story #{story['cluster'].pk}" in html
    for name, provider in (("second", "Coast"), ("third", "Bay")):
        assert f'href="{reverse("articles:review", args=[story[name].pk])}"' in html
        assert provider in html
    assert "The port is back &lt;b&gt;open&lt;/b&gt;." in html  # imported text stays text
    assert 'name="seen"' in html and "Publish this, reject the rest" in html and "Take out" in html


def test_the_review_page_of_a_story_costs_one_query_more(editor_client, story, editor, django_assert_num_queries):
    url = reverse("articles:review", args=[story["second"].pk]) + "?show=items"  # the same neighbours either way
    in_story = count_queries(editor_client, url)
    take_out_of_story(story["second"].pk, user=editor, source="dashboard", expected_version=story["second"].version)

    with django_assert_num_queries(in_story - 1):
        editor_client.get(url)


def test_a_viewer_sees_the_story_without_its_buttons(viewer_client, story):
    html = viewer_client.get(reverse("articles:review", args=[story["lead"].pk])).content.decode()

    assert "Harbour opens again" in html
    assert "Publish this, reject the rest" not in html and "Take out" not in html and "Join" not in html


# --- the actions ------------------------------------------------------------------------------


def test_publish_this_reject_the_rest_then_undo(editor_client, story):
    lead, second, third = story["lead"], story["second"], story["third"]
    review = reverse("articles:review", args=[second.pk])

    response = editor_client.post(
        reverse("articles:story-publish", args=[second.pk]), {"seen": seen(lead, second, third), "next": review},
        follow=True,
    )

    assert response.redirect_chain[-1][0] == review
    assert "rejected 2 items of the story" in response.content.decode()
    assert [a.status for a in Article.objects.filter(cluster=story["cluster"]).order_by("pk")] == [
        "rejected", "published", "rejected"]
    batch = editor_client.session["last_undo_batch"]

    editor_client.post(reverse("articles:undo"), {"batch": batch})

    assert set(Article.objects.values_list("status", flat=True)) == {"awaiting"}


def test_reject_all(editor_client, story):
    members = story["lead"], story["second"], story["third"]

    editor_client.post(reverse("articles:story-reject", args=[story["lead"].pk]), {"seen": seen(*members)})

    assert set(Article.objects.filter(cluster=story["cluster"]).values_list("status", flat=True)) == {"rejected"}
    assert Article.objects.get(pk=story["alone"].pk).status == "awaiting"


def test_a_stale_story_is_refused_with_what_changed(editor_client, story, second_editor):
    members = story["lead"], story["second"], story["third"]
    stale = seen(*members)
    Article.objects.filter(pk=make_article(title="A late report").pk).update(cluster=story["cluster"])

    response = editor_client.post(
        reverse("articles:story-reject", args=[story["lead"].pk]), {"seen": stale}, follow=True
    )

    assert "The story changed since you opened it: “A late report” joined it" in response.content.decode()
    assert not Article.objects.filter(status="rejected").exists()


@pytest.mark.parametrize("data", [{}, {"seen": "x"}, {"seen": "1:"}, {"seen": "0:1"}, {"seen": "1:0"},
                                  {"seen": "99999999999999999999:1"}, {"seen": "1:99999999999"}])
def test_a_decision_without_a_readable_story_is_400(editor_client, story, data):
    response = editor_client.post(reverse("articles:story-reject", args=[story["lead"].pk]), data)

    assert response.status_code == 400
    assert not AuditEntry.objects.exists()


def test_taking_an_item_out_from_the_review_page(editor_client, story):
    third = story["third"]

    response = editor_client.post(
        reverse("articles:story-leave", args=[third.pk]), {"version": third.version}, follow=True
    )

    assert "out of its story" in response.content.decode()
    third.refresh_from_db()
    assert third.cluster_id is None and third.cluster_set_by_editor


@pytest.mark.parametrize("version", [None, "", "abc", "0"])
def test_taking_out_without_a_readable_version_is_400(editor_client, story, version):
    data = {} if version is None else {"version": version}

    response = editor_client.post(reverse("articles:story-leave", args=[story["third"].pk]), data)

    assert response.status_code == 400
    assert Article.objects.get(pk=story["third"].pk).cluster_id == story["cluster"].pk


def test_joining_another_story_by_an_article_number(editor_client, story):
    alone = story["alone"]

    editor_client.post(
        reverse("articles:story-join", args=[alone.pk]), {"version": alone.version, "other": story["third"].pk}
    )

    story["cluster"].refresh_from_db()
    assert story["cluster"].size == 4
    assert Article.objects.filter(cluster=story["cluster"], cluster_set_by_editor=True).count() == 4


@pytest.mark.parametrize("other, message", [("", "Give the number"), ("abc", "Give the number"),
                                            ("-4", "no such article"), ("99999999999999999999999", "no such article"),
                                            ("987654", "There is no article #987654")])
def test_joining_an_unreadable_or_unknown_article_says_so(editor_client, story, other, message):
    alone = story["alone"]

    response = editor_client.post(
        reverse("articles:story-join", args=[alone.pk]), {"version": alone.version, "other": other}, follow=True
    )

    assert response.status_code == 200 and message in response.content.decode()
    assert StoryCluster.objects.get().size == 3


@pytest.mark.parametrize("name", ["story-publish", "story-reject", "story-leave", "story-join"])
def test_an_unknown_article_is_404(editor_client, name):
    response = editor_client.post(reverse(f"articles:{name}", args=[987654]),
                                  {"seen": "987654:1", "version": "1", "other": "1"})

    assert response.status_code == 404


STORY_URLS = ["story-publish", "story-reject", "story-leave", "story-join"]


@pytest.mark.parametrize("name", STORY_URLS)
def test_the_story_actions_need_login_and_the_editors_permissions(viewer_client, story, name):
    url = reverse(f"articles:{name}", args=[story["lead"].pk])
    data = {"seen": seen(story["lead"], story["second"], story["third"]), "version": "1", "other": story["alone"].pk}

    assert Client().post(url, data).status_code == 302  # to the login page
    assert viewer_client.post(url, data).status_code == 403
    assert viewer_client.get(url).status_code == 403
    assert not AuditEntry.objects.exists()


def test_deciding_a_story_needs_the_publish_permission_taking_out_does_not(db, story):
    from django.contrib.auth.models import Permission

    scorer = make_user("scorer")
    scorer.user_permissions.add(*Permission.objects.filter(codename__in=["view_article", "change_article"]))
    client = Client()
    client.force_login(scorer)
    third = story["third"]

    assert client.post(reverse("articles:story-reject", args=[third.pk]), {"seen": seen(third)}).status_code == 403
    assert client.post(reverse("articles:story-leave", args=[third.pk]), {"version": third.version}).status_code == 302
    assert Article.objects.get(pk=third.pk).cluster_id is None


@pytest.mark.parametrize("name", STORY_URLS)
def test_the_story_actions_need_the_csrf_token(editor, story, name):
    client = Client(enforce_csrf_checks=True)
    client.force_login(editor)

    response = client.post(reverse(f"articles:{name}", args=[story["lead"].pk]), {"version": "1", "other": "1"})

    assert response.status_code == 403
    assert not AuditEntry.objects.exists()


def test_the_api_lists_every_published_item_story_or_not(client, story):
    Article.objects.update(status="published")

    assert len(client.get("/api/articles/", {"show": "stories"}).json()["results"]) == 4


def test_a_typed_deep_page_of_stories_walks_their_own_index(db):
    """Migration 0009: the default order over the shown rows only, so page 500 typed in needs no table scan."""
    from django.db import connection
    from django.http import QueryDict

    from articles import selectors

    rows = selectors.review_queue(QueryDict("")).rows.values_list("pk", flat=True)[24950:25001]
    sql, params = rows.query.sql_with_params()
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL enable_seqscan = off")  # an empty table: as the planner sees a large one
            cursor.execute("SET LOCAL enable_bitmapscan = off")
            cursor.execute("EXPLAIN " + sql, params)
        else:
            cursor.execute("EXPLAIN QUERY PLAN " + sql, params)
        plan = " ".join(str(row) for row in cursor.fetchall())

    assert "article_story_published" in plan and "Sort" not in plan, plan
