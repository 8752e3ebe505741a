"""No URL answers 500, whatever its query string or path: every page and every parameter it reads, thrown hostile
values (NUL, invalid UTF-8 escapes, huge and negative numbers, edge dates with offsets, years 0 and 10000, long
strings, repeated parameters, forged cursors), as an anonymous visitor, a viewer and an editor.

A table of every endpoint with every parameter it reads drives a sweep (each parameter of each page alone, with
hostile values rotated so that every value meets every page) and a property-based test (hypothesis, derandomized)
mixing parameters, values, roles and path segments. One parameter at a time: a page that refuses its first bad
parameter would hide what it does with the others.
"""

import datetime as dt
from dataclasses import dataclass
from urllib.parse import quote

import pytest
from django.test import Client
from hypothesis import HealthCheck, given, settings, strategies as st

from articles import cursors
from articles.models import Article, AuditEntry, ImportRun, IngestRule, RelatedArticle
from tests.builders import make_article
from tests.conftest import make_user

pytestmark = pytest.mark.django_db

QUEUE = (
    "q", "status", "category", "type", "provider", "topic", "quality_min", "quality_max", "heat_min", "heat_max",
    "published_after", "published_before", "imported_after", "duplicates", "changed", "clustered", "show", "attention",
    "o", "page", "size", "after", "before",
)
API = (
    "q", "category", "type", "provider", "topic", "quality_min", "quality_max", "heat_min", "heat_max",
    "published_after", "published_before", "imported_after", "limit", "cursor",
)
ADMIN_LIST = ("p", "q", "o", "e", "all", "_popup", "_to_field", "_facets", "_changelist_filters")
ARTICLE_ADMIN = ADMIN_LIST + (
    "provider_id", "topic_id", "status__exact", "status__isnull", "type", "type__isnull", "category",
    "is_possible_duplicate__exact", "is_possible_duplicate__isnull", "changed_since_review__exact",
    "published_date_time__year", "published_date_time__month", "published_date_time__day",
    "title__regex", "quality__gte", "reviewed_at__gte", "provider__name__regex", "id__in",
)


@dataclass(frozen=True)
class Endpoint:
    path: str  # formatted with the fixture's ids: {article}, {key}, {audit}, {run}, {provider}, {topic}, {rule}
    params: tuple[str, ...]


