"""The public, read-only JSON API of published articles: a filtered, cursor-paginated list and one item by key.

Both answer conditional requests: the ETag and Last-Modified come from the rows
of the page (ids, versions, update times) and the query, computed from the one
query that reads the page, so a 304 costs no more than that query.
"""

from __future__ import annotations

import datetime as dt
import hashlib

from django import forms
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import reverse
from django.utils.cache import get_conditional_response
from django.utils.http import http_date, quote_etag
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_safe

from . import paging, published
from .filters import ReviewQueueFilter
from .models import Article

DEFAULT_LIMIT = 20
MAX_LIMIT = 100


class PublicArticleFilter(ReviewQueueFilter):
    """The queue's filters minus the editorial ones; the order is always newest first."""

    status = None
    duplicates = None
    changed = None
    clustered = None
    show = None  # the API lists every published item, story clusters or not
    attention = None
    o = None

    class Meta(ReviewQueueFilter.Meta):
        form = forms.Form  # the API pages by `cursor` and `limit`, not the queue's page and size


class BadRequest(ValueError):
    pass


# --- cursors and limits -----------------------------------------------------------------


def encode_cursor(position: dict) -> str:
    return paging.encode_position(position, published.ORDERING)


def decode_cursor(text: str) -> dict:
    """The position a `cursor` holds; BadRequest for anything this API did not give out."""
    position = paging.decode_position(Article, text, published.ORDERING)
    if position is None:
        raise BadRequest("cursor: not a cursor this API gave out")
    return position


def parse_limit(text: str | None) -> int:
    """Items per page: `DEFAULT_LIMIT` when not given, at most `MAX_LIMIT` however many are asked for."""
    if text is None or text == "":
        return DEFAULT_LIMIT
    if not text.isdigit() or int(text) < 1:
        raise BadRequest(f"limit: a whole number from 1 to {MAX_LIMIT}")
    return min(int(text), MAX_LIMIT)


# --- serialization ----------------------------------------------------------------------


def _timestamp(value: dt.datetime | None) -> str | None:
    return value.isoformat().replace("+00:00", "Z") if value else None


def article_data(article: Article, request: HttpRequest, *, detail: bool = False) -> dict:
    """The public fields of an article. Never editorial state, never `secured`."""
    data = {
        "key": article.source_key,
        "apiUrl": request.build_absolute_uri(reverse("public:api-article", args=[article.source_key])),
        "url": published.article_url(article) or None,
        "title": article.title,
        "excerpt": published.plain_text(article.excerpt),
        "publishedDateTime": _timestamp(article.published_date_time),
        "category": article.category,
        "type": article.type,
        "quality": article.quality,
        "heat": article.heat,
        "originalUrl": published.safe_url(article.original_url) or None,
        "webUrl": published.safe_url(article.web_url) or None,
        "ampWebUrl": published.safe_url(article.amp_web_url) or None,
        "cdnAmpWebUrl": published.safe_url(article.cdn_amp_web_url) or None,
        "provider": {"key": article.provider.key, "name": article.provider.name, "domain": article.provider.domain}
        if article.provider_id else None,
        "topics": [{"name": link.topic.name, "slug": link.topic.slug} for link in article.topic_links.all()],
        "images": [
            {"url": url, "width": image.width, "height": image.height, "title": image.title}
            for image, url in published.image_urls(article)
        ],
    }
    if detail:
        data["related"] = [related_data(related) for related in article.related.all()]
        data["body"] = article.body
    return data


def related_data(related) -> dict:
    provider = related.provider if isinstance(related.provider, dict) else {}
    return {
        "title": related.title,
        "excerpt": published.plain_text(related.excerpt) if related.excerpt is not None else None,
        "publishedDateTime": _timestamp(related.published_date_time),
        "webUrl": published.safe_url(related.web_url) or None,
        "type": related.type,
        "provider": {"name": str(provider.get("name") or ""), "domain": str(provider.get("domain") or "")}
        if provider else None,
    }


# --- conditional responses ----------------------------------------------------------------


def validators(articles: list[Article], query: str) -> tuple[str, int | None]:
    """ETag from the query and each row's id, version and update time; Last-Modified from the newest update."""
    digest = hashlib.blake2b(query.encode(), digest_size=16)
    for article in articles:
        digest.update(f"|{article.pk}:{article.version}:{article.updated_at.isoformat()}".encode())
    newest = max((article.updated_at for article in articles), default=None)
    return quote_etag(digest.hexdigest()), int(newest.timestamp()) if newest else None


def conditional(request: HttpRequest, articles: list[Article], build) -> HttpResponse:
    """A 304 when the client's copy is current, otherwise the response `build()` makes; validators on both."""
    etag, last_modified = validators(articles, request.get_full_path())
    response = get_conditional_response(request, etag=etag, last_modified=last_modified) or build()
    if response.status_code in (200, 304):
        response.headers["ETag"] = etag
        if last_modified is not None:
            response.headers["Last-Modified"] = http_date(last_modified)
        response.headers["Cache-Control"] = "public, no-cache"
    return response


def error(message: str, status: int, **extra) -> JsonResponse:
    return JsonResponse({"error": message, **extra}, status=status)


# --- views ---------------------------------------------------------------------------------


@csrf_exempt  # read-only: a POST gets 405, not a CSRF page
@require_safe
def article_list(request: HttpRequest) -> HttpResponse:
    filters = PublicArticleFilter(request.GET, queryset=published.published_articles())
    if not filters.is_valid():
        return error("invalid filter", 400, fields=filters.errors.get_json_data())
    try:
        limit = parse_limit(request.GET.get("limit"))
        after = decode_cursor(request.GET["cursor"]) if request.GET.get("cursor") else None
    except BadRequest as problem:
        return error(str(problem), 400)
    page, next_position = published.page_after(filters.qs, after=after, limit=limit)

    def build() -> JsonResponse:
        published.with_collections(page)
        next_url = None
        if next_position is not None:
            query = request.GET.copy()
            query["cursor"] = encode_cursor(next_position)
            next_url = request.build_absolute_uri(f"{request.path}?{query.urlencode()}")
        results = [article_data(article, request) for article in page]
        return JsonResponse({"results": results, "next": next_url}, json_dumps_params={"ensure_ascii": False})

    return conditional(request, page, build)


@csrf_exempt
@require_safe
def article_detail(request: HttpRequest, key: str) -> HttpResponse:
    article = published.published_article(key)
    if article is None:
        return error("no published article with this key", 404)

    def build() -> JsonResponse:
        published.with_collections([article], related=True)
        return JsonResponse(article_data(article, request, detail=True), json_dumps_params={"ensure_ascii": False})

    return conditional(request, [article], build)
