import uuid

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from claims.models import Claim
from claims.services import claim_retract

pytestmark = pytest.mark.django_db

SKRIPAL = "japan-did-not-expel-russian-diplomats-after-skripal"


def all_results(api, url):
    results = []
    while url:
        page = api.get(url).json()
        results += page["results"]
        url = page["next"]
    return results


def test_claims_list_shows_claims_with_passage_author_and_stance(api, corpus):
    response = api.get(reverse("claim-list"))
    assert response.status_code == 200
    claim = response.json()["results"][0]
    citation = claim["citations"][0]
    assert citation["passage"]["exact"]
    assert citation["stance"] in {"supports", "refutes", "neutral"}
    assert {"verdict", "supports", "refutes", "neutral"} <= set(claim["verdict"])


def test_claim_detail_shows_the_skripal_example_cited_to_brown(api, corpus):
    claim = Claim.objects.get(slug=SKRIPAL)
    response = api.get(reverse("claim-detail", kwargs={"id": claim.uuid}))
    assert response.status_code == 200
    body = response.json()
    assert body["id"] == str(claim.uuid)
    assert body["verdict"]["verdict"] == "supported"
    brown = [
        c for c in body["citations"] if c["author"] and c["author"]["slug"] == "james-d-j-brown"
    ]
    assert brown[0]["passage"]["exact"] == (
        "Within the G7, Japan was the only country not to expel Russian diplomats following "
        "the Skripal attack"
    )
    assert brown[0]["source"]["outlet"] == "The Diplomat"


def test_claims_list_pages_through_every_listed_claim_once(api, corpus):
    ids = [claim["id"] for claim in all_results(api, reverse("claim-list") + "?page_size=50")]
    assert len(ids) == len(set(ids)) == Claim.objects.listed().count()


def test_retracted_claim_leaves_the_list_but_keeps_its_page(api, corpus):
    claim = Claim.objects.get(slug=SKRIPAL)
    claim_retract(claim=claim, reason="Test retraction.")
    ids = {c["id"] for c in all_results(api, reverse("claim-list") + "?page_size=100")}
    assert str(claim.uuid) not in ids
    detail = api.get(reverse("claim-detail", kwargs={"id": claim.uuid}))
    assert detail.json()["status"] == "retracted"


def test_unknown_claim_is_a_json_404(api):
    response = api.get(reverse("claim-detail", kwargs={"id": uuid.uuid4()}))
    assert response.status_code == 404
    assert response["Content-Type"].startswith("application/json")


def test_schema_is_served_as_openapi_3(api):
    response = api.get(reverse("schema"), HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    assert response.json()["openapi"].startswith("3.")
    assert "/api/v1/claims/" in response.json()["paths"]


@pytest.mark.parametrize("name", ["swagger-ui", "redoc"])
def test_docs_pages_load_their_assets_from_this_server_only(api, name):
    response = api.get(reverse(name))
    assert response.status_code == 200
    page = response.content.decode()
    assert "/static/drf_spectacular_sidecar/" in page
    assert "cdn" not in page.lower()
    assert "https://" not in page


def test_claims_list_runs_the_same_queries_for_one_claim_and_many(api, corpus):
    with CaptureQueriesContext(connection) as one:
        api.get(reverse("claim-list") + "?page_size=1")
    with CaptureQueriesContext(connection) as many:
        api.get(reverse("claim-list") + "?page_size=100")
    assert len(one) == len(many)
