"""CORS: browser apps anywhere read the API; only the listed origins may write to it."""

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db

APP = "https://app.example.org"
STRANGER = "https://elsewhere.example.net"


@pytest.fixture(autouse=True)
def writers(settings):
    settings.CORS_ALLOWED_ORIGINS = [APP]


def preflight(client, url: str, origin: str, method: str, headers: str = "content-type"):
    return client.options(
        url,
        HTTP_ORIGIN=origin,
        HTTP_ACCESS_CONTROL_REQUEST_METHOD=method,
        HTTP_ACCESS_CONTROL_REQUEST_HEADERS=headers,
    )


@pytest.mark.parametrize("origin", [APP, STRANGER])
def test_a_read_from_any_origin_is_allowed_and_shows_the_validators(api, corpus, origin):
    response = api.get(reverse("claim-list"), HTTP_ORIGIN=origin)
    assert response.status_code == 200
    assert response["Access-Control-Allow-Origin"] == origin
    exposed = {h.strip().lower() for h in response["Access-Control-Expose-Headers"].split(",")}
    assert {"etag", "last-modified", "link"} <= exposed
    assert "origin" in response["Vary"].lower()
    assert "Access-Control-Allow-Credentials" not in response


def test_a_preflight_for_a_conditional_read_from_any_origin_is_allowed(api, corpus):
    response = preflight(api, reverse("claim-list"), STRANGER, "GET", "if-none-match")
    assert response.status_code == 200
    assert response["Access-Control-Allow-Origin"] == STRANGER
    allowed = {h.strip() for h in response["Access-Control-Allow-Headers"].split(",")}
    assert {"if-none-match", "if-match", "authorization"} <= allowed


@pytest.mark.parametrize("method", ["POST", "PATCH", "DELETE"])
def test_a_preflight_for_a_write_from_an_unlisted_origin_is_refused(api, corpus, method):
    response = preflight(api, reverse("claim-list"), STRANGER, method, "if-match")
    assert "Access-Control-Allow-Origin" not in response


@pytest.mark.parametrize("method", ["POST", "PATCH", "DELETE"])
def test_a_preflight_for_a_write_from_a_listed_origin_is_allowed(api, corpus, method):
    response = preflight(api, reverse("claim-list"), APP, method, "authorization, if-match")
    assert response.status_code == 200
    assert response["Access-Control-Allow-Origin"] == APP
    assert method in response["Access-Control-Allow-Methods"]
    assert "if-match" in response["Access-Control-Allow-Headers"]


def test_a_write_from_an_unlisted_origin_gets_no_cors_headers(curator_api, corpus):
    response = curator_api.post(
        reverse("author-list"), {"name": "Sergei Lavrov"}, format="json", HTTP_ORIGIN=STRANGER
    )
    assert "Access-Control-Allow-Origin" not in response


def test_an_error_read_from_another_origin_is_readable_there(api, corpus):
    url = reverse("claim-detail", kwargs={"id": "00000000-0000-0000-0000-000000000000"})
    response = api.get(url, HTTP_ORIGIN=STRANGER)
    assert response.status_code == 404
    assert response["Access-Control-Allow-Origin"] == STRANGER


def test_the_admin_is_not_open_to_other_origins(client, corpus):
    response = client.get("/admin/login/", HTTP_ORIGIN=STRANGER)
    assert "Access-Control-Allow-Origin" not in response
