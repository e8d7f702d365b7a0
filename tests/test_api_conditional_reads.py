"""Conditional reads: 304 while the client's copy holds, decided by one query, never stale."""

from datetime import UTC, datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils.http import http_date, parse_http_date

from claims.models import Change, Claim
from claims.services import claim_create, claim_delete, claim_update
from sources.models import Author, Source
from sources.services import author_update, source_create, source_update
from tests.test_api_conditional import (
    detail_url,
    records,
    someone_else_edits,
)

pytestmark = pytest.mark.django_db

LONG_AGO = datetime(2020, 1, 1, tzinfo=UTC)
KINDS = ["claim", "citation", "source", "author", "passage"]


def an_hour_before(last_modified: str) -> str:
    return http_date(parse_http_date(last_modified) - 3600)


@pytest.mark.parametrize("kind", KINDS)
def test_every_record_is_served_with_an_etag_and_a_last_modified(api, corpus, kind):
    response = api.get(detail_url(kind, records()[kind]))
    assert response.status_code == 200
    assert response["ETag"].startswith('"')
    assert parse_http_date(response["Last-Modified"]) <= datetime.now(UTC).timestamp()


@pytest.mark.parametrize("kind", KINDS)
def test_a_matching_if_none_match_gets_304_with_no_body(api, corpus, kind):
    url = detail_url(kind, records()[kind])
    first = api.get(url)
    response = api.get(url, HTTP_IF_NONE_MATCH=first["ETag"])
    assert response.status_code == 304
    assert response.content == b""
    assert response["ETag"] == first["ETag"]
    assert response["Last-Modified"] == first["Last-Modified"]
    # If-None-Match compares weakly, and may list several tags.
    weak = api.get(url, HTTP_IF_NONE_MATCH=f'"0", W/{first["ETag"]}')
    assert weak.status_code == 304


@pytest.mark.parametrize("kind", KINDS)
def test_if_modified_since_gets_304_unless_the_record_changed_after_it(api, corpus, kind):
    url = detail_url(kind, records()[kind])
    last_modified = api.get(url)["Last-Modified"]
    assert api.get(url, HTTP_IF_MODIFIED_SINCE=last_modified).status_code == 304
    earlier = api.get(url, HTTP_IF_MODIFIED_SINCE=an_hour_before(last_modified))
    assert earlier.status_code == 200
    assert earlier.json()


@pytest.mark.parametrize("kind", KINDS)
def test_a_stale_or_garbled_if_none_match_gets_the_record(api, corpus, kind):
    url = detail_url(kind, records()[kind])
    for header in ('"0"', "garbage", 'W/"0.0"'):
        response = api.get(url, HTTP_IF_NONE_MATCH=header)
        assert response.status_code == 200
        assert response.json()


@pytest.mark.parametrize("kind", ["claim", "citation", "source", "author"])
def test_a_changed_record_gets_200_and_a_new_etag(api, corpus, kind):
    record = records()[kind]
    url = detail_url(kind, record)
    old = api.get(url)["ETag"]
    someone_else_edits(kind, record)
    response = api.get(url, HTTP_IF_NONE_MATCH=old)
    assert response.status_code == 200
    assert response["ETag"] != old
    assert api.get(url, HTTP_IF_NONE_MATCH=response["ETag"]).status_code == 304


@pytest.mark.parametrize(
    ("kind", "edit"),
    [
        ("claim", lambda r: source_update(source=r["source"], title="Retitled")),
        ("claim", lambda r: author_update(author=r["author"], name="J. D. J. Brown")),
        ("citation", lambda r: source_update(source=r["source"], outlet="The Diplomat (Tokyo)")),
        ("source", lambda r: author_update(author=r["author"], name="J. D. J. Brown")),
    ],
)
def test_a_change_to_an_embedded_record_changes_the_etag_and_last_modified(api, corpus, kind, edit):
    """A claim shows its sources' titles and its authors' names, which its version does not
    follow: its ETag and Last-Modified do."""
    found = records()
    record = found[kind]
    type(record).objects.filter(pk=record.pk).update(updated_at=LONG_AGO)
    Source.objects.filter(pk=found["source"].pk).update(updated_at=LONG_AGO)
    Author.history.model.objects.filter(id=found["author"].pk).update(history_date=LONG_AGO)
    url = detail_url(kind, record)
    before = api.get(url)
    assert before["Last-Modified"] == http_date(LONG_AGO.timestamp())
    edit(found)
    after = api.get(url, HTTP_IF_NONE_MATCH=before["ETag"])
    assert after.status_code == 200
    assert after["ETag"] != before["ETag"]
    assert after["ETag"].split(".")[0] == before["ETag"].split(".")[0]  # same own version
    again = api.get(url, HTTP_IF_MODIFIED_SINCE=before["Last-Modified"])
    assert again.status_code == 200


def test_the_jsonld_representation_has_an_etag_of_its_own(api, corpus):
    url = detail_url("claim", records()["claim"])
    plain = api.get(url)
    linked = api.get(url, HTTP_ACCEPT="application/ld+json")
    assert linked["ETag"] == plain["ETag"][:-1] + '-jsonld"'
    stale = api.get(url, HTTP_ACCEPT="application/ld+json", HTTP_IF_NONE_MATCH=plain["ETag"])
    assert stale.status_code == 200
    fresh = api.get(url, {"format": "jsonld"}, HTTP_IF_NONE_MATCH=linked["ETag"])
    assert fresh.status_code == 304
    assert "Accept" in fresh["Vary"]
    assert api.get(url, HTTP_IF_NONE_MATCH=linked["ETag"]).status_code == 200


