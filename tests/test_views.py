"""The editors' pages: dashboard, queue (filters, order, pages, bulk, inline scores), review page (edit, conflict,
undo, previous/next), and their query counts."""

import datetime as dt
import re
import time

import pytest
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from articles import cursors, editorial, selectors
from articles.models import Article, AuditEntry, ImportRun
from tests.builders import BASE_TIME, make_article, make_provider

pytestmark = pytest.mark.django_db

def titles(response) -> list[str]:
    return [article.title for article in response.context["page"].items]


def queue(client, **params):
    return client.get(reverse("articles:queue"), params)


def count_queries(client, url) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


# --- dashboard --------------------------------------------------------------------------


def test_dashboard_counts_what_to_act_on_and_links_each_count_to_the_queue(editor_client):
    make_article(status=Article.Status.AWAITING_REVIEW, is_possible_duplicate=True)
    make_article(status=Article.Status.AWAITING_REVIEW, changed_since_review=True)
    make_article(status=Article.Status.PUBLISHED)
    make_article(status=Article.Status.REJECTED)

    response = editor_client.get(reverse("articles:dashboard"))

    assert response.status_code == 200
    counts = response.context["counts"]
    assert (counts["awaiting"], counts["published"], counts["rejected"]) == (2, 1, 1)
    assert (counts["duplicates"], counts["changed"], counts["imported_today"]) == (1, 1, 4)
    html = response.content.decode()
    for query in ("status=awaiting", "status=published", "status=rejected", "duplicates=true", "changed=true"):
        assert f'href="/articles/?{query}"' in html


def test_the_imports_chart_labels_its_last_bar_today(editor_client):
    make_article()

    html = editor_client.get(reverse("articles:dashboard")).content.decode()

    labels = re.findall(r'<text class="chart-label"[^>]*>([^<]+)</text>', html)
    assert labels[-1] == selectors.start_of_today().strftime("%d %b")
    assert f'text-anchor="end">{labels[-1]}</text>' in html  # ends at the chart's edge rather than past it
    assert sum(1 for label in labels if re.fullmatch(r"\d\d [A-Z][a-z]{2}", label)) == 5  # one a week over 30 days


def test_dashboard_lists_the_latest_import_runs_with_their_errors(editor_client):
    ImportRun.objects.create(
        status=ImportRun.Status.FINISHED, files=3, created=2, rejected=1,
        errors=[{"path": "/data/broken.md", "line": 4, "message": "title: missing"}],
    )

    html = editor_client.get(reverse("articles:dashboard")).content.decode()

    assert "/data/broken.md:4" in html and "title: missing" in html
    assert "1 error" in html


def test_dashboard_charts_are_inline_svg_with_bars_linking_to_their_slice(editor_client):
    make_article(quality=60, status=Article.Status.AWAITING_REVIEW)
    make_article(quality=61, status=Article.Status.AWAITING_REVIEW)
    make_article(quality=5, status=Article.Status.AWAITING_REVIEW)

    response = editor_client.get(reverse("articles:dashboard"))

    html = response.content.decode()
    assert html.count("<svg") >= 3 and "<script>" not in html
    quality = {bar.label: bar.value for bar in response.context["quality_bars"]}
    assert quality["50–74"] == 2 and quality["0–24"] == 1
    assert 'href="/articles/?status=awaiting&amp;quality_min=50&amp;quality_max=74"' in html
    assert response.context["imported_per_day"][-1].value == 3


# --- queue: rows, filters, order, pages ----------------------------------------------------


def test_queue_row_shows_thumbnail_title_link_keeping_the_filters_provider_topics_and_markers(editor_client):
    article = make_article(
        title="Harbour reopens", topics=["Transport", "City Hall"],
        changed_since_review=True, is_possible_duplicate=True,
        provider=make_provider("gazette.example", "Harbor Gazette"),
    )

    response = queue(editor_client, q="Harbour", o="-heat")

    html = response.content.decode()
    assert f'href="/articles/{article.pk}/?q=Harbour&amp;o=-heat"' in html
    assert f'src="https://img.example/{article.source_key.split("-")[1]}-0.jpg"' in html
    assert "Harbor Gazette" in html and "?provider=gazette.example" in html
    assert "?topic=transport" in html and "City Hall" in html
    assert "Changed since review" in html and "Possible duplicate" in html


FILTER_CASES = [
    ("q", "lighthouse", {"title": "The lighthouse keeper"}),
    ("q", "harbour", {"excerpt": "The harbour froze."}),
    ("status", "published", {"status": Article.Status.PUBLISHED}),
    ("category", "science", {"category": "science"}),
    ("type", "video", {"type": "video"}),
    ("provider", "wire.example", {"provider": "wire.example"}),
    ("topic", "space", {"topics": ["Space"]}),
    ("quality_min", "90", {"quality": 95}),
    ("quality_max", "5", {"quality": 1}),
    ("heat_min", "90", {"heat": 99}),
    ("heat_max", "-1", {"heat": -1}),
    ("published_after", "2030-01-01", {"published_date_time": dt.datetime(2030, 6, 1, tzinfo=dt.timezone.utc)}),
    ("published_before", "2001-01-01", {"published_date_time": dt.datetime(2000, 6, 1, tzinfo=dt.timezone.utc)}),
    ("duplicates", "true", {"is_possible_duplicate": True}),
    ("changed", "true", {"changed_since_review": True}),
]


