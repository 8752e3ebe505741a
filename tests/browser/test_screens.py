"""Every screen fits a phone (390×844) and a desktop (1440×900) without sideways scrolling, and each is
saved as a screenshot in test-artifacts/. On a phone the queue is a list of cards under a collapsed filter
panel with the bulk bar at hand, and the review page puts its actions first."""

import pytest

from articles import editorial
from articles.models import ImportRun
from tests.browser.conftest import expect, log_in
from tests.conftest import make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SCREENS = {"desktop": {"width": 1440, "height": 900}, "phone": {"width": 390, "height": 844}}


def assert_fits(page, name: str) -> None:
    width = page.viewport_size["width"]
    scroll_width = page.evaluate("document.documentElement.scrollWidth")
    assert scroll_width <= width, f"{name} is {scroll_width}px wide in a {width}px viewport"


@pytest.fixture
def reviewed(newsroom):
    """A harbour story with a history: its scores and excerpt edited, then published."""
    article = newsroom["harbour"][1]
    editor = make_user("editor", "Editors")
    editorial.update_article(
        article.pk, user=editor, source="dashboard", expected_version=1,
        changes={"excerpt": "The harbour reopens on Monday after the storm; " * 6, "quality": 81},
    )
    editorial.publish(article.pk, user=editor, source="dashboard")
    ImportRun.objects.create(
        status=ImportRun.Status.FINISHED, files=12, created=10, rejected=2,
        errors=[{"path": "sample_data/a-rather-long-directory-name/bad-item.md", "line": 3, "message": "no title"}],
    )
    return article


@pytest.mark.parametrize("screen", SCREENS)
def test_every_screen_fits_and_is_saved(page, reviewed, artifacts, screen):
    page.set_viewport_size(SCREENS[screen])
    page.goto("/accounts/login/")
    assert_fits(page, "login")
    page.screenshot(path=artifacts / f"login-{screen}.png", full_page=True)

    log_in(page, "editor")
    pages = {"dashboard": "/", "queue": "/articles/?q=harbour", "review": f"/articles/{reviewed.pk}/?q=harbour"}
    for name, url in pages.items():
        page.goto(url)
        assert_fits(page, name)
        page.screenshot(path=artifacts / f"{name}-{screen}.png", full_page=True)

    page.keyboard.press("?")
    expect(page.get_by_role("dialog")).to_be_visible()
    assert_fits(page, "the shortcuts overlay")
    page.screenshot(path=artifacts / f"shortcuts-{screen}.png")


def test_on_a_phone_the_queue_shows_cards_first_and_keeps_the_bulk_bar_at_hand(page, newsroom):
    make_user("editor", "Editors")
    page.set_viewport_size(SCREENS["phone"])
    log_in(page, "editor")
    page.goto("/articles/")

    filters = page.locator("details[data-filter-panel]")
    expect(filters).not_to_have_attribute("open", "")
    first_card = page.locator("tr[data-row]").first
    assert first_card.bounding_box()["y"] + first_card.bounding_box()["height"] < SCREENS["phone"]["height"]
    cards = page.locator("tr[data-row]")
    assert cards.nth(0).bounding_box()["width"] == cards.nth(1).bounding_box()["width"] <= 390

    page.get_by_role("checkbox", name="Select “Forest story 2”").click()
    page.mouse.wheel(0, 10_000)
    publish = page.locator("#bulk").get_by_role("button", name="Publish", exact=True)
    expect(publish).to_be_in_viewport()

    page.get_by_text("Filters", exact=True).click()
    expect(page.get_by_label("Status")).to_be_visible()


def test_on_a_phone_the_review_page_puts_its_actions_before_the_article(page, newsroom):
    make_user("editor", "Editors")
    page.set_viewport_size(SCREENS["phone"])
    log_in(page, "editor")
    page.goto(f"/articles/{newsroom['harbour'][0].pk}/")

    title = page.get_by_role("heading", name="Harbour story 0").bounding_box()
    for control in (page.get_by_role("button", name="Publish p"), page.get_by_role("button", name="Save changes")):
        assert control.bounding_box()["y"] < title["y"]
    expect(page.get_by_role("link", name="Next")).to_be_in_viewport()
    assert page.get_by_role("searchbox", name="Search articles").bounding_box()["width"] > 300
