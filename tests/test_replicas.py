"""Read replicas: reads go to a replica, writes and the reads around them to the primary."""

import pytest
from django.db import connections, router, transaction
from django.db.utils import load_backend
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from rest_framework.test import APIClient

from api.routers import replica_aliases
from claims.services import curator_create
from sources.models import Author
from sources.services import author_save

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def replica(transactional_db, settings):
    """A `replica1` alias on the primary's test database, through a connection of its own.

    What DATABASE_REPLICA_URLS sets up, as its test mirror runs it: a second
    connection to the primary's database (the tests run outside a transaction, so
    it sees their writes), so that which alias served a query can be seen. It is
    made here rather than in settings, so that no other test reads through it.
    """
    primary = connections["default"].settings_dict
    wrapper = load_backend(primary["ENGINE"]).DatabaseWrapper(
        {**primary, "TEST": {**primary["TEST"], "MIRROR": "default"}}, "replica1"
    )
    connections["replica1"] = wrapper
    settings.DATABASE_REPLICAS = ["replica1"]
    try:
        yield wrapper
    finally:
        wrapper.close()
        del connections["replica1"]


@pytest.fixture
def writer_api(transactional_db) -> APIClient:
    _, token = curator_create(username="replica-writer")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    return client


def tables(queries) -> str:
    return " ".join(query["sql"] for query in queries)


def test_a_get_is_served_from_the_replica(replica):
    author_save(slug="sergei-lavrov", name="Sergei Lavrov")
    with (
        CaptureQueriesContext(connections["default"]) as primary,
        CaptureQueriesContext(replica) as replicated,
    ):
        response = APIClient().get(reverse("author-list"), {"q": "Lavrov"})
    assert response.status_code == 200
    assert "Sergei Lavrov" in {author["name"] for author in response.json()["results"]}
    assert "sources_author" in tables(replicated.captured_queries)
    assert primary.captured_queries == []


def test_a_post_reads_and_writes_on_the_primary(replica, writer_api):
    with (
        CaptureQueriesContext(connections["default"]) as primary,
        CaptureQueriesContext(replica) as replicated,
    ):
        response = writer_api.post(reverse("author-list"), {"name": "Taro Kono"}, format="json")
    assert response.status_code == 201, response.json()
    sql = tables(primary.captured_queries)
    assert "INSERT INTO" in sql and "sources_author" in sql
    assert "knox_authtoken" in sql  # the token was read on the primary too
    assert replicated.captured_queries == []


def test_reads_inside_a_transaction_go_to_the_primary(replica):
    assert Author.objects.all().db == "replica1"
    with transaction.atomic():
        assert Author.objects.all().db == "default"
    assert router.db_for_write(Author) == "default"


def test_without_replicas_everything_uses_the_primary(writer_api):
    assert replica_aliases() == []
    assert Author.objects.all().db == "default"
    with CaptureQueriesContext(connections["default"]) as primary:
        assert APIClient().get(reverse("author-list")).status_code == 200
        response = writer_api.post(reverse("author-list"), {"name": "Taro Aso"}, format="json")
        assert response.status_code == 201
    assert "sources_author" in tables(primary.captured_queries)
    assert list(connections) == ["default"]


def test_migrations_run_on_the_primary_only_and_objects_relate_across_aliases(replica):
    assert router.allow_migrate("default", "claims")
    assert not router.allow_migrate("replica1", "claims")
    primary_author = author_save(slug="yoshihide-suga", name="Yoshihide Suga")
    replicated_author = Author.objects.using("replica1").get(pk=primary_author.pk)
    assert router.allow_relation(primary_author, replicated_author)
