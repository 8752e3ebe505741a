"""The rules page in a real browser: create a rule, see its preview, save it, enable it (its preview again),
reorder with the keyboard; screenshots at desktop and phone widths."""

import re

import pytest

from articles.models import IngestRule
from tests.browser.conftest import expect, log_in
from tests.conftest import make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_editor_creates_previews_saves_enables_and_reorders_rules(page, newsroom, artifacts):
    make_user("editor", "Editors")
    IngestRule.objects.create(name="Forest first", words="forest", set_quality=10, position=1)
    log_in(page, "editor")

    page.get_by_role("link", name="Ingest rules").click()
    expect(page.get_by_role("heading", name="Ingest rules")).to_be_visible()
    page.get_by_role("link", name="New rule").click()

    page.get_by_label("Name").fill("Harbour stories need a look")
    page.get_by_label("Words", exact=True).fill('harbour "story 1"')
    page.get_by_label("Look for the words in").select_option("title")
    page.get_by_label("Mark for an editor's attention").check()
    page.get_by_label("Set quality to").fill("80")
    page.get_by_role("button", name="Preview").click()
    preview = page.get_by_role("heading", name=re.compile("^Preview: matches"))
    expect(preview).to_have_text("Preview: matches 8 existing articles")
    expect(page.locator("[data-preview-row]")).to_have_count(8)
    expect(page.get_by_role("link", name="Harbour story already out")).to_be_visible()
    page.screenshot(path=artifacts / "rules-form-preview.png", full_page=True)

    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.get_by_role("status").filter(has_text="saved, not enabled yet")).to_be_visible()
    expect(page.get_by_role("button", name="Apply to 7 articles awaiting review")).to_be_visible()

    page.get_by_role("link", name="← All rules").click()
    page.get_by_role("link", name="Enable “Harbour stories need a look”…").click()
    expect(page.get_by_role("heading", name="Preview: matches 8 existing articles")).to_be_visible()
    page.get_by_role("button", name="Enable the rule").click()
    expect(page.get_by_role("status").filter(has_text="enabled: it runs on the next import")).to_be_visible()

    # Reorder with the keyboard: focus the button, press Enter; focus lands back on the moved rule's row.
    up = page.get_by_role("button", name="Move “Harbour stories need a look” up")
    up.focus()
    page.keyboard.press("Enter")
    expect(page.locator("[data-rule]").first).to_contain_text("Harbour stories need a look")
    assert list(IngestRule.objects.values_list("name", flat=True)) == ["Harbour stories need a look", "Forest first"]
    expect(page.get_by_role("button", name="Move “Harbour stories need a look” up")).to_be_disabled()
    page.screenshot(path=artifacts / "rules-list.png", full_page=True)

    phone = page.context.browser.new_context(base_url=page.url.split("/rules")[0], viewport={"width": 390, "height": 844})
    try:
        mobile = phone.new_page()
        log_in(mobile, "editor")
        mobile.goto(f"/rules/{IngestRule.objects.get(name__startswith='Harbour').pk}/")
        assert mobile.evaluate("document.documentElement.scrollWidth") <= 390
        mobile.screenshot(path=artifacts / "rules-form-phone.png", full_page=True)
    finally:
        phone.close()


def test_a_viewer_sees_the_rules_without_any_control(page, newsroom):
    make_user("viewer", "Viewers")
    IngestRule.objects.create(name="Forest first", words="forest", set_quality=10, enabled=True)
    log_in(page, "viewer")
    page.get_by_role("link", name="Ingest rules").click()
    expect(page.get_by_role("link", name="Forest first")).to_be_visible()
    expect(page.locator("main").get_by_role("button")).to_have_count(0)
    page.get_by_role("link", name="Forest first").click()
    expect(page.get_by_role("heading", name="Preview: matches 3 existing articles")).to_be_visible()
    expect(page.locator("main").get_by_role("button")).to_have_count(0)
