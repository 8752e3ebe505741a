"""The editorial admin: the review queue for power users, plus import runs and the audit trail.

Every editorial write here (change form, list_editable, actions, undo) goes
through `articles.editorial`, so it is permission-checked, version-checked and
audited exactly like the dashboard's. Imported data (text, provider, topics,
images, related) is read-only: the importer owns it. Built for a table of
100,000 articles: related rows are joined or fetched in one subquery, provider
and topic filters search instead of listing every choice, and an unfiltered
list is never counted row by row.
"""

import datetime as dt
import itertools
import json
import re

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.views.main import SEARCH_VAR, ChangeList
from django.contrib.admin.widgets import AutocompleteSelect
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import connections, models, transaction
from django.db.models import Exists, Max, Min, OuterRef, Prefetch
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import formats, timezone
from django.utils.formats import date_format
from django.utils.functional import cached_property
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.timezone import localtime

from . import editorial, timestamps
from .admin_rendering import CHANGELIST_RENDERER, FastChangelistWidgets
from .editorial import EditConflict
from .models import (
    Article, ArticleImage, ArticleQuerySet, ArticleTopic, AuditEntry, ImportRun, Provider, RelatedArticle, Topic,
)
from .schema import EDITABLE_FIELDS
from .selectors import distinct_values
from .templatetags.newsroom import masked, opaque
from .throttling import ThrottledAdminAuthenticationForm
from .urlnorm import link_url

admin.site.login_form = ThrottledAdminAuthenticationForm
admin.site.site_header = "Newsroom administration"
admin.site.site_title = "Newsroom admin"

SOURCE = AuditEntry.Source.ADMIN
HISTORY_ROWS = 20
IMPORT_ERRORS_SHOWN = 500


# large tables ---------------------------------------------------------------------------