@pytest.mark.parametrize(("name", "value", "fields"), FILTER_CASES, ids=[f"{c[0]}={c[1]}" for c in FILTER_CASES])
def test_each_filter_name_narrows_the_queue_to_the_matching_article(editor_client, name, value, fields):
    for _ in range(3):
        make_article()
    fields = dict(fields)
    if "provider" in fields:
        fields["provider"] = make_provider(fields["provider"])
    match = make_article(**fields)

    response = queue(editor_client, **{name: value})

    assert response.status_code == 200
    assert titles(response) == [match.title]
    assert f'value="{value}"' in response.content.decode() or name in ("status", "duplicates", "changed")


def test_an_invalid_filter_value_is_reported_and_ignored(editor_client):
    make_article()

    response = queue(editor_client, quality_min="lots")

    assert response.status_code == 400  # the page, with the error on the form and the other filters applied
    assert len(titles(response)) == 1
    assert "Some filters were ignored" in response.content.decode()


def test_an_invalid_filter_value_is_tied_to_its_field(editor_client):
    html = queue(editor_client, quality_min="lots").content.decode()

    field = re.search(r'<input[^>]*name="quality_min"[^>]*>', html).group()
    assert 'aria-invalid="true"' in field and 'aria-describedby="id_quality_min_error"' in field
    assert re.search(r'<p class="field-error" id="id_quality_min_error">[^<]*whole number', html)


def test_empty_filter_fields_redirect_to_a_short_shareable_url(editor_client):
    response = editor_client.get(reverse("articles:queue") + "?q=&status=published&topic=")

    assert response.status_code == 302
    assert response["Location"] == "/articles/?status=published"


def test_order_by_heat_descending(editor_client):
    for heat in (5, 80, -1, 40):
        make_article(heat=heat, title=f"heat {heat}")

    response = queue(editor_client, o="-heat")

    assert titles(response) == ["heat 80", "heat 40", "heat 5", "heat -1"]


def test_default_order_is_newest_first_with_undated_items_last(editor_client):
    make_article(title="old", published_date_time=BASE_TIME - dt.timedelta(days=30))
    make_article(title="undated", published_date_time=None)
    make_article(title="new", published_date_time=BASE_TIME + dt.timedelta(days=1))

    assert titles(queue(editor_client)) == ["new", "old", "undated"]


def test_pages_past_the_first_without_counting_the_table(editor_client):
    for heat in range(5):
        make_article(heat=heat, title=f"heat {heat}")

    first = queue(editor_client, o="-heat", size=2)
    second = queue(editor_client, o="-heat", size=2, page=2)
    third = queue(editor_client, o="-heat", size=2, page=3)

    assert titles(first) == ["heat 4", "heat 3"] and first.context["page"].has_next
    assert titles(second) == ["heat 2", "heat 1"]
    assert titles(third) == ["heat 0"] and not third.context["page"].has_next
    html = second.content.decode()
    last_shown = second.context["page"].items[-1]
    after = cursors.pack([last_shown.heat, last_shown.pk])
    assert f'rel="next" href="?o=-heat&amp;size=2&amp;page=3&amp;after={after}"' in html
    assert 'rel="prev" href="?o=-heat&amp;size=2"' in html


def test_a_page_past_the_end_is_empty_and_links_back_to_the_first(editor_client):
    make_article()

    response = queue(editor_client, page=9)

    assert titles(response) == []
    assert "Back to the first page" in response.content.decode()


def test_equal_sort_values_never_repeat_across_pages(editor_client):
    ids = {make_article(heat=7).pk for _ in range(5)}

    pages = [queue(editor_client, o="-heat", size=2, page=page).context["page"] for page in (1, 2, 3)]
    seen = [article.pk for page in pages for article in page.items]

    assert sorted(seen) == sorted(ids)


# --- queue: bulk and inline scores ----------------------------------------------------------


def test_bulk_publish_of_three_checked_rows_with_undo(editor_client, editor):
    chosen = [make_article() for _ in range(3)]
    other = make_article()

    response = editor_client.post(
        reverse("articles:bulk"),
        {"action": "publish", "ids": [a.pk for a in chosen], "next": "/articles/?status=awaiting"},
        follow=True,
    )

    assert response.redirect_chain[-1][0] == "/articles/?status=awaiting"
    assert set(Article.objects.published().values_list("pk", flat=True)) == {a.pk for a in chosen}
    assert Article.objects.get(pk=other.pk).status == Article.Status.AWAITING_REVIEW
    html = response.content.decode()
    assert "Published 3 articles." in html
    batch = AuditEntry.objects.filter(article=chosen[0]).get().batch
    assert f'name="batch" value="{batch}"' in html
    assert editor_client.session["last_undo_batch"] == batch


