import pytest
from django.contrib.auth.models import User
from django.urls import reverse
from rest_framework.test import APIClient

from claims.models import Citation, Claim
from sources.models import Passage, Source

pytestmark = pytest.mark.django_db

DIPLOMAT = "new-cold-war-forces-japan-to-choose-sides"
QUOTE = "28 states joined the U.K. in expelling Russian diplomats"


def diplomat() -> Source:
    return Source.objects.get(slug=DIPLOMAT)


def new_claim(**overrides) -> dict:
    return {
        "text": "Twenty-eight states expelled Russian diplomats over the Skripal attack.",
        "topics": ["skripal"],
        "status": "published",
        "citations": [{"source": diplomat().pk, "quote": QUOTE.upper(), "stance": "supports"}],
        **overrides,
    }


def test_a_writes_response_is_the_claim_as_its_detail_and_the_list_then_show_it(
    curator_api, corpus
):
    """Writes answer with the claim built from instances; reads build it from rows."""
    created = curator_api.post(reverse("claim-list"), new_claim(), format="json")
    assert created.status_code == 201, created.json()
    url = reverse("claim-detail", kwargs={"id": created.json()["id"]})
    changed = curator_api.patch(url, {"topics": ["skripal", "sanctions"]}, format="json")
    assert changed.status_code == 200, changed.json()
    detail = curator_api.get(url)
    assert detail.content == changed.content
    assert detail["ETag"] == changed["ETag"]
    page = curator_api.get(reverse("claim-list"), {"page_size": 1}).json()
    assert page["results"] == [changed.json()]


def test_curator_creates_a_claim_citing_a_seed_passage_by_quote(curator_api, curator, corpus):
    response = curator_api.post(reverse("claim-list"), new_claim(), format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    citation = body["citations"][0]
    assert citation["passage"]["exact"] == QUOTE
    assert citation["author"]["slug"] == "james-d-j-brown"
    assert body["verdict"]["verdict"] == "supported"
    claim = Claim.objects.get(uuid=body["id"])
    assert claim.created_by == curator and claim.reviewed_by == curator
    listed = curator_api.get(reverse("claim-list"), {"source": DIPLOMAT, "page_size": 100})
    assert body["id"] in {c["id"] for c in listed.json()["results"]}


def test_a_citation_that_does_not_anchor_leaves_nothing_behind(curator_api, corpus):
    claims, passages = Claim.objects.count(), Passage.objects.count()
    payload = new_claim(
        citations=[
            {"source": diplomat().pk, "quote": QUOTE, "stance": "supports"},
            {
                "source": diplomat().pk,
                "quote": "Japan expelled twenty diplomats",
                "stance": "refutes",
            },
        ]
    )
    response = curator_api.post(reverse("claim-list"), payload, format="json")
    assert response.status_code == 400
    body = response.json()
    assert body["type"] == "validation_error"
    assert "does not occur" in body["errors"]["citations.1.quote"][0]
    assert (Claim.objects.count(), Passage.objects.count()) == (claims, passages)


def test_an_ambiguous_quote_is_refused_with_its_candidates(curator_api, corpus):
    source = Source.objects.get(slug="abe-courtship-of-putin-yields-little-for-japan")
    payload = new_claim(
        citations=[{"source": source.pk, "quote": "yielded little for Japan", "stance": "supports"}]
    )
    response = curator_api.post(reverse("claim-list"), payload, format="json")
    assert response.status_code == 400
    assert "occurs 2 times" in response.json()["errors"]["citations.0.quote"][0]


def test_a_citation_may_name_an_existing_passage_and_a_quoted_author(curator_api, corpus):
    passage = Passage.objects.filter(exact__contains="no territorial problems").get()
    payload = new_claim(
        text="Russia denies having a territorial problem with Japan.",
        citations=[
            {
                "passage": passage.pk,
                "stance": "supports",
                "author": "vladimir-putin",
                "attribution": "quote",
            }
        ],
    )
    response = curator_api.post(reverse("claim-list"), payload, format="json")
    assert response.status_code == 201, response.json()
    citation = response.json()["citations"][0]
    assert citation["author"]["slug"] == "vladimir-putin"
    assert citation["attribution"] == "quote"


def test_a_claim_needs_at_least_one_citation(curator_api):
    response = curator_api.post(reverse("claim-list"), new_claim(citations=[]), format="json")
    assert response.status_code == 400
    assert "citations" in response.json()["errors"]


@pytest.mark.parametrize(
    "citation, field",
    [
        ({"stance": "supports"}, "citations.0.quote"),
        ({"source": 1, "stance": "supports"}, "citations.0.quote"),
        ({"quote": "x", "stance": "supports"}, "citations.0.source"),
        ({"source": 1, "quote": "x", "passage": 1, "stance": "supports"}, "citations.0.passage"),
        ({"source": 1, "quote": "x", "stance": "agrees"}, "citations.0.stance"),
        ({"source": 999999, "quote": "x", "stance": "supports"}, "citations.0.source"),
        (
            {"source": 1, "quote": "x", "stance": "supports", "author": "nobody"},
            "citations.0.author",
        ),
    ],
)
def test_malformed_citations_are_refused_naming_the_field(curator_api, corpus, citation, field):
    response = curator_api.post(
        reverse("claim-list"), new_claim(citations=[citation]), format="json"
    )
    assert response.status_code == 400
    assert field in response.json()["errors"]


def test_writes_need_a_curator_token(api, corpus):
    response = api.post(reverse("claim-list"), new_claim(), format="json")
    assert response.status_code == 401
    assert response.json()["type"] == "not_authenticated"


def test_a_user_outside_the_curators_group_cannot_write(corpus):
    from api.tokens import token_create

    reader = User.objects.create_user("reader")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token_create(user=reader)}")
    response = client.post(reverse("claim-list"), new_claim(), format="json")
    assert response.status_code == 403
    assert response.json()["type"] == "permission_denied"