class LargeTablePaginator(Paginator):
    """Pages through a large table without reading the rows it skips.

    The count, on PostgreSQL: the planner's estimate when it says 10,000 rows
    or more, for the whole table (pg_class.reltuples, kept up to date by
    autovacuum) and for a filtered list (its plan's row estimate, unless
    `estimate_filtered` is off: a text search's estimate is a guess); COUNT(*)
    reads every matching row, 45 ms for one status at 1,000,000 articles. The
    list then says "about N". Below that, and on SQLite, the count is exact.
    A page: its ids first, from the index alone, then only those rows
    ("deferred join"); a plain OFFSET fetches every skipped row from the table.
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
        ids = list(self.object_list.prefetch_related(None).values_list("pk", flat=True)[bottom:top])
        return self._get_page(self.object_list.filter(pk__in=ids), number, self)


class LargeTableAdmin:
    """A ModelAdmin mixin: LargeTablePaginator, told whether the list is a text search."""

    paginator = LargeTablePaginator


    def get_paginator(self, request, queryset, per_page, orphans=0, allow_empty_first_page=True):
        paginator = super().get_paginator(request, queryset, per_page, orphans, allow_empty_first_page)
        paginator.estimate_filtered = not request.GET.get(SEARCH_VAR)
        return paginator


class DrillDown:
    """A QuerySet mixin: `datetimes()` (the admin's date hierarchy) without a DISTINCT over every row, and
    working to the edges of the calendar in every time zone.

    Django's version truncates and sorts every matching row. Here MIN and MAX
    bound the range, and every year (month, day) in it is tested by an indexed
    EXISTS, up to PROBES_PER_QUERY in one query: a fixed number of queries
    whatever the size of the table. Past those, the next row's date is looked
    up (an index lookup) and the probing resumes there, so dates centuries
    apart cost a few queries, not one per year. The first period is probed
    without a lower bound and the last without an upper one (no row lies
    beyond MIN and MAX), so no probe needs a moment before 0001-01-01 or after
    9999-12-31 UTC.
    """

    PROBES_PER_QUERY = 100

    def aggregate(self, *args, **kwargs):
        """On SQLite, MIN() and MAX() one query each: together they read every row, alone each is an index lookup.

        A datetime bound comes back in local time, or as the first or last moment local time can express: the
        date hierarchy turns it into local time, which 9999-12-31 23:00 UTC, say, is not east of Greenwich.
        """
        lone_bounds = not args and len(kwargs) > 1 and all(type(a) in (Min, Max) for a in kwargs.values())
        if not lone_bounds:
            return super().aggregate(*args, **kwargs)
        if connections[self.db].vendor == "sqlite":
            bounds = {name: super(DrillDown, self).aggregate(**{name: a})[name] for name, a in kwargs.items()}
        else:
            bounds = super().aggregate(**kwargs)
        return {
            name: timestamps.local_or_edge(value) if isinstance(value, dt.datetime) and timezone.is_aware(value)
            else value
            for name, value in bounds.items()
        }

    def datetimes(self, field_name, kind, order="ASC", tzinfo=None, is_dst=None):
        if kind not in ("year", "month", "day") or order != "ASC" or tzinfo is not None:
            return super().datetimes(field_name, kind, order, tzinfo)
        bounds = self.aggregate(first=Min(field_name), last=Max(field_name))
        first, last = bounds["first"], bounds["last"]
        found, start = [], first
        while start is not None:
            chunk = list(itertools.islice(periods_between(start, last, kind), self.PROBES_PER_QUERY))
            found += self.probe(field_name, chunk, first=first, last=last)
            end = chunk[-1][1]
            if end is None or end > last:
                break
            start = self.filter(**{f"{field_name}__gte": end}).order_by().aggregate(next=Min(field_name))["next"]
            start = timestamps.local_or_edge(start) if start is not None else None
        return found

    def probe(self, field_name: str, periods: list, *, first, last) -> list[dt.datetime]:
        """The starts of those `periods` that hold a row: one EXISTS each, in one query."""
        probes = [
            self.filter(**period_bounds(field_name, start, end, first=start <= first, last=end is None or end > last))
            .order_by().values("pk")[:1]
            for start, end in periods
        ]
        compiled = [probe.query.sql_with_params() for probe in probes]
        with connections[self.db].cursor() as cursor:
            cursor.execute(
                "SELECT " + ", ".join(f"EXISTS({sql})" for sql, _ in compiled),
                [param for _, params in compiled for param in params],
            )
            hits = cursor.fetchone()
        return [start for (start, _), hit in zip(periods, hits) if hit]


class DrillDownQuerySet(DrillDown, ArticleQuerySet):
    """The article changelist's queryset."""


class DrillDownImportRuns(DrillDown, models.QuerySet):
    """The import run changelist's queryset."""


def periods_between(first: dt.datetime, last: dt.datetime, kind: str):
    """(start, end) of each year, month or day from `first` to `last`, as aware datetimes in their timezone;
    the last period past 9999-12-31 has no end (None)."""
    day = first.date().replace(month=1, day=1) if kind == "year" else first.date().replace(day=1) if kind == "month" \
        else first.date()
    while day is not None and day <= last.date():
        following = timestamps.following(day, kind)
        yield (timestamps.start_of(day, first.tzinfo),
               timestamps.start_of(following, first.tzinfo) if following is not None else None)
        day = following


def period_bounds(field_name: str, start, end, *, first: bool, last: bool) -> dict:
    """Lookups for one probed period: no lower bound on the first, none above the last (MIN and MAX bound them)."""
    bounds = {} if first else {f"{field_name}__gte": start}
    if not last and end is not None:
        bounds[f"{field_name}__lt"] = end
    return bounds


ID = re.compile(r"[0-9]{1,19}")
ID_MAX = 2**63 - 1  # a BigAutoField


def is_id(value: str) -> bool:
    """Whether `value` can be a primary key: a database compares it (`pk__in` has no overflow check)."""
    return bool(ID.fullmatch(value)) and int(value) <= ID_MAX


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


def safe_link(url: str):
    """A link to what `link_url` renders for `url`; otherwise the stored text, escaped by the caller."""
    href = link_url(url)
    if href:
        return format_html('<a href="{}" rel="noopener noreferrer" target="_blank">{}</a>', href, href)
    return url


def thumbnail_html(url: str | None, *, width: int = 64, height: int = 40):
    src = link_url(url)
    if not src:
        return ""
    return format_html(
        '<img src="{}" alt="" width="{}" height="{}" loading="lazy" referrerpolicy="no-referrer">', src, width, height
    )


def short_json(value, limit: int = 80) -> str:
    text = "—" if value is None else value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def shown_timestamp(value: dt.datetime | None, empty: str):
    """A DateTimeField value as the admin prints one (local time, localized), in UTC where local time would leave
    a datetime's range: Django's own display raises there."""
    return formats.localize(timestamps.shown(value)) if value is not None else empty


class CheckedParametersAdmin(admin.ModelAdmin):
    """A ModelAdmin whose pages refuse what their URL cannot mean, rather than fail on it: lists read only the
    lookups they declare (DeclaredLookupsChangeList), and an empty `_to_field` names no field (Django looks up
    a field named "" and fails)."""

    def get_changelist(self, request, **kwargs):
        return DeclaredLookupsChangeList

    def get_object(self, request, object_id, from_field=None):
        return super().get_object(request, object_id, from_field or None)

    def changelist_view(self, request, extra_context=None):
        """A list's POST picks rows by id (action checkboxes, list_editable rows): anything else is refused with
        a message, as Django refuses an empty selection, before a query is built from it."""
        if request.method == "POST":
            row_id = re.compile(rf"form-\d+-{re.escape(self.opts.pk.name)}")
            for name, values in request.POST.lists():
                if name == helpers.ACTION_CHECKBOX_NAME or row_id.fullmatch(name):
                    if not all(is_id(value) for value in values):
                        self.message_user(request, f"{name}: not an id; nothing was changed.", messages.ERROR)
                        return HttpResponseRedirect(request.get_full_path())
        return super().changelist_view(request, extra_context)


class ReadOnlyAdmin(CheckedParametersAdmin):
    """Imported or recorded data: shown, never edited here."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


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
        return self.choice_field.widget.render(
            self.parameter_name, self.value(), attrs=attrs, renderer=CHANGELIST_RENDERER
        )

    def queryset(self, request, queryset):
        value = self.value()
        if not value:
            return queryset
        return self.filter_by(queryset, parse_id(value, self.title))


class ProviderFilter(AutocompleteFilter):
    title = "provider"
    parameter_name = "provider_id"
    field_name = "provider"

    def filter_by(self, queryset, value: int):
        return queryset.filter(provider_id=value)


class TopicFilter(AutocompleteFilter):
    title = "topic"
    parameter_name = "topic_id"
    field_name = "topics"

    def filter_by(self, queryset, value: int):
        return queryset.filter(Exists(ArticleTopic.objects.filter(article=OuterRef("pk"), topic_id=value)))


class IndexedValuesFilter(admin.AllValuesFieldListFilter):
    """The field's values as choices, read from its index instead of a DISTINCT over every row."""

    MAX_CHOICES = 200

    def __init__(self, field, request, params, model, model_admin, field_path):
        super().__init__(field, request, params, model, model_admin, field_path)
        self.lookup_choices = [value for value in distinct_values(model, field.name, self.MAX_CHOICES) if value]


def titled(filter_class, title: str):
    """A field list filter under a plainer title than the field's verbose name."""

    class Titled(filter_class):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self.title = title

    return Titled


# the editorial form ---------------------------------------------------------------------


class VersionField(forms.IntegerField):
    """The article version the editor loaded. It travels with the form but is never a change itself."""

    widget = forms.HiddenInput

    def has_changed(self, initial, data) -> bool:
        return False


class ExcerptField(forms.CharField):
    """Textareas post CRLF line ends; an excerpt the editor did not touch must not count as an edit."""

    def __init__(self, **kwargs):
        kwargs["strip"] = False
        super().__init__(**kwargs)

    def to_python(self, value):
        return super().to_python(value).replace("\r\n", "\n")

    def has_changed(self, initial, data) -> bool:
        return (initial or "").replace("\r\n", "\n") != self.to_python(data)


class EditorialForm(forms.ModelForm):
    """Excerpt, scores and status, plus the version the editor saw (checked before anything is saved).

    Each field also posts the value the editor saw (show_hidden_initial), so a
    change is what the editor typed, not any difference from the database: a
    list_editable row someone else changed meanwhile, and this editor left
    alone, is skipped instead of being written back with the old values.
    """

    seen_version = VersionField(min_value=1)
    can_publish = True

    class Meta:
        model = Article
        fields = list(EDITABLE_FIELDS)
        field_classes = {"excerpt": ExcerptField}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.initial.setdefault("seen_version", self.instance.version)
        for name in EDITABLE_FIELDS:
            if name in self.fields:
                self.fields[name].show_hidden_initial = True
        if not self.can_publish and "status" in self.fields:
            self.fields["status"].disabled = True

    def clean(self):
        cleaned = super().clean()
        seen = cleaned.get("seen_version")
        if seen is not None and self.instance.pk and self.has_changed():
            try:
                editorial.check_version(self.instance, expected_version=seen)
            except EditConflict as conflict:
                raise ValidationError(conflict.describe(), code="conflict") from conflict
        return cleaned

    def editorial_changes(self) -> dict:
        return {name: self.cleaned_data[name] for name in self.changed_data if name in EDITABLE_FIELDS}


# inlines --------------------------------------------------------------------------------


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False
    show_change_link = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ArticleImageInline(ReadOnlyInline):
    model = ArticleImage
    fields = ["position", "preview", "link", "width", "height", "title", "is_cached"]
    readonly_fields = fields

    @admin.display(description="")
    def preview(self, image):
        return thumbnail_html(image.url, width=96, height=60)

    @admin.display(description="URL")
    def link(self, image):
        return safe_link(image.url)


class RelatedArticleInline(ReadOnlyInline):
    model = RelatedArticle
    verbose_name = "related article"
    fields = ["position", "title", "link", "published", "type", "provider_name", "quality"]
    readonly_fields = fields

    @admin.display(description="published date time")
    def published(self, related):
        return shown_timestamp(related.published_date_time, self.get_empty_value_display())

    @admin.display(description="Web URL")
    def link(self, related):
        return safe_link(related.web_url or "")

    @admin.display(description="Provider")
    def provider_name(self, related):
        provider = related.provider if isinstance(related.provider, dict) else {}
        return provider.get("name") or provider.get("domain") or ""


# articles -------------------------------------------------------------------------------


class ArticleChangeList(DeclaredLookupsChangeList):
    """Rows leave the long texts behind, and get their images in one query for the whole page.

    The images are fetched after the page is cut: a subquery in the SELECT
    would run for every row an OFFSET skips on a deep page.
    """

    LONG_TEXTS = ("excerpt", "body", "extra_yaml", "featured_content", "secured", "source_keys", "source_file")

    def get_queryset(self, request, exclude_parameters=None):
        images = Prefetch("images", ArticleImage.objects.only("article_id", "position", "url"), to_attr="listed_images")
        return super().get_queryset(request, exclude_parameters).defer(*self.LONG_TEXTS).prefetch_related(images)


@admin.register(Article)
class ArticleAdmin(FastChangelistWidgets, LargeTableAdmin, CheckedParametersAdmin):
    list_display = [
        "thumbnail", "title", "provider", "published", "status", "quality", "heat",
        "possible_duplicate", "changed_upstream",
    ]
    list_display_links = ["title"]
    list_editable = ["status", "quality", "heat"]
    list_filter = [
        "status", ("type", IndexedValuesFilter), ("category", IndexedValuesFilter), ProviderFilter, TopicFilter,
        ("is_possible_duplicate", titled(admin.BooleanFieldListFilter, "possible duplicate")),
        ("changed_since_review", titled(admin.BooleanFieldListFilter, "changed since review")),
    ]
    list_select_related = ["provider"]
    list_per_page = 50
    search_fields = ["title", "excerpt", "provider__name"]
    search_help_text = "Searches titles, excerpts and provider names."
    date_hierarchy = "published_date_time"
    show_full_result_count = False
    show_facets = admin.ShowFacets.NEVER
    actions = ["publish_selected", "unpublish_selected", "reject_selected"]
    form = EditorialForm
    inlines = [ArticleImageInline, RelatedArticleInline]
    fieldsets = [
        (None, {"fields": ["title", "excerpt", ("quality", "heat", "status"), "seen_version"]}),
        ("Review", {"fields": [
            ("reviewed_by", "reviewed_at"), ("published_by", "published_at"), ("version", "editor_fields"),
            ("changed_since_review", "is_possible_duplicate"), "duplicate_links",
        ]}),
        ("History", {"fields": ["audit_history"]}),
        ("Source", {"fields": [
            "provider", "topic_list", "category", "type", "published", "links", "featured_content",
            "secured_value", "source_key", "source_file", ("imported_at", "updated_at"),
        ]}),
    ]
    readonly_fields = [
        "title", "reviewed_by", "reviewed_at", "published_by", "published_at", "version", "editor_fields",
        "changed_since_review", "is_possible_duplicate", "duplicate_links", "audit_history", "provider",
        "topic_list", "category", "type", "published", "links", "featured_content", "secured_value",
        "source_key", "source_file", "imported_at", "updated_at",
    ]

    # permissions -----------------------------------------------------------------------

    def get_queryset(self, request):
        queryset = DrillDownQuerySet(self.model)
        ordering = self.get_ordering(request)
        return queryset.order_by(*ordering) if ordering else queryset

    def has_add_permission(self, request):
        return False  # articles come from the importer

    def has_publish_permission(self, request) -> bool:
        return request.user.has_perm("articles.publish_article")

    def get_readonly_fields(self, request, obj=None):
        if self.has_publish_permission(request):
            return self.readonly_fields
        return [*self.readonly_fields, "status"]

    def get_fieldsets(self, request, obj=None):
        if self.has_change_permission(request, obj):
            return self.fieldsets
        return [(name, {**options, "fields": [f for f in options["fields"] if f != "seen_version"]})
                for name, options in self.fieldsets]

    # the list -----------------------------------------------------------------------------

    def get_changelist(self, request, **kwargs):
        return ArticleChangeList

    def get_changelist_form(self, request, **kwargs):
        if not self.has_publish_permission(request):
            kwargs["form"] = type("ScoresOnlyForm", (EditorialForm,), {"can_publish": False})
        else:
            kwargs.setdefault("form", EditorialForm)
        return super().get_changelist_form(request, **kwargs)

    @property
    def media(self):
        provider = Article._meta.get_field("provider")
        return super().media + AutocompleteSelect(provider, self.admin_site).media

    @admin.display(description="")
    def thumbnail(self, article):
        images = getattr(article, "listed_images", None)
        return thumbnail_html(images[0].url) if images else ""

    @admin.display(description="published date time", ordering="published_date_time")
    def published(self, article):
        return shown_timestamp(article.published_date_time, self.get_empty_value_display())

    @admin.display(description="Duplicate?", boolean=True, ordering="is_possible_duplicate")
    def possible_duplicate(self, article):
        return article.is_possible_duplicate

    @admin.display(description="Changed upstream", boolean=True, ordering="changed_since_review")
    def changed_upstream(self, article):
        return article.changed_since_review

    # the change form's read-only parts --------------------------------------------------------

    @admin.display(description="Topics")
    def topic_list(self, article):
        return ", ".join(link.topic.name for link in article.topic_links.select_related("topic"))

    @admin.display(description="Links")
    def links(self, article):
        urls = [
            ("Web", article.web_url), ("Original", article.original_url),
            ("AMP", article.amp_web_url), ("CDN AMP", article.cdn_amp_web_url),
        ]
        return format_html_join(mark_safe("<br>"), "{}: {}", ((label, safe_link(url)) for label, url in urls if url))

    @admin.display(description="Secured")
    def secured_value(self, article):
        """Opaque, shown as the review page shows it: its first characters and its length."""
        if not article.secured:
            return "—"
        return format_html(
            '<code title="Opaque value, kept verbatim">{}</code> ({} characters)', opaque(article.secured),
            len(article.secured),
        )

    @admin.display(description="Possible duplicates of")
    def duplicate_links(self, article):
        others = article.duplicates.only("pk", "title").order_by("pk")
        return format_html_join(
            mark_safe("<br>"), '<a href="{}">{}</a>',
            ((reverse("admin:articles_article_change", args=[other.pk]), other.title) for other in others),
        ) or "—"

    @admin.display(description="Latest changes")
    def audit_history(self, article):
        entries = article.audit_entries.select_related("user").order_by("-at", "-id")[:HISTORY_ROWS]
        rows = format_html_join(
            "", "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            (
                (
                    date_format(localtime(entry.at), "DATETIME_FORMAT"),
                    entry.user.get_username() if entry.user else entry.get_source_display(),
                    entry.get_source_display(), entry.action, entry.field,
                    short_json(masked(entry.field, entry.old_value)), short_json(masked(entry.field, entry.new_value)),
                )
                for entry in entries
            ),
        )
        if not rows:
            return "No changes yet."
        return format_html(
            '<table class="audit-history"><thead><tr><th>When</th><th>Who</th><th>From</th><th>Action</th>'
            "<th>Field</th><th>Old value</th><th>New value</th></tr></thead><tbody>{}</tbody></table>"
            '<p><a href="{}">Every change of this article</a></p>',
            rows, self.history_url(article.pk),
        )

    # writes: all through the editorial service ------------------------------------------

    def save_model(self, request, obj, form, change):
        changes = form.editorial_changes()
        if not changes:
            return
        result = editorial.update_article(
            obj.pk, user=request.user, source=SOURCE, changes=changes,
            expected_version=form.cleaned_data.get("seen_version"),
        )
        if result.count:
            self.report(request, result)

    def save_related(self, request, form, formsets, change):
        """Nothing related is edited here: topics, images and related articles belong to the importer."""

    def construct_change_message(self, request, form, formsets, add=False):
        return []

    def log_change(self, request, obj, message):
        """The audit trail is the history; an admin LogEntry would only duplicate it."""

    def changeform_view(self, request, *args, **kwargs):
        try:
            return super().changeform_view(request, *args, **kwargs)
        except EditConflict as conflict:  # someone saved between the form's check and ours
            self.message_user(request, conflict.describe(), messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())

    def changelist_view(self, request, extra_context=None):
        try:
            if not self.is_list_edit(request):
                return super().changelist_view(request, extra_context)
            with transaction.atomic():
                self.lock_edited_rows(request)
                return super().changelist_view(request, extra_context)
        except EditConflict as conflict:
            self.message_user(request, conflict.describe(), messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())

    @staticmethod
    def is_list_edit(request) -> bool:
        return request.method == "POST" and "_save" in request.POST

    def lock_edited_rows(self, request) -> None:
        """A list_editable save changes its rows one by one in one transaction, in the list's order: lock them
        all first, in id order as every writer does (`editorial.lock_articles`), so it never deadlocks with an
        import batch or a bulk action holding some of them."""
        ids = [value for name, value in request.POST.items() if re.fullmatch(r"form-\d+-id", name) and is_id(value)]
        if ids:
            list(editorial.lock_articles(Article.objects.filter(pk__in=ids)).values_list("pk", flat=True))

    def history_view(self, request, object_id, extra_context=None):
        return HttpResponseRedirect(self.history_url(object_id))

    @admin.action(description="Publish selected articles", permissions=["publish"])
    def publish_selected(self, request, queryset):
        self.set_status(request, queryset, Article.Status.PUBLISHED)

    @admin.action(description="Unpublish selected articles (back to awaiting review)", permissions=["publish"])
    def unpublish_selected(self, request, queryset):
        self.set_status(request, queryset, Article.Status.AWAITING_REVIEW)

    @admin.action(description="Reject selected articles", permissions=["publish"])
    def reject_selected(self, request, queryset):
        self.set_status(request, queryset, Article.Status.REJECTED)

    def set_status(self, request, queryset, status: str) -> None:
        result = editorial.bulk_set_status(queryset, status=status, user=request.user, source=SOURCE)
        self.report(request, result)

    def report(self, request, result: editorial.ChangeResult) -> None:
        if not result.count:
            self.message_user(request, result.message, messages.WARNING)
            return
        undo_url = reverse("admin:articles_article_undo", args=[result.batch])
        self.message_user(request, format_html('{} <a href="{}">Undo</a>', result.message, undo_url), messages.SUCCESS)

    # undo ---------------------------------------------------------------------------------

    def get_urls(self):
        undo = path("undo/<slug:batch>/", self.admin_site.admin_view(self.undo_view), name="articles_article_undo")
        return [undo, *super().get_urls()]

    def undo_view(self, request, batch: str):
        """GET: what undoing would put back. POST: undo it through the service."""
        if not self.has_change_permission(request):
            raise PermissionDenied
        changelist = reverse("admin:articles_article_changelist")
        if request.method == "POST":
            try:
                self.report(request, editorial.undo(batch, user=request.user, source=SOURCE))
            except EditConflict as conflict:
                self.message_user(request, conflict.describe(), messages.ERROR)
            return HttpResponseRedirect(changelist)
        entries = AuditEntry.objects.filter(batch=batch).select_related("article", "user").order_by("id")
        context = {
            **self.admin_site.each_context(request),
            "title": "Undo this change?",
            "opts": self.opts,
            "entries": [
                (entry, *(short_json(masked(entry.field, value)) for value in (entry.new_value, entry.old_value)))
                for entry in entries[:HISTORY_ROWS * 5]
            ],
            "total": entries.count(),
            "changelist_url": changelist,
        }
        return TemplateResponse(request, "admin/articles/article/undo.html", context)

    @staticmethod
    def history_url(article_id) -> str:
        return f"{reverse('admin:articles_auditentry_changelist')}?article__id__exact={article_id}"


