"""The queue's rows, built in Python (`articles/templatetags/queue_rows.py`), and the badges they share with the
review page. Escaping of hostile text in these rows is covered page by page in test_safety.py."""

import datetime as dt

import pytest
from django.urls import reverse, set_script_prefix

from articles.models import Article, ArticleImage
from articles.templatetags.newsroom import markers, score_badge, status_badge
from articles.templatetags.queue_rows import UrlPerArticle
from tests.builders import make_article


def queue_html(client, **params) -> str:
    response = client.get(reverse("articles:queue"), params)
    assert response.status_code == 200
    return response.content.decode()


def row_of(html: str, article: Article) -> str:
    start = html.index(f'<tr id="row-{article.pk}"')
    return html[start : html.index("</tr>", start)]


@pytest.mark.parametrize("pk", [1, 42, 2147483647])
def test_urls_per_article_are_what_reverse_gives(pk):
    assert UrlPerArticle("articles:review")(pk) == reverse("articles:review", args=[pk])
    assert UrlPerArticle("articles:scores")(pk) == reverse("articles:scores", args=[pk])


def test_urls_per_article_keep_a_script_prefix_escaped():
    set_script_prefix("/news&room/")
    try:
        assert UrlPerArticle("articles:review")(7) == "/news&amp;room/articles/7/"
    finally:
        set_script_prefix("/")


def test_an_editor_row_has_selection_score_inputs_and_a_save_form_for_this_version(editor_client):
    article = make_article(title="Ferry timetable", quality=61, heat=-1, version=4)

    row = row_of(queue_html(editor_client, o="-heat"), article)

    assert f'<input type="checkbox" name="ids" value="{article.pk}" form="bulk"' in row
    assert f'id="quality-{article.pk}" name="quality" value="61" form="scores-{article.pk}"' in row
    assert f'id="heat-{article.pk}" name="heat" value="" form="scores-{article.pk}" placeholder="not scored">' in row
    assert f'action="/articles/{article.pk}/scores/" id="scores-{article.pk}"' in row
    assert '<input type="hidden" name="version" value="4">' in row
    assert f'<input type="hidden" name="next" value="/articles/?o=-heat#row-{article.pk}">' in row
    assert 'name="csrfmiddlewaretoken" value="' in row
    assert 'aria-label="Save scores of “Ferry timetable”"' in row


def test_a_viewer_row_shows_scores_as_badges_and_offers_no_action(viewer_client):
    article = make_article(title="Ferry timetable", quality=61, heat=-1)

    row = row_of(queue_html(viewer_client), article)

    assert "<input" not in row and "<form" not in row
    assert score_badge("quality", 61) in row
    assert score_badge("heat", -1) in row and "not scored" in row
    assert status_badge(article) in row


def test_a_row_without_provider_date_or_usable_image_shows_placeholders(editor_client):
    article = make_article(images=0, provider=None, published_date_time=None)
    Article.objects.filter(pk=article.pk).update(provider=None)
    unsafe = make_article(images=0)
    ArticleImage.objects.create(article=unsafe, position=0, url="javascript:alert(1)", width=1, height=1)

    html = queue_html(editor_client)

    row = row_of(html, article)
    assert '<td class="col-provider"><span class="subtle">—</span></td>' in row
    assert '<td class="col-date"><span class="subtle">—</span></td>' in row
    assert '<span class="thumb-empty" aria-hidden="true"></span>' in row
    assert "<img" not in row_of(html, unsafe) and "javascript:" not in html


def test_the_published_date_is_shown_in_the_sites_time_zone(editor_client, settings):
    settings.TIME_ZONE = "Europe/Berlin"
    article = make_article(published_date_time=dt.datetime(2024, 5, 1, 23, 30, tzinfo=dt.timezone.utc))

    row = row_of(queue_html(editor_client), article)

    assert '<time datetime="2024-05-02T01:30:00+02:00">02 May 2024</time>' in row


def test_topic_and_provider_links_are_url_encoded(editor_client):
    article = make_article(topics=["R&D budget"])
    topic = article.topic_links.get().topic
    topic.slug = "r&d budget"
    topic.save()

    row = row_of(queue_html(editor_client), article)

    assert 'href="/articles/?topic=r%26d%20budget"' in row
    assert 'href="/articles/?provider=news.example"' in row


@pytest.mark.parametrize(
    ("kind", "value", "level", "shown"),
    [("quality", 0, "low", "0"), ("quality", 50, "mid", "50"), ("heat", 100, "high", "100"),
     ("heat", -1, "none", "not scored"), ("heat", -7, "none", "not scored"), ("quality", None, "none", "not scored"),
     ("quality", -3, "low", "-3")],
)
def test_score_badge_levels(kind, value, level, shown):
    label = kind.capitalize()
    assert score_badge(kind, value) == (
        f'<span class="score score--{level}" title="{label}"><span class="visually-hidden">{label}: </span>'
        f"{shown}</span>"
    )


def test_markers_and_status_badge(db):
    article = make_article(changed_since_review=True, is_possible_duplicate=False, status=Article.Status.REJECTED)

    assert status_badge(article) == '<span class="status status--rejected">Rejected</span>'
    assert "Changed since review" in markers(article) and "Possible duplicate" not in markers(article)
    article.changed_since_review, article.is_possible_duplicate = False, True
    assert "Changed since review" not in markers(article) and "Possible duplicate" in markers(article)
