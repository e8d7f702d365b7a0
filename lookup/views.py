"""API v1: the fact-checking lookup, from a statement to the stored claims that match it."""

from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from api.filters import refuse_empty
from api.permissions import ReadAccess
from api.strict import StrictTypes
from claims.models import Claim
from claims.serializers import ClaimSerializer
from claims.views import CLAIM_RESPONSE_EXAMPLE
from lookup.hybrid import MEANING, SEMANTIC_FLOOR, WORDS, HybridMatch, lookup
from lookup.search import MAX_LIMIT

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
        help_text="Relevance in [0, 1]: the meaning's similarity, lifted a little toward 1 by "
        "the share of the statement's words the claim accounts for "
        "(similarity + 0.1 × words × (1 − similarity)). Never below the relevance floor."
    )
    similarity = serializers.FloatField(
        help_text="Cosine similarity in [0, 1] of the statement's sentence embedding with the "
        "claim's closest embedded text (its own or a cited passage's). A claim is returned only "
        f"if it is at least the relevance floor, {SEMANTIC_FLOOR}."
    )
    matched = serializers.ListField(
        child=serializers.ChoiceField(choices=[MEANING, WORDS]),
        help_text='The signals that matched: "meaning" (the similarity reached the floor) and '
        '"words" (the statement\'s words matched the claim, its passages or names; the snippets '
        "mark them).",
    )
    claim = ClaimSerializer(help_text="The claim as /claims/{id}/ shows it.")
    highlights = LookupHighlightsSerializer()


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
                "score": 0.834,
                "similarity": 0.8199,
                "matched": ["meaning", "words"],
                "claim": CLAIM_RESPONSE_EXAMPLE.value,
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

It matches by meaning and by words. Meaning: a sentence-embedding model compares
the statement with each claim's text and its cited passages, so a statement in
other words ("Tokyo never inked a treaty with Moscow") finds the claim ("Japan and
Russia never signed a peace treaty"). Words: claim texts, cited passages and the
names of authors and sources, ignoring case, punctuation, quotes and diacritics,
matching inflected forms ("expelled" finds "expel"); matched words are marked in
the snippets. Nothing is read as search syntax. A claim is returned only if its
meaning is close enough (the relevance floor), so a statement the database has
no claim on — even one on the same subjects — gets an empty `results` list
rather than noise. `matched` says which signals matched each claim.

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
        found = lookup(text, limit=limit)
        claims = (
            Claim.objects.published()
            .with_verdict()
            .with_citations()
            .in_bulk([match.claim for match in found])
        )
        results = [result(match, claims[match.claim]) for match in found if match.claim in claims]
        return Response(LookupResponseSerializer({"query": text, "results": results}).data)


def result(match: HybridMatch, claim: Claim) -> dict:
    """One match as the response shows it."""
    return {
        "score": round(match.score, 4),
        "similarity": round(match.similarity, 4),
        "matched": list(match.matched),
        "claim": claim,
        "highlights": {
            "claim": match.claim_snippet,
            "passages": [
                {"citation": passage.citation, "snippet": passage.snippet}
                for passage in match.passages
            ],
        },
    }
