"""The review queue's rows, built in Python, as the admin builds its result list.

A queue page shows 50 to 200 rows of about forty values each. Through the
template engine each value is looked up, localised and escaped on its own:
about 0.4 ms a row, most of the page's time at 100,000 articles (the queries
take under a millisecond). Here each value is escaped once, however often
the row repeats it (the title appears four times): a page of 50 rows renders in
a few milliseconds. The markup is what the row template was; the status badge,
markers and score badge come from `newsroom`'s tags, shared with the review page.
"""

from __future__ import annotations

from dataclasses import dataclass
from html import escape
from urllib.parse import quote

from django import template
from django.middleware.csrf import get_token
from django.urls import reverse
from django.utils.formats import date_format
from django.utils.safestring import SafeString, mark_safe

from articles import timestamps
from articles.schema import NOT_SCORED, is_unscored
from articles.urlnorm import link_url

from .newsroom import markers, score_badge, status_badge

register = template.Library()


@dataclass(frozen=True)
class RowContext:
    """What every row of one page shares, each piece already escaped."""

    can_change: bool
    can_publish: bool
    queue_url: str
    queue_query: str
    here: str
    csrf_input: str
    review_url: UrlPerArticle
    scores_url: UrlPerArticle
    typed_scores: dict  # a row's refused scores as the editor typed them (`views.scores`): id, quality, heat, invalid

    @classmethod
    def from_template(cls, context) -> RowContext:
        request = context["request"]
        return cls(
            can_change=bool(context.get("can_change")),
            can_publish=bool(context.get("can_publish")),
            queue_url=escape(reverse("articles:queue")),
            queue_query=escape(str(context.get("queue_query") or "")),
            here=escape(str(context.get("here") or "")),
            csrf_input=f'<input type="hidden" name="csrfmiddlewaretoken" value="{escape(get_token(request))}">',
            review_url=UrlPerArticle("articles:review"),
            scores_url=UrlPerArticle("articles:scores"),
            typed_scores=context.get("typed_scores") or {},
        )


class UrlPerArticle:
    """`reverse(name, args=[pk])` for many pks at the cost of one: reversed once around a placeholder
    pk, then filled in (reverse() is about a sixth of a row's time)."""

    PLACEHOLDER = "2147483647"

    def __init__(self, name: str):
        url = reverse(name, args=[int(self.PLACEHOLDER)])
        self.prefix, self.suffix = (escape(part) for part in url.split(self.PLACEHOLDER))  # the pk occurs once

    def __call__(self, pk: int) -> str:
        return f"{self.prefix}{pk}{self.suffix}"


@register.simple_tag(takes_context=True)
def queue_rows(context, articles) -> SafeString:
    """`<tr>` elements for `articles` (from `selectors.queue_rows()`), as the editor or viewer may act on them."""
    shared = RowContext.from_template(context)
    return mark_safe("".join(queue_row(article, shared) for article in articles))


