import pytest
from django.test import override_settings
from django.urls import reverse
from rest_framework.throttling import SimpleRateThrottle

pytestmark = pytest.mark.django_db

ERROR_KEYS = {"type", "title", "status", "detail"}


def assert_error(response, status: int) -> dict:
    assert response.status_code == status
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert set(body) >= ERROR_KEYS
    assert body["status"] == status
    return body


def test_unknown_api_path_is_a_json_404(client):
    assert_error(client.get("/api/v1/nothing-here/"), 404)
    assert_error(client.get("/api/v1/claims/not-a-uuid/"), 404)
    assert_error(client.get("/api/v1/sources/99999999999999999999999/"), 404)


def test_wrong_method_is_a_json_405(curator_api):
    body = assert_error(curator_api.put(reverse("claim-list"), {}, format="json"), 405)
    assert body["type"] == "method_not_allowed"


def test_malformed_json_is_a_400(curator_api):
    response = curator_api.post(
        reverse("claim-list"), data="{not json", content_type="application/json"
    )
    assert assert_error(response, 400)["type"] == "parse_error"


def test_a_non_json_body_is_a_415(curator_api):
    response = curator_api.post(
        reverse("claim-list"), data="text=hello", content_type="application/x-www-form-urlencoded"
    )
    assert_error(response, 415)


@pytest.mark.parametrize(
    "payload",
    [
        [],
        "a string",
        12,
        {"text": 12, "citations": "none"},
        {"text": "x" * 6000, "citations": []},
        {"text": "ok", "citations": [{"source": -1, "quote": "x", "stance": "supports"}]},
        {"text": "ok", "citations": [{"source": 10**30, "quote": "x", "stance": "supports"}]},
        {
            "text": "ok",
            "period": {"start": "2018-05-01", "end": "2018-01-01"},
            "citations": [{"passage": 1, "stance": "supports"}],
        },
    ],
)
def test_wrong_types_and_values_are_400s_never_500s(curator_api, corpus, payload):
    response = curator_api.post(reverse("claim-list"), payload, format="json")
    body = assert_error(response, 400)
    assert body["errors"]


def test_validation_errors_name_each_field(curator_api):
    body = assert_error(curator_api.post(reverse("claim-list"), {}, format="json"), 400)
    assert {"text", "citations"} <= set(body["errors"])
    assert "text" in body["detail"]


def test_reads_can_be_made_private_by_a_setting(api, curator_api):
    with override_settings(CLAIMBASE_PUBLIC_READS=False):
        assert_error(api.get(reverse("claim-list")), 401)
        assert curator_api.get(reverse("claim-list")).status_code == 200


def test_anonymous_requests_are_throttled_with_a_json_429(api, monkeypatch):
    monkeypatch.setitem(SimpleRateThrottle.THROTTLE_RATES, "anon", "3/minute")
    for _ in range(3):
        assert api.get(reverse("author-list")).status_code == 200
    response = api.get(reverse("author-list"))
    assert assert_error(response, 429)["type"] == "throttled"
    assert response["Retry-After"]


def test_nul_characters_in_json_are_a_400_not_a_database_error(curator_api, corpus):
    payload = {"text": "A claim\u0000", "citations": [{"passage": 1, "stance": "supports"}]}
    assert_error(curator_api.post(reverse("claim-list"), payload, format="json"), 400)


def test_nul_characters_in_filters_are_a_400(api):
    assert_error(api.get(reverse("claim-list"), {"author": "a\x00b"}), 400)
