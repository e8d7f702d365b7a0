"""GET /api/v1/export/claims.ndjson: every matching claim, one per line, streamed."""

import json
import re
from datetime import date

import pytest
from django.db import connection
from django.http import StreamingHttpResponse
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from claims.export_views import ClaimExportView
from claims.models import Claim, Stance
from claims.services import citation_add, claim_create, claim_retract, relation_add

pytestmark = pytest.mark.django_db

SKRIPAL = "japan-did-not-expel-russian-diplomats-after-skripal"
SUPPORTING = "Within the G7, Japan was the only country not to expel Russian diplomats"


def export(api, params=None, **headers):
    response = api.get(reverse("claim-export"), params or {}, **headers)
    assert response.status_code == 200, response.content
    assert isinstance(response, StreamingHttpResponse)
    assert response["Content-Type"] == "application/x-ndjson"
    body = b"".join(response.streaming_content).decode("utf-8")
    assert body == "" or body.endswith("\n")
    return [json.loads(line) for line in body.splitlines()]


def listed_ids(api, params) -> set[str]:
    """The ids the claim list gives for these filters, over every page."""
    ids, url, query = set(), reverse("claim-list"), {**params, "page_size": 100}
    while url:
        page = api.get(url, query).json()
        ids |= {claim["id"] for claim in page["results"]}
        url, query = page["next"], None
    return ids


def test_each_line_is_the_claim_as_its_own_address_shows_it(api, corpus):
    lines = export(api, {"topic": "skripal"})
    assert lines
    for line in lines:
        assert line == api.get(reverse("claim-detail", kwargs={"id": line["id"]})).json()


def test_each_line_is_byte_for_byte_the_claims_detail_response(api, corpus, source):
    """Lines are built from rows, not models: every part of a claim is held to its detail."""
    skripal = Claim.objects.get(slug=SKRIPAL)
    odd = claim_create(
        text="Japan\u2028kept its diplomats home \u2014 \u201calone\u201d\u2029in the G7.",
        topics=["skripal", "japan-russia"],
        period_end=date(2018, 4, 30),
    )
    citation_add(claim=odd, source=source, quote=SUPPORTING, stance=Stance.REFUTES, author=None)
    citation_add(claim=odd, source=source, quote=SUPPORTING[:30], stance=Stance.SUPPORTS)
    others = list(Claim.objects.exclude(pk__in=[skripal.pk, odd.pk]).order_by("pk")[:3])
    relation_add(subject=odd, object=skripal, kind="duplicates")
    relation_add(subject=others[0], object=odd, kind="refines")
    relation_add(subject=skripal, object=others[1], kind="contradicts")
    claim_retract(claim=others[2], reason="Checked again.")
    shown = {odd.pk, skripal.pk, *(claim.pk for claim in others)}

    response = api.get(reverse("claim-export"), {"status": "retracted"})
    lines = b"".join(response.streaming_content).splitlines(keepends=True)
    response = api.get(reverse("claim-export"))
    lines += b"".join(response.streaming_content).splitlines(keepends=True)
    by_id = {json.loads(line)["id"]: line for line in lines}
    assert {str(claim.uuid) for claim in Claim.objects.filter(pk__in=shown)} <= set(by_id)
    for line in lines:
        detail = api.get(reverse("claim-detail", kwargs={"id": json.loads(line)["id"]}))
        assert line == detail.content + b"\n"
    odd_line = json.loads(by_id[str(odd.uuid)])
    assert b"\\u2028" in by_id[str(odd.uuid)]  # escaped, as in the JSON responses
    assert odd_line["period"] == {"start": None, "end": "2018-04-30"}
    assert odd_line["topics"] == ["japan-russia", "skripal"]
    assert odd_line["verdict"]["verdict"] == "contested"
    assert None in [citation["author"] for citation in odd_line["citations"]]
    assert [relation["role"] for relation in odd_line["relations"]] == ["duplicates", "refined_by"]
    assert json.loads(by_id[str(others[2].uuid)])["status"] == "retracted"


@pytest.mark.parametrize("params", [{}, {"stance": "refutes"}, {"status": "retracted"}])
def test_small_chunks_of_near_or_scattered_claims_give_the_same_lines(
    api, corpus, monkeypatch, params
):
    """A chunk of close ids is read by their range, a scattered one by its ids: the same lines."""
    for claim in Claim.objects.order_by("pk")[10:40:3]:
        claim_retract(claim=claim, reason="Checked again.")
    whole = b"".join(api.get(reverse("claim-export"), params).streaming_content)
    monkeypatch.setattr(ClaimExportView, "chunk_size", 7)
    assert b"".join(api.get(reverse("claim-export"), params).streaming_content) == whole
    for line in whole.splitlines(keepends=True)[:60]:
        detail = api.get(reverse("claim-detail", kwargs={"id": json.loads(line)["id"]}))
        assert line == detail.content + b"\n"