ENDPOINTS = [
    Endpoint("/", ("q",)),
    Endpoint("/articles/", QUEUE),
    Endpoint("/articles/{article}/", QUEUE),
    Endpoint("/articles/{article}/edit/", ("q",)),
    Endpoint("/articles/bulk/", ("ids",)),
    Endpoint("/articles/{article}/story/publish/", ("seen",)),
    Endpoint("/articles/{article}/story/reject/", ("seen",)),
    Endpoint("/articles/{article}/story/leave/", ("version",)),
    Endpoint("/articles/{article}/story/join/", ("other", "version")),
    Endpoint("/accounts/login/", ("next",)),
    Endpoint("/api/articles/", API),
    Endpoint("/api/articles/{key}/", API),
    Endpoint("/feeds/rss/", ("q", "page")),
    Endpoint("/feeds/atom/", ("q",)),
    Endpoint("/feeds/json/", ("q",)),
    Endpoint("/feeds/topic/boats/rss/", ("q",)),
    Endpoint("/feeds/provider/news.example/atom/", ("q",)),
    Endpoint("/admin/", ("q",)),
    Endpoint("/admin/articles/", ("q",)),
    Endpoint("/admin/login/", ("next",)),
    Endpoint("/admin/articles/article/", ARTICLE_ADMIN),
    Endpoint("/admin/articles/article/{article}/change/", ("_changelist_filters", "_popup", "_to_field")),
    Endpoint("/admin/articles/article/{article}/history/", ("p",)),
    Endpoint("/admin/articles/article/{article}/delete/", ("_popup",)),
    Endpoint("/admin/articles/article/undo/{batch}/", ("q",)),
    Endpoint("/admin/articles/provider/", ADMIN_LIST + ("name__exact",)),
    Endpoint("/admin/articles/provider/{provider}/change/", ("_popup", "_to_field")),
    Endpoint("/admin/articles/topic/", ADMIN_LIST),
    Endpoint("/admin/articles/topic/{topic}/change/", ("_popup",)),
    Endpoint("/admin/articles/importrun/", ADMIN_LIST + (
        "status__exact", "dry_run__exact", "started_at__year", "started_at__month", "started_at__day",
    )),
    Endpoint("/admin/articles/importrun/{run}/change/", ("_popup",)),
    Endpoint("/admin/articles/auditentry/", ADMIN_LIST + (
        "source__exact", "action", "field", "article__id__exact", "at__gte",
    )),
    Endpoint("/admin/articles/auditentry/{audit}/change/", ("_popup",)),
    Endpoint("/rules/", ("q", "page")),
    Endpoint("/rules/new/", ("q",)),
    Endpoint("/rules/{rule}/", ("q", "previewed")),
    Endpoint("/rules/{rule}/enable/", ("enabled",)),
    Endpoint("/rules/{rule}/delete/", ("q",)),
    Endpoint("/admin/autocomplete/", ("term", "app_label", "model_name", "field_name", "page")),
]
# Path segments where a key, domain, slug, id or batch goes.
PATHS = [
    "/api/articles/{}/", "/feeds/provider/{}/rss/", "/feeds/topic/{}/atom/", "/articles/{}/", "/articles/{}/story/join/",
    "/admin/articles/article/{}/change/", "/admin/articles/article/undo/{}/", "/admin/articles/auditentry/{}/change/",
    "/admin/r/{}/1/", "/rules/{}/", "/rules/{}/enable/", "/rules/{}/delete/",
]


def token(*values) -> str:
    return cursors.pack(list(values))


HOSTILE = [
    "%00", "a%00b", "%ff", "%ed%a0%80", "%c0%af", "%e2%80%ae", "%F0%9F%92%A9", "%C3%A9%E6%BC%A2",
    "99999999999999999999999", "9223372036854775808", "-1", "0", "-99999999999999999999", "1e999999999", "NaN",
    "inf", "1.5", "%C2%B2", "true", "maybe", "", "%20", "%0A", "%5B%5D", "x" * 3000,
    "0001-01-01T00:00:00%2B14:00", "9999-12-31T23:59:59-14:00", "0001-01-01", "9999-12-31", "9999-12-31T23:59:59",
    "0000-01-01", "10000-01-01", "2024-02-30", "2024-05-01T10:00:00%2B99:00", "-heat,-heat,quality", "-id",
    token("0001-01-01T00:00:00+14:00", 1), token("9999-12-31T23:59:59-14:00", 1), token(None, 99999999999999999999999),
    token("2024-05-01T10:00:00", 5), token(1e308, -1), token("2024-05-01T10:00:00+00:00"), "%00" + token(None, 1),
]
ROLES = ("anonymous", "viewer", "editor")


@pytest.fixture
def site(db) -> dict:
    """Some of everything a URL can point at, dates at both edges of the calendar included."""
    articles = [
        make_article(status=Article.Status.PUBLISHED, topics=["Boats"], related=1),
        make_article(status=Article.Status.PUBLISHED, published_date_time=dt.datetime(1, 1, 1, tzinfo=dt.timezone.utc)),
        make_article(published_date_time=dt.datetime(9999, 12, 31, 23, 59, 59, tzinfo=dt.timezone.utc)),
        make_article(published_date_time=None, is_possible_duplicate=True, changed_since_review=True),
    ]
    RelatedArticle.objects.filter(article=articles[0]).update(
        published_date_time=dt.datetime.max.replace(tzinfo=dt.timezone.utc)
    )
    entry = AuditEntry.objects.create(article=articles[0], source="dashboard", action="edit", field="quality",
                                      old_value=1, new_value=2, batch="b1")
    run = ImportRun.objects.create(status="finished", errors=[{"path": "x.md", "line": 1, "message": "bad"}])
    rule = IngestRule.objects.create(name="Boats", words='boats "harbour master"', topics=["Boats"], set_quality=5)
    first = articles[0]
    return {
        "rule": rule.pk, "article": first.pk, "key": first.source_key, "audit": entry.pk, "run": run.pk, "batch": "b1",
        "provider": first.provider_id, "topic": first.topics.get().pk,
    }


