"""The article changelist's shortcuts (admin_rendering): the same bytes as Django prints, and the page still works."""

import re
from pathlib import Path

import pytest
from django import forms
from django.contrib import admin
from django.contrib.admin.templatetags import admin_list
from django.contrib.auth.models import Permission
from django.forms.renderers import DjangoTemplates, get_default_renderer
from django.forms.utils import ErrorList
from django.urls import resolve, reverse
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy

from articles import admin_rendering
from articles.admin import ArticleAdmin
from articles.admin_rendering import ChangelistFormRenderer
from articles.models import Article, AuditEntry
from tests.conftest import make_user
from tests.test_admin import editable_row_data
from tests.builders import make_article

CHANGELIST = reverse("admin:articles_article_changelist")
NASTY = '"<script>alert(\'x\')</script>&amp;'


class TemplatesOnly(DjangoTemplates):
    """Django's renderer, counting what reaches a template: the fast paths must leave it alone."""

    def __init__(self):
        self.rendered = []

    def render(self, template_name, context, request=None):
        self.rendered.append(template_name)
        return super().render(template_name, context, request)


@pytest.fixture
def fallback():
    return TemplatesOnly()


@pytest.fixture
def fast(fallback):
    return ChangelistFormRenderer(fallback=fallback)


def both_ways(widget, name, value, attrs, fast, fallback) -> tuple[str, str]:
    """(fast HTML, template HTML); fails if the fast renderer handed the widget to a template."""
    printed = widget.render(name, value, attrs, renderer=fast)
    assert fallback.rendered == [], "the fast renderer fell back to the template"
    return printed, widget.render(name, value, attrs, renderer=get_default_renderer())


# widgets -------------------------------------------------------------------------------------------------


INPUT_CASES = {
    "hidden": (forms.HiddenInput(), "form-0-id", 12, {"id": "id_form-0-id"}),
    "hidden, escaped": (forms.HiddenInput(), "initial-form-0-status", NASTY, {"id": 'id_"x<'}),
    "hidden, None": (forms.HiddenInput(), "form-0-seen_version", None, {}),
    "hidden, empty string": (forms.HiddenInput(), "form-0-seen_version", "", {}),
    "hidden, safe value kept": (forms.HiddenInput(), "n", mark_safe("<b>&amp;</b>"), {}),
    "number": (forms.NumberInput({"class": "vIntegerField"}), "form-0-quality", 42, {"id": "id_form-0-quality"}),
    "number, negative": (forms.NumberInput(), "form-0-heat", -1, {"min": -1, "step": 1}),
    "number, disabled and readonly": (
        forms.NumberInput(), "form-0-heat", 7, {"disabled": True, "readonly": True, "required": False},
    ),
    "number, float and decimal-like": (forms.NumberInput(), "q", 1.5, {"step": "any", "max": 10.25}),
    "number, localized": (forms.NumberInput(), "q", 1234567, {"data-x": 1234567}),
    "text, escaped attribute": (
        forms.TextInput(), "t", "a & b", {"placeholder": NASTY, "aria-label": mark_safe("<i>")},
    ),
    "text, lazy attribute": (forms.TextInput(), "t", "x", {"title": gettext_lazy("Select all")}),
    "checkbox, checked": (forms.CheckboxInput(), "_selected_action", True, {"class": "action-select"}),
    "checkbox, unchecked": (forms.CheckboxInput(), "_selected_action", False, {"aria-label": "Select <b>"}),
    "email": (forms.EmailInput(), "e", "a@example.com", {}),
    "url": (forms.URLInput(), "u", "https://example.com/?a=1&b=2", {}),
}


@pytest.mark.parametrize("case", INPUT_CASES)
def test_inputs_print_what_the_templates_print(case, fast, fallback):
    widget, name, value, attrs = INPUT_CASES[case]
    printed, templated = both_ways(widget, name, value, attrs, fast, fallback)
    assert printed == templated


def test_localized_numbers_print_what_the_templates_print(fast, fallback, settings):
    settings.USE_THOUSAND_SEPARATOR = True
    widget = forms.NumberInput()
    widget.is_localized = True
    printed, templated = both_ways(widget, "q", 1234567, {"data-x": 1234567, "max": 2.5}, fast, fallback)
    assert printed == templated
    assert 'data-x="1234567"' in printed  # attrs go through stringformat, not localize


