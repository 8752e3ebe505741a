"""The article changelist, printed in a fraction of the time Django takes, byte for byte what Django prints.

A 50-row page with list_editable status, quality and heat (each posting the
value the editor saw, plus the version and the id) renders about 450 widgets
and 500 cells. Two shortcuts, both checked against Django's own output by
tests/test_admin_rendering.py:

- Widgets. ChangelistFormRenderer, given to the changelist's formset, action
  bar and filters, prints the simple widget templates (inputs, selects, empty
  error lists) in Python from the context the template would get, converting
  and escaping every value as the template engine does; anything else, or a
  template the project overrides, goes to the normal renderer.
- Rows. PageRows is admin_list.items_for_result with what is the same for
  every row worked out once per page (`{% page_result_list cl %}` in
  templates/admin/articles/article/change_list.html).
"""

import datetime
import html
import itertools
from pathlib import Path

import django.forms
from django import forms
from django.contrib.admin import helpers
from django.contrib.admin.templatetags import admin_list
from django.contrib.admin.templatetags.admin_urls import add_preserved_filters
from django.contrib.admin.utils import (
    FieldIsAForeignKeyColumnName, _get_non_gfk_field, display_for_field, display_for_value, lookup_field,
)
from django.contrib.admin.views.main import ChangeList
from django.core.exceptions import FieldDoesNotExist, ObjectDoesNotExist
from django.db import models
from django.forms.renderers import BaseRenderer, get_default_renderer
from django.urls import NoReverseMatch, reverse
from django.utils.formats import localize
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import SafeData, SafeString, mark_safe
from django.utils.timezone import template_localtime
from django.utils.translation import gettext as _

STOCK_TEMPLATES = Path(django.forms.__file__).resolve().parent / "templates"
INPUT = "django/forms/widgets/input.html"
ATTRS = "django/forms/widgets/attrs.html"
SELECT = "django/forms/widgets/select.html"
OPTION = "django/forms/widgets/select_option.html"
ERRORS = "django/forms/errors/list/default.html"
ERRORS_UL = "django/forms/errors/list/ul.html"
# Widget templates that are `{% include "django/forms/widgets/input.html" %}` and nothing else.
INPUT_KINDS = ("input", "hidden", "number", "text", "checkbox", "email", "url", "password")


def render_value_in_context(value) -> str:
    """What `{{ value }}` prints: django.template.base.render_value_in_context with a form renderer's context."""
    if type(value) is str:  # the common cases, shortened: localize() keeps a str, escape() is html.escape
        return html.escape(value)
    if type(value) is SafeString:
        return value
    value = localize(template_localtime(value))
    if not issubclass(type(value), str):
        value = str(value)
    return conditional_escape(value)


def render_stringformat(value) -> str:
    """What `{{ value|stringformat:'s' }}` prints (the filter keeps a safe value safe)."""
    if type(value) is str:
        return html.escape(value)
    if type(value) is int or type(value) is SafeString:
        return str(value)
    if isinstance(value, tuple):
        text = str(value)
    else:
        try:
            text = "%s" % (value,)
        except (ValueError, TypeError):
            text = ""
    return render_value_in_context(mark_safe(text) if isinstance(value, SafeData) else text)


def render_attrs(attrs: dict) -> str:
    """django/forms/widgets/attrs.html."""
    printed = ""
    for name, value in attrs.items():
        if value is True:
            printed += f" {render_value_in_context(name)}"
        elif value is not False:
            printed += f' {render_value_in_context(name)}="{render_stringformat(value)}"'
    return printed


def render_input(widget: dict) -> str:
    """django/forms/widgets/input.html (and the templates that only include it)."""
    value = "" if widget["value"] is None else f' value="{render_stringformat(widget["value"])}"'
    return (
        f'<input type="{render_value_in_context(widget["type"])}" name="{render_value_in_context(widget["name"])}"'
        f"{value}{render_attrs(widget['attrs'])}>"
    )


