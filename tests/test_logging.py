"""What the console shows: one line per event, and a traceback only for a real error."""

import io
import sys

import pytest
from django.test import Client
from django.urls import reverse
from django.utils.log import configure_logging

from articles import selectors
from tests.builders import make_article


@pytest.fixture
def console(settings, monkeypatch):
    """The project's logging as configured at start-up, writing to a buffer; restored afterwards."""
    settings.DEBUG = True  # the demo: Django's own console handler is live too
    buffer = io.StringIO()
    monkeypatch.setattr(sys, "stderr", buffer)
    configure_logging(settings.LOGGING_CONFIG, settings.LOGGING)
    yield buffer
    monkeypatch.undo()
    configure_logging(settings.LOGGING_CONFIG, settings.LOGGING)


def test_a_refused_change_logs_one_line_without_a_traceback(viewer_client, console):
    article = make_article()

    response = viewer_client.post(
        reverse("articles:scores", args=[article.pk]), {"quality": "1", "heat": "1", "version": "1"}
    )

    assert response.status_code == 403
    lines = console.getvalue().splitlines()
    assert len(lines) == 1, lines
    assert "WARNING django.request: Forbidden (Permission denied): /articles/" in lines[0]


def test_a_server_error_keeps_its_traceback_and_is_logged_once(editor, console, monkeypatch):
    def broken():
        raise RuntimeError("the database went away")

    monkeypatch.setattr(selectors, "dashboard_counts", broken)
    client = Client(raise_request_exception=False)
    client.force_login(editor)

    response = client.get(reverse("articles:dashboard"))

    assert response.status_code == 500
    output = console.getvalue()
    assert output.count("ERROR django.request: Internal Server Error: /") == 1
    assert output.count("Traceback (most recent call last)") == 1 and "RuntimeError: the database went away" in output