STATUS_CHOICES = [("awaiting", "Awaiting review"), ("published", "Published"), ("rejected", "Rejected")]
SELECT_CASES = {
    "a selected option": (STATUS_CHOICES, "published", {"id": "id_form-0-status"}),
    "no value": (STATUS_CHOICES, None, {}),
    "a value that is no option": (STATUS_CHOICES, "gone", {}),
    "disabled": (STATUS_CHOICES, "awaiting", {"disabled": True}),
    "escaped label and value": ([(NASTY, NASTY), ("<b>", "a & b")], NASTY, {"data-x": NASTY}),
    "a safe label is kept": ([("x", mark_safe("<em>x</em>"))], "x", {}),
    "lazy labels": ([("a", gettext_lazy("Yes")), ("b", gettext_lazy("No"))], "b", {}),
    "integer values, blank choice": ([("", "---------"), (1, "one"), (2, "two")], 2, {}),
    "groups": ([("Live", [("a", "A"), ("b", "B")]), ("Gone <x>", [("c", "C")]), ("d", "D")], "c", {}),
    "no choices": ([], None, {}),
}


@pytest.mark.parametrize("case", SELECT_CASES)
def test_selects_print_what_the_templates_print(case, fast, fallback):
    choices, value, attrs = SELECT_CASES[case]
    printed, templated = both_ways(forms.Select(choices=choices), "form-0-status", value, attrs, fast, fallback)
    assert printed == templated


def test_a_select_with_an_escaped_option_is_really_escaped(fast, fallback):
    printed, _ = both_ways(forms.Select(choices=[(NASTY, NASTY)]), "s", NASTY, {}, fast, fallback)
    assert "<script>" not in printed
    assert '<option value="&quot;&lt;script&gt;' in printed and " selected>&quot;&lt;script&gt;" in printed


def test_an_empty_error_list_prints_nothing_and_errors_go_to_the_template(fast, fallback):
    assert str(ErrorList(renderer=fast)) == ""
    assert fallback.rendered == []

    printed = str(ErrorList(["Enter a whole number <1>."], renderer=fast))
    assert printed == str(ErrorList(["Enter a whole number <1>."]))
    assert "&lt;1&gt;" in printed
    assert fallback.rendered == ["django/forms/errors/list/default.html"]


def test_widgets_it_does_not_know_go_to_their_templates(fast, fallback):
    textarea = forms.Textarea()
    assert textarea.render("excerpt", "<p>", renderer=fast) == textarea.render("excerpt", "<p>")
    assert fallback.rendered == ["django/forms/widgets/textarea.html"]


def test_a_context_the_template_would_read_differently_goes_to_the_template(fast, fallback):
    widget = forms.TextInput(attrs={"data-x": lambda: "called"})  # a template calls what it can call

    printed = widget.render("t", "v", renderer=fast)

    assert printed == widget.render("t", "v") and 'data-x="called"' in printed
    assert fallback.rendered == ["django/forms/widgets/text.html"]


def test_an_overridden_widget_template_is_used_not_the_fast_path(tmp_path):
    override = tmp_path / "django" / "forms" / "widgets" / "input.html"
    override.parent.mkdir(parents=True)
    override.write_text('<input class="ours" name="{{ widget.name }}">')

    class Overridden(DjangoTemplates):
        @property
        def engine(self):
            return self.backend({"APP_DIRS": False, "DIRS": [tmp_path, Path(forms.__file__).parent / "templates"],
                                 "NAME": "overridden", "OPTIONS": {}})

    renderer = ChangelistFormRenderer(fallback=Overridden())
    assert forms.NumberInput().render("q", 1, renderer=renderer) == '<input class="ours" name="q">'
    assert "django/forms/widgets/select.html" in renderer.fast_paths()  # select.html does not include input.html


# the admin ------------------------------------------------------------------------------------------------


@pytest.fixture
def staff_editor(db):
    return make_user("desk", "Editors", is_staff=True)


@pytest.fixture
def staff_scorer(db):
    """Staff who may score but not publish: the status column is disabled."""
    user = make_user("scorer", None, is_staff=True)
    user.user_permissions.add(*Permission.objects.filter(codename__in=["view_article", "change_article"]))
    return user


@pytest.fixture
def staff_viewer(db):
    return make_user("reader", "Viewers", is_staff=True)


def without_csrf(html: bytes) -> bytes:
    return re.sub(rb'name="csrfmiddlewaretoken" value="[^"]+"', b"", html)


@pytest.fixture
def djangos_own(monkeypatch):
    """Call it to switch every shortcut off: templates for every widget, Django's checkbox and rows."""

    def switch_off():
        monkeypatch.setattr(ChangelistFormRenderer, "fast_paths", lambda self: {})
        monkeypatch.setattr(ArticleAdmin, "action_checkbox", admin.ModelAdmin.action_checkbox)
        monkeypatch.setattr(admin_rendering, "results", admin_list.results)

    return switch_off


