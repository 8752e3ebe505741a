"""The admin's list machinery, for tables too large to count or list in full: a paginator that estimates and
pages "ids first, then rows", changelists that apply only the lookups they declare, list filters that search or
read an index, and the read-only mixin for imported or recorded data. `articles.admin` declares the ModelAdmins
with these."""

import datetime as dt
import json
import re

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.views.main import SEARCH_VAR, ChangeList
from django.contrib.admin.widgets import AutocompleteSelect
from django.core.paginator import Paginator
from django.db import connections
from django.http import HttpResponseRedirect
from django.utils import timezone
from django.utils.functional import cached_property

from . import paging, timestamps
from .schema import MAX_ID
from .selectors import filter_suggestions


class LargeTablePaginator(Paginator):
    """Pages through a large table without counting or reading the rows it skips.

    The count, on PostgreSQL: the planner's estimate when it says EXACT_BELOW
    rows or more, for the whole table (pg_class.reltuples, kept up to date by
    autovacuum) and for a filtered list (its plan's row estimate, unless
    `estimate_filtered` is off: a text search's estimate is a guess), because
    COUNT(*) reads every matching row. The list then says "about N". Below
    that, and on SQLite, the count is exact. A page is read "ids first, then
    rows" (`articles.paging`): a plain OFFSET fetches every skipped row.
    """

    EXACT_BELOW = 10_000
    estimated = False
    estimate_filtered = True

    @cached_property
    def count(self) -> int:
        queryset = self.object_list
        if connections[queryset.db].vendor == "postgresql":
            if not queryset.query.where:
                estimate = self.table_estimate(queryset)
            else:
                estimate = self.plan_estimate(queryset) if self.estimate_filtered else None
            if estimate is not None and estimate >= self.EXACT_BELOW:
                self.estimated = True
                return estimate
        return super().count

    @staticmethod
    def table_estimate(queryset) -> int | None:
        with connections[queryset.db].cursor() as cursor:
            cursor.execute(
                "SELECT reltuples::bigint FROM pg_class WHERE oid = to_regclass(%s)", [queryset.model._meta.db_table]
            )
            row = cursor.fetchone()
        return row[0] if row else None

    @staticmethod
    def plan_estimate(queryset) -> int | None:
        sql, params = queryset.order_by().query.sql_with_params()
        with connections[queryset.db].cursor() as cursor:
            cursor.execute(f"EXPLAIN (FORMAT JSON) {sql}", params)
            plan = cursor.fetchone()[0]
        plan = json.loads(plan) if isinstance(plan, str) else plan
        return int(plan[0]["Plan"]["Plan Rows"])

    def page(self, number):
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        top = bottom + self.per_page
        if top + self.orphans >= self.count:
            top = self.count
        ids = paging.ids_at(self.object_list, bottom, top)
        return self._get_page(paging.rows_for(self.object_list, ids), number, self)


class LargeTableAdmin:
    """A ModelAdmin mixin: LargeTablePaginator, told whether the list is a text search."""

    paginator = LargeTablePaginator

    def get_paginator(self, request, queryset, per_page, orphans=0, allow_empty_first_page=True):
        paginator = super().get_paginator(request, queryset, per_page, orphans, allow_empty_first_page)
        paginator.estimate_filtered = not request.GET.get(SEARCH_VAR)
        return paginator


ID = re.compile(r"[0-9]{1,19}")


def is_id(value: str) -> bool:
    """Whether `value` can be a primary key: a database compares it (`pk__in` has no overflow check)."""
    return bool(ID.fullmatch(value)) and int(value) <= MAX_ID


def parse_id(value: str, name: str) -> int:
    """A primary key from the query string; IncorrectLookupParameters (the admin's "?e=1") for anything else."""
    if not is_id(value):
        raise IncorrectLookupParameters(f"{name}: not an id")
    return int(value)


