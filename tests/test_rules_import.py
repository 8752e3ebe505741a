"""Ingest rules at import: on new articles (changed ones when a rule says so), set-based per batch, in order,
never on what an editor decided; audited with the rule and run as actor, undone per rule and run; the report,
the summary and the dry run say what they did."""

import json
import threading
import time

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from articles import editorial, rule_actions
from articles.importing import import_paths
from articles.models import Article, AuditEntry, ImportRun
from tests.builders import GOOD_FRONT, write_item
from tests.conftest import make_user
from tests.threads import started
from tests.test_rules import make_rule

pytestmark = pytest.mark.django_db

RULE = AuditEntry.Source.RULE


def article(key: str) -> Article:
    return Article.objects.get(source_key=key)


def topics_of(key: str) -> list[str]:
    return [link.topic.name for link in article(key).topic_links.select_related("topic")]


def test_a_rule_acts_on_new_articles_and_names_itself_and_the_run_in_the_audit(tmp_path):
    write_item(tmp_path, "storm", title="Storm hits the harbour")
    write_item(tmp_path, "calm", title="A calm day")
    rule = make_rule(name="Storms", words="storm", status_action="reject", set_quality=5, add_topic="Weather",
                     mark_for_attention=True)

    import_paths([tmp_path])

    storm = article("storm")
    assert (storm.status, storm.quality, storm.needs_attention) == ("rejected", 5, True)
    assert topics_of("storm") == ["Testing", "Weather"]
    assert article("calm").status == "awaiting" and topics_of("calm") == ["Testing"]
    run = ImportRun.objects.get()
    entries = AuditEntry.objects.filter(article=storm)
    assert {e.field for e in entries} == {"status", "quality", "needs_attention", "topics"}
    assert {(e.source, e.rule_id, e.import_run_id, e.user_id) for e in entries} == {(RULE, rule.pk, run.pk, None)}
    assert {e.batch for e in entries} == {f"r{rule.pk}-i{run.pk}", f"r{rule.pk}-i{run.pk}-t"}
    assert storm.version == 1 + 4 and storm.reviewed_at is None  # a rule is no editor's review
    assert run.status == ImportRun.Status.FINISHED and run.created == 2


def test_rules_run_in_order_each_seeing_what_the_earlier_ones_did_and_stop_here_ends_the_list(tmp_path):
    write_item(tmp_path, "storm", title="Storm warning")
    write_item(tmp_path, "flood", title="Flood warning")
    make_rule(name="first", position=1, words="warning", set_quality=90)
    make_rule(name="stop storms", position=2, words="storm", stop_here=True, set_heat=1)
    make_rule(name="good ones", position=3, quality_min=80, mark_for_attention=True)

    import_paths([tmp_path])

    assert (article("storm").quality, article("storm").heat, article("storm").needs_attention) == (90, 1, False)
    assert (article("flood").quality, article("flood").needs_attention) == (90, True)


def test_rules_do_not_run_on_changed_articles_unless_they_say_so(tmp_path):
    write_item(tmp_path, "story", title="Quiet story")
    import_paths([tmp_path])
    make_rule(name="new only", words="storm", set_quality=1)
    make_rule(name="changed too", words="storm", set_heat=2, apply_to_changed=True)
    write_item(tmp_path, "story", title="Storm story")

    import_paths([tmp_path])

    assert (article("story").quality, article("story").heat) == (50, 2)


def test_rules_never_touch_an_article_whose_status_an_editor_set(tmp_path, editor):
    write_item(tmp_path, "story", title="Quiet story")
    import_paths([tmp_path])
    editorial.publish(article("story").pk, user=editor, source="dashboard")
    make_rule(name="reject storms", words="storm", status_action="reject", mark_for_attention=True,
              apply_to_changed=True)
    write_item(tmp_path, "story", title="Storm story")

    import_paths([tmp_path])

    story = article("story")
    assert (story.status, story.needs_attention) == ("published", False)
    assert not AuditEntry.objects.filter(source=RULE).exists()


