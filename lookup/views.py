"""API v1: the fact-checking lookup, from a statement to the stored claims that match it."""

import html

from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from api.filters import refuse_empty
from api.permissions import ReadAccess
from api.strict import StrictTypes
from claims.models import Claim
from claims.serializers import ClaimReferenceSerializer, ClaimSerializer
from claims.views import CLAIM_RESPONSE_EXAMPLE
from lookup.canonical import Hit, canonical_hits
from lookup.search import MAX_LIMIT, lookup

MAX_STATEMENT_LENGTH = 2_000
DEFAULT_LIMIT = 10

STATEMENT_HELP = (
    "The statement to check, as written or pasted: a sentence or a short paragraph "
    f"(at most {MAX_STATEMENT_LENGTH:,} characters). Any punctuation and quotes are fine; "
    "nothing in it is read as search syntax."
)
LIMIT_HELP = f"How many matches at most (1–{MAX_LIMIT}; default {DEFAULT_LIMIT})."


def statement_field() -> serializers.CharField:
    return serializers.CharField(max_length=MAX_STATEMENT_LENGTH, help_text=STATEMENT_HELP)


def limit_field() -> serializers.IntegerField:
    return serializers.IntegerField(
        min_value=1, max_value=MAX_LIMIT, default=DEFAULT_LIMIT, help_text=LIMIT_HELP
    )


class LookupQuerySerializer(serializers.Serializer):
    """The query string of GET /claims/lookup/."""

    q = statement_field()
    limit = limit_field()


class LookupRequestSerializer(StrictTypes, serializers.Serializer):
    """The JSON body of POST /claims/lookup/, for statements too long for a URL."""

    text = statement_field()
    limit = limit_field()


class PassageHighlightSerializer(serializers.Serializer):
    citation = serializers.IntegerField(
        help_text="The id of the citation (in `claim.citations`) whose passage matched."
    )
    snippet = serializers.CharField(
        help_text="HTML: the passage, escaped, cut around its first match, matched words in "
        "<mark>…</mark>."
    )


class LookupHighlightsSerializer(serializers.Serializer):
    claim = serializers.CharField(
        help_text="HTML: the claim text, escaped, with the matched words in <mark>…</mark>."
    )
    passages = PassageHighlightSerializer(
        many=True, help_text="The cited passages that matched, most matched words first."
    )


class LookupMatchSerializer(serializers.Serializer):
    score = serializers.FloatField(
        help_text="Relevance in [0, 1]: the share of the statement that the claim accounts "
        "for, rare words and names weighing most. Never below the relevance floor."
    )
    claim = ClaimSerializer(help_text="The claim as /claims/{id}/ shows it.")
    highlights = LookupHighlightsSerializer()
    via = ClaimReferenceSerializer(
        many=True,
        help_text="The duplicates of this claim that matched, best first: a match on a claim "
        "marked as a duplicate shows its canonical claim instead, with the best score of "
        "either. Empty when the claim matched itself only.",
    )


class LookupResponseSerializer(serializers.Serializer):
    query = serializers.CharField(help_text="The statement, as received.")
    results = LookupMatchSerializer(many=True, help_text="Best first; empty when nothing matches.")


SKRIPAL_STATEMENT = "Did Japan kick out Russian diplomats after the Skripal poisoning?"

LOOKUP_RESPONSE_EXAMPLE = OpenApiExample(
    "The Skripal claim found from a reworded statement",
    value={
        "query": SKRIPAL_STATEMENT,
        "results": [
            {
                "score": 0.7797,
                "claim": CLAIM_RESPONSE_EXAMPLE.value,
                "via": [],
                "highlights": {
                    "claim": "<mark>Japan</mark> did not expel <mark>Russian</mark> "
                    "<mark>diplomats</mark> after the <mark>Skripal</mark> <mark>poisoning</mark>.",
                    "passages": [
                        {
                            "citation": 271,
                            "snippet": "Within the G7, <mark>Japan</mark> was the only country not "
                            "to expel <mark>Russian</mark> <mark>diplomats</mark> following the "
                            "<mark>Skripal</mark> attack",
                        }
                    ],
                },
            }
        ],
    },
    response_only=True,
)
UNRELATED_RESPONSE_EXAMPLE = OpenApiExample(
    "An unrelated statement: no match",
    value={"query": "The Eiffel Tower was completed in 1889.", "results": []},
    response_only=True,
)
LOOKUP_REQUEST_EXAMPLE = OpenApiExample(
    "A statement pasted from an article",
    value={
        "text": "Among the G7, Tokyo alone refused to expel any Russian diplomats after the "
        "nerve-agent attack on Sergei Skripal, and it never accused Moscow of the poisoning.",
        "limit": 5,
    },
    request_only=True,
)

