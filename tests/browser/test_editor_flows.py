"""An editor's day in a real browser: log in, filter, review, edit, publish, move on with `j`, bulk-publish,
undo with `z`, read the history. A viewer finds nothing to click that changes anything."""

import re

import pytest

from articles.models import Article, AuditEntry
from tests.browser.conftest import expect, log_in
from tests.conftest import make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_editor_reviews_edits_publishes_moves_on_and_bulk_publishes(page, newsroom, artifacts):
    editor = make_user("editor", "Editors")
    harbour = newsroom["harbour"]
    log_in(page, "editor")

    # Filter the queue: the harbour stories awaiting review.
    page.get_by_role("link", name="Review queue").click()
    page.get_by_label("Search").fill("harbour")
    page.get_by_label("Status").select_option("awaiting")
    page.get_by_role("button", name="Apply filters").click()
    expect(page).to_have_url(re.compile(r"/articles/\?q=harbour&status=awaiting$"))
    rows = page.locator("tr[data-row]")
    expect(rows).to_have_count(6)
    page.screenshot(path=artifacts / "queue.png", full_page=True)

    # Open the first item; the filter travels with it.
    page.get_by_role("link", name="Harbour story 0", exact=True).click()
    expect(page).to_have_url(re.compile(rf"/articles/{harbour[0].pk}/\?q=harbour&status=awaiting$"))

    # Edit its excerpt and quality.
    page.get_by_role("textbox", name=re.compile("^Excerpt")).fill("The harbour reopens on Monday after the storm.")
    page.get_by_label("Quality", exact=True).fill("88")
    page.get_by_role("button", name="Save changes").click()
    expect(page.get_by_role("status").filter(has_text="Saved the excerpt and quality")).to_be_visible()
    expect(page.locator(".excerpt")).to_have_text("The harbour reopens on Monday after the storm.")

    # Publish it with the keyboard, staying on it (Shift); the confirmation offers an undo.
    page.keyboard.press("Shift+P")
    confirmation = page.get_by_role("status").filter(has_text="Published “Harbour story 0”.")
    expect(confirmation).to_be_visible()
    expect(confirmation.get_by_role("button", name="Undo")).to_be_visible()
    expect(page.locator(".review-head .status")).to_have_text("Published")
    page.screenshot(path=artifacts / "review.png", full_page=True)

    # Move on with j: the next harbour story awaiting review, filter kept.
    page.keyboard.press("j")
    expect(page).to_have_url(re.compile(rf"/articles/{harbour[1].pk}/\?q=harbour&status=awaiting$"))
    expect(page.get_by_role("heading", name="Harbour story 1")).to_be_visible()

    # Back to the queue: bulk-publish three items.
    page.get_by_role("link", name="Back to the queue").click()
    expect(rows).to_have_count(5)
    for title in ("Harbour story 1", "Harbour story 2", "Harbour story 3"):
        page.get_by_label(f"Select “{title}”").check()
    expect(page.locator("[data-selection-count]")).to_have_text("3 selected")
    page.locator("#bulk").get_by_role("button", name="Publish", exact=True).click()
    expect(page.get_by_role("status").filter(has_text="Published 3 articles.")).to_be_visible()
    expect(rows).to_have_count(2)
    published = Article.objects.published().filter(title__startswith="Harbour story ")
    assert set(published.values_list("title", flat=True)) == {
        "Harbour story 0", "Harbour story 1", "Harbour story 2", "Harbour story 3", "Harbour story already out",
    }

    # The history of the first item: the edit and the publication, by this editor.
    page.goto(f"/articles/{harbour[0].pk}/")
    history = page.locator("table.history tbody tr")
    expect(history).to_have_count(3)
    expect(history.filter(has_text="publish").filter(has_text="editor")).to_have_count(1)
    expect(history.filter(has_text="quality")).to_contain_text("88")
    assert AuditEntry.objects.filter(article=harbour[0], user=editor).count() == 3


