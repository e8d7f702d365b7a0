"""Claims as schema.org ClaimReview JSON-LD, their cited passages as W3C Web Annotation targets.

The mapping reads the claim as the JSON API shows it (ClaimSerializer's data), so
the two representations say the same things. docs/jsonld.md documents it.
"""

from django.conf import settings
from django.urls import reverse
from drf_spectacular.extensions import OpenApiSerializerExtension
from drf_spectacular.utils import extend_schema_serializer
from rest_framework import serializers

from claims.models import Stance, Verdict

SCHEMA_ORG = "https://schema.org"
WEB_ANNOTATION = "http://www.w3.org/ns/oa#"
HYDRA = "http://www.w3.org/ns/hydra/core#"

# reviewRating.ratingValue, from worst (1) to best (5). 4 is unused: no verdict says
# "mostly supported". A contested claim has refuting evidence on record, so it rates
# below an unverified one, which has none either way.
RATING_VALUES = {
    Verdict.REFUTED: 1,
    Verdict.CONTESTED: 2,
    Verdict.UNVERIFIED: 3,
    Verdict.SUPPORTED: 5,
}
BEST_RATING, WORST_RATING = 5, 1

RATING_EXPLANATIONS = {
    Verdict.SUPPORTED: "Only supporting evidence is on record.",
    Verdict.REFUTED: "Only refuting evidence is on record.",
    Verdict.CONTESTED: "Evidence on record both supports and refutes it.",
    Verdict.UNVERIFIED: "No evidence on record takes a side.",
}

AUTHOR_TYPES = {"person": "Person", "organisation": "Organization"}


def context(request) -> list:
    """schema.org, with the Web Annotation selectors and the terms schema.org lacks."""
    return [
        SCHEMA_ORG,
        {
            "oa": WEB_ANNOTATION,
            "hydra": HYDRA,
            "claimbase": request.build_absolute_uri(reverse("swagger-ui")) + "#",
            "stance": "claimbase:stance",
            "attribution": "claimbase:attribution",
            "next": {"@id": "hydra:next", "@type": "@id"},
            "previous": {"@id": "hydra:previous", "@type": "@id"},
        },
    ]


def publisher(request) -> dict:
    """The organisation that publishes this database: the reviews' author."""
    return {
        "@type": "Organization",
        "name": settings.CLAIMBASE_PUBLISHER_NAME,
        "url": settings.CLAIMBASE_PUBLISHER_URL or request.build_absolute_uri("/"),
    }


def partial_date(value: str | None, precision: str) -> str | None:
    """An ISO 8601 date only as precise as it is known: 2018-01-05, 2018-01 or 2018."""
    if not value:
        return None
    return {"year": value[:4], "month": value[:7]}.get(precision, value)


def person(author: dict | None) -> dict | None:
    if author is None:
        return None
    return {"@type": AUTHOR_TYPES.get(author["kind"], "Person"), "name": author["name"]}


def absolute(request, name: str, **kwargs) -> str:
    return request.build_absolute_uri(reverse(name, kwargs=kwargs))


def creative_work(source: dict, request) -> dict:
    """A cited source: where it was published (`url`) and our archived copy (`archivedAt`)."""
    archived = absolute(request, "source-detail", pk=source["id"])
    work = {
        "@type": "CreativeWork",
        "@id": archived,
        "url": source["url"] or archived,
        "archivedAt": archived,
        "headline": source["title"] or source["slug"],
    }
    if source["outlet"]:
        work["publisher"] = {"@type": "Organization", "name": source["outlet"]}
    published = partial_date(source["published_on"], source["published_precision"])
    if published:
        work["datePublished"] = published
    return work


def quotation(citation: dict, request) -> dict:
    """A cited passage: its words, whose they are, its stance, and W3C selectors into its source."""
    passage = citation["passage"]
    quote = {
        "@type": "Quotation",
        "@id": absolute(request, "citation-detail", pk=citation["id"]),
        "text": passage["exact"],
        "isPartOf": {"@id": absolute(request, "source-detail", pk=citation["source"]["id"])},
        "stance": citation["stance"],
        "attribution": citation["attribution"],
        "oa:hasSource": {"@id": absolute(request, "source-detail", pk=citation["source"]["id"])},
        "oa:hasSelector": [
            {
                "@type": "oa:TextPositionSelector",
                "oa:start": passage["start"],
                "oa:end": passage["end"],
            },
            {
                "@type": "oa:TextQuoteSelector",
                "oa:exact": passage["exact"],
                "oa:prefix": passage["prefix"],
                "oa:suffix": passage["suffix"],
            },
        ],
    }
    if citation["author"] is not None:
        quote["author"] = person(citation["author"])
    return quote


def unique(items: list[dict]) -> list[dict]:
    seen, kept = set(), []
    for item in items:
        key = repr(sorted(item.items()))
        if key not in seen:
            seen.add(key)
            kept.append(item)
    return kept