def render_select(widget: dict) -> str:
    """django/forms/widgets/select.html, each option as django/forms/widgets/select_option.html."""
    parts = [f'<select name="{render_value_in_context(widget["name"])}"{render_attrs(widget["attrs"])}>']
    for group_name, group_choices, _index in widget["optgroups"]:
        if group_name:
            parts.append(f'\n  <optgroup label="{render_value_in_context(group_name)}">')
        for option in group_choices:
            parts.append(
                f'\n  <option value="{render_stringformat(option["value"])}"{render_attrs(option["attrs"])}>'
                f"{render_value_in_context(option['label'])}</option>\n"
            )
        if group_name:
            parts.append("\n  </optgroup>")
    parts.append("\n</select>")
    return "".join(parts)


def is_plain(widget) -> bool:
    """Whether the template would print this context as the functions above do.

    The template engine calls a callable it meets and looks a key up before an
    attribute (`attrs.items` would find an attribute named "items"); such
    contexts, never built by Django's own widgets, are left to the template.
    """
    if not isinstance(widget, dict):
        return False
    attrs = widget.get("attrs")
    if not isinstance(attrs, dict) or "items" in attrs:
        return False
    if callable(widget.get("type")) or callable(widget.get("name")) or callable(widget.get("value")):
        return False
    for name, value in attrs.items():
        if callable(name) or callable(value):
            return False
    return True


def fast_input(context: dict) -> str | None:
    widget = context.get("widget")
    return render_input(widget) if is_plain(widget) else None


def fast_select(context: dict) -> str | None:
    widget = context.get("widget")
    if not is_plain(widget):
        return None
    for group_name, group_choices, _index in widget["optgroups"]:
        if callable(group_name):
            return None
        for option in group_choices:
            if option.get("template_name") != OPTION or not is_plain(option) or callable(option.get("label")):
                return None
    return render_select(widget)


def fast_errors(context: dict) -> str | None:
    """An empty error list prints nothing; a list with errors goes to the template."""
    return "" if not context.get("errors") else None


# Each fast path, with every template it stands for (itself and what it includes).
FAST_PATHS = {
    **{f"django/forms/widgets/{kind}.html": (fast_input, (INPUT, ATTRS)) for kind in INPUT_KINDS},
    SELECT: (fast_select, (OPTION, ATTRS)),
    ERRORS: (fast_errors, (ERRORS_UL,)),
    ERRORS_UL: (fast_errors, ()),
}


class ChangelistFormRenderer(BaseRenderer):
    """The project's form renderer, with the simple widget templates printed in Python when they are Django's own."""

    def __init__(self, fallback: BaseRenderer | None = None):
        self._fallback = fallback
        self._fast_paths = (None, {})

    @property
    def fallback(self) -> BaseRenderer:
        return self._fallback or get_default_renderer()

    @property
    def form_template_name(self):
        return self.fallback.form_template_name

    @property
    def formset_template_name(self):
        return self.fallback.formset_template_name

    @property
    def field_template_name(self):
        return self.fallback.field_template_name

    @property
    def bound_field_class(self):
        return getattr(self.fallback, "bound_field_class", None)

    def get_template(self, template_name):
        return self.fallback.get_template(template_name)

    def render(self, template_name, context, request=None):
        fast = self.fast_paths().get(template_name)
        if fast is not None:
            html = fast(context)
            if html is not None:
                return html
        return self.fallback.render(template_name, context, request=request)

    def fast_paths(self) -> dict:
        """The fast paths whose templates the fallback renderer loads from Django itself (not an override)."""
        fallback = self.fallback
        if self._fast_paths[0] is not fallback:
            self._fast_paths = (fallback, {
                name: fast for name, (fast, included) in FAST_PATHS.items()
                if all(self.is_stock(fallback, each) for each in (name, *included))
            })
        return self._fast_paths[1]

    @staticmethod
    def is_stock(renderer: BaseRenderer, template_name: str) -> bool:
        try:
            origin = renderer.get_template(template_name).template.origin
        except Exception:  # not found, or a backend without origins (Jinja2): leave it to the template
            return False
        return Path(origin.name).resolve() == STOCK_TEMPLATES / template_name


CHANGELIST_RENDERER = ChangelistFormRenderer()


class ChangelistActionForm(helpers.ActionForm):
    """The action bar's select and hidden input, printed by the changelist's renderer."""

    default_renderer = CHANGELIST_RENDERER


