"""API v1: the fact-checking lookup, from a statement to the stored claims that match it."""

import html
from collections.abc import Sequence

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
from lookup.documents import MAX_DOCUMENT_LENGTH, SentenceMatch, check_document
from lookup.hybrid import MEANING, SEMANTIC_FLOOR, WORDS, HybridMatch, lookup
from lookup.search import MAX_LIMIT, Match
from sources.anchoring import span_at
from sources.serializers import AnchorSerializer

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
        allow_null=True,
        help_text="Cosine similarity in [0, 1] of the statement's sentence embedding with the "
        "claim's closest embedded text (its own or a cited passage's). A claim is returned only "
        f"if it is at least the relevance floor, {SEMANTIC_FLOOR}. Null where only the words "
        "were compared (the sentences of a document check).",
    )
    matched = serializers.ListField(
        child=serializers.ChoiceField(choices=[MEANING, WORDS]),
        help_text='The signals that matched: "meaning" (the similarity reached the floor) and '
        '"words" (the statement\'s words matched the claim, its passages or names; the snippets '
        "mark them).",
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
                "score": 0.834,
                "similarity": 0.8199,
                "matched": ["meaning", "words"],
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
        hits = canonical_hits(lookup(text, limit=limit))
        claims = (
            Claim.objects.published()
            .with_citations()
            .with_relations()
            .in_bulk([hit.claim for hit in hits])
        )
        duplicates = Claim.objects.in_bulk([pk for hit in hits for pk in hit.via])
        results = [
            result(
                hit.match,
                claims[hit.claim],
                [duplicates[pk] for pk in hit.via if pk in duplicates],
                hit=hit,
            )
            for hit in hits
            if hit.claim in claims
        ]
        return Response(LookupResponseSerializer({"query": text, "results": results}).data)


def result(
    match: HybridMatch | Match | None,
    claim: Claim | dict,
    via: Sequence = (),
    *,
    hit: Hit | None = None,
) -> dict:
    """One match as the response shows it (the claim, or the claim already serialized).

    `match` is the claim's own match (None when it was found only through its
    duplicates, `hit`); a word match (the document check's) has no similarity
    and matched only by words.
    """
    signals = hit.best if hit is not None else match
    hybrid = isinstance(signals, HybridMatch)
    return {
        "score": round(hit.score if hit is not None else match.score, 4),
        "similarity": round(signals.similarity, 4) if hybrid else None,
        "matched": list(signals.matched) if hybrid else [WORDS],
        "claim": claim,
        "highlights": {
            # Found only through a duplicate: the claim's own words did not match.
            "claim": match.claim_snippet if match else html.escape(claim.text, quote=False),
            "passages": [
                {"citation": passage.citation, "snippet": passage.snippet}
                for passage in (match.passages if match else ())
            ],
        },
        "via": list(via),
    }


# --- documents ---------------------------------------------------------------------------

MAX_SENTENCE_LIMIT = 10
DEFAULT_SENTENCE_LIMIT = 3


class DocumentCheckRequestSerializer(StrictTypes, serializers.Serializer):
    """The JSON body of POST /claims/check-document/."""

    text = serializers.CharField(
        trim_whitespace=False,
        max_length=MAX_DOCUMENT_LENGTH,
        help_text=f"The text to check: an article, a transcript (at most "
        f"{MAX_DOCUMENT_LENGTH:,} characters). Offsets in the response count its characters "
        "(Unicode code points) as posted, whitespace included.",
    )
    limit = serializers.IntegerField(
        min_value=1,
        max_value=MAX_SENTENCE_LIMIT,
        default=DEFAULT_SENTENCE_LIMIT,
        help_text=f"How many claims at most for each sentence (1–{MAX_SENTENCE_LIMIT}; "
        f"default {DEFAULT_SENTENCE_LIMIT}).",
    )

    def validate_text(self, text: str) -> str:
        if not text.strip():
            raise serializers.ValidationError(self.fields["text"].error_messages["blank"])
        return text


class DocumentSentenceSerializer(serializers.Serializer):
    sentence = AnchorSerializer(
        help_text="Where the sentence is in the posted text: `text[start:end] == exact`, with "
        "up to 32 characters before (`prefix`) and after (`suffix`) — the W3C "
        "TextPositionSelector and TextQuoteSelector, as passages have. A very long sentence "
        "is checked in overlapping windows of 40 words; then this is the window."
    )
    score = serializers.FloatField(help_text="The score of its best claim, in [0, 1].")
    matches = LookupMatchSerializer(
        many=True,
        help_text="The claims that match the sentence, best first, as the lookup gives them.",
    )


class DocumentCheckResponseSerializer(serializers.Serializer):
    length = serializers.IntegerField(
        help_text="Characters in the posted text: the unit of every offset."
    )
    sentences = serializers.IntegerField(
        help_text="How many sentences (and windows of long ones) the text was cut into."
    )
    checked = serializers.IntegerField(
        help_text="How many of them were looked up: those with at least three searchable "
        'words (a title, a speaker\'s name or "He agreed." states nothing to check).'
    )
    results = DocumentSentenceSerializer(
        many=True,
        help_text="The sentences that match claims, best first (then in the order of the "
        "text); empty when none does.",
    )


# From the seed article "A New Cold War With Russia Forces Japan to Choose Sides".
DOCUMENT_EXAMPLE_TEXT = (
    "In the spring of 2018 the choice was stark.\n\nWithin the G7, Japan was the only country "
    "not to expel Russian diplomats following the Skripal attack."
)

DOCUMENT_REQUEST_EXAMPLE = OpenApiExample(
    "A paragraph of an article",
    value={"text": DOCUMENT_EXAMPLE_TEXT, "limit": 1},
    request_only=True,
)
DOCUMENT_RESPONSE_EXAMPLE = OpenApiExample(
    "Its sentences that stored claims speak to",
    value={
        "length": 147,
        "sentences": 2,
        "checked": 2,
        "results": [
            {
                "sentence": {
                    "start": 45,
                    "end": 147,
                    "exact": "Within the G7, Japan was the only country not to expel Russian "
                    "diplomats following the Skripal attack.",
                    "prefix": " of 2018 the choice was stark.\n\n",
                    "suffix": "",
                },
                "score": 0.9685,
                "matches": [
                    {
                        "score": 0.9685,
                        "similarity": 0.9658,
                        "matched": ["meaning", "words"],
                        "claim": CLAIM_RESPONSE_EXAMPLE.value,
                        "highlights": {
                            "claim": "<mark>Japan</mark> did not <mark>expel</mark> "
                            "<mark>Russian</mark> <mark>diplomats</mark> after the "
                            "<mark>Skripal</mark> poisoning.",
                            "passages": [
                                {
                                    "citation": 271,
                                    "snippet": "<mark>Within</mark> the <mark>G7</mark>, "
                                    "<mark>Japan</mark> was the only <mark>country</mark> not to "
                                    "<mark>expel</mark> <mark>Russian</mark> "
                                    "<mark>diplomats</mark> <mark>following</mark> the "
                                    "<mark>Skripal</mark> <mark>attack</mark>",
                                }
                            ],
                        },
                        "via": [],
                    }
                ],
            }
        ],
    },
    response_only=True,
)
UNRELATED_DOCUMENT_EXAMPLE = OpenApiExample(
    "An unrelated text: no sentence matches",
    value={"length": 98, "sentences": 2, "checked": 2, "results": []},
    response_only=True,
)

DOCUMENT_DESCRIPTION = f"""\
Check a whole text — an article, a transcript, up to {MAX_DOCUMENT_LENGTH:,}
characters — sentence by sentence: get back its sentences that stored claims
speak to, best first, each with its offsets in the posted text (the W3C
selectors passages have: `text[start:end] == exact`) and its matching claims,
each as the lookup gives it (score, the claim with its verdict and citations,
highlights). Sentences that match nothing are left out: an unrelated text gets
an empty `results` list.

The text is cut at sentence ends (not after abbreviations such as "Mr.",
"Dr." or "U.S.", nor after initials), at blank lines, and at line breaks
unless the next line goes on in lower case. A sentence with fewer than three
searchable words is not looked up; a sentence of more than 60 words is looked
up in overlapping windows of 40 words, each reported with its own offsets.
Each sentence is matched as `/claims/lookup/` matches a statement, with the
same relevance floor.
"""


class DocumentCheckView(APIView):
    """Check a document: its sentences that stored claims speak to, with their offsets."""

    permission_classes = [ReadAccess]
    throttle_scope = "lookup"

    @extend_schema(
        operation_id="claims_check_document",
        summary="Find the sentences of a text that stored claims speak to",
        description=DOCUMENT_DESCRIPTION,
        request=DocumentCheckRequestSerializer,
        responses={200: DocumentCheckResponseSerializer},
        examples=[DOCUMENT_REQUEST_EXAMPLE, DOCUMENT_RESPONSE_EXAMPLE, UNRELATED_DOCUMENT_EXAMPLE],
    )
    def post(self, request: Request) -> Response:
        body = DocumentCheckRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        text = body.validated_data["text"]
        matched, sentences, checked = check_document(text, limit=body.validated_data["limit"])
        claims = list(
            Claim.objects.published()
            .with_citations()
            .with_relations()
            .filter(pk__in={match.claim for sentence in matched for match in sentence.matches})
        )
        # Serialized once each, and all at once (a serializer builds its fields per
        # instance otherwise): the shape is DocumentCheckResponseSerializer's all the same.
        shown = dict(
            zip(
                (claim.pk for claim in claims),
                ClaimSerializer(claims, many=True).data,
                strict=True,
            )
        )
        matched = [
            SentenceMatch(sentence.start, sentence.end, matches)
            for sentence in matched
            if (matches := tuple(match for match in sentence.matches if match.claim in shown))
        ]
        anchors = AnchorSerializer(
            [span_at(text, sentence.start, sentence.end) for sentence in matched], many=True
        ).data
        results = [
            sentence_result(sentence, anchor, shown)
            for sentence, anchor in zip(matched, anchors, strict=True)
        ]
        return Response(
            {"length": len(text), "sentences": sentences, "checked": checked, "results": results}
        )


def sentence_result(sentence: SentenceMatch, anchor: dict, shown: dict[int, dict]) -> dict:
    """One matched sentence as the response shows it, its selectors and claims serialized."""
    matches = [result(match, shown[match.claim]) for match in sentence.matches]
    return {"sentence": anchor, "score": matches[0]["score"], "matches": matches}
