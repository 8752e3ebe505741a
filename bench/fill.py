"""Fill a database with N generated articles through the importer's own bulk path, for the page benchmarks.

    .venv/bin/python bench/fill.py --articles 100000 --sqlite /tmp/newsroom-100k.sqlite3
    createdb -h 127.0.0.1 -U postgres newsroom_bench
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/newsroom_bench .venv/bin/python bench/fill.py --articles 1000000

A child process streams the corpus (`articles.generator`, the same files as
`generate_articles N --seed S`) into chunk directories of `--chunk` files, at
most two chunks ahead; this process imports each chunk with `import_paths` and
deletes it, so the disk holds a few chunks whatever N is, and generation and
import use both cores. Then a realistic share of the items gets editorial
state (reviewed, rejected, edited, changed since review, with audit entries)
and import times spread over the last `--days` days, so every page has work
to show. Run it on an empty database: existing items of the same seed would
be skipped as unchanged.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EDITOR = "bench-editor"


def parse_arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--articles", type=int, required=True, help="How many items to generate and import.")
    parser.add_argument("--seed", type=int, default=0, help="Generator seed (default 0).")
    parser.add_argument("--sqlite", type=Path, help="SQLite file to fill (created and migrated if new). "
                        "Ignored when DATABASE_URL is set; default: the project's db.sqlite3.")
    parser.add_argument("--chunk", type=int, default=5000, help="Files per generated chunk (default 5000).")
    parser.add_argument("--days", type=int, default=180, help="Spread import times over this many days (default 180).")
    parser.add_argument("--workdir", type=Path, help="Where chunks are written (default: a temporary directory).")
    parser.add_argument("--copies", type=int, default=1, help="PostgreSQL only: after importing --articles items, "
                        "copy them (with their children) in SQL until there are COPIES times as many (default 1).")
    arguments = parser.parse_args()
    if arguments.articles < 1 or arguments.chunk < 1 or arguments.copies < 1:
        parser.error("--articles, --chunk and --copies must be positive")
    return arguments


def configure_django(sqlite: Path | None) -> None:
    """newsroom.settings without DEBUG's query log; SQLite file from --sqlite unless DATABASE_URL is set."""
    sys.path.insert(0, str(ROOT))
    os.environ["DJANGO_SETTINGS_MODULE"] = "newsroom.settings"
    os.environ.setdefault("DEBUG", "1")
    if sqlite and not os.environ.get("DATABASE_URL"):
        os.environ["SQLITE_PATH"] = str(sqlite.resolve())
    import django
    from django.conf import settings

    django.setup()
    settings.DEBUG = False


# --- the generating child --------------------------------------------------------------


def generate_chunks(workdir: str, count: int, seed: int, chunk: int, ready) -> None:
    """Write the corpus chunk by chunk into `workdir`, handing each finished directory to `ready`; None at the end."""
    sys.path.insert(0, str(ROOT))
    from articles.frontmatter import dump
    from articles.generator import iter_items

    directory, in_chunk, number = None, 0, 0
    for name, front, body in iter_items(count=count, seed=seed):
        if directory is None:
            number += 1
            directory = Path(workdir) / f"chunk-{number:05d}"
            directory.mkdir()
        (directory / name).write_bytes(dump(front, body).encode("utf-8"))
        in_chunk += 1
        if in_chunk == chunk:
            ready.put(str(directory))
            directory, in_chunk = None, 0
    if directory is not None:
        ready.put(str(directory))
    ready.put(None)


# --- the import ------------------------------------------------------------------------


def import_all(*, count: int, seed: int, chunk: int, workdir: Path, quiet: bool = False) -> tuple[float, float]:
    """Import every chunk as the child finishes it. Returns (wall seconds, seconds spent inside import_paths)."""
    from articles.importing import import_paths

    context = multiprocessing.get_context("spawn")
    ready = context.Queue(maxsize=2)
    child = context.Process(
        target=generate_chunks, args=(str(workdir), count, seed, chunk, ready)
    )
    started = time.perf_counter()
    child.start()
    importing = 0.0
    done = rejected = 0
    try:
        while (directory := ready.get()) is not None:
            before = time.perf_counter()
            summary = import_paths([directory], arguments={"bench": "fill"})
            importing += time.perf_counter() - before
            shutil.rmtree(directory)
            done += summary.files
            rejected += summary.rejected
            elapsed = time.perf_counter() - started
            if not quiet:
                print(f"  {done:>9,} files  {elapsed:7.1f} s  {done / elapsed:6,.0f} files/s  [{summary}]", flush=True)
    finally:
        child.join(timeout=5)
        if child.is_alive():
            child.terminate()
    if rejected:
        print(f"warning: {rejected} generated files were rejected by the importer")
    return time.perf_counter() - started, importing