def queue_row(article, shared: RowContext) -> str:
    pk = article.pk
    title = escape(article.title)
    cells = [f'<tr id="row-{pk}" class="queue-row" data-row>']
    if shared.can_publish:
        cells.append(
            f'<td class="col-select"><input type="checkbox" name="ids" value="{pk}" form="bulk" id="select-{pk}" data-select>'
            f'<label for="select-{pk}" class="visually-hidden">Select “{title}”</label></td>'
        )
    cells.append(f'<td class="col-thumb">{thumbnail(article.thumbnail_url)}</td>')
    cells.append(
        f'<td class="col-title"><a class="row-link" href="{shared.review_url(pk)}{shared.queue_query}" '
        f'data-row-link>{title}</a><div class="row-meta">{row_meta(article, shared)}</div>'
        f"{story_members(article, shared)}</td>"
    )
    cells.append(f'<td class="col-provider">{provider_link(article.provider, shared)}</td>')
    cells.append(f'<td class="col-date">{published_date(article.published_date_time)}</td>')
    if shared.can_change:
        typed = shared.typed_scores if shared.typed_scores.get("id") == pk else {}
        cells.append(score_input("quality", article.quality, pk, title, typed))
        cells.append(score_input("heat", article.heat, pk, title, typed))
        cells.append(
            f'<td class="col-save"><form method="post" action="{shared.scores_url(pk)}" '
            f'id="scores-{pk}" class="inline-form">{shared.csrf_input}'
            f'<input type="hidden" name="version" value="{article.version}">'
            f'<input type="hidden" name="next" value="{shared.here}#row-{pk}">'
            f'<button type="submit" class="button button--small" aria-label="Save scores of “{title}”">Save</button>'
            "</form></td>"
        )
    else:
        cells.append(f'<td class="num col-score" data-label="Quality">{score_badge("quality", article.quality)}</td>')
        cells.append(f'<td class="num col-score" data-label="Heat">{score_badge("heat", article.heat)}</td>')
    cells.append(f'<td class="col-status">{status_badge(article)}</td></tr>')
    return "".join(cells)


def thumbnail(url) -> str:
    src = link_url(url)
    if not src:
        return '<span class="thumb-empty" aria-hidden="true"></span>'
    return f'<img src="{escape(src)}" alt="" width="72" height="48" loading="lazy" referrerpolicy="no-referrer">'


def row_meta(article, shared: RowContext) -> str:
    parts = [f"<span>{escape(value)}</span>" for value in (article.category, article.type) if value]
    for link in article.topic_links.all():
        topic = link.topic
        parts.append(f'<a class="chip" href="{shared.queue_url}?topic={escape(quote(topic.slug, safe="/"))}">'
                     f"{escape(topic.name)}</a>")
    parts.append(markers(article))
    return "".join(parts)


def story_members(article, shared: RowContext) -> str:
    """In the one-row-per-story view, a lead's other items (`cluster_selectors.with_story_members`), folded."""
    others = getattr(article, "story_others", None)
    if not others:
        return ""
    items = "".join(
        f'<li><a href="{shared.review_url(other.pk)}{shared.queue_query}">{escape(other.title)}</a> '
        f'<span class="subtle">{escape(str(other.provider)) if other.provider else ""}</span> {status_badge(other)}</li>'
        for other in others
    )
    count = len(others)
    return (
        f'<details class="story-members" data-story><summary>+{count} source{"s" if count != 1 else ""}</summary>'
        f'<ul class="plain-list">{items}</ul></details>'
    )


def provider_link(provider, shared: RowContext) -> str:
    if provider is None:
        return '<span class="subtle">—</span>'
    return f'<a href="{shared.queue_url}?provider={escape(quote(provider.key, safe="/"))}">{escape(str(provider))}</a>'


def published_date(value) -> str:
    if value is None:
        return '<span class="subtle">—</span>'
    local = timestamps.shown(value)
    return f'<time datetime="{escape(local.isoformat())}">{escape(date_format(local))}</time>'


def score_input(kind: str, value, pk: int, title: str, typed: dict) -> str:
    """The row's `kind` score as an input: what the editor typed when it was refused, else the article's value;
    an unscored heat is empty with "not scored" as its placeholder (and may be saved empty)."""
    label = "Quality" if kind == "quality" else "Heat"
    if kind in typed:
        shown = escape(str(typed[kind]))
    else:
        shown = "" if is_unscored(kind, value) else escape(str(value))
    extra = f' placeholder="{NOT_SCORED}"' if kind == "heat" else " required"
    if kind in typed.get("invalid", ()):
        extra += ' aria-invalid="true"'
    return (
        f'<td class="num col-score" data-label="{label}">'
        f'<label for="{kind}-{pk}" class="visually-hidden">{label} of “{title}”</label>'
        f'<input type="number" class="score-input" id="{kind}-{pk}" name="{kind}" value="{shown}" '
        f'form="scores-{pk}"{extra}></td>'
    )
