"""`manage.py recluster`: every article clustered afresh in id chunks, with another threshold or window,
keeping what editors placed."""

import datetime as dt
import threading
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from articles import cluster_index
from articles.cluster_index import ClusterSettings, cluster_articles, recluster
from articles.models import Article, ClusterBand, StoryCluster
from tests.builders import BASE_TIME, make_article
from tests.threads import started

PLANT = "Acme unveils battery plant plan for Riverton"
LONGER = "Acme unveils battery plant plan for Riverton amid protests from residents"


def clusters() -> set[frozenset[str]]:
    groups: dict[int, set[str]] = {}
    for key, cluster in Article.objects.filter(cluster__isnull=False).values_list("source_key", "cluster_id"):
        groups.setdefault(cluster, set()).add(key)
    return {frozenset(group) for group in groups.values()}


def run(*args) -> str:
    out = StringIO()
    call_command("recluster", *args, "--no-progress", stdout=out)
    return out.getvalue()


@pytest.fixture
def stories(db):
    """Two tellings of one story, a longer third, and an unrelated item."""
    articles = [make_article(title=title, excerpt="") for title in (PLANT, f"{PLANT} | Reuters", LONGER)]
    articles.append(make_article(title="Globex to cut 40 jobs as demand slows", excerpt=""))
    cluster_articles([article.pk for article in articles])
    return [article.source_key for article in articles]


def test_a_stricter_threshold_splits_what_a_looser_one_joined(stories):
    plant, reuters, longer, _ = stories
    assert clusters() == {frozenset({plant, reuters, longer})}
    output = run("--threshold", "0.9")
    assert clusters() == {frozenset({plant, reuters})}
    assert "4 articles clustered (threshold 0.9, 3 days): 1 stories of two or more" in output
    run("--threshold", "0.5")
    assert clusters() == {frozenset({plant, reuters, longer})}


def test_a_narrower_window_splits_a_story_told_days_apart(db):
    first = make_article(title=PLANT, excerpt="", published_date_time=BASE_TIME)
    later = make_article(title=PLANT, excerpt="", published_date_time=BASE_TIME + dt.timedelta(days=2))
    recluster()
    assert clusters() == {frozenset({first.source_key, later.source_key})}
    run("--days", "1")
    assert clusters() == set()


def test_editors_placements_survive_a_recluster(stories):
    plant, reuters, longer, other = stories
    Article.objects.filter(source_key=reuters).update(cluster=None, cluster_set_by_editor=True)  # taken out
    joined = StoryCluster.objects.create(size=2)
    Article.objects.filter(source_key__in=[other, longer]).update(cluster=joined, cluster_set_by_editor=True)
    run()
    assert Article.objects.get(source_key=reuters).cluster_id is None
    assert clusters() == {frozenset({other, longer, plant})}  # the story joins the editors' cluster
    assert Article.objects.get(source_key=plant).cluster_id == joined.pk


def test_an_editors_cluster_left_with_one_member_keeps_it(db):
    alone = make_article(title=PLANT, excerpt="")
    other = make_article(title="Globex to cut 40 jobs as demand slows", excerpt="")
    cluster = StoryCluster.objects.create(size=2)
    Article.objects.filter(pk=alone.pk).update(cluster=cluster, cluster_set_by_editor=True)
    Article.objects.filter(pk=other.pk).update(cluster=cluster)
    run()
    cluster.refresh_from_db()
    assert (cluster.size, cluster.lead_id) == (1, alone.pk)
    assert Article.objects.get(pk=alone.pk).cluster_id == cluster.pk
    assert Article.objects.get(pk=other.pk).cluster_id is None


def test_small_chunks_cluster_as_one_chunk_does(db):
    for n in range(12):
        for suffix in ("", " | Reuters", " - CNN"):
            make_article(title=f"Company{n} unveils plant number {n} for Town{n}{suffix}", excerpt="")
    recluster(chunk_size=1000)
    whole = clusters()
    assert len(whole) == 12 and all(len(group) == 3 for group in whole)
    seen = []
    recluster(config=ClusterSettings(), chunk_size=5, on_progress=seen.append)
    assert clusters() == whole
    assert sum(seen) == 36 and max(seen) == 5
    assert ClusterBand.objects.values("article").distinct().count() == 36