def test_the_action_checkbox_is_djangos(db):
    article = make_article(title=NASTY)
    model_admin = admin.site._registry[Article]
    assert isinstance(model_admin, ArticleAdmin)
    assert model_admin.action_checkbox(article) == admin.ModelAdmin.action_checkbox(model_admin, article)
    assert "&lt;script&gt;" in model_admin.action_checkbox(article)


@pytest.mark.django_db
@pytest.mark.parametrize("user_fixture", ["staff_editor", "staff_scorer", "staff_viewer"])
@pytest.mark.parametrize("query", ["", "?status__exact=awaiting", "?o=-5", "?q=%22%3Cscript", "?_popup=1"])
def test_the_changelist_is_byte_for_byte_what_django_prints(
    client, request, monkeypatch, djangos_own, user_fixture, query
):
    make_article(title=NASTY, quality=3, heat=-1)
    make_article(title='Cup final "<script>', status=Article.Status.PUBLISHED)
    make_article(title="Rejected <b>", status=Article.Status.REJECTED)
    client.force_login(request.getfixturevalue(user_fixture))
    rows_built = []
    cells = admin_rendering.PageRows.cells
    monkeypatch.setattr(admin_rendering.PageRows, "cells", lambda *args: rows_built.append(1) or cells(*args))

    fast = client.get(CHANGELIST + query)
    assert admin_rendering.CHANGELIST_RENDERER.fast_paths()  # the shortcuts were on
    assert len(rows_built) == (0 if "_popup" in query else len(fast.context["cl"].result_list))
    djangos_own()
    templated = client.get(CHANGELIST + query)

    assert fast.status_code == templated.status_code == 200
    assert without_csrf(fast.content) == without_csrf(templated.content)
    editable = user_fixture != "staff_viewer" and "_popup" not in query
    assert (b'name="form-0-quality"' in fast.content) == editable
    assert (b'name="form-0-status" disabled' in fast.content) == (editable and user_fixture == "staff_scorer")


# rows ------------------------------------------------------------------------------------------------------


def headline(article):
    return article.title.upper()


class EveryKindOfColumn(admin.ModelAdmin):
    """A column of each kind items_for_result tells apart, with values that need escaping or are empty."""

    list_display = [
        "title", headline, "provider", "published_date_time", "status", "quality", "is_possible_duplicate", "id",
        "flagged", "scored", "missing", "blank", "dated", "gone", "__str__", "url", "get_absolute_url",
        "provider__name",
    ]
    list_display_links = ["provider"]

    @admin.display(boolean=True)
    def flagged(self, article):
        return article.quality > 10 if article.heat >= 0 else None

    @admin.display(boolean=True)
    def scored(self, article):
        return 1 if article.quality > 10 else 0  # Django's icon says yes or no, its alt text "1" or "0"

    def missing(self, article):
        return None

    missing.empty_value_display = "(none)"

    def blank(self, article):
        return "   "

    def dated(self, article):
        return article.published_date_time.date()

    def gone(self, article):
        raise Article.DoesNotExist


class Editable(admin.ModelAdmin):
    list_display = ["title", "status", "quality", "heat", "is_possible_duplicate"]
    list_editable = ["status", "quality", "heat"]


@pytest.fixture
def listed_articles(db):
    from tests.builders import make_provider

    provider = make_provider("news.example", name='Provider "<b>"')
    return [
        make_article(title=NASTY, provider=provider, quality=3, heat=-1, is_possible_duplicate=True),
        make_article(title="   ", quality=30, heat=5, web_url="https://news.example/?a=1&b=<2>"),
        make_article(title="Plain", status=Article.Status.PUBLISHED),
    ]


def changelist(model_admin_class, user, query: str = ""):
    from django.test import RequestFactory

    model_admin = model_admin_class(Article, admin.AdminSite(name="rows"))
    request = RequestFactory().get(CHANGELIST + query)
    request.user = user
    request.resolver_match = resolve(CHANGELIST)  # the list's filters are kept in its links
    cl = model_admin.get_changelist_instance(request)
    cl.formset = None  # as changelist_view sets it
    if model_admin.list_editable:
        cl.formset = model_admin.get_changelist_formset(request)(queryset=cl.result_list)
    return cl


def both_row_kinds(cl) -> tuple[list, list]:
    ours = [(row.form, list(row)) for row in admin_rendering.results(cl)]
    djangos = [(row.form, list(row)) for row in admin_list.results(cl)]
    assert len(ours) == len(cl.result_list) > 0
    return ours, djangos


