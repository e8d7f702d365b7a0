"""Claim-to-claim relations: duplicates, contradicts, refines — rules, API, admin."""

import pytest
from django.contrib.auth.models import User
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from rest_framework.test import APIClient

from api.tokens import token_create
from claims.models import Claim, ClaimRelation
from claims.services import (
    claim_create,
    claim_delete,
    claim_update,
    relation_add,
    relation_delete,
)
from sources.services import AlreadyExists
from tests.claims.test_admin import claim_form

pytestmark = pytest.mark.django_db

SKRIPAL = "japan-did-not-expel-russian-diplomats-after-skripal"
CRIMEA = "japan-imposed-sanctions-on-russia-over-crimea"
WEAK = "japans-crimea-sanctions-on-russia-were-deliberately-weak"
REWORDED = "Japan expelled no Russian diplomats after Skripal was poisoned."


def seed(slug: str) -> Claim:
    return Claim.objects.get(slug=slug)


def new_claim(text: str, cited: str = SKRIPAL, **fields) -> Claim:
    """A published claim citing the first passage of the seed claim `cited`."""
    passage = seed(cited).citations.first().passage
    return claim_create(
        text=text,
        status="published",
        citations=[{"passage": passage, "stance": "supports"}],
        **fields,
    )


@pytest.fixture
def copy(corpus) -> Claim:
    """A second claim saying what the Skripal claim says."""
    return new_claim(REWORDED)


def relations_url(claim: Claim) -> str:
    return reverse("claim-relation-list", kwargs={"id": claim.uuid})


def detail(api, claim: Claim) -> dict:
    return api.get(reverse("claim-detail", kwargs={"id": claim.uuid})).json()


# --- the rules ------------------------------------------------------------------------


def test_a_claim_cannot_be_related_to_itself(corpus):
    claim = seed(SKRIPAL)
    with pytest.raises(Exception) as refused:
        relation_add(subject=claim, object=claim, kind="contradicts")
    assert refused.value.message_dict == {"object": ["A claim cannot be related to itself."]}
    with pytest.raises(IntegrityError), transaction.atomic():
        ClaimRelation.objects.create(subject=claim, object=claim, kind="contradicts")


def test_two_claims_have_one_relation_whichever_way_it_reads(copy):
    stored = relation_add(subject=copy, object=seed(SKRIPAL), kind="duplicates")
    for subject, other, kind in [
        (copy, seed(SKRIPAL), "duplicates"),
        (copy, seed(SKRIPAL), "refines"),
        (seed(SKRIPAL), copy, "contradicts"),
    ]:
        with pytest.raises(AlreadyExists) as refused:
            relation_add(subject=subject, object=other, kind=kind)
        assert refused.value.record == stored
    assert ClaimRelation.objects.count() == 1


def test_the_database_holds_one_relation_per_pair_and_one_canonical_claim(copy):
    skripal, crimea = seed(SKRIPAL), seed(CRIMEA)
    ClaimRelation.objects.create(subject=copy, object=skripal, kind="duplicates")
    with pytest.raises(IntegrityError), transaction.atomic():
        ClaimRelation.objects.create(subject=skripal, object=copy, kind="contradicts")
    with pytest.raises(IntegrityError), transaction.atomic():
        ClaimRelation.objects.create(subject=copy, object=crimea, kind="duplicates")
    ClaimRelation.objects.create(subject=copy, object=crimea, kind="contradicts")
    assert ClaimRelation.objects.count() == 2


def test_a_duplicate_of_a_duplicate_is_refused_naming_the_canonical_claim(copy):
    relation_add(subject=copy, object=seed(SKRIPAL), kind="duplicates")
    third = new_claim("Tokyo kept every Russian envoy after the Salisbury poisoning.")
    with pytest.raises(Exception) as refused:
        relation_add(subject=third, object=copy, kind="duplicates")
    message = refused.value.message_dict["object"][0]
    assert "is itself a duplicate of “japan-did-not-expel-russian-diplomats-after-skripal”" in (
        message
    )
    assert str(seed(SKRIPAL).uuid) in message
    relation_add(subject=third, object=seed(SKRIPAL), kind="duplicates")  # the way it is done
    assert ClaimRelation.objects.filter(object=seed(SKRIPAL), kind="duplicates").count() == 2