def test_rules_never_change_a_field_an_editor_set_but_do_their_other_actions(tmp_path, editor):
    write_item(tmp_path, "story", title="Quiet story")
    import_paths([tmp_path])
    editorial.set_scores(article("story").pk, user=editor, source="dashboard", quality=77)
    make_rule(name="storms", words="storm", set_quality=1, mark_for_attention=True, apply_to_changed=True)
    write_item(tmp_path, "story", title="Storm story")

    import_paths([tmp_path])

    story = article("story")
    assert (story.quality, story.needs_attention, story.changed_since_review) == (77, True, True)


def test_a_later_rule_may_change_what_an_earlier_rule_set(tmp_path):
    write_item(tmp_path, "story", title="Storm story")
    make_rule(name="low", position=1, words="storm", set_quality=10)
    make_rule(name="high", position=2, words="story", set_quality=60)
    import_paths([tmp_path])
    assert article("story").quality == 60
    assert list(AuditEntry.objects.filter(field="quality").order_by("version").values_list("old_value", "new_value")) == [
        (50, 10), (10, 60)]


def test_undo_takes_back_what_one_rule_did_in_one_run_and_nothing_else(tmp_path, editor):
    write_item(tmp_path, "a", title="Storm a")
    write_item(tmp_path, "b", title="Storm b")
    first = make_rule(name="first", position=1, words="storm", set_heat=99, add_topic="Weather")
    make_rule(name="second", position=2, words="storm", mark_for_attention=True)
    import_paths([tmp_path])
    run = ImportRun.objects.get()

    result = rule_actions.undo_batch(rule_actions.run_batch(first, run), rule=first, user=editor, source="dashboard")

    assert result.count == 2 and "first" in result.message
    for key in ("a", "b"):
        assert (article(key).heat, article(key).needs_attention) == (20, True)
        assert topics_of(key) == ["Testing"]
    undo_entries = AuditEntry.objects.filter(action="undo")
    assert {e.field for e in undo_entries} == {"heat", "topics"} and {e.user_id for e in undo_entries} == {editor.pk}
    with pytest.raises(editorial.EditConflict, match="editor changed heat from 99 to 20"):  # undone already
        rule_actions.undo_batch(rule_actions.run_batch(first, run), rule=first, user=editor, source="dashboard")
    assert article("a").needs_attention  # the second rule's work stays


def test_undo_is_refused_when_an_editor_changed_the_field_since(tmp_path, editor):
    write_item(tmp_path, "a", title="Storm a")
    rule = make_rule(words="storm", set_quality=5)
    import_paths([tmp_path])
    editorial.set_scores(article("a").pk, user=editor, source="dashboard", quality=42)

    with pytest.raises(editorial.EditConflict, match="nothing was undone"):
        rule_actions.undo_batch(rule_actions.run_batch(rule, ImportRun.objects.get()), rule=rule, user=editor,
                                source="dashboard")
    assert article("a").quality == 42


def test_undo_refuses_another_rules_batch(tmp_path, editor):
    write_item(tmp_path, "a", title="Storm a")
    rule = make_rule(words="storm", set_quality=5)
    other = make_rule(name="other")
    import_paths([tmp_path])
    result = rule_actions.undo_batch(rule_actions.run_batch(rule, ImportRun.objects.get()), rule=other, user=editor,
                                     source="dashboard")
    assert result.count == 0 and article("a").quality == 5


def test_a_viewer_may_not_undo_or_apply_a_rule(viewer):
    rule = make_rule(words="storm", status_action="reject")
    with pytest.raises(editorial.PermissionDenied):
        rule_actions.apply_to_awaiting(rule, user=viewer)
    with pytest.raises(editorial.PermissionDenied):
        rule_actions.undo_batch(f"r{rule.pk}-i1", rule=rule, user=viewer, source="dashboard")