def test_bulk_without_selection_says_so_and_changes_nothing(editor_client):
    make_article()

    response = editor_client.post(reverse("articles:bulk"), {"action": "publish"}, follow=True)

    assert "Select at least one article." in response.content.decode()
    assert not Article.objects.published().exists()


def test_inline_scores_save_quality_and_heat_of_one_row(editor_client):
    article = make_article(quality=50, heat=10)

    response = editor_client.post(
        reverse("articles:scores", args=[article.pk]),
        {"quality": "72", "heat": "33", "version": article.version, "next": "/articles/?o=-heat"},
    )

    assert response.status_code == 302 and response["Location"] == "/articles/?o=-heat"
    article.refresh_from_db()
    assert (article.quality, article.heat, article.version) == (72, 33, 3)  # one version per changed field
    assert set(AuditEntry.objects.filter(article=article).values_list("field", flat=True)) == {"quality", "heat"}


def test_inline_scores_refuse_a_number_that_is_not_whole_in_plain_words_keeping_what_was_typed(editor_client):
    article = make_article(quality=50)
    other = make_article(quality=40)

    response = editor_client.post(
        reverse("articles:scores", args=[article.pk]),
        {"quality": "1.5", "heat": "3", "version": 1, "next": "/articles/"}, follow=True,
    )

    html = response.content.decode()
    assert "Scores not saved. Quality must be a whole number between -2,147,483,648 and 2,147,483,647." in html
    assert f'name="quality" value="1.5" form="scores-{article.pk}" required aria-invalid="true">' in html
    assert f'id="heat-{article.pk}" name="heat" value="3" form="scores-{article.pk}"' in html
    assert f'id="quality-{other.pk}" name="quality" value="40"' in html
    assert Article.objects.get(pk=article.pk).quality == 50
    assert 'value="1.5"' not in queue(editor_client).content.decode()  # shown once, then the stored value again


def test_inline_heat_left_empty_is_not_scored(editor_client):
    article = make_article(quality=50, heat=30)

    editor_client.post(reverse("articles:scores", args=[article.pk]), {"quality": "50", "heat": "", "version": 1})

    assert Article.objects.get(pk=article.pk).heat == -1
    row = queue(editor_client).content.decode()
    assert f'id="heat-{article.pk}" name="heat" value="" form="scores-{article.pk}" placeholder="not scored">' in row


def test_inline_heat_below_minus_one_is_refused_in_plain_words(editor_client):
    article = make_article(heat=30)

    response = editor_client.post(
        reverse("articles:scores", args=[article.pk]), {"quality": "50", "heat": "-5", "version": 1}, follow=True
    )

    message = "Heat must be a whole number between 0 and 2,147,483,647, or empty for not scored."
    assert message in response.content.decode()
    assert Article.objects.get(pk=article.pk).heat == 30


def test_next_must_be_a_local_path(editor_client):
    article = make_article()

    response = editor_client.post(
        reverse("articles:scores", args=[article.pk]),
        {"quality": "1", "heat": "1", "version": 1, "next": "https://evil.example/"},
    )

    assert response["Location"] == reverse("articles:queue")


# --- review page --------------------------------------------------------------------------


def test_review_page_shows_everything_the_item_carries(editor_client):
    provider = make_provider("siliconangle.com", "SiliconANGLE", logo="https://logo.example/sa.png")
    article = make_article(
        provider=provider, images=2, related=1, topics=["Machine Learning"],
        excerpt="Rock &#038; roll&nbsp;music", original_url="https://origin.example/a", amp_web_url="ftp://x.example/a",
        featured_content='<iframe src="https://www.youtube.com/embed/abc123?rel=0" width="800"></iframe>',
        secured="S" * 300, extra_yaml="mood: calm\n",
    )
    ours = make_article(title="Our own copy", web_url=article.related.get().web_url)
    duplicate = make_article(title="Same story again")
    article.duplicates.add(duplicate)

    response = editor_client.get(reverse("articles:review", args=[article.pk]))

    html = response.content.decode()
    assert "Rock &amp; roll\xa0music" in html
    assert html.count('src="https://img.example/') == 2
    assert 'src="https://logo.example/sa.png"' in html and "SiliconANGLE" in html
    assert "Machine Learning" in html
    assert 'href="https://origin.example/a" rel="noopener noreferrer"' in html
    assert 'href="ftp://' not in html and "ftp://x.example/a" in html
    assert f'href="/articles/{ours.pk}/" title="Our copy of this item"' in html
    assert 'href="https://other.example/' in html
    assert '<iframe src="https://www.youtube.com/embed/abc123?rel=0"' in html
    assert 'sandbox="allow-scripts allow-same-origin allow-presentation"' in html
    assert "S" * 16 + "…" in html and "S" * 17 not in html
    assert f'href="/articles/{duplicate.pk}/"' in html
    assert "mood: calm" in html


