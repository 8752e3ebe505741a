"""Every page works with any date a DateTimeField can hold, in any time zone.

Two articles sit at the edges of the calendar (0001-01-01 00:00 and 9999-12-31 23:59:59 UTC), with related items
dated the same: 9999-12-31 23:59 UTC is already the year 10000 east of Greenwich, 0001-01-01 00:00 UTC the year 0
west of it. The admin's list, its date drill-down at every level, the change form, the queue and its pager, the
review page, the dashboard, the feeds and the API all answer, and show them.
"""

import datetime as dt

import feedparser
import pytest
from django.urls import reverse

from articles.models import Article, ImportRun, RelatedArticle
from tests.builders import make_article

pytestmark = pytest.mark.django_db

UTC = dt.timezone.utc
FIRST = dt.datetime(1, 1, 1, tzinfo=UTC)
LAST = dt.datetime(9999, 12, 31, 23, 59, 59, tzinfo=UTC)
ZONES = ["UTC", "Etc/GMT-14", "Etc/GMT+12", "Pacific/Kiritimati", "America/Los_Angeles"]
CHANGELIST = reverse("admin:articles_article_changelist")


@pytest.fixture(params=ZONES)
def zone(request, settings):
    settings.TIME_ZONE = request.param
    return request.param


@pytest.fixture
def edge_articles(db) -> dict[str, Article]:
    articles = {}
    for name, moment in (("first", FIRST), ("last", LAST)):
        article = make_article(
            title=f"Dated {name}", published_date_time=moment, status=Article.Status.PUBLISHED, topics=["Edges"],
        )
        RelatedArticle.objects.create(article=article, position=0, title=f"Related {name}", published_date_time=moment)
        articles[name] = article
    make_article(title="Dated today", status=Article.Status.PUBLISHED, topics=["Edges"])
    return articles


def html(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return response.content.decode()


def drill_down(**parts) -> str:
    return CHANGELIST + "?" + "&".join(f"published_date_time__{name}={value}" for name, value in parts.items())


def test_admin_changelist_lists_both_edges_and_offers_their_years(staff_editor_client, edge_articles, zone):
    page = html(staff_editor_client, CHANGELIST)

    assert "Dated first" in page and "Dated last" in page
    assert 'href="?published_date_time__year=1"' in page and 'href="?published_date_time__year=9999"' in page


@pytest.mark.parametrize(
    "parts, title",
    [
        ({"year": 9999}, "Dated last"),
        ({"year": 9999, "month": 12}, "Dated last"),
        ({"year": 9999, "month": 12, "day": 31}, "Dated last"),
        ({"year": 1}, "Dated first"),
        ({"year": 1, "month": 1}, "Dated first"),
        ({"year": 1, "month": 1, "day": 1}, "Dated first"),
    ],
)
def test_admin_drill_down_reaches_each_edge_at_every_level(staff_editor_client, edge_articles, zone, parts, title):
    page = html(staff_editor_client, drill_down(**parts))

    assert title in page
    assert "Dated today" not in page


def test_admin_drill_down_shows_the_edge_months_and_days(staff_editor_client, edge_articles, zone):
    assert "published_date_time__month=12&amp;published_date_time__year=9999" in html(staff_editor_client, drill_down(year=9999))
    assert "published_date_time__day=31&amp;published_date_time__month=12&amp;published_date_time__year=9999" in html(
        staff_editor_client, drill_down(year=9999, month=12)
    )
    assert "published_date_time__day=1&amp;published_date_time__month=1&amp;published_date_time__year=1" in html(
        staff_editor_client, drill_down(year=1, month=1)
    )


def test_admin_change_forms_show_the_edge_dates(staff_editor_client, edge_articles, zone):
    for article in edge_articles.values():
        page = html(staff_editor_client, reverse("admin:articles_article_change", args=[article.pk]))
        assert article.title in page and "Related" in page


def test_import_runs_drill_down_to_the_edge_years(staff_editor_client, zone):
    ImportRun.objects.create(status="finished")
    url = reverse("admin:articles_importrun_changelist")

    for query in ("", "?started_at__year=9999", "?started_at__year=9999&started_at__month=12&started_at__day=31",
                  "?started_at__year=1&started_at__month=1&started_at__day=1"):
        html(staff_editor_client, url + query)


def test_queue_and_its_pager_show_both_edges(editor_client, edge_articles, zone):
    queue = reverse("articles:queue")
    for order in ("", "published", "-published"):
        page = html(editor_client, queue + (f"?o={order}" if order else ""))
        assert "Dated first" in page and "Dated last" in page
    first_page = editor_client.get(queue, {"size": 1})
    following = first_page.context["page"].next_cursor
    assert following
    assert editor_client.get(queue, {"size": 1, "page": 2, "after": following}).status_code == 200


def test_review_pages_show_the_edge_dates(editor_client, edge_articles, zone):
    for article in edge_articles.values():
        page = html(editor_client, reverse("articles:review", args=[article.pk]) + "?o=published")
        assert article.title in page and f"{article.published_date_time:%Y}" in page


def test_dashboard_answers(editor_client, edge_articles, zone):
    html(editor_client, reverse("articles:dashboard"))


@pytest.mark.parametrize("fmt", ["rss", "atom", "json"])
def test_feeds_carry_the_edge_dates(client, edge_articles, zone, fmt):
    for url in (f"/feeds/{fmt}/", f"/feeds/topic/edges/{fmt}/"):
        content = html(client, url)
        if fmt == "json":
            assert "9999-12-31T23:59:59+00:00" in content and "0001-01-01T00:00:00+00:00" in content
        else:
            assert len(feedparser.parse(content).entries) == 3


def test_api_lists_and_pages_through_the_edges(client, edge_articles, zone):
    seen, url = [], "/api/articles/?limit=1"
    while url:
        response = client.get(url)
        assert response.status_code == 200, url
        seen += [item["publishedDateTime"] for item in response.json()["results"]]
        url = response.json()["next"]

    assert seen[0] == "9999-12-31T23:59:59Z" and seen[-1] == "0001-01-01T00:00:00Z" and len(seen) == 3
    for article in edge_articles.values():
        assert client.get(reverse("public:api-article", args=[article.source_key])).status_code == 200
