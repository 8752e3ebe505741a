"""The article changelist's rows (`articles.admin_rows`): Django's own markup, cell for cell, for every kind of
value the list shows, with and without filters to preserve; Django's tag wherever the rows are not ours."""

import datetime as dt

import pytest
from django.contrib import admin
from django.contrib.admin.templatetags.admin_list import results
from django.test import RequestFactory
from django.urls import reverse

from articles import admin_rows
from articles.models import Article, Provider
from tests.builders import make_article
from tests.conftest import make_user

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:articles_article_changelist")


@pytest.fixture
def varied_articles(db):
    """Titles and providers that need escaping, no provider, no date, each status, flags, unscored heat."""
    odd = Provider.objects.create(key="odd", name='Tom & "Jerry" <News>', domain="odd.example")
    make_article(title="<script>alert(1)</script> & more", provider=odd, quality=0, heat=-1)
    make_article(title="   ", published_date_time=None, status=Article.Status.PUBLISHED, quality=100, heat=99)
    make_article(title="Flagged", is_possible_duplicate=True, changed_since_review=True, status=Article.Status.REJECTED)
    alone = make_article(title="No provider", changed_since_review=True,
                         published_date_time=dt.datetime(9999, 12, 31, 23, 59, tzinfo=dt.timezone.utc))
    Article.objects.filter(pk=alone.pk).update(provider=None)


@pytest.fixture
def desk(db):
    return make_user("desk", "Editors", is_staff=True)


def changelist(user, query: str = ""):
    request = RequestFactory().get(CHANGELIST + query)
    request.user = user
    cl = admin.site._registry[Article].get_changelist_instance(request)
    cl.formset = None
    return cl


@pytest.mark.parametrize("query", ["", "?status__exact=awaiting", "?o=-3.2&q=%3Cscript%3E", "?changed_since_review__exact=1"])
def test_the_rows_are_djangos_own_cell_for_cell(varied_articles, desk, query):
    cl = changelist(desk, query)
    ours = admin_rows.rows_for(cl)
    djangos = ["".join(row) for row in results(cl)]
    assert len(djangos) == len(cl.result_list) > 0
    assert ["".join(row) for row in ours] == djangos


def test_the_page_prints_the_rows_once_with_their_links(client, varied_articles, desk):
    client.force_login(desk)
    html = client.get(CHANGELIST + "?status__exact=awaiting").content.decode()
    article = Article.objects.get(title="<script>alert(1)</script> & more")
    link = reverse("admin:articles_article_change", args=[article.pk])
    assert f'<th class="field-headline"><a href="{link}?_changelist_filters=status__exact%3Dawaiting">' in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; more" in html and "<script>alert" not in html
    assert html.count('class="action-checkbox"') == Article.objects.filter(status="awaiting").count()


def test_a_popup_list_is_left_to_django(varied_articles, desk):
    assert admin_rows.rows_for(changelist(desk, "?_popup=1")) is None
    assert admin_rows.result_list_context(changelist(desk, "?_popup=1")) is None
    assert admin_rows.result_list_context(changelist(desk))["results"]