@pytest.mark.parametrize("representation", ["", "-jsonld"])
def test_if_match_takes_the_etag_of_either_representation(curator_api, corpus, representation):
    url = detail_url("claim", records()["claim"])
    etag = curator_api.get(url)["ETag"][:-1] + representation + '"'
    response = curator_api.patch(url, {"language": "en-GB"}, format="json", HTTP_IF_MATCH=etag)
    assert response.status_code == 200
    assert response["ETag"] == curator_api.get(url)["ETag"]


def test_the_claim_list_gets_304_while_its_page_is_unchanged(api, corpus):
    url = reverse("claim-list")
    first = api.get(url, {"page_size": 5})
    assert first["Last-Modified"]
    again = api.get(url, {"page_size": 5}, HTTP_IF_NONE_MATCH=first["ETag"])
    assert again.status_code == 304
    assert again.content == b""
    since = api.get(url, {"page_size": 5}, HTTP_IF_MODIFIED_SINCE=first["Last-Modified"])
    assert since.status_code == 304
    # Another page, another representation: another ETag.
    other = api.get(url, {"page_size": 6})
    assert other["ETag"] != first["ETag"]
    linked = api.get(url, {"page_size": 5, "format": "jsonld"})
    assert linked["ETag"] != first["ETag"] and linked["ETag"].endswith('-jsonld"')


def test_an_edit_on_the_page_changes_the_list_etag(api, corpus):
    url = reverse("claim-list")
    first = api.get(url, {"page_size": 5})
    claim = Claim.objects.get(uuid=first.json()["results"][2]["id"])
    claim_update(claim=claim, language="en-GB")
    response = api.get(url, {"page_size": 5}, HTTP_IF_NONE_MATCH=first["ETag"])
    assert response.status_code == 200
    assert response["ETag"] != first["ETag"]


FEED_TEXT = (
    "Japan was the only G7 country not to expel Russian diplomats after the Skripal attack. "
    "Tokyo said it would watch the investigation. Moscow thanked Tokyo for its restraint."
)
QUOTES = ["the only G7 country", "watch the investigation", "thanked Tokyo"]


@pytest.mark.django_db(transaction=True)  # the change feed dates a write as it commits
def test_a_claim_deleted_from_the_page_moves_the_list_last_modified(api):
    source = source_create(slug="conditional-list", text=FEED_TEXT, title="Feed")
    claims = [
        claim_create(
            text=f"Claim {number} about the Skripal attack.",
            citations=[{"source": source, "quote": quote, "stance": "supports"}],
        )
        for number, quote in enumerate(QUOTES)
    ]
    Change.objects.update(at=LONG_AGO)
    url = reverse("claim-list")
    first = api.get(url, {"source": source.slug})
    assert len(first.json()["results"]) == 3
    assert first["Last-Modified"] == http_date(LONG_AGO.timestamp())
    claim_delete(claim=claims[1])
    response = api.get(url, {"source": source.slug}, HTTP_IF_MODIFIED_SINCE=first["Last-Modified"])
    assert response.status_code == 200
    assert len(response.json()["results"]) == 2
    assert parse_http_date(response["Last-Modified"]) > LONG_AGO.timestamp()


def queries_for(api, url, **params) -> int:
    etag = api.get(url, params)["ETag"]
    with CaptureQueriesContext(connection) as queries:
        response = api.get(url, params, HTTP_IF_NONE_MATCH=etag)
    assert response.status_code == 304
    return len(queries)


@pytest.mark.parametrize("kind", KINDS)
def test_a_304_for_a_record_costs_one_query(api, corpus, kind):
    assert queries_for(api, detail_url(kind, records()[kind])) == 1


@pytest.mark.parametrize("kind", KINDS)
def test_a_304_for_a_list_costs_one_query_whatever_the_page_size(api, corpus, kind):
    url = reverse(f"{kind}-list")
    assert queries_for(api, url, page_size=2) == 1
    assert queries_for(api, url, page_size=100) == 1


@pytest.mark.parametrize("kind", KINDS)
def test_every_list_has_an_etag_that_follows_its_page(api, corpus, kind):
    url = reverse(f"{kind}-list")
    first = api.get(url, {"page_size": 3})
    assert first.status_code == 200
    assert api.get(url, {"page_size": 3}, HTTP_IF_NONE_MATCH=first["ETag"]).status_code == 304
    following = api.get(first.json()["next"])
    assert following["ETag"] != first["ETag"]


@pytest.mark.parametrize("path", ["/api/v1/claims/", "/api/v1/authors/{id}/"])
def test_the_schema_documents_conditional_reads(api, path):
    operation = api.get(reverse("schema"), {"format": "json"}).json()["paths"][path]["get"]
    headers = {p["name"] for p in operation["parameters"] if p["in"] == "header"}
    assert {"If-None-Match", "If-Modified-Since"} <= headers
    assert "304" in operation["responses"]
    assert {"ETag", "Last-Modified"} <= set(operation["responses"]["200"]["headers"])


def test_a_malformed_claim_id_is_still_a_404(api, corpus):
    response = api.get("/api/v1/claims/" + "-" * 36 + "/", HTTP_IF_NONE_MATCH='"1"')
    assert response.status_code == 404
    assert response.json()["type"] == "not_found"
