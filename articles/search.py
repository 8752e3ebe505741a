"""Text search over the queue: a word or phrase found in the title, the excerpt or the provider's name.

One meaning on every database: a case-insensitive substring match of the text
as typed (so "harb" finds "Harbor", "flood barrier" finds that phrase). On
PostgreSQL, trigram GIN indexes over UPPER(title) and UPPER(excerpt)
(migration 0003, pg_trgm) serve exactly the expressions Django's `icontains`
compiles to, so the query is the same everywhere.

The matching providers are looked up first (one query on a small table) and
passed as a list of ids: PostgreSQL then knows how many articles they bring
and picks the right plan for rare words (an OR of three index scans) and for
common ones (walk the queue's order until a page is full). Left as a
subquery, it guessed a fifth of the table for every search and read the
whole table in queue order for a word that is nowhere. Why trigrams rather
than full-text search: docs/PERFORMANCE.md.
"""

from django.db.models import Q, QuerySet

from .models import Provider

PROVIDER_IDS_MAX = 1000  # beyond this many matching providers, let the database join them instead


def filter_by_text(queryset: QuerySet, text: str) -> QuerySet:
    text = text.strip()
    if not text:
        return queryset
    return queryset.filter(Q(title__icontains=text) | Q(excerpt__icontains=text) | provider_match(text))


def provider_match(text: str) -> Q:
    """Articles of the providers whose name contains `text`: their ids as a list (empty Q when none)."""
    providers = Provider.objects.filter(name__icontains=text).order_by().values_list("pk", flat=True)
    provider_ids = list(providers[: PROVIDER_IDS_MAX + 1])
    if len(provider_ids) > PROVIDER_IDS_MAX:
        return Q(provider__in=providers)
    return Q(provider_id__in=provider_ids) if provider_ids else Q()
