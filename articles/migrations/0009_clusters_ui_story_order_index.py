"""The one-row-per-story queue's default order as an index of its own: newest first over the rows it shows.

The story view (the queue's default) leaves out the folded members of stories (`folded_into_cluster`). The
whole-table order index then needs the table's rows to test that flag, and for a page number typed in (an
OFFSET) the planner reads the whole table instead; a partial index over the shown rows keeps that page an
index-only walk. PostgreSQL orders undated items last explicitly (see 0003); SQLite's DESC index already does.
Built CONCURRENTLY on PostgreSQL, so applying it to a live table blocks neither the importer nor the editors.
"""

from django.db import migrations

NAME = "article_story_published"
TABLE = "articles_article"
COLUMNS = {
    "postgresql": '("published_date_time" DESC NULLS LAST, "id" DESC)',
    "sqlite": '("published_date_time" DESC, "id" DESC)',
}


def create_index(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor not in COLUMNS:
        return
    concurrently = "CONCURRENTLY " if vendor == "postgresql" else ""
    schema_editor.execute(
        f'CREATE INDEX {concurrently}IF NOT EXISTS "{NAME}" ON "{TABLE}" {COLUMNS[vendor]} WHERE NOT "folded_into_cluster"'
    )


def drop_index(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor in COLUMNS:
        schema_editor.execute(f'DROP INDEX {"CONCURRENTLY " if vendor == "postgresql" else ""}IF EXISTS "{NAME}"')


class Migration(migrations.Migration):
    atomic = False

    dependencies = [("articles", "0008_rule_roles")]

    operations = [migrations.RunPython(create_index, drop_index, atomic=False, elidable=False)]