def test_featured_content_from_another_host_is_shown_as_source_text(editor_client):
    article = make_article(featured_content='<iframe src="https://evil.example/embed/x"></iframe>')

    html = editor_client.get(reverse("articles:review", args=[article.pk])).content.decode()

    assert "<iframe" not in html
    assert "&lt;iframe src=&quot;https://evil.example/embed/x&quot;&gt;&lt;/iframe&gt;" in html


def test_review_page_shows_upstream_changes_field_by_field(editor_client, editor):
    article = make_article(title="New title")
    editorial.publish(article.pk, user=editor, source="dashboard")
    AuditEntry.objects.create(
        article=article, source="import", action="reimport", field="title",
        old_value="Old title", new_value="New title",
    )
    Article.objects.filter(pk=article.pk).update(changed_since_review=True)

    response = editor_client.get(reverse("articles:review", args=[article.pk]))

    assert [(c.field, c.old_value, c.new_value) for c in response.context["upstream"]] == [
        ("title", "Old title", "New title")
    ]
    assert "Changed upstream since your review" in response.content.decode()


def test_review_links_to_previous_and_next_in_the_filtered_queue(editor_client):
    hot = make_article(heat=90, title="hot")
    warm = make_article(heat=50, title="warm")
    cold = make_article(heat=10, title="cold")
    make_article(heat=70, title="published", status=Article.Status.PUBLISHED)

    response = editor_client.get(reverse("articles:review", args=[warm.pk]), {"status": "awaiting", "o": "-heat"})

    assert response.context["previous"].pk == hot.pk and response.context["next"].pk == cold.pk
    html = response.content.decode()
    assert f'href="/articles/{cold.pk}/?status=awaiting&amp;o=-heat" data-shortcut="j"' in html
    assert f'href="/articles/{hot.pk}/?status=awaiting&amp;o=-heat" data-shortcut="k"' in html
    assert 'href="/articles/?status=awaiting&amp;o=-heat"' in html


def test_next_still_works_once_the_article_has_left_the_filter(editor_client, editor):
    first = make_article(title="first")
    second = make_article(title="second")
    editorial.publish(first.pk, user=editor, source="dashboard")

    response = editor_client.get(reverse("articles:review", args=[first.pk]), {"status": "awaiting"})

    assert response.context["next"].pk == second.pk and response.context["previous"] is None


@pytest.mark.parametrize("ordering", ["", "-heat", "published", "-heat,-published", "quality,published", "-imported"])
def test_neighbours_follow_the_queue_order_through_ties_and_undated_items(editor_client, ordering):
    made = [
        make_article(
            published_date_time=None if i % 3 == 0 else BASE_TIME - dt.timedelta(days=i % 4),
            heat=i % 2, quality=i % 3,
        )
        for i in range(9)
    ]
    params = {"o": ordering} if ordering else {}
    order = [a.pk for a in queue(editor_client, **params).context["page"].items]
    assert set(order) == {a.pk for a in made}

    for position, pk in enumerate(order):
        previous, following = selectors.neighbours_in_queue(Article.objects.get(pk=pk), params)
        assert (previous.pk if previous else None) == (order[position - 1] if position else None)
        assert (following.pk if following else None) == (order[position + 1] if position + 1 < len(order) else None)


def test_edit_form_saves_excerpt_and_quality_and_returns_to_the_page(editor_client, editor):
    article = make_article(excerpt="Old", quality=50, heat=10)

    response = editor_client.post(
        reverse("articles:edit", args=[article.pk]) + "?status=awaiting",
        {"excerpt": "Better words", "quality": "80", "heat": "10", "status": "awaiting", "version": article.version},
        follow=True,
    )

    assert response.redirect_chain[0][0] == f"/articles/{article.pk}/?status=awaiting"
    article.refresh_from_db()
    assert (article.excerpt, article.quality, article.version) == ("Better words", 80, 3)  # one version per changed field
    assert {e.field for e in AuditEntry.objects.filter(article=article)} == {"excerpt", "quality"}
    assert article.editor_fields == ["excerpt", "quality"]
    assert "Saved the excerpt and quality of “Story" in response.content.decode()


def test_saving_an_untouched_form_changes_nothing_even_with_browser_line_breaks(editor_client):
    article = make_article(excerpt="Line one\nLine two")

    editor_client.post(
        reverse("articles:edit", args=[article.pk]),
        {"excerpt": "Line one\r\nLine two", "quality": "50", "heat": "10", "status": "awaiting", "version": 1},
    )

    assert Article.objects.get(pk=article.pk).version == 1
    assert not AuditEntry.objects.exists()