def test_the_export_holds_every_listed_claim_once_in_the_order_they_were_stored(api, corpus):
    lines = export(api)
    ids = [line["id"] for line in lines]
    stored = [
        str(uuid) for uuid in Claim.objects.listed().order_by("pk").values_list("uuid", flat=True)
    ]
    assert ids == stored
    assert len(ids) == len(set(ids)) > 200


@pytest.mark.parametrize(
    "params",
    [
        {"topic": "skripal"},
        {"stance": "refutes"},
        {"verdict": "contested"},
        {"q": "Kuril"},
        {"source": "new-cold-war-forces-japan-to-choose-sides"},
        {"author": "vladimir-putin"},
        {"language": "en", "about_after": "2018-01-01"},
        {"about_before": "1960-12-31"},
        {"status": "retracted"},
        {"updated_since": "2000-01-01T00:00:00Z", "stance": "supports", "verdict": "supported"},
    ],
)
def test_the_export_honours_the_claim_lists_filters(api, corpus, params):
    claim_retract(claim=Claim.objects.get(slug=SKRIPAL), reason="Checked again.")
    ids = {line["id"] for line in export(api, params)}
    assert ids == listed_ids(api, params)
    assert 0 < len(ids) < Claim.objects.count()  # each filter here picks some claims


def test_retracted_claims_are_left_out_unless_asked_for(api, corpus):
    claim = Claim.objects.get(slug=SKRIPAL)
    claim_retract(claim=claim, reason="Checked again.")
    assert str(claim.uuid) not in {line["id"] for line in export(api)}
    assert [line["id"] for line in export(api, {"status": "retracted"})] == [str(claim.uuid)]


def test_a_bad_filter_is_a_json_400_naming_it(api, corpus):
    response = api.get(
        reverse("claim-export"), {"verdict": "maybe"}, HTTP_ACCEPT="application/x-ndjson"
    )
    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    assert "verdict" in response.json()["errors"]


def test_the_export_answers_to_its_media_type(api, corpus):
    assert export(api, {"topic": "skripal"}, HTTP_ACCEPT="application/x-ndjson")


def test_the_export_is_public_unless_reads_need_a_token(api, curator_api, corpus, settings):
    assert export(api, {"topic": "skripal"})
    settings.CLAIMBASE_PUBLIC_READS = False
    assert api.get(reverse("claim-export")).status_code == 401
    assert export(curator_api, {"topic": "skripal"})


def test_the_export_reads_a_bounded_chunk_per_query(api, corpus, monkeypatch):
    """Queries grow with the number of chunks, never rows per query with the number of claims."""
    monkeypatch.setattr(ClaimExportView, "chunk_size", 25)
    count = Claim.objects.listed().count()
    with CaptureQueriesContext(connection) as queries:
        lines = export(api)
    assert len(lines) == count
    chunks = count // 25 + 1
    claim_reads = [
        query["sql"]
        for query in queries.captured_queries
        if re.search(r'FROM "claims_claim"', query["sql"])
        and not query["sql"].startswith(("SAVEPOINT", "RELEASE"))
    ]
    assert len(claim_reads) == chunks
    assert all(re.search(r"LIMIT 25\b", sql) for sql in claim_reads)
    # Each chunk: claims, their topics, their citations, their relations either way.
    assert len(queries) <= 5 * chunks + 5


def test_the_schema_documents_the_export_under_its_tag(api):
    document = api.get(reverse("schema") + "?format=json").json()
    operation = document["paths"]["/api/v1/export/claims.ndjson"]["get"]
    assert operation["tags"] == ["export"]
    assert operation["description"]
    parameters = {parameter["name"] for parameter in operation["parameters"]}
    assert {"q", "stance", "verdict", "author", "source", "topic", "status"} <= parameters
    assert {"language", "updated_since", "about_after", "about_before"} <= parameters
    content = operation["responses"]["200"]["content"]
    assert list(content) == ["application/x-ndjson"]
    assert content["application/x-ndjson"]["schema"] == {"$ref": "#/components/schemas/Claim"}
    assert list(operation["responses"]["400"]["content"]) == ["application/json"]
