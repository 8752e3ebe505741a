"""axe-core finds no serious or critical accessibility violation on any page an editor or a viewer sees,
in the light and the dark colour scheme; every control shows where the keyboard focus is.

axe-core comes from npm (`make axe`); without it these tests skip. It is injected into the page, which
needs the page's Content-Security-Policy bypassed (the policy allows no inline script)."""

import re
from pathlib import Path

import pytest

from articles import editorial
from tests.browser.conftest import log_in
from tests.conftest import make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

AXE = Path(__file__).resolve().parent / "node_modules" / "axe-core" / "axe.min.js"
BLOCKING = ("serious", "critical")
# Violations in markup Django's admin prints itself (not our templates): its search box has only an image for a
# label, and the admin's select2 autocomplete (our provider and topic filters) names its combobox nowhere.
# Listed here rather than forking the admin's templates; anything else on the changelist fails the test.
DJANGO_ADMIN_MARKUP = {
    "label-title-only": re.compile(r"^#searchbar$"),
    "aria-input-field-name": re.compile(r"select2-selection|^#select2-filter_\w+-container$"),
}


@pytest.fixture
def axe() -> Path:
    if not AXE.exists():
        pytest.skip(f"{AXE} is missing: `make axe` installs axe-core (it needs npm)")
    return AXE


def violations(page, axe: Path, *, known: dict[str, re.Pattern] | None = None) -> list[str]:
    """Serious and critical violations on the page, one line each; nodes `known` matches (by rule) left out."""
    page.add_script_tag(path=axe)
    found = page.evaluate("async () => (await axe.run(document, {resultTypes: ['violations']})).violations")
    lines = []
    for item in found:
        pattern = (known or {}).get(item["id"])
        targets = [" ".join(node["target"]) for node in item["nodes"]]
        targets = [target for target in targets if not (pattern and pattern.search(target))]
        if item["impact"] in BLOCKING and targets:
            lines.append(f"{page.url}: {item['id']} ({item['impact']}) {item['help']}: {'; '.join(targets[:5])}")
    return lines


@pytest.fixture
def reviewed(newsroom):
    article = newsroom["harbour"][1]
    editorial.set_scores(article.pk, user=None, source="command", quality=81)
    return article


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("role", ["Editors", "Viewers"])
def test_no_serious_violations_on_any_page(open_page, reviewed, axe, role, scheme):
    make_user("someone", role, is_staff=True)
    page = open_page(bypass_csp=True, color_scheme=scheme)
    found = []
    page.goto("/accounts/login/")
    found += violations(page, axe)
    log_in(page, "someone")
    for url in ("/", "/articles/?q=harbour", f"/articles/{reviewed.pk}/?q=harbour"):
        page.goto(url)
        found += violations(page, axe)
    page.goto("/admin/articles/article/")
    found += violations(page, axe, known=DJANGO_ADMIN_MARKUP)
    page.goto("/articles/")
    page.keyboard.press("?")
    found += violations(page, axe)
    assert not found, "\n".join(found)


FOCUSED = """() => {
  const element = document.activeElement;
  if (!element || element === document.body) return null;
  const style = getComputedStyle(element);
  const label = element.labels && element.labels[0];
  return {
    name: (element.getAttribute("aria-label") || (label && label.textContent) || element.textContent || element.tagName)
      .trim().replace(/\\s+/g, " "),
    ring: style.outlineStyle !== "none" && parseFloat(style.outlineWidth) >= 2,
  };
}"""


def tab_through(page, stops: int = 120) -> list[dict]:
    """Every control Tab reaches, in order, with whether it shows a focus ring."""
    reached = []
    for _ in range(stops):
        page.keyboard.press("Tab")
        focused = page.evaluate(FOCUSED)
        if focused is None or (reached and focused == reached[0]):  # past the last control
            break
        reached.append(focused)
    return reached


@pytest.mark.parametrize("screen", [{"width": 1440, "height": 900}, {"width": 390, "height": 844}])
def test_the_keyboard_reaches_every_action_and_always_shows_where_it_is(open_page, reviewed, screen):
    make_user("editor", "Editors")
    page = open_page(viewport=screen)
    log_in(page, "editor")

    pages = {
        # On a phone the filter panel is folded: its summary is the control that opens it.
        "/articles/?q=harbour": ["Filters", "Publish", "Reject", "Select “Harbour story 2”",
                                 "Quality of “Harbour story 2”", "Save scores of “Harbour story 2”"],
        f"/articles/{reviewed.pk}/?q=harbour": ["← Back to the queue", "Next j ↓", "Publish p", "Reject x",
                                                "Then open the next item", "Save changes", "Shortcuts ?"],
    }
    for url, actions in pages.items():
        page.goto(url)
        reached = tab_through(page)
        names = [stop["name"] for stop in reached]
        assert [action for action in actions if not any(name.startswith(action) for name in names)] == [], url
        assert [stop["name"] for stop in reached if not stop["ring"]] == [], url