LOOKUP_DESCRIPTION = """\
The fact-checking lookup: paste a statement, get back the published claims that
match it, best first — each as `/claims/{id}/` shows it (verdict, and every
supporting and refuting passage with its author, source and stance), with a
relevance score and highlighted snippets showing why it matched.

It searches claim texts, the exact text of their cited passages, and the names
of authors and sources; it ignores case, punctuation, quotes and diacritics and
matches inflected forms ("expelled" finds "expel"). Nothing is read as search
syntax. Claims scoring below a relevance floor are left out, so a statement the
database knows nothing about gets an empty `results` list rather than noise.

Use GET with `q` for a sentence, POST with `{"text": …}` for longer input.
"""


class ClaimLookupView(APIView):
    """Fact-checking lookup: the stored claims that match a statement, with their evidence."""

    permission_classes = [ReadAccess]
    throttle_scope = "lookup"

    @extend_schema(
        operation_id="claims_lookup",
        summary="Find the claims that match a statement",
        description=LOOKUP_DESCRIPTION,
        parameters=[
            OpenApiParameter(
                "q",
                {"type": "string", "minLength": 1, "maxLength": MAX_STATEMENT_LENGTH},
                required=True,
                description=STATEMENT_HELP,
                examples=[OpenApiExample("A reworded statement", value=SKRIPAL_STATEMENT)],
            ),
            OpenApiParameter(
                "limit",
                {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT},
                required=False,
                description=LIMIT_HELP,
            ),
        ],
        responses={200: LookupResponseSerializer},
        examples=[LOOKUP_RESPONSE_EXAMPLE, UNRELATED_RESPONSE_EXAMPLE],
    )
    def get(self, request: Request) -> Response:
        refuse_empty(request, LookupQuerySerializer().fields)
        params = LookupQuerySerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        return self.matches(params.validated_data["q"], limit=params.validated_data["limit"])

    @extend_schema(
        operation_id="claims_lookup_text",
        summary="Find the claims that match a long statement",
        description=LOOKUP_DESCRIPTION,
        request=LookupRequestSerializer,
        responses={200: LookupResponseSerializer},
        examples=[LOOKUP_REQUEST_EXAMPLE, LOOKUP_RESPONSE_EXAMPLE, UNRELATED_RESPONSE_EXAMPLE],
    )
    def post(self, request: Request) -> Response:
        body = LookupRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        return self.matches(body.validated_data["text"], limit=body.validated_data["limit"])

    def matches(self, text: str, *, limit: int) -> Response:
        hits = canonical_hits(lookup(text, limit=limit))
        claims = (
            Claim.objects.published()
            .with_verdict()
            .with_citations()
            .with_relations()
            .in_bulk([hit.claim for hit in hits])
        )
        duplicates = Claim.objects.in_bulk([pk for hit in hits for pk in hit.via])
        results = [
            result(hit, claims[hit.claim], [duplicates[pk] for pk in hit.via if pk in duplicates])
            for hit in hits
            if hit.claim in claims
        ]
        return Response(LookupResponseSerializer({"query": text, "results": results}).data)


def result(hit: Hit, claim: Claim, via: list[Claim]) -> dict:
    """One match as the response shows it."""
    match = hit.match
    return {
        "score": round(hit.score, 4),
        "claim": claim,
        "highlights": {
            # Found only through a duplicate: the claim's own words did not match.
            "claim": match.claim_snippet if match else html.escape(claim.text, quote=False),
            "passages": [
                {"citation": passage.citation, "snippet": passage.snippet}
                for passage in (match.passages if match else ())
            ],
        },
        "via": via,
    }
