"""Writers that collide for real: threads released together, each with its own connection.

These run outside the test's transaction (`transaction=True`) so that every
thread commits through its own database connection, as gunicorn workers do.
On SQLite the writers queue behind one write lock instead (IMMEDIATE
transactions), so the races themselves need PostgreSQL's row locks and
unique indexes to be meaningful; test_sqlite_writers covers SQLite.
"""

import threading
from collections import Counter
from datetime import date

import pytest
from django.db import connection
from django.urls import reverse
from rest_framework.test import APIClient

from claims.models import Citation, Claim, ClaimRelation
from claims.services import claim_create
from sources.models import Author, Passage
from sources.services import author_save, passage_for_quote, source_create

pytestmark = [
    pytest.mark.postgres_only,
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="races need PostgreSQL's row locks; SQLite queues writers (test_sqlite_writers)",
    ),
    pytest.mark.django_db(transaction=True),
]

WRITERS = 10
TEXT = (
    "Japan was the only G7 country not to expel Russian diplomats after the Skripal attack. "
    "Tokyo said it would watch the investigation. Moscow thanked Tokyo for its restraint."
)


@pytest.fixture
def source():
    brown = author_save(slug="james-brown-race", name="James Brown")
    return source_create(slug="race-source", text=TEXT, title="Race", authors=[brown])


@pytest.fixture
def claim(source):
    return claim_create(
        text="Japan expelled no Russian diplomats after the Skripal attack.",
        status="published",
        citations=[{"source": source, "quote": "the only G7 country", "stance": "supports"}],
    )


def together(count: int, credentials: dict, request) -> list:
    """Run `request(client, index)` in `count` threads released at once; their responses."""
    barrier = threading.Barrier(count)
    responses: list = [None] * count

    def writer(index: int) -> None:
        client = APIClient()
        client.credentials(**credentials)
        try:
            barrier.wait()
            responses[index] = request(client, index)
        except Exception as error:  # noqa: BLE001 - a failure is a result to count
            responses[index] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=writer, args=(index,)) for index in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return responses


def statuses(responses) -> Counter:
    return Counter(
        getattr(response, "status_code", type(response).__name__) for response in responses
    )


def test_concurrent_patches_of_different_fields_both_survive(curator_api, claim):
    url = reverse("claim-detail", kwargs={"id": claim.uuid})
    lost = []
    for round_ in range(30):
        text = f"Japan expelled no Russian diplomats after the Skripal attack (round {round_})."
        start = date(2018, 3, 1 + round_ % 28)
        responses = together(
            2,
            curator_api._credentials,
            lambda client, index, text=text, start=start: client.patch(
                url,
                {"text": text} if index == 0 else {"period": {"start": start.isoformat()}},
                format="json",
            ),
        )
        assert statuses(responses) == {200: 2}, responses
        stored = Claim.objects.get(pk=claim.pk)
        if (stored.text, stored.period_start) != (text, start):
            lost.append(round_)
    assert lost == [], f"lost an update in rounds {lost} of 30"


def test_two_writers_holding_the_same_etag_cannot_both_win(curator_api, claim):
    url = reverse("claim-detail", kwargs={"id": claim.uuid})
    etag = curator_api.get(url)["ETag"]
    responses = together(
        2,
        curator_api._credentials,
        lambda client, index: client.patch(
            url,
            {"text": f"Japan expelled no one, says writer {index}."},
            format="json",
            HTTP_IF_MATCH=etag,
        ),
    )
    assert statuses(responses) == {200: 1, 412: 1}
    refused = next(response for response in responses if response.status_code == 412)
    assert refused.json()["current"]["text"] == Claim.objects.get(pk=claim.pk).text


def test_identical_claims_posted_at_once_are_stored_once(curator_api, source):
    payload = {
        "text": "Tokyo watched the Skripal investigation before acting.",
        "status": "published",
        "citations": [
            {"source": source.pk, "quote": "watch the investigation", "stance": "supports"}
        ],
    }
    responses = together(
        WRITERS,
        curator_api._credentials,
        lambda client, index: client.post(reverse("claim-list"), payload, format="json"),
    )
    assert statuses(responses) == {201: 1, 409: WRITERS - 1}
    stored = Claim.objects.filter(text=payload["text"])
    assert stored.count() == 1
    assert {r.json()["existing"]["id"] for r in responses if r.status_code == 409} == {
        str(stored.get().uuid)
    }
    assert Passage.objects.filter(source=source, exact="watch the investigation").count() == 1


