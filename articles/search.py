"""Text search over the queue (title, excerpt, provider name).

Portable fallback: case-insensitive substring match. (PostgreSQL gets indexed search in the scale issue.)
"""

from django.db.models import Q, QuerySet


def filter_by_text(queryset: QuerySet, text: str) -> QuerySet:
    text = text.strip()
    if not text:
        return queryset
    return queryset.filter(Q(title__icontains=text) | Q(excerpt__icontains=text) | Q(provider__name__icontains=text))
