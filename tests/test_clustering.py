"""The same-story decision, its normalisation and thresholds, the bands, and the grouping plan: pure functions."""

import pytest
from hypothesis import given, settings, strategies as st

from articles import clustering
from articles.cluster_plan import NEW, plan_clusters
from articles.clustering import headline, same_story, story_bands, story_text
from articles.story_variants import labelled_items, pairwise_scores

DAY = 86400.0


@pytest.mark.parametrize("raw, expected", [
    ("Harbor City approves flood barrier - CNN", "Harbor City approves flood barrier"),
    ("Harbor City approves flood barrier | TechCrunch", "Harbor City approves flood barrier"),
    ("Harbor City approves flood barrier — Reuters", "Harbor City approves flood barrier"),
    ("Harbor City approves flood barrier – The Verge", "Harbor City approves flood barrier"),
    ("Harbor City approves flood barrier (Reuters)", "Harbor City approves flood barrier"),
    ("Harbor City approves flood barrier | techcrunch.com", "Harbor City approves flood barrier"),
    ("Video: Harbor City approves flood barrier", "Harbor City approves flood barrier"),
    ("WATCH: Harbor City approves flood barrier", "Harbor City approves flood barrier"),
    ("LIVE - Harbor City approves flood barrier", "Harbor City approves flood barrier"),
    ("[VIDEO] Harbor City approves flood barrier", "Harbor City approves flood barrier"),
    ("Breaking: Video: Harbor City approves flood barrier - CNN", "Harbor City approves flood barrier"),
    ("Apple &amp; Google&#8217;s&nbsp;deal", "Apple & Google’s deal"),
    ("Fish &amp;#038; chips <b>price</b> rise", "Fish & chips price rise"),
    # what is not a site name stays
    ("Markets: what the rate cut means for you", "Markets: what the rate cut means for you"),
    ("Storm hits coast - thousands without power tonight after the flood", 
     "Storm hits coast - thousands without power tonight after the flood"),
])
def test_headline_drops_what_is_not_the_story(raw, expected):
    assert headline(raw) == expected


def test_the_providers_own_name_never_counts_as_the_storys_words():
    assert headline("Gazette Online | Storm knocks out power to homes", site_words={"gazette", "online"}) == (
        "Storm knocks out power to homes")
    text = story_text("Storm knocks out power to 5,000 homes · Gazette Online", site=("Gazette Online", "gazette.example"))
    assert "gazett" not in text.title and "onlin" not in text.title


@pytest.mark.parametrize("word, stem", [
    ("unveils", "unveil"), ("unveiled", "unveil"), ("unveiling", "unveil"), ("launches", "unveil"),
    ("reports", "report"), ("posts", "report"), ("names", "nam"), ("named", "nam"), ("cities", "city"),
    ("2025", "2025"), ("q3", "q3"), ("mayoral", "mayor"), ("bus", "bus"),
])
def test_stem_lets_word_forms_and_headline_synonyms_meet(word, stem):
    assert clustering.stem(word) == stem


SAME = [
    ("Harbor City approves flood barrier after 12-hour debate", "Video: Harbor City approves flood barrier after 12-hour debate - CNN"),
    ("Harbor City approves flood barrier after 12-hour debate", "HARBOR CITY APPROVES FLOOD BARRIER AFTER 12-HOUR DEBATE"),
    ("Harbor City Approves Flood Barrier After Marathon Debate", "After marathon debate, Harbor City approves flood barrier"),
    ("Acme unveils battery plant plan for Riverton", "Acme launches battery plant plan for Riverton | Reuters"),
    ("Acme unveils battery plant plan for Riverton", "Acme officially unveils new battery plant plan for Riverton"),
    ("Acme unveils new battery plant plan for Riverton on Tuesday", "Acme unveils battery plant plan for Riverton"),
    ("Apple &amp; Google team up on contact tracing", "Apple and Google team up on contact tracing — The Verge"),
    ("Maria Okafor wins Scranton mayoral race", "Scranton elects Maria Okafor as mayor | AP"),
    ("Storm Knocks Out Power to 53,000 Homes in Metropolis", "53,000 homes in Metropolis without power after storm"),
    ("Acme buys Globex for $3bn", "Acme acquires Globex in $3 billion deal - Reuters"),
    ("Acme buys Globex for £40m", "Acme to buy Globex for £40 million"),
    ("HARBOR CITY APPROVES FLOOD BARRIER NOW", "Harbor City Officially Approves Flood Barrier"),
    ("Harbor City approves flood barrier in March", "Harbor City approves flood barrier | The Times of India"),
    ("Provance releases ServiceTeam ITSM products", "RE-TRANSMISSION: Provance releases ServiceTeam ISTM products"),
]
DIFFERENT = [
    ("Acme reports record Q3 revenue", "Globex reports record Q3 revenue"),
    ("Acme Reports Record Q3 Revenue", "Globex reports record Q3 revenue"),
    ("Acme reports record Q3 2025 revenue", "Acme reports record Q3 2026 revenue"),
    ("Acme reports record Q3 revenue", "Acme reports record Q4 revenue"),
    ("Eurovision 2023 final: Sweden wins", "Eurovision 2024 final: Sweden wins"),
    ("Riverton launches free tram extension trial for residents", "Riverton launches free library budget trial for residents"),
    ("Twin Peaks council approves solar farm", "Hawkins council approves solar farm"),
    ("Storm knocks out power to 74,000 homes in Stars Hollow", "Storm Knocks Out Power to 74,000 Homes in Bedrock"),
    ("Acme names Maria Okafor as chief executive", "Globex names Maria Okafor as chief executive"),
    ("City council approves budget", "City council rejects tram extension"),
]