class DeclaredLookupsChangeList(ChangeList):
    """A changelist that applies only the lookups its list filters and date drill-down declare, and whose
    drill-down reaches 9999-12-31 in every time zone.

    Django's admin applies any other field lookup found in the query string
    (`?title__regex=(`, `?reviewed_at__gte=0001-01-01T00:00:00%2B14:00`), and some
    of them only fail when the database runs them: a server error. Here they,
    and drill-down values that are no date, are refused with
    IncorrectLookupParameters (the admin's "?e=1" page). A ModelAdmin may
    declare `id_lookups`: further `…__exact` lookups whose values are ids.
    """

    DRILL_DOWN = ("year", "month", "day")

    def drill_down_params(self) -> list[str]:
        return [f"{self.date_hierarchy}__{part}" for part in self.DRILL_DOWN] if self.date_hierarchy else []

    def get_filters_params(self, params=None):
        """Without the drill-down's year, month and day: `drill_down_bounds` reads them."""
        lookup_params = super().get_filters_params(params)
        for name in self.drill_down_params():
            lookup_params.pop(name, None)
        return lookup_params

    def get_filters(self, request):
        specs, has_filters, remaining, may_have_duplicates, has_active_filters = super().get_filters(request)
        id_lookups = getattr(self.model_admin, "id_lookups", ())
        unexpected = sorted(name for name in remaining if name not in id_lookups)
        if unexpected:
            raise IncorrectLookupParameters(f"not a filter of this list: {', '.join(unexpected)}")
        for name, values in remaining.items():
            remaining[name] = [parse_id(value, name) for value in values]
        remaining.update(self.drill_down_bounds())
        return specs, has_filters, remaining, may_have_duplicates, has_active_filters

    def drill_down_bounds(self) -> dict[str, list]:
        """The period the drill-down selects, as bounds on its field; none past either edge of the calendar."""
        year, month, day = (self.params.get(name) for name in self.drill_down_params()) if self.date_hierarchy \
            else (None, None, None)
        if year is None and month is None and day is None:
            return {}
        if year is None or (day is not None and month is None):
            raise IncorrectLookupParameters("date drill-down: a month needs its year, a day its month")
        try:
            first_day = dt.date(int(year), int(month or 1), int(day or 1))
        except (ValueError, OverflowError) as error:
            raise IncorrectLookupParameters(f"date drill-down: {error}") from error
        kind = "day" if day is not None else "month" if month is not None else "year"
        zone = timezone.get_current_timezone()
        end_day = timestamps.following(first_day, kind)
        # The first period local time can express also holds what lies before it (DrillDown shows such a row
        # there), the last one what lies after it: no bound on that side.
        bounds = {}
        if first_day != dt.date.min:
            bounds[f"{self.date_hierarchy}__gte"] = [timestamps.start_of(first_day, zone)]
        if end_day is not None:
            bounds[f"{self.date_hierarchy}__lt"] = [timestamps.start_of(end_day, zone)]
        if not all(timestamps.is_storable(moment) for [moment] in bounds.values()):
            raise IncorrectLookupParameters("date drill-down: out of range")
        return bounds

class CheckedParametersAdmin(admin.ModelAdmin):
    """A ModelAdmin whose pages refuse what their URL cannot mean, rather than fail on it: lists read only the
    lookups they declare (DeclaredLookupsChangeList), and an empty `_to_field` names no field (Django looks up
    a field named "" and fails)."""

    def get_changelist(self, request, **kwargs):
        return DeclaredLookupsChangeList

    def get_object(self, request, object_id, from_field=None):
        return super().get_object(request, object_id, from_field or None)

    def changelist_view(self, request, extra_context=None):
        """An action's POST picks rows by id: anything else is refused with a message, as Django refuses an
        empty selection, before a query is built from it."""
        if request.method == "POST":
            selected = request.POST.getlist(helpers.ACTION_CHECKBOX_NAME)
            if not all(is_id(value) for value in selected):
                self.message_user(
                    request, f"{helpers.ACTION_CHECKBOX_NAME}: not an id; nothing was changed.", messages.ERROR
                )
                return HttpResponseRedirect(request.get_full_path())
        return super().changelist_view(request, extra_context)


class ReadOnly:
    """A ModelAdmin or inline mixin for imported or recorded data: shown, never added, changed or deleted here."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ReadOnlyAdmin(ReadOnly, CheckedParametersAdmin):
    """Imported or recorded data, listed."""


class ReadOnlyInline(ReadOnly, admin.TabularInline):
    """Imported rows of an article, shown under it."""

    extra = 0
    can_delete = False
    show_change_link = False


# list filters ---------------------------------------------------------------------------


class AutocompleteFilter(admin.SimpleListFilter):
    """A list filter that searches its choices (the admin's autocomplete) instead of listing thousands."""

    template = "admin/articles/autocomplete_filter.html"
    field_name = ""

    def __init__(self, request, params, model, model_admin):
        super().__init__(request, params, model, model_admin)
        field = model._meta.get_field(self.field_name)
        self.choice_field = forms.ModelChoiceField(
            queryset=field.related_model.objects.all(),
            required=False,
            widget=AutocompleteSelect(field, model_admin.admin_site, attrs={"data-width": "100%"}),
        )
        self.preserved_params = [
            (name, value)
            for name, values in request.GET.lists()
            if name not in (self.parameter_name, "p")
            for value in values
        ]

    def has_output(self) -> bool:
        return True

    def lookups(self, request, model_admin):
        return ()

    def widget(self):
        attrs = {"id": f"filter_{self.parameter_name}"}
        return self.choice_field.widget.render(self.parameter_name, self.value(), attrs=attrs)

    def queryset(self, request, queryset):
        value = self.value()
        if not value:
            return queryset
        return self.filter_by(queryset, parse_id(value, self.title))


class IndexedValuesFilter(admin.AllValuesFieldListFilter):
    """The category or type values as choices: the queue filter's own suggestions (walked from the column's
    index instead of a DISTINCT over every row, and kept for a minute), so both lists offer the same values."""

    SUGGESTIONS = {"category": "categories", "type": "types"}

    def __init__(self, field, request, params, model, model_admin, field_path):
        super().__init__(field, request, params, model, model_admin, field_path)
        self.lookup_choices = filter_suggestions()[self.SUGGESTIONS[field.name]]


def titled(filter_class, title: str):
    """A field list filter under a plainer title than the field's verbose name."""

    class Titled(filter_class):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self.title = title

    return Titled