# the rest -------------------------------------------------------------------------------


@admin.register(Provider)
class ProviderAdmin(ReadOnlyAdmin):
    list_display = ["name", "domain", "key"]
    search_fields = ["name", "domain", "key"]
    show_full_result_count = False


@admin.register(Topic)
class TopicAdmin(ReadOnlyAdmin):
    list_display = ["name", "slug"]
    search_fields = ["name", "slug"]
    show_full_result_count = False


@admin.register(ImportRun)
class ImportRunAdmin(ReadOnlyAdmin):
    def get_queryset(self, request):
        queryset, ordering = DrillDownImportRuns(self.model), self.get_ordering(request)
        return queryset.order_by(*ordering) if ordering else queryset

    list_display = [
        "started_at", "finished_at", "status", "dry_run", "files", "created", "updated", "unchanged", "rejected",
        "error_count",
    ]
    list_filter = ["status", "dry_run"]
    date_hierarchy = "started_at"
    fields = [
        ("started_at", "finished_at"), ("status", "dry_run"), "arguments", "summary", "error_table",
    ]
    readonly_fields = ["started_at", "finished_at", "status", "dry_run", "arguments", "summary", "error_table"]

    @admin.display(description="Errors")
    def error_count(self, run):
        return max(run.rejected, len(run.errors or []))

    @admin.display(description="Errors")
    def error_table(self, run):
        errors = [error for error in run.errors or [] if isinstance(error, dict)]
        if not errors:
            return "None."
        rows = format_html_join(
            "", "<tr><td>{}</td><td>{}</td><td>{}</td></tr>",
            ((e.get("path", ""), e.get("line") or "", e.get("message", "")) for e in errors[:IMPORT_ERRORS_SHOWN]),
        )
        hidden = max(run.rejected, len(errors)) - min(len(errors), IMPORT_ERRORS_SHOWN)  # the log keeps the first ones
        more = f"… and {hidden} more." if hidden else ""
        return format_html(
            "<table><thead><tr><th>File</th><th>Line</th><th>Problem</th></tr></thead><tbody>{}</tbody></table>{}",
            rows, more,
        )