class FastChangelistWidgets:
    """ModelAdmin mixin: the changelist's formset, action bar and action checkboxes printed by CHANGELIST_RENDERER."""

    changelist_renderer = CHANGELIST_RENDERER
    action_form = ChangelistActionForm

    def get_changelist_formset(self, request, **kwargs):
        kwargs.setdefault("renderer", self.changelist_renderer)
        return super().get_changelist_formset(request, **kwargs)

    def action_checkbox(self, obj):
        """ModelAdmin.action_checkbox, with the renderer passed to the widget (Django's uses the default one)."""
        attrs = {
            "class": "action-select",
            "aria-label": format_html(_("Select this object for an action - {}"), str(obj)),
        }
        checkbox = forms.CheckboxInput(attrs, lambda value: False)
        return checkbox.render(helpers.ACTION_CHECKBOX_NAME, str(obj.pk), renderer=self.changelist_renderer)


# rows ---------------------------------------------------------------------------------------------------

LINK_PLACEHOLDER = "0123456789"


def result_list(cl) -> dict:
    """admin_list.result_list (the context of change_list_results.html), with the rows from PageRows."""
    headers = list(admin_list.result_headers(cl))
    return {
        "cl": cl,
        "result_hidden_fields": list(admin_list.result_hidden_fields(cl)),
        "result_headers": headers,
        "num_sorted_fields": sum(1 for header in headers if header["sortable"] and header["sorted"]),
        "results": list(results(cl)),
    }


def results(cl):
    """admin_list.results: the page's rows, each a list of cells; Django's own code for popups."""
    if cl.is_popup or cl.to_field:
        yield from admin_list.results(cl)
        return
    rows = PageRows(cl)
    row_forms = cl.formset.forms if cl.formset else itertools.repeat(None)
    for result, form in zip(cl.result_list, row_forms):
        yield admin_list.ResultList(form, rows.cells(result, form))


class Column:
    """One list_display entry, with what admin_list.items_for_result works out anew for every cell worked out once."""

    def __init__(self, cl, index: int, name, link: bool, table_tag: str | None, empty_value_display):
        self.name = name
        self.link = link
        self.table_tag = table_tag
        self.classes = ("field-%s" % admin_list._coerce_field_name(name, index),)
        self.field = self.attr = None
        self.kind = "lookup"  # anything unusual: admin.utils.lookup_field for each cell
        if callable(name):
            self.kind, self.attr = "callable", name
        elif isinstance(name, str):
            try:
                self.field = _get_non_gfk_field(cl.lookup_opts, name)
                self.kind = "field"
            except (FieldDoesNotExist, FieldIsAForeignKeyColumnName):
                if hasattr(cl.model_admin, name) and name != "__str__":
                    self.kind, self.attr = "admin", getattr(cl.model_admin, name)
        self.model_admin = cl.model_admin
        self.empty_value_display = getattr(self.attr, "empty_value_display", empty_value_display)

    def lookup(self, result):
        """admin.utils.lookup_field: (field, attr, value)."""
        if self.kind == "field":
            return self.field, None, getattr(result, self.name)
        if self.kind in ("admin", "callable"):
            return None, self.attr, self.attr(result)
        return lookup_field(self.name, result, self.model_admin)


