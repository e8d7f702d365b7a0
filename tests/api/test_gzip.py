"""gzip: API responses are compressed for clients that accept it; the admin's pages are not."""

import gzip
import json

import pytest
from django.urls import reverse

from claims.models import Claim

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("accept", ["application/json", "application/ld+json"])
def test_an_api_response_is_gzipped_when_the_client_accepts_it(api, corpus, accept):
    url = reverse("claim-list")
    plain = api.get(url, HTTP_ACCEPT=accept)
    response = api.get(url, HTTP_ACCEPT=accept, HTTP_ACCEPT_ENCODING="gzip")
    assert response.status_code == 200
    assert response["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in response["Vary"]
    assert json.loads(gzip.decompress(response.content)) == json.loads(plain.content)
    assert len(response.content) < len(plain.content)
    assert "Content-Encoding" not in plain


def test_an_api_error_is_gzipped_too(api, corpus):
    response = api.get(reverse("claim-list"), {"verdict": "x" * 300}, HTTP_ACCEPT_ENCODING="gzip")
    assert response.status_code == 400
    assert json.loads(gzip.decompress(response.content))["type"] == "validation_error"


def test_the_admin_login_page_with_its_csrf_token_is_never_gzipped(client, corpus):
    response = client.get("/admin/login/", HTTP_ACCEPT_ENCODING="gzip")
    assert response.status_code == 200
    assert "Content-Encoding" not in response
    assert b"csrfmiddlewaretoken" in response.content


def claim_url() -> str:
    claim = Claim.objects.get(slug="japan-did-not-expel-russian-diplomats-after-skripal")
    return reverse("claim-detail", kwargs={"id": claim.uuid})


def test_a_gzipped_record_keeps_a_strong_etag_that_names_the_coding(api, corpus):
    plain = api.get(claim_url())
    gzipped = api.get(claim_url(), HTTP_ACCEPT_ENCODING="gzip")
    assert gzipped["Content-Encoding"] == "gzip"
    assert gzipped["ETag"] == plain["ETag"][:-1] + '-gzip"'


@pytest.mark.parametrize("encoding", ["gzip", "identity"])
def test_the_gzip_etag_gets_304_in_either_coding(api, corpus, encoding):
    etag = api.get(claim_url(), HTTP_ACCEPT_ENCODING="gzip")["ETag"]
    response = api.get(claim_url(), HTTP_ACCEPT_ENCODING=encoding, HTTP_IF_NONE_MATCH=etag)
    assert response.status_code == 304
    # The 304 names the copy it confirms, so a cache finds the response to refresh.
    assert response["ETag"] == etag


def test_the_gzip_etag_passes_if_match(curator_api, corpus):
    etag = curator_api.get(claim_url(), HTTP_ACCEPT_ENCODING="gzip")["ETag"]
    response = curator_api.patch(
        claim_url(), {"language": "en-GB"}, format="json", HTTP_IF_MATCH=etag
    )
    assert response.status_code == 200