def test_claims_with_one_slug_posted_at_once_get_distinct_slugs(curator_api, source):
    opening = "Moscow thanked Tokyo for its restraint over the Skripal attack and said so at length"
    responses = together(
        WRITERS,
        curator_api._credentials,
        lambda client, index: client.post(
            reverse("claim-list"),
            {
                "text": f"{opening}, in statement number {index}.",
                "citations": [
                    {"source": source.pk, "quote": "Moscow thanked Tokyo", "stance": "supports"}
                ],
            },
            format="json",
        ),
    )
    assert statuses(responses) == {201: WRITERS}
    slugs = [response.json()["slug"] for response in responses]
    assert len(set(slugs)) == WRITERS


def test_one_span_posted_at_once_is_one_passage(curator_api, source):
    responses = together(
        WRITERS,
        curator_api._credentials,
        lambda client, index: client.post(
            reverse("passage-list"),
            {"source": source.pk, "quote": "Moscow thanked Tokyo for its restraint"},
            format="json",
        ),
    )
    assert statuses(responses) == {201: 1, 200: WRITERS - 1}
    assert len({response.json()["id"] for response in responses}) == 1
    assert Passage.objects.filter(source=source, start=TEXT.index("Moscow thanked")).count() == 1


def test_one_author_posted_at_once_is_stored_once(curator_api):
    responses = together(
        WRITERS,
        curator_api._credentials,
        lambda client, index: client.post(
            reverse("author-list"), {"name": "Sergei Lavrov"}, format="json"
        ),
    )
    assert statuses(responses) == {201: 1, 409: WRITERS - 1}
    assert Author.objects.filter(slug="sergei-lavrov").count() == 1


def test_one_citation_posted_at_once_is_stored_once(curator_api, claim, source):
    passage = passage_for_quote(source=source, quote="Tokyo said it would watch")
    responses = together(
        WRITERS,
        curator_api._credentials,
        lambda client, index: client.post(
            reverse("citation-list"),
            {"claim": str(claim.uuid), "passage": passage.pk, "stance": "neutral"},
            format="json",
        ),
    )
    assert statuses(responses) == {201: 1, 409: WRITERS - 1}
    assert Citation.objects.filter(claim=claim, passage=passage).count() == 1
    existing = {r.json()["existing"]["id"] for r in responses if r.status_code == 409}
    assert existing == {Citation.objects.get(claim=claim, passage=passage).pk}


def test_the_same_relation_posted_at_once_is_stored_once(curator_api, claim, source):
    other = claim_create(
        text="Tokyo expelled none of Moscow's diplomats after the Skripal attack.",
        status="published",
        citations=[{"source": source, "quote": "Tokyo said it would watch", "stance": "supports"}],
    )
    url = reverse("claim-relation-list", kwargs={"id": other.uuid})
    responses = together(
        WRITERS,
        curator_api._credentials,
        lambda client, index: client.post(
            url, {"kind": "duplicates", "object": str(claim.uuid)}, format="json"
        ),
    )
    assert statuses(responses) == {201: 1, 409: WRITERS - 1}
    stored = ClaimRelation.objects.get()
    assert {
        response.json()["existing"]["id"] for response in responses if response.status_code == 409
    } == {stored.pk}
    # Each claim's version moved once: one relation was added.
    assert Claim.objects.get(pk=other.pk).version == other.version + 1


def test_duplicates_posted_at_once_never_make_a_chain(curator_api, claim, source):
    """A duplicates B while B duplicates C: one of them must be refused, whatever the timing."""
    middle, last = (
        claim_create(
            text=text,
            status="published",
            citations=[{"source": source, "quote": quote, "stance": "supports"}],
        )
        for text, quote in [
            ("Tokyo kept Moscow's diplomats after the Skripal attack.", "Tokyo said it would"),
            ("Moscow thanked Tokyo for its restraint over Skripal.", "Moscow thanked Tokyo"),
        ]
    )
    chains = 0
    for round_ in range(10):
        ClaimRelation.objects.all().delete()
        pairs = [(claim, middle), (middle, last)]
        responses = together(
            2,
            curator_api._credentials,
            lambda client, index, pairs=pairs: client.post(
                reverse("claim-relation-list", kwargs={"id": pairs[index][0].uuid}),
                {"kind": "duplicates", "object": str(pairs[index][1].uuid)},
                format="json",
            ),
        )
        assert statuses(responses) == {201: 1, 400: 1}, (round_, responses)
        duplicates = ClaimRelation.objects.filter(kind="duplicates")
        canonical = set(duplicates.values_list("object", flat=True))
        if canonical & set(duplicates.values_list("subject", flat=True)):
            chains += 1
    assert chains == 0
