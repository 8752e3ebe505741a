"""A bad parameter is refused by name, never ignored in silence and never a server error.

The API answers 400 in JSON naming it; the queue and the review page answer 400 with the page, the error on the
filter form and the other filters applied; the admin shows its "?e=1" page. A NUL character, which PostgreSQL
cannot compare, is refused before any view: 404 in a path, 400 naming the parameter elsewhere.
"""

import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse

from articles import cursors
from articles.models import Article
from tests.builders import make_article
from tests.conftest import make_user

pytestmark = pytest.mark.django_db

EARLIEST_WITH_OFFSET = "0001-01-01T00:00:00+14:00"  # the year 0 in UTC
LATEST_WITH_OFFSET = "9999-12-31T23:59:59-14:00"  # the year 10000 in UTC
BAD_FILTERS = [
    ("published_after", EARLIEST_WITH_OFFSET),
    ("published_before", LATEST_WITH_OFFSET),
    ("imported_after", "10000-01-01"),
    ("published_after", "0000-12-31"),
    ("quality_min", "1.5"),
    ("quality_max", "99999999999"),
    ("heat_min", "lots"),
    ("heat_max", "-99999999999"),
    ("category", "a\x00b"),
    ("q", "\x00"),
]
QUEUE_ONLY = [
    ("duplicates", "maybe"), ("changed", "2"), ("page", "0"), ("size", "-5"), ("page", "²"), ("o", "secret"),
    ("status", "bogus"), ("clustered", "maybe"), ("show", "everything"),
]


@pytest.fixture
def articles(db) -> dict[str, Article]:
    return {
        "needle": make_article(title="A needle", status=Article.Status.PUBLISHED),
        "hay": make_article(title="Some hay", status=Article.Status.PUBLISHED),
    }


@pytest.fixture
def staff(db) -> Client:
    client = Client()
    client.force_login(make_user("desk", "Editors", is_staff=True))
    return client


# the API -------------------------------------------------------------------------------------


@pytest.mark.parametrize("name, value", BAD_FILTERS)
def test_api_names_each_bad_filter(client, articles, name, value):
    response = client.get("/api/articles/", {name: value})

    assert response.status_code == 400
    assert name in response.json()["fields"]


@pytest.mark.parametrize("moment", [EARLIEST_WITH_OFFSET, LATEST_WITH_OFFSET, "2024-05-01T10:00:00", "10000-01-01"])
def test_api_refuses_a_cursor_holding_a_date_it_never_gave_out(client, articles, moment):
    response = client.get("/api/articles/", {"cursor": cursors.pack([moment, 1])})

    assert response.status_code == 400
    assert response.json()["error"].startswith("cursor:")


@pytest.mark.parametrize("url", ["/api/articles/", "/api/articles/item-1/", "/feeds/rss/", "/feeds/atom/",
                                 "/feeds/json/"])
def test_posting_to_a_public_url_is_405_not_a_csrf_page(articles, url):
    client = Client(enforce_csrf_checks=True)

    assert client.post(url, {"q": "x"}).status_code == 405
    assert client.put(url).status_code == 405


# the queue and the review page ---------------------------------------------------------------


@pytest.mark.parametrize("name, value", [pair for pair in BAD_FILTERS if "\x00" not in pair[1]] + QUEUE_ONLY)
def test_queue_shows_each_bad_filter_and_keeps_the_others(editor_client, articles, name, value):
    response = editor_client.get(reverse("articles:queue"), {name: value, "q": "needle"})

    assert response.status_code == 400
    assert name in response.context["form"].errors
    assert f"<li>{name}: " in response.content.decode()
    assert [article.title for article in response.context["page"].items] == ["A needle"]


def test_queue_shows_bad_values_beside_their_fields_and_keeps_the_other_filters(editor_client, articles):
    make_article(title="A needle in sport", category="sport", status=Article.Status.PUBLISHED)

    response = editor_client.get(
        reverse("articles:queue"), {"status": "bogus", "quality_min": "abc", "category": "sport", "q": "needle"}
    )

    assert response.status_code == 400
    html = response.content.decode()
    assert '<p class="field-error" id="id_status_error">Select a valid choice. bogus is not one of' in html
    assert '<p class="field-error" id="id_quality_min_error">Enter a whole number.</p>' in html
    assert 'name="category" value="sport"' in html and 'name="q" value="needle"' in html
    assert [article.title for article in response.context["page"].items] == ["A needle in sport"]


def test_queue_with_a_cursor_holding_an_edge_date_falls_back_to_its_page_number(editor_client, articles):
    after = cursors.pack([EARLIEST_WITH_OFFSET, articles["hay"].pk])

    response = editor_client.get(reverse("articles:queue"), {"after": after, "page": "2", "size": "1"})

    assert response.status_code == 200
    assert response.context["page"].number == 2


@pytest.mark.parametrize("name, value", [("published_after", EARLIEST_WITH_OFFSET), ("page", "x"), ("o", "nope")])
def test_review_page_shows_a_bad_queue_parameter(editor_client, articles, name, value):
    response = editor_client.get(reverse("articles:review", args=[articles["hay"].pk]), {name: value})

    assert response.status_code == 400
    html = response.content.decode()
    assert "Some hay" in html and f"<li>{name}: " in html


