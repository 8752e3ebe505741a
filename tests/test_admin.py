"""The editorial admin: fast lists, every write through the editorial service, read-only imported data."""

import datetime as dt
import re

import pytest
from django.contrib import admin
from django.contrib.auth.models import Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from articles import editorial
from articles.admin_dates import DrillDownQuerySet
from articles.admin_lists import LargeTablePaginator
from articles.models import Article, ArticleImage, ArticleTopic, AuditEntry, ImportRun, Provider, Topic
from articles.selectors import distinct_values
from tests.conftest import make_user
from tests.builders import make_article

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:articles_article_changelist")


def change_url(article) -> str:
    return reverse("admin:articles_article_change", args=[article.pk])


@pytest.fixture
def staff_editor(db):
    return make_user("desk", "Editors", is_staff=True)


@pytest.fixture
def staff_viewer(db):
    return make_user("reader", "Viewers", is_staff=True)


@pytest.fixture
def editor_admin(client, staff_editor):
    client.force_login(staff_editor)
    return client


@pytest.fixture
def viewer_admin(client, staff_viewer):
    client.force_login(staff_viewer)
    return client


def make_listed_article(provider, topic, **fields) -> Article:
    article = make_article(provider=provider, images=0, **fields)
    ArticleImage.objects.create(article=article, position=1, url="https://img.example/second.jpg")
    ArticleImage.objects.create(article=article, position=0, url=f"https://img.example/{article.pk}.jpg")
    ArticleTopic.objects.create(article=article, topic=topic, position=0)
    return article


@pytest.fixture
def provider(db):
    return Provider.objects.create(key="example.com", name="Example News", domain="example.com")


@pytest.fixture
def topic(db):
    return Topic.objects.create(name="Sport", slug="sport")


def change_form_data(article, **overrides) -> dict:
    """The POST the change form sends: the fields, what the editor saw of them, and the version."""
    data = {
        "version": str(article.version),
        "images-TOTAL_FORMS": "0", "images-INITIAL_FORMS": "0",
        "related-TOTAL_FORMS": "0", "related-INITIAL_FORMS": "0",
    }
    for name in ("excerpt", "status", "quality", "heat"):
        data[name] = data[f"initial-{name}"] = str(getattr(article, name))
    data.update(overrides)
    return data


# the changelist ------------------------------------------------------------------------


def test_changelist_shows_title_provider_and_scores(editor_admin, provider, topic):
    article = make_listed_article(provider, topic, title="Cup final tonight", quality=42, heat=7)

    response = editor_admin.get(CHANGELIST)

    html = response.content.decode()
    assert response.status_code == 200
    assert f'<a href="{change_url(article)}"><span title="Cup final tonight">Cup final tonight</span></a>' in html
    assert "Example News" in html
    assert '<td class="field-quality">42</td><td class="field-heat">7</td>' in html
    assert "Publish selected articles" in html


def test_changelist_flags_possible_duplicates_and_upstream_changes_in_one_column(editor_admin, provider, topic):
    make_listed_article(provider, topic, title="Plain")
    both = make_listed_article(provider, topic, title="Flagged twice")
    Article.objects.filter(pk=both.pk).update(is_possible_duplicate=True, changed_since_review=True)
    changed = make_listed_article(provider, topic, title="Changed upstream")
    Article.objects.filter(pk=changed.pk).update(changed_since_review=True)

    html = editor_admin.get(CHANGELIST).content.decode()

    rows = {title: row for row in html.split("<tr")[1:] for title in ("Plain", "Flagged twice", "Changed upstream")
            if f">{title}</span>" in row}
    assert '<td class="field-flags">possible duplicate, changed</td>' in rows["Flagged twice"]
    assert '<td class="field-flags">changed</td>' in rows["Changed upstream"]
    assert '<td class="field-flags">-</td>' in rows["Plain"]


def test_changelist_edits_nothing_in_place(editor_admin):
    """Scores are edited inline on the queue; the admin list only selects rows for its actions."""
    article = make_article(quality=10)
    data = {
        "form-TOTAL_FORMS": "1", "form-INITIAL_FORMS": "1", "_save": "Save",
        "form-0-id": str(article.pk), "form-0-quality": "99",
    }

    html = editor_admin.get(CHANGELIST).content.decode()
    editor_admin.post(CHANGELIST, data)

    assert 'name="form-0-quality"' not in html and 'name="_save"' not in html
    assert Article.objects.get(pk=article.pk).quality == 10