# --- editorial state -------------------------------------------------------------------


def bench_editor():
    from django.contrib.auth.models import Group, User

    user, created = User.objects.get_or_create(username=EDITOR, defaults={"is_staff": True})
    if created:
        user.set_unusable_password()
        user.save()
    user.groups.add(Group.objects.get(name="Editors"))
    return user


def spread_import_times(days: int) -> None:
    """Oldest ids imported `days` ago, newest today: one UPDATE per day over an id range."""
    import datetime as dt

    from django.db.models import Max, Min
    from django.utils import timezone

    from articles.models import Article

    bounds = Article.objects.aggregate(low=Min("id"), high=Max("id"))
    if bounds["low"] is None:
        return
    low, high = bounds["low"], bounds["high"]
    span = high - low + 1
    now = timezone.now()
    for day in range(days):
        first = low + span * day // days
        last = low + span * (day + 1) // days
        moment = now - dt.timedelta(days=days - 1 - day, hours=1)
        Article.objects.filter(id__gte=first, id__lt=last).update(imported_at=moment)


def add_editorial_state(editor) -> dict[str, int]:
    """A queue mid-way through its life: what the importer left, plus editors' work.

    The source already publishes ~57%; of what awaits review, one in ten is
    rejected. Every published or rejected item was reviewed (one audit entry
    each); one in twenty reviewed items had its quality edited, and one in
    fifty changed upstream since (two re-import audit entries each).
    """
    from django.db import connection, transaction
    from django.db.models import F
    from django.db.models.functions import Mod

    from articles.models import Article, AuditEntry

    status = Article.Status
    with transaction.atomic():
        numbered = Article.objects.alias(slot=Mod("id", 100))
        numbered.filter(status=status.AWAITING_REVIEW, slot__lt=10).update(status=status.REJECTED)
        reviewed = Article.objects.exclude(status=status.AWAITING_REVIEW)
        reviewed.update(reviewed_by=editor, reviewed_at=F("imported_at"), version=2)
        reviewed.filter(status=status.PUBLISHED).update(published_by=editor, published_at=F("imported_at"))
        audit = connection.ops.quote_name(AuditEntry._meta.db_table)
        article = connection.ops.quote_name(Article._meta.db_table)
        with connection.cursor() as cursor:
            for state, action in ((status.PUBLISHED, "publish"), (status.REJECTED, "reject")):
                cursor.execute(
                    f"INSERT INTO {audit} (article_id, user_id, at, source, action, field, old_value, new_value, batch, version)"
                    f" SELECT id, %s, reviewed_at, 'dashboard', %s, 'status', %s, %s, '', 2 FROM {article} WHERE status = %s",
                    [editor.pk, action, '"awaiting"', f'"{state}"', state],
                )
        edited = numbered.exclude(status=status.AWAITING_REVIEW).filter(slot__in=[3, 23, 43, 63, 83])
        edited.update(editor_fields=["quality"], quality=F("quality") + 5, version=3)
        changed = list(numbered.exclude(status=status.AWAITING_REVIEW).filter(slot__in=[7, 57]).values_list("id", "title", "excerpt", "reviewed_at"))
        entries = []
        for pk, title, excerpt, reviewed_at in changed:
            entries += [
                AuditEntry(article_id=pk, at=reviewed_at, source="import", action="reimport", field="title",
                           old_value=title + " (earlier headline)", new_value=title, version=3),
                AuditEntry(article_id=pk, at=reviewed_at, source="import", action="reimport", field="excerpt",
                           old_value=excerpt[:120], new_value=excerpt, version=3),
            ]
        AuditEntry.objects.bulk_create(entries, batch_size=2000)
        Article.objects.filter(id__in=[row[0] for row in changed]).update(changed_since_review=True, version=3)
    return {name: Article.objects.filter(**condition).count() for name, condition in (
        ("awaiting", {"status": status.AWAITING_REVIEW}),
        ("published", {"status": status.PUBLISHED}),
        ("rejected", {"status": status.REJECTED}),
        ("edited by an editor", {"version": 3, "changed_since_review": False}),
        ("changed since review", {"changed_since_review": True}),
        ("possible duplicates", {"is_possible_duplicate": True}),
    )}


