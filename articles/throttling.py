"""Login throttling against password guessing, for our login page and the admin's.

Failures are counted in the cache per (username, client address). After
LOGIN_FAILURE_LIMIT failures within LOGIN_LOCKOUT_SECONDS, that pair is locked
out for LOGIN_LOCKOUT_SECONDS: every attempt is refused before the password is
checked, so a guess made during the lock-out learns nothing. A successful login
clears the count. The check lives in the authentication form, so the admin
(`AdminSite.login_form`) and our `LoginView` share it.
"""

import hashlib
import math

from django.conf import settings
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.forms import AuthenticationForm
from django.contrib.auth.views import LoginView
from django.core.cache import cache
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError


class LoginThrottle:
    def __init__(self, username: str, address: str):
        digest = hashlib.sha256(f"{username.strip().lower()}\n{address}".encode()).hexdigest()
        self.failures_key = f"login-failures:{digest}"
        self.lock_key = f"login-locked:{digest}"

    @classmethod
    def for_request(cls, request, username: str) -> "LoginThrottle":
        return cls(username, client_address(request) if request is not None else "")

    def is_locked(self) -> bool:
        return bool(cache.get(self.lock_key))

    def record_failure(self) -> None:
        cache.add(self.failures_key, 0, timeout=settings.LOGIN_LOCKOUT_SECONDS)
        try:
            failures = cache.incr(self.failures_key)
        except ValueError:  # expired between add and incr
            failures = 1
            cache.set(self.failures_key, failures, timeout=settings.LOGIN_LOCKOUT_SECONDS)
        if failures >= settings.LOGIN_FAILURE_LIMIT:
            cache.set(self.lock_key, True, timeout=settings.LOGIN_LOCKOUT_SECONDS)
            cache.delete(self.failures_key)

    def reset(self) -> None:
        cache.delete(self.failures_key)


def client_address(request) -> str:
    """REMOTE_ADDR, or behind a reverse proxy the address it reports (settings.CLIENT_ADDRESS_HEADER).

    With X-Forwarded-For the last entry is the one our proxy appended; earlier ones are the client's to invent.
    """
    header = getattr(settings, "CLIENT_ADDRESS_HEADER", "")
    forwarded = request.META.get(header, "") if header else ""
    if forwarded:
        return forwarded.split(",")[-1].strip()
    return request.META.get("REMOTE_ADDR", "")


class ThrottledLoginMixin:
    """Refuses a locked-out (username, address) before authenticating; counts failures; resets on success."""

    def clean(self):
        username = self.cleaned_data.get("username")
        if not username:
            return super().clean()
        throttle = LoginThrottle.for_request(self.request, username)
        if throttle.is_locked():
            minutes = math.ceil(settings.LOGIN_LOCKOUT_SECONDS / 60)
            raise ValidationError(
                f"Too many failed sign-in attempts for this account. Try again in {minutes} minute"
                f"{'s' if minutes != 1 else ''}.",
                code="locked_out",
            )
        try:
            cleaned = super().clean()
        except ValidationError:
            throttle.record_failure()
            raise
        throttle.reset()
        return cleaned


class ThrottledAuthenticationForm(ThrottledLoginMixin, AuthenticationForm):
    pass


class ThrottledAdminAuthenticationForm(ThrottledLoginMixin, AdminAuthenticationForm):
    pass


class ThrottledLoginView(LoginView):
    """Our login page: a lock-out answers 429 Too Many Requests, with the form and its message."""

    form_class = ThrottledAuthenticationForm

    def form_invalid(self, form):
        response = super().form_invalid(form)
        if form.has_error(NON_FIELD_ERRORS, "locked_out"):
            response.status_code = 429
        return response
