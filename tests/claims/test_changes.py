"""The change feed: a mirror built from it alone equals the database, deletions included."""

import json
import threading

import pytest
from django.db import connection, transaction
from django.urls import reverse
from rest_framework.renderers import JSONRenderer

from claims.feed import KINDS
from claims.models import Change
from claims.services import (
    citation_add,
    citation_delete,
    claim_create,
    claim_delete,
    claim_retract,
    claim_update,
)
from sources.models import Author
from sources.services import author_create, author_delete, source_create, source_update

TEXT = (
    "Japan was the only G7 country not to expel Russian diplomats after the Skripal attack. "
    "Tokyo said it would watch the investigation. Moscow thanked Tokyo for its restraint."
)


def read_feed(api, since: str = "", limit: int = 5) -> dict:
    params = {"since": since, "limit": limit} if since else {"limit": limit}
    response = api.get(reverse("change-feed"), params)
    assert response.status_code == 200, response.json()
    return response.json()


def apply(mirror: dict, page: dict) -> None:
    for change in page["results"]:
        key = (change["kind"], change["id"])
        if change["data"] is None:
            mirror.pop(key, None)
        else:
            mirror[key] = change["data"]


def database() -> dict:
    """Every record of the five kinds, as the API shows it."""
    state = {}
    for kind, spec in KINDS.items():
        for record in spec.queryset.all():
            state[(kind, str(getattr(record, spec.key)))] = spec.serializer(record).data
    return state


def as_json(data) -> dict:
    """Compare as JSON, the way a consumer sees it."""
    return json.loads(
        JSONRenderer().render({f"{kind}:{key}": value for (kind, key), value in data.items()})
    )


@pytest.mark.django_db(transaction=True)
def test_a_mirror_built_from_the_feed_alone_equals_the_database(api):
    brown = author_create(name="James Brown")
    lavrov = author_create(name="Sergei Lavrov")
    source = source_create(slug="feed-source", text=TEXT, title="Feed", authors=[brown])
    claims = [
        claim_create(
            text=f"Statement number {n} about the Skripal attack.",
            status="published",
            citations=[{"source": source, "quote": "the only G7 country", "stance": "supports"}],
        )
        for n in range(6)
    ]
    mirror: dict = {}
    page = read_feed(api)
    apply(mirror, page)
    # Writes while the consumer pages: creates, updates, a retraction, deletions.
    claim_update(claim=claims[0], text="Statement zero, reworded.")
    claim_retract(claim=claims[1], reason="Misread.")
    claim_delete(claim=claims[2])
    citation_delete(citation=claims[3].citations.get())
    page = read_feed(api, page["cursor"])
    apply(mirror, page)
    citation_add(
        claim=claims[3],
        source=source,
        quote="Moscow thanked Tokyo",
        stance="refutes",
        author=lavrov,
    )
    source_update(source=source, title="Feed (retitled)")
    author_delete(author=author_create(name="Nobody In Particular"))
    while page["results"]:
        page = read_feed(api, page["cursor"])
        apply(mirror, page)
    assert as_json(mirror) == as_json(database())
    # Later writes reach the same cursor when polled again.
    claim_delete(claim=claims[4])
    polled = read_feed(api, page["cursor"], limit=100)
    apply(mirror, polled)
    assert as_json(mirror) == as_json(database())
    assert ("claim", str(claims[4].uuid)) not in mirror
    kinds = {change["kind"] for change in polled["results"]}
    assert kinds == {"claim", "citation"}


@pytest.mark.django_db(transaction=True)
def test_a_retraction_and_a_deletion_are_in_the_feed(api):
    source = source_create(slug="feed-source", text=TEXT, title="Feed")
    claim = claim_create(
        text="Japan expelled no Russian diplomats.",
        status="published",
        citations=[{"source": source, "quote": "the only G7 country", "stance": "supports"}],
    )
    citation = claim.citations.get()
    tail = read_feed(api, limit=1000)
    claim_retract(claim=claim, reason="Misread.")
    citation_delete(citation=citation)
    changes = read_feed(api, tail["cursor"], limit=100)["results"]
    retracted = [c for c in changes if c["kind"] == "claim" and c["id"] == str(claim.uuid)]
    assert retracted and retracted[-1]["data"]["status"] == "retracted"
    deleted = [c for c in changes if c["kind"] == "citation" and c["id"] == str(citation.pk)]
    assert [c["change"] for c in deleted] == ["deleted"]
    assert deleted[0]["data"] is None


@pytest.mark.django_db
def test_an_empty_since_is_refused_and_an_empty_feed_still_gives_a_cursor(api):
    assert api.get(reverse("change-feed"), {"since": ""}).status_code == 400
    Change.objects.all().delete()
    page = read_feed(api)
    assert page["results"] == [] and page["cursor"]
    assert read_feed(api, since=page["cursor"])["results"] == []
    assert api.get(page["next"]).status_code == 200


@pytest.mark.django_db
@pytest.mark.parametrize("since", ["nonsense", "YzE6eDp5", "%%%"])
def test_a_cursor_the_feed_did_not_make_is_a_404_as_in_lists(api, since):
    response = api.get(reverse("change-feed"), {"since": since})
    assert response.status_code == 404
    assert "`since`" in response.json()["detail"]


@pytest.mark.postgres_only
@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="SQLite writers cannot overlap: nothing to order"
)
@pytest.mark.django_db(transaction=True)
def test_a_change_committed_after_a_later_one_is_not_skipped(api):
    author_create(name="First Author")
    page = read_feed(api, limit=100)
    started, release = threading.Event(), threading.Event()

    def slow_writer():
        try:
            with transaction.atomic():
                author_create(name="Slow Writer")  # written first, committed last
                started.set()
                release.wait(timeout=30)
        finally:
            connection.close()

    thread = threading.Thread(target=slow_writer)
    thread.start()
    assert started.wait(timeout=30)
    author_create(name="Quick Writer")  # written later, committed first
    early = read_feed(api, page["cursor"], limit=100)
    release.set()
    thread.join(timeout=30)
    late = read_feed(api, early["cursor"], limit=100)
    assert [c["data"]["name"] for c in early["results"]] == ["Quick Writer"]
    assert [c["data"]["name"] for c in late["results"]] == ["Slow Writer"]
    assert Author.objects.filter(name__in=["Quick Writer", "Slow Writer"]).count() == 2


@pytest.mark.django_db(transaction=True)
def test_since_now_gives_the_cursor_to_follow_on_from(api):
    author_create(name="Before The Export")
    now = read_feed(api, "now")
    assert now["results"] == [] and now["cursor"]
    author_create(name="After The Export")
    after = read_feed(api, now["cursor"])
    assert [c["data"]["name"] for c in after["results"]] == ["After The Export"]