def test_a_claim_that_others_duplicate_cannot_become_a_duplicate(copy):
    relation_add(subject=copy, object=seed(SKRIPAL), kind="duplicates")
    with pytest.raises(Exception) as refused:
        relation_add(subject=seed(SKRIPAL), object=seed(CRIMEA), kind="duplicates")
    assert (
        "is the canonical claim of “japan-expelled-no-russian"
        in (refused.value.message_dict["subject"][0])
    )
    with pytest.raises(Exception) as twice:
        relation_add(subject=copy, object=seed(CRIMEA), kind="duplicates")
    assert "a duplicate has one canonical claim" in twice.value.message_dict["subject"][0]
    # Other kinds may point anywhere.
    relation_add(subject=seed(SKRIPAL), object=seed(CRIMEA), kind="refines")


def test_relating_claims_bumps_both_versions_and_records_who(copy, curator):
    skripal = seed(SKRIPAL)
    before = (copy.version, skripal.version)
    relation = relation_add(subject=copy, object=skripal, kind="duplicates", user=curator)
    copy.refresh_from_db()
    skripal.refresh_from_db()
    assert (copy.version, skripal.version) == (before[0] + 1, before[1] + 1)
    assert relation.created_by == curator
    assert relation.history.get().history_user == curator
    relation_delete(relation=relation, user=curator)
    assert relation.history.filter(history_type="-").get().history_user == curator
    assert Claim.objects.get(pk=copy.pk).version == before[0] + 2


def test_deleting_a_claim_removes_its_relations_and_tells_the_other_claim(copy):
    skripal = seed(SKRIPAL)
    relation_add(subject=copy, object=skripal, kind="duplicates")
    version = Claim.objects.get(pk=skripal.pk).version
    claim_delete(claim=copy)
    assert not ClaimRelation.objects.exists()
    assert Claim.objects.get(pk=skripal.pk).version == version + 1
    assert ClaimRelation.history.filter(history_type="-").count() == 1


# --- the API ---------------------------------------------------------------------------


def test_a_curator_marks_a_duplicate_and_both_claims_show_it(curator_api, api, copy):
    skripal = seed(SKRIPAL)
    response = curator_api.post(
        relations_url(copy),
        {"kind": "duplicates", "object": str(skripal.uuid), "note": "Same words, nearly."},
        format="json",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["subject"]["id"] == str(copy.uuid)
    assert body["object"] == {
        "id": str(skripal.uuid),
        "slug": SKRIPAL,
        "text": skripal.text,
        "status": "published",
    }
    assert (body["kind"], body["note"], body["created_by"]) == (
        "duplicates",
        "Same words, nearly.",
        "curator",
    )
    assert detail(api, copy)["relations"] == [
        {"id": body["id"], "role": "duplicates", "claim": body["object"]}
    ]
    assert detail(api, skripal)["relations"] == [
        {"id": body["id"], "role": "duplicated_by", "claim": body["subject"]}
    ]


def test_relations_are_listed_a_page_at_a_time_on_both_claims(curator_api, api, copy):
    skripal = seed(SKRIPAL)
    relation_add(subject=copy, object=skripal, kind="duplicates")
    relation_add(subject=seed(WEAK), object=skripal, kind="refines")
    page = api.get(relations_url(skripal), {"page_size": 1}).json()
    assert len(page["results"]) == 1 and page["next"]
    second = api.get(page["next"]).json()
    kinds = {page["results"][0]["kind"], second["results"][0]["kind"]}
    assert kinds == {"duplicates", "refines"}
    assert [r["kind"] for r in api.get(relations_url(copy)).json()["results"]] == ["duplicates"]
    roles = {r["role"] for r in detail(api, skripal)["relations"]}
    assert roles == {"duplicated_by", "refined_by"}


def test_a_second_relation_between_two_claims_is_a_409_with_the_stored_one(curator_api, copy):
    skripal = seed(SKRIPAL)
    first = curator_api.post(
        relations_url(copy), {"kind": "duplicates", "object": str(skripal.uuid)}, format="json"
    )
    again = curator_api.post(
        relations_url(skripal), {"kind": "contradicts", "object": str(copy.uuid)}, format="json"
    )
    assert again.status_code == 409
    assert again.json()["existing"]["id"] == first.json()["id"]
    assert ClaimRelation.objects.count() == 1


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"kind": "duplicates"}, "object"),
        ({"kind": "duplicates", "object": "not-a-uuid"}, "object"),
        ({"kind": "duplicates", "object": "00000000-0000-0000-0000-000000000000"}, "object"),
        ({"kind": "resembles", "object": "SELF"}, "kind"),
        ({"kind": "contradicts", "object": "SELF"}, "object"),
        ({"kind": "contradicts", "object": "SELF", "note": 3}, "note"),
    ],
)
def test_a_bad_relation_is_a_400_naming_the_field(curator_api, copy, body, field):
    if body.get("object") == "SELF":
        body = {**body, "object": str(copy.uuid)}
    response = curator_api.post(relations_url(copy), body, format="json")
    assert response.status_code == 400
    assert field in response.json()["errors"]
    assert not ClaimRelation.objects.exists()


