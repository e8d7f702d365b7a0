"""ETags and If-Match: a write made against an old version is refused, never applied."""

import re

import pytest
from django.urls import reverse

from claims.models import Claim
from claims.services import citation_update, claim_update
from sources.models import Author, Passage, Source
from sources.services import author_update, source_update

pytestmark = pytest.mark.django_db

SKRIPAL = "japan-did-not-expel-russian-diplomats-after-skripal"
DIPLOMAT = "new-cold-war-forces-japan-to-choose-sides"


def skripal() -> Claim:
    return Claim.objects.get(slug=SKRIPAL)


def detail_url(kind: str, record) -> str:
    key = {"id": record.uuid} if kind == "claim" else {"pk": record.pk}
    return reverse(f"{kind}-detail", kwargs=key)


def records():
    claim = skripal()
    return {
        "claim": claim,
        "citation": claim.citations.get(),
        "source": Source.objects.get(slug=DIPLOMAT),
        "author": Author.objects.get(slug="james-d-j-brown"),
        "passage": claim.citations.get().passage,
    }


@pytest.mark.parametrize("kind", ["claim", "citation", "source", "author", "passage"])
def test_every_record_is_served_with_its_version_as_a_strong_etag(api, corpus, kind):
    record = records()[kind]
    response = api.get(detail_url(kind, record))
    assert response.status_code == 200
    assert version_of(response["ETag"]) == record.version
    # After a dot, the versions of the records its representation embeds (if any).
    assert re.fullmatch(r'"[0-9]+(\.[0-9]+)?"', response["ETag"])


def version_of(entity_tag: str) -> int:
    return int(entity_tag.strip('"').split(".")[0].split("-")[0])


def someone_else_edits(kind: str, record) -> None:
    if kind == "claim":
        claim_update(claim=record, text="Japan expelled nobody after the Skripal attack.")
    elif kind == "citation":
        citation_update(citation=record, note="Checked against the G7 statement.")
    elif kind == "source":
        source_update(source=record, title="A New Cold War (revised title)")
    else:
        author_update(author=record, affiliation="Temple University")


EDITS = {
    "claim": {"period": {"start": "2018-03-04"}},
    "citation": {"stance": "neutral"},
    "source": {"outlet": "The Diplomat (Tokyo)"},
    "author": {"description": "Political scientist."},
}


@pytest.mark.parametrize("kind", list(EDITS))
def test_a_patch_against_an_old_etag_is_refused_with_the_current_record(curator_api, corpus, kind):
    record = records()[kind]
    url = detail_url(kind, record)
    read = curator_api.get(url)["ETag"]
    someone_else_edits(kind, record)
    response = curator_api.patch(url, EDITS[kind], format="json", HTTP_IF_MATCH=read)
    assert response.status_code == 412
    body = response.json()
    assert body["type"] == "stale_version"
    current = curator_api.get(url)
    assert body["current"] == current.json()
    assert response["ETag"] == current["ETag"] != read
    # Nothing of the refused write was stored.
    assert curator_api.get(url).json() == body["current"]


@pytest.mark.parametrize("kind", list(EDITS))
def test_a_patch_with_the_current_etag_is_applied_and_bumps_it(curator_api, corpus, kind):
    url = detail_url(kind, records()[kind])
    read = curator_api.get(url)["ETag"]
    response = curator_api.patch(url, EDITS[kind], format="json", HTTP_IF_MATCH=read)
    assert response.status_code == 200, response.json()
    assert version_of(response["ETag"]) == version_of(read) + 1
    assert curator_api.get(url)["ETag"] == response["ETag"]


def test_if_match_star_or_a_list_including_the_current_version_passes(curator_api, corpus):
    url = detail_url("claim", skripal())
    read = curator_api.get(url)["ETag"]
    first = curator_api.patch(url, EDITS["claim"], format="json", HTTP_IF_MATCH="*")
    assert first.status_code == 200
    second = curator_api.patch(
        url,
        {"language": "en-GB"},
        format="json",
        HTTP_IF_MATCH=f"{read}, {first['ETag']}",
    )
    assert second.status_code == 200


@pytest.mark.parametrize("header", ['W/"1"', "1", '"one"', '"99999999999999"'])
def test_a_weak_or_malformed_if_match_never_matches(curator_api, corpus, header):
    url = detail_url("claim", skripal())
    response = curator_api.patch(url, EDITS["claim"], format="json", HTTP_IF_MATCH=header)
    assert response.status_code == 412
    assert skripal().period_start.isoformat() != "2018-03-04"


def test_a_delete_against_an_old_etag_is_refused(staff_api, curator_api, corpus):
    claim = skripal()
    url = detail_url("claim", claim)
    read = staff_api.get(url)["ETag"]
    claim_update(claim=claim, language="en-US")
    assert staff_api.delete(url, HTTP_IF_MATCH=read).status_code == 412
    assert Claim.objects.filter(pk=claim.pk).exists()
    assert staff_api.delete(url, HTTP_IF_MATCH=staff_api.get(url)["ETag"]).status_code == 204


def test_a_citation_change_bumps_its_claims_etag(curator_api, corpus):
    claim = skripal()
    url = detail_url("claim", claim)
    before = curator_api.get(url)["ETag"]
    citation = claim.citations.get()
    curator_api.patch(detail_url("citation", citation), {"note": "Seen."}, format="json")
    assert curator_api.get(url)["ETag"] != before


def test_writes_without_if_match_get_428_when_the_server_requires_it(curator_api, corpus, settings):
    settings.CLAIMBASE_REQUIRE_IF_MATCH = True
    url = detail_url("claim", skripal())
    response = curator_api.patch(url, EDITS["claim"], format="json")
    assert response.status_code == 428
    assert response.json()["type"] == "precondition_required"
    read = curator_api.get(url)["ETag"]
    assert (
        curator_api.patch(url, EDITS["claim"], format="json", HTTP_IF_MATCH=read).status_code == 200
    )


def test_created_records_come_with_their_etag(curator_api, corpus):
    response = curator_api.post(reverse("author-list"), {"name": "Taro Kono"}, format="json")
    assert response.status_code == 201
    assert response["ETag"] == f'"{Author.objects.get(slug="taro-kono").version}"'


def test_put_is_not_offered_patch_is(curator_api, corpus):
    url = detail_url("claim", skripal())
    assert curator_api.put(url, {"text": "x"}, format="json").status_code == 405
    assert "PUT" not in curator_api.options(url)["Allow"]


def test_the_schema_documents_if_match_etag_412_and_428(api):
    schema = api.get(reverse("schema"), HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    patch = schema["paths"]["/api/v1/claims/{id}/"]["patch"]
    assert "If-Match" in {p["name"] for p in patch["parameters"] if p["in"] == "header"}
    assert {"412", "428"} <= set(patch["responses"])
    assert "ETag" in patch["responses"]["200"]["headers"]
    get = schema["paths"]["/api/v1/claims/{id}/"]["get"]
    assert "ETag" in get["responses"]["200"]["headers"]
    assert "put" not in schema["paths"]["/api/v1/claims/{id}/"]


def test_a_passage_for_a_span_that_has_one_returns_it(curator_api, corpus):
    passage = records()["passage"]
    response = curator_api.post(
        reverse("passage-list"),
        {"source": passage.source_id, "quote": passage.exact.upper()},
        format="json",
    )
    assert response.status_code == 200
    assert response.json()["id"] == passage.pk
    assert Passage.objects.filter(source=passage.source, start=passage.start).count() == 1
