"""Claims as schema.org ClaimReview JSON-LD, checked against what Google's fact-check markup needs.

Google's ClaimReview structured data requires `claimReviewed`, `reviewRating`
(a Rating with `alternateName`) and `url`, and recommends `author` (name, url),
`datePublished`, the rating's `ratingValue`/`bestRating`/`worstRating`, and an
`itemReviewed` Claim with `author`, `datePublished` and `appearance`.
"""

import json

import pytest
from django.urls import reverse
from pyld import jsonld

from claims.jsonld import RATING_VALUES
from claims.models import Claim, Verdict

pytestmark = pytest.mark.django_db

LD = "application/ld+json"


def seed_claim(verdict: Verdict, **lookups) -> Claim:
    return (
        Claim.objects.with_verdict()
        .filter(verdict=verdict, status=Claim.Status.PUBLISHED, **lookups)
        .order_by("slug")
        .first()
    )


def claim_url(claim: Claim) -> str:
    return reverse("claim-detail", kwargs={"id": claim.uuid})


def review_of(api, claim: Claim, **headers) -> dict:
    response = api.get(claim_url(claim), HTTP_ACCEPT=LD, **headers)
    assert response.status_code == 200
    assert response["Content-Type"].startswith(LD)
    return json.loads(response.content)


def assert_google_claim_review(review: dict) -> None:
    assert review["@type"] == "ClaimReview"
    assert review["claimReviewed"]
    assert review["url"].startswith("http://testserver/api/v1/claims/")
    rating = review["reviewRating"]
    assert rating["@type"] == "Rating"
    assert rating["alternateName"] in Verdict.labels
    assert rating["worstRating"] <= rating["ratingValue"] <= rating["bestRating"]
    assert (rating["worstRating"], rating["bestRating"]) == (1, 5)
    assert review["author"]["@type"] == "Organization"
    assert review["author"]["name"] and review["author"]["url"].startswith("http")
    assert len(review["datePublished"]) == 10
    item = review["itemReviewed"]
    assert item["@type"] == "Claim"
    assert item["appearance"]
    for work in item["appearance"]:
        assert work["@type"] == "CreativeWork"
        assert work["url"].startswith("http") and work["headline"]
    for quotation in review["citation"]:
        assert quotation["@type"] == "Quotation"
        position, quote = quotation["oa:hasSelector"]
        assert position["@type"] == "oa:TextPositionSelector"
        assert quote["@type"] == "oa:TextQuoteSelector"
        assert quote["oa:exact"] == quotation["text"]
        assert position["oa:end"] - position["oa:start"] == len(quotation["text"])


def test_the_seed_corpus_has_supported_refuted_and_contested_claims(corpus):
    for verdict in (Verdict.SUPPORTED, Verdict.REFUTED, Verdict.CONTESTED):
        assert seed_claim(verdict) is not None, verdict


@pytest.mark.parametrize("verdict", [Verdict.SUPPORTED, Verdict.REFUTED, Verdict.CONTESTED])
def test_a_claim_is_a_claim_review_with_every_property_google_requires(api, corpus, verdict):
    claim = seed_claim(verdict)
    review = review_of(api, claim)
    assert_google_claim_review(review)
    assert "https://schema.org" in review["@context"]
    assert review["claimReviewed"] == claim.text
    assert review["url"] == f"http://testserver{claim_url(claim)}"
    assert review["reviewRating"]["alternateName"] == verdict.label
    assert review["reviewRating"]["ratingValue"] == RATING_VALUES[verdict]


def test_the_rating_scale_runs_from_refuted_to_supported():
    assert RATING_VALUES == {
        Verdict.REFUTED: 1,
        Verdict.CONTESTED: 2,
        Verdict.UNVERIFIED: 3,
        Verdict.SUPPORTED: 5,
    }


def test_a_supported_claim_names_its_supporting_authors_and_first_publication(api, corpus):
    claim = seed_claim(Verdict.SUPPORTED, citations__author__kind="person")
    item = review_of(api, claim)["itemReviewed"]
    supporting = claim.citations.filter(stance="supports").select_related(
        "author", "passage__source"
    )
    names = {c.author.name for c in supporting if c.author}
    assert {author["name"] for author in item["author"]} == names
    assert all(author["@type"] in ("Person", "Organization") for author in item["author"])
    first = min(c.passage.source.published_on for c in supporting).isoformat()
    assert first.startswith(item["datePublished"])


def test_a_refuted_claim_names_no_author_nobody_on_record_made_it(api, corpus):
    item = review_of(api, seed_claim(Verdict.REFUTED))["itemReviewed"]
    assert "author" not in item
    assert item["appearance"]


def test_each_cited_source_appears_once_with_its_outlet_as_publisher(api, corpus):
    claim = seed_claim(Verdict.CONTESTED)
    appearance = review_of(api, claim)["itemReviewed"]["appearance"]
    sources = {c.passage.source for c in claim.citations.select_related("passage__source")}
    assert len(appearance) == len(sources)
    by_title = {work["headline"]: work for work in appearance}
    for source in sources:
        work = by_title[source.title]
        assert work["archivedAt"] == f"http://testserver/api/v1/sources/{source.pk}/"
        if source.outlet:
            assert work["publisher"] == {"@type": "Organization", "name": source.outlet}