def test_edit_form_with_an_invalid_score_keeps_the_input_and_saves_nothing(editor_client):
    article = make_article()

    response = editor_client.post(
        reverse("articles:edit", args=[article.pk]),
        {"excerpt": "Kept text", "quality": str(2**31), "heat": "10", "status": "awaiting", "version": 1},
    )

    assert response.status_code == 400
    html = response.content.decode()
    assert "Kept text" in html and f'value="{2**31}"' in html
    assert "Quality must be a whole number between -2,147,483,648 and 2,147,483,647." in html
    assert Article.objects.get(pk=article.pk).version == 1


def test_edit_form_shows_an_unscored_heat_empty_and_saving_it_empty_changes_nothing(editor_client):
    article = make_article(heat=-3, excerpt="Old")
    url = reverse("articles:edit", args=[article.pk])

    page = editor_client.get(reverse("articles:review", args=[article.pk])).content.decode()
    editor_client.post(url, {"excerpt": "New", "quality": "50", "heat": "", "status": "awaiting", "version": 1})

    assert '<input type="number" name="heat" placeholder="not scored"' in page and 'value="-3"' not in page
    article.refresh_from_db()
    assert (article.excerpt, article.heat) == ("New", -3)
    assert list(AuditEntry.objects.filter(article=article).values_list("field", flat=True)) == ["excerpt"]


def test_edit_form_heat_emptied_is_not_scored_and_the_history_says_so(editor_client):
    article = make_article(heat=40)

    editor_client.post(
        reverse("articles:edit", args=[article.pk]),
        {"excerpt": article.excerpt, "quality": "50", "heat": "", "status": "awaiting", "version": 1},
    )

    assert Article.objects.get(pk=article.pk).heat == -1
    page = editor_client.get(reverse("articles:review", args=[article.pk])).content.decode()
    assert '<td class="value-old">40</td>' in page and '<td class="value-new">not scored</td>' in page


def test_an_invalid_score_on_the_review_form_is_tied_to_its_field(editor_client):
    article = make_article()

    html = editor_client.post(
        reverse("articles:edit", args=[article.pk]),
        {"excerpt": "", "quality": "lots", "heat": "10", "status": "awaiting", "version": 1},
    ).content.decode()

    field = re.search(r'<input[^>]*name="quality"[^>]*>', html).group()
    assert 'aria-invalid="true"' in field and 'aria-describedby="id_quality_error"' in field
    message = "Quality must be a whole number between -2,147,483,648 and 2,147,483,647."
    assert f'<ul class="errorlist" id="id_quality_error"><li>{message}</li></ul>' in html


def test_two_editors_save_the_same_article_the_second_gets_the_conflict_and_the_first_change_survives(
    editor, second_editor
):
    article = make_article(excerpt="Original", quality=50)
    ann, bob = Client(), Client()
    ann.force_login(editor)
    bob.force_login(second_editor)
    url = reverse("articles:review", args=[article.pk])
    seen_by_ann = ann.get(url).context["form"].initial["version"]
    seen_by_bob = bob.get(url).context["form"].initial["version"]

    form = {"excerpt": "Original", "heat": "10", "status": "awaiting"}
    first = ann.post(reverse("articles:edit", args=[article.pk]), {**form, "quality": "70", "version": seen_by_ann})
    second = bob.post(
        reverse("articles:edit", args=[article.pk]),
        {**form, "excerpt": "Bob's rewrite", "quality": "20", "version": seen_by_bob},
    )

    assert first.status_code == 302
    assert second.status_code == 409
    html = second.content.decode()
    assert "editor changed quality from 50 to 70" in html and "nothing of yours was saved" in html
    assert "Bob&#x27;s rewrite" in html  # Bob's input is kept in the form, not lost
    assert f'name="version" value="{seen_by_ann + 1}"' in html
    assert "Your input is kept below" in html and "(quality 70, heat 10, awaiting review)" in html
    article.refresh_from_db()
    assert (article.quality, article.excerpt) == (70, "Original")
    assert not AuditEntry.objects.filter(user=second_editor).exists()


def test_publish_from_the_review_page_with_a_stale_version_is_refused(editor_client, editor):
    article = make_article()
    editorial.set_scores(article.pk, user=editor, source="admin", quality=1)

    response = editor_client.post(
        reverse("articles:publish", args=[article.pk]), {"version": 1, "next": f"/articles/{article.pk}/"}, follow=True
    )

    assert "changed quality from 50 to 1" in response.content.decode()
    assert Article.objects.get(pk=article.pk).status == Article.Status.AWAITING_REVIEW


