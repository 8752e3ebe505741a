"""`secured` is opaque: shown the same way (its first characters) on the review page, in the admin change form
and in audit values, to viewers and editors alike."""

import pytest
from django.test import Client
from django.urls import reverse

from articles.models import AuditEntry
from articles.display import opaque
from tests.builders import make_article
from tests.conftest import make_user

pytestmark = pytest.mark.django_db

SECRET = "TOKEN-abcdefghij-" + "s3cr3t" * 20
TAIL = SECRET[16:]


@pytest.fixture
def article(db):
    article = make_article(secured=SECRET, changed_since_review=True)
    AuditEntry.objects.create(
        article=article, source=AuditEntry.Source.IMPORT, action="reimport", field="secured",
        old_value="OLD-" + SECRET, new_value=SECRET, batch="b1",
    )
    return article


def signed_in(role: str, **extra) -> Client:
    client = Client()
    client.force_login(make_user(role, "Editors" if role == "editor" else "Viewers", is_staff=True, **extra))
    return client


@pytest.mark.parametrize("role", ["editor", "viewer"])
def test_review_page_and_admin_show_the_same_mask(article, role):
    client = signed_in(role)
    pages = [
        reverse("articles:review", args=[article.pk]),
        reverse("admin:articles_article_change", args=[article.pk]),
        reverse("admin:articles_auditentry_changelist"),
        reverse("admin:articles_auditentry_change", args=[article.audit_entries.get().pk]),
    ]
    if role == "editor":
        pages.append(reverse("admin:articles_article_undo", args=["b1"]))
    for url in pages:
        html = client.get(url).content.decode()
        assert TAIL not in html and TAIL[:12] not in html, url
    for url in pages[:2]:
        assert opaque(SECRET) in client.get(url).content.decode(), url