def test_applying_a_rule_to_the_articles_awaiting_review_is_one_undoable_batch(tmp_path, editor):
    for key in ("a", "b", "c"):
        write_item(tmp_path, key, title=f"Storm {key}")
    import_paths([tmp_path])
    editorial.publish(article("c").pk, user=editor, source="dashboard")
    rule = make_rule(words="storm", status_action="reject", add_topic="Weather", enabled=False)

    result = rule_actions.apply_to_awaiting(rule, user=editor)

    assert result.count == 2 and result.batch.startswith(f"r{rule.pk}-a")
    assert [article(k).status for k in "abc"] == ["rejected", "rejected", "published"]
    assert {e.rule_id for e in AuditEntry.objects.filter(batch=result.batch)} == {rule.pk}
    assert [h.articles for h in rule_actions.rule_history(rule)] == [2]

    rule_actions.undo_batch(result.batch, rule=rule, user=editor, source="dashboard")

    assert [article(k).status for k in "abc"] == ["awaiting", "awaiting", "published"]
    assert topics_of("a") == ["Testing"]


def test_rules_cost_a_bounded_number_of_queries_per_batch_whatever_its_size(tmp_path, settings):
    settings.STORY_CLUSTERS = False  # these look-alike titles form stories; clustering's queries are pinned apart
    make_rule(name="one", words="storm", status_action="reject", add_topic="Weather")
    make_rule(name="two", quality_min=10, set_heat=5)
    make_rule(name="three", providers=["news.example"], mark_for_attention=True, stop_here=True)

    def queries_for(count: int, folder) -> int:
        folder.mkdir()
        for index in range(count):
            write_item(folder, f"{folder.name}-{index}", title=f"Storm {index}")
        with CaptureQueriesContext(connection) as captured:
            import_paths([folder])
        return len(captured)

    queries_for(1, tmp_path / "first")  # the first run creates the provider, the topics
    assert queries_for(3, tmp_path / "small") == queries_for(30, tmp_path / "large")
    assert Article.objects.filter(status="rejected", heat=5, needs_attention=True).count() == 34


def test_the_report_says_which_rules_matched_each_file_and_the_summary_counts_them(tmp_path, capsys):
    source = tmp_path / "in"
    source.mkdir()
    write_item(source, "storm", title="Storm")
    write_item(source, "calm", title="Calm")
    rule = make_rule(name="Storms", words="storm", status_action="reject")
    report = tmp_path / "report.jsonl"

    call_command("import_articles", str(source), "--no-progress", "--report", str(report))

    rows = {row["key"]: row for row in map(json.loads, report.read_text().splitlines())}
    assert rows["storm"]["rules"] == [{"id": rule.pk, "name": "Storms", "actions": "reject"}]
    assert rows["calm"]["rules"] == []
    assert "applied rule “Storms” (reject): 1 file" in capsys.readouterr().out


def test_a_dry_run_shows_what_the_rules_would_do_and_writes_nothing(tmp_path, capsys):
    write_item(tmp_path, "storm", title="Storm")
    make_rule(name="Storms", words="storm", status_action="reject", add_topic="Brand new topic")

    call_command("import_articles", str(tmp_path), "--no-progress", "--dry-run")

    captured = capsys.readouterr()
    assert "storm.md: rules would apply: “Storms” (reject, add topic “Brand new topic”)" in captured.err
    assert "would apply rule “Storms”" in captured.out
    assert not Article.objects.exists() and not AuditEntry.objects.exists() and not ImportRun.objects.exists()
    from articles.models import Topic
    assert not Topic.objects.exists()


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks between two connections: PostgreSQL's")
def test_an_editor_acting_while_the_rules_hold_the_batch_waits_and_is_told_of_the_rules_change(tmp_path, monkeypatch):
    """The importer holds its batch's row locks while its rules write; an editor's publish of the same article
    waits for the batch to commit, then is refused (the rule moved the version), never interleaved."""
    editor = make_user("editor", "Editors")
    write_item(tmp_path, "story", title="Quiet story")
    import_paths([tmp_path])
    story = article("story")
    make_rule(name="reject storms", words="storm", status_action="reject", apply_to_changed=True)
    write_item(tmp_path, "story", title="Storm story")
    rules_written, editor_tried, outcome = threading.Event(), threading.Event(), {}
    original = rule_actions.RuleRunner.run

    def run_then_wait(self, **kwargs):
        fired = original(self, **kwargs)
        rules_written.set()
        editor_tried.wait(timeout=10)
        time.sleep(0.5)  # the editor's publish is now waiting on the row lock
        return fired

    def editor_publishes():
        rules_written.wait(timeout=10)
        editor_tried.set()
        try:
            outcome["result"] = editorial.publish(story.pk, user=editor, source="dashboard", expected_version=story.version)
        except editorial.EditConflict as conflict:
            outcome["conflict"] = conflict.describe()

    monkeypatch.setattr(rule_actions.RuleRunner, "run", run_then_wait)
    thread = started(editor_publishes)
    import_paths([tmp_path])
    thread.join(timeout=30)

    assert "An ingest rule changed status" in outcome["conflict"]
    assert article("story").status == "rejected"
    monkeypatch.undo()
    editorial.publish(story.pk, user=editor, source="dashboard", expected_version=article("story").version)
    write_item(tmp_path, "story", title="Storm story, again")
    import_paths([tmp_path])
    assert article("story").status == "published"  # now the editor's decision: the rule leaves it alone


