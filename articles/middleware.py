"""What every request and response goes through: a Content-Security-Policy, no caching of editorial pages,
and no NUL character reaching a view.

Pages use no inline script or style and no external host: everything comes
from our own static files. Video embeds (review page) are the one exception,
limited to an allowlist of hosts, and always sandboxed. Django's admin needs
no relaxation: its templates carry no inline script or style attribute, and
its widgets (select2, calendars) style elements through the DOM, which CSP
allows.
"""

from django.conf import settings
from django.http import Http404, HttpResponse, HttpResponseBadRequest, JsonResponse
from django.urls import Resolver404, resolve
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


NUL = "\x00"
NUL_MESSAGE = "Null characters are not allowed."
FORM_CONTENT_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


class RefuseNulMiddleware:
    """No path, parameter or cookie holding a NUL character reaches a view.

    PostgreSQL cannot store or compare text with NUL (psycopg refuses the
    query), so a lookup by such a value is a server error wherever it
    happens: an API key, a provider domain, a search, an admin filter or
    autocomplete term. One check here covers every page, the admin's
    included: a path with NUL names nothing (404); a GET or POST parameter
    with NUL is refused with 400 naming it (JSON on the API); a cookie with NUL
    is dropped, as a cookie that is not ours would be.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if NUL in request.path_info:
            raise Http404("No such page.")
        name = parameter_with_nul(request)
        if name is not None:
            return bad_parameter(request, name, NUL_MESSAGE)
        for cookie in [name for name, value in request.COOKIES.items() if NUL in name or NUL in value]:
            del request.COOKIES[cookie]
        return self.get_response(request)


def parameter_with_nul(request) -> str | None:
    parameters = [request.GET]
    if request.method == "POST" and request.content_type in FORM_CONTENT_TYPES:
        parameters.append(request.POST)
    for query in parameters:
        for name, values in query.lists():
            if NUL in name or any(NUL in value for value in values):
                return name
    return None


def bad_parameter(request, name: str, message: str) -> HttpResponse:
    """400 naming the parameter: JSON on the API, as its own errors are, plain text elsewhere."""
    try:
        match = resolve(request.path_info)
    except Resolver404:
        match = None
    if match is not None and match.namespace == PUBLIC_NAMESPACE and (match.url_name or "").startswith("api-"):
        return JsonResponse({"error": "invalid parameter", "fields": {name: [message]}}, status=400)
    shown = name.replace(NUL, "\\0")
    return HttpResponseBadRequest(
        f"Bad request: parameter “{shown}”: {message}\n", content_type="text/plain; charset=utf-8"
    )
