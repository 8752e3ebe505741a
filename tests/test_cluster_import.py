"""Story clusters computed at import: candidates through the bands, clusters joined, created and merged,
editors' placements kept, a bounded number of queries per batch, and no deadlock with editors on PostgreSQL."""

import dataclasses
import datetime as dt
import threading
import time

import pytest
from django.db import connection, transaction

from articles import cluster_index, clustering, editorial
from articles.cluster_index import ClusterSettings, cluster_articles
from articles.importing import import_paths
from articles.models import Article, ClusterBand, StoryCluster
from articles.reading import parse_for_import
from tests.builders import BASE_TIME, make_article, make_provider
from tests.threads import started

ACME = "Acme unveils battery plant plan for Riverton"


def story_file(directory, key, title, *, provider=("CNN", "cnn.com"), when="2024-05-01T10:00:00Z", url=None,
               excerpt="Acme presented plans for a battery plant in Riverton on Monday."):
    name, domain = provider
    date_line = f"publishedDateTime: {when}\n" if when else ""
    (directory / f"{key}.md").write_text(
        f'---\ncategory: news\ntitle: "{title}"\nexcerpt: "{excerpt}"\n{date_line}'
        f'webUrl: "{url or f"https://www.{domain}/{key}"}"\ntype: article\n'
        f"provider:\n  name: {name}\n  domain: {domain}\n---\n\n",
        encoding="utf-8",
    )


def cluster_of(key):
    return Article.objects.values_list("cluster_id", flat=True).get(source_key=key)


def members(key):
    cluster = cluster_of(key)
    return set(Article.objects.filter(cluster_id=cluster).values_list("source_key", flat=True)) if cluster else set()


@pytest.fixture
def files(tmp_path):
    directory = tmp_path / "in"
    directory.mkdir()
    return directory


@pytest.mark.django_db
def test_import_clusters_two_providers_versions_of_a_story(files):
    story_file(files, "cnn", f"Video: {ACME} - CNN")
    story_file(files, "reuters", "Acme launches battery plant plan for Riverton | Reuters", provider=("Reuters", "reuters.com"))
    story_file(files, "other", "Globex to cut 40 jobs as demand slows", excerpt="Globex will cut 40 jobs.")
    import_paths([files])
    assert members("cnn") == {"cnn", "reuters"}
    assert cluster_of("other") is None
    cluster = StoryCluster.objects.get()
    assert cluster.size == 2
    folded = dict(Article.objects.filter(cluster=cluster).values_list("pk", "folded_into_cluster"))
    assert folded[cluster.lead_id] is False and sorted(folded.values()) == [False, True]


@pytest.mark.django_db
def test_a_later_run_joins_the_existing_cluster(files, tmp_path):
    story_file(files, "cnn", ACME)
    story_file(files, "reuters", f"{ACME} | Reuters", provider=("Reuters", "reuters.com"))
    import_paths([files])
    later = tmp_path / "later"
    later.mkdir()
    story_file(later, "verge", f"Watch: {ACME} — The Verge", provider=("The Verge", "theverge.com"),
               when="2024-05-02T18:00:00Z")
    import_paths([later])
    assert members("verge") == {"cnn", "reuters", "verge"}
    assert StoryCluster.objects.get().size == 3


@pytest.mark.django_db
def test_a_shared_canonical_url_is_one_story_whatever_the_titles(files):
    story_file(files, "one", "Completely different headline", url="https://example.com/a?utm_source=x")
    story_file(files, "two", "Nothing alike at all", url="https://example.com/a", provider=("Reuters", "reuters.com"))
    story_file(files, "later", "Months later, the same page", url="https://example.com/a", when="2025-01-15T10:00:00Z",
               provider=("BBC", "bbc.co.uk"))
    import_paths([files])
    assert members("one") == {"one", "two", "later"}


@pytest.mark.django_db
def test_the_same_words_a_week_apart_are_two_stories(files):
    story_file(files, "first", ACME, when="2024-05-01T10:00:00Z")
    story_file(files, "second", ACME, when="2024-05-08T10:00:00Z", provider=("Reuters", "reuters.com"))
    import_paths([files])
    assert cluster_of("first") is None and cluster_of("second") is None