def front_with_topics(slug: str, title: str, topics: list[str]) -> str:
    listed = "".join(f"  - {name}\n" for name in topics)
    return GOOD_FRONT.format(title=title, slug=slug).replace("  - Testing\n", listed)


def test_a_topic_a_rule_added_survives_a_changed_file_and_is_no_upstream_change(tmp_path, editor):
    """The rule runs on new articles only; the file then changes (title, topics): the source's topics are replaced,
    the rule's stays after them, and an editor who reviewed the article is told of the source's topics only."""
    write_item(tmp_path, "storm", title="Storm hits the harbour")
    make_rule(name="Storms", words="storm", add_topic="Weather")
    import_paths([tmp_path])
    editorial.publish(article("storm").pk, user=editor, source="dashboard")

    write_item(tmp_path, "storm", title="Storm hits the harbour again")
    import_paths([tmp_path])
    assert topics_of("storm") == ["Testing", "Weather"]
    upstream = AuditEntry.objects.filter(article=article("storm"), source=AuditEntry.Source.IMPORT)
    assert set(upstream.values_list("field", flat=True)) == {"title", "excerpt"}

    write_item(tmp_path, "storm", front=front_with_topics("storm", "Storm hits the harbour again", ["Ports", "Testing"]))
    import_paths([tmp_path])
    assert topics_of("storm") == ["Ports", "Testing", "Weather"]
    assert upstream.filter(field="topics").values_list("old_value", "new_value").get() == (["Testing"], ["Ports", "Testing"])
    assert not AuditEntry.objects.filter(field="topics", action="undo").exists()


def test_a_file_that_now_lists_the_rules_topic_owns_it_and_undoing_the_rule_leaves_it(tmp_path, editor):
    write_item(tmp_path, "storm", title="Storm hits the harbour")
    rule = make_rule(name="Storms", words="storm", add_topic="Weather")
    import_paths([tmp_path])
    write_item(tmp_path, "storm", front=front_with_topics("storm", "Storm hits the harbour", ["Weather", "Testing"]))
    import_paths([tmp_path])
    assert topics_of("storm") == ["Weather", "Testing"]  # listed once, where the source lists it

    result = rule_actions.undo_batch(rule_actions.run_batch(rule, ImportRun.objects.earliest("pk")), rule=rule, user=editor,
                                     source="dashboard")
    assert result.count == 0
    assert topics_of("storm") == ["Weather", "Testing"]


def test_overwriting_edits_drops_a_rules_topic_with_its_other_actions(tmp_path):
    write_item(tmp_path, "storm", title="Storm hits the harbour")
    make_rule(name="Storms", words="storm", add_topic="Weather", set_quality=5)
    import_paths([tmp_path])
    write_item(tmp_path, "storm", title="Storm hits the harbour again")
    import_paths([tmp_path], overwrite_edits=True)
    assert (topics_of("storm"), article("storm").quality) == (["Testing"], 50)