@pytest.mark.parametrize(("action", "status"), [("publish", "published"), ("reject", "rejected")])
def test_status_buttons_change_the_status_and_confirm_with_an_undo_button(editor_client, action, status):
    article = make_article()

    response = editor_client.post(
        reverse(f"articles:{action}", args=[article.pk]),
        {"version": 1, "next": f"/articles/{article.pk}/"},
        follow=True,
    )

    assert Article.objects.get(pk=article.pk).status == status
    html = response.content.decode()
    batch = AuditEntry.objects.get(article=article).batch
    undo_form = rf'name="batch" value="{batch}">\s*<input type="hidden" name="next"[^>]*>\s*<button[^>]*data-undo'
    assert re.search(undo_form, html)
    assert f'value="{batch}"' in html and 'data-shortcut="z"' in html


def test_status_buttons_offer_to_open_the_next_item_in_the_queue(editor_client):
    first = make_article(heat=90)
    second = make_article(heat=10)

    html = editor_client.get(reverse("articles:review", args=[first.pk]), {"o": "-heat"}).content.decode()

    assert f'name="then" value="/articles/{second.pk}/?o=-heat" id="then-next" data-then-next checked' in html
    assert f'formaction="/articles/{first.pk}/publish/"' in html
    assert f'formaction="/articles/{first.pk}/reject/"' in html


def test_after_a_refused_edit_the_status_buttons_still_return_to_the_review_page(editor_client):
    article = make_article()

    html = editor_client.post(
        reverse("articles:edit", args=[article.pk]) + "?o=-heat",
        {"excerpt": "", "quality": "lots", "heat": "10", "status": "awaiting", "version": 1},
    ).content.decode()

    assert f'<input type="hidden" name="next" value="/articles/{article.pk}/?o=-heat">' in html


def test_the_last_item_in_the_queue_has_no_next_to_open(editor_client):
    article = make_article()

    html = editor_client.get(reverse("articles:review", args=[article.pk])).content.decode()

    assert 'name="then"' not in html and 'data-shortcut="p"' in html


def test_publish_then_opens_the_next_item(editor_client):
    article = make_article()
    then = "/articles/12345/?status=awaiting"

    response = editor_client.post(
        reverse("articles:publish", args=[article.pk]), {"version": 1, "next": f"/articles/{article.pk}/", "then": then}
    )

    assert response["Location"] == then
    assert Article.objects.get(pk=article.pk).status == Article.Status.PUBLISHED


@pytest.mark.parametrize(
    "then", ["https://evil.example/", "//evil.example/", "/\\evil.example/", "javascript:alert(1)", "articles/1/"]
)
def test_then_must_be_a_local_path(editor_client, then):
    article = make_article()

    response = editor_client.post(
        reverse("articles:reject", args=[article.pk]), {"version": 1, "next": f"/articles/{article.pk}/", "then": then}
    )

    assert response["Location"] == f"/articles/{article.pk}/"
    assert Article.objects.get(pk=article.pk).status == Article.Status.REJECTED


def test_a_refused_change_stays_on_its_article_instead_of_moving_on(editor_client, editor):
    article = make_article()
    editorial.set_scores(article.pk, user=editor, source="admin", quality=1)

    response = editor_client.post(
        reverse("articles:publish", args=[article.pk]),
        {"version": 1, "next": f"/articles/{article.pk}/?o=-heat", "then": "/articles/999/"},
    )

    assert response["Location"] == f"/articles/{article.pk}/?o=-heat"
    assert Article.objects.get(pk=article.pk).status == Article.Status.AWAITING_REVIEW


def test_unpublish_returns_an_article_to_the_queue(editor_client, editor):
    article = make_article(status=Article.Status.PUBLISHED)

    editor_client.post(reverse("articles:unpublish", args=[article.pk]), {"version": 1})

    assert Article.objects.get(pk=article.pk).status == Article.Status.AWAITING_REVIEW


def test_undo_restores_the_last_action_and_forgets_it(editor_client):
    articles = [make_article() for _ in range(3)]
    editor_client.post(reverse("articles:bulk"), {"action": "reject", "ids": [a.pk for a in articles]})
    batch = editor_client.session["last_undo_batch"]

    response = editor_client.post(reverse("articles:undo"), {"batch": batch}, follow=True)

    assert not Article.objects.rejected().exists()
    assert "Undid the change to 3 articles." in response.content.decode()
    assert "last_undo_batch" not in editor_client.session
    assert AuditEntry.objects.filter(action="undo").count() == 3


def test_undo_refuses_when_someone_changed_the_article_since(editor_client, second_editor):
    article = make_article()
    editor_client.post(reverse("articles:scores", args=[article.pk]), {"quality": "70", "heat": "10", "version": 1})
    batch = editor_client.session["last_undo_batch"]
    editorial.set_scores(article.pk, user=second_editor, source="admin", quality=90)

    response = editor_client.post(reverse("articles:undo"), {"batch": batch}, follow=True)

    assert "nothing was undone" in response.content.decode()
    assert Article.objects.get(pk=article.pk).quality == 90


# --- query counts ------------------------------------------------------------------------------