@pytest.mark.parametrize("first, second", SAME)
def test_same_story_told_in_other_words(first, second):
    assert same_story(story_text(first), story_text(second))
    assert same_story(story_text(second), story_text(first))


@pytest.mark.parametrize("first, second", DIFFERENT)
def test_stories_that_only_share_words_stay_apart(first, second):
    assert not same_story(story_text(first), story_text(second))
    assert not same_story(story_text(second), story_text(first))


def test_a_capitalised_headline_word_the_excerpt_names_is_a_name():
    acme = story_text("Acme Reports Record Q3 Revenue", "Shares rose after Acme said revenue reached $3 billion.")
    assert clustering.stem("acme") in acme.names
    assert "record" not in acme.capitalised  # a common headline word never names anything


def test_excerpts_that_agree_carry_titles_a_little_below_the_threshold():
    first = ("Council votes on the Riverton tram", "The council in Riverton voted late on Tuesday to extend the tram "
             "line to the harbour, after a session that ran for nine hours.")
    second = ("Riverton tram extension goes ahead after long night", "Riverton's council voted late on Tuesday to "
              "extend the tram line to the harbour after a session that ran for nine hours.")
    a, b = story_text(*first), story_text(*second)
    likeness = clustering.title_likeness(a, b)
    assert clustering.DEFAULT_THRESHOLD - clustering.EXCERPT_MARGIN <= likeness < clustering.DEFAULT_THRESHOLD
    assert same_story(a, b)
    assert not same_story(story_text(first[0]), story_text(second[0]))


def test_the_threshold_decides_between_alike_titles():
    a = story_text("Acme unveils battery plant plan for Riverton")
    b = story_text("Acme unveils battery plant plan for Riverton amid protests from residents")
    likeness = clustering.title_likeness(a, b)
    assert 0.5 < likeness < 0.95
    assert same_story(a, b, threshold=likeness)
    assert not same_story(a, b, threshold=likeness + 0.3)


def test_same_story_needs_publication_within_the_days():
    first = story_text("Harbor City Marathon draws record crowds", moment=0.0)
    assert same_story(first, story_text("Harbor City Marathon draws record crowds", moment=2.9 * DAY))
    assert not same_story(first, story_text("Harbor City Marathon draws record crowds", moment=3.1 * DAY))
    assert same_story(first, story_text("Harbor City Marathon draws record crowds", moment=5 * DAY), days=7)
    assert same_story(first, story_text("Harbor City Marathon draws record crowds", moment=None))  # no date: text only


def test_a_shared_canonical_url_is_always_the_same_story():
    first = story_text("Totally different words", url_keys=["k1"], moment=0.0)
    assert same_story(first, story_text("Nothing in common here", url_keys=["", "k1"], moment=400 * DAY))
    assert not same_story(story_text("a", url_keys=[""]), story_text("b", url_keys=[""]))


def test_an_empty_title_matches_nothing_by_words():
    assert not same_story(story_text(""), story_text(""))
    assert not same_story(story_text("The"), story_text("The"))


# --- bands ---------------------------------------------------------------------------------------------

