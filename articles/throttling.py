"""Login throttling against password guessing (placeholder: the editorial issue fills it in)."""

from django.contrib.auth.views import LoginView


class ThrottledLoginView(LoginView):
    pass
