"""Small builders for news item files, shared by the tests."""

from pathlib import Path

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