def test_every_citation_is_a_quotation_with_its_stance_and_w3c_selectors(api, corpus):
    claim = seed_claim(Verdict.CONTESTED)
    quotations = review_of(api, claim)["citation"]
    citations = claim.citations.select_related("passage")
    assert len(quotations) == citations.count()
    by_id = {q["@id"]: q for q in quotations}
    for citation in citations:
        quotation = by_id[f"http://testserver/api/v1/citations/{citation.pk}/"]
        assert quotation["stance"] == citation.stance
        position, quote = quotation["oa:hasSelector"]
        assert (position["oa:start"], position["oa:end"]) == (
            citation.passage.start,
            citation.passage.end,
        )
        assert (quote["oa:exact"], quote["oa:prefix"], quote["oa:suffix"]) == (
            citation.passage.exact,
            citation.passage.prefix,
            citation.passage.suffix,
        )
    assert {q["stance"] for q in quotations} >= {"supports", "refutes"}


def test_format_jsonld_in_the_query_gives_the_same_review(api, corpus):
    claim = seed_claim(Verdict.SUPPORTED)
    response = api.get(claim_url(claim), {"format": "jsonld"})
    assert response["Content-Type"].startswith(LD)
    body = json.loads(response.content)
    assert body["claimReviewed"] == claim.text
    assert body["url"] == f"http://testserver{claim_url(claim)}"


def test_json_stays_the_default_and_both_vary_with_accept(api, corpus):
    url = claim_url(seed_claim(Verdict.SUPPORTED))
    plain = api.get(url)
    linked = api.get(url, HTTP_ACCEPT=LD)
    assert plain["Content-Type"] == "application/json"
    assert "claimReviewed" not in plain.json()
    for response in (plain, linked):
        assert "Accept" in response["Vary"]


def test_the_publisher_is_a_setting(api, corpus, settings):
    settings.CLAIMBASE_PUBLISHER_NAME = "Example Fact Checks"
    settings.CLAIMBASE_PUBLISHER_URL = "https://facts.example.org/"
    author = review_of(api, seed_claim(Verdict.SUPPORTED))["author"]
    assert author == {
        "@type": "Organization",
        "name": "Example Fact Checks",
        "url": "https://facts.example.org/",
    }


def test_the_claim_list_is_an_item_list_of_claim_reviews_with_its_pages(api, corpus):
    response = api.get(reverse("claim-list"), {"page_size": 3}, HTTP_ACCEPT=LD)
    assert response["Content-Type"].startswith(LD)
    body = json.loads(response.content)
    assert body["@type"] == "ItemList"
    assert [item["position"] for item in body["itemListElement"]] == [1, 2, 3]
    for item in body["itemListElement"]:
        assert_google_claim_review(item["item"])
    assert "page_size=3" in body["next"]
    following = json.loads(api.get(body["next"], HTTP_ACCEPT=LD).content)
    first_ids = {item["item"]["@id"] for item in body["itemListElement"]}
    assert first_ids.isdisjoint(item["item"]["@id"] for item in following["itemListElement"])
    assert following["previous"]


def test_an_unknown_claim_in_jsonld_is_the_one_json_error(api, corpus):
    url = reverse("claim-detail", kwargs={"id": "00000000-0000-0000-0000-000000000000"})
    response = api.get(url, HTTP_ACCEPT=LD)
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json()["type"] == "not_found"


def test_other_claim_actions_do_not_offer_jsonld(api, corpus):
    url = reverse("claim-history", kwargs={"id": seed_claim(Verdict.SUPPORTED).uuid})
    assert api.get(url, HTTP_ACCEPT=LD).status_code == 406


def test_the_schema_lists_jsonld_for_claim_reads(api, corpus):
    schema = api.get(reverse("schema"), {"format": "json"}).json()
    detail = schema["paths"]["/api/v1/claims/{id}/"]["get"]["responses"]["200"]["content"]
    listing = schema["paths"]["/api/v1/claims/"]["get"]["responses"]["200"]["content"]
    assert LD in detail and LD in listing
    assert "application/json" in detail and "application/json" in listing


def offline_loader(url, options=None):
    """schema.org's context, stood in for by its vocabulary: tests never go online."""
    assert url.rstrip("/") in ("https://schema.org", "http://schema.org"), url
    return {
        "contentType": "application/ld+json",
        "contextUrl": None,
        "documentUrl": url,
        "document": {"@context": {"@vocab": "https://schema.org/"}},
    }


def expand(document: dict) -> list:
    return jsonld.expand(document, {"documentLoader": offline_loader})


def test_the_claim_review_expands_as_json_ld_with_its_selectors(api, corpus):
    claim = seed_claim(Verdict.CONTESTED)
    [review] = expand(review_of(api, claim))
    assert review["@type"] == ["https://schema.org/ClaimReview"]
    assert review["https://schema.org/claimReviewed"] == [{"@value": claim.text}]
    rating = review["https://schema.org/reviewRating"][0]
    assert rating["https://schema.org/alternateName"] == [{"@value": "Contested"}]
    quotation = review["https://schema.org/citation"][0]
    types = {selector["@type"][0] for selector in quotation["http://www.w3.org/ns/oa#hasSelector"]}
    assert types == {
        "http://www.w3.org/ns/oa#TextPositionSelector",
        "http://www.w3.org/ns/oa#TextQuoteSelector",
    }
    stance = quotation["http://testserver/api/docs/#stance"][0]["@value"]
    assert stance in ("supports", "refutes", "neutral")


def test_the_list_expands_with_its_next_page_as_a_link(api, corpus):
    body = json.loads(api.get(reverse("claim-list"), {"page_size": 2, "format": "jsonld"}).content)
    [page] = expand(body)
    assert page["@type"] == ["https://schema.org/ItemList"]
    assert page["http://www.w3.org/ns/hydra/core#next"] == [{"@id": body["next"]}]
    assert len(page["https://schema.org/itemListElement"]) == 2