def defer_search_indexes() -> list[str]:
    """Migrate; on an empty PostgreSQL database drop the trigram (GIN) indexes and return their definitions.

    Building a GIN index once over loaded rows is several times cheaper than
    updating it row by row during the load (the usual bulk-loading advice).
    The whole schema is migrated first, so the import writes every column
    the code knows (its run log included).
    """
    from django.core.management import call_command
    from django.db import connection

    from articles.models import Article

    call_command("migrate", verbosity=0)
    if connection.vendor != "postgresql" or Article.objects.exists():
        return []
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename LIKE %s AND indexdef LIKE %s",
            ["articles%", "%gin_trgm_ops%"],
        )
        deferred = cursor.fetchall()
        for name, _ in deferred:
            cursor.execute(f'DROP INDEX "{name}"')
    return [definition for _, definition in deferred]


def build_search_indexes(definitions: list[str]) -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        for definition in definitions:
            cursor.execute(definition)


def clone_articles(copies: int) -> None:
    """Copy every article with its topics, images, related items and duplicate links `copies - 1` times, in SQL.

    Copy k gets source keys and URLs suffixed with k (so copies are not duplicates
    of each other, while duplicates within a copy stay linked) and dates moved k
    hours back. Ten times faster than importing the same number of files; the
    rows have the importer's shape because they are copies of imported rows.
    """
    from django.db import connection, transaction
    from django.db.models import Max, Min

    from articles.models import Article, ArticleImage, ArticleTopic, RelatedArticle

    quote = connection.ops.quote_name
    bounds = Article.objects.aggregate(low=Min("id"), high=Max("id"))
    low, high = bounds["low"], bounds["high"]
    article_columns = [f.column for f in Article._meta.concrete_fields if not f.primary_key]
    changed = {
        "source_key": "o.source_key || '~{k}'",
        "source_file": "o.source_file || '~{k}'",
        "web_url": "CASE WHEN o.web_url = '' THEN '' ELSE o.web_url || 'c{k}/' END",
        "original_url": "CASE WHEN o.original_url = '' THEN '' ELSE o.original_url || 'c{k}/' END",
        "web_url_key": "CASE WHEN o.web_url_key = '' THEN '' ELSE md5(o.web_url_key || '~{k}') END",
        "original_url_key": "CASE WHEN o.original_url_key = '' THEN '' ELSE md5(o.original_url_key || '~{k}') END",
        "published_date_time": "o.published_date_time - interval '{k} hours'",
    }
    children = [(model, [f.column for f in model._meta.concrete_fields if not f.primary_key])
                for model in (ArticleImage, RelatedArticle, ArticleTopic)]
    duplicates = quote(Article.duplicates.through._meta.db_table)
    table = quote(Article._meta.db_table)
    for k in range(1, copies):
        started = time.perf_counter()
        with transaction.atomic(), connection.cursor() as cursor:
            values = ", ".join(changed.get(column, f"o.{quote(column)}").format(k=k) for column in article_columns)
            cursor.execute(
                f"INSERT INTO {table} ({', '.join(map(quote, article_columns))}) SELECT {values} FROM {table} o "
                f"WHERE o.id BETWEEN %s AND %s ORDER BY o.id", [low, high]
            )
            for model, columns in children:
                child = quote(model._meta.db_table)
                values = ", ".join("n.id" if column == "article_id" else f"c.{quote(column)}" for column in columns)
                cursor.execute(
                    f"INSERT INTO {child} ({', '.join(map(quote, columns))}) SELECT {values} FROM {child} c "
                    f"JOIN {table} o ON o.id = c.article_id JOIN {table} n ON n.source_key = o.source_key || '~{k}' "
                    f"WHERE o.id BETWEEN %s AND %s", [low, high]
                )
            cursor.execute(
                f"INSERT INTO {duplicates} (from_article_id, to_article_id) SELECT n.id, m.id FROM {duplicates} d "
                f"JOIN {table} o ON o.id = d.from_article_id JOIN {table} n ON n.source_key = o.source_key || '~{k}' "
                f"JOIN {table} p ON p.id = d.to_article_id JOIN {table} m ON m.source_key = p.source_key || '~{k}' "
                f"WHERE o.id BETWEEN %s AND %s", [low, high]
            )
        print(f"  copy {k + 1} of {copies}: {time.perf_counter() - started:.1f} s", flush=True)


