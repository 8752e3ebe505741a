"""Playwright (sync API) driving Debian's chromium against pytest-django's live server.

Skips cleanly without /usr/bin/chromium or the playwright package; never downloads a browser.
"""

import importlib
import os
import re
from pathlib import Path

import pytest

from tests.builders import make_article

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync",
]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


@pytest.fixture(scope="module")
def browser():
    if not os.path.exists(CHROMIUM):
        pytest.skip(f"{CHROMIUM} is not installed")
    sync_api = pytest.importorskip("playwright.sync_api")
    # Playwright's sync API runs an event loop in this thread; Django refuses ORM calls there unless told
    # it is fine. Only while the browser runs, so other tests keep Django's check.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_api.sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
            yield browser
            browser.close()
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture
def open_page(browser, live_server, roles, monkeypatch):
    """A function that opens a page in a new browser context (`browser.new_context` options), closed at the end."""
    # The browser keeps connections alive, and a live-server thread serving one keeps its database
    # connection for CONN_MAX_AGE: without this, PostgreSQL refuses to drop the test database at the end.
    from django.db import connections

    monkeypatch.setitem(connections.settings["default"], "CONN_MAX_AGE", 0)
    contexts = []

    def open_page(**options):
        defaults = {"base_url": live_server.url, "viewport": {"width": 1440, "height": 900}}
        context = browser.new_context(**{**defaults, **options})
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(10_000)
        return page

    yield open_page
    for context in contexts:
        context.close()


@pytest.fixture
def page(open_page):
    return open_page()


@pytest.fixture
def artifacts() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


def ensure_roles() -> None:
    """The Editors and Viewers groups, as migrations 0002 and 0008 make them.

    A live-server test runs on a transactional database that is flushed afterwards, which
    empties the groups table (permissions come back through post_migrate, groups do not).
    """
    from django.contrib.auth.models import Group, Permission

    roles = importlib.import_module("articles.migrations.0002_roles")
    rule_roles = importlib.import_module("articles.migrations.0008_rule_roles")
    for name, codenames in (
        ("Editors", roles.EDITOR_CODENAMES + rule_roles.EDITOR_CODENAMES),
        ("Viewers", roles.VIEWER_CODENAMES + rule_roles.VIEWER_CODENAMES),
    ):
        group, _ = Group.objects.get_or_create(name=name)
        group.permissions.set(Permission.objects.filter(content_type__app_label="articles", codename__in=codenames))


_flushed = []


@pytest.fixture
def roles(transactional_db):
    ensure_roles()
    _flushed.append(True)


@pytest.fixture(scope="module", autouse=True)
def roles_restored_after_flush(django_db_blocker):
    """Puts the groups back once this module's flushes are done, for the tests that run after it
    (only when a test here set the test database up and flushed it)."""
    yield
    if _flushed:
        _flushed.clear()
        with django_db_blocker.unblock():
            ensure_roles()


def expect(page):
    from playwright.sync_api import expect as playwright_expect

    return playwright_expect(page)


@pytest.fixture
def newsroom(roles, live_server):
    """Nine articles awaiting review (six about the harbour, newest first) and one published,
    with thumbnails the live server itself serves (the tests never leave the machine)."""
    from articles.models import Article, ArticleImage

    harbour = [
        make_article(title=f"Harbour story {i}", quality=40 + i, heat=10 * i, topics=["Transport"]) for i in range(6)
    ]
    others = [make_article(title=f"Forest story {i}") for i in range(3)]
    make_article(title="Harbour story already out", status=Article.Status.PUBLISHED)
    ArticleImage.objects.update(url=f"{live_server.url}/static/sample/harbor.svg")
    return {"harbour": harbour, "others": others}


def log_in(page, username: str) -> None:
    page.goto("/")
    expect(page).to_have_url(re.compile(r"/accounts/login/\?next=/$"))
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill("pw-" + username)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()
