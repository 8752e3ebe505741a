"""The permission matrix: anonymous / viewer / editor / superuser × every editorial URL × GET and POST.

Anonymous users are sent to the login page, viewers read but never change (403, and no edit controls),
editors and superusers change. POSTs without a CSRF token are refused whoever sends them.
"""

import re
from html.parser import HTMLParser

import pytest
from django.contrib import admin
from django.test import Client
from django.urls import reverse

from articles import editorial
from articles.models import Article, AuditEntry
from tests.conftest import make_user
from tests.builders import make_article

pytestmark = pytest.mark.django_db

ROLES = ("anonymous", "viewer", "editor", "superuser")
PAGES = ("dashboard", "queue", "review")
EDIT_NAMES = ("quality", "heat", "excerpt", "status", "ids")
CHANGES = ("edit", "scores", "publish", "unpublish", "reject", "bulk", "undo")


@pytest.fixture
def users(db):
    return {
        "anonymous": None,
        "viewer": make_user("viewer", "Viewers", is_staff=True),
        "editor": make_user("editor", "Editors", is_staff=True),
        "superuser": make_user("admin", None, is_staff=True, is_superuser=True),
    }


def client_for(users, role: str, **kwargs) -> Client:
    client = Client(**kwargs)
    if users[role] is not None:
        client.force_login(users[role])
    return client


def page_url(name: str, article: Article) -> str:
    return reverse(f"articles:{name}", args=[article.pk]) if name == "review" else reverse(f"articles:{name}")


def prepared_change(name: str) -> tuple[Article, str, dict]:
    """An article, the URL and a POST body that changes it when the sender may."""
    if name == "unpublish":
        article = make_article(status=Article.Status.PUBLISHED)
    else:
        article = make_article()
    if name == "edit":
        data = {"excerpt": "Changed", "quality": "99", "heat": "10", "status": "awaiting", "version": article.version}
    elif name == "scores":
        data = {"quality": "99", "heat": "10", "version": article.version}
    elif name == "bulk":
        data = {"action": "publish", "ids": [article.pk]}
    elif name == "undo":
        result = editorial.set_scores(article.pk, user=None, source="command", quality=1)
        article.refresh_from_db()
        data = {"batch": result.batch}
    else:
        data = {"version": article.version}
    url = reverse(f"articles:{name}") if name in ("bulk", "undo") else reverse(f"articles:{name}", args=[article.pk])
    return article, url, data


def version(article: Article) -> int:
    return Article.objects.values_list("version", flat=True).get(pk=article.pk)


class FormCollector(HTMLParser):
    """POST forms, and inputs that edit an article, found in a page."""

    def __init__(self):
        super().__init__()
        self.post_actions = []
        self.edit_inputs = []
        self.shortcuts = []
        self.in_post_form = False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self.in_post_form = (attrs.get("method") or "").lower() == "post"
            if self.in_post_form:
                self.post_actions.append(attrs.get("action") or "")
        posted = self.in_post_form or attrs.get("form")
        if tag in ("input", "textarea", "select") and posted and attrs.get("name") in EDIT_NAMES:
            self.edit_inputs.append(attrs.get("name"))
        if attrs.get("data-shortcut") in ("p", "u", "x", "e", "z"):
            self.shortcuts.append(attrs["data-shortcut"])

    def handle_endtag(self, tag):
        if tag == "form":
            self.in_post_form = False


def edit_controls(html: str) -> FormCollector:
    collector = FormCollector()
    collector.feed(html)
    collector.post_actions = [action for action in collector.post_actions if action != reverse("logout")]
    return collector


# --- the editors' pages ------------------------------------------------------------------------


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("name", PAGES)
def test_pages(users, role, name):
    article = make_article()
    url = page_url(name, article)

    response = client_for(users, role).get(url)

    if role == "anonymous":
        assert response.status_code == 302
        assert response["Location"] == f"{reverse('login')}?next={url}"
        return
    assert response.status_code == 200
    controls = edit_controls(response.content.decode())
    if role == "viewer":
        assert (controls.post_actions, controls.edit_inputs, controls.shortcuts) == ([], [], [])
    elif name != "dashboard":
        assert controls.post_actions and controls.edit_inputs


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("name", PAGES)
def test_pages_refuse_post(users, role, name):
    article = make_article()

    response = client_for(users, role).post(page_url(name, article), {"quality": "1"})

    expected = {"anonymous": 302, "viewer": 405, "editor": 405, "superuser": 405}[role]
    assert response.status_code == expected
    assert version(article) == 1


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("name", CHANGES)
def test_changes_by_post(users, role, name):
    article, url, data = prepared_change(name)
    before = version(article)

    response = client_for(users, role).post(url, data)

    if role == "anonymous":
        assert response.status_code == 302 and response["Location"].startswith(reverse("login") + "?next=")
        assert version(article) == before
    elif role == "viewer":
        assert response.status_code == 403
        assert "Editors role" in response.content.decode()
        assert version(article) == before
    else:
        assert response.status_code == 302
        assert version(article) > before
        assert AuditEntry.objects.filter(article=article, user=users[role], source="dashboard").exists()


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("name", CHANGES)
def test_changes_refuse_get(users, role, name):
    article, url, data = prepared_change(name)
    before = version(article)

    response = client_for(users, role).get(url, data)

    expected = {"anonymous": 302, "viewer": 403, "editor": 405, "superuser": 405}[role]
    assert response.status_code == expected
    assert version(article) == before


