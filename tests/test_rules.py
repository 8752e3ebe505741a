"""Rule matching: words and phrases parsed and escaped, never a regular expression; conditions as one filter."""

import re

import pytest
from django.core.exceptions import ValidationError
from django.db.models import F

from articles import rules
from articles.models import Article, IngestRule
from tests.builders import make_article, make_provider


def make_rule(**fields) -> IngestRule:
    values = {"name": "A rule", "enabled": True, **fields}
    return IngestRule.objects.create(**values)


def titles(rule: IngestRule) -> set[str]:
    return set(rules.matching(rule).values_list("title", flat=True))


# --- words: parsing and escaping (pure) ---------------------------------------------------


def test_words_and_quoted_phrases_are_split_and_collapsed():
    assert rules.parse_words('storm  "flood   barrier" Storm storm') == ["storm", "flood barrier", "Storm"]


def test_an_unclosed_quote_is_refused():
    with pytest.raises(ValidationError, match="closing quote"):
        rules.parse_words('"flood barrier')


@pytest.mark.parametrize("text, message", [
    (" ".join(f"w{i}" for i in range(rules.MAX_TERMS + 1)), "At most"),
    ("x" * (rules.MAX_TERM_LENGTH + 1), "at most"),
    ("y" * (rules.MAX_WORDS_LENGTH + 1), "At most"),
    ("bad\x00word", "control characters"),
])
def test_too_many_too_long_or_control_characters_are_refused(text, message):
    with pytest.raises(ValidationError, match=message):
        rules.parse_words(text)


@pytest.mark.parametrize("term", ["(a+)+$", "C++", "a.b", "[x]", "^", "U.S.", "50%", "\\d{3}", "a|b", "*"])
def test_every_special_character_is_taken_literally(term):
    pattern = re.compile(rules.whole_word_pattern(term), re.IGNORECASE)
    assert pattern.search(f"before {term} after")
    assert not pattern.search("before something else after")


def test_the_pattern_holds_to_whole_words():
    pattern = re.compile(rules.whole_word_pattern("art"), re.IGNORECASE)
    assert pattern.search("Art of the deal") and pattern.search("modern art.")
    assert not pattern.search("start") and not pattern.search("artist")


def test_a_phrase_matches_across_any_white_space():
    pattern = re.compile(rules.whole_word_pattern("flood barrier"), re.IGNORECASE)
    assert pattern.search("the Flood\n  Barrier holds") and not pattern.search("flood-barrier")


# --- conditions as a queryset filter ---------------------------------------------------------


@pytest.mark.django_db
def test_words_match_whole_words_in_the_title_or_excerpt_whatever_the_case():
    make_article(title="Harbour STORM closes port")
    make_article(title="Quiet day", excerpt="A storm is coming.")
    make_article(title="Brainstorming session")
    make_article(title="C++ release notes")
    assert titles(make_rule(words="storm")) == {"Harbour STORM closes port", "Quiet day"}
    assert titles(make_rule(words="storm", words_in=IngestRule.WordsIn.TITLE)) == {"Harbour STORM closes port"}
    assert titles(make_rule(words="storm", words_in=IngestRule.WordsIn.EXCERPT)) == {"Quiet day"}
    assert titles(make_rule(words="c++")) == {"C++ release notes"}


@pytest.mark.django_db
def test_a_phrase_must_appear_as_a_phrase_and_any_term_is_enough():
    make_article(title="Flood barrier holds")
    make_article(title="Barrier against the flood")
    make_article(title="Election night")
    assert titles(make_rule(words='"flood barrier"')) == {"Flood barrier holds"}
    assert titles(make_rule(words='"flood barrier" election')) == {"Flood barrier holds", "Election night"}


@pytest.mark.django_db
def test_a_hostile_pattern_is_text_and_matches_only_itself():
    make_article(title="aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa!")
    make_article(title="Regex (a+)+$ explained")
    assert titles(make_rule(words="(a+)+$")) == {"Regex (a+)+$ explained"}
    assert titles(make_rule(words=".*")) == set()


