"""URL checks and canonical forms, shared by the importer and the templates. Pure Python."""

import hashlib
import re
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

# Scheme, optional user info, a host, an optional port, then the end or a path/query/fragment; no whitespace or controls.
_SAFE_URL = re.compile(r"https?://(?:[^/?#@\s]*@)?[^/?#@:\s\x00-\x1f\x7f]+(?::\d{1,5})?(?:[/?#][^\s\x00-\x1f\x7f]*)?\Z", re.IGNORECASE)
_SIMPLE_URL = re.compile(r"(https?)://([^/?#@:]+)(/[^?#]*)?\Z", re.IGNORECASE)
TRACKING_PARAMETERS = frozenset(
    {
        "fbclid", "gclid", "dclid", "gbraid", "wbraid", "msclkid", "yclid", "igshid", "mc_cid", "mc_eid",
        "_hsenc", "_hsmi", "mkt_tok", "vero_id", "oly_anon_id", "oly_enc_id", "_ga", "_gl",
    }
)


def is_http_url(value: str) -> bool:
    """True for an absolute http(s) URL with a host and no whitespace or control characters."""
    return isinstance(value, str) and _SAFE_URL.match(value) is not None


def is_tracking_parameter(name: str) -> bool:
    name = name.lower()
    return name.startswith("utm_") or name in TRACKING_PARAMETERS


def canonical_url(url: str) -> str:
    """The form two URLs of the same story share: scheme and host lower-cased, default port,
    tracking parameters, fragment and trailing slash dropped."""
    simple = _SIMPLE_URL.match(url)
    if simple:  # the common case, without a query, fragment or port: only case and the trailing slash change
        scheme, host, path = simple.groups()
        return f"{scheme.lower()}://{host.lower()}{(path or '').rstrip('/')}"
    parts = urlsplit(url.strip())
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
