"""A triage session by keyboard: filter, move through the rows, tick rows with the mouse and act by key,
edit scores, open an item, publish it and land on the next one, undo. The selected row survives every reload."""

import re

import pytest

from articles.models import Article
from tests.browser.conftest import expect, log_in
from tests.conftest import make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def current_row(page):
    return page.locator("tr[data-row].is-current")


def test_an_editor_triages_the_queue_by_keyboard(page, newsroom):
    make_user("editor", "Editors")
    harbour = newsroom["harbour"]
    log_in(page, "editor")
    page.goto("/articles/")

    # Filter: "/" to the search field, type, Tab to the status, pick "Awaiting review" with the arrows, Enter.
    page.keyboard.press("/")
    expect(page.get_by_role("searchbox", name="Search")).to_be_focused()
    page.keyboard.type("harbour")
    page.keyboard.press("Tab")
    expect(page.get_by_label("Status")).to_be_focused()
    while page.get_by_label("Status").input_value() != "awaiting":
        page.keyboard.press("ArrowDown")
    page.keyboard.press("Shift+Tab")
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/articles/\?q=harbour&status=awaiting$"))
    rows = page.locator("tr[data-row]")
    expect(rows).to_have_count(6)

    # Move: j, j, k.
    for key in ("j", "j", "j", "k"):
        page.keyboard.press(key)
    expect(current_row(page)).to_have_id(f"row-{harbour[1].pk}")

    # Tick two rows with the mouse; the focused checkbox does not swallow keys: ? opens the help, j moves,
    # and p publishes the checked rows.
    page.get_by_role("checkbox", name="Select “Harbour story 2”").click()
    page.get_by_role("checkbox", name="Select “Harbour story 3”").click()
    expect(page.get_by_role("checkbox", name="Select “Harbour story 3”")).to_be_focused()
    page.keyboard.press("?")
    expect(page.get_by_role("dialog")).to_contain_text("the checked rows")
    page.keyboard.press("Escape")
    expect(page.get_by_role("dialog")).to_have_count(0)
    expect(page.get_by_role("checkbox", name="Select “Harbour story 3”")).to_be_focused()
    expect(current_row(page)).to_have_id(f"row-{harbour[3].pk}")
    page.keyboard.press("p")
    expect(page.get_by_role("status").filter(has_text="Published 2 articles.")).to_be_visible()
    assert set(Article.objects.published().values_list("title", flat=True)) == {
        "Harbour story 2", "Harbour story 3", "Harbour story already out",
    }
    # They left the filtered queue; the selection is on the row after them, and j goes on from there.
    expect(rows).to_have_count(4)
    expect(current_row(page)).to_have_id(f"row-{harbour[4].pk}")
    page.keyboard.press("k")
    expect(current_row(page)).to_have_id(f"row-{harbour[1].pk}")

    # Edit the selected row's scores: e, type, Enter. The page comes back with that row still selected.
    page.keyboard.press("e")
    quality = page.get_by_label("Quality of “Harbour story 1”")
    expect(quality).to_be_focused()
    page.keyboard.type("93")
    page.keyboard.press("Tab")
    page.keyboard.type("7")
    page.keyboard.press("Enter")
    saved = page.get_by_role("status").filter(has_text="Saved the quality and heat of “Harbour story 1”.")
    expect(saved).to_be_visible()
    expect(page).to_have_url(re.compile(rf"#row-{harbour[1].pk}$"))
    expect(current_row(page)).to_have_id(f"row-{harbour[1].pk}")
    assert Article.objects.values_list("quality", "heat").get(pk=harbour[1].pk) == (93, 7)

    # Open it with o; publish with p and land on the next item of the filtered queue.
    page.keyboard.press("o")
    expect(page).to_have_url(re.compile(rf"/articles/{harbour[1].pk}/\?q=harbour&status=awaiting$"))
    page.keyboard.press("p")
    expect(page).to_have_url(re.compile(rf"/articles/{harbour[4].pk}/\?q=harbour&status=awaiting$"))
    expect(page.get_by_role("heading", name="Harbour story 4")).to_be_visible()
    confirmation = page.get_by_role("status").filter(has_text="Published “Harbour story 1”.")
    expect(confirmation).to_be_visible()
    assert Article.objects.get(pk=harbour[1].pk).status == Article.Status.PUBLISHED

    # Changed my mind: z undoes it, and I stay where I am.
    page.keyboard.press("z")
    expect(page.get_by_role("status").filter(has_text="Undid the change to “Harbour story 1”.")).to_be_visible()
    expect(page).to_have_url(re.compile(rf"/articles/{harbour[4].pk}/"))
    assert Article.objects.get(pk=harbour[1].pk).status == Article.Status.AWAITING_REVIEW

    # Edit the excerpt and save with Ctrl+Enter; reject with Shift+x and stay on the item.
    page.keyboard.press("e")
    page.keyboard.type("Ferries run again.")
    page.keyboard.press("Control+Enter")
    expect(page.get_by_role("status").filter(has_text="Saved the excerpt")).to_be_visible()
    page.keyboard.press("Shift+X")
    expect(page.get_by_role("status").filter(has_text="Rejected “Harbour story 4”.")).to_be_visible()
    expect(page).to_have_url(re.compile(rf"/articles/{harbour[4].pk}/\?q=harbour&status=awaiting$"))
    assert Article.objects.values_list("status", "excerpt").get(pk=harbour[4].pk) == (
        Article.Status.REJECTED, "Ferries run again.",
    )


def test_stay_on_the_item_is_a_setting_the_next_pages_keep(page, newsroom):
    make_user("editor", "Editors")
    first, second, third = newsroom["harbour"][:3]
    log_in(page, "editor")
    page.goto(f"/articles/{first.pk}/?q=harbour")

    page.get_by_label("Then open the next item").uncheck()
    page.keyboard.press("x")
    expect(page.get_by_role("status").filter(has_text="Rejected “Harbour story 0”.")).to_be_visible()
    expect(page).to_have_url(re.compile(rf"/articles/{first.pk}/\?q=harbour$"))

    page.keyboard.press("j")
    expect(page).to_have_url(re.compile(rf"/articles/{second.pk}/"))
    expect(page.get_by_label("Then open the next item")).not_to_be_checked()
    page.keyboard.press("Shift+P")  # Shift does the opposite of the setting: publish and move on
    expect(page).to_have_url(re.compile(rf"/articles/{third.pk}/\?q=harbour$"))
    assert Article.objects.get(pk=second.pk).status == Article.Status.PUBLISHED