def test_changelist_escapes_imported_text_and_drops_unsafe_image_urls(editor_admin, provider, topic):
    article = make_article(provider=provider, images=0, title='<script>alert("t")</script>')
    ArticleImage.objects.create(article=article, position=0, url="javascript:alert(1)")

    html = editor_admin.get(CHANGELIST).content.decode()

    assert '<script>alert("t")' not in html
    assert "&lt;script&gt;alert(&quot;t&quot;)&lt;/script&gt;" in html
    assert "javascript:alert" not in html


def test_changelist_query_count_does_not_grow_with_the_page(editor_admin, provider, topic, django_assert_num_queries):
    for _ in range(5):
        make_listed_article(provider, topic)
    editor_admin.get(CHANGELIST)  # warm caches (content types, permissions of the session's user)
    with CaptureQueriesContext(connection) as five:
        assert editor_admin.get(CHANGELIST).status_code == 200

    for _ in range(45):
        make_listed_article(provider, topic)
    with django_assert_num_queries(len(five)):
        response = editor_admin.get(CHANGELIST)
    assert response.content.decode().count('class="action-select"') == 50


def test_the_row_checkbox_is_what_django_prints():
    article = make_article(title='<b>"Tom & Jerry"</b>')
    article_admin = admin.site._registry[Article]

    assert article_admin.action_checkbox(article) == admin.ModelAdmin.action_checkbox(article_admin, article)


def test_changelist_filters_by_provider_and_topic(editor_admin, provider, topic):
    other_provider = Provider.objects.create(key="other.org", name="Other", domain="other.org")
    other_topic = Topic.objects.create(name="Science", slug="science")
    wanted = make_listed_article(provider, topic, title="Wanted story")
    make_listed_article(other_provider, topic, title="Other provider story")
    make_listed_article(provider, other_topic, title="Other topic story")

    response = editor_admin.get(CHANGELIST, {"provider_id": provider.pk, "topic_id": topic.pk})

    html = response.content.decode()
    assert "Wanted story" in html
    assert "Other provider story" not in html and "Other topic story" not in html
    assert f'<option value="{provider.pk}" selected>Example News</option>' in html
    assert change_url(wanted) in html


def test_provider_autocomplete_answers_editors(editor_admin, provider):
    response = editor_admin.get(
        reverse("admin:autocomplete"),
        {"app_label": "articles", "model_name": "article", "field_name": "provider", "term": "examp"},
    )
    assert response.json()["results"] == [{"id": str(provider.pk), "text": "Example News"}]


def test_changelist_search_finds_title_excerpt_and_provider(editor_admin, provider, topic):
    make_listed_article(provider, topic, title="Alpha", excerpt="nothing here")
    make_listed_article(None, topic, title="Beta", excerpt="the needle is here")
    html = editor_admin.get(CHANGELIST, {"q": "needle"}).content.decode()
    assert "Beta" in html and "Alpha" not in html
    assert "Alpha" in editor_admin.get(CHANGELIST, {"q": "example news"}).content.decode()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the estimate comes from PostgreSQL's statistics")
def test_large_counts_are_the_planners_estimate_on_postgresql(monkeypatch):
    for quality in (10, 20, 30, 40):
        make_article(quality=quality)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE articles_article")
    monkeypatch.setattr(LargeTablePaginator, "EXACT_BELOW", 1)

    with CaptureQueriesContext(connection) as queries:
        whole = LargeTablePaginator(Article.objects.all(), 50)
        assert whole.count == 4 and whole.estimated
        filtered = LargeTablePaginator(Article.objects.filter(quality__gt=25), 50)
        assert filtered.count >= 1 and filtered.estimated  # the planner's guess from the statistics
        searched = LargeTablePaginator(Article.objects.filter(title__icontains="story"), 50)
        searched.estimate_filtered = False
        assert searched.count == 4 and not searched.estimated

    counts = [q["sql"] for q in queries.captured_queries if "COUNT(" in q["sql"].upper()]
    assert len(counts) == 1 and "LIKE" in counts[0]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the estimate comes from PostgreSQL's statistics")