def test_stale_clusters_and_bands_are_replaced(stories):
    ClusterBand.objects.all().delete()
    stale = StoryCluster.objects.create(size=2)
    Article.objects.filter(source_key=stories[3]).update(cluster=stale)
    run()
    assert not StoryCluster.objects.filter(pk=stale.pk).exists()
    assert ClusterBand.objects.values("article").distinct().count() == 4


@pytest.mark.parametrize("args, message", [
    (["--threshold", "0"], "--threshold"),
    (["--threshold", "1.5"], "--threshold"),
    (["--days", "-1"], "--days"),
    (["--chunk-size", "0"], "--chunk-size"),
])
def test_bad_arguments_are_usage_errors(db, args, message):
    with pytest.raises(CommandError, match=message):
        call_command("recluster", *args, "--no-progress", stdout=StringIO())


def folded_out_of_sight() -> list[str]:
    """Articles the queue's one-row-per-story view hides that are in no story: no editor would ever see them."""
    return list(Article.objects.filter(folded_into_cluster=True, cluster__isnull=True).values_list("source_key", flat=True))


def test_an_import_clustering_between_the_passes_hides_nothing(stories, monkeypatch):
    """Between the release and the dropping of the old clusters (SQLite lets another writer in there), an import
    clusters two new tellings of the story: the dropped cluster's members are released, not left folded in none,
    and the second pass places them."""
    plant = Article.objects.get(source_key=stories[0])
    arrived = [make_article(title=f"{PLANT}{suffix}", excerpt="", published_date_time=plant.published_date_time)
               for suffix in (" - CNN", " | AP")]
    drop_clusters = cluster_index._drop_clusters

    def import_in_between(chunk_size):
        cluster_articles([article.pk for article in arrived])
        assert Article.objects.filter(pk__in=[a.pk for a in arrived], folded_into_cluster=True).exists()
        drop_clusters(chunk_size)
        assert folded_out_of_sight() == []

    monkeypatch.setattr(cluster_index, "_drop_clusters", import_in_between)
    run("--chunk-size", "2")
    assert folded_out_of_sight() == []
    assert clusters() == {frozenset(stories[:3]) | {article.source_key for article in arrived}}


@pytest.mark.django_db(transaction=True)
def test_an_import_clustering_during_a_recluster_waits_for_it():
    """PostgreSQL: an import's clustering that starts while a recluster runs waits for it to finish, then places
    its batch among the new clusters."""
    if connection.vendor != "postgresql":
        pytest.skip("the clustering lock that spans a recluster is PostgreSQL's (SQLite writes one at a time)")
    old = [make_article(title=title, excerpt="", published_date_time=BASE_TIME)
           for title in (PLANT, f"{PLANT} | Reuters", "Globex to cut 40 jobs as demand slows")]
    cluster_articles([article.pk for article in old])
    arrived = make_article(title=f"{PLANT} - CNN", excerpt="", published_date_time=BASE_TIME)
    paused, resume, imported = threading.Event(), threading.Event(), threading.Event()

    def pause_after_first_chunk(_count):
        if not paused.is_set():
            paused.set()
            assert resume.wait(10)

    def import_clustering():
        cluster_articles([arrived.pk])
        imported.set()

    reclusterer = started(lambda: recluster(chunk_size=1, on_progress=pause_after_first_chunk))
    assert paused.wait(10)
    importer = started(import_clustering)
    assert not imported.wait(1), "the import's clustering ran in the middle of the recluster"
    resume.set()
    reclusterer.join(20)
    importer.join(20)
    assert imported.is_set()
    assert folded_out_of_sight() == []
    assert clusters() == {frozenset(article.source_key for article in (*old[:2], arrived))}
