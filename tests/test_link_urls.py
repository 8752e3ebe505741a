"""Site-relative and protocol-relative image, logo and related URLs: shown resolved wherever they are rendered.

Every page, feed and API response hands out what `urlnorm.link_url` makes of a stored URL: a site-relative path
resolved against SOURCE_SITE_URL (nothing without it), a protocol-relative one with https (or the scheme of
SOURCE_SITE_URL), never a `javascript:` or `data:` one, and never the stored value itself when it is not absolute.
"""

from html.parser import HTMLParser

import feedparser
import pytest
from django.urls import reverse

from articles.models import Article, ArticleImage, RelatedArticle
from articles.urlnorm import link_url
from tests.builders import make_article, make_provider

pytestmark = pytest.mark.django_db

SOURCE = "https://source.example"
SITE_RELATIVE = "/assets/photo.jpg"
PROTOCOL_RELATIVE = "//cdn.example/photo.jpg"
LOGO = "/assets/logo.png"
RELATED_IMAGE = "//cdn.example/related.jpg"
RELATED_LINK = "/news/related-story"
UNSAFE = ("javascript:alert(1)", "data:image/svg+xml;base64,PHN2Zz4=", "JaVaScRiPt:alert(2)")

SITE_RELATIVE_RESOLVED = f"{SOURCE}{SITE_RELATIVE}"
PROTOCOL_RELATIVE_RESOLVED = "https://cdn.example/photo.jpg"
LOGO_RESOLVED = f"{SOURCE}{LOGO}"
RELATED_IMAGE_RESOLVED = "https://cdn.example/related.jpg"
RELATED_LINK_RESOLVED = f"{SOURCE}{RELATED_LINK}"


class Attributes(HTMLParser):
    """Every `src` of an <img> and `href` of an <a>, as a browser reads them."""

    def __init__(self, html: str):
        super().__init__(convert_charrefs=True)
        self.html, self.sources, self.links = html, [], []
        self.feed(html)
        self.close()

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "img" and not (attributes.get("src") or "").startswith("/static/"):
            self.sources.append(attributes.get("src") or "")
        if tag == "a":
            self.links.append(attributes.get("href") or "")


def assert_only_absolute(urls: list[str]) -> None:
    for url in urls:
        assert url.startswith(("https://", "http://")), url
        assert not url.lower().startswith(("javascript:", "data:")), url


@pytest.fixture
def article(db) -> Article:
    """A published article whose first image is site-relative, then protocol-relative, then unsafe ones."""
    provider = make_provider("source.example", "Source", logo=LOGO)
    article = make_article(images=0, provider=provider, status=Article.Status.PUBLISHED, title="Relative story")
    for position, url in enumerate((SITE_RELATIVE, PROTOCOL_RELATIVE, *UNSAFE)):
        ArticleImage.objects.create(article=article, position=position, url=url)
    RelatedArticle.objects.create(
        article=article, position=0, title="Related one", web_url=RELATED_LINK,
        images=[{"url": UNSAFE[0]}, {"url": RELATED_IMAGE}], provider={"name": "Other"},
    )
    return article


@pytest.fixture
def protocol_relative_first(db) -> Article:
    article = make_article(images=0, status=Article.Status.PUBLISHED, title="Protocol-relative story")
    ArticleImage.objects.create(article=article, position=0, url=PROTOCOL_RELATIVE)
    return article


@pytest.fixture
def unsafe_first(db) -> Article:
    article = make_article(images=0, status=Article.Status.PUBLISHED, title="Unsafe story")
    ArticleImage.objects.create(article=article, position=0, url=UNSAFE[0])
    return article


@pytest.fixture
def source_site(settings):
    settings.SOURCE_SITE_URL = SOURCE


@pytest.fixture
def no_source_site(settings):
    settings.SOURCE_SITE_URL = ""


def page(client, url: str) -> Attributes:
    response = client.get(url)
    assert response.status_code == 200, url
    html = response.content.decode()
    for unsafe in UNSAFE:
        assert f'src="{unsafe}' not in html and f'href="{unsafe}' not in html
    return Attributes(html)


# the link_url rule itself ------------------------------------------------------------------


def test_link_url_resolves_relative_urls_against_the_source_site(source_site):
    assert link_url(SITE_RELATIVE) == SITE_RELATIVE_RESOLVED
    assert link_url(PROTOCOL_RELATIVE) == PROTOCOL_RELATIVE_RESOLVED
    assert all(link_url(url) == "" for url in UNSAFE)


def test_protocol_relative_urls_take_the_source_sites_scheme(settings):
    settings.SOURCE_SITE_URL = "http://source.example"

    assert link_url(PROTOCOL_RELATIVE) == "http://cdn.example/photo.jpg"


def test_without_a_source_site_only_protocol_relative_urls_resolve(no_source_site):
    assert link_url(SITE_RELATIVE) == ""
    assert link_url(PROTOCOL_RELATIVE) == PROTOCOL_RELATIVE_RESOLVED


# the queue -----------------------------------------------------------------------------------


def test_queue_thumbnails_are_resolved_against_the_source_site(
    editor_client, article, protocol_relative_first, unsafe_first, source_site
):
    sources = page(editor_client, reverse("articles:queue")).sources

    assert sorted(sources) == sorted([SITE_RELATIVE_RESOLVED, PROTOCOL_RELATIVE_RESOLVED])


