"""The article changelist's form widgets, printed in Python: the same bytes Django's templates print, a tenth of the time.

A 50-row page with list_editable status, quality and heat (each posting the
value the editor saw, plus the version and the id) renders about 450 widgets;
through the template engine that was most of the page's time. The renderer
here is given to the changelist's formset only. For the widget templates it
knows (inputs, selects, empty error lists) it builds the HTML from the same
context the template would get, with the template engine's own conversion and
escaping of every value (`render_value_in_context` below); anything else, or a
template the project overrides, goes to the normal renderer.
"""

import html
from pathlib import Path

import django.forms
from django import forms
from django.contrib.admin import helpers
from django.forms.renderers import BaseRenderer, get_default_renderer
from django.utils.formats import localize
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import SafeData, mark_safe
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
    if type(value) is str:  # the common case, shortened: localize() keeps a str, escape() is html.escape
        return html.escape(value)
    value = localize(template_localtime(value))
    if not issubclass(type(value), str):
        value = str(value)
    return conditional_escape(value)


def render_stringformat(value) -> str:
    """What `{{ value|stringformat:'s' }}` prints (the filter keeps a safe value safe)."""
    if type(value) is str:
        return html.escape(value)
    if type(value) is int:
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
    return "".join(
        f" {render_value_in_context(name)}" if value is True
        else f' {render_value_in_context(name)}="{render_stringformat(value)}"'
        for name, value in attrs.items()
        if value is not False
    )


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
    if not isinstance(widget, dict) or not isinstance(widget.get("attrs"), dict) or "items" in widget["attrs"]:
        return False
    values = [widget.get("type"), widget.get("name"), widget.get("value"), *widget["attrs"], *widget["attrs"].values()]
    return not any(callable(value) for value in values)


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


class FastChangelistWidgets:
    """ModelAdmin mixin: the changelist's formset and its action checkboxes printed by a ChangelistFormRenderer."""

    changelist_renderer = ChangelistFormRenderer()

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
