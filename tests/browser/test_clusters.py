"""Stories in a real browser: the queue's one row per story, a story unfolded from the keyboard, the review page's
story side by side, "publish this, reject the rest" (asked first), and its undo. Screenshots at 1440 and 390 px
wide go to test-artifacts/."""

import re

import pytest

from articles.models import Article
from tests.browser.conftest import expect, log_in
from tests.browser.test_screens import SCREENS, assert_fits
from tests.builders import make_article, make_provider, make_story
from tests.conftest import make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def harbour_story(newsroom):
    """The newsroom's first harbour item, and two other providers' reports of the same story."""
    lead = newsroom["harbour"][5]  # the best scored harbour item
    others = [
        make_article(title="Harbour opens again after the storm", quality=30, heat=5,
                     provider=make_provider("coast.example", name="Coast Courier"),
                     excerpt="Ships are back in the harbour on Monday."),
        make_article(title="Video: the port reopens", quality=20, heat=1,
                     provider=make_provider("bay.example", name="Bay Tribune"),
                     excerpt="Watch the first ferry leave the port."),
    ]
    make_story(lead, *others)
    return [Article.objects.get(pk=lead.pk), *others]


def test_editor_unfolds_a_story_in_the_queue_decides_it_on_the_review_page_and_undoes(page, harbour_story, artifacts):
    make_user("editor", "Editors")
    lead, coast, bay = harbour_story
    log_in(page, "editor")

    # One row per story: the lead, with its other sources folded under it.
    page.goto("/articles/?q=harbour")
    rows = page.locator("tr[data-row]")
    expect(rows).to_have_count(7)  # six harbour items and the one already out; the coast report is folded
    story_row = page.locator(f"#row-{lead.pk}")
    summary = story_row.get_by_text("+2 sources")
    expect(summary).to_be_visible()
    expect(story_row.get_by_role("link", name="Harbour opens again after the storm")).to_be_hidden()

    # Unfold it from the keyboard: select the row (focus), then s.
    story_row.get_by_role("link", name=lead.title, exact=True).focus()
    page.keyboard.press("s")
    expect(story_row.get_by_role("link", name="Harbour opens again after the storm")).to_be_visible()
    expect(story_row.locator("details")).to_have_attribute("open", "")
    page.screenshot(path=artifacts / "queue-stories.png", full_page=True)

    # Every item, on request (the switch above the queue, or "Show" among the filters), and back.
    page.get_by_role("link", name="Every item").click()
    expect(page).to_have_url(re.compile(r"\?q=harbour&show=items$"))
    expect(rows).to_have_count(8)
    page.get_by_label("Show").select_option("")
    page.get_by_role("button", name="Apply filters").click()
    expect(rows).to_have_count(7)

    # The review page: the story's other items side by side.
    page.goto(f"/articles/{lead.pk}/?q=harbour")
    story = page.locator("#story")
    expect(story.get_by_role("heading", name=re.compile("This story"))).to_be_visible()
    expect(story.locator("tbody tr")).to_have_count(2)
    expect(story.get_by_role("row", name=re.compile("Coast Courier"))).to_contain_text("Ships are back in the harbour")
    page.screenshot(path=artifacts / "review-story.png", full_page=True)

    # Rejecting all is asked first; saying no changes nothing.
    questions = []

    def answer(dialog, accept: bool):
        questions.append(dialog.message)
        dialog.accept() if accept else dialog.dismiss()

    page.once("dialog", lambda dialog: answer(dialog, False))
    story.get_by_role("button", name="Reject all").click()
    expect(page).to_have_url(re.compile(rf"/articles/{lead.pk}/\?q=harbour$"))
    assert questions == ["Reject all 3 items of this story?"]
    assert set(Article.objects.filter(pk__in=[a.pk for a in harbour_story]).values_list("status", flat=True)) == {
        "awaiting"}

    # Publish this one and reject the rest, reached by keyboard (Tab to the button, Enter).
    page.once("dialog", lambda dialog: answer(dialog, True))
    story.get_by_role("button", name="Publish this, reject the rest").focus()
    page.keyboard.press("Enter")
    confirmation = page.get_by_role("status").filter(has_text="and rejected 2 items of the story")
    expect(confirmation).to_be_visible()
    assert questions[-1] == "Publish this item and reject the story's 2 other items not rejected yet?"
    statuses = dict(Article.objects.filter(pk__in=[a.pk for a in harbour_story]).values_list("pk", "status"))
    assert statuses == {lead.pk: "published", coast.pk: "rejected", bay.pk: "rejected"}
    expect(story.locator("tbody .status")).to_have_text(["Rejected", "Rejected"])
    page.screenshot(path=artifacts / "review-story-decided.png", full_page=True)

    # Undo brings the whole story back.
    confirmation.get_by_role("button", name="Undo").click()
    expect(page.get_by_role("status").filter(has_text="Undid the change to 3 articles.")).to_be_visible()
    assert set(Article.objects.filter(pk__in=[a.pk for a in harbour_story]).values_list("status", flat=True)) == {
        "awaiting"}


@pytest.mark.parametrize("screen", SCREENS)
def test_the_story_screens_fit_and_are_saved(page, harbour_story, artifacts, screen):
    make_user("editor", "Editors")
    log_in(page, "editor")
    page.set_viewport_size(SCREENS[screen])
    lead = harbour_story[0]

    page.goto("/articles/?q=harbour")
    page.locator(f"#row-{lead.pk}").get_by_text("+2 sources").click()
    assert_fits(page, "the queue with a story unfolded")
    page.screenshot(path=artifacts / f"queue-stories-{screen}.png", full_page=True)

    page.goto(f"/articles/{lead.pk}/")
    assert_fits(page, "the review page of a story")
    page.screenshot(path=artifacts / f"review-story-{screen}.png", full_page=True)


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_the_story_screens_have_no_serious_accessibility_violations(open_page, harbour_story, scheme):
    from tests.browser.test_accessibility import AXE, violations

    if not AXE.exists():
        pytest.skip(f"{AXE} is missing: `make axe` installs axe-core (it needs npm)")
    make_user("editor", "Editors")
    page = open_page(bypass_csp=True, color_scheme=scheme)
    log_in(page, "editor")
    lead = harbour_story[0]
    found = []
    page.goto("/articles/?q=harbour")
    page.locator(f"#row-{lead.pk}").get_by_text("+2 sources").click()
    found += violations(page, AXE)
    page.goto(f"/articles/{lead.pk}/")
    found += violations(page, AXE)

    assert not found, "\n".join(found)
