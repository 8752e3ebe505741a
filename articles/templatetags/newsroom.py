"""Template filters that keep imported data inert: text is decoded then escaped, URLs are what `urlnorm.link_url`
renders (an absolute http(s) URL) or nothing, embeds come only from an allowlist of video hosts."""

import html
from html.parser import HTMLParser
from urllib.parse import urlsplit, urlunsplit

from django import template
from django.template.defaultfilters import date as date_filter
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.text import capfirst

from articles import timestamps
from articles.display import opaque, short_text
from articles.middleware import EMBED_HOSTS
from articles.schema import NOT_SCORED, is_unscored
from articles.urlnorm import link_url

register = template.Library()

# Host (as written in sources) -> (host we embed from, path prefix a player lives under).
EMBED_PLAYERS = {
    "www.youtube.com": ("www.youtube.com", "/embed/"),
    "youtube.com": ("www.youtube.com", "/embed/"),
    "www.youtube-nocookie.com": ("www.youtube-nocookie.com", "/embed/"),
    "youtube-nocookie.com": ("www.youtube-nocookie.com", "/embed/"),
    "player.vimeo.com": ("player.vimeo.com", "/video/"),
}
assert {f"https://{host}" for host, _ in EMBED_PLAYERS.values()} <= set(EMBED_HOSTS), "CSP must allow every player"


@register.filter
def http_url(value) -> str:
    """The URL to put in an href or src for `value` (`urlnorm.link_url`), else "": `javascript:` and friends never
    become links, and a site-relative path only does against SOURCE_SITE_URL."""
    return link_url(value)


@register.filter
def when(value, format_string=None) -> str:
    """Django's `date` filter for an imported timestamp, which may sit at the edge of the calendar: in local time,
    or in UTC where local time would leave a datetime's range (`date` raises there)."""
    if value is None or value == "":
        return ""
    return date_filter(timestamps.shown(value), format_string)


@register.filter
def decoded(value) -> str:
    """HTML entities decoded (`&#038;` -> `&`); the result is still escaped when rendered."""
    return html.unescape(value) if isinstance(value, str) else ""


register.filter("opaque", opaque)


@register.filter
def as_text(value, field: str = "") -> str:
    """An audit value of `field` as one readable line (`articles.display.short_text`)."""
    return short_text(value, field)


class _FirstIframe(HTMLParser):
    def __init__(self):
        super().__init__()
        self.src = None

    def handle_starttag(self, tag, attrs):
        if tag == "iframe" and self.src is None:
            self.src = dict(attrs).get("src") or ""


@register.filter
def embed_src(featured_content) -> str:
    """The player URL to embed for a featuredContent iframe, or "" when its host is not an allowed video player."""
    if not isinstance(featured_content, str) or "<iframe" not in featured_content.lower():
        return ""
    parser = _FirstIframe()
    try:
        parser.feed(featured_content)
        parser.close()
    except Exception:  # noqa: BLE001 - malformed markup is simply not embedded
        return ""
    src = link_url(parser.src)
    if not src:
        return ""
    parts = urlsplit(src)
    player = EMBED_PLAYERS.get((parts.hostname or "").lower())
    if player is None or parts.port is not None or parts.username or not parts.path.startswith(player[1]):
        return ""
    return urlunsplit(("https", player[0], parts.path, parts.query, ""))


@register.filter
def mapping_name(mapping) -> str:
    """The name (else domain) of a provider mapping as the source gave it."""
    if not isinstance(mapping, dict):
        return ""
    return str(mapping.get("name") or mapping.get("domain") or "")


@register.filter
def first_image_url(images) -> str:
    """The first renderable `url` (`urlnorm.link_url`) in a list of image mappings (provider logos, a related
    item's images), resolved; "" when there is none."""
    for image in images if isinstance(images, list) else []:
        url = link_url(image.get("url")) if isinstance(image, dict) else ""
        if url:
            return url
    return ""


@register.filter
def undo_batch(message) -> str:
    """The batch id a confirmation message offers to undo (carried in its extra tags as `undo:<batch>`)."""
    for tag in (getattr(message, "extra_tags", "") or "").split():
        if tag.startswith("undo:"):
            return tag[len("undo:"):]
    return ""


@register.filter
def score(value, kind: str) -> str:
    """A quality or heat as text: an unscored heat reads "not scored"."""
    return NOT_SCORED if value is None or is_unscored(kind, value) else str(value)


@register.simple_tag
def score_badge(kind: str, value) -> SafeString:
    """A quality or heat value with a level (low/mid/high) for its colour; an unscored heat reads "not scored"."""
    if value is None or is_unscored(kind, value):
        level, shown = "none", NOT_SCORED
    else:
        level = "high" if value >= 100 else "mid" if value >= 50 else "low"
        shown = conditional_escape(value)
    label = conditional_escape(capfirst(kind))
    return format_html(
        '<span class="score score--{}" title="{}"><span class="visually-hidden">{}: </span>{}</span>',
        level, label, label, shown,
    )


@register.simple_tag
def status_badge(article) -> SafeString:
    return format_html('<span class="status status--{}">{}</span>', article.status, article.get_status_display())


@register.simple_tag
def markers(article) -> SafeString:
    """Badges for an article an import changed after its review, a possible duplicate, one marked for attention."""
    badges = []
    if article.changed_since_review:
        badges.append('<span class="marker marker--changed" title="An import changed this item after an editor '
                      'reviewed it">Changed since review</span>')
    if article.is_possible_duplicate:
        badges.append('<span class="marker marker--duplicate" title="Another item has the same canonical URL">'
                      "Possible duplicate</span>")
    if article.needs_attention:
        badges.append('<span class="marker marker--attention" title="An ingest rule marked it for an editor\'s '
                      'attention">Needs attention</span>')
    return mark_safe("".join(badges))


CHART_HEIGHT = 120
CHART_BAR_GAP = 2


@register.inclusion_tag("articles/includes/bar_chart.html")
def bar_chart(
    bars, *, caption: str, link: str = "", label_every: int = 1, bar_width: int = 24, show_values: bool = True
):
    """Inline SVG bars from precomputed values: no script, no style attribute (CSP), no external library."""
    peak = max((bar.value for bar in bars), default=0) or 1
    shapes = []
    for index, bar in enumerate(bars):
        height = round(bar.value / peak * CHART_HEIGHT) if bar.value else 0
        x = index * (bar_width + CHART_BAR_GAP)
        # Labels wider than their bar: the last one ends at the chart's edge instead of running past it.
        ends_at_edge = index == len(bars) - 1 and label_every > 1
        shapes.append({
            "bar": bar,
            "x": x,
            "y": CHART_HEIGHT - height,
            "height": max(height, 1 if bar.value else 0),
            "label_x": x + bar_width / 2,
            "label_end": x + bar_width if ends_at_edge else None,
            "show_label": (len(bars) - 1 - index) % label_every == 0,  # counted back from the last bar: it is labelled
            "href": f"{link}?{bar.query}" if link and bar.query else "",
        })
    return {
        "shapes": shapes,
        "caption": caption,
        "linked": bool(link),  # bars that are links make the chart a group of links, not one image
        "show_values": show_values,
        "bar_width": bar_width,
        "width": max(len(bars) * (bar_width + CHART_BAR_GAP) - CHART_BAR_GAP, 1),
        "height": CHART_HEIGHT,
        "peak": peak if any(bar.value for bar in bars) else 0,
    }
