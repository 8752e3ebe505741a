"""Concurrent sign-in attempts: each is counted before its password is checked, so a burst of them gets no more
password checks than LOGIN_FAILURE_LIMIT allows."""

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.core.cache import cache
from django.test import RequestFactory

from articles.throttling import ThrottledAdminAuthenticationForm, ThrottledAuthenticationForm

THREADS = 40


@pytest.mark.parametrize("form_class", [ThrottledAuthenticationForm, ThrottledAdminAuthenticationForm])
def test_concurrent_attempts_check_at_most_the_limit_of_passwords(settings, monkeypatch, form_class):
    settings.LOGIN_FAILURE_LIMIT = 5
    cache.clear()
    checks = []
    started = threading.Barrier(THREADS)

    def wrong_password(request=None, **credentials):
        checks.append(credentials["username"])
        time.sleep(0.05)  # a password hash takes a while: the other attempts arrive meanwhile
        return None

    monkeypatch.setattr("django.contrib.auth.forms.authenticate", wrong_password)
    request = RequestFactory().post("/accounts/login/", REMOTE_ADDR="203.0.113.9")

    def sign_in(_):
        form = form_class(request, data={"username": "editor", "password": "guess"})
        started.wait()
        valid = form.is_valid()
        return valid, [error.code for error in form.non_field_errors().as_data()]

    with ThreadPoolExecutor(max_workers=THREADS) as pool:
        results = list(pool.map(sign_in, range(THREADS)))

    assert len(checks) == settings.LOGIN_FAILURE_LIMIT
    assert not any(valid for valid, _ in results)
    assert sum(codes == ["locked_out"] for _, codes in results) == THREADS - settings.LOGIN_FAILURE_LIMIT
    later = form_class(request, data={"username": "editor", "password": "guess"})
    assert not later.is_valid() and later.has_error("__all__", "locked_out")
    assert len(checks) == settings.LOGIN_FAILURE_LIMIT
