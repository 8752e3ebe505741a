"""Feeds deliver text: whatever a feed reader decodes and renders, titles, excerpts, topic and provider names come
out as the text they are, never as markup it would execute.

A reader is simulated with feedparser, its sanitiser off (a reader may not have one): a field it reports as
HTML is rendered (parsed as HTML: it must hold no element and read as the text), any other field is shown as is.
"""

from html.parser import HTMLParser

import feedparser
import pytest

from articles.models import Article
from articles.published import plain_text
from tests.builders import make_article, make_provider

pytestmark = pytest.mark.django_db

SCRIPT = "<script>alert(1)</script>"
IMG = "<img src=x onerror=alert(1)>"
ENCODED_IMG = "&lt;img src=x onerror=alert(1)&gt;"
DOUBLE_ENCODED = "&amp;lt;script&amp;gt;alert(1)&amp;lt;/script&amp;gt;"
TOPIC = '<script>alert("topic")</script>'
PROVIDER = "<img src=x onerror=alert('provider')> & Sons"

CASES = [  # (title, excerpt)
    (SCRIPT, ENCODED_IMG),
    (f"<b>Bold</b> {IMG}", DOUBLE_ENCODED),
    (ENCODED_IMG, f"<p>Fish &amp; chips</p>{SCRIPT}"),
    ("AT&T &amp; friends", "&#60;iframe src=javascript:alert(1)&#62;"),
]


class Rendered(HTMLParser):
    """What a browser would make of a string of HTML: its text, and any element in it."""

    def __init__(self, markup: str):
        super().__init__(convert_charrefs=True)
        self.text, self.elements = "", []
        self.feed(markup)
        self.close()

    def handle_starttag(self, tag, attrs):
        self.elements.append(tag)

    def handle_startendtag(self, tag, attrs):
        self.elements.append(tag)

    def handle_data(self, data):
        self.text += data

    def handle_comment(self, data):
        self.elements.append("<!-- -->")


def shown(detail) -> str:
    """The text a reader displays for a parsed text construct; fails when it would render an element."""
    if detail.type in ("text/html", "application/xhtml+xml"):
        rendered = Rendered(detail.value)
        assert rendered.elements == [], f"a reader renders {rendered.elements} from {detail.value!r}"
        return rendered.text
    return detail.value


def read(client, url: str):
    response = client.get(url)
    assert response.status_code == 200, url
    feed = feedparser.parse(response.content, sanitize_html=False)
    assert not feed.bozo, feed.get("bozo_exception")
    return feed


@pytest.fixture
def hostile(db) -> list[Article]:
    provider = make_provider("hostile.example", PROVIDER)
    return [
        make_article(title=title, excerpt=excerpt, provider=provider, topics=[TOPIC], status=Article.Status.PUBLISHED)
        for title, excerpt in CASES
    ]


@pytest.mark.parametrize("fmt", ["rss", "atom"])
def test_titles_and_excerpts_reach_a_reader_as_text(client, hostile, fmt):
    feed = read(client, f"/feeds/{fmt}/")

    by_title = {shown(entry.title_detail): entry for entry in feed.entries}
    assert set(by_title) == {title for title, _ in CASES}
    for title, excerpt in CASES:
        entry = by_title[title]
        assert shown(entry.summary_detail) == plain_text(excerpt)


@pytest.mark.parametrize("fmt", ["rss", "atom"])
def test_the_excerpt_a_reader_shows_is_what_the_review_page_shows(client, hostile, fmt):
    texts = {shown(entry.summary_detail) for entry in read(client, f"/feeds/{fmt}/").entries}

    assert IMG in texts  # `&lt;img …&gt;` is the text "<img …>", not an image
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in texts  # double-encoded: decoded once, like the review page


@pytest.mark.parametrize("fmt", ["rss", "atom"])
@pytest.mark.parametrize(
    "scope, name", [("topic/scriptalerttopicscript/", TOPIC), ("provider/hostile.example/", PROVIDER)]
)
def test_topic_and_provider_feed_titles_are_text(client, hostile, fmt, scope, name):
    feed = read(client, f"/feeds/{scope}{fmt}/")

    assert shown(feed.feed.title_detail) == f"Newsroom: {name}"
    assert shown(feed.feed.subtitle_detail).endswith(f" — {name}")
    assert len(feed.entries) == len(CASES)


@pytest.mark.parametrize("fmt", ["rss", "atom"])
def test_provider_and_topic_names_on_entries_are_text(client, hostile, fmt):
    entry = read(client, f"/feeds/{fmt}/").entries[0]

    assert entry.author == PROVIDER
    assert [tag.term for tag in entry.tags] == [TOPIC]


def test_atom_declares_its_summaries_and_titles_text(client, hostile):
    content = client.get("/feeds/atom/").content.decode()

    assert '<summary type="text">' in content and 'type="html"' not in content
    assert {entry.summary_detail.type for entry in read(client, "/feeds/atom/").entries} == {"text/plain"}
    assert {entry.title_detail.type for entry in read(client, "/feeds/atom/").entries} == {"text/plain"}


def test_json_feed_carries_plain_text_only(client, hostile):
    feed = client.get("/feeds/topic/scriptalerttopicscript/json/").json()

    assert feed["title"] == f"Newsroom: {TOPIC}"
    by_title = {item["title"]: item for item in feed["items"]}
    assert set(by_title) == {title for title, _ in CASES}
    for title, excerpt in CASES:
        item = by_title[title]
        assert "content_html" not in item
        assert item["content_text"] == item["summary"] == plain_text(excerpt)
        assert item["authors"][0]["name"] == PROVIDER and item["tags"] == [TOPIC]


def test_the_reader_simulation_catches_live_markup():
    live = feedparser.parse(
        b'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title><link>http://x/</link><description>d'
        b"</description><item><title>i</title><description>&lt;img src=x onerror=alert(1)&gt;</description>"
        b"</item></channel></rss>",
        sanitize_html=False,
    )
    with pytest.raises(AssertionError):
        shown(live.entries[0].summary_detail)