@pytest.mark.parametrize("name", CHANGES)
def test_changes_without_a_csrf_token_are_refused(users, name):
    article, url, data = prepared_change(name)
    before = version(article)

    response = client_for(users, "editor", enforce_csrf_checks=True).post(url, data)

    assert response.status_code == 403
    assert version(article) == before


def test_an_editor_without_the_publish_permission_cannot_change_a_status(users):
    writer = make_user("writer")
    writer.user_permissions.add(*users["editor"].groups.get().permissions.exclude(codename="publish_article"))
    article = make_article()
    client = Client()
    client.force_login(writer)

    publish = client.post(reverse("articles:publish", args=[article.pk]), {"version": 1})
    edit = client.post(
        reverse("articles:edit", args=[article.pk]),
        {"excerpt": article.excerpt, "quality": "50", "heat": "10", "status": "published", "version": 1},
    )
    scores = client.post(reverse("articles:scores", args=[article.pk]), {"quality": "7", "heat": "10", "version": 1})

    assert (publish.status_code, edit.status_code, scores.status_code) == (403, 403, 302)
    article.refresh_from_db()
    assert (article.status, article.quality) == (Article.Status.AWAITING_REVIEW, 7)


# --- the admin's main URLs ----------------------------------------------------------------------


@pytest.fixture
def article_admin():
    if not admin.site.is_registered(Article):
        pytest.skip("the Article admin is not registered yet")
    return admin.site._registry[Article]


def admin_form_data(response) -> dict:
    """The change form's current values, as the browser would post them back (inlines included)."""
    data = {}

    def add(form):
        for bound in form:
            if bound.field.disabled or bound.name not in form.fields:
                continue
            value = bound.value()
            if isinstance(value, bool):
                if value:
                    data[bound.html_name] = "on"
            elif isinstance(value, (list, tuple)):
                data[bound.html_name] = [str(item) for item in value]
            elif value is not None:
                data[bound.html_name] = str(value)

    add(response.context["adminform"].form)
    for inline in response.context["inline_admin_formsets"]:
        formset = inline.formset
        add(formset.management_form)
        for form in formset.forms:
            add(form)
    return data


def publish_action_name(article_admin, superuser) -> str:
    from django.test import RequestFactory

    request = RequestFactory().get("/")
    request.user = superuser
    names = [name for name in article_admin.get_actions(request) if "publish" in name and "unpublish" not in name]
    assert names, "the admin has a publish action"
    return names[0]


@pytest.mark.parametrize("role", ROLES)
def test_admin_changelist_and_change_form(users, role, article_admin):
    article = make_article()
    client = client_for(users, role)

    urls = [reverse("admin:articles_article_changelist"), reverse("admin:articles_article_change", args=[article.pk])]
    responses = [client.get(url) for url in urls]

    for url, response in zip(urls, responses):
        if role == "anonymous":
            assert response.status_code == 302 and "/admin/login/" in response["Location"]
            continue
        assert response.status_code == 200
        html = response.content.decode()
        if role == "viewer":
            assert 'name="_save"' not in html
            assert not re.search(r'<input[^>]+name="form-\d+-quality"', html)
            assert not re.search(r'<option value="[a-z_]*publish[a-z_]*"', html)


@pytest.mark.parametrize("role", ROLES)
def test_admin_change_form_post(users, role, article_admin):
    article = make_article(quality=50)
    change_url = reverse("admin:articles_article_change", args=[article.pk])
    data = admin_form_data(client_for(users, "superuser").get(change_url))
    quality_key = next(key for key in data if key == "quality")
    data[quality_key] = "77"
    data["_save"] = "Save"

    response = client_for(users, role).post(change_url, data)

    article.refresh_from_db()
    if role in ("anonymous", "viewer"):
        assert response.status_code in (302, 403) and article.quality == 50
        if role == "viewer":
            assert response.status_code == 403
    else:
        assert response.status_code == 302, response.context and response.context["adminform"].form.errors
        assert article.quality == 77
        assert AuditEntry.objects.filter(article=article, source="admin", field="quality").exists()


@pytest.mark.parametrize("role", ROLES)
def test_admin_publish_action(users, role, article_admin):
    article = make_article()
    action = publish_action_name(article_admin, users["superuser"])

    response = client_for(users, role).post(
        reverse("admin:articles_article_changelist"), {"action": action, "_selected_action": [article.pk], "index": 0}
    )

    article.refresh_from_db()
    if role in ("anonymous", "viewer"):
        # A viewer's changelist offers no actions, so the POST just shows the list again.
        assert response.status_code == (302 if role == "anonymous" else 200)
        assert article.status == Article.Status.AWAITING_REVIEW and not AuditEntry.objects.exists()
    else:
        assert response.status_code == 302
        assert article.status == Article.Status.PUBLISHED