@pytest.mark.django_db
def test_a_chain_of_days_apart_matches_is_not_one_story(files):
    # Each next day's headline is like the one before; the first and last are four days apart.
    story_file(files, "day1", ACME, when="2024-05-01T10:00:00Z")
    story_file(files, "day3", ACME, when="2024-05-03T10:00:00Z", provider=("Reuters", "reuters.com"))
    story_file(files, "day5", ACME, when="2024-05-05T10:00:00Z", provider=("BBC", "bbc.co.uk"))
    import_paths([files])
    stories = {frozenset(members(key)) for key in ("day1", "day3", "day5") if members(key)}
    assert stories and all(len(story) == 2 for story in stories) and len(stories) == 1


@pytest.mark.django_db
def test_articles_without_a_date_are_placed_in_time_by_their_import(files):
    story_file(files, "first", ACME, when=None)
    story_file(files, "second", ACME, when=None, provider=("Reuters", "reuters.com"))
    import_paths([files])
    assert members("first") == {"first", "second"}


@pytest.mark.django_db
def test_two_companies_quarterly_results_stay_apart(files):
    story_file(files, "acme", "Acme reports record Q3 revenue", excerpt="Acme said revenue rose.")
    story_file(files, "globex", "Globex reports record Q3 revenue", excerpt="Globex said revenue rose.",
               provider=("Reuters", "reuters.com"))
    import_paths([files])
    assert cluster_of("acme") is None and cluster_of("globex") is None


@pytest.mark.django_db
def test_a_changed_title_takes_the_article_out_of_its_story(files):
    story_file(files, "cnn", ACME)
    story_file(files, "reuters", ACME, provider=("Reuters", "reuters.com"))
    import_paths([files])
    assert members("cnn") == {"cnn", "reuters"}
    story_file(files, "reuters", "Globex to cut 40 jobs as demand slows", provider=("Reuters", "reuters.com"),
               excerpt="Globex will cut 40 jobs.")
    import_paths([files])
    assert cluster_of("cnn") is None and cluster_of("reuters") is None
    assert not StoryCluster.objects.exists()


@pytest.mark.django_db
def test_reimport_replaces_the_bands(files):
    story_file(files, "cnn", ACME)
    import_paths([files])
    article = Article.objects.get(source_key="cnn")
    before = set(ClusterBand.objects.filter(article=article).values_list("band", flat=True))
    assert before
    story_file(files, "cnn", "Globex to cut 40 jobs as demand slows", excerpt="Globex will cut 40 jobs.")
    import_paths([files])
    after = set(ClusterBand.objects.filter(article=article).values_list("band", flat=True))
    assert after and not before & after


@pytest.mark.django_db
def test_an_article_an_editor_took_out_stays_out(files):
    story_file(files, "cnn", ACME)
    story_file(files, "reuters", ACME, provider=("Reuters", "reuters.com"))
    import_paths([files])
    Article.objects.filter(source_key="reuters").update(cluster=None, cluster_set_by_editor=True)
    Article.objects.filter(source_key="cnn").update(cluster=None)
    StoryCluster.objects.all().delete()
    story_file(files, "reuters", f"{ACME} | Reuters", provider=("Reuters", "reuters.com"))  # changed upstream
    story_file(files, "verge", ACME, provider=("The Verge", "theverge.com"))
    import_paths([files])
    assert cluster_of("reuters") is None
    assert members("verge") == {"cnn", "verge"}


PLANT = "Acme unveils battery plant in Riverton"
BUDGET = "Riverton council votes against tram budget"
BRIDGE = "Acme unveils battery plant in Riverton as council votes against tram budget"


def two_stories(*, placed: bool) -> tuple[int, int]:
    """Two clusters that only an article telling both stories links: (plant's cluster, budget's cluster)."""
    ids = [make_article(title=title, excerpt="").pk for title in (PLANT, f"{PLANT} | Reuters", BUDGET, f"{BUDGET} - CNN")]
    cluster_articles(ids)
    if placed:
        Article.objects.filter(pk__in=ids).update(cluster_set_by_editor=True)
    first, second = (cluster_of(key) for key in Article.objects.filter(pk__in=[ids[0], ids[2]]).order_by("pk")
                     .values_list("source_key", flat=True))
    assert first and second and first != second
    return first, second


@pytest.mark.django_db
def test_an_article_bridging_two_stories_merges_them_into_the_older():
    first, _ = two_stories(placed=False)
    bridge = make_article(title=BRIDGE, excerpt="")
    cluster_articles([bridge.pk])
    assert set(Article.objects.values_list("cluster_id", flat=True)) == {first}
    assert StoryCluster.objects.get().size == 5


