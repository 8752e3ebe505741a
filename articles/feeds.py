"""Public feeds of published articles: RSS 2.0, Atom 1.0 and JSON Feed 1.1, site-wide, per topic, per provider.

One `Feed` describes the items; the three formats differ only in their
generator. Everything comes from `articles.published`, so only published
items and public fields reach a feed.

Feeds carry text, never markup. Feed readers render an RSS title and
description as HTML once they have decoded the XML, so RSS gets the text
HTML-escaped as well (`HtmlEscapedRssFeed`): after both decodings it is the
text again. Atom says what its text is: titles are `type="text"` by default
and summaries are sent as `type="text"` (`TextAtomFeed`). JSON Feed has
plain-text fields (`content_text`, never `content_html`).
"""

from __future__ import annotations

import html
import json
import mimetypes
import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.syndication.views import Feed
from django.http import Http404
from django.urls import reverse
from django.utils import feedgenerator

from . import published
from .models import Article, Provider, Topic

FEED_LIMIT = 50
# Characters XML 1.0 cannot carry; imported text may hold them, a feed must not.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def xml_text(text: str) -> str:
    return _NOT_XML.sub("", text)


def html_escaped(text: str | None) -> str | None:
    return html.escape(text, quote=False) if text is not None else None


class HtmlEscapedRssFeed(feedgenerator.Rss201rev2Feed):
    """RSS 2.0 whose channel and item titles and descriptions are text escaped as HTML, as readers render them."""

    def __init__(self, title, link, description, **kwargs):
        super().__init__(html_escaped(title), link, html_escaped(description), **kwargs)

    def add_item(self, title, link, description, **kwargs):
        super().add_item(html_escaped(title), link, html_escaped(description), **kwargs)


class TextAtomFeed(feedgenerator.Atom1Feed):
    """Atom 1.0 with each entry's summary declared `type="text"` (Django's says html)."""

    def add_item_elements(self, handler, item):
        super().add_item_elements(handler, {**item, "description": None})
        if item["description"] is not None:
            handler.addQuickElement("summary", item["description"], {"type": "text"})


class JsonFeed(feedgenerator.SyndicationFeed):
    """JSON Feed 1.1 (https://www.jsonfeed.org/version/1.1/) from the same items as RSS and Atom."""

    content_type = "application/feed+json; charset=utf-8"

    def write(self, outfile, encoding):
        outfile.write(json.dumps(self.document(), ensure_ascii=False))

    def document(self) -> dict:
        feed = {
            "version": "https://jsonfeed.org/version/1.1",
            "title": self.feed["title"],
            "home_page_url": self.feed["link"],
            "feed_url": self.feed["feed_url"],
            "description": self.feed["description"],
            "language": self.feed["language"],
            "items": [self.item(item) for item in self.items],
        }
        return {key: value for key, value in feed.items() if value is not None}

    @staticmethod
    def item(item: dict) -> dict:
        entry = {
            "id": item["unique_id"],
            "url": item["link"],
            "title": item["title"],
            "content_text": item["description"] or "",
            "summary": item["description"] or "",
            "date_published": feedgenerator.rfc3339_date(item["pubdate"]) if item["pubdate"] else None,
            "date_modified": feedgenerator.rfc3339_date(item["updateddate"]) if item["updateddate"] else None,
            "authors": [{"name": item["author_name"], **({"url": item["author_link"]} if item["author_link"] else {})}]
            if item["author_name"] else None,
            "tags": list(item["categories"] or ()) or None,
            "image": item.get("image"),
            "attachments": [
                {"url": enclosure.url, "mime_type": enclosure.mime_type} for enclosure in item["enclosures"]
            ] or None,
        }
        return {key: value for key, value in entry.items() if value is not None}


@dataclass(frozen=True)
class Scope:
    """What a feed covers: everything, one topic or one provider."""

    base_url: str
    topic: Topic | None = None
    provider: Provider | None = None

    @property
    def name(self) -> str:
        return str(self.topic or self.provider or "")


class ArticleFeed(Feed):
    feed_type = HtmlEscapedRssFeed

    def get_object(self, request, slug: str | None = None, domain: str | None = None) -> Scope:
        base_url = request.build_absolute_uri("/")[:-1]
        if slug is not None:
            topic = published.public_topic(slug)
            if topic is None:
                raise Http404("No published articles on this topic.")
            return Scope(base_url, topic=topic)
        if domain is not None:
            provider = published.public_provider(domain)
            if provider is None:
                raise Http404("No published articles from this provider.")
            return Scope(base_url, provider=provider)
        return Scope(base_url)

    def title(self, scope: Scope) -> str:
        return xml_text(f"Newsroom: {scope.name}" if scope.name else "Newsroom: latest published articles")

    def description(self, scope: Scope) -> str:
        return xml_text(f"The latest {FEED_LIMIT} published articles" + (f" — {scope.name}" if scope.name else ""))

    def link(self, scope: Scope) -> str:
        """The channel's home page: the public site (PUBLIC_SITE_URL), else this site's root."""
        return settings.PUBLIC_SITE_URL or "/"

    def items(self, scope: Scope) -> list[Article]:
        articles = published.latest_published(topic=scope.topic, provider=scope.provider, limit=FEED_LIMIT)
        for article in articles:
            article.feed_id = scope.base_url + reverse("public:api-article", args=[article.source_key])
        return articles

    def item_title(self, article: Article) -> str:
        return xml_text(article.title)

    def item_description(self, article: Article) -> str:
        return xml_text(published.plain_text(article.excerpt))

    def item_link(self, article: Article) -> str:
        return published.article_url(article) or reverse("public:api-article", args=[article.source_key])

    def item_guid(self, article: Article) -> str:
        """A stable id per item: its API address, by source key (two items may share a link)."""
        return article.feed_id

    item_guid_is_permalink = False

    def item_pubdate(self, article: Article):
        return article.published_date_time

    def item_updateddate(self, article: Article):
        """Atom requires an update time on every entry, undated ones included."""
        return article.updated_at

    def item_author_name(self, article: Article) -> str | None:
        return xml_text(str(article.provider)) if article.provider_id else None

    def item_author_link(self, article: Article) -> str | None:
        domain = article.provider.domain if article.provider_id else ""
        return published.safe_url(f"https://{domain}") if domain else None

    def item_categories(self, article: Article) -> list[str]:
        return [xml_text(name) for name in published.topic_names(article)]

    def item_enclosures(self, article: Article) -> list[feedgenerator.Enclosure]:
        url = published.first_image_url(article)
        if not url:
            return []
        mime_type = mimetypes.guess_type(urlsplit(url).path)[0] or "application/octet-stream"
        return [feedgenerator.Enclosure(url, "0", mime_type)]

    def item_extra_kwargs(self, article: Article) -> dict:
        url = published.first_image_url(article)
        return {"image": url} if url else {}


class AtomArticleFeed(ArticleFeed):
    feed_type = TextAtomFeed
    author_name = "Newsroom"  # Atom wants an author for entries that name no provider

    def subtitle(self, scope: Scope) -> str:
        return self.description(scope)


class JsonArticleFeed(ArticleFeed):
    feed_type = JsonFeed
