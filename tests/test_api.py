"""The public JSON API: published items only, the queue's filters, cursor pagination, conditional requests, no leaks."""

import datetime as dt
import json
from urllib.parse import urlsplit

import pytest
from django.utils.http import http_date

from articles.api import DEFAULT_LIMIT, MAX_LIMIT
from articles.models import Article, AuditEntry, RelatedArticle
from tests.builders import START, make_published_article

pytestmark = pytest.mark.django_db

EDITORIAL_KEYS = {
    "status", "reviewed_by", "reviewed_at", "published_by", "published_at", "editor_fields", "version", "audit",
    "audit_entries", "secured", "changed_since_review", "is_possible_duplicate", "extra_yaml", "content_hash",
}


def get_json(client, url: str, **headers):
    response = client.get(url, headers=headers)
    assert response.status_code == 200, response.content
    return response.json()


def keys_of(results: list[dict]) -> list[str]:
    return [item["key"] for item in results]


# --- the list ----------------------------------------------------------------------------


def test_list_has_published_items_only_newest_first(client):
    make_published_article("old", hours=1)
    make_published_article("new", hours=3)
    make_published_article("middle", hours=2)
    make_published_article("waiting", hours=4, status=Article.Status.AWAITING_REVIEW)
    make_published_article("rejected", hours=5, status=Article.Status.REJECTED)

    data = get_json(client, "/api/articles/")

    assert keys_of(data["results"]) == ["new", "middle", "old"]
    assert data["next"] is None
    first = data["results"][0]
    assert first["url"] == "https://news.example/new"
    assert first["publishedDateTime"] == "2024-01-01T03:00:00Z"
    assert first["provider"] == {"key": "news.example", "name": "Example News", "domain": "news.example"}
    assert first["topics"] == [{"name": "Testing", "slug": "testing"}]
    assert first["images"][0]["url"] == "https://img.example/new.jpg"
    assert not EDITORIAL_KEYS & set(first)


def test_excerpt_is_plain_text_with_entities_decoded(client):
    make_published_article("entities", excerpt="Fish &#038; chips&nbsp;<b>today</b>")
    assert get_json(client, "/api/articles/")["results"][0]["excerpt"] == "Fish & chips\xa0today"


@pytest.mark.parametrize(
    "query, expected",
    [
        ("q=harbour", ["harbour"]),
        ("q=Other+Wire", ["other-provider"]),
        ("category=sport", ["sport"]),
        ("type=video", ["video"]),
        ("provider=other.example", ["other-provider"]),
        ("topic=boats", ["harbour"]),
        ("quality_min=80", ["video", "sport"]),
        ("quality_min=80&quality_max=85", ["sport"]),
        ("heat_min=100&heat_max=100", ["video"]),
        ("published_after=2024-01-01T02:00:00Z", ["video", "sport"]),
        ("published_before=2024-01-01T02:00:00Z", ["harbour", "other-provider"]),
        ("status=awaiting", ["video", "sport", "harbour", "other-provider"]),  # not a public filter
        ("duplicates=true", ["video", "sport", "harbour", "other-provider"]),
    ],
)
def test_filters_are_the_queues(client, query, expected):
    make_published_article("other-provider", hours=0, provider=("Other Wire", "other.example"))
    make_published_article("harbour", hours=1, title="The harbour reopens", topics=("Boats", "Testing"))
    make_published_article("sport", hours=2, category="sport", quality=82)
    make_published_article("video", hours=3, type="video", quality=90, heat=100)
    make_published_article("hidden", hours=4, status=Article.Status.AWAITING_REVIEW, type="video", quality=99, title="harbour")

    assert keys_of(get_json(client, f"/api/articles/?{query}")["results"]) == expected


@pytest.mark.parametrize(
    "query, message", [("quality_min=high", "invalid filter"), ("limit=0", "limit"), ("limit=-1", "limit"),
                       ("limit=ten", "limit"), ("cursor=not-a-cursor", "cursor"), ("cursor=WzEsMl0", "cursor")],
)
def test_bad_parameters_are_400(client, query, message):
    make_published_article("one")
    response = client.get(f"/api/articles/?{query}")
    assert response.status_code == 400
    assert message in response.json()["error"]