def test_keyboard_selects_rows_publishes_and_undoes(page, newsroom):
    make_user("editor", "Editors")
    log_in(page, "editor")
    page.goto("/articles/?q=forest")
    rows = page.locator("tr[data-row]")
    expect(rows).to_have_count(3)

    page.keyboard.press("j")
    page.keyboard.press("j")
    expect(rows.nth(1)).to_have_class(re.compile("is-current"))
    page.keyboard.press("x")
    expect(page.get_by_role("status").filter(has_text="Rejected 1 article.")).to_be_visible()
    assert list(Article.objects.rejected().values_list("title", flat=True)) == ["Forest story 1"]

    page.keyboard.press("z")
    expect(page.get_by_role("status").filter(has_text="Undid the change to “Forest story 1”.")).to_be_visible()
    assert not Article.objects.rejected().exists()

    page.keyboard.press("j")
    page.keyboard.press("e")
    quality = page.get_by_label("Quality of “Forest story 0”")
    expect(quality).to_be_focused()
    quality.fill("77")
    quality.press("Enter")
    expect(page.get_by_role("status").filter(has_text="Saved the quality of “Forest story 0”.")).to_be_visible()
    assert Article.objects.get(title="Forest story 0").quality == 77

    page.keyboard.press("?")
    expect(page.get_by_role("dialog")).to_be_visible()
    expect(page.get_by_role("dialog")).to_contain_text("Undo your last change")
    page.keyboard.press("Escape")
    expect(page.get_by_role("dialog")).to_have_count(0)

    page.keyboard.press("/")
    expect(page.get_by_label("Search")).to_be_focused()


def test_viewer_finds_no_edit_controls(page, newsroom, artifacts):
    make_user("viewer", "Viewers")
    article = newsroom["harbour"][0]
    log_in(page, "viewer")

    page.get_by_role("link", name="Review queue").click()
    expect(page.locator("tr[data-row]")).to_have_count(10)
    expect(page.locator("#bulk")).to_have_count(0)
    expect(page.locator("input[name=ids], input[name=quality], input[name=heat]")).to_have_count(0)

    page.get_by_role("link", name="Harbour story 0", exact=True).click()
    expect(page.get_by_role("heading", name="Harbour story 0")).to_be_visible()
    expect(page.locator("form[method=post]:not([action='/accounts/logout/'])")).to_have_count(0)
    expect(page.get_by_role("button", name=re.compile("Publish|Reject|Save"))).to_have_count(0)
    page.keyboard.press("p")
    page.keyboard.press("?")
    expect(page.get_by_role("dialog")).not_to_contain_text("Publish")
    page.screenshot(path=artifacts / "review-viewer.png", full_page=True)

    article.refresh_from_db()
    assert article.status == Article.Status.AWAITING_REVIEW and not AuditEntry.objects.exists()


def test_editor_pages_through_the_queue_and_an_action_keeps_the_page(page, newsroom):
    from articles import selectors

    make_user("editor", "Editors")
    in_order = [article.title for article in selectors.review_queue({}).rows]
    log_in(page, "editor")
    page.goto("/articles/?size=4")
    titles = page.locator("tr[data-row] a[data-row-link]")
    expect(titles).to_have_text(in_order[:4])

    page.get_by_role("link", name="Next →").click()
    expect(page).to_have_url(re.compile(r"\?size=4&page=2&after=[\w-]+$"))
    expect(page.get_by_text("Items 5–8")).to_be_visible()
    expect(titles).to_have_text(in_order[4:8])

    # Publish the first row of page 2: back on the same page, the published row still listed (no status filter).
    page.get_by_label(f"Select “{in_order[4]}”").check()
    page.get_by_role("button", name="Publish", exact=True).click()
    expect(page.get_by_role("status").filter(has_text="Published 1 article.")).to_be_visible()
    expect(page).to_have_url(re.compile(r"page=2&after="))
    expect(titles).to_have_text(in_order[4:8])

    page.get_by_role("link", name="Next →").click()
    expect(titles).to_have_text(in_order[8:])
    expect(page.get_by_text("Next →")).to_have_attribute("aria-disabled", "true")
    page.get_by_role("link", name="← Previous").click()
    expect(titles).to_have_text(in_order[4:8])
    page.get_by_role("link", name="← Previous").click()
    expect(page).to_have_url(re.compile(r"/articles/\?size=4$"))
    expect(titles).to_have_text(in_order[:4])