def test_a_duplicate_chain_is_a_400_naming_the_canonical_claim(curator_api, copy):
    relation_add(subject=copy, object=seed(SKRIPAL), kind="duplicates")
    third = new_claim("Tokyo kept every Russian envoy after the Salisbury poisoning.")
    response = curator_api.post(
        relations_url(third), {"kind": "duplicates", "object": str(copy.uuid)}, format="json"
    )
    assert response.status_code == 400
    assert SKRIPAL in response.json()["errors"]["object"][0]


def test_only_curators_relate_claims(api, copy):
    body = {"kind": "contradicts", "object": str(seed(CRIMEA).uuid)}
    assert api.post(relations_url(copy), body, format="json").status_code == 401
    reader = APIClient()
    reader.credentials(
        HTTP_AUTHORIZATION=f"Token {token_create(user=User.objects.create_user('reader'))}"
    )
    assert reader.post(relations_url(copy), body, format="json").status_code == 403
    relation = relation_add(subject=copy, object=seed(CRIMEA), kind="contradicts")
    url = reverse("claim-relation-detail", kwargs={"id": copy.uuid, "relation": relation.pk})
    assert reader.delete(url).status_code == 403
    assert ClaimRelation.objects.count() == 1


def test_a_curator_removes_a_relation_from_either_claim(curator_api, api, copy):
    relation = relation_add(subject=copy, object=seed(SKRIPAL), kind="duplicates")
    elsewhere = reverse(
        "claim-relation-detail", kwargs={"id": seed(CRIMEA).uuid, "relation": relation.pk}
    )
    assert curator_api.delete(elsewhere).status_code == 404
    url = reverse(
        "claim-relation-detail", kwargs={"id": seed(SKRIPAL).uuid, "relation": relation.pk}
    )
    assert api.get(url).json()["kind"] == "duplicates"
    assert curator_api.delete(url).status_code == 204
    assert detail(api, copy)["relations"] == []
    assert detail(api, seed(SKRIPAL))["relations"] == []


def test_a_claims_etag_changes_with_its_relations_and_the_claims_they_name(api, copy):
    skripal = seed(SKRIPAL)
    url = reverse("claim-detail", kwargs={"id": skripal.uuid})
    etag = api.get(url)["ETag"]
    assert api.get(url, HTTP_IF_NONE_MATCH=etag).status_code == 304
    relation_add(subject=copy, object=skripal, kind="duplicates")
    related = api.get(url, HTTP_IF_NONE_MATCH=etag)
    assert related.status_code == 200
    # The other claim's text is part of this claim's representation.
    claim_update(claim=copy, text="Japan sent home no Russian diplomats after Skripal.")
    changed = api.get(url, HTTP_IF_NONE_MATCH=related["ETag"])
    assert changed.status_code == 200
    assert changed.json()["relations"][0]["claim"]["text"].startswith("Japan sent home")
    assert api.get(url, HTTP_IF_NONE_MATCH=changed["ETag"]).status_code == 304