# the admin -----------------------------------------------------------------------------------


@pytest.mark.parametrize("query", [
    "provider_id=99999999999999999999999", "topic_id=99999999999999999999999", "provider_id=%C2%B2",
    "published_date_time__year=99999999999999999999999", "published_date_time__year=0",
    "published_date_time__year=2024&published_date_time__month=13", "published_date_time__month=5",
    "title__regex=(", "quality__gte=1", "reviewed_at__gte=0001-01-01T00:00:00%2B14:00",
])
def test_admin_refuses_a_lookup_it_cannot_use_with_its_error_page(staff, articles, query):
    response = staff.get(f"{reverse('admin:articles_article_changelist')}?{query}")

    assert response.status_code == 302 and response["Location"].endswith("?e=1")


@pytest.mark.parametrize("data", [
    {"action": "publish_selected", "_selected_action": ["abc"], "index": "0"},
    {"action": "publish_selected", "_selected_action": ["1", "99999999999999999999999"], "index": "0"},
    {"action": "publish_selected", "_selected_action": [""], "index": "0"},
])
def test_admin_list_refuses_posted_rows_that_are_no_ids(staff, articles, data):
    response = staff.post(reverse("admin:articles_article_changelist"), data, follow=True)

    assert response.status_code == 200
    assert "not an id; nothing was changed" in response.content.decode()
    assert not Article.objects.exclude(version=1).exists()


@pytest.mark.parametrize("row_id", ["99999999999999999999999", "²", "1"])
def test_admin_list_edits_no_rows_in_place_whatever_is_posted(staff, articles, row_id):
    data = {"form-TOTAL_FORMS": "1", "form-INITIAL_FORMS": "1", "_save": "Save", "form-0-id": row_id,
            "form-0-quality": "7"}

    response = staff.post(reverse("admin:articles_article_changelist"), data, follow=True)

    assert response.status_code == 200
    assert not Article.objects.exclude(version=1).exists()


def test_admin_history_link_of_an_article_still_filters_the_audit_trail(staff, articles):
    url = reverse("admin:articles_auditentry_changelist")

    assert staff.get(f"{url}?article__id__exact={articles['hay'].pk}").status_code == 200
    assert staff.get(f"{url}?article__id__exact=99999999999999999999999")["Location"].endswith("?e=1")


def test_admin_change_form_with_an_empty_to_field_is_the_form(staff, articles):
    response = staff.get(reverse("admin:articles_article_change", args=[articles["hay"].pk]) + "?_to_field=")

    assert response.status_code == 200


# NUL -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/api/articles/%00/", "/feeds/provider/%00/rss/", "/articles/%00/",
                                  "/admin/articles/article/%00/change/"])
def test_a_path_holding_nul_names_nothing(client, articles, path):
    assert client.get(path).status_code == 404


def test_api_names_a_parameter_holding_nul_in_json(client, articles):
    response = client.get("/api/articles/?q=%00&limit=5")

    assert response.status_code == 400
    assert response.json()["fields"] == {"q": ["Null characters are not allowed."]}


def test_admin_autocomplete_refuses_a_term_holding_nul(staff, articles):
    response = staff.get(
        "/admin/autocomplete/?term=%00&app_label=articles&model_name=article&field_name=provider"
    )

    assert response.status_code == 400
    assert "term" in response.content.decode()


def test_a_posted_field_holding_nul_is_refused_by_name(editor_client, articles):
    response = editor_client.post(reverse("articles:bulk"), {"action": "publish", "ids": "1\x00"})

    assert response.status_code == 400
    assert "ids" in response.content.decode()


def test_a_session_cookie_holding_nul_is_no_session(client, articles):
    client.cookies["sessionid"] = "\x00" * 32

    response = client.get(reverse("articles:queue"))

    assert response.status_code == 302  # to the login page


def test_dates_at_the_edges_are_accepted_when_they_are_in_range(client, articles, editor_client):
    articles["hay"].published_date_time = dt.datetime(1, 1, 1, tzinfo=dt.timezone.utc)
    articles["hay"].save()

    for value in ("0001-01-01T00:00:00Z", "0001-01-01", "9999-12-31T23:59:59+00:00", "9999-12-31T23:59:59-00:00"):
        assert client.get("/api/articles/", {"published_after": value}).status_code == 200
        assert editor_client.get(reverse("articles:queue"), {"published_after": value}).status_code == 200
    hay = client.get("/api/articles/", {"published_before": "0001-01-01T00:00:01Z"}).json()["results"]
    assert [item["title"] for item in hay] == ["Some hay"]


@pytest.mark.parametrize("name, data", [
    ("story-publish", {"seen": "1\x00:1"}), ("story-reject", {"seen": "1:1\x00"}),
    ("story-leave", {"version": "1\x00"}), ("story-join", {"version": "1", "other": "2\x00"}),
])
def test_a_story_action_posting_nul_is_refused_by_name(editor_client, articles, name, data):
    response = editor_client.post(reverse(f"articles:{name}", args=[articles["needle"].pk]), data)

    assert response.status_code == 400
    assert list(data)[-1] in response.content.decode()
