"""Public feeds: RSS 2.0 and Atom parse as well-formed feeds, JSON Feed 1.1 has its required fields."""

import json
import xml.etree.ElementTree as ET

import feedparser
import pytest

from articles.feeds import FEED_LIMIT
from articles.models import Article
from tests.builders import make_published_article

pytestmark = pytest.mark.django_db

ATOM = "{http://www.w3.org/2005/Atom}"


@pytest.fixture
def articles(db):
    make_published_article("oldest", hours=1, topics=("Boats", "Harbours"), excerpt="Fish &#038; chips&nbsp;<b>today</b>")
    make_published_article("newest", hours=3, topics=("Boats",), image="https://img.example/pic.png?size=2")
    make_published_article("middle", hours=2, topics=("Trains",), provider=("Other Wire", "other.example"), image=None,
                 web_url="", original_url="https://youtube.com/watch?v=abc")
    make_published_article("draft", hours=4, topics=("Boats",), status=Article.Status.AWAITING_REVIEW)


def fetch(client, url: str):
    response = client.get(url)
    assert response.status_code == 200, url
    return response


def test_rss_is_well_formed_rss_2_newest_first(client, articles):
    response = fetch(client, "/feeds/rss/")
    assert response.headers["Content-Type"].startswith("application/rss+xml")

    channel = ET.fromstring(response.content).find("channel")
    assert [item.findtext("title") for item in channel.iter("item")] == [
        "Title of newest", "Title of middle", "Title of oldest"
    ]
    feed = feedparser.parse(response.content)
    assert not feed.bozo, feed.get("bozo_exception")
    assert feed.version == "rss20"
    newest, middle, oldest = feed.entries
    assert newest.link == "https://news.example/newest"
    assert middle.link == "https://youtube.com/watch?v=abc"
    assert oldest.summary == "Fish &amp; chips\xa0today"  # RSS descriptions are HTML: a reader shows "Fish & chips"
    assert oldest.author == "Example News"
    assert [tag.term for tag in oldest.tags] == ["Boats", "Harbours"]
    assert oldest.enclosures[0].href == "https://img.example/oldest.jpg"
    assert oldest.enclosures[0].type == "image/jpeg" and oldest.enclosures[0].length == "0"
    assert newest.enclosures[0].type == "image/png"
    assert "enclosures" not in middle or not middle.enclosures
    assert len({entry.id for entry in feed.entries}) == 3


def test_atom_is_well_formed_atom_1_newest_first(client, articles):
    response = fetch(client, "/feeds/atom/")
    assert response.headers["Content-Type"].startswith("application/atom+xml")

    root = ET.fromstring(response.content)
    assert root.tag == f"{ATOM}feed"
    assert [entry.findtext(f"{ATOM}title") for entry in root.iter(f"{ATOM}entry")] == [
        "Title of newest", "Title of middle", "Title of oldest"
    ]
    assert all(entry.find(f"{ATOM}updated") is not None for entry in root.iter(f"{ATOM}entry"))
    feed = feedparser.parse(response.content)
    assert not feed.bozo, feed.get("bozo_exception")
    assert feed.version == "atom10"
    oldest = feed.entries[-1]
    assert oldest.summary == "Fish & chips\xa0today"
    assert oldest.author == "Example News"
    assert [tag.term for tag in oldest.tags] == ["Boats", "Harbours"]
    assert [link.href for link in oldest.links if link.rel == "enclosure"] == ["https://img.example/oldest.jpg"]
    assert oldest.published_parsed[:4] == (2024, 1, 1, 1)
    assert len({entry.id for entry in feed.entries}) == 3


def test_json_feed_has_the_required_fields(client, articles):
    response = fetch(client, "/feeds/json/")
    assert response.headers["Content-Type"].startswith("application/feed+json")

    feed = json.loads(response.content)
    assert feed["version"] == "https://jsonfeed.org/version/1.1"
    assert feed["title"] and feed["home_page_url"].startswith("http://testserver/")
    assert feed["feed_url"] == "http://testserver/feeds/json/"
    assert [item["title"] for item in feed["items"]] == ["Title of newest", "Title of middle", "Title of oldest"]
    for item in feed["items"]:
        assert item["id"] and item["url"].startswith("https://")
        assert "content_text" in item or "content_html" in item
    oldest = feed["items"][-1]
    assert oldest["content_text"] == oldest["summary"] == "Fish & chips\xa0today"
    assert oldest["date_published"] == "2024-01-01T01:00:00+00:00"
    assert oldest["authors"] == [{"name": "Example News", "url": "https://news.example"}]
    assert oldest["tags"] == ["Boats", "Harbours"]
    assert oldest["image"] == "https://img.example/oldest.jpg"
    assert oldest["attachments"] == [{"url": "https://img.example/oldest.jpg", "mime_type": "image/jpeg"}]
    assert "image" not in feed["items"][1]