def test_a_claim_list_with_relations_runs_the_same_queries_for_one_claim_and_many(api, copy):
    relation_add(subject=copy, object=seed(SKRIPAL), kind="duplicates")
    relation_add(subject=seed(WEAK), object=seed(CRIMEA), kind="refines")
    relation_add(subject=seed(CRIMEA), object=seed(SKRIPAL), kind="contradicts")
    with CaptureQueriesContext(connection) as one:
        api.get(reverse("claim-list"), {"page_size": 1})
    with CaptureQueriesContext(connection) as many:
        page = api.get(reverse("claim-list"), {"page_size": 100}).json()
    assert len(one) == len(many)
    shown = {claim["id"]: len(claim["relations"]) for claim in page["results"]}
    stored = {
        str(claim.uuid): ClaimRelation.objects.touching(claim).count()
        for claim in Claim.objects.filter(uuid__in=shown)
    }
    assert shown == stored
    assert sum(shown.values()) >= 2


# --- similar claims on create ------------------------------------------------------------


def create_body(text: str) -> dict:
    passage = seed(SKRIPAL).citations.first().passage
    return {"text": text, "citations": [{"passage": passage.pk, "stance": "supports"}]}


def test_a_new_claim_saying_what_a_stored_one_says_lists_it_as_similar(curator_api, corpus):
    response = curator_api.post(reverse("claim-list"), create_body(REWORDED), format="json")
    assert response.status_code == 201
    similar = response.json()["similar"]
    skripal = seed(SKRIPAL)
    assert similar[0]["claim"] == {
        "id": str(skripal.uuid),
        "slug": SKRIPAL,
        "text": skripal.text,
        "status": "published",
        "verdict": "supported",
    }
    assert 0.7 <= similar[0]["score"] <= 1
    assert response.json()["id"] not in {found["claim"]["id"] for found in similar}


def test_a_new_claim_on_another_subject_lists_nothing_similar(curator_api, corpus):
    response = curator_api.post(
        reverse("claim-list"),
        create_body("The Eiffel Tower was completed in 1889 for the World's Fair."),
        format="json",
    )
    assert response.status_code == 201
    assert response.json()["similar"] == []


def test_the_same_statement_is_still_a_409_not_a_similar_claim(curator_api, corpus):
    response = curator_api.post(
        reverse("claim-list"), create_body(seed(SKRIPAL).text.upper()), format="json"
    )
    assert response.status_code == 409
    assert response.json()["existing"]["slug"] == SKRIPAL


# --- the lookup leads to the canonical claim ---------------------------------------------


def lookup(api, q: str) -> list[dict]:
    return api.get(reverse("claim-lookup"), {"q": q}).json()["results"]


SALISBURY = "Tokyo kept every Russian envoy in place after the Salisbury Novichok attack."


def test_a_lookup_hit_on_a_duplicate_shows_the_canonical_claim(api, corpus):
    duplicate = new_claim(SALISBURY)
    skripal = seed(SKRIPAL)
    before = lookup(api, "Russian envoy Salisbury Novichok")
    assert before[0]["claim"]["id"] == str(duplicate.uuid)
    relation_add(subject=duplicate, object=skripal, kind="duplicates")
    results = lookup(api, "Russian envoy Salisbury Novichok")
    ids = [result["claim"]["id"] for result in results]
    assert ids[0] == str(skripal.uuid)
    assert str(duplicate.uuid) not in ids
    assert results[0]["via"] == [
        {
            "id": str(duplicate.uuid),
            "slug": duplicate.slug,
            "text": SALISBURY,
            "status": "published",
        }
    ]
    assert results[0]["score"] == before[0]["score"]
    assert "<mark>" not in results[0]["highlights"]["claim"]


def test_a_canonical_claim_found_itself_and_through_a_duplicate_is_listed_once(api, corpus):
    duplicate = new_claim(SALISBURY)
    skripal = seed(SKRIPAL)
    relation_add(subject=duplicate, object=skripal, kind="duplicates")
    results = lookup(api, "Japan did not expel Russian diplomats after the Salisbury attack")
    ids = [result["claim"]["id"] for result in results]
    assert ids.count(str(skripal.uuid)) == 1
    assert str(duplicate.uuid) not in ids
    first = results[ids.index(str(skripal.uuid))]
    assert [via["id"] for via in first["via"]] == [str(duplicate.uuid)]
    assert "<mark>Japan</mark>" in first["highlights"]["claim"]