def test_queue_shows_no_thumbnail_for_a_site_relative_url_without_a_source_site(
    editor_client, article, protocol_relative_first, unsafe_first, no_source_site
):
    sources = page(editor_client, reverse("articles:queue")).sources

    assert sources == [PROTOCOL_RELATIVE_RESOLVED]


# the review page -------------------------------------------------------------------------------


def test_review_page_shows_resolved_images_logo_and_related_items(editor_client, article, source_site):
    attributes = page(editor_client, reverse("articles:review", args=[article.pk]))

    assert_only_absolute(attributes.sources)
    assert LOGO_RESOLVED in attributes.sources
    assert SITE_RELATIVE_RESOLVED in attributes.sources and PROTOCOL_RELATIVE_RESOLVED in attributes.sources
    assert RELATED_IMAGE_RESOLVED in attributes.sources
    assert RELATED_LINK_RESOLVED in attributes.links
    assert SITE_RELATIVE not in attributes.links and RELATED_LINK not in attributes.links


def test_review_page_without_a_source_site_shows_no_site_relative_image(editor_client, article, no_source_site):
    attributes = page(editor_client, reverse("articles:review", args=[article.pk]))

    assert_only_absolute(attributes.sources)
    assert sorted(attributes.sources) == sorted([PROTOCOL_RELATIVE_RESOLVED, RELATED_IMAGE_RESOLVED])
    assert RELATED_LINK not in attributes.links
    assert f"<code>{SITE_RELATIVE}</code>" in attributes.html  # said, as text


# the admin -------------------------------------------------------------------------------------


def test_admin_change_form_shows_resolved_images_and_related_links(staff_editor_client, article, source_site):
    attributes = page(staff_editor_client, reverse("admin:articles_article_change", args=[article.pk]))

    assert_only_absolute(attributes.sources)
    assert sorted(attributes.sources) == sorted([SITE_RELATIVE_RESOLVED, PROTOCOL_RELATIVE_RESOLVED])
    assert {SITE_RELATIVE_RESOLVED, PROTOCOL_RELATIVE_RESOLVED, RELATED_LINK_RESOLVED} <= set(attributes.links)
    assert not {SITE_RELATIVE, PROTOCOL_RELATIVE, RELATED_LINK} & set(attributes.links)


def test_admin_change_form_without_a_source_site_links_no_site_relative_url(
    staff_editor_client, article, no_source_site
):
    attributes = page(staff_editor_client, reverse("admin:articles_article_change", args=[article.pk]))

    assert attributes.sources == [PROTOCOL_RELATIVE_RESOLVED]
    assert not {SITE_RELATIVE, SITE_RELATIVE_RESOLVED, RELATED_LINK} & set(attributes.links)


# feeds and API -------------------------------------------------------------------------------------


@pytest.mark.parametrize("feed", ["rss", "atom"])
def test_feed_enclosures_are_resolved(client, article, feed, source_site):
    entry = feedparser.parse(client.get(f"/feeds/{feed}/").content).entries[0]

    assert [enclosure.href for enclosure in entry.enclosures] == [SITE_RELATIVE_RESOLVED]


@pytest.mark.parametrize("feed", ["rss", "atom"])
def test_feed_enclosure_without_a_source_site_is_the_first_image_that_resolves(client, article, feed, no_source_site):
    entry = feedparser.parse(client.get(f"/feeds/{feed}/").content).entries[0]

    assert [enclosure.href for enclosure in entry.enclosures] == [PROTOCOL_RELATIVE_RESOLVED]


def test_json_feed_image_and_attachments_are_resolved(client, article, source_site):
    item = client.get("/feeds/json/").json()["items"][0]

    assert item["image"] == SITE_RELATIVE_RESOLVED
    assert [attachment["url"] for attachment in item["attachments"]] == [SITE_RELATIVE_RESOLVED]


def test_json_feed_never_hands_out_an_unsafe_image(client, unsafe_first, source_site):
    item = client.get("/feeds/json/").json()["items"][0]

    assert "image" not in item and "attachments" not in item


def test_api_lists_resolved_images_only(client, article, source_site):
    result = client.get("/api/articles/").json()["results"][0]

    assert [image["url"] for image in result["images"]] == [SITE_RELATIVE_RESOLVED, PROTOCOL_RELATIVE_RESOLVED]


def test_api_without_a_source_site_leaves_site_relative_images_out(client, article, no_source_site):
    result = client.get("/api/articles/").json()["results"][0]

    assert [image["url"] for image in result["images"]] == [PROTOCOL_RELATIVE_RESOLVED]


def test_api_detail_resolves_related_links(client, article, source_site):
    detail = client.get(reverse("public:api-article", args=[article.source_key])).json()

    assert detail["related"][0]["webUrl"] == RELATED_LINK_RESOLVED
    assert [image["url"] for image in detail["images"]] == [SITE_RELATIVE_RESOLVED, PROTOCOL_RELATIVE_RESOLVED]


def test_api_detail_without_a_source_site_gives_no_related_link(client, article, no_source_site):
    detail = client.get(reverse("public:api-article", args=[article.source_key])).json()

    assert detail["related"][0]["webUrl"] is None


def test_api_hands_out_protocol_relative_article_links_resolved(client, no_source_site):
    make_article(images=0, status=Article.Status.PUBLISHED, web_url="//news.example/story", original_url="")

    result = client.get("/api/articles/").json()["results"][0]

    assert result["webUrl"] == result["url"] == "https://news.example/story"