@pytest.mark.parametrize("query", ["", "?status__exact=awaiting&o=2", "?q=0123456789", "?q=%22%3Cscript%3E"])
def test_rows_are_the_cells_django_makes(listed_articles, staff_editor, query):
    cl = changelist(EveryKindOfColumn, staff_editor, query)
    if not cl.result_list:
        make_article(title="0123456789 and more")  # the link's placeholder in the query itself
        cl = changelist(EveryKindOfColumn, staff_editor, query)
    ours, djangos = both_row_kinds(cl)
    assert ours == djangos
    if query:
        assert "_changelist_filters=" in "".join(ours[0][1])


def test_the_list_context_is_djangos(listed_articles, staff_editor):
    cl = changelist(Editable, staff_editor, "?o=-3.2")
    ours, djangos = admin_rendering.result_list(cl), admin_list.result_list(cl)

    def comparable(context):
        return {**context, "results": [(row.form, list(row)) for row in context["results"]]}

    assert comparable(ours) == comparable(djangos)
    assert ours["num_sorted_fields"] == 2


def test_rows_without_links_and_with_the_first_column_linked(listed_articles, staff_editor):
    for links in (None, []):
        cl = changelist(EveryKindOfColumn, staff_editor)
        cl.list_display_links = links
        ours, djangos = both_row_kinds(cl)
        assert ours == djangos


def test_editable_rows_are_the_cells_django_makes(listed_articles, staff_editor):
    ours, djangos = both_row_kinds(changelist(Editable, staff_editor, "?status__exact=awaiting"))
    assert ours == djangos
    assert 'name="form-0-quality"' in "".join(ours[0][1])


def test_links_to_keys_that_need_quoting(listed_articles, staff_editor):
    Article.objects.filter(pk=listed_articles[0].pk).update(source_key="a/b c_d?")
    cl = changelist(EveryKindOfColumn, staff_editor, "?status__exact=awaiting")
    cl.pk_attname = "source_key"  # a key that is no integer

    ours, djangos = both_row_kinds(cl)

    assert ours == djangos
    assert "/a_2Fb%20c_5Fd_3F/change/" in "".join(cell for _, cells in ours for cell in cells)


def test_a_form_field_in_a_link_column_stays_a_link(listed_articles, staff_editor):
    class TitleInForm(Editable):
        list_display_links = ["title"]

        def get_changelist_form(self, request, **kwargs):
            return type("WithTitle", (forms.ModelForm,), {"title": forms.CharField()})

    ours, djangos = both_row_kinds(changelist(TitleInForm, staff_editor))

    assert ours == djangos
    assert '<th class="field-title"><a href=' in "".join(ours[0][1])


def test_a_changelist_that_makes_its_own_links_keeps_them(listed_articles, staff_editor):
    from django.contrib.admin.views.main import ChangeList
    from django.urls import NoReverseMatch

    class OwnLinks(ChangeList):
        def url_for_result(self, result):
            if result.title == "Plain":
                raise NoReverseMatch("no page for this one")
            return f"/elsewhere/{result.pk}/?x=<y>"

    class OwnLinksAdmin(EveryKindOfColumn):
        def get_changelist(self, request, **kwargs):
            return OwnLinks

    ours, djangos = both_row_kinds(changelist(OwnLinksAdmin, staff_editor))
    assert ours == djangos
    assert "/elsewhere/" in "".join(ours[0][1])


@pytest.mark.django_db
def test_the_changelist_renders_and_saves_a_list_editable_change(client, staff_editor):
    article = make_article(quality=10)
    client.force_login(staff_editor)
    page = client.get(CHANGELIST).content.decode()
    assert 'name="form-0-quality" value="10"' in page and 'name="initial-form-0-quality" value="10"' in page

    response = client.post(CHANGELIST, editable_row_data([article], **{"form-0-quality": "77"}))

    assert response.status_code == 302
    article.refresh_from_db()
    assert (article.quality, article.version) == (77, 2)
    assert AuditEntry.objects.filter(article=article, field="quality", new_value=77, user=staff_editor).exists()


@pytest.mark.django_db
def test_a_rejected_save_shows_its_errors_as_django_does(client, staff_editor, djangos_own):
    article = make_article(quality=10)
    client.force_login(staff_editor)
    data = editable_row_data([article], **{"form-0-quality": "many <b>"})

    fast = client.post(CHANGELIST, data)
    djangos_own()
    templated = client.post(CHANGELIST, data)

    assert fast.status_code == 200
    assert b'<ul class="errorlist"' in fast.content and b'value="many &lt;b&gt;"' in fast.content
    assert without_csrf(fast.content) == without_csrf(templated.content)
    assert Article.objects.get(pk=article.pk).quality == 10
