"""The queue's pager walks by position (keyset cursors in its Next/Previous links), not by OFFSET."""

import datetime as dt
import html
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from articles import cursors, selectors
from articles.models import Article
from tests.builders import BASE_TIME, make_article

QUEUE = reverse("articles:queue")


def link(response, rel: str) -> str | None:
    found = re.search(rf'rel="{rel}" href="([^"]*)"', response.content.decode())
    return QUEUE + html.unescape(found.group(1)) if found else None


def shown(response) -> list[int]:
    return [article.pk for article in response.context["page"].items]


def walk_pages(client, url: str, rel: str, *, limit: int = 50) -> list[list[int]]:
    pages = []
    while url and len(pages) < limit:
        response = client.get(url)
        assert response.status_code == 200
        pages.append(shown(response))
        url = link(response, rel)
    return pages


@pytest.fixture
def mixed_queue(db):
    """Ties in heat and quality, undated items, and both statuses: every kind of boundary a walk crosses."""
    articles = []
    for n in range(23):
        articles.append(make_article(
            heat=n % 4, quality=n % 3,
            published_date_time=None if n % 5 == 0 else BASE_TIME - dt.timedelta(hours=n % 7),
            status=Article.Status.PUBLISHED if n % 6 == 0 else Article.Status.AWAITING_REVIEW,
        ))
    return articles


ORDERS = ["", "-heat", "heat", "-quality", "published", "-published", "imported"]


@pytest.mark.parametrize("order", ORDERS)
def test_next_links_visit_every_article_once_in_queue_order(editor_client, mixed_queue, order):
    expected = [article.pk for article in selectors.review_queue({"o": order} if order else {}).rows]
    start = f"{QUEUE}?size=4" + (f"&o={order}" if order else "")

    pages = walk_pages(editor_client, start, "next")

    assert [pk for page in pages for pk in page] == expected
    assert all(len(page) == 4 for page in pages[:-1]) and len(pages) == 6


@pytest.mark.parametrize("order", ORDERS)
def test_previous_links_walk_back_through_the_same_pages(editor_client, mixed_queue, order):
    start = f"{QUEUE}?size=4" + (f"&o={order}" if order else "")
    forwards = walk_pages(editor_client, start, "next")
    last = editor_client.get(start)
    for _ in range(len(forwards) - 1):
        last = editor_client.get(link(last, "next"))

    backwards = walk_pages(editor_client, link(last, "prev"), "prev")

    assert backwards == forwards[-2::-1]


def test_next_pages_carry_their_number_and_a_position_not_an_offset(editor_client, mixed_queue):
    first = editor_client.get(QUEUE, {"size": 4, "o": "-heat"})
    second = editor_client.get(link(first, "next"))

    page = second.context["page"]
    assert page.number == 2 and page.start_index == 5
    assert "page=2" in link(first, "next") and "after=" in link(first, "next")
    assert "before=" not in link(second, "prev") and "page" not in link(second, "prev")  # page 1 is the plain URL


def test_a_walk_goes_on_from_where_it_was_when_the_last_row_left_the_filter(editor_client, mixed_queue):
    params = {"size": 4, "status": Article.Status.AWAITING_REVIEW}
    first = editor_client.get(QUEUE, params)
    awaiting = [article.pk for article in selectors.review_queue(params).rows]
    Article.objects.filter(pk=shown(first)[-1]).update(status=Article.Status.PUBLISHED)

    second = editor_client.get(link(first, "next"))

    assert shown(second) == awaiting[4:8]


def test_rows_added_before_the_position_do_not_shift_the_next_page(editor_client, mixed_queue):
    first = editor_client.get(QUEUE, {"size": 4})
    expected = [article.pk for article in selectors.review_queue({}).rows][4:8]
    make_article(published_date_time=BASE_TIME + dt.timedelta(days=1))  # newest: lands on page 1

    assert shown(editor_client.get(link(first, "next"))) == expected


def test_a_previous_link_with_fewer_rows_before_it_than_a_page_shows_the_first_page(editor_client, mixed_queue):
    first = editor_client.get(QUEUE, {"size": 4})
    third = editor_client.get(link(editor_client.get(link(first, "next")), "next"))
    Article.objects.filter(pk__in=shown(first)).delete()

    back = editor_client.get(link(third, "prev"))

    assert back.context["page"].number == 1
    assert shown(back) == [article.pk for article in selectors.review_queue({}).rows][:4]


@pytest.mark.parametrize(
    "token",
    ["garbage!", cursors.pack([1, 2, 3]), cursors.pack(["yesterday", 5]), cursors.pack([True, 5]),
     cursors.pack(["2024-05-01T10:00:00", 5]), cursors.pack({"heat": 1})],
)
def test_a_cursor_that_is_not_one_for_this_order_falls_back_to_the_page_number(editor_client, mixed_queue, token):
    by_offset = editor_client.get(QUEUE, {"size": 4, "page": 3})

    response = editor_client.get(QUEUE, {"size": 4, "page": 3, "after": token})

    assert response.status_code == 200
    assert shown(response) == shown(by_offset)


def test_a_cursor_page_costs_the_queries_of_the_first_page(editor_client, mixed_queue):
    first = editor_client.get(QUEUE, {"size": 4, "o": "-heat"})
    with CaptureQueriesContext(connection) as page_one:
        editor_client.get(QUEUE, {"size": 4, "o": "-heat"})
    with CaptureQueriesContext(connection) as page_two:
        editor_client.get(link(first, "next"))

    assert len(page_two) == len(page_one)
    assert not any("OFFSET" in query["sql"].upper() for query in page_two)