def test_the_changelist_says_about_for_an_estimate_and_counts_a_search_exactly(editor_admin, monkeypatch):
    for _ in range(3):
        make_article(status=Article.Status.AWAITING_REVIEW)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE articles_article")
    monkeypatch.setattr(LargeTablePaginator, "EXACT_BELOW", 1)

    filtered = editor_admin.get(CHANGELIST, {"status__exact": "awaiting"})
    searched = editor_admin.get(CHANGELIST, {"status__exact": "awaiting", "q": "story"})

    assert filtered.context["cl"].paginator.estimated and "about " in filtered.content.decode()
    assert not searched.context["cl"].paginator.estimated and searched.context["cl"].result_count == 3


def test_sqlite_and_small_lists_are_counted_exactly(editor_admin):
    make_article(status=Article.Status.AWAITING_REVIEW)

    response = editor_admin.get(CHANGELIST, {"status__exact": "awaiting"})

    assert not response.context["cl"].paginator.estimated and response.context["cl"].result_count == 1


def test_a_page_holds_the_same_rows_in_the_same_order_as_a_slice():
    for quality in (5, 40, 40, 12, 99, 7, 63):
        make_article(quality=quality)
    ordered = Article.objects.order_by("-quality", "-id")

    page = LargeTablePaginator(ordered, 3).page(2)

    assert list(page.object_list) == list(ordered[3:6])
    assert page.has_next() and page.has_previous()


def test_a_small_table_is_counted_exactly():
    make_article()
    paginator = LargeTablePaginator(Article.objects.all(), 50)
    assert paginator.count == 1 and not paginator.estimated


@pytest.mark.parametrize("kind", ["year", "month", "day"])
def test_date_drill_down_finds_the_same_periods_as_django(kind):
    for when in ["2019-03-02T23:30", "2019-03-03T00:10", "2021-12-31T23:59", "2022-01-01T00:00", "2022-07-15T12:00"]:
        make_article(published_date_time=dt.datetime.fromisoformat(when).replace(tzinfo=dt.timezone.utc))
    make_article(published_date_time=None)

    probed = DrillDownQuerySet(Article).datetimes("published_date_time", kind)

    assert probed == list(Article.objects.datetimes("published_date_time", kind))


def test_date_drill_down_takes_a_fixed_number_of_queries_however_spread_the_dates(django_assert_num_queries):
    for year in range(2001, 2025, 3):
        make_article(published_date_time=dt.datetime(year, 6, 1, tzinfo=dt.timezone.utc))
    bounds = 2 if connection.vendor == "sqlite" else 1  # SQLite: MIN and MAX apart, each from the index
    with django_assert_num_queries(bounds + 1):
        years = DrillDownQuerySet(Article).filter(quality__gte=0).datetimes("published_date_time", "year")
    assert [d.year for d in years] == list(range(2001, 2025, 3))


def test_the_date_hierarchy_reads_the_date_range_once(editor_admin):
    make_article(published_date_time=dt.datetime(2023, 5, 1, tzinfo=dt.timezone.utc))
    make_article(published_date_time=dt.datetime(2025, 7, 1, tzinfo=dt.timezone.utc))

    with CaptureQueriesContext(connection) as queries:
        html = editor_admin.get(CHANGELIST).content.decode()

    bounds = [q for q in queries.captured_queries if 'MAX("articles_article"."published_date_time")' in q["sql"]]
    assert len(bounds) == 1  # MIN and MAX in one query on PostgreSQL, one each on SQLite
    assert len([q for q in queries.captured_queries if 'MIN("articles_article"."published_date_time")' in q["sql"]]) == 1
    assert "?published_date_time__year=2023" in html and "?published_date_time__year=2025" in html


def test_type_and_category_choices_are_the_distinct_values_read_from_the_index(editor_admin):
    for kind, category in [("video", "sport"), ("article", "news"), ("article", "sport"), ("", "")]:
        make_article(type=kind, category=category)

    assert distinct_values(Article, "type", 200) == ["", "article", "video"]
    assert distinct_values(Article, "category", 1) == [""]  # the limit caps the walk
    html = editor_admin.get(CHANGELIST).content.decode()
    assert '<a href="?type=video">video</a>' in html and '<a href="?category=news">news</a>' in html


def test_type_and_category_choices_are_read_once_a_minute_like_the_queues(editor_admin):
    make_article(type="video", category="sport")
    editor_admin.get(CHANGELIST)
    make_article(type="podcast", category="science")

    with CaptureQueriesContext(connection) as queries:
        html = editor_admin.get(CHANGELIST).content.decode()

    assert not [q for q in queries.captured_queries if "WITH RECURSIVE" in q["sql"]]
    assert '<a href="?type=video">video</a>' in html and "?type=podcast" not in html


