"""Shared fixtures: users in each role, the shared corpus, small file builders."""

from pathlib import Path

import pytest
from django.contrib.auth.models import Group, User
from django.core.cache import cache

SHARED_CORPUS = Path(__file__).resolve().parent.parent.parent / "shared" / "corpus"
SAMPLE_DATA = Path(__file__).resolve().parent.parent / "sample_data"


@pytest.fixture(autouse=True)
def roles_after_a_flush(request):
    """A transactional test starts where the previous one's flush left the database: without the groups the
    migrations made (post_migrate brings permissions back, not groups). Put them back before it runs."""
    marker = request.node.get_closest_marker("django_db")
    if marker is not None and marker.kwargs.get("transaction"):
        request.getfixturevalue("transactional_db")
        from tests.browser.conftest import ensure_roles

        ensure_roles()


@pytest.fixture(autouse=True)
def empty_cache():
    """Each test starts with an empty cache (dashboard figures, login throttling)."""
    cache.clear()


@pytest.fixture
def corpus_dir() -> Path:
    if not SHARED_CORPUS.is_dir():
        pytest.skip("../shared/corpus is not present")
    return SHARED_CORPUS


@pytest.fixture
def corpus_files(corpus_dir) -> list[Path]:
    return sorted(p for p in corpus_dir.rglob("*") if p.is_file())


def make_user(username: str, group: str | None = None, **extra) -> User:
    user = User.objects.create_user(username=username, password="pw-" + username, **extra)
    if group:
        user.groups.add(Group.objects.get(name=group))
    return user


@pytest.fixture
def editor(db) -> User:
    return make_user("editor", "Editors")


@pytest.fixture
def second_editor(db) -> User:
    return make_user("editor2", "Editors")


@pytest.fixture
def viewer(db) -> User:
    return make_user("viewer", "Viewers")


@pytest.fixture
def superuser(db) -> User:
    return make_user("admin", None, is_staff=True, is_superuser=True)


@pytest.fixture
def editor_client(client, editor):
    client.force_login(editor)
    return client


@pytest.fixture
def viewer_client(client, viewer):
    client.force_login(viewer)
    return client


@pytest.fixture
def staff_editor_client(db):
    """An editor who may also open the admin, logged in on a client of their own."""
    from django.test import Client

    client = Client()
    client.force_login(make_user("desk", "Editors", is_staff=True))
    return client