@pytest.mark.django_db
def test_every_condition_given_must_hold():
    sport = make_provider("sport.example", "Sport")
    make_article(title="Goal", provider=sport, category="sport", type="video", quality=70, heat=30, topics=["Football"])
    make_article(title="Goal again", provider=sport, category="sport", type="article", quality=70, heat=30)
    make_article(title="Low goal", provider=sport, category="sport", type="video", quality=10, heat=30, topics=["Football"])
    make_article(title="Elsewhere", category="sport", type="video", quality=70, heat=30, topics=["Football"])
    rule = make_rule(providers=["sport.example"], categories=["sport"], types=["video"], topics=["Football"],
                     quality_min=50, quality_max=80, heat_min=20, heat_max=40)
    assert titles(rule) == {"Goal"}
    assert titles(make_rule(providers=["sport.example"], quality_max=50)) == {"Low goal"}
    assert titles(make_rule(topics=["Football"], heat_min=31)) == set()


@pytest.mark.django_db
def test_a_rule_naming_an_unknown_provider_or_topic_matches_nothing():
    make_article(title="Anything")
    assert titles(make_rule(providers=["nowhere.example"])) == set()
    assert titles(make_rule(topics=["Nothing"])) == set()


@pytest.mark.django_db
def test_a_rule_without_conditions_has_none():
    assert not rules.has_conditions(make_rule())
    assert rules.has_conditions(make_rule(quality_min=0))
    assert rules.has_conditions(make_rule(words=" storm "))
    assert not rules.has_conditions(make_rule(words="   "))


@pytest.mark.django_db
def test_the_preview_counts_every_match_and_lists_the_newest_twenty(django_assert_max_num_queries):
    for index in range(25):
        make_article(title=f"Storm report {index}")
    make_article(title="Calm report")
    rule = make_rule(words="storm")
    with django_assert_max_num_queries(3):
        count, first = rules.preview(rule)
    assert count == 25 and len(first) == rules.PREVIEW_SIZE
    newest = Article.objects.filter(title__startswith="Storm").order_by(F("published_date_time").desc(nulls_last=True), "-id")
    assert [article.pk for article in first] == list(newest.values_list("pk", flat=True)[:20])


@pytest.mark.django_db
def test_the_preview_counts_exactly_up_to_its_limit_then_says_more_than(monkeypatch):
    monkeypatch.setattr(rules, "PREVIEW_COUNT_LIMIT", 22)
    for index in range(23):
        make_article(title=f"Storm report {index}")

    count, first = rules.preview(make_rule(words="storm"))
    assert count.capped and count.shown == "more than 22" and len(first) == rules.PREVIEW_SIZE

    Article.objects.filter(title="Storm report 0").delete()
    count, _ = rules.preview(make_rule(words="storm"))
    assert count == 22 and not count.capped and count.shown == "22"


@pytest.mark.django_db
def test_the_preview_can_count_only_the_articles_awaiting_review():
    make_article(title="Storm one")
    make_article(title="Storm two", status=Article.Status.PUBLISHED)
    assert rules.preview(make_rule(words="storm"))[0] == 2
    assert rules.preview(make_rule(words="storm"), awaiting_only=True)[0] == 1


def test_a_rule_reads_as_a_sentence():
    from articles.rule_actions import describe_actions

    rule = IngestRule(providers=["a.example", "b.example"], words='"flood barrier"', words_in="title",
                      quality_min=10, heat_max=50, status_action="reject", set_heat=3, add_topic="Weather",
                      mark_for_attention=True, stop_here=True)
    assert rules.describe_conditions(rule) == (
        'provider is a.example or b.example; title has "flood barrier"; quality 10 or more; heat up to 50')
    assert describe_actions(rule) == "reject, set heat to 3, add topic “Weather”, mark for attention, stop here"
    assert rules.describe_conditions(IngestRule()) == "every article"