# actions -------------------------------------------------------------------------------


def test_publish_action_goes_through_the_service_and_offers_undo(editor_admin, staff_editor):
    articles = [make_article() for _ in range(3)]
    untouched = make_article()

    response = editor_admin.post(
        CHANGELIST, {"action": "publish_selected", "_selected_action": [a.pk for a in articles]}, follow=True
    )

    assert set(Article.objects.filter(pk__in=[a.pk for a in articles]).values_list("status", flat=True)) == {"published"}
    assert Article.objects.get(pk=untouched.pk).status == "awaiting"
    entries = AuditEntry.objects.filter(action="publish")
    assert entries.count() == 3 and {(e.source, e.user) for e in entries} == {("admin", staff_editor)}
    batch = entries.first().batch
    html = response.content.decode()
    assert "Published 3 articles." in html
    assert reverse("admin:articles_article_undo", args=[batch]) in html


@pytest.mark.parametrize(("action", "status"), [("unpublish_selected", "awaiting"), ("reject_selected", "rejected")])
def test_unpublish_and_reject_actions(editor_admin, action, status):
    article = make_article(status="published")
    editor_admin.post(CHANGELIST, {"action": action, "_selected_action": [article.pk]})
    assert Article.objects.get(pk=article.pk).status == status
    assert AuditEntry.objects.get(article=article).new_value == status


def test_select_all_across_pages_acts_on_the_whole_filtered_list(editor_admin):
    wanted = [make_article(category="sport") for _ in range(3)]
    other = make_article(category="news")

    editor_admin.post(
        CHANGELIST + "?category=sport",
        {"action": "reject_selected", "select_across": "1", "index": "0", "_selected_action": [wanted[0].pk]},
    )

    assert list(Article.objects.filter(status="rejected").order_by("pk")) == wanted
    assert Article.objects.get(pk=other.pk).status == "awaiting"


def test_undo_page_confirms_then_undoes_through_the_service(editor_admin):
    article = make_article()
    done = editorial.publish(article.pk, user=None, source="command")
    undo_url = reverse("admin:articles_article_undo", args=[done.batch])

    page = editor_admin.get(undo_url)
    assert page.status_code == 200 and "Undo this change" in page.content.decode()
    assert Article.objects.get(pk=article.pk).status == "published"

    editor_admin.post(undo_url)
    assert Article.objects.get(pk=article.pk).status == "awaiting"
    assert AuditEntry.objects.filter(article=article, action="undo", source="admin").count() == 1


# the change form -----------------------------------------------------------------------


def test_change_form_saves_through_the_service(editor_admin, staff_editor):
    article = make_article(excerpt="Line one\nLine two", quality=50)

    response = editor_admin.post(
        change_url(article), change_form_data(article, excerpt="Line one\r\nLine two", quality="65")
    )

    assert response.status_code == 302
    article.refresh_from_db()
    assert (article.quality, article.excerpt, article.version) == (65, "Line one\nLine two", 2)
    [entry] = AuditEntry.objects.filter(article=article)  # the CRLF textarea round trip is no edit
    assert (entry.field, entry.source, entry.user, entry.old_value, entry.new_value) == (
        "quality", "admin", staff_editor, 50, 65,
    )
    assert article.editor_fields == ["quality"]


def test_change_form_with_a_stale_version_shows_the_conflict_and_changes_nothing(editor_admin, second_editor):
    article = make_article(quality=50, excerpt="Original")
    loaded = Article.objects.get(pk=article.pk)
    editorial.set_scores(article.pk, user=second_editor, source="dashboard", quality=70)

    response = editor_admin.post(change_url(article), change_form_data(loaded, excerpt="Mine"))

    assert response.status_code == 200
    html = response.content.decode()
    assert "editor2 changed quality from 50 to 70" in html and "nothing of yours was saved" in html
    assert "Mine" in html  # the editor's text is still in the form, to copy
    article.refresh_from_db()
    assert (article.quality, article.excerpt, article.version) == (70, "Original", 2)
    assert AuditEntry.objects.filter(article=article).count() == 1