def table_counts() -> dict[str, int]:
    from articles.models import Article, ArticleImage, ArticleTopic, AuditEntry, Provider, RelatedArticle, Topic

    models = (Article, ArticleImage, RelatedArticle, ArticleTopic, Article.duplicates.through, Provider, Topic, AuditEntry)
    return {model._meta.db_table: model.objects.count() for model in models}


def main() -> int:
    arguments = parse_arguments()
    configure_django(arguments.sqlite)

    from django.db import connection

    deferred = defer_search_indexes()
    database = f"{connection.vendor} {connection.settings_dict['NAME']}"
    before = table_counts()
    print(f"database: {database} ({before['articles_article']:,} articles before)")
    print(f"filling:  {arguments.articles:,} items, seed {arguments.seed}, chunks of {arguments.chunk:,}")

    workdir = Path(tempfile.mkdtemp(prefix="newsroom-fill-", dir=arguments.workdir))
    try:
        wall, importing = import_all(count=arguments.articles, seed=arguments.seed, chunk=arguments.chunk, workdir=workdir)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)

    imported = table_counts()
    rows = sum(imported[table] - before.get(table, 0) for table in imported)
    articles = imported["articles_article"] - before["articles_article"]
    print(f"imported: {articles:,} articles in {wall:.1f} s = {articles / wall:,.0f} articles/s "
          f"({importing:.1f} s inside import_paths = {articles / importing:,.0f} articles/s)")
    print(f"rows:     {rows:,} rows in all tables = {rows / wall:,.0f} rows/s")

    started = time.perf_counter()
    if arguments.copies > 1:
        if connection.vendor != "postgresql":
            sys.exit("--copies needs PostgreSQL")
        clone_articles(arguments.copies)
        copied = sum(table_counts().values()) - sum(imported.values())
        took = time.perf_counter() - started
        print(f"copied:   {copied:,} rows in {took:.1f} s = {copied / took:,.0f} rows/s")
    editorial_started = time.perf_counter()
    editor = bench_editor()
    spread_import_times(arguments.days)
    shares = add_editorial_state(editor)
    print(f"editorial state: {time.perf_counter() - editorial_started:.1f} s")
    if connection.vendor == "postgresql":
        # The updates above left a dead version of most rows; a live table has autovacuum reuse that space.
        # Compact it, so sequential reads cost what they would on a table in steady state.
        vacuum_started = time.perf_counter()
        with connection.cursor() as cursor:
            cursor.execute("VACUUM FULL")
        print(f"VACUUM FULL: {time.perf_counter() - vacuum_started:.1f} s")
    if deferred:
        before_indexes = time.perf_counter()
        build_search_indexes(deferred)
        print(f"search indexes ({len(deferred)}) built after the load: {time.perf_counter() - before_indexes:.1f} s")
    with connection.cursor() as cursor:
        # planner statistics and (PostgreSQL) the visibility map for index-only scans, as autovacuum keeps them
        cursor.execute("VACUUM ANALYZE" if connection.vendor == "postgresql" else "ANALYZE")

    after = table_counts()
    for table, count in after.items():
        print(f"  {table:<32} {count:>11,}")
    for name, count in shares.items():
        print(f"  {name:<32} {count:>11,}  ({count / max(after['articles_article'], 1):.1%})")
    print(f"total:    {wall + time.perf_counter() - started:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
