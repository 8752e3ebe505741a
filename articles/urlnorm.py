"""URLs from imported files: how a browser reads them, which may be stored, which may be rendered, and the
canonical form duplicate detection compares. Pure Python (Django's settings are read only for the default base).

Sources write absolute URLs, protocol-relative ones (`//cdn.example.com/x.jpg`) and site-relative paths
(`/assets/logo.jpg`). All three are stored verbatim; a scheme other than http(s) (`javascript:`, `data:`, ...)
is refused. Every check works on the URL as a browser reads it (`browser_form`), following the WHATWG URL
standard's first steps, so the link we render, the host we show and the key that finds duplicates are the
ones the browser will follow (`https://evil.example\\@good.example/` goes to evil.example in a browser: its
backslash ends the host).

`link_url` is the one place that decides what becomes an `href` or a `src`: the importer, templates, admin,
feeds and API all ask it.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from urllib.parse import parse_qsl, quote, urlencode, urljoin, urlsplit, urlunsplit

SAFE_SCHEMES = frozenset({"http", "https"})
ABSOLUTE, PROTOCOL_RELATIVE, RELATIVE = "absolute", "protocol-relative", "relative"

# The common case, checked first: an absolute http(s) URL with a plain host and nothing a browser rewrites.
_PLAIN_URL = re.compile(r"https?://[A-Za-z0-9.-]+(?::\d{1,4})?(?:[/?#][!#-;=?-\[\]_a-z~\x80-\U0010ffff]*)?\Z", re.I)
_SIMPLE_URL = re.compile(r"(https?)://([^/?#@:]+)(/[^?#]*)?\Z", re.IGNORECASE)
_EDGE_CONTROLS = "".join(map(chr, range(0x21)))  # C0 controls and space, which browsers strip from both ends
_TAB_OR_NEWLINE = re.compile("[\t\n\r]")
_SCHEME = re.compile(r"([A-Za-z][A-Za-z0-9+.-]*):")
# Characters a browser percent-encodes when it reads a URL (C0 controls, space, quotes, angle brackets, DEL).
_ENCODED_BY_BROWSERS = re.compile('[\x00-\x20"<>`\x7f]')
_HOST = re.compile(r"(?:\[[0-9A-Fa-f:.]+\]|[^\x00-\x20\x7f#%/:<>?@\[\\\]^|]+)\Z")
_PORT = re.compile(r"\d{0,5}\Z")
TRACKING_PARAMETERS = frozenset(
    {
        "fbclid", "gclid", "dclid", "gbraid", "wbraid", "msclkid", "yclid", "igshid", "mc_cid", "mc_eid",
        "_hsenc", "_hsmi", "mkt_tok", "vero_id", "oly_anon_id", "oly_enc_id", "_ga", "_gl",
    }
)


class UnsafeUrl(ValueError):
    """A URL we will neither store nor render; the message says why."""


@dataclass(frozen=True)
class Url:
    form: str  # as a browser reads it
    kind: str  # ABSOLUTE, PROTOCOL_RELATIVE or RELATIVE

    @property
    def is_link(self) -> bool:
        """Usable as an item's own link without knowing the source site: it names its host."""
        return self.kind != RELATIVE


def browser_form(value: str) -> str:
    """`value` as a browser reads it: C0 controls and spaces stripped from both ends, tabs and line breaks
    removed anywhere, backslashes before the query read as slashes, and what browsers percent-encode
    (space, quotes, angle brackets, controls) percent-encoded."""
    text = _TAB_OR_NEWLINE.sub("", value.strip(_EDGE_CONTROLS))
    cut = min((index for index in (text.find("?"), text.find("#")) if index != -1), default=len(text))
    text = text[:cut].replace("\\", "/") + text[cut:]
    return _ENCODED_BY_BROWSERS.sub(lambda match: quote(match.group(), safe=""), text)


