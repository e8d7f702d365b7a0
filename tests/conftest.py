from io import StringIO
from pathlib import Path

import pytest
from django.conf import settings
from django.core.cache import cache
from django.core.management import call_command
from rest_framework.test import APIClient

from api.tokens import token_create
from claims.services import curator_create
from sources.models import Author, Source
from sources.services import author_save, source_create

SEEDS_DIR = settings.BASE_DIR.parent / "shared" / "seeds"
SEED_NAMES = sorted(path.name for path in Path(settings.CORPUS_DIR).glob("*.txt"))


def seed_text(name: str) -> str:
    return (Path(settings.CORPUS_DIR) / name).read_bytes().decode("utf-8")


@pytest.fixture(autouse=True)
def fresh_throttles():
    """Throttle counters live in the cache: start every test with none."""
    cache.clear()


@pytest.fixture(autouse=True)
def fresh_vectors():
    """The process's semantic vectors outlive a test's rolled-back transaction: drop them."""
    from lookup.index import forget_loaded_vectors

    forget_loaded_vectors()


@pytest.fixture
def api() -> APIClient:
    return APIClient()


@pytest.fixture
def curator(db):
    user, token = curator_create(username="curator")
    return user


@pytest.fixture
def curator_api(curator) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token_create(user=curator)}")
    return client


@pytest.fixture
def staff_api(db) -> APIClient:
    user, token = curator_create(username="staff", superuser=True)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    return client


@pytest.fixture
def author() -> Author:
    return author_save(slug="james-d-j-brown-test", name="James D. J. Brown")


@pytest.fixture
def source(author) -> Source:
    """The Diplomat article of the seed corpus, under a slug of its own."""
    return source_create(
        slug="new-cold-war-test",
        title="A New Cold War With Russia Forces Japan to Choose Sides",
        text=seed_text("004_1e5d8e867c144926.txt"),
        outlet="The Diplomat",
        authors=[author],
    )


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """Load the seed corpus once into the test database, embedded; every test starts from it."""
    with django_db_blocker.unblock():
        call_command("load_corpus", stdout=StringIO())
        call_command("reindex", stdout=StringIO())


@pytest.fixture
def corpus(db) -> dict[str, Source]:
    """The seed corpus's sources by slug (the corpus is in every test database)."""
    return {source.slug: source for source in Source.objects.all()}


@pytest.fixture
def curator_client(client):
    """A curator logged in to the admin."""
    user, _ = curator_create(username="carol", password="a long curator password")
    client.force_login(user)
    client.user = user
    return client


@pytest.fixture
def staff_client(client):
    """A superuser (who may delete) logged in to the admin."""
    user, _ = curator_create(username="staff", superuser=True)
    client.force_login(user)
    client.user = user
    return client