def test_bands_are_signed_64_bit_and_deterministic():
    text = story_text("Harbor City approves flood barrier", "Councillors voted late on Tuesday.", moment=10 * DAY)
    stored, looked_up = story_bands(text)
    assert stored == story_bands(story_text("Harbor City approves flood barrier", "Councillors voted late on Tuesday.",
                                            moment=10 * DAY))[0]
    assert len(stored) == clustering.TITLE_BANDS + clustering.EXCERPT_BANDS
    assert len(looked_up) == 2 * len(stored)
    assert all(-2**63 <= band < 2**63 for band in stored + looked_up)
    assert set(stored) <= set(looked_up)


def test_variants_of_a_story_share_a_band_and_far_apart_items_do_not():
    first = story_text("Video: Harbor City approves flood barrier after debate - CNN", moment=10 * DAY)
    second = story_text("Harbor City approves flood barrier after long debate | Reuters", moment=11.5 * DAY)
    later = story_text("Harbor City approves flood barrier after debate", moment=30 * DAY)
    assert set(story_bands(second)[1]) & set(story_bands(first)[0])
    assert not set(story_bands(later)[1]) & set(story_bands(first)[0])


def test_items_within_the_days_always_meet_in_a_bucket():
    for hours in range(0, 72, 5):
        first = story_text("Same words exactly here", moment=1000 * DAY + hours * 3600)
        second = story_text("Same words exactly here", moment=1000 * DAY + hours * 3600 + 2.99 * DAY)
        assert set(story_bands(second)[1]) & set(story_bands(first)[0])


# --- the plan ---------------------------------------------------------------------------------------------

def test_two_new_articles_form_a_new_cluster():
    assert plan_clusters({1: None, 2: None}, set(), {1, 2}, [(1, 2)]) == {1: (NEW, 0), 2: (NEW, 0)}


def test_a_new_article_joins_the_cluster_of_its_match():
    assert plan_clusters({1: 7, 2: 7, 3: None}, set(), {3}, [(3, 2)]) == {3: 7}


def test_a_chain_of_matches_never_makes_a_story_longer_than_its_days():
    # 1~2 and 2~3 pairwise, two days apart each: 1 and 3 are four days apart, so 3 stays out.
    moments = {1: 0.0, 2: 2 * DAY, 3: 4 * DAY}
    assert plan_clusters({1: None, 2: None, 3: None}, set(), {1, 2, 3}, [(1, 2), (2, 3)],
                         moments=moments, longest=3 * DAY) == {1: (NEW, 0), 2: (NEW, 0)}
    # An existing story spanning days 0-2 (its members' times) takes no member from day 4, and merges with no
    # story it would stretch: 3 (day 1) joins 7 (days 0-1), not 9 as well (days 2-5).
    assert plan_clusters({1: 7, 2: 7, 3: None}, set(), {3}, [(3, 2)], moments=moments, longest=3 * DAY) == {}
    assert plan_clusters({1: 7, 4: 7, 2: 9, 5: 9, 3: None}, set(), {3}, [(3, 1), (3, 2)],
                         moments={1: 0.0, 4: DAY, 2: 2 * DAY, 5: 5 * DAY, 3: DAY}, longest=3 * DAY) == {3: 7}
    # A shared canonical URL is one story whatever the dates.
    assert plan_clusters({1: None, 2: None, 3: None}, set(), {1, 2, 3}, [(1, 2), (2, 3)], moments=moments,
                         longest=3 * DAY, unbounded={(2, 3)}) == {1: (NEW, 0), 2: (NEW, 0), 3: (NEW, 0)}
    # Without times, or within the days, the chain is one story as before.
    assert plan_clusters({1: None, 2: None, 3: None}, set(), {1, 2, 3}, [(1, 2), (2, 3)], longest=3 * DAY) == {
        1: (NEW, 0), 2: (NEW, 0), 3: (NEW, 0)}
    assert plan_clusters({1: None, 2: None, 3: None}, set(), {1, 2, 3}, [(1, 2), (2, 3)],
                         moments={1: 0.0, 2: DAY, 3: 2 * DAY}, longest=3 * DAY) == {1: (NEW, 0), 2: (NEW, 0), 3: (NEW, 0)}


def test_an_article_bridging_two_clusters_merges_them_into_the_older():
    moves = plan_clusters({1: 7, 2: 7, 3: 9, 4: 9, 5: None}, set(), {5}, [(5, 1), (5, 3)])
    assert moves == {3: 7, 4: 7, 5: 7}