def test_queue_query_count_does_not_grow_with_the_page_size(editor_client, django_assert_num_queries):
    for _ in range(50):
        make_article(images=2, topics=["Space", "Chess"], is_possible_duplicate=True)
    url = reverse("articles:queue")
    editor_client.get(url)  # the filter suggestions, cached for a minute (their cost: the test below)
    small = count_queries(editor_client, url + "?size=5")

    with django_assert_num_queries(small):
        response = editor_client.get(url + "?size=50")

    assert len(response.context["page"].items) == 50
    assert small == 7  # session, user, two for permissions, page ids, rows, topics


def test_filter_suggestions_cost_four_bounded_queries_then_none_for_a_minute(editor_client, django_assert_num_queries):
    for n in range(30):
        make_article(category=f"category {n % 7}", type=f"type {n % 3}", provider=make_provider(f"p{n % 5}.example"),
                     topics=[f"Topic {n % 4}"])

    with django_assert_num_queries(4):  # categories, types (index walks), providers, topics (LIMITed)
        suggestions = selectors.filter_suggestions()
    with django_assert_num_queries(0):
        assert selectors.filter_suggestions() == suggestions

    assert len(suggestions["categories"]) == 7 and len(suggestions["types"]) == 3
    assert len(suggestions["providers"]) == 5 and len(suggestions["topics"]) == 4


def test_the_filter_form_offers_known_providers_and_topics(editor_client):
    make_article(provider=make_provider("harbour.example", name="Harbour Gazette"), topics=["Machine learning"])

    html = queue(editor_client).content.decode()

    assert 'list="providers"' in html and '<option value="harbour.example">Harbour Gazette</option>' in html
    assert 'list="topics"' in html and '<option value="machine-learning">Machine learning</option>' in html


def test_review_page_query_count_does_not_grow_with_images_and_related(editor_client, django_assert_num_queries):
    lean = make_article(images=1, related=1, topics=["Space"])
    rich = make_article(images=5, related=5, topics=["Space", "Chess", "Rowing"])
    for article in (lean, rich):
        article.duplicates.add(make_article())
    editor_client.get(reverse("articles:review", args=[lean.pk]))

    expected = count_queries(editor_client, reverse("articles:review", args=[lean.pk]))
    with django_assert_num_queries(expected):
        response = editor_client.get(reverse("articles:review", args=[rich.pk]))

    assert len(response.context["related"]) == 5 and expected <= 14


def test_queue_query_count_with_django_assert_num_queries(editor_client, django_assert_num_queries):
    for _ in range(40):
        make_article(topics=["Space"])
    url = reverse("articles:queue")
    editor_client.get(url)  # the filter suggestions, cached
    small = count_queries(editor_client, url + "?size=10&o=-heat&topic=space")

    with django_assert_num_queries(small):
        editor_client.get(url + "?size=40&o=-heat&topic=space")


def test_selectors_neighbours_cost_two_queries(django_assert_num_queries):
    article = make_article()
    make_article()

    with django_assert_num_queries(2):
        selectors.neighbours_in_queue(article, {"o": "-quality"})


def test_dashboard_query_count_is_fixed(editor_client, django_assert_num_queries):
    make_article()
    ImportRun.objects.create(status=ImportRun.Status.FINISHED)
    url = reverse("articles:dashboard")
    expected = count_queries(editor_client, url)
    for _ in range(20):
        make_article()
    ImportRun.objects.create(status=ImportRun.Status.FINISHED)
    cache.clear()  # the figures cached by the first request would hide the cost of recomputing them

    with django_assert_num_queries(expected):
        editor_client.get(url)
    assert expected <= 12
    with CaptureQueriesContext(connection) as cached:
        editor_client.get(url)
    read = " ".join(query["sql"] for query in cached.captured_queries)
    assert "articles_article" not in read and "articles_importrun" in read


def test_dashboard_figures_are_cached_for_a_minute_but_import_runs_are_not(editor_client, settings, monkeypatch):
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "clock"}}
    clock = [time.time()]
    monkeypatch.setattr(time, "time", lambda: clock[0])  # the clock the local-memory cache expires entries by
    make_article(status=Article.Status.AWAITING_REVIEW, quality=60)
    url = reverse("articles:dashboard")

    def quality_50_to_74(response):
        return next(bar.value for bar in response.context["quality_bars"] if bar.label == "50–74")

    first = editor_client.get(url)
    make_article(status=Article.Status.AWAITING_REVIEW, quality=61)
    ImportRun.objects.create(status=ImportRun.Status.FINISHED, files=1, created=1)
    clock[0] += 59
    within_a_minute = editor_client.get(url)
    clock[0] += 2
    after_a_minute = editor_client.get(url)

    assert (first.context["counts"]["awaiting"], quality_50_to_74(first)) == (1, 1)
    assert (within_a_minute.context["counts"]["awaiting"], quality_50_to_74(within_a_minute)) == (1, 1)
    assert len(within_a_minute.context["import_runs"]) == 1
    assert (after_a_minute.context["counts"]["awaiting"], quality_50_to_74(after_a_minute)) == (2, 2)
    assert sum(bar.value for bar in after_a_minute.context["imported_per_day"]) == 2