def test_curator_updates_and_retracts_a_claim(curator_api, corpus):
    claim = Claim.objects.get(slug="japan-did-not-expel-russian-diplomats-after-skripal")
    url = reverse("claim-detail", kwargs={"id": claim.uuid})
    response = curator_api.patch(url, {"topics": ["skripal", "g7"]}, format="json")
    assert response.status_code == 200
    assert response.json()["topics"] == ["g7", "skripal"]
    response = curator_api.post(url + "retract/", {"reason": "Superseded."}, format="json")
    assert response.json()["status"] == "retracted"
    assert response.json()["retraction_reason"] == "Superseded."
    listed = curator_api.get(reverse("claim-list"), {"status": "retracted"}).json()["results"]
    assert [c["id"] for c in listed] == [str(claim.uuid)]


def test_retracting_needs_a_reason(curator_api, corpus):
    claim = Claim.objects.first()
    response = curator_api.post(
        reverse("claim-retract", kwargs={"id": claim.uuid}), {}, format="json"
    )
    assert response.status_code == 400
    assert "reason" in response.json()["errors"]


def test_only_users_with_the_delete_permission_may_delete_a_claim(curator_api, staff_api, corpus):
    claim = Claim.objects.first()
    url = reverse("claim-detail", kwargs={"id": claim.uuid})
    assert curator_api.delete(url).status_code == 403
    passages = set(claim.citations.values_list("passage", flat=True))
    assert staff_api.delete(url).status_code == 204
    assert not Claim.objects.filter(pk=claim.pk).exists()
    assert Passage.objects.filter(pk__in=passages).count() == len(passages)