def test_change_form_leaves_an_unscored_heat_alone(editor_admin):
    article = make_article(quality=50, heat=-1)
    data = change_form_data(article, quality="60")
    data["heat"] = data["initial-heat"] = ""  # an unscored heat is shown empty

    html = editor_admin.get(change_url(article)).content.decode()
    response = editor_admin.post(change_url(article), data)

    assert 'placeholder="not scored"' in html
    assert response.status_code == 302
    article.refresh_from_db()
    assert (article.quality, article.heat) == (60, -1)
    assert list(AuditEntry.objects.filter(article=article).values_list("field", flat=True)) == ["quality"]


def test_change_form_with_a_score_that_is_no_number_says_so_and_saves_nothing(editor_admin):
    article = make_article(quality=50, heat=5)

    response = editor_admin.post(change_url(article), change_form_data(article, quality="lots", heat="6"))

    assert response.status_code == 200
    assert response.context["adminform"].form.errors["quality"]
    assert Article.objects.get(pk=article.pk).heat == 5


def test_change_form_shows_the_audit_history_escaped(editor_admin):
    article = make_article(excerpt="old")
    editorial.edit_excerpt(article.pk, user=None, source="command", excerpt="<img src=x onerror=alert(1)>")

    html = editor_admin.get(change_url(article)).content.decode()

    assert "Latest changes" in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html
    assert "<img src=x onerror" not in html


def test_history_button_leads_to_the_articles_audit_entries(editor_admin):
    article, other = make_article(), make_article()
    editorial.publish(article.pk, user=None, source="command")
    editorial.publish(other.pk, user=None, source="command")

    response = editor_admin.get(reverse("admin:articles_article_history", args=[article.pk]), follow=True)

    html = response.content.decode()
    assert response.status_code == 200
    assert change_url(article) in html and change_url(other) not in html


def test_imported_data_is_read_only_for_editors(editor_admin, provider, topic):
    article = make_listed_article(provider, topic, title="Imported title")

    editor_admin.post(change_url(article), change_form_data(article, title="Edited title", category="x"))

    article.refresh_from_db()
    assert (article.title, article.category) == ("Imported title", "news")
    html = editor_admin.get(change_url(article)).content.decode()
    assert 'name="title"' not in html and 'name="images-0-url"' not in html


def test_an_editor_who_may_not_publish_saves_scores_with_the_status_read_only(client, db):
    scorer = make_user("scorer", "Editors", is_staff=True)
    scorer.groups.get().permissions.remove(Permission.objects.get(codename="publish_article"))
    article = make_article(quality=10)
    client.force_login(scorer)

    page = client.get(change_url(article)).content.decode()
    data = change_form_data(article, quality="30", status="published")
    response = client.post(change_url(article), data)

    assert 'name="status"' not in page and 'name="quality"' in page
    assert response.status_code == 302
    article.refresh_from_db()
    assert (article.quality, article.status) == (30, "awaiting")


# viewers -------------------------------------------------------------------------------


def test_a_staff_viewer_sees_the_list_without_edit_controls(viewer_admin):
    make_article()
    html = viewer_admin.get(CHANGELIST).content.decode()
    assert "form-0-quality" not in html
    assert "Publish selected articles" not in html


def test_a_staff_viewer_cannot_change_an_article(viewer_admin):
    article = make_article(quality=50)

    page = viewer_admin.get(change_url(article))
    assert page.status_code == 200 and 'name="quality"' not in page.content.decode()
    response = viewer_admin.post(change_url(article), change_form_data(article, quality="1"))

    assert response.status_code == 403
    assert Article.objects.get(pk=article.pk).quality == 50


def test_a_staff_viewer_cannot_run_actions_or_undo(viewer_admin):
    article = make_article()
    viewer_admin.post(CHANGELIST, {"action": "publish_selected", "_selected_action": [article.pk]})
    done = editorial.publish(article.pk, user=None, source="command")
    response = viewer_admin.post(reverse("admin:articles_article_undo", args=[done.batch]))

    assert response.status_code == 403
    article.refresh_from_db()
    assert (article.status, article.quality) == ("published", 50)
    assert not AuditEntry.objects.exclude(source="command").exists()


# import runs and the audit trail ---------------------------------------------------------