@admin.register(AuditEntry)
class AuditEntryAdmin(LargeTableAdmin, ReadOnlyAdmin):
    id_lookups = ("article__id__exact",)  # an article's history (ArticleAdmin.history_url)
    list_display = ["at", "article_link", "who", "source", "action", "field", "old", "new", "batch"]
    list_filter = ["source", "action", "field"]
    list_select_related = ["article", "user"]
    search_fields = ["=batch", "article__title", "user__username"]
    search_help_text = "Searches article titles, usernames, or an exact batch id."
    show_full_result_count = False
    show_facets = admin.ShowFacets.NEVER
    fields = ["at", "article_link", "who", "source", "action", "field", "old", "new", "batch", "version"]
    readonly_fields = fields

    @admin.display(description="Article", ordering="article")
    def article_link(self, entry):
        url = reverse("admin:articles_article_change", args=[entry.article_id])
        return format_html('<a href="{}">{}</a>', url, short_json(entry.article.title, 60))

    @admin.display(description="Who", ordering="user")
    def who(self, entry):
        return entry.user.get_username() if entry.user else entry.get_source_display()

    @admin.display(description="Old value")
    def old(self, entry):
        return short_json(masked(entry.field, entry.old_value))

    @admin.display(description="New value")
    def new(self, entry):
        return short_json(masked(entry.field, entry.new_value))