# --- pagination ---------------------------------------------------------------------------


@pytest.fixture
def many(db) -> list[str]:
    """23 published items, newest first: ties on the date, and two undated ones at the end."""
    hours = [index // 3 for index in range(21)]  # three items share each timestamp
    for index, hour in enumerate(hours):
        make_published_article(f"item-{index:02d}", hours=hour, image=None, topics=())
    make_published_article("undated-a", hours=None, image=None, topics=())
    make_published_article("undated-b", hours=None, image=None, topics=())
    make_published_article("unpublished", hours=5, status=Article.Status.AWAITING_REVIEW)
    ordered = sorted(Article.objects.published().exclude(published_date_time=None), key=lambda a: (a.published_date_time, a.pk),
                     reverse=True)
    undated = sorted(Article.objects.published().filter(published_date_time=None), key=lambda a: a.pk, reverse=True)
    return [article.source_key for article in ordered + undated]


def test_cursor_pagination_walks_every_item_once_in_order(client, many):
    seen, url, pages = [], "/api/articles/?limit=5", 0
    while url:
        data = get_json(client, url)
        seen += keys_of(data["results"])
        url, pages = data["next"], pages + 1
        assert url is None or "cursor=" in url and "limit=5" in url

    assert seen == many
    assert pages == 5


def test_limit_is_capped(client):
    for index in range(MAX_LIMIT + 2):
        make_published_article(f"item-{index:03d}", hours=index, image=None, topics=())
    data = get_json(client, "/api/articles/?limit=5000")
    assert len(data["results"]) == MAX_LIMIT and "limit=5000" in data["next"]
    assert len(get_json(client, "/api/articles/")["results"]) == DEFAULT_LIMIT


def test_cursor_keeps_the_filters(client, many):
    make_published_article("video-1", hours=30, type="video")
    make_published_article("video-2", hours=31, type="video")
    first = get_json(client, "/api/articles/?type=video&limit=1")
    second = get_json(client, first["next"])
    assert keys_of(first["results"]) == ["video-2"] and keys_of(second["results"]) == ["video-1"]
    assert second["next"] is None


def test_a_deep_page_costs_what_the_first_page_costs(client, many, django_assert_num_queries):
    deep = get_json(client, "/api/articles/?limit=2")
    for _ in range(4):
        deep = get_json(client, urlsplit(deep["next"]).path + "?" + urlsplit(deep["next"]).query)
    path = urlsplit(deep["next"])
    with django_assert_num_queries(3):  # the page, its topics, its images
        client.get("/api/articles/?limit=2")
    with django_assert_num_queries(3) as queries:
        client.get(f"{path.path}?{path.query}")
    assert "OFFSET" not in queries.captured_queries[0]["sql"].upper()


# --- conditional requests --------------------------------------------------------------------


@pytest.mark.parametrize("url", ["/api/articles/", "/api/articles/one/"])
def test_if_none_match_gives_304_until_the_data_changes(client, url):
    article = make_published_article("one")
    first = client.get(url)
    etag = first.headers["ETag"]

    again = client.get(url, headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.headers["ETag"] == etag and again.content == b""

    Article.objects.filter(pk=article.pk).update(excerpt="Changed", version=article.version + 1)
    changed = client.get(url, headers={"If-None-Match": etag})
    assert changed.status_code == 200 and changed.headers["ETag"] != etag


@pytest.mark.parametrize("url", ["/api/articles/", "/api/articles/one/"])
def test_if_modified_since_gives_304_until_the_data_changes(client, url):
    article = make_published_article("one")
    last_modified = client.get(url).headers["Last-Modified"]

    assert client.get(url, headers={"If-Modified-Since": last_modified}).status_code == 304

    later = article.updated_at + dt.timedelta(minutes=5)
    Article.objects.filter(pk=article.pk).update(updated_at=later)
    response = client.get(url, headers={"If-Modified-Since": last_modified})
    assert response.status_code == 200 and response.headers["Last-Modified"] == http_date(later.timestamp())


def test_different_queries_have_different_etags(client):
    make_published_article("one")
    assert client.get("/api/articles/").headers["ETag"] != client.get("/api/articles/?q=one").headers["ETag"]


def test_a_304_reads_only_the_page(client, django_assert_num_queries):
    for hours in range(3):
        make_published_article(f"item-{hours}", hours=hours)
    etag = client.get("/api/articles/?limit=2").headers["ETag"]
    with django_assert_num_queries(1):
        assert client.get("/api/articles/?limit=2", headers={"If-None-Match": etag}).status_code == 304


# --- detail ------------------------------------------------------------------------------------


def test_detail_by_key(client):
    article = make_published_article("story", body="# Body\n")
    RelatedArticle.objects.create(
        article=article, position=0, title="Related", excerpt="A &amp; B", web_url="https://other.example/r",
        published_date_time=START, provider={"name": "Other", "domain": "other.example", "secret": "x"},
    )

    data = get_json(client, "/api/articles/story/")

    assert data["key"] == "story" and data["title"] == "Title of story" and data["body"] == "# Body\n"
    assert data["related"] == [{
        "title": "Related", "excerpt": "A & B", "publishedDateTime": "2024-01-01T00:00:00Z",
        "webUrl": "https://other.example/r", "type": None, "provider": {"name": "Other", "domain": "other.example"},
    }]
    assert data["apiUrl"] == "http://testserver/api/articles/story/"


@pytest.mark.parametrize("status", [Article.Status.AWAITING_REVIEW, Article.Status.REJECTED])
def test_detail_of_an_unpublished_article_is_404(client, status):
    make_published_article("draft", status=status)
    assert client.get("/api/articles/draft/").status_code == 404
    assert client.get("/api/articles/missing/").status_code == 404


@pytest.mark.parametrize("url", ["/api/articles/", "/api/articles/one/", "/feeds/rss/", "/feeds/json/"])
def test_public_endpoints_are_read_only_and_need_no_login(client, url):
    make_published_article("one")
    assert client.get(url).status_code == 200
    assert client.head(url).status_code == 200
    for method in ("post", "put", "patch", "delete"):
        assert getattr(client, method)(url).status_code == 405


# --- nothing leaks -------------------------------------------------------------------------------


def walk_keys(value) -> set[str]:
    if isinstance(value, dict):
        return set(value) | set().union(*(walk_keys(v) for v in value.values()))
    if isinstance(value, list):
        return set().union(*(walk_keys(v) for v in value)) if value else set()
    return set()


def test_nothing_unpublished_no_editorial_data_and_no_secured_value_leaks(client, editor):
    visible = make_published_article("visible", topics=("Shared",), reviewed_by=editor, published_by=editor,
                           editor_fields=["excerpt"], version=7)
    AuditEntry.objects.create(article=visible, user=editor, source="dashboard", action="edit", field="excerpt",
                              old_value="AUDIT-OLD-VALUE", new_value="x")
    make_published_article("draft", status=Article.Status.AWAITING_REVIEW, title="UNPUBLISHED DRAFT TITLE", topics=("Shared", "Secret Topic"),
                 provider=("Hidden Wire", "hidden.example"))
    make_published_article("rejected", status=Article.Status.REJECTED, title="REJECTED ITEM TITLE", topics=("Shared",))
    urls = ["/api/articles/", "/api/articles/?limit=100&q=TITLE", "/api/articles/visible/"] + [
        f"/feeds/{scope}{fmt}/" for fmt in ("rss", "atom", "json") for scope in ("", "topic/shared/", "provider/news.example/")
    ]
    forbidden = ["SECURED-", "UNPUBLISHED DRAFT TITLE", "REJECTED ITEM TITLE", "AUDIT-OLD-VALUE", "editor", "Hidden Wire"]

    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, url
        body = response.content.decode("utf-8")
        assert "Title of visible" in body, url
        for text in forbidden:
            assert text not in body, f"{text!r} leaks through {url}"
        if response.headers["Content-Type"].startswith("application/json"):
            assert not EDITORIAL_KEYS & walk_keys(json.loads(body)), url

    for url in ("/api/articles/draft/", "/api/articles/rejected/", "/feeds/topic/secret-topic/rss/",
                "/feeds/provider/hidden.example/json/"):
        assert client.get(url).status_code == 404, url
