"""gzip: API responses are compressed for clients that accept it; the admin's pages are not."""

import gzip
import json

import pytest
from django.urls import reverse

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