def test_undated_items_come_last(client, articles):
    make_published_article("undated", hours=None)
    rss = feedparser.parse(fetch(client, "/feeds/rss/").content)
    assert not rss.bozo and rss.entries[-1].title == "Title of undated" and "published" not in rss.entries[-1]
    atom = ET.fromstring(fetch(client, "/feeds/atom/").content)
    assert [entry.find(f"{ATOM}updated") is not None for entry in atom.iter(f"{ATOM}entry")] == [True] * 4
    item = fetch(client, "/feeds/json/").json()["items"][-1]
    assert item["title"] == "Title of undated" and "date_published" not in item and item["date_modified"]


@pytest.mark.parametrize("fmt", ["rss", "atom", "json"])
@pytest.mark.parametrize(
    "scope, expected",
    [("topic/boats/", ["Title of newest", "Title of oldest"]), ("provider/other.example/", ["Title of middle"])],
)
def test_topic_and_provider_feeds_carry_only_their_items(client, articles, fmt, scope, expected):
    feed = feedparser.parse(fetch(client, f"/feeds/{scope}{fmt}/").content) if fmt != "json" else None
    if feed is not None:
        assert not feed.bozo
        titles = [entry.title for entry in feed.entries]
    else:
        titles = [item["title"] for item in fetch(client, f"/feeds/{scope}json/").json()["items"]]
    assert titles == expected


@pytest.mark.parametrize(
    "url",
    [
        "/feeds/topic/no-such-topic/rss/",
        "/feeds/provider/nowhere.example/atom/",
        "/feeds/topic/secret/json/",  # only an unpublished article carries it
    ],
)
def test_unknown_topic_or_provider_is_404(client, articles, url):
    make_published_article("hidden", topics=("Secret",), status=Article.Status.REJECTED)
    assert client.get(url).status_code == 404


def test_feed_is_limited_to_the_latest_items(client):
    for index in range(FEED_LIMIT + 3):
        make_published_article(f"item-{index:02d}", hours=index, topics=(), image=None)
    titles = [entry.title for entry in feedparser.parse(fetch(client, "/feeds/rss/").content).entries]
    assert len(titles) == FEED_LIMIT
    assert titles[0] == f"Title of item-{FEED_LIMIT + 2:02d}"


@pytest.mark.parametrize("url, queries", [("/feeds/rss/", 4), ("/feeds/topic/boats/atom/", 5)])
def test_feed_queries_do_not_grow_with_items(client, articles, django_assert_num_queries, url, queries):
    for index in range(10):
        make_published_article(f"extra-{index}", hours=10 + index, topics=("Boats", "Extra"))
    with django_assert_num_queries(queries):  # (scope lookup,) dated articles, undated ones, topics, images
        fetch(client, url)


def test_imported_markup_and_control_characters_stay_inert_text(client):
    make_published_article("hostile", title="<script>alert(1)</script>\x0b title", excerpt="<img src=x onerror=alert(1)>&lt;b&gt;")
    for fmt in ("rss", "atom"):
        content = fetch(client, f"/feeds/{fmt}/").content
        ET.fromstring(content)
        assert b"<script>" not in content and b"<img" not in content
        entry = feedparser.parse(content).entries[0]
        assert "alert(1)" in entry.title
    item = fetch(client, "/feeds/json/").json()["items"][0]
    assert item["content_text"] == "<b>"


@pytest.mark.parametrize("url", ["/feeds/rss/", "/feeds/atom/", "/feeds/topic/boats/rss/"])
def test_the_home_link_is_the_site_root_by_default(client, articles, url):
    feed = feedparser.parse(fetch(client, url).content)

    assert feed.feed.link == "http://testserver/"
    assert json.loads(fetch(client, "/feeds/json/").content)["home_page_url"] == "http://testserver/"


def test_the_home_link_is_the_public_site_when_configured(client, articles, settings):
    settings.PUBLIC_SITE_URL = "https://news.example.org/"

    rss = feedparser.parse(fetch(client, "/feeds/rss/").content)
    json_feed = json.loads(fetch(client, "/feeds/json/").content)

    assert rss.feed.link == json_feed["home_page_url"] == "https://news.example.org/"
