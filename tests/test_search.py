"""The queue's text search: one meaning on SQLite and PostgreSQL, and indexed on PostgreSQL."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.http import QueryDict

from articles.models import Article, Provider
from articles.search import filter_by_text
from articles.selectors import review_queue

pytestmark = pytest.mark.django_db

postgresql_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="migration 0003 creates indexes on PostgreSQL only"
)
TRIGRAM_INDEXES = {"article_title_trgm", "article_excerpt_trgm"}
ORDER_INDEXES = {"article_published_nulls_last", "article_status_published_nulls_last",
                 "article_provider_published_nulls_last"}


def article(key: str, *, title: str = "A quiet day", excerpt: str = "Nothing happened.", provider=None) -> Article:
    return Article.objects.create(source_key=key, source_file=f"{key}.md", content_hash=key, title=title,
                                  excerpt=excerpt, provider=provider)


def found(text: str) -> set[str]:
    return set(filter_by_text(Article.objects.all(), text).values_list("source_key", flat=True))


@pytest.fixture
def gazette():
    return Provider.objects.create(key="gazette.example", name="Harbor City Gazette", domain="gazette.example")


def test_finds_a_word_in_the_title_whatever_its_case():
    article("ferry", title="Ferry timetable approved")
    article("other")
    assert found("FERRY") == {"ferry"}


def test_finds_a_phrase_in_the_excerpt_but_not_its_words_apart():
    article("phrase", excerpt="The flood barrier opens in spring.")
    article("apart", excerpt="A barrier against the flood.")
    assert found("flood barrier") == {"phrase"}


def test_finds_part_of_a_word():
    article("part", title="Councillors vote on the tram extension")
    assert found("council") == {"part"}


def test_finds_the_provider_name(gazette):
    article("from-gazette", provider=gazette)
    article("no-provider")
    assert found("city gazette") == {"from-gazette"}


def test_title_excerpt_and_provider_matches_are_combined(gazette):
    article("title", title="Harbor works begin")
    article("excerpt", excerpt="Boats left the harbor early.")
    article("provider", provider=gazette)
    article("none")
    assert found("harbor") == {"title", "excerpt", "provider"}


def test_wildcard_characters_are_literal():
    article("percent", title="Rents up 10% in a year")
    article("digits", title="Rents up 10 points in a year")
    assert found("10%") == {"percent"}
    assert found("up_10") == set()


def test_blank_text_filters_nothing():
    article("one")
    article("two")
    assert found("   ") == {"one", "two"}


def test_surrounding_spaces_are_ignored():
    article("ferry", title="Ferry timetable approved")
    assert found("  ferry  ") == {"ferry"}


@postgresql_only
def test_migration_creates_the_trigram_and_order_indexes():
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'articles_article'")
        definitions = dict(cursor.fetchall())
    assert TRIGRAM_INDEXES | ORDER_INDEXES <= set(definitions)
    assert "gin_trgm_ops" in definitions["article_title_trgm"]
    assert "published_date_time DESC NULLS LAST, id DESC" in definitions["article_published_nulls_last"]


@postgresql_only
def test_postgresql_reads_the_queue_order_from_an_index():
    article("a")
    sql, params = review_queue(QueryDict("")).rows[:50].query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("EXPLAIN " + sql, params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "Index" in plan and "Sort" not in plan, plan  # walked in order from an index, never sorted


@postgresql_only
def test_postgresql_answers_the_search_from_the_trigram_indexes(gazette):
    article("ferry", title="Ferry timetable approved")
    queryset = filter_by_text(Article.objects.order_by(), "ferry")
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        sql, params = queryset.query.sql_with_params()
        cursor.execute("EXPLAIN " + sql, params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "Seq Scan" not in plan and plan.count("Bitmap Index Scan") >= 2, plan  # title and excerpt from indexes
    assert "BitmapOr" in plan and "SubPlan" not in plan, plan  # the provider condition is an index scan too



@pytest.mark.django_db(transaction=True)
def test_migration_reverses_and_applies_again():
    executor = MigrationExecutor(connection)
    latest = executor.loader.graph.leaf_nodes()
    executor.migrate([("articles", "0002_roles")])
    assert postgresql_indexes() == set()
    executor = MigrationExecutor(connection)
    executor.migrate(latest)
    assert postgresql_indexes() == (TRIGRAM_INDEXES | ORDER_INDEXES if connection.vendor == "postgresql" else set())


def postgresql_indexes() -> set[str]:
    if connection.vendor != "postgresql":
        return set()
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexname FROM pg_indexes WHERE indexname = ANY(%s)", [list(TRIGRAM_INDEXES | ORDER_INDEXES)])
        return {row[0] for row in cursor.fetchall()}
