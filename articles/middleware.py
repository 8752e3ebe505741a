"""A Content-Security-Policy header on every response.

Pages use no inline script or style and no external host: everything comes
from our own static files. Video embeds (review page) are the one exception,
limited to an allowlist of hosts, and always sandboxed. The Django admin gets
one relaxation, styles only: its widgets (select2, calendars, collapsible
fieldsets) set inline style attributes. Its scripts stay 'self'.
"""

from django.conf import settings
from django.urls import NoReverseMatch, reverse

EMBED_HOSTS = ("https://www.youtube.com", "https://www.youtube-nocookie.com", "https://player.vimeo.com")


def content_security_policy(*, inline_styles: bool = False) -> str:
    directives = {
        "default-src": "'self'",
        "script-src": "'self'",
        "style-src": "'self' 'unsafe-inline'" if inline_styles else "'self'",
        "img-src": "'self' https: data:",
        "frame-src": " ".join(EMBED_HOSTS),
        "object-src": "'none'",
        "base-uri": "'none'",
        "form-action": "'self'",
        "frame-ancestors": "'none'",
    }
    return "; ".join(f"{name} {value}" for name, value in directives.items())


class ContentSecurityPolicyMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response
        self.header = getattr(settings, "CONTENT_SECURITY_POLICY", None) or content_security_policy()
        self.admin_header = getattr(settings, "ADMIN_CONTENT_SECURITY_POLICY", None) or content_security_policy(
            inline_styles=True
        )
        self._admin_prefix = None

    def __call__(self, request):
        response = self.get_response(request)
        header = self.admin_header if self.is_admin(request.path) else self.header
        response.headers.setdefault("Content-Security-Policy", header)
        return response

    def is_admin(self, path: str) -> bool:
        if self._admin_prefix is None:
            try:
                self._admin_prefix = reverse("admin:index")
            except NoReverseMatch:
                self._admin_prefix = ""
        return bool(self._admin_prefix) and path.startswith(self._admin_prefix)
