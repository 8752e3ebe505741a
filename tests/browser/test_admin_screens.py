"""The admin's article list in a real browser: from 1280 px wide its default columns fit beside the filters
(no sideways scrolling), long titles take at most two lines with the whole title on hover; screenshots of it
at 1440×900 and 390×844 go to test-artifacts/."""

import re

import pytest

from articles.models import ArticleImage
from tests.builders import make_article
from tests.conftest import make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LONG_TITLE = (
    "Harbour authority approves the long-delayed expansion of the container terminal after a decade of "
    "planning disputes, environmental reviews and two changes of government"
)
COLUMNS = ["Title", "Provider", "Published", "Status", "Quality", "Heat", "Flags"]

# Where the page and the list stand against the viewport and the list's own container.
WIDTHS = """() => {
    const table = document.querySelector("#result_list");
    const container = table.closest(".results");
    return {
        page: document.documentElement.scrollWidth,
        viewport: window.innerWidth,
        table: table.getBoundingClientRect().width,
        container: container.clientWidth,
    };
}"""


def expect(page):
    from playwright.sync_api import expect as playwright_expect

    return playwright_expect(page)


@pytest.fixture
def changelist(page, roles, live_server):
    """An editor on the admin's article list: a dozen articles, long titles, thumbnails from the live server."""
    for i in range(12):
        make_article(title=f"{LONG_TITLE} ({i})", quality=100 + i, heat=10 * i, is_possible_duplicate=i % 3 == 0)
    ArticleImage.objects.update(url=f"{live_server.url}/static/sample/harbor.svg")
    make_user("desk", "Editors", is_staff=True)
    page.goto("/admin/login/?next=/admin/articles/article/")
    page.get_by_label("Username").fill("desk")
    page.get_by_label("Password").fill("pw-desk")
    page.get_by_role("button", name="Log in").click()
    expect(page).to_have_url(re.compile(r"/admin/articles/article/$"))
    expect(page.locator("#result_list")).to_be_visible()
    return page


def test_the_changelist_fits_1280_pixels_without_scrolling_sideways(changelist):
    changelist.set_viewport_size({"width": 1280, "height": 800})

    widths = changelist.evaluate(WIDTHS)

    assert widths["page"] <= widths["viewport"], widths
    assert widths["table"] <= widths["container"], widths
    for name in COLUMNS:
        expect(changelist.locator("#result_list thead th").filter(has_text=re.compile(rf"^\s*{re.escape(name)}\s*$"))
               ).to_be_in_viewport()
    expect(changelist.locator("#result_list tbody tr").first.locator("td.field-flags")).to_be_in_viewport()


def test_a_long_title_takes_two_lines_and_shows_whole_on_hover(changelist):
    changelist.set_viewport_size({"width": 1280, "height": 800})
    title = changelist.locator("#result_list .field-headline a").first

    lines = title.evaluate("a => a.getBoundingClientRect().height / parseFloat(getComputedStyle(a).lineHeight)")

    assert lines <= 2.1
    expect(title.locator("span")).to_have_attribute("title", re.compile(rf"^{re.escape(LONG_TITLE)}"))


@pytest.mark.parametrize(("width", "height"), [(1440, 900), (390, 844)])
def test_changelist_screenshots(changelist, artifacts, width, height):
    changelist.set_viewport_size({"width": width, "height": height})
    changelist.screenshot(path=str(artifacts / f"admin-changelist-{width}x{height}.png"))


def test_the_change_page_history_keeps_words_whole(changelist, artifacts):
    from articles import editorial
    from articles.models import Article

    article = Article.objects.order_by("pk").first()
    editorial.set_scores(article.pk, user=None, source="command", quality=150, heat=5)
    editorial.publish(article.pk, user=None, source="command")
    changelist.set_viewport_size({"width": 1280, "height": 900})

    changelist.goto(f"/admin/articles/article/{article.pk}/change/")

    history = changelist.locator("table.history")
    expect(history.get_by_role("cell", name="Awaiting review")).to_be_visible()
    for cell in history.locator("td.history-word").all():
        assert cell.evaluate("td => td.scrollWidth <= td.clientWidth && td.innerText.split('\\n').length === 1")
    history.scroll_into_view_if_needed()
    changelist.screenshot(path=str(artifacts / "admin-change-history-1280x900.png"))