@pytest.mark.django_db
def test_clusters_holding_editor_placements_are_never_merged():
    first, second = two_stories(placed=True)
    bridge = make_article(title=BRIDGE, excerpt="")
    cluster_articles([bridge.pk])
    assert Article.objects.filter(cluster_id=first).count() + Article.objects.filter(cluster_id=second).count() == 5
    assert Article.objects.filter(cluster_set_by_editor=True, cluster_id=first).count() == 2
    assert Article.objects.filter(cluster_set_by_editor=True, cluster_id=second).count() == 2
    assert Article.objects.get(pk=bridge.pk).cluster_id in (first, second)


@pytest.mark.django_db
def test_clustering_can_be_switched_off(files, settings):
    settings.STORY_CLUSTERS = False
    story_file(files, "cnn", ACME)
    story_file(files, "reuters", ACME, provider=("Reuters", "reuters.com"))
    import_paths([files])
    assert not StoryCluster.objects.exists() and not ClusterBand.objects.exists()


@pytest.mark.django_db
def test_a_dry_run_clusters_nothing(files):
    story_file(files, "cnn", ACME)
    story_file(files, "reuters", ACME, provider=("Reuters", "reuters.com"))
    import_paths([files], dry_run=True)
    assert not StoryCluster.objects.exists()


