"""The review queue's filters, declared once: the queue, the admin, the API and the tests use this class.

Query-string names are plain and stable, so editors can share a URL and scripts can rely on it:
q, status, category, type, provider, topic, quality_min, quality_max, heat_min, heat_max,
published_after, published_before, imported_after, duplicates, changed, o.
"""

import django_filters
from django.db.models import Exists, OuterRef

from .models import Article, ArticleTopic
from .search import filter_by_text

ORDERING_FIELDS = (
    ("heat", "heat"),
    ("quality", "quality"),
    ("published_date_time", "published"),
    ("imported_at", "imported"),
)


class ReviewQueueFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(method="search", label="Search")
    status = django_filters.ChoiceFilter(choices=Article.Status.choices, empty_label="Any status")
    category = django_filters.CharFilter(field_name="category")
    type = django_filters.CharFilter(field_name="type")
    provider = django_filters.CharFilter(field_name="provider__key", label="Provider (domain)")
    topic = django_filters.CharFilter(method="filter_topic", label="Topic (slug)")
    quality_min = django_filters.NumberFilter(field_name="quality", lookup_expr="gte", label="Quality ≥")
    quality_max = django_filters.NumberFilter(field_name="quality", lookup_expr="lte", label="Quality ≤")
    heat_min = django_filters.NumberFilter(field_name="heat", lookup_expr="gte", label="Heat ≥")
    heat_max = django_filters.NumberFilter(field_name="heat", lookup_expr="lte", label="Heat ≤")
    published_after = django_filters.IsoDateTimeFilter(
        field_name="published_date_time", lookup_expr="gte", label="Published after"
    )
    published_before = django_filters.IsoDateTimeFilter(
        field_name="published_date_time", lookup_expr="lt", label="Published before"
    )
    imported_after = django_filters.IsoDateTimeFilter(field_name="imported_at", lookup_expr="gte", label="Imported from")
    duplicates = django_filters.BooleanFilter(field_name="is_possible_duplicate", label="Possible duplicates")
    changed = django_filters.BooleanFilter(field_name="changed_since_review", label="Changed since review")
    o = django_filters.OrderingFilter(fields=ORDERING_FIELDS, label="Sort by")

    class Meta:
        model = Article
        fields: list[str] = []

    def search(self, queryset, name, value):
        return filter_by_text(queryset, value)

    def filter_topic(self, queryset, name, value):
        links = ArticleTopic.objects.filter(article=OuterRef("pk"), topic__slug=value)
        return queryset.filter(Exists(links))
