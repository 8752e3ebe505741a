"""Login throttling against password guessing, for our login page and the admin's.

Attempts are counted in the cache per (username, client address), each one
atomically (`cache.incr`) before its password is checked: however many
requests arrive at once, at most LOGIN_FAILURE_LIMIT passwords are checked.
After LOGIN_FAILURE_LIMIT failures within LOGIN_LOCKOUT_SECONDS, that pair is
locked out for LOGIN_LOCKOUT_SECONDS: every attempt is refused before the
password is checked, so a guess made during the lock-out learns nothing. A
successful login clears the count. The check lives in the authentication
form, so the admin (`AdminSite.login_form`) and our `LoginView` share it.
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

    def start_attempt(self) -> int | None:
        """Count an attempt before its password is checked: its number, or None when the pair is locked out
        (or the attempts already under way use up the limit) and the password must not be checked."""
        if cache.get(self.lock_key):
            return None
        attempt = self._count()
        return attempt if attempt <= settings.LOGIN_FAILURE_LIMIT else None

    def _count(self) -> int:
        while True:
            if cache.add(self.failures_key, 1, timeout=settings.LOGIN_LOCKOUT_SECONDS):
                return 1
            try:
                return cache.incr(self.failures_key)
            except ValueError:  # expired between add and incr: start again
                continue

    def record_failure(self, attempt: int) -> None:
        """The attempt's password was wrong: the one that reaches the limit locks the pair out. The count is
        left to expire, so attempts already under way cannot start a fresh one."""
        if attempt >= settings.LOGIN_FAILURE_LIMIT:
            cache.set(self.lock_key, True, timeout=settings.LOGIN_LOCKOUT_SECONDS)

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
    """Counts the attempt, refusing a locked-out (username, address) before authenticating; locks the pair out
    at the limit; resets on success."""

    def clean(self):
        username = self.cleaned_data.get("username")
        if not username:
            return super().clean()
        throttle = LoginThrottle.for_request(self.request, username)
        attempt = throttle.start_attempt()
        if attempt is None:
            minutes = math.ceil(settings.LOGIN_LOCKOUT_SECONDS / 60)
            raise ValidationError(
                f"Too many failed sign-in attempts for this account. Try again in {minutes} minute"
                f"{'s' if minutes != 1 else ''}.",
                code="locked_out",
            )
        try:
            cleaned = super().clean()
        except ValidationError:
            throttle.record_failure(attempt)
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