def test_cached_dashboard_figures_turn_over_at_midnight_not_a_minute_later():
    make_article()
    now = timezone.now()

    assert selectors.dashboard_counts(now=now)["imported_today"] == 1
    assert selectors.dashboard_counts(now=now + dt.timedelta(days=1))["imported_today"] == 0
    assert selectors.imports_per_day(days=1, now=now + dt.timedelta(days=1))[0].value == 0


def test_filter_suggestions_list_known_categories_and_types_without_the_empty_one(editor_client):
    for kind, category in [("video", "sport"), ("article", "news"), ("article", "sport"), ("", "")]:
        make_article(type=kind, category=category)

    suggestions = editor_client.get(reverse("articles:queue")).context["suggestions"]

    assert (suggestions["categories"], suggestions["types"]) == (["news", "sport"], ["article", "video"])


def test_a_deep_page_keeps_the_queue_order_and_the_rows_details(editor_client):
    for heat in range(7):
        make_article(title=f"Heat {heat}", heat=heat % 3, images=1, topics=["Space"])

    response = queue(editor_client, o="-heat", size=3, page=2)

    page = response.context["page"]
    assert titles(response) == ["Heat 1", "Heat 6", "Heat 3"] and page.has_next and page.has_previous
    assert all(item.thumbnail_url and item.provider.name for item in page.items)
    assert [[link.topic.name for link in item.topic_links.all()] for item in page.items] == [["Space"]] * 3


def test_dashboard_counts_use_the_local_day():
    """At 10:00 UTC it is already tomorrow at UTC+14: what came in at 09:00 UTC was imported yesterday there."""
    now = dt.datetime(2024, 5, 1, 10, 0, tzinfo=dt.timezone.utc)
    yesterday_locally, today_locally = make_article(), make_article()
    Article.objects.filter(pk=yesterday_locally.pk).update(imported_at=now - dt.timedelta(hours=1))
    Article.objects.filter(pk=today_locally.pk).update(imported_at=now + dt.timedelta(minutes=30))

    with timezone.override("Pacific/Kiritimati"):
        assert selectors.dashboard_counts(now=now)["imported_today"] == 1
    with timezone.override("UTC"):
        assert selectors.dashboard_counts(now=now)["imported_today"] == 2


def test_imported_after_filter_keeps_todays_imports(editor_client):
    old = make_article(title="Imported last week")
    Article.objects.filter(pk=old.pk).update(imported_at=timezone.now() - dt.timedelta(days=7))
    make_article(title="Imported today")
    response = queue(editor_client, imported_after=timezone.now().date().isoformat())
    assert titles(response) == ["Imported today"]


def test_review_page_history_shows_status_labels_not_codes(editor_client, editor):
    article = make_article()
    editorial.publish(article.pk, user=editor, source="dashboard")

    html = editor_client.get(reverse("articles:review", args=[article.pk])).content.decode()

    history = html[html.index('id="history-title"'):]
    assert '<td class="value-old">Awaiting review</td>' in history
    assert '<td class="value-new">Published</td>' in history


# --- the site around the pages -----------------------------------------------------------------


def test_logging_out_says_so_on_the_login_page(editor_client):
    response = editor_client.post(reverse("logout"), follow=True)

    assert response.redirect_chain == [(reverse("login"), 302)]
    assert "You are logged out." in response.content.decode()
    assert not response.wsgi_request.user.is_authenticated


def test_logging_out_of_the_admin_says_so_too(staff_editor_client):
    response = staff_editor_client.post(reverse("admin:logout"), follow=True)

    assert "You are logged out." in response.content.decode()


def test_favicon_ico_is_our_icon_for_anyone(client):
    response = client.get("/favicon.ico", follow=True)

    assert response.status_code == 200 and response["Content-Type"] == "image/svg+xml"
    assert response.redirect_chain[-1][0].endswith("/static/articles/favicon.svg")
    assert b"<svg" in b"".join(response.streaming_content)


def test_dates_read_the_same_on_every_page_and_in_the_admin(editor_client, staff_editor_client):
    moment = dt.datetime(2024, 5, 1, 10, 5, tzinfo=dt.timezone.utc)
    article = make_article(published_date_time=moment)
    ImportRun.objects.create(status=ImportRun.Status.FINISHED)
    ImportRun.objects.update(started_at=moment)

    assert ">01 May 2024</time>" in queue(editor_client).content.decode()
    review = editor_client.get(reverse("articles:review", args=[article.pk])).content.decode()
    assert ">01 May 2024 10:05</time>" in review
    assert ">01 May 2024 10:05</time>" in editor_client.get(reverse("articles:dashboard")).content.decode()
    admin_page = staff_editor_client.get(reverse("admin:articles_article_changelist")).content.decode()
    assert "01 May 2024 10:05" in admin_page
