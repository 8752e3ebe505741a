"""Editorial pages tell shared caches not to keep them; the public feeds and API keep their public caching."""

import pytest
from django.test import Client
from django.urls import reverse

from articles.models import Article
from tests.builders import make_article
from tests.conftest import make_user

pytestmark = pytest.mark.django_db


def directives(response) -> set[str]:
    return {part.strip().split("=")[0] for part in response.headers.get("Cache-Control", "").split(",") if part.strip()}


def assert_private(response) -> None:
    assert {"private", "no-store"} <= directives(response), (response.request["PATH_INFO"], response.headers)
    assert "public" not in directives(response)


@pytest.fixture
def article(db) -> Article:
    return make_article(status=Article.Status.PUBLISHED, topics=["Boats"])


@pytest.fixture
def staff_client(db) -> Client:
    client = Client()
    client.force_login(make_user("desk", "Editors", is_staff=True))
    return client


def editorial_pages(article: Article) -> list[str]:
    return [
        reverse("articles:dashboard"),
        reverse("articles:queue"),
        reverse("articles:queue") + "?published_after=not-a-date",
        reverse("articles:review", args=[article.pk]),
        reverse("articles:review", args=[article.pk + 1000]),  # 404
        reverse("admin:index"),
        reverse("admin:articles_article_changelist"),
        reverse("admin:articles_article_change", args=[article.pk]),
        reverse("admin:articles_auditentry_changelist"),
    ]


def test_every_editorial_page_is_private_and_not_stored(staff_client, article):
    for url in editorial_pages(article):
        assert_private(staff_client.get(url))


def test_what_a_signed_out_visitor_gets_is_private_too(client, article):
    for url in (reverse("login"), reverse("admin:login"), *editorial_pages(article)):
        assert_private(client.get(url))  # the login pages, and the redirects to them


def test_the_answers_to_editorial_posts_are_private(staff_client, article):
    response = staff_client.post(reverse("articles:scores", args=[article.pk]), {"quality": "1", "heat": "2", "version": article.version})

    assert response.status_code == 302
    assert_private(response)


def test_a_viewer_refused_a_change_gets_a_private_answer(viewer_client, article):
    response = viewer_client.post(reverse("articles:publish", args=[article.pk]), {"version": 1})

    assert response.status_code == 403
    assert_private(response)


@pytest.mark.parametrize("url", ["/feeds/rss/", "/feeds/atom/", "/feeds/json/", "/feeds/topic/boats/rss/"])
def test_feeds_are_not_made_private(client, article, url):
    response = client.get(url)

    assert response.status_code == 200
    assert not {"private", "no-store"} & directives(response)


def test_the_api_stays_publicly_cacheable(client, article):
    for url in ("/api/articles/", reverse("public:api-article", args=[article.source_key])):
        response = client.get(url)
        assert response.status_code == 200
        assert "public" in directives(response) and "private" not in directives(response)