def read_url(value: str) -> Url:
    """The URL a browser would follow for `value`, and its kind; UnsafeUrl when we must not keep it."""
    if not isinstance(value, str):
        raise UnsafeUrl("not text")
    if _PLAIN_URL.match(value):
        return Url(value, ABSOLUTE)
    form = browser_form(value)
    scheme = _SCHEME.match(form)
    if scheme:
        name = scheme.group(1).lower()
        if name not in SAFE_SCHEMES:
            raise UnsafeUrl(f"a {name}: URL (only http and https are allowed)")
        rest = form[scheme.end():]
        if not rest.startswith("//"):
            raise UnsafeUrl("an http(s) URL without '//' and a host")
        _check_authority(rest[2:])
        return Url(form, ABSOLUTE)
    if form.startswith("//"):
        _check_authority(form[2:])
        return Url(form, PROTOCOL_RELATIVE)
    return Url(form, RELATIVE)


def _check_authority(rest: str) -> None:
    authority = re.split(r"[/?#]", rest, maxsplit=1)[0]
    if "@" in authority:
        raise UnsafeUrl("user name or password before the host (user@host) is not allowed in a URL")
    host, port = authority, ""
    if ":" in authority and not authority.endswith("]"):
        host, _, port = authority.rpartition(":")
    if not _PORT.match(port) or (port and int(port) > 65535):
        raise UnsafeUrl(f"not a valid port: {port[:20]!r}")
    if not host:
        raise UnsafeUrl("no host")
    if not _HOST.match(host):
        raise UnsafeUrl(f"not a valid host: {host[:60]!r}")


def is_http_url(value) -> bool:
    """True for an absolute http(s) URL with a host that is safe to follow."""
    try:
        return read_url(value).kind == ABSOLUTE
    except UnsafeUrl:
        return False


def link_url(value, base: str | None = None) -> str:
    """The absolute http(s) URL to render for `value` (link or image), or "" when there is none.

    Absolute URLs are rendered as a browser reads them; protocol-relative ones take the scheme of `base`
    (https without one); site-relative ones are resolved against `base`, and show nothing without it.
    `base` defaults to the SOURCE_SITE_URL setting.
    """
    if not value or not isinstance(value, str):
        return ""
    if _PLAIN_URL.match(value):
        return value
    try:
        url = read_url(value)
    except UnsafeUrl:
        return ""
    if url.kind == ABSOLUTE:
        return url.form
    base = source_site_url() if base is None else base
    if base and not is_http_url(base):
        base = ""
    if url.kind == PROTOCOL_RELATIVE:
        scheme = urlsplit(base).scheme.lower() if base else "https"
        return f"{scheme}:{url.form}"
    if not base:
        return ""
    resolved = urljoin(base, url.form)
    return resolved if is_http_url(resolved) else ""


def source_site_url() -> str:
    """SOURCE_SITE_URL from Django's settings, when Django is configured."""
    try:
        from django.conf import settings

        return getattr(settings, "SOURCE_SITE_URL", "") or ""
    except Exception:  # noqa: BLE001 - outside Django (a worker, a script): no base
        return ""


def is_tracking_parameter(name: str) -> bool:
    name = name.lower()
    return name.startswith("utm_") or name in TRACKING_PARAMETERS


def canonical_url(url: str) -> str:
    """The form two URLs of the same story share: read as a browser reads it, scheme (https when it has
    none) and host lower-cased, default port, tracking parameters, fragment and trailing slash dropped."""
    simple = _SIMPLE_URL.match(url)
    if simple:  # the common case, without a query, fragment or port: only case and the trailing slash change
        scheme, host, path = simple.groups()
        return f"{scheme.lower()}://{host.lower()}{(path or '').rstrip('/')}"
    form = browser_form(url)
    if form.startswith("//"):
        form = "https:" + form
    parts = urlsplit(form)
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    try:
        port = parts.port if parts.port not in (None, 80 if scheme == "http" else 443) else None
    except ValueError:  # out of range: keep it as written
        port = parts.netloc.rpartition(":")[2]
    netloc = f"{host}:{port}" if port else host
    query = urlencode([(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if not is_tracking_parameter(k)])
    path = parts.path.rstrip("/")
    return urlunsplit((scheme, netloc, path, query, ""))


def url_key(url: str) -> str:
    """A fixed-size key of the canonical URL, for an index (URLs can outgrow a B-tree entry)."""
    if not url:
        return ""
    return hashlib.sha1(canonical_url(url).encode("utf-8")).hexdigest()