def test_import_runs_are_read_only_and_show_their_errors(editor_admin):
    run = ImportRun.objects.create(
        status="finished", files=2, rejected=1,
        errors=[{"path": "/data/bad.md", "line": 3, "message": "<b>not YAML</b>"}],
    )

    listing = editor_admin.get(reverse("admin:articles_importrun_changelist"))
    detail = editor_admin.get(reverse("admin:articles_importrun_change", args=[run.pk]))

    assert listing.status_code == 200 and detail.status_code == 200
    html = detail.content.decode()
    assert "/data/bad.md" in html and "&lt;b&gt;not YAML&lt;/b&gt;" in html
    assert not re.search(r'<input type="submit"[^>]*name="_save"', html)
    assert editor_admin.post(reverse("admin:articles_importrun_change", args=[run.pk]), {}).status_code == 403
    assert editor_admin.get(reverse("admin:articles_importrun_add")).status_code == 403


def test_an_import_run_says_how_many_errors_its_log_left_out(editor_admin):
    run = ImportRun.objects.create(
        status="finished", files=1200, rejected=1200,
        errors=[{"path": f"/data/bad-{i}.md", "line": 1, "message": "no front matter"} for i in range(2)],
    )

    detail = editor_admin.get(reverse("admin:articles_importrun_change", args=[run.pk]))

    html = detail.content.decode()
    assert "/data/bad-1.md" in html and "… and 1198 more." in html


def test_audit_entries_are_listed_read_only(editor_admin):
    article = make_article()
    editorial.publish(article.pk, user=None, source="command")
    entry = AuditEntry.objects.get()

    assert editor_admin.get(reverse("admin:articles_auditentry_changelist")).status_code == 200
    assert editor_admin.post(reverse("admin:articles_auditentry_change", args=[entry.pk]), {}).status_code == 403
    assert editor_admin.post(reverse("admin:articles_auditentry_delete", args=[entry.pk]), {"post": "yes"}).status_code == 403
    assert AuditEntry.objects.count() == 1


def test_articles_cannot_be_added_in_the_admin(client, superuser):
    client.force_login(superuser)
    assert client.get(reverse("admin:articles_article_add")).status_code == 403


def test_saving_an_untouched_stale_change_form_is_no_conflict(editor_admin, second_editor):
    article = make_article(quality=50)
    loaded = Article.objects.get(pk=article.pk)
    editorial.set_scores(article.pk, user=second_editor, source="dashboard", quality=70)

    response = editor_admin.post(change_url(article), change_form_data(loaded), follow=True)

    assert "nothing of yours was saved" not in response.content.decode()
    assert Article.objects.get(pk=article.pk).quality == 70


def test_change_form_history_shows_labels_and_editor_fields_by_name(editor_admin, staff_editor):
    article = make_article(quality=10)
    editorial.publish(article.pk, user=staff_editor, source="dashboard")
    editorial.set_scores(article.pk, user=staff_editor, source="dashboard", quality=30)

    html = editor_admin.get(change_url(article)).content.decode()

    assert '<td class="value-old">Awaiting review</td>' in html and '<td class="value-new">Published</td>' in html
    assert '<div class="readonly">status, quality</div>' in html  # the editor fields, not ["status", "quality"]
    assert "[&quot;status&quot;" not in html
    assert f'href="{reverse("admin:articles_auditentry_changelist")}?article__id__exact={article.pk}"' in html


# the index -----------------------------------------------------------------------------


def test_the_index_lists_recent_editorial_changes_not_imports(editor_admin, staff_editor, django_assert_num_queries):
    article = make_article(title="<b>Harbour</b> story")
    editorial.publish(article.pk, user=staff_editor, source="dashboard")
    editorial.log_upstream_changes(
        {article.pk: (article.version, [editorial.UpstreamChange("title", "Old", "New")])}, at=article.imported_at
    )
    editor_admin.get(reverse("admin:index"))  # warm the session's user and permissions

    with django_assert_num_queries(5):  # session, user, its two permission lists, the recent changes
        html = editor_admin.get(reverse("admin:index")).content.decode()

    assert "None available" not in html
    assert f'href="{change_url(article)}"' in html and "&lt;b&gt;Harbour&lt;/b&gt; story" in html
    assert "publish status, desk" in html
    assert "reimport" not in html


def test_the_index_shows_no_changes_to_staff_who_may_not_see_articles(client, db):
    article = make_article(title="Secret plans")
    editorial.publish(article.pk, user=None, source="command")
    client.force_login(make_user("clerk", is_staff=True))

    html = client.get(reverse("admin:index")).content.decode()

    assert "Secret plans" not in html
