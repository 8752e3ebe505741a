"""Headers every response gets: a Content-Security-Policy, and no caching of editorial pages.

Pages use no inline script or style and no external host: everything comes
from our own static files. Video embeds (review page) are the one exception,
limited to an allowlist of hosts, and always sandboxed. Django's admin needs
no relaxation: its templates carry no inline script or style attribute, and
its widgets (select2, calendars) style elements through the DOM, which CSP
allows.
"""

from django.conf import settings
from django.utils.cache import add_never_cache_headers

EMBED_HOSTS = ("https://www.youtube.com", "https://www.youtube-nocookie.com", "https://player.vimeo.com")


def content_security_policy() -> str:
    directives = {
        "default-src": "'self'",
        "script-src": "'self'",
        "style-src": "'self'",
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

    def __call__(self, request):
        response = self.get_response(request)
        response.headers.setdefault("Content-Security-Policy", self.header)
        return response


PUBLIC_NAMESPACE = "public"  # articles/public_urls.py: the feeds and the API


class PrivatePagesMiddleware:
    """Every response but the public feeds' and API's is `Cache-Control: private, no-store` (Django's never_cache,
    as its admin and login already send): editorial pages show unpublished items to one signed-in user, and a
    shared proxy must not keep them. Private by default, so a page added later is covered without a decorator;
    the public views keep the caching they declare."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        match = request.resolver_match
        if match is None or match.namespace != PUBLIC_NAMESPACE:
            add_never_cache_headers(response)
        return response