def test_a_duplicate_of_an_unpublished_claim_is_shown_itself(api, corpus):
    duplicate = new_claim(SALISBURY)
    draft = claim_create(text="A draft saying Japan kept the Russian envoys.")
    relation_add(subject=duplicate, object=draft, kind="duplicates")
    results = lookup(api, "Russian envoy Salisbury Novichok")
    assert results[0]["claim"]["id"] == str(duplicate.uuid)
    assert results[0]["via"] == []


# --- the admin ---------------------------------------------------------------------------


def admin_claim_form(text: str, **overrides) -> dict:
    passage = seed(SKRIPAL).citations.select_related("passage__source").first().passage
    return claim_form(passage.source, passage.exact, text=text, **overrides)


def test_the_admin_shows_similar_claims_before_storing_a_new_one(curator_client, corpus):
    url = reverse("admin:claims_claim_add")
    form = admin_claim_form(REWORDED, slug="reworded-skripal")
    response = curator_client.post(url, form)
    assert response.status_code == 200
    page = response.content.decode()
    assert "Stored claims may say the same" in page
    assert SKRIPAL in page
    assert not Claim.objects.filter(slug="reworded-skripal").exists()
    stored = curator_client.post(url, {**form, "store_anyway": "on"})
    assert stored.status_code == 302
    assert Claim.objects.filter(slug="reworded-skripal").exists()


def test_the_admin_stores_an_unrelated_claim_at_once(curator_client, corpus):
    form = admin_claim_form("The Eiffel Tower was completed in 1889.", slug="eiffel")
    assert curator_client.post(reverse("admin:claims_claim_add"), form).status_code == 302


def test_the_claim_admin_shows_relations_both_ways_and_adds_them_through_the_service(
    curator_client, copy
):
    skripal = seed(SKRIPAL)
    add = reverse("admin:claims_claimrelation_add")
    response = curator_client.post(
        add, {"subject": copy.pk, "kind": "duplicates", "object": skripal.pk, "note": ""}
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:claims_claim_change", args=[copy.pk])
    relation = ClaimRelation.objects.get()
    assert relation.created_by == curator_client.user
    assert Claim.objects.get(pk=skripal.pk).version == skripal.version + 1
    page = curator_client.get(reverse("admin:claims_claim_change", args=[skripal.pk]))
    assert "This claim <strong>duplicated by</strong>" in page.content.decode()
    page = curator_client.get(reverse("admin:claims_claim_change", args=[copy.pk]))
    assert "This claim <strong>duplicates</strong>" in page.content.decode()
    assert reverse("admin:claims_claimrelation_delete", args=[relation.pk]) in (
        page.content.decode()
    )


def test_the_relation_admin_refuses_a_chain_on_the_form(curator_client, copy):
    relation_add(subject=copy, object=seed(SKRIPAL), kind="duplicates")
    third = new_claim("Tokyo kept every Russian envoy after the Salisbury poisoning.")
    response = curator_client.post(
        reverse("admin:claims_claimrelation_add"),
        {"subject": third.pk, "kind": "duplicates", "object": copy.pk, "note": ""},
    )
    assert response.status_code == 200
    assert "is itself a duplicate of" in response.content.decode()
    assert ClaimRelation.objects.count() == 1


def test_a_curator_removes_a_relation_in_the_admin(curator_client, copy):
    relation = relation_add(subject=copy, object=seed(SKRIPAL), kind="duplicates")
    url = reverse("admin:claims_claimrelation_delete", args=[relation.pk])
    assert curator_client.post(url, {"post": "yes"}).status_code == 302
    assert not ClaimRelation.objects.exists()
    assert ClaimRelation.history.filter(history_type="-").get().history_user == (
        curator_client.user
    )


def test_a_claims_history_shows_its_relations_added_and_removed(api, curator, copy):
    relation = relation_add(subject=copy, object=seed(SKRIPAL), kind="duplicates", user=curator)
    relation_delete(relation=relation, user=curator)
    url = reverse("claim-history", kwargs={"id": seed(SKRIPAL).uuid})
    entries = [e for e in api.get(url).json()["results"] if e["object"] == "relation"]
    assert [entry["type"] for entry in entries] == ["deleted", "created"]
    created = {change["field"]: change["new"] for change in entries[1]["changes"]}
    assert created["subject"] == str(copy.uuid)
    assert created["object"] == str(seed(SKRIPAL).uuid)
    assert created["kind"] == "duplicates"
    assert entries[1]["user"] == "curator"
