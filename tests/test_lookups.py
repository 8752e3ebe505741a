"""`id__among`: the same rows as `id__in`, the list sent as one parameter, on both databases."""

import pytest
from django.db.models import Case, IntegerField, Value, When

from articles.models import Article
from tests.builders import make_article

pytestmark = pytest.mark.django_db


@pytest.fixture
def ids():
    return [make_article().pk for _ in range(5)]


@pytest.mark.parametrize("pick", [
    lambda ids: ids,
    lambda ids: ids[1:3],
    lambda ids: [ids[4], ids[0], ids[4]],  # any order, repeats
    lambda ids: [ids[2], max(ids) + 1000],  # an id no row has
    lambda ids: [],
])
def test_among_finds_what_in_finds(ids, pick):
    wanted = pick(ids)
    among = sorted(Article.objects.filter(pk__among=wanted).values_list("pk", flat=True))
    assert among == sorted(Article.objects.filter(pk__in=wanted).values_list("pk", flat=True))
    assert among == sorted(set(wanted) & set(ids))


def test_among_sends_the_list_as_one_parameter():
    ids = list(range(1, 1001))
    assert len(Article.objects.filter(pk__among=ids).query.sql_with_params()[1]) == 1
    assert len(Article.objects.filter(pk__in=ids).query.sql_with_params()[1]) == 1000


def test_among_works_inside_an_expression(ids):
    picked = Case(When(pk__among=ids[:2], then=Value(1)), default=Value(0), output_field=IntegerField())
    flagged = dict(Article.objects.filter(pk__among=ids).annotate(picked=picked).values_list("pk", "picked"))
    assert flagged == {pk: int(pk in ids[:2]) for pk in ids}