def many_stories(count: int, *, first: int = 0) -> list[int]:
    """`count` articles, telling count/2 stories (numbered from `first`) twice each."""
    reuters = make_provider("reuters.com", "Reuters")
    ids = []
    for n in range(first, first + count // 2):
        title = f"Company{n} unveils plant number {n} for Town{n}"
        ids.append(make_article(title=title).pk)
        ids.append(make_article(title=f"{title} | Reuters", provider=reuters).pk)
    return ids


@pytest.mark.django_db
def test_a_batch_costs_a_bounded_number_of_queries_whatever_its_size(django_assert_max_num_queries):
    small, large = many_stories(10), many_stories(200, first=1000)
    with django_assert_max_num_queries(20):
        cluster_articles(small)
    with django_assert_max_num_queries(20):
        cluster_articles(large)
    assert StoryCluster.objects.count() == 105
    assert set(StoryCluster.objects.values_list("size", flat=True)) == {2}


@pytest.mark.django_db
def test_a_band_shared_by_many_items_offers_only_its_newest_as_candidates(monkeypatch):
    """Reading a whole band would make each batch's memory grow with the table (re-clustering 100,000 articles)."""
    monkeypatch.setattr(cluster_index, "MOST_PER_BAND", 3)
    same = [make_article(title=ACME, excerpt="", published_date_time=BASE_TIME).pk for _ in range(6)]
    other = make_article(title="Globex to cut 40 jobs as demand slows", excerpt="", published_date_time=BASE_TIME).pk
    cluster_articles([*same, other])
    shared = set(ClusterBand.objects.filter(article_id=same[0]).values_list("band", flat=True))
    found = cluster_index.stored_members(shared | {-1})
    assert set(found) == shared
    assert all(sorted(pks) == sorted(same)[-3:] for pks in found.values())


@pytest.mark.django_db
def test_candidates_outside_the_batch_are_compared_a_chunk_at_a_time(monkeypatch):
    """They are read OUTSIDE_CHUNK at a time and dropped once compared; every chunk's matches count."""
    earlier = [make_article(title=f"{ACME} | {name}", excerpt="", published_date_time=BASE_TIME).pk
               for name in ("Reuters", "CNN", "AP")]
    unrelated = make_article(title="Globex to cut 40 jobs as demand slows", excerpt="", published_date_time=BASE_TIME).pk
    cluster_articles([*earlier, unrelated])
    monkeypatch.setattr(cluster_index, "OUTSIDE_CHUNK", 1)
    batch = [make_article(title=f"Video: {ACME}", excerpt="", published_date_time=BASE_TIME).pk,
             make_article(title="Globex to cut 40 jobs", excerpt="", published_date_time=BASE_TIME).pk]
    cluster_articles(batch)
    story = Article.objects.get(pk=batch[0]).cluster
    assert set(story.members.values_list("pk", flat=True)) == {*earlier, batch[0]}
    assert Article.objects.get(pk=batch[1]).cluster_id == Article.objects.get(pk=unrelated).cluster_id is not None


@pytest.mark.django_db
@pytest.mark.parametrize("hours_apart, same_url, one_story", [
    (30, False, True),  # within the clustering's days
    (24 * 10, False, False),  # further apart: `same_story` says no on the dates alone
    (24 * 10, True, True),  # as far apart, but the same canonical URL: one story whatever the dates
])
def test_a_candidate_outside_the_batch_is_read_for_its_text_only_if_it_may_be_one_story(
        monkeypatch, hours_apart, same_url, one_story):
    """At a dense table half the candidates outside a batch are too far apart in time, and building their texts
    was most of a clustering call's time: they are left out, and the decision is the same."""
    config = ClusterSettings.from_settings()
    batch = make_article(title=ACME, excerpt="", published_date_time=BASE_TIME, web_url="https://acme.example/plant")
    other = make_article(title=f"{ACME} | Reuters", excerpt="", published_date_time=BASE_TIME + dt.timedelta(hours=hours_apart),
                         web_url="https://acme.example/plant" if same_url else "https://reuters.example/acme")
    read, story_texts = [], cluster_index.story_texts

    def recording(rows):
        rows = list(rows)
        read.extend(row["pk"] for row in rows)
        return story_texts(rows)

    monkeypatch.setattr(cluster_index, "story_texts", recording)
    texts, _ = cluster_index._texts_and_bands([batch.pk], config, {})
    shared = set()
    edges = cluster_index._verified_edges(texts, {batch.pk: {other.pk}}, config, shared)
    assert edges == ([(batch.pk, other.pk)] if one_story else [])
    assert read == ([other.pk] if one_story else [])
    assert shared == ({(batch.pk, other.pk)} if same_url else set())
    assert one_story == clustering.same_story(texts[batch.pk], story_texts(Article.objects.filter(pk=other.pk).values(
        *cluster_index.TEXT_VALUES))[other.pk], threshold=config.threshold, days=config.days)


@pytest.mark.django_db
def test_a_stricter_threshold_clusters_less():
    ids = [make_article(title="Acme unveils battery plant plan for Riverton", excerpt="").pk,
           make_article(title="Acme unveils battery plant plan for Riverton amid protests from residents", excerpt="").pk]
    cluster_articles(ids, config=ClusterSettings(threshold=0.95))
    assert not StoryCluster.objects.exists()
    cluster_articles(ids, config=ClusterSettings(threshold=0.5))
    assert StoryCluster.objects.get().size == 2


@pytest.mark.django_db(transaction=True)
def test_clustering_waits_for_an_editor_holding_a_candidate_and_never_deadlocks(files):
    """The editor holds the candidate, then also asks for the re-imported article. Had the importer locked the
    candidate inside its batch's transaction (holding the re-imported article), the two would deadlock on
    PostgreSQL; clustering in a transaction of its own, after the batch committed, waits instead."""
    story_file(files, "cnn", ACME)
    story_file(files, "reuters", "Globex to cut 40 jobs as demand slows", provider=("Reuters", "reuters.com"),
               excerpt="Globex will cut 40 jobs.")
    import_paths([files])
    candidate, reimported = Article.objects.order_by("pk").values_list("pk", flat=True)
    holding, release, errors = threading.Event(), threading.Event(), []

    def editor():
        with transaction.atomic():
            list(editorial.lock_articles(Article.objects.filter(pk=candidate)))
            holding.set()
            release.wait(10)
            list(editorial.lock_articles(Article.objects.filter(pk__in=[candidate, reimported])))
            Article.objects.filter(pk__in=[candidate, reimported]).update(quality=99)

    editing = started(editor, errors)
    assert holding.wait(10)
    story_file(files, "reuters", f"{ACME} | Reuters", provider=("Reuters", "reuters.com"))  # now the same story
    importing = started(lambda: import_paths([files]), errors)
    time.sleep(1)
    if connection.vendor == "postgresql":
        assert importing.is_alive()  # its clustering waits for the candidate's lock
    release.set()
    editing.join(20)
    importing.join(30)
    assert not errors
    assert members("cnn") == {"cnn", "reuters"}
    assert Article.objects.get(pk=candidate).quality == 99


# --- story hints: texts and bands worked out by the parser workers -------------------------------------------

def hint_for(path, days=clustering.DEFAULT_DAYS):
    _, _, hint = parse_for_import(path.read_bytes(), story_days=days)
    return hint


@pytest.mark.django_db
def test_a_worker_hint_is_what_the_stored_article_makes(files):
    story_file(files, "cnn", f"Video: {ACME} - CNN")
    hint = hint_for(files / "cnn.md")
    import_paths([files])
    row = Article.objects.values(*cluster_index.TEXT_VALUES).get(source_key="cnn")
    assert hint.matches(cluster_index.story_source(row), clustering.DEFAULT_DAYS)
    assert hint.text == cluster_index.story_texts([row])[row["pk"]]
    assert hint.bands == clustering.story_bands(hint.text, days=clustering.DEFAULT_DAYS)


@pytest.mark.django_db
def test_a_hint_is_used_only_where_the_article_still_holds_what_it_was_made_of(files):
    story_file(files, "cnn", f"Video: {ACME} - CNN")
    story_file(files, "reuters", "Acme launches battery plant plan for Riverton | Reuters", provider=("Reuters", "reuters.com"))
    import_paths([files], jobs=1)
    Article.objects.filter(source_key="reuters").update(cluster=None, folded_into_cluster=False)
    StoryCluster.objects.all().delete()
    ClusterBand.objects.all().delete()
    ids = dict(Article.objects.values_list("source_key", "pk"))
    # Hints made of other words: one for another threshold of days, one whose provider name differs from the
    # stored provider's. Neither may be used, so the two are still found to be one story.
    unrelated = dataclasses.replace(hint_for(files / "cnn.md"), text=clustering.story_text("Globex cuts jobs"))
    wrong_days = dataclasses.replace(unrelated, days=clustering.DEFAULT_DAYS + 1)
    other_site = dataclasses.replace(unrelated, source=unrelated.source[:4] + (("Not CNN", "cnn.com"),))
    cluster_articles([ids["cnn"]], hints={ids["cnn"]: other_site})
    cluster_articles([ids["reuters"]], hints={ids["reuters"]: wrong_days})
    assert members("cnn") == {"cnn", "reuters"}
    # A hint that matches is used as it is (here, deliberately, a wrong one: the articles part).
    Article.objects.update(cluster=None, folded_into_cluster=False)
    StoryCluster.objects.all().delete()
    ClusterBand.objects.all().delete()
    cluster_articles([ids["cnn"], ids["reuters"]], hints={ids["cnn"]: unrelated})
    assert cluster_of("reuters") is None and cluster_of("cnn") is None


@pytest.mark.django_db
def test_an_import_with_workers_clusters_as_one_without(files, tmp_path):
    for n in range(12):
        story_file(files, f"a{n}", f"{ACME} {'today' if n % 2 else ''}".strip(), provider=(f"Site {n}", f"site{n}.example"))
        story_file(files, f"g{n}", "Globex to cut 40 jobs as demand slows", excerpt="Globex will cut 40 jobs.",
                   provider=(f"Paper {n}", f"paper{n}.example"), when=f"2024-05-0{1 + n % 3}T10:00:00Z")
    import_paths([files], jobs=2, batch_size=5)
    with_workers = {key: frozenset(members(key)) for key in Article.objects.values_list("source_key", flat=True)}
    Article.objects.all().delete()
    StoryCluster.objects.all().delete()
    import_paths([files], jobs=1, batch_size=5)
    assert with_workers == {key: frozenset(members(key)) for key in Article.objects.values_list("source_key", flat=True)}
    assert set(with_workers["a0"]) == {f"a{n}" for n in range(12)}


def test_an_item_whose_hint_cannot_be_made_is_still_parsed(files, monkeypatch):
    story_file(files, "cnn", f"Video: {ACME} - CNN")

    def broken(*args, **kwargs):
        raise ValueError("no hint")

    monkeypatch.setattr(clustering, "story_hint", broken)
    record, _, hint = parse_for_import((files / "cnn.md").read_bytes(), story_days=clustering.DEFAULT_DAYS)
    assert hint is None and record.fields["title"] == f"Video: {ACME} - CNN"


def test_an_undated_item_gets_no_hint_its_import_dates_it(files):
    story_file(files, "undated", ACME, when=None)
    assert hint_for(files / "undated.md") is None


@pytest.mark.django_db
def test_bands_are_stored_exactly_at_the_ends_of_their_range():
    article = make_article()
    extremes = [-(1 << 62), (1 << 63) - 1, -(1 << 63), 0, 12345678901234567]
    cluster_index._store_bands([article.pk], {article.pk: (extremes + extremes[:1], [])})
    assert sorted(ClusterBand.objects.filter(article=article).values_list("band", flat=True)) == sorted(extremes)
