"""The demo accounts: created once by `make run`, never reset behind an editor's back."""

import io
import re

import pytest
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse

pytestmark = pytest.mark.django_db


def run(*args) -> str:
    out = io.StringIO()
    call_command("create_demo_users", *args, stdout=out)
    return out.getvalue()


def passwords(output: str) -> dict[str, str]:
    return dict(re.findall(r"username '(\w+)', password '([^']+)'", output))


@pytest.fixture(autouse=True)
def demo(settings):
    settings.DEBUG = True


def test_the_first_run_creates_both_accounts_and_prints_their_passwords():
    created = passwords(run())

    assert set(created) == {"editor", "viewer"}
    assert Client().login(username="editor", password=created["editor"])
    assert User.objects.get(username="viewer").groups.get().name == "Viewers"


def test_a_later_run_keeps_the_passwords_and_the_open_sessions():
    created = passwords(run())
    browser = Client()
    browser.login(username="editor", password=created["editor"])

    output = run()

    assert passwords(output) == {}
    assert "already exist" in output and "create_demo_users --reset" in output
    assert Client().login(username="editor", password=created["editor"])
    assert browser.get(reverse("articles:dashboard")).status_code == 200


def test_reset_gives_new_passwords():
    created = passwords(run())

    reset = passwords(run("--reset"))

    assert set(reset) == {"editor", "viewer"} and reset["editor"] != created["editor"]
    assert Client().login(username="editor", password=reset["editor"])


def test_refused_without_debug(settings):
    settings.DEBUG = False

    with pytest.raises(CommandError, match="DEBUG=1"):
        run()
