"""Public, read-only URLs (no login): feeds and the JSON API of published articles."""

from django.urls import path
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_safe

from . import api, feeds

app_name = "public"

FORMATS = (("rss", feeds.ArticleFeed()), ("atom", feeds.AtomArticleFeed()), ("json", feeds.JsonArticleFeed()))

urlpatterns = [
    path("api/articles/", api.article_list, name="api-articles"),
    path("api/articles/<str:key>/", api.article_detail, name="api-article"),
]
for name, feed in FORMATS:
    view = csrf_exempt(require_safe(feed))  # read-only: a POST gets 405, not a CSRF page
    urlpatterns += [
        path(f"feeds/{name}/", view, name=f"feed-{name}"),
        path(f"feeds/topic/<slug:slug>/{name}/", view, name=f"topic-feed-{name}"),
        path(f"feeds/provider/<str:domain>/{name}/", view, name=f"provider-feed-{name}"),
    ]
