"""The review queue's filters, declared once: the queue, the admin, the API and the tests use this class.

Query-string names are plain and stable, so editors can share a URL and scripts can rely on it:
q, status, category, type, provider, topic, quality_min, quality_max, heat_min, heat_max,
published_after, published_before, imported_after, duplicates, changed, clustered, show, attention, o; the queue's page and size
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
ORDERING_CHOICES = (
    ("-heat", "Hottest first"),
    ("heat", "Coolest first"),
    ("-quality", "Best quality first"),
    ("quality", "Lowest quality first"),
    ("-published", "Source date, newest"),
    ("published", "Source date, oldest"),
    ("-imported", "Imported, newest"),
    ("imported", "Imported, oldest"),
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
    """A whole number a score column can hold (heat: -1 is "not scored")."""

    field_class = forms.IntegerField

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("min_value", INT32[0])
        kwargs.setdefault("max_value", INT32[1])
        out_of_range = f"Enter a whole number between {kwargs['min_value']:,} and {kwargs['max_value']:,}."
        kwargs.setdefault(
            "error_messages", {"invalid": "Enter a whole number.", "min_value": out_of_range, "max_value": out_of_range}
        )
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


class OnlyCheckbox(forms.CheckboxInput):
    """A checkbox for "only these": ticked sends true; unticked sends nothing, which is no filter (Django's
    checkbox would read it as false, and show only the others)."""

    def __init__(self, attrs=None):
        super().__init__(attrs, check_test=lambda value: TrueOrFalseField.VALUES.get(str(value).lower(), False))

    def format_value(self, value):
        return "true"

    def value_from_datadict(self, data, files, name):
        return data.get(name)


class TrueOrFalseFilter(django_filters.BooleanFilter):
    field_class = TrueOrFalseField


class QueueForm(forms.Form):
    """The queue's page number and page size, read with its filters so a bad one shows beside them."""

    page = forms.IntegerField(min_value=1, required=False)
    size = forms.IntegerField(
        min_value=1, required=False, label="Rows",
        widget=forms.Select(choices=[("25", "25"), ("", "50"), ("100", "100"), ("200", "200")]),
    )


def text_input(**attrs) -> forms.TextInput:
    return forms.TextInput(attrs={"autocomplete": "off", **attrs})


class StoryViewFilter(django_filters.ChoiceFilter):
    """One row per story (the default: a desk reads a story once, by its lead) or every item. The folded view
    leaves out the members other than their story's lead, so paging and filters work on it unchanged."""

    EVERY_ITEM = "items"

    def __init__(self, **kwargs):
        super().__init__(choices=[(self.EVERY_ITEM, "Every item")], empty_label="One row per story", **kwargs)

    def filter(self, qs, value):
        return qs if value == self.EVERY_ITEM else qs.filter(folded_into_cluster=False)


class QueueOrderingFilter(django_filters.OrderingFilter):
    """The sort orders, labelled as editors read them; none chosen is newest first."""

    def __init__(self, **kwargs):
        super().__init__(fields=ORDERING_FIELDS, choices=ORDERING_CHOICES, empty_label="Newest first", **kwargs)

    def field_names(self, params) -> list[str]:
        """The model fields (with "-" for descending) a cleaned `o` value sorts by."""
        return [self.get_ordering_value(param) for param in params or () if param]


class ReviewQueueFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(
        method="search", label="Search",
        widget=forms.TextInput(attrs={"type": "search", "placeholder": "Title, excerpt, provider", "data-shortcut": "/"}),
    )
    status = django_filters.ChoiceFilter(choices=Article.Status.choices, empty_label="Any status")
    category = django_filters.CharFilter(field_name="category", widget=text_input(list="categories"))
    type = django_filters.CharFilter(field_name="type", widget=text_input(list="types"))
    provider = django_filters.CharFilter(
        field_name="provider__key", label="Provider domain",
        widget=text_input(list="providers", placeholder="e.g. news.example"),
    )
    topic = django_filters.CharFilter(
        method="filter_topic", label="Topic (slug)",
        widget=text_input(list="topics", placeholder="e.g. machine-learning"),
    )
    quality_min = ScoreFilter(field_name="quality", lookup_expr="gte", label="Quality from")
    quality_max = ScoreFilter(field_name="quality", lookup_expr="lte", label="Quality to")
    heat_min = ScoreFilter(field_name="heat", lookup_expr="gte", label="Heat from")
    heat_max = ScoreFilter(field_name="heat", lookup_expr="lte", label="Heat to")
    published_after = StorableDateTimeFilter(
        field_name="published_date_time", lookup_expr="gte", label="Published from",
        widget=text_input(placeholder="YYYY-MM-DD"),
    )
    published_before = StorableDateTimeFilter(
        field_name="published_date_time", lookup_expr="lt", label="Published before",
        widget=text_input(placeholder="YYYY-MM-DD"),
    )
    imported_after = StorableDateTimeFilter(
        field_name="imported_at", lookup_expr="gte", label="Imported from", widget=text_input(placeholder="YYYY-MM-DD")
    )
    duplicates = TrueOrFalseFilter(
        field_name="is_possible_duplicate", label="Possible duplicates only", widget=OnlyCheckbox
    )
    changed = TrueOrFalseFilter(
        field_name="changed_since_review", label="Changed since review only", widget=OnlyCheckbox
    )
    clustered = TrueOrFalseFilter(
        field_name="cluster", lookup_expr="isnull", exclude=True, label="In a story",
        widget=forms.Select(choices=[("", "Either"), ("true", "In a story"), ("false", "Not in a story")]),
    )
    show = StoryViewFilter(label="Show")
    attention = TrueOrFalseFilter(
        field_name="needs_attention", label="Marked for attention only", widget=OnlyCheckbox
    )
    o = QueueOrderingFilter(label="Sort by")

    @property
    def folds_stories(self) -> bool:
        """True when the queue shows one row per story (each lead with its story's other items)."""
        return (self.form.cleaned_data.get("show") if self.is_valid() else "") != StoryViewFilter.EVERY_ITEM

    @property
    def ordering(self) -> list[str]:
        """The sort the query string asks for (model field names), from the validated form; [] for the default."""
        if not self.is_valid() and "o" in self.form.errors:
            return []
        return self.filters["o"].field_names(self.form.cleaned_data.get("o"))

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