def test_a_cluster_an_editor_placed_an_article_in_is_the_one_kept():
    moves = plan_clusters({1: 7, 2: 7, 3: 9, 4: 9, 5: None}, {3}, {5}, [(5, 1), (5, 3)])
    assert moves == {1: 9, 2: 9, 5: 9}


def test_two_clusters_holding_editor_placements_are_never_merged():
    moves = plan_clusters({1: 7, 2: 7, 3: 9, 4: 9, 5: None}, {1, 3}, {5}, [(5, 1), (5, 3)])
    assert moves == {5: 7}


def test_an_article_an_editor_took_out_stays_out():
    assert plan_clusters({1: None, 2: None}, {1}, {2}, [(1, 2)]) == {}
    assert plan_clusters({1: None, 2: 7, 3: 7}, {1}, {1}, [(1, 2)]) == {}


def test_a_changed_article_that_no_longer_matches_leaves_its_cluster():
    assert plan_clusters({1: 7, 2: 7, 3: 7}, set(), {3}, [(1, 2)]) == {3: None}
    assert plan_clusters({1: 7, 2: 7, 3: 7}, set(), {3}, [(3, 1)]) == {}


# --- the labelled set ---------------------------------------------------------------------------------------

def test_the_labelled_set_is_deterministic_and_has_hard_negatives():
    items = labelled_items(stories=60, seed=3)
    assert [(i.key, i.title) for i in items] == [(i.key, i.title) for i in labelled_items(stories=60, seed=3)]
    stories = {item.story for item in items}
    assert any("-" in story for story in stories)  # hard negatives: "s12-company", "s40-next-year", ...
    assert any(" - " in i.title or " | " in i.title for i in items)


def test_pairwise_scores_count_pairs():
    truth = {"a": 1, "b": 1, "c": 1, "d": 2}
    assert pairwise_scores(truth, {"a": 5, "b": 5, "c": None, "d": 5}) == (1 / 3, 1 / 3, 1, 3, 3)
    assert pairwise_scores(truth, {"a": None, "b": None, "c": None, "d": None}) == (1.0, 0.0, 0, 0, 3)


def test_pairwise_precision_and_recall_on_a_labelled_set():
    items = labelled_items(stories=120, seed=11)
    texts = {i.key: story_text(i.title, i.excerpt, moment=i.published.timestamp(), site=i.provider) for i in items}
    keys = sorted(texts)
    edges = [(a, b) for n, a in enumerate(keys) for b in keys[n + 1:] if same_story(texts[a], texts[b])]
    ids = {key: n for n, key in enumerate(keys)}
    moves = plan_clusters({n: None for n in ids.values()}, set(), set(ids.values()),
                          [(ids[a], ids[b]) for a, b in edges])
    found = {key: moves.get(ids[key]) for key in keys}
    precision, recall, *_ = pairwise_scores({i.key: i.story for i in items}, found)
    assert precision >= 0.95 and recall >= 0.95


def _one_typo_apart(a: str, b: str) -> bool:
    """The definition, compared word by word: one adjacent swap, one added or one dropped letter."""
    if abs(len(a) - len(b)) > 1 or min(len(a), len(b)) < 4 or a == b or not (a.isalpha() and b.isalpha()):
        return False
    if len(a) == len(b):
        differ = [i for i in range(len(a)) if a[i] != b[i]]
        return len(differ) == 2 and differ[1] == differ[0] + 1 and a[differ[0]] == b[differ[1]] and a[differ[1]] == b[differ[0]]
    short, long = sorted((a, b), key=len)
    return any(long[:i] + long[i + 1:] == short for i in range(len(long)))


_typo_words = st.text(alphabet="abcé", min_size=3, max_size=7) | st.text(alphabet="ab1-", max_size=6)


@settings(max_examples=1000, deadline=None)
@given(word=_typo_words, others=st.frozensets(_typo_words, max_size=6), data=st.data())
def test_a_typo_is_found_among_words_as_by_comparing_each(word, others, data):
    # Mostly unrelated words; add a near miss of `word` so the swaps, drops and additions are exercised.
    if word and data.draw(st.booleans()):
        position = data.draw(st.integers(0, len(word)))
        near = data.draw(st.sampled_from([
            word[:position] + word[position + 1:], word[:position] + "a" + word[position:],
            word[:position] + word[position + 1:position + 2] + word[position:position + 1] + word[position + 2:],
        ]))
        others = others | {near}
    others = others - {word}
    assert clustering._typo_of_any(word, others) == any(_one_typo_apart(word, other) for other in others)