def claim_item(claim: dict, request) -> dict:
    """The claim reviewed: who is on record making it, when, and the sources that speak to it.

    Its authors are those of the passages that support it (they assert it); a
    claim that no passage supports has none on record, and no `author`.
    """
    citations = claim["citations"]
    supporting = [c for c in citations if c["stance"] == Stance.SUPPORTS]
    item = {"@type": "Claim", "name": claim["text"]}
    authors = unique([person(c["author"]) for c in supporting if c["author"] is not None])
    if authors:
        item["author"] = authors
    dates = sorted(
        date
        for c in supporting
        if (date := partial_date(c["source"]["published_on"], c["source"]["published_precision"]))
    )
    if dates:
        item["datePublished"] = dates[0]
    sources = {c["source"]["id"]: c["source"] for c in citations}
    if sources:
        item["appearance"] = [creative_work(source, request) for source in sources.values()]
    return item


def claim_review(claim: dict, request) -> dict:
    """One claim (as ClaimSerializer shows it) as a schema.org ClaimReview node, no @context."""
    url = absolute(request, "claim-detail", id=claim["id"])
    verdict = claim["verdict"]["verdict"]
    review = {
        "@type": "ClaimReview",
        "@id": url,
        "url": url,
        "identifier": claim["id"],
        "claimReviewed": claim["text"],
        "inLanguage": claim["language"],
        "author": publisher(request),
        "datePublished": (claim["reviewed_at"] or claim["created_at"])[:10],
        "dateModified": claim["updated_at"],
        "reviewRating": {
            "@type": "Rating",
            "ratingValue": RATING_VALUES[verdict],
            "bestRating": BEST_RATING,
            "worstRating": WORST_RATING,
            "alternateName": Verdict(verdict).label,
            "ratingExplanation": RATING_EXPLANATIONS[verdict],
        },
        "itemReviewed": claim_item(claim, request),
        "citation": [quotation(citation, request) for citation in claim["citations"]],
    }
    if claim["topics"]:
        review["keywords"] = claim["topics"]
    if claim["status"] != "published":
        review["creativeWorkStatus"] = claim["status"]
    return review


def claim_review_document(claim: dict, request) -> dict:
    return {"@context": context(request), **claim_review(claim, request)}


def claim_review_list(page: dict, request) -> dict:
    """A page of claims as an ItemList of ClaimReviews, with the page's `next`/`previous`."""
    document = {
        "@context": context(request),
        "@type": "ItemList",
        "@id": request.build_absolute_uri(),
        "numberOfItems": len(page["results"]),
        "itemListElement": [
            {"@type": "ListItem", "position": position, "item": claim_review(claim, request)}
            for position, claim in enumerate(page["results"], start=1)
        ],
    }
    for link in ("next", "previous"):
        document[link] = page.get(link)  # null: no such page (JSON-LD drops nulls)
    return document


# The OpenAPI schema of the JSON-LD representations (documentation: docs/jsonld.md).
CLAIM_REVIEW_SCHEMA = {
    "type": "object",
    "description": "A claim as a schema.org ClaimReview (JSON-LD); its citations as `citation` "
    "Quotations with W3C Web Annotation selectors. See docs/jsonld.md.",
    "properties": {
        "@context": {"type": "array", "items": {}},
        "@type": {"type": "string", "description": "`ClaimReview`"},
        "@id": {"type": "string", "format": "uri"},
        "url": {"type": "string", "format": "uri"},
        "claimReviewed": {"type": "string"},
        "author": {"type": "object"},
        "datePublished": {"type": "string"},
        "reviewRating": {
            "type": "object",
            "properties": {
                "@type": {"type": "string", "description": "`Rating`"},
                "ratingValue": {"type": "integer", "minimum": 1, "maximum": 5},
                "bestRating": {"type": "integer"},
                "worstRating": {"type": "integer"},
                "alternateName": {
                    "type": "string",
                    "description": "The verdict: " + ", ".join(Verdict.labels) + ".",
                },
            },
        },
        "itemReviewed": {"type": "object"},
        "citation": {"type": "array", "items": {"type": "object"}},
    },
    "required": [
        "@context",
        "@type",
        "@id",
        "url",
        "claimReviewed",
        "author",
        "datePublished",
        "reviewRating",
        "itemReviewed",
        "citation",
    ],
}
CLAIM_REVIEW_LIST_SCHEMA = {
    "type": "object",
    "description": "A page of claims as a schema.org ItemList of ClaimReviews; `next` and "
    "`previous` are the page links (hydra:next, hydra:previous).",
    "properties": {
        "@context": {"type": "array", "items": {}},
        "@type": {"type": "string", "description": "`ItemList`"},
        "itemListElement": {"type": "array", "items": {"type": "object"}},
        "next": {"type": "string", "format": "uri", "nullable": True},
        "previous": {"type": "string", "format": "uri", "nullable": True},
    },
    "required": ["@context", "@type", "itemListElement", "next", "previous"],
}


@extend_schema_serializer(many=False)
class ClaimReviewSerializer(serializers.Serializer):
    """A claim as a schema.org ClaimReview: documents the JSON-LD response in the schema."""


@extend_schema_serializer(many=False)
class ClaimReviewListSerializer(serializers.Serializer):
    """A page of claims as an ItemList of ClaimReviews: documents the JSON-LD list response."""


class ClaimReviewSchema(OpenApiSerializerExtension):
    target_class = ClaimReviewSerializer

    def map_serializer(self, auto_schema, direction):
        return CLAIM_REVIEW_SCHEMA


class ClaimReviewListSchema(OpenApiSerializerExtension):
    target_class = ClaimReviewListSerializer

    def map_serializer(self, auto_schema, direction):
        return CLAIM_REVIEW_LIST_SCHEMA
