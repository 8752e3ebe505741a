"""The review queue's filters, declared once: the queue, the admin, the API and the tests use this class.

Query-string names are plain and stable, so editors can share a URL and scripts can rely on it:
q, status, category, type, provider, topic, quality_min, quality_max, heat_min, heat_max,
published_after, published_before, imported_after, duplicates, changed, o; the queue's page and size
are checked with them (`QueueForm`).

A value a filter cannot use is an error on the form, never a filter silently dropped or a server error: whole
numbers in the score range, dates a database can compare (`timestamps.is_storable`), true or false.
"""

import django_filters
from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Exists, OuterRef
from django_filters.fields import IsoDateTimeField

from . import timestamps
from .models import Article, ArticleTopic
from .schema import INT32
from .search import filter_by_text

ORDERING_FIELDS = (
    ("heat", "heat"),
    ("quality", "quality"),
    ("published_date_time", "published"),
    ("imported_at", "imported"),
)


class StorableDateTimeField(IsoDateTimeField):
    """An ISO 8601 date or date-time that a database can compare: 0001-01-01T00:00:00+14:00 is the year 0 in UTC."""

    def to_python(self, value):
        moment = super().to_python(value)
        if moment is not None and not timestamps.is_storable(moment):
            raise ValidationError(timestamps.RANGE_MESSAGE, code="out_of_range")
        return moment


class StorableDateTimeFilter(django_filters.IsoDateTimeFilter):
    field_class = StorableDateTimeField


class ScoreFilter(django_filters.Filter):
    """A whole number a score column can hold."""

    field_class = forms.IntegerField

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("min_value", INT32[0])
        kwargs.setdefault("max_value", INT32[1])
        super().__init__(*args, **kwargs)


class TrueOrFalseField(forms.Field):
    """true or false (also 1/0, yes/no, on/off); anything else is an error rather than "no filter"."""

    VALUES = {"true": True, "1": True, "yes": True, "on": True, "false": False, "0": False, "no": False, "off": False}

    def to_python(self, value):
        if value in self.empty_values:
            return None
        try:
            return self.VALUES[str(value).strip().lower()]
        except KeyError:
            raise ValidationError("Enter true or false.", code="invalid") from None


class TrueOrFalseFilter(django_filters.BooleanFilter):
    field_class = TrueOrFalseField


class QueueForm(forms.Form):
    """The queue's page number and page size, read with its filters so a bad one shows beside them."""

    page = forms.IntegerField(min_value=1, required=False)
    size = forms.IntegerField(min_value=1, required=False)


class ReviewQueueFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(method="search", label="Search")
    status = django_filters.ChoiceFilter(choices=Article.Status.choices, empty_label="Any status")
    category = django_filters.CharFilter(field_name="category")
    type = django_filters.CharFilter(field_name="type")
    provider = django_filters.CharFilter(field_name="provider__key", label="Provider (domain)")
    topic = django_filters.CharFilter(method="filter_topic", label="Topic (slug)")
    quality_min = ScoreFilter(field_name="quality", lookup_expr="gte", label="Quality ≥")
    quality_max = ScoreFilter(field_name="quality", lookup_expr="lte", label="Quality ≤")
    heat_min = ScoreFilter(field_name="heat", lookup_expr="gte", label="Heat ≥")
    heat_max = ScoreFilter(field_name="heat", lookup_expr="lte", label="Heat ≤")
    published_after = StorableDateTimeFilter(
        field_name="published_date_time", lookup_expr="gte", label="Published after"
    )
    published_before = StorableDateTimeFilter(
        field_name="published_date_time", lookup_expr="lt", label="Published before"
    )
    imported_after = StorableDateTimeFilter(field_name="imported_at", lookup_expr="gte", label="Imported from")
    duplicates = TrueOrFalseFilter(field_name="is_possible_duplicate", label="Possible duplicates")
    changed = TrueOrFalseFilter(field_name="changed_since_review", label="Changed since review")
    o = django_filters.OrderingFilter(fields=ORDERING_FIELDS, label="Sort by")

    class Meta:
        model = Article
        fields: list[str] = []
        form = QueueForm

    def filter_queryset(self, queryset):
        """The filters' values only: the form's page and size are the pager's."""
        for name, value in self.form.cleaned_data.items():
            if name in self.filters:
                queryset = self.filters[name].filter(queryset, value)
        return queryset

    def search(self, queryset, name, value):
        return filter_by_text(queryset, value)

    def filter_topic(self, queryset, name, value):
        links = ArticleTopic.objects.filter(article=OuterRef("pk"), topic__slug=value)
        return queryset.filter(Exists(links))
