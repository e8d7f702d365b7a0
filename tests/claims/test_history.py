"""A claim's history names records as the API does: claims by UUID, users by username."""

import pytest
from django.urls import reverse

from claims.models import Claim
from sources.models import Author, Passage

pytestmark = pytest.mark.django_db

SKRIPAL = "japan-did-not-expel-russian-diplomats-after-skripal"


def history(api, claim: Claim) -> list[dict]:
    return api.get(reverse("claim-history", kwargs={"id": claim.uuid})).json()["results"]


def changes_of(entry: dict) -> dict:
    return {change["field"]: (change["old"], change["new"]) for change in entry["changes"]}


def test_a_new_claim_history_names_its_creator_and_its_claim_by_public_ids(
    curator_api, curator, corpus
):
    passage = Passage.objects.filter(citations__claim__slug=SKRIPAL).first()
    response = curator_api.post(
        reverse("claim-list"),
        {
            "text": "Japan stayed apart from its G7 partners after the Skripal attack.",
            "status": "published",
            "citations": [{"passage": passage.pk, "stance": "supports"}],
        },
        format="json",
    )
    assert response.status_code == 201
    claim = Claim.objects.get(uuid=response.json()["id"])
    entries = history(curator_api, claim)

    (created,) = [e for e in entries if e["object"] == "claim" and e["type"] == "created"]
    assert changes_of(created)["created_by"] == (None, "curator")
    assert changes_of(created)["reviewed_by"] == (None, "curator")
    assert not any(field.endswith("_id") for field in changes_of(created))

    (cited,) = [e for e in entries if e["object"] == "citation"]
    assert changes_of(cited)["claim"] == (None, str(claim.uuid))
    assert changes_of(cited)["passage"] == (None, passage.pk)
    assert cited["object_id"] == str(response.json()["citations"][0]["id"])


def test_a_changed_citation_author_is_named_by_the_author_id_the_api_uses(curator_api, corpus):
    claim = Claim.objects.get(slug=SKRIPAL)
    citation = claim.citations.first()
    putin = Author.objects.get(slug="vladimir-putin")
    response = curator_api.patch(
        reverse("citation-detail", args=[citation.pk]), {"author": putin.slug}, format="json"
    )
    assert response.status_code == 200
    changed = [e for e in history(curator_api, claim) if e["type"] == "changed"][0]
    old, new = changes_of(changed)["author"]
    assert (old, new) == (citation.author_id, putin.pk)
    assert response.json()["author"]["id"] == new
