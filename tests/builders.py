"""Small builders shared by the tests: news item files, and articles stored as the importer would store them."""

import datetime as dt
import itertools
from pathlib import Path

from django.utils.text import slugify

from articles.story_leads import refresh_clusters
from articles.models import Article, ArticleImage, ArticleTopic, Provider, RelatedArticle, StoryCluster, Topic
from articles.urlnorm import url_key

GOOD_FRONT = """category: news
title: "{title}"
excerpt: "An excerpt about {title}."
publishedDateTime: 2024-05-01T10:00:00Z
webUrl: "https://news.example/{slug}"
type: article
quality: 50
heat: 20
published: false

provider:
  name: Example News
  domain: news.example

topics:
  - Testing

images:
  - url: "https://img.example/{slug}.jpg"
    width: 800
    height: 600
"""


def item_text(slug: str = "story", *, title: str | None = None, front: str | None = None, body: str = "\n") -> str:
    front = front if front is not None else GOOD_FRONT.format(title=title or slug.replace("-", " ").title(), slug=slug)
    return f"---\n{front}---\n{body}"


def write_item(directory: Path, slug: str = "story", **kwargs) -> Path:
    path = directory / f"{slug}.md"
    path.write_text(item_text(slug, **kwargs), encoding="utf-8")
    return path


_numbers = itertools.count(1)
BASE_TIME = dt.datetime(2024, 5, 1, 12, 0, tzinfo=dt.timezone.utc)


def make_provider(domain: str = "news.example", name: str | None = None, logo: str | None = None) -> Provider:
    mapping = {"name": name or domain.split(".")[0].title(), "domain": domain}
    if logo:
        mapping["images"] = [{"url": logo, "width": 50, "height": 50}]
    provider, _ = Provider.objects.get_or_create(
        key=domain, defaults={"name": mapping["name"], "domain": domain, "mapping": mapping}
    )
    return provider


def make_article(
    *, images: int = 1, related: int = 0, topics=(), provider: Provider | None = None, **fields
) -> Article:
    """An article as the importer would store it, with `images` images, `related` related items and `topics`."""
    n = next(_numbers)
    web_url = fields.pop("web_url", f"https://news.example/story-{n}")
    values = {
        "source_key": f"item-{n}",
        "source_file": f"/data/item-{n}.md",
        "content_hash": f"{n:064d}",
        "category": "news",
        "title": f"Story number {n}",
        "excerpt": f"What happened in story {n}.",
        "published_date_time": BASE_TIME - dt.timedelta(hours=n),
        "web_url": web_url,
        "web_url_key": url_key(web_url),
        "type": "article",
        "quality": 50,
        "heat": 10,
        "provider": provider if provider is not None else make_provider(),
    }
    values.update(fields)
    article = Article.objects.create(**values)
    ArticleImage.objects.bulk_create(
        ArticleImage(article=article, position=i, url=f"https://img.example/{n}-{i}.jpg", width=800, height=600)
        for i in range(images)
    )
    RelatedArticle.objects.bulk_create(
        RelatedArticle(
            article=article, position=i, title=f"Related {n}.{i}", web_url=f"https://other.example/{n}-{i}",
            web_url_key=url_key(f"https://other.example/{n}-{i}"),
            provider={"name": "Other", "domain": "other.example"},
        )
        for i in range(related)
    )
    for position, name in enumerate(topics):
        topic, _ = Topic.objects.get_or_create(name=name, defaults={"slug": slugify(name)})
        ArticleTopic.objects.create(article=article, topic=topic, position=position)
    return article


START = dt.datetime(2024, 1, 1, tzinfo=dt.timezone.utc)


def make_published_article(key: str, *, hours: float | None = 0, status=Article.Status.PUBLISHED, topics=("Testing",),
                 provider=("Example News", "news.example"), image: str | None = "default", **fields) -> Article:
    """A published article (by default) as the API and feeds see it: named by its source key, `hours` after
    START, with topics, a provider and an image."""
    name, domain = provider
    provider_row, _ = Provider.objects.get_or_create(
        key=domain, defaults={"name": name, "domain": domain, "mapping": {"name": name, "domain": domain}}
    )
    values = {
        "title": f"Title of {key}",
        "excerpt": f"Excerpt of {key}",
        "web_url": f"https://news.example/{key}",
        "category": "news",
        "type": "article",
        "quality": 50,
        "heat": 10,
        "secured": f"SECURED-{key}-opaque==",
        "published_date_time": START + dt.timedelta(hours=hours) if hours is not None else None,
        **fields,
    }
    article = Article.objects.create(
        source_key=key, source_file=f"/in/{key}.md", content_hash=key, status=status, provider=provider_row, **values
    )
    for position, topic_name in enumerate(topics):
        topic, _ = Topic.objects.get_or_create(name=topic_name, defaults={"slug": slugify(topic_name)})
        ArticleTopic.objects.create(article=article, topic=topic, position=position)
    if image:
        url = f"https://img.example/{key}.jpg" if image == "default" else image
        ArticleImage.objects.create(article=article, position=0, url=url, width=800, height=600)
    return article


def make_story(*articles: Article) -> StoryCluster:
    """`articles` as one story cluster, its size, lead and folded members computed as clustering would leave them."""
    cluster = StoryCluster.objects.create()
    Article.objects.filter(pk__in=[article.pk for article in articles]).update(cluster=cluster)
    refresh_clusters([cluster.pk])
    for article in articles:
        article.refresh_from_db()
    cluster.refresh_from_db()
    return cluster
