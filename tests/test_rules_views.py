"""The rules screens: editors manage, viewers read, anonymous visitors log in; the preview before a save or an
enable; reorder, enable, delete, apply to the queue and undo, each a POST with the right permission."""

import pytest
from django.urls import reverse

from articles.importing import import_paths
from articles.models import Article, AuditEntry, ImportRun, IngestRule
from tests.builders import make_article, write_item
from tests.test_rules import make_rule

pytestmark = pytest.mark.django_db

RULE_FORM = {
    "name": "Storms", "words": "storm", "words_in": "either", "providers": "", "categories": "", "types": "",
    "topics": "", "status_action": "reject", "add_topic": "",
}


def post_rule(client, url, **changes):
    return client.post(url, {**RULE_FORM, **changes})


def save_with_preview(client, url, **changes):
    """Preview, then save with the key the preview handed back, as the browser does."""
    preview = post_rule(client, url, preview="1", **changes)
    assert preview.status_code == 200
    key = preview.context["form"].data["previewed"]
    return post_rule(client, url, previewed=key, **changes)


def test_anonymous_visitors_are_sent_to_log_in(client):
    rule = make_rule()
    for url in (reverse("articles:rules"), reverse("articles:rule", args=[rule.pk]), reverse("articles:rule_new")):
        response = client.get(url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_a_viewer_sees_rules_read_only_and_every_change_is_refused(viewer_client):
    rule = make_rule(name="Storms", words="storm", status_action="reject", enabled=False)
    page = viewer_client.get(reverse("articles:rules"))
    assert page.status_code == 200 and "Storms" in page.content.decode()
    assert "<form" not in page.content.decode().split("<main")[1].split("</main>")[0]
    detail = viewer_client.get(reverse("articles:rule", args=[rule.pk]))
    assert detail.status_code == 200 and detail.context["form"] is None and "Preview: matches" in detail.content.decode()
    assert viewer_client.get(reverse("articles:rule_new")).status_code == 403
    assert viewer_client.get(reverse("articles:rule_enable", args=[rule.pk])).status_code == 403
    assert viewer_client.get(reverse("articles:rule_delete", args=[rule.pk])).status_code == 403
    for name in ("rule", "rule_enable", "rule_move", "rule_delete", "rule_apply", "rule_undo"):
        response = viewer_client.post(reverse(f"articles:{name}", args=[rule.pk]), {**RULE_FORM, "enabled": "1",
                                                                                  "direction": "up", "batch": "x"})
        assert response.status_code == 403, name
    assert viewer_client.post(reverse("articles:rule_new"), RULE_FORM).status_code == 403
    rule.refresh_from_db()
    assert not rule.enabled and IngestRule.objects.count() == 1


def test_a_user_without_the_view_permission_gets_403(client, django_user_model):
    client.force_login(django_user_model.objects.create_user("nobody"))
    assert client.get(reverse("articles:rules")).status_code == 403


def test_saving_a_new_rule_shows_its_preview_first_then_saves_it_disabled(editor_client, editor):
    make_article(title="Storm over the bay")
    make_article(title="Sunny")
    url = reverse("articles:rule_new")

    first = post_rule(editor_client, url)

    assert first.status_code == 200 and not IngestRule.objects.exists()
    assert first.context["preview_count"] == 1 and [a.title for a in first.context["preview"]] == ["Storm over the bay"]
    body = first.content.decode()
    assert "Preview: matches 1 existing article" in body and "save again to confirm" in body
    assert reverse("articles:review", args=[Article.objects.get(title="Storm over the bay").pk]) in body

    saved = post_rule(editor_client, url, previewed=first.context["form"].data["previewed"])

    rule = IngestRule.objects.get()
    assert saved.status_code == 302 and saved["Location"] == reverse("articles:rule", args=[rule.pk])
    assert (rule.name, rule.words, rule.status_action, rule.enabled, rule.created_by) == (
        "Storms", "storm", "reject", False, editor)


def test_changed_conditions_need_a_new_preview_before_saving(editor_client):
    rule = make_rule(name="Storms", words="storm", status_action="reject")
    url = reverse("articles:rule", args=[rule.pk])
    key = editor_client.get(url).context["form"].initial["previewed"]
    renamed = post_rule(editor_client, url, name="Big storms", previewed=key)
    assert renamed.status_code == 302
    widened = post_rule(editor_client, url, words="storm flood", previewed=key)
    assert widened.status_code == 200
    rule.refresh_from_db()
    assert (rule.name, rule.words) == ("Big storms", "storm")


def test_save_and_enable(editor_client):
    response = save_with_preview(editor_client, reverse("articles:rule_new"), enable="1")
    assert response.status_code == 302 and IngestRule.objects.get().enabled


@pytest.mark.parametrize("changes, field, message", [
    ({"words": '"unclosed'}, "words", "closing quote"),
    ({"quality_min": "50", "quality_max": "10"}, "quality_max", "must not be below"),
    ({"set_quality": "99999999999"}, "set_quality", "whole number"),
    ({"providers": "x" * 300}, "providers", "at most 255"),
    ({"name": ""}, "name", "required"),
])
def test_bad_input_is_shown_next_to_its_field_with_400(editor_client, changes, field, message):
    response = post_rule(editor_client, reverse("articles:rule_new"), **changes)
    assert response.status_code == 400
    assert message in " ".join(response.context["form"].errors[field])
    assert f'id="id_{field}_error"' in response.content.decode()


def test_a_rule_without_a_condition_or_an_action_is_refused(editor_client):
    no_condition = post_rule(editor_client, reverse("articles:rule_new"), words="")
    assert no_condition.status_code == 400 and "at least one condition" in no_condition.content.decode()
    no_action = post_rule(editor_client, reverse("articles:rule_new"), status_action="")
    assert no_action.status_code == 400 and "at least one action" in no_action.content.decode()
    assert not IngestRule.objects.exists()


def test_enabling_shows_the_preview_and_a_post_enables_or_disables(editor_client):
    make_article(title="Storm")
    rule = make_rule(name="Storms", words="storm", status_action="reject", enabled=False)
    url = reverse("articles:rule_enable", args=[rule.pk])
    page = editor_client.get(url)
    assert page.status_code == 200 and page.context["preview_count"] == 1
    assert editor_client.post(url, {"enabled": "1"}).status_code == 302
    rule.refresh_from_db()
    assert rule.enabled
    editor_client.post(url, {"enabled": "0"})
    rule.refresh_from_db()
    assert not rule.enabled


def test_rules_move_up_and_down_and_stay_in_order(editor_client):
    first, second, third = (make_rule(name=name, position=i) for i, name in enumerate(("a", "b", "c"), start=1))
    editor_client.post(reverse("articles:rule_move", args=[third.pk]), {"direction": "up"})
    assert list(IngestRule.objects.values_list("name", flat=True)) == ["a", "c", "b"]
    editor_client.post(reverse("articles:rule_move", args=[first.pk]), {"direction": "up"})  # already first
    editor_client.post(reverse("articles:rule_move", args=[first.pk]), {"direction": "down"})
    assert list(IngestRule.objects.values_list("name", flat=True)) == ["c", "a", "b"]
    assert list(IngestRule.objects.values_list("position", flat=True)) == [1, 2, 3]
    assert editor_client.post(reverse("articles:rule_move", args=[999]), {"direction": "up"}).status_code == 404


def test_delete_asks_then_deletes_and_the_history_stays(editor_client, tmp_path):
    write_item(tmp_path, "storm", title="Storm")
    rule = make_rule(words="storm", status_action="reject")
    import_paths([tmp_path])
    url = reverse("articles:rule_delete", args=[rule.pk])
    assert "Delete the rule" in editor_client.get(url).content.decode()
    assert editor_client.post(url).status_code == 302
    assert not IngestRule.objects.exists() and AuditEntry.objects.filter(source="rule").count() == 1


def test_apply_to_awaiting_then_undo_from_the_history(editor_client, tmp_path):
    for key in ("a", "b"):
        write_item(tmp_path, key, title=f"Storm {key}")
    import_paths([tmp_path])
    rule = make_rule(words="storm", status_action="reject", enabled=False)
    detail = reverse("articles:rule", args=[rule.pk])
    assert "Apply to 2 articles awaiting review" in editor_client.get(detail).content.decode()

    editor_client.post(reverse("articles:rule_apply", args=[rule.pk]))

    assert set(Article.objects.values_list("status", flat=True)) == {"rejected"}
    page = editor_client.get(detail)
    [entry] = page.context["history"]
    assert entry.articles == 2 and entry.import_run_id is None
    editor_client.post(reverse("articles:rule_undo", args=[rule.pk]), {"batch": entry.batch})
    assert set(Article.objects.values_list("status", flat=True)) == {"awaiting"}


def test_undo_of_an_import_run_from_the_history(editor_client, tmp_path):
    write_item(tmp_path, "storm", title="Storm")
    rule = make_rule(words="storm", set_quality=3)
    import_paths([tmp_path])
    [entry] = editor_client.get(reverse("articles:rule", args=[rule.pk])).context["history"]
    assert entry.import_run_id == ImportRun.objects.get().pk
    response = editor_client.post(reverse("articles:rule_undo", args=[rule.pk]), {"batch": entry.batch}, follow=True)
    assert "Undid what" in response.content.decode() and Article.objects.get().quality == 50


def test_the_pages_cost_a_fixed_number_of_queries(editor_client, django_assert_max_num_queries, tmp_path):
    for index in range(30):
        make_article(title=f"Storm {index}")
    for index in range(10):
        make_rule(name=f"rule {index}", words="storm", status_action="reject", position=index)
    rule = IngestRule.objects.first()
    with django_assert_max_num_queries(8):
        assert editor_client.get(reverse("articles:rules")).status_code == 200
    with django_assert_max_num_queries(12):
        assert editor_client.get(reverse("articles:rule", args=[rule.pk])).status_code == 200
    with django_assert_max_num_queries(10):
        assert editor_client.get(reverse("articles:rule_enable", args=[rule.pk])).status_code == 200


def test_imported_text_is_escaped_in_the_preview_and_the_list(editor_client):
    make_article(title="<script>alert(1)</script> storm")
    make_rule(name="<b>bold</b>", words="storm", status_action="reject")
    body = editor_client.get(reverse("articles:rules")).content.decode()
    assert "<b>bold</b>" not in body and "&lt;b&gt;bold&lt;/b&gt;" in body
    detail = editor_client.get(reverse("articles:rule", args=[IngestRule.objects.get().pk])).content.decode()
    assert "<script>alert(1)" not in detail and "&lt;script&gt;" in detail


def test_the_navigation_links_the_rules_for_those_who_may_see_them(editor_client):
    assert reverse("articles:rules") in editor_client.get(reverse("articles:dashboard")).content.decode()


HOSTILE_VALUES = ["\x00", "9" * 40, "-1e999", "x" * 5000, '"', "(a+)+$", "\ud800".encode("utf-8", "surrogatepass").decode("utf-8", "replace"),
                  "\n" * 300, "<script>", "NaN", "0001-01-01"]


@pytest.mark.parametrize("field", [name for name in RULE_FORM] + ["quality_min", "heat_max", "set_heat", "previewed",
                                                                  "mark_for_attention", "stop_here"])
def test_no_posted_value_makes_the_form_answer_500(editor_client, field):
    rule = make_rule(words="storm", set_quality=1)
    for url in (reverse("articles:rule_new"), reverse("articles:rule", args=[rule.pk])):
        for value in HOSTILE_VALUES:
            response = post_rule(editor_client, url, **{field: value})
            assert response.status_code < 500, (field, value)
    for name in ("rule_enable", "rule_move", "rule_undo"):
        for value in HOSTILE_VALUES:
            response = editor_client.post(reverse(f"articles:{name}", args=[rule.pk]),
                                          {"enabled": value, "direction": value, "batch": value})
            assert response.status_code < 500, (name, value)


def test_the_queue_filters_and_marks_the_articles_a_rule_marked_for_attention(editor_client, tmp_path):
    write_item(tmp_path, "storm", title="Storm")
    write_item(tmp_path, "calm", title="Calm")
    make_rule(words="storm", mark_for_attention=True)
    import_paths([tmp_path])
    page = editor_client.get(reverse("articles:queue"), {"attention": "true"})
    assert [article.title for article in page.context["page"].items] == ["Storm"]
    assert "Needs attention" in page.content.decode()


def test_the_public_api_has_no_attention_filter():
    from articles.api import PublicArticleFilter

    assert "attention" not in PublicArticleFilter.base_filters