class PageRows:
    """admin_list.items_for_result for every row of one page.

    The same cells, byte for byte: what depends only on the column (its
    field, the admin method, classes, the empty value, which cell links)
    and the change link around a placeholder id (reversed, with the list's
    filters added, once) are worked out once per page instead of once per
    cell; an editable cell, which the form's widget replaces, is not
    formatted first; a yes/no icon is built once per value.
    """

    def __init__(self, cl):
        self.cl = cl
        self.pk_name = cl.model._meta.pk.name
        empty_value_display = cl.model_admin.get_empty_value_display()
        self.columns = []
        first = True
        for index, name in enumerate(cl.list_display):
            link = self.link_in_col(first, name)
            table_tag = None
            if link:
                table_tag = "th" if first else "td"
                first = False
            self.columns.append(Column(cl, index, name, link, table_tag, empty_value_display))
        self.empty_value_display = empty_value_display
        self.link_parts = self.change_link_parts()
        self.icons = {}

    def link_in_col(self, is_first: bool, name) -> bool:
        links = self.cl.list_display_links
        if links is None:
            return False
        if is_first and not links:
            return True
        return name in links

    def change_link_parts(self) -> tuple[str, str] | None:
        """The change link with its filters, split around the id; None where each row must reverse its own."""
        cl = self.cl
        if type(cl).url_for_result is not ChangeList.url_for_result:
            return None
        try:
            url = reverse(
                f"admin:{cl.opts.app_label}_{cl.opts.model_name}_change",
                args=(LINK_PLACEHOLDER,), current_app=cl.model_admin.admin_site.name,
            )
        except NoReverseMatch:
            return None
        parts = self.with_filters(url).split(LINK_PLACEHOLDER)
        return (parts[0], parts[1]) if len(parts) == 2 else None

    def with_filters(self, url: str) -> str:
        return add_preserved_filters({"preserved_filters": self.cl.preserved_filters, "opts": self.cl.opts}, url)

    def change_link(self, result) -> str:
        """ChangeList.url_for_result plus the list's filters; NoReverseMatch as Django raises it."""
        pk = getattr(result, self.cl.pk_attname)
        if self.link_parts is not None and type(pk) is int:
            return f"{self.link_parts[0]}{pk}{self.link_parts[1]}"
        return self.with_filters(self.cl.url_for_result(result))

    def boolean_icon(self, value):
        if value is not None and type(value) is not bool:
            return admin_list._boolean_icon(value)
        if value not in self.icons:
            self.icons[value] = admin_list._boolean_icon(value)
        return self.icons[value]

    def cells(self, result, form) -> list:
        cells = []
        for column in self.columns:
            name = column.name
            editable = (
                not column.link and form is not None and name in form.fields
                and not (name == self.pk_name and form[self.pk_name].is_hidden)
            )
            classes, result_repr = self.display(column, result, formatted=not editable)
            row_class = mark_safe(' class="%s"' % " ".join(classes))
            if column.link:
                try:
                    url = self.change_link(result)
                except NoReverseMatch:
                    link_or_text = result_repr
                else:
                    link_or_text = mark_safe(
                        f'<a href="{conditional_escape(url)}">{conditional_escape(result_repr)}</a>'
                    )
                tag = column.table_tag
                cells.append(mark_safe(f"<{tag}{row_class}>{conditional_escape(link_or_text)}</{tag}>"))
                continue
            if editable:
                bound_field = form[name]
                result_repr = mark_safe(str(bound_field.errors) + str(bound_field))
            cells.append(mark_safe(f"<td{row_class}>{conditional_escape(result_repr)}</td>"))
        if form is not None and not form[self.pk_name].is_hidden:
            cells.append(format_html("<td>{}</td>", form[self.pk_name]))
        return cells

    def display(self, column, result, *, formatted: bool):
        """(classes, shown value) as items_for_result works them out; the value only where it is shown."""
        try:
            field, attr, value = column.lookup(result)
        except ObjectDoesNotExist:
            return column.classes, self.empty_value_display
        empty_value_display = column.empty_value_display if attr is column.attr else \
            getattr(attr, "empty_value_display", self.empty_value_display)
        classes = column.classes
        result_repr = None
        if isinstance(value, str) and value.strip() == "":
            value = ""
        if field is None or field.auto_created:
            if column.name == "action_checkbox":
                classes = ("action-checkbox",)
            boolean = getattr(attr, "boolean", False)
            if isinstance(attr, property) and hasattr(attr, "fget"):
                boolean = getattr(attr.fget, "boolean", False)
            if formatted:
                result_repr = self.boolean_icon(value) if boolean else \
                    display_for_value(value, empty_value_display, boolean)
            if isinstance(value, (datetime.date, datetime.time)):
                classes = (*classes, "nowrap")
        else:
            if formatted:
                if isinstance(field.remote_field, models.ManyToOneRel):
                    field_value = getattr(result, field.name)
                    result_repr = empty_value_display if field_value is None else field_value
                else:
                    result_repr = display_for_field(value, field, empty_value_display, avoid_link=column.link)
            if isinstance(field, (models.DateField, models.TimeField, models.ForeignKey)):
                classes = (*classes, "nowrap")
        return classes, result_repr
