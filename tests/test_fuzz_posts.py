"""No posted form answers 500, whatever its fields hold: every editorial POST (the review page's save, scores and
status buttons, bulk actions, undo, the story actions, the rules' forms and buttons, the admin's change form and
actions) thrown hostile values in each field, alone and mixed (hypothesis, derandomized), as an editor.

A refused post is 400 (or the form shown again, or a redirect with a message); what matters here is that the
class of bad input never reaches a server error, on either database.
"""

import pytest
from django.test import Client
from hypothesis import HealthCheck, given, settings, strategies as st

from articles.models import Article, AuditEntry, IngestRule
from tests.builders import make_article
from tests.conftest import make_user

pytestmark = pytest.mark.django_db

HOSTILE = [
    "", " ", "\x00", "a\x00b", "\u202e", "💩", "-1", "0", "1", "2147483647", "2147483648",
    "-2147483649", "9223372036854775808", "99999999999999999999999", "1e999", "NaN", "inf", "1.5", "²", "٣",
    "true", "on", "x" * 5000, "1:1", "1:", ":1", "0:0", "{article}:1", "{article}:99999999999", "{article}",
    "{other}", "b1", "up", "down", "publish", "reject", "unpublish", "draft", "awaiting_review",
    '"unclosed', "((", "%00", "<script>", "0x10",
]


ARTICLE_FORM = ("excerpt", "quality", "heat", "status", "version", "editor_notes")
POSTS = [
    ("/articles/{article}/edit/", ARTICLE_FORM),
    ("/articles/{article}/scores/", ("quality", "heat", "version", "next")),
    ("/articles/{article}/publish/", ("version", "next")),
    ("/articles/{article}/unpublish/", ("version", "next")),
    ("/articles/{article}/reject/", ("version", "next")),
    ("/articles/bulk/", ("action", "ids", "next")),
    ("/articles/undo/", ("batch", "next")),
    ("/articles/{article}/story/publish/", ("seen", "version")),
    ("/articles/{article}/story/reject/", ("seen", "version")),
    ("/articles/{article}/story/leave/", ("version",)),
    ("/articles/{article}/story/join/", ("other", "version")),
    ("/rules/new/", (
        "name", "providers", "categories", "types", "topics", "words", "words_in", "quality_min", "quality_max",
        "heat_min", "heat_max", "status_action", "set_quality", "set_heat", "add_topic", "mark_for_attention",
        "stop_here", "apply_to_changed", "previewed", "preview", "enable",
    )),
    ("/rules/{rule}/", ("name", "words", "set_quality", "previewed", "preview", "enable")),
    ("/rules/{rule}/enable/", ("enabled",)),
    ("/rules/{rule}/move/", ("direction",)),
    ("/rules/{rule}/apply/", ("previewed", "confirm")),
    ("/rules/{rule}/undo/", ("batch",)),
    ("/rules/{rule}/delete/", ("confirm",)),
    ("/admin/articles/article/{article}/change/", ARTICLE_FORM + ("_save", "_continue")),
    ("/admin/articles/article/", ("action", "_selected_action", "select_across", "index", "form-TOTAL_FORMS",
                                        "form-INITIAL_FORMS", "form-0-id", "form-0-quality", "_save")),
    ("/admin/articles/article/undo/{batch}/", ("post",)),
]


@pytest.fixture
def site(db) -> dict:
    first = make_article(title="Harbour opens", topics=["Boats"])
    second = make_article(title="Harbour opens again")
    AuditEntry.objects.create(article=first, source="dashboard", action="edit", field="quality",
                              old_value=1, new_value=2, batch="b1")
    rule = IngestRule.objects.create(name="Boats", words="boats", set_quality=5)
    return {"article": first.pk, "other": second.pk, "rule": rule.pk, "batch": "b1"}


@pytest.fixture
def editor(db) -> Client:
    client = Client()
    client.force_login(make_user("desk", "Editors", is_staff=True))
    return client


def post(client: Client, site: dict, path: str, data: dict) -> None:
    values = {name: [value.replace("{article}", str(site["article"])).replace("{other}", str(site["other"]))
                     for value in values] for name, values in data.items()}
    response = client.post(path.format(**site), values)
    assert response.status_code < 500, (path, values, response.status_code)


@pytest.mark.parametrize("path, names", POSTS, ids=[path for path, _ in POSTS])
def test_each_field_of_each_form_with_each_hostile_value(site, editor, path, names):
    for turn, name in enumerate(names):
        for value in HOSTILE[turn % 3::3]:
            post(editor, site, path, {name: [value]})
    assert Article.objects.count() == 2


values = st.one_of(  # no lone surrogates: a browser cannot send one
    st.sampled_from(HOSTILE),
    st.text(st.characters(blacklist_categories=("Cs",)), max_size=30),
    st.integers(-(2**70), 2**70).map(str),
)


@st.composite
def submissions(draw):
    path, names = draw(st.sampled_from(POSTS))
    chosen = draw(st.lists(st.sampled_from(names), min_size=1, max_size=6))
    data = {}
    for name in chosen:
        data.setdefault(name, []).append(draw(values))
    return path, data


@settings(max_examples=200, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(submission=submissions())
def test_no_mix_of_posted_fields_answers_500(site, editor, submission):
    path, data = submission
    post(editor, site, path, data)