@pytest.fixture
def clients(db) -> dict[str, Client]:
    clients = {"anonymous": Client()}
    for role, group in (("viewer", "Viewers"), ("editor", "Editors")):
        clients[role] = Client()
        clients[role].force_login(make_user(role, group, is_staff=True))
    return clients


def get(client: Client, url: str):
    response = client.get(url)
    assert response.status_code < 500, (url, response.status_code)
    return response


def sweep(roles: tuple[str, ...], start: int):
    """(role, path, parameter, value): each parameter of each page alone, the roles and the hostile values taken in
    turn (from `start`), so that every value meets many pages and every page several values."""
    turn = start
    for endpoint in ENDPOINTS:
        for name in endpoint.params:
            yield roles[turn % len(roles)], endpoint.path, name, HOSTILE[turn % len(HOSTILE)]
            turn += 1


@pytest.mark.parametrize("roles, start", [(("editor", "viewer"), 0), (("anonymous",), 21)])
def test_each_parameter_of_each_page_with_hostile_values(site, clients, roles, start):
    for role, path, name, value in sweep(roles, start):
        get(clients[role], f"{path.format(**site)}?{name}={value}")


def test_each_page_with_hostile_values_everywhere(site, clients):
    """Every page with hostile values in all of its parameters at once (the queue and the API read them all)."""
    for endpoint in ENDPOINTS:
        path = endpoint.path.format(**site)
        get(clients["editor"], path)
        for value in HOSTILE[::9]:
            get(clients["editor"], path + "?" + "&".join(f"{name}={value}" for name in endpoint.params))


def test_each_hostile_path_segment(site, clients):
    for role in ROLES:
        for template in PATHS:
            for value in HOSTILE[ROLES.index(role)::5]:
                get(clients[role], template.format(value or "x"))


offsets = st.integers(min_value=-14 * 60, max_value=14 * 60).map(lambda m: dt.timezone(dt.timedelta(minutes=m)))
moments = st.one_of(  # mostly at the edges of the calendar, where an offset takes a datetime out of range
    st.datetimes(max_value=dt.datetime(1, 1, 2), timezones=offsets),
    st.datetimes(min_value=dt.datetime(9999, 12, 30), timezones=offsets),
    st.datetimes(timezones=offsets),
)
values = st.one_of(
    st.sampled_from(HOSTILE),
    st.text(max_size=40).map(lambda text: quote(text, safe="")),
    st.integers(min_value=-(2**80), max_value=2**80).map(str),
    moments.map(lambda moment: quote(moment.isoformat(), safe="")),
    moments.map(lambda moment: quote(moment.date().isoformat())),
    st.tuples(moments, st.integers(min_value=-(2**70), max_value=2**70)).map(
        lambda position: token(position[0].isoformat(), position[1])
    ),
)


@st.composite
def requests(draw):
    endpoint = draw(st.sampled_from(ENDPOINTS))
    names = draw(st.lists(st.sampled_from(endpoint.params), min_size=1, max_size=4))  # repeats: repeated params
    query = "&".join(f"{name}={draw(values)}" for name in names)
    return draw(st.sampled_from(ROLES)), endpoint.path, query


@settings(max_examples=150, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(request=requests())
def test_no_combination_of_parameters_answers_500(site, clients, request):
    role, path, query = request
    get(clients[role], path.format(**site) + "?" + query)


@settings(max_examples=40, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(template=st.sampled_from(PATHS), segment=values, role=st.sampled_from(ROLES))
def test_no_path_segment_answers_500(site, clients, template, segment, role):
    get(clients[role], template.format(segment or "x"))
