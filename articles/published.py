"""Reads for the public side (feeds and the JSON API): published articles, public columns only.

Editorial state (who reviewed or published, editor_fields, audit) and the
opaque `secured` value are never loaded here, so nothing built on these
selectors can leak them; `version` is loaded only to make cache validators
change with every edit, and is never served. Lists are read with keyset pagination on
(publishedDateTime, id), newest first, so page 1,000 costs what page 1 does.
"""

from __future__ import annotations

import html

from django.db.models import Exists, OuterRef, Prefetch, prefetch_related_objects
from django.utils.html import strip_tags

from . import paging
from .models import Article, ArticleImage, ArticleTopic, Provider, RelatedArticle, Topic
from .urlnorm import link_url

PUBLIC_FIELDS = (
    "id", "source_key", "category", "title", "excerpt", "published_date_time", "original_url", "web_url",
    "amp_web_url", "cdn_amp_web_url", "type", "quality", "heat", "updated_at", "version",
    "provider__id", "provider__key", "provider__name", "provider__domain",
)
COLLECTIONS = (
    Prefetch("topic_links", queryset=ArticleTopic.objects.select_related("topic").order_by("position")),
    Prefetch(
        "images",
        queryset=ArticleImage.objects.only("id", "article_id", "position", "url", "width", "height", "title")
        .order_by("position"),
    ),
)
RELATED = Prefetch(
    "related",
    queryset=RelatedArticle.objects.only(
        "id", "article_id", "position", "title", "excerpt", "published_date_time", "web_url", "type", "provider"
    ).order_by("position"),
)


# Newest first by the source's date, undated items after the dated ones: the API's cursor holds these values.
ORDERING: paging.Ordering = [("published_date_time", True), ("id", True)]


def published_articles():
    """Published articles with their provider, public columns only."""
    return Article.objects.published().select_related("provider").only(*PUBLIC_FIELDS)


def with_collections(articles: list[Article], *, related: bool = False) -> list[Article]:
    """Load topics and images (and related items) of a page: one query each."""
    prefetch_related_objects(articles, *COLLECTIONS, *((RELATED,) if related else ()))
    return articles


def page_after(queryset, *, after: dict | None, limit: int) -> tuple[list[Article], dict | None]:
    """Up to `limit` articles after the position `after`, newest first, and the position to continue from
    (None at the end): through the (status, -publishedDateTime) index, so a deep page scans only what it returns."""
    return paging.page_after(queryset, ORDERING, position=after, limit=limit)


def published_article(key: str) -> Article | None:
    """One published article by source key, with its body; `with_collections(..., related=True)` adds the rest."""
    return published_articles().only(*PUBLIC_FIELDS, "body").filter(source_key=key).first()


def latest_published(*, topic: Topic | None = None, provider: Provider | None = None, limit: int = 50) -> list[Article]:
    queryset = published_articles()
    if topic is not None:
        queryset = queryset.filter(Exists(ArticleTopic.objects.filter(article=OuterRef("pk"), topic=topic)))
    if provider is not None:
        queryset = queryset.filter(provider=provider)
    return with_collections(page_after(queryset, after=None, limit=limit)[0])


def public_topic(slug: str) -> Topic | None:
    """A topic that at least one published article carries (others are not public)."""
    links = ArticleTopic.objects.filter(topic=OuterRef("pk"), article__status=Article.Status.PUBLISHED)
    return Topic.objects.filter(slug=slug).filter(Exists(links)).first()


def public_provider(key: str) -> Provider | None:
    """A provider, by domain (its key), with at least one published article."""
    articles = Article.objects.published().filter(provider=OuterRef("pk"))
    return Provider.objects.filter(key=key.strip().lower()).filter(Exists(articles)).first()


# --- presenting imported text ---------------------------------------------------------------


def plain_text(text: str | None) -> str:
    """Imported excerpt HTML as plain text: tags dropped, entities (`&#038;`, `&nbsp;`) decoded."""
    return html.unescape(strip_tags(text or "")).strip()


def safe_url(url: str | None) -> str:
    """The absolute http(s) URL `urlnorm.link_url` renders for `url`, else empty: nothing else is ever handed out."""
    return link_url(url)


def article_url(article: Article) -> str:
    return safe_url(article.web_url) or safe_url(article.original_url)


def image_urls(article: Article) -> list[tuple[ArticleImage, str]]:
    """The article's images that can be shown, each with the URL to hand out for it."""
    return [(image, url) for image in article.images.all() if (url := safe_url(image.url))]


def first_image_url(article: Article) -> str:
    return next((url for image in article.images.all() if (url := safe_url(image.url))), "")


def topic_names(article: Article) -> list[str]:
    return [link.topic.name for link in article.topic_links.all()]
