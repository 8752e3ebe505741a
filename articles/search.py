"""Text search over the queue: a word or phrase found in the title, the excerpt or the provider's name.

One meaning on every database: a case-insensitive substring match of the text
as typed (so "harb" finds "Harbor", "flood barrier" finds that phrase). On
PostgreSQL, trigram GIN indexes over UPPER(title) and UPPER(excerpt)
(migration 0003, pg_trgm) serve exactly the expressions Django's `icontains`
compiles to, so the query is the same everywhere. The provider condition
reads the small provider table once: as `provider_id = ANY(ARRAY(subquery))`
PostgreSQL runs it first and ORs its index scan with the two trigram scans
(BitmapOr), where `IN (subquery)` would test every article row by row.
Why trigrams rather than full-text search: docs/PERFORMANCE.md.
"""

from django.db.models import F, Lookup, Q, QuerySet

from .models import Provider


class AnyOf(Lookup):
    """`column = ANY(ARRAY(subquery))` on PostgreSQL, `column IN (subquery)` elsewhere."""

    lookup_name = "any_of"

    def as_sql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        rhs, rhs_params = self.process_rhs(compiler, connection)
        if connection.vendor == "postgresql":
            return f"{lhs} = ANY(ARRAY{rhs})", [*lhs_params, *rhs_params]
        return f"{lhs} IN {rhs}", [*lhs_params, *rhs_params]


def filter_by_text(queryset: QuerySet, text: str) -> QuerySet:
    text = text.strip()
    if not text:
        return queryset
    providers = Provider.objects.filter(name__icontains=text).order_by().values("pk")
    return queryset.filter(Q(title__icontains=text) | Q(excerpt__icontains=text) | Q(AnyOf(F("provider_id"), providers)))