def test_deleting_evidence_over_the_api_is_refused_with_a_conflict(staff_api, corpus):
    response = staff_api.delete(reverse("source-detail", kwargs={"pk": diplomat().pk}))
    assert response.status_code == 409
    assert response.json()["type"] == "conflict"
    author = Citation.objects.exclude(author=None).first().author
    assert staff_api.delete(reverse("author-detail", kwargs={"pk": author.pk})).status_code == 409


def test_citations_can_be_added_changed_and_removed(curator_api, corpus):
    claim = Claim.objects.get(slug="japan-did-not-expel-russian-diplomats-after-skripal")
    response = curator_api.post(
        reverse("citation-list"),
        {
            "claim": str(claim.uuid),
            "source": diplomat().pk,
            "quote": QUOTE,
            "stance": "neutral",
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    url = reverse("citation-detail", kwargs={"pk": response.json()["id"]})
    assert (
        curator_api.patch(url, {"stance": "refutes"}, format="json").json()["stance"] == "refutes"
    )
    detail = curator_api.get(reverse("claim-detail", kwargs={"id": claim.uuid})).json()
    assert detail["verdict"]["verdict"] == "contested"
    assert curator_api.delete(url).status_code == 204
    again = curator_api.post(
        reverse("citation-list"),
        {
            "claim": str(claim.uuid),
            "source": diplomat().pk,
            "quote": "Within the G7, Japan was the only country not to expel Russian diplomats "
            "following the Skripal attack",
            "stance": "supports",
        },
        format="json",
    )
    assert again.status_code == 409
    assert "already cited" in again.json()["detail"]
    assert again.json()["existing"]["claim"] == str(claim.uuid)


def test_anchor_endpoint_returns_offsets_and_selectors(api, corpus):
    source = diplomat()
    response = api.post(
        reverse("source-anchor", kwargs={"pk": source.pk}), {"quote": QUOTE.lower()}, format="json"
    )
    assert response.status_code == 200
    body = response.json()
    assert source.text[body["start"] : body["end"]] == body["exact"] == QUOTE
    assert source.text[: body["start"]].endswith(body["prefix"])


@pytest.mark.parametrize(
    "quote, code", [("", "validation_error"), ("not in this text at all", "validation_error")]
)
def test_anchor_endpoint_refuses_with_a_reason(api, corpus, quote, code):
    response = api.post(
        reverse("source-anchor", kwargs={"pk": diplomat().pk}), {"quote": quote}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["type"] == code
    assert "quote" in response.json()["errors"]


def test_curator_archives_a_source_and_cites_it(curator_api):
    response = curator_api.post(
        reverse("source-list"),
        {
            "slug": "a-test-note",
            "title": "A note",
            "text": "Tokyo’s “line” – unchanged.",
            "kind": "other",
            "published_on": "2018-05-01",
            "published_precision": "month",
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    source_id = response.json()["id"]
    assert response.json()["sha256"]
    passage = curator_api.post(
        reverse("passage-list"), {"source": source_id, "quote": '"line" - unchanged'}, format="json"
    )
    assert passage.status_code == 201
    assert passage.json()["exact"] == "“line” – unchanged"
    changed = curator_api.patch(
        reverse("source-detail", kwargs={"pk": source_id}), {"text": "Another text."}, format="json"
    )
    assert changed.status_code == 400
    assert "text" in changed.json()["errors"]


def test_a_source_slug_must_be_unique(curator_api, corpus):
    response = curator_api.post(
        reverse("source-list"), {"slug": DIPLOMAT, "text": "x"}, format="json"
    )
    assert response.status_code == 409
    assert response.json()["existing"]["slug"] == DIPLOMAT


def test_curator_records_an_author(curator_api):
    response = curator_api.post(reverse("author-list"), {"name": "Sergei Lavrov"}, format="json")
    assert response.status_code == 201
    assert response.json()["slug"] == "sergei-lavrov"
    again = curator_api.post(reverse("author-list"), {"name": "Sergei Lavrov"}, format="json")
    assert again.status_code == 409
    assert again.json()["existing"]["id"] == response.json()["id"]
