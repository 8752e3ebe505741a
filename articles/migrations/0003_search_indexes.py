"""PostgreSQL-only indexes for the queue's search and order (a no-op on SQLite, where none is needed).

Text search: `icontains` compiles to UPPER(column::text) LIKE UPPER('%…%'); GIN
indexes over those same expressions with `gin_trgm_ops` (pg_trgm) serve it
wherever the phrase sits in the text.

Order: the queue sorts newest first with undated items last,
`published_date_time DESC NULLS LAST, id DESC`. A PostgreSQL index declared
DESC keeps NULLs first, so the model's (-published_date_time, -id) indexes
cannot give that order and every queue page sorted the whole table; these
indexes match it exactly, alone and after the status and provider filters.
(SQLite sorts NULLs lowest, so its DESC indexes already end with them, and its
CREATE INDEX has no NULLS clause: that is why these are not in the model.)

Built CONCURRENTLY, outside a transaction, so applying this to a live table
does not block the importer or the editors. Reversing drops the indexes and
leaves the pg_trgm extension installed (harmless, and something else may use it).
"""

from django.db import migrations

TABLE = "articles_article"
INDEXES = {
    "article_title_trgm": 'USING gin ((UPPER("title"::text)) gin_trgm_ops)',
    "article_excerpt_trgm": 'USING gin ((UPPER("excerpt"::text)) gin_trgm_ops)',
    "article_published_nulls_last": '("published_date_time" DESC NULLS LAST, "id" DESC)',
    "article_status_published_nulls_last": '("status", "published_date_time" DESC NULLS LAST, "id" DESC)',
    "article_provider_published_nulls_last": '("provider_id", "published_date_time" DESC NULLS LAST, "id" DESC)',
}


def create_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for name, definition in INDEXES.items():
        schema_editor.execute(f'CREATE INDEX CONCURRENTLY IF NOT EXISTS "{name}" ON "{TABLE}" {definition}')


def drop_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in INDEXES:
        schema_editor.execute(f'DROP INDEX CONCURRENTLY IF EXISTS "{name}"')


class Migration(migrations.Migration):
    atomic = False

    dependencies = [("articles", "0002_roles")]

    operations = [migrations.RunPython(create_indexes, drop_indexes, atomic=False, elidable=False)]
