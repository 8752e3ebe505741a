"""Login throttling, the Content-Security-Policy header, and production settings passing `check --deploy`."""

import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.cache import cache
from django.urls import reverse

from tests.conftest import make_user
from tests.builders import make_article

LOGIN = reverse("login")
ADMIN_LOGIN = reverse("admin:login")
PROJECT = Path(__file__).resolve().parent.parent


@pytest.fixture(autouse=True)
def throttle_settings(settings):
    settings.LOGIN_FAILURE_LIMIT = 3
    settings.LOGIN_LOCKOUT_SECONDS = 600
    cache.clear()
    yield
    cache.clear()


def attempt(client, password: str, *, url: str = LOGIN, address: str = "203.0.113.7", username: str = "editor"):
    return client.post(url, {"username": username, "password": password}, REMOTE_ADDR=address)


def logged_in(client) -> bool:
    return "_auth_user_id" in client.session


# login throttling ----------------------------------------------------------------------


def test_a_good_password_signs_in(client, editor):
    response = attempt(client, "pw-editor")
    assert response.status_code == 302 and logged_in(client)


def test_after_the_failure_limit_even_the_right_password_is_refused(client, editor):
    for _ in range(3):
        assert attempt(client, "guess").status_code == 200

    response = attempt(client, "pw-editor")

    assert response.status_code == 429
    assert "Too many failed sign-in attempts" in response.content.decode()
    assert "Try again in 10 minutes" in response.content.decode()
    assert not logged_in(client)


def test_failures_below_the_limit_do_not_lock(client, editor):
    for _ in range(2):
        attempt(client, "guess")
    assert attempt(client, "pw-editor").status_code == 302


def test_a_successful_sign_in_resets_the_count(client, editor):
    for _ in range(2):
        attempt(client, "guess")
    attempt(client, "pw-editor")
    client.logout()
    for _ in range(2):
        attempt(client, "guess")

    assert attempt(client, "pw-editor").status_code == 302


def test_the_lock_is_per_username_and_address(client, editor, second_editor):
    for _ in range(3):
        attempt(client, "guess")

    assert attempt(client, "pw-editor", address="198.51.100.1").status_code == 302
    client.logout()
    assert attempt(client, "pw-editor2", username="editor2").status_code == 302
    client.logout()
    assert attempt(client, "pw-editor", username="EDITOR").status_code == 429  # same account, other case


def test_behind_a_proxy_the_address_comes_from_the_configured_header(client, editor, settings):
    settings.CLIENT_ADDRESS_HEADER = "HTTP_X_FORWARDED_FOR"
    for _ in range(3):
        client.post(LOGIN, {"username": "editor", "password": "guess"}, REMOTE_ADDR="10.0.0.1",
                    HTTP_X_FORWARDED_FOR="1.2.3.4, 203.0.113.7")

    other_client = client.post(LOGIN, {"username": "editor", "password": "pw-editor"}, REMOTE_ADDR="10.0.0.1",
                               HTTP_X_FORWARDED_FOR="198.51.100.9")
    assert other_client.status_code == 302  # same proxy, another client
    client.logout()
    locked = client.post(LOGIN, {"username": "editor", "password": "pw-editor"}, REMOTE_ADDR="10.0.0.1",
                         HTTP_X_FORWARDED_FOR="9.9.9.9, 203.0.113.7")  # a forged first hop changes nothing
    assert locked.status_code == 429


def test_the_admin_login_is_throttled_too(client, db):
    make_user("chief", None, is_staff=True)
    for _ in range(3):
        attempt(client, "guess", url=ADMIN_LOGIN, username="chief")

    response = attempt(client, "pw-chief", url=ADMIN_LOGIN, username="chief")

    assert "Too many failed sign-in attempts" in response.content.decode()
    assert not logged_in(client)


def test_admin_and_site_logins_share_the_count(client, editor):
    attempt(client, "guess", url=ADMIN_LOGIN)
    attempt(client, "guess")
    attempt(client, "guess", url=ADMIN_LOGIN)
    assert attempt(client, "pw-editor").status_code == 429


# Content-Security-Policy ----------------------------------------------------------------


def csp(response) -> dict[str, str]:
    header = response.headers["Content-Security-Policy"]
    return dict(part.strip().split(" ", 1) for part in header.split(";"))


def test_pages_carry_a_strict_content_security_policy(client):
    policy = csp(client.get(LOGIN))
    assert policy["script-src"] == "'self'"
    assert policy["style-src"] == "'self'"
    assert policy["object-src"] == "'none'" and policy["frame-ancestors"] == "'none'"
    assert policy["default-src"] == "'self'"


@pytest.mark.parametrize(
    "url_name", ["admin:index", "admin:articles_article_changelist", "admin:articles_article_change", "admin:login"]
)
def test_admin_pages_get_the_same_policy_and_need_nothing_it_forbids(client, superuser, url_name):
    article = make_article(images=1)
    if url_name != "admin:login":
        client.force_login(superuser)
    url = reverse(url_name, args=[article.pk] if url_name.endswith("_change") else [])

    response = client.get(url)

    assert response.status_code == 200
    assert csp(response) == csp(client.get(LOGIN))
    html = response.content.decode()
    assert not re.search(r"<script(?![^>]*\bsrc=)(?![^>]*application/json)[^>]*>", html), "inline script"
    assert not re.search(r"<[^>]+\sstyle=", html), "inline style attribute"
    assert "<style" not in html


# production settings --------------------------------------------------------------------


def test_check_deploy_is_clean_with_production_settings():
    """The real settings module, as a fresh process sees it with only the production environment set."""
    env = {name: value for name, value in os.environ.items() if name not in {"HTTPS", "DJANGO_SETTINGS_MODULE"}}
    env.update(DEBUG="0", SECRET_KEY=secrets.token_urlsafe(50), ALLOWED_HOSTS="example.com")

    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=PROJECT, env=env, capture_output=True, text=True, timeout=120,
    )

    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout
