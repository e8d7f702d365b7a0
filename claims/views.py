"""API v1: claims and citations, and the change feed."""

from urllib.parse import urlencode

from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    extend_schema,
    extend_schema_serializer,
    extend_schema_view,
)
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.response import Response
from rest_framework.views import APIView

from api.conditional import ETAG, IF_MATCH, VersionedWritesMixin
from api.filters import refuse_empty
from api.pagination import LimitOffsetPagination
from api.renderers import LinkedDataMixin
from api.strict import StrictTypes
from claims.feed import (
    InvalidCursor,
    changes_after,
    current_records,
    encode_cursor,
    latest_change_at,
    position,
    public_id,
)
from claims.filters import CitationFilter, ClaimFilter
from claims.history import claim_history
from claims.jsonld import (
    ClaimReviewListSerializer,
    ClaimReviewSerializer,
    claim_review_document,
    claim_review_list,
)
from claims.models import ChangeKind, ChangeOperation, Citation, Claim, ClaimRelation
from claims.rows import CLAIM_FIELDS, shown_claims
from claims.serializers import (
    CitationCreateSerializer,
    CitationDetailSerializer,
    CitationUpdateSerializer,
    ClaimCreatedSerializer,
    ClaimRelationCreateSerializer,
    ClaimRelationSerializer,
    ClaimSerializer,
    ClaimUpdateSerializer,
    ClaimWriteSerializer,
    HistoryEntrySerializer,
    SimilarClaimSerializer,
)
from claims.services import (
    SOURCE_AUTHOR,
    citation_add,
    citation_delete,
    citation_update,
    claim_create,
    claim_delete,
    claim_reinstate,
    claim_retract,
    claim_update,
    relation_add,
    relation_delete,
)
from claims.similar import similar_claims
from sources.views import ID_PATTERN, SKRIPAL_QUOTE, DeleteNeedsPermission

UUID_PATTERN = "[0-9a-fA-F-]{36}"

CLAIM_EXAMPLE = OpenApiExample(
    "A claim citing a seed passage by quote",
    value={
        "text": "Japan did not expel Russian diplomats after the Skripal poisoning.",
        "topics": ["skripal", "sanctions"],
        "period": {"start": "2018-03-01", "end": "2018-04-30"},
        "status": "published",
        "citations": [
            {
                "source": 5,
                "quote": SKRIPAL_QUOTE.replace("’", "'"),
                "stance": "supports",
                "author": "james-d-j-brown",
                "attribution": "author",
            }
        ],
    },
    request_only=True,
)


CLAIM_RESPONSE_EXAMPLE = OpenApiExample(
    "The Skripal claim of the seed corpus",
    value={
        "id": "a83fcdd6-65b5-5ebf-aea6-4e21e94ed0e9",
        "slug": "japan-did-not-expel-russian-diplomats-after-skripal",
        "text": "Japan did not expel Russian diplomats after the Skripal poisoning.",
        "language": "en",
        "topics": ["sanctions", "skripal"],
        "period": {"start": "2018-03-01", "end": "2018-03-31"},
        "status": "published",
        "retraction_reason": "",
        "verdict": {
            "verdict": "supported",
            "supports": 1,
            "refutes": 0,
            "neutral": 0,
            "supporting_sources": 1,
            "refuting_sources": 0,
            "supporting_authors": 1,
            "refuting_authors": 0,
        },
        "citations": [
            {
                "id": 271,
                "stance": "supports",
                "attribution": "author",
                "note": "",
                "author": {
                    "id": 9,
                    "slug": "james-d-j-brown",
                    "name": "James D. J. Brown",
                    "kind": "person",
                },
                "passage": {
                    "id": 268,
                    "exact": SKRIPAL_QUOTE,
                    "prefix": "or fear of antagonizing Russia. ",
                    "suffix": ". What is more, despite being pr",
                    "start": 5725,
                    "end": 5826,
                },
                "source": {
                    "id": 5,
                    "slug": "new-cold-war-forces-japan-to-choose-sides",
                    "title": "A New Cold War With Russia Forces Japan to Choose Sides",
                    "outlet": "The Diplomat",
                    "published_on": "2018-01-01",
                    "published_precision": "year",
                    "url": None,
                },
            }
        ],
        "relations": [],
        "reviewed_at": "2026-11-23T18:50:12Z",
        "created_at": "2026-11-23T18:50:12Z",
        "updated_at": "2026-11-23T18:50:12Z",
    },
    response_only=True,
)

CLAIM_CREATED_EXAMPLE = OpenApiExample(
    "A new claim that says what a stored one says",
    value={
        **CLAIM_RESPONSE_EXAMPLE.value,
        "id": "5b0e7a52-3f0b-4c47-9a55-2f1f0a0c6d11",
        "slug": "japan-expelled-no-russian-diplomats-after-skripal-was-poisoned",
        "text": "Japan expelled no Russian diplomats after Skripal was poisoned.",
        "relations": [],
        "similar": [
            {
                "claim": {
                    "id": "a83fcdd6-65b5-5ebf-aea6-4e21e94ed0e9",
                    "slug": "japan-did-not-expel-russian-diplomats-after-skripal",
                    "text": "Japan did not expel Russian diplomats after the Skripal poisoning.",
                    "status": "published",
                    "verdict": "supported",
                },
                "score": 1.0,
            }
        ],
    },
    response_only=True,
    status_codes=["201"],
)

RELATION_EXAMPLES = [
    OpenApiExample(
        "Mark this claim as a duplicate of the Skripal claim",
        value={
            "kind": "duplicates",
            "object": "a83fcdd6-65b5-5ebf-aea6-4e21e94ed0e9",
            "note": "Same statement, other words.",
        },
        request_only=True,
    ),
    OpenApiExample(
        "A claim marked as a duplicate",
        value={
            "id": 3,
            "subject": {
                "id": "5b0e7a52-3f0b-4c47-9a55-2f1f0a0c6d11",
                "slug": "japan-expelled-no-russian-diplomats-after-skripal-was-poisoned",
                "text": "Japan expelled no Russian diplomats after Skripal was poisoned.",
                "status": "published",
            },
            "kind": "duplicates",
            "object": {
                "id": "a83fcdd6-65b5-5ebf-aea6-4e21e94ed0e9",
                "slug": "japan-did-not-expel-russian-diplomats-after-skripal",
                "text": "Japan did not expel Russian diplomats after the Skripal poisoning.",
                "status": "published",
            },
            "note": "Same statement, other words.",
            "created_by": "curator",
            "created_at": "2026-11-24T09:12:40Z",
        },
        response_only=True,
    ),
]


CITATION_EXAMPLES = [
    OpenApiExample(
        "A citation of the seed corpus",
        response_only=True,
        value={
            "claim": "a83fcdd6-65b5-5ebf-aea6-4e21e94ed0e9",
            **CLAIM_RESPONSE_EXAMPLE.value["citations"][0],
            "created_at": "2026-11-23T18:50:12Z",
            "updated_at": "2026-11-23T18:50:12Z",
        },
    ),
    OpenApiExample(
        "Cite a quoted speaker",
        request_only=True,
        value={
            "claim": "a83fcdd6-65b5-5ebf-aea6-4e21e94ed0e9",
            "source": 4,
            "quote": "We think that we have no territorial problems",
            "stance": "refutes",
            "author": "vladimir-putin",
            "attribution": "quote",
        },
    ),
]


class RetractSerializer(StrictTypes, serializers.Serializer):
    reason = serializers.CharField(max_length=5_000, help_text="Why the claim is retracted.")


class ReinstateSerializer(StrictTypes, serializers.Serializer):
    reason = serializers.CharField(
        max_length=5_000, help_text="Why the retracted claim is published again."
    )


def citation_arguments(data: dict) -> dict:
    """Service arguments from validated citation input: an omitted author means the byline."""
    return {"author": SOURCE_AUTHOR, **data}


def period_fields(data: dict) -> dict:
    """Turn the nested `period` of claim input into model fields."""
    if "period" not in data:
        return data
    period = data.pop("period") or {}
    return {
        **data,
        "period_start": period.get("period_start"),
        "period_end": period.get("period_end"),
    }


WRITE = {"parameters": [IF_MATCH, ETAG]}


@extend_schema_view(
    list=extend_schema(
        summary="List claims",
        description="Claims with their citations and verdicts, newest first, a page at a time "
        "(follow `next`). Filter by text, stance, verdict, author, source, topic, status, "
        "language, update time or the period a claim is about. Retracted claims are left out "
        "unless `status=retracted` is asked for. `Accept: application/ld+json` (or "
        "`?format=jsonld`) gives them as schema.org ClaimReviews.",
        examples=[CLAIM_RESPONSE_EXAMPLE],
        responses={
            (200, "application/json"): ClaimSerializer,
            (200, "application/ld+json"): ClaimReviewListSerializer,
        },
    ),
    retrieve=extend_schema(
        summary="Read a claim",
        description="One claim by its UUID, with every citation (passage, source, author, "
        "stance) and its verdict; retracted claims stay readable here. The `ETag` header is "
        "its version: send it back as `If-Match` when you write. `Accept: "
        "application/ld+json` (or `?format=jsonld`) gives it as a schema.org ClaimReview.",
        examples=[CLAIM_RESPONSE_EXAMPLE],
        parameters=[ETAG],
        responses={
            (200, "application/json"): ClaimSerializer,
            (200, "application/ld+json"): ClaimReviewSerializer,
        },
    ),
    create=extend_schema(
        summary="Create a claim with its citations",
        request=ClaimWriteSerializer,
        responses={201: ClaimCreatedSerializer},
        examples=[CLAIM_EXAMPLE, CLAIM_CREATED_EXAMPLE],
        parameters=[ETAG],
        description="Create a claim with its citations in one request (curators). Each citation "
        "is a `source` id + `quote`, anchored server-side, or a `passage` id. If any citation "
        "fails, nothing is stored and `errors` names it (`citations.0.quote`). A statement "
        "stored already (same words, whatever the case, spacing or final full stop) is "
        "refused with 409 and the stored claim in `existing`. A statement that says what a "
        "stored published claim says in other words is stored, and the response lists those "
        "claims in `similar` (best first, with a score): if one is the same claim, relate the "
        "new one to it as a duplicate (`POST /claims/{id}/relations/`) or delete it.",
    ),
    partial_update=extend_schema(
        summary="Change a claim",
        request=ClaimUpdateSerializer,
        responses=ClaimSerializer,
        examples=[CLAIM_RESPONSE_EXAMPLE],
        description="Change the fields given, and only those (curators). `status` moves "
        "`draft` → `published` (recording you as reviewer); retract and reinstate have their "
        "own actions. Send `If-Match` with the ETag you read: if someone changed the claim "
        "since, nothing is written and 412 returns the claim as it is now.",
        **WRITE,
    ),
    destroy=extend_schema(
        summary="Delete a claim",
        description="Delete a claim, its citations and its relations to other claims (needs "
        "the delete permission); the cited passages and the related claims stay. Prefer "
        "retracting.",
        parameters=[IF_MATCH],
    ),
)
class ClaimViewSet(
    LinkedDataMixin, VersionedWritesMixin, DeleteNeedsPermission, viewsets.ModelViewSet
):
    """Claims, each with every citation that supports, refutes or discusses it.

    A citation carries the exact passage (text and W3C selectors), its source,
    whose words it is and the passage's stance toward the claim. The verdict is
    derived from the citations: `supported`, `refuted`, `contested` (both) or
    `unverified` (none, or only neutral). Lists leave out retracted claims unless
    `status=retracted` is asked for; a retracted claim stays readable at its own
    address. Each claim has an `ETag` (its version, bumped by every change to it
    or its citations); send it back as `If-Match` when you write.

    With `Accept: application/ld+json` or `?format=jsonld`, a claim is a
    schema.org `ClaimReview` (a list: an `ItemList` of them), its passages with
    W3C Web Annotation selectors.
    """

    serializer_class = ClaimSerializer
    output_serializer_class = ClaimSerializer
    row_fields = CLAIM_FIELDS  # the list and the detail read rows (claims.rows)
    delete_service = claim_delete
    filterset_class = ClaimFilter
    ordering_fields = ["created_at", "updated_at", "slug"]
    lookup_field = "uuid"
    lookup_url_kwarg = "id"
    lookup_value_regex = UUID_PATTERN

    def get_queryset(self):
        # The verdicts are counted from the citations shown: prefetched here for the
        # writes' responses (ClaimSerializer), read as rows by the list and the detail.
        claims = Claim.objects.with_citations().with_relations()
        if self.action == "list" and "status" not in self.request.query_params:
            claims = claims.listed()
        return claims

    def represent_rows(self, rows):
        return list(shown_claims(rows))

    def list_last_modified(self):
        return latest_change_at()

    def linked_data(self, data):
        if self.action == "list":
            return claim_review_list(data, self.request)
        return claim_review_document(data, self.request)

    def get_serializer_class(self):
        if self.action == "create":
            return ClaimWriteSerializer
        if self.action == "partial_update":
            return ClaimUpdateSerializer
        return ClaimSerializer

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = period_fields(dict(serializer.validated_data))
        data["citations"] = [citation_arguments(c) for c in data["citations"]]
        claim = claim_create(created_by=request.user, **data)
        response = self.respond(claim, status.HTTP_201_CREATED)
        similar = similar_claims(claim.text, exclude=[claim.pk])
        response.data["similar"] = SimilarClaimSerializer(similar, many=True).data
        return response

    def partial_update(self, request, *args, **kwargs):
        claim = self.get_object()
        serializer = self.get_serializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        data = period_fields(dict(serializer.validated_data))
        claim = claim_update(claim=claim, edited_by=request.user, expected=self.expected(), **data)
        return self.respond(claim)

    @extend_schema(
        operation_id="claims_history",
        summary="Read a claim's history",
        description="Every recorded change to this claim, its citations and its relations to "
        "other claims, newest first: "
        "what changed (each field's old and new value), who made the change and when. Records "
        "are named by their API ids: the claim by its UUID, users by username.",
        responses=HistoryEntrySerializer(many=True),
        filters=False,
    )
    @action(
        detail=True, methods=["get"], pagination_class=LimitOffsetPagination, filter_backends=[]
    )
    def history(self, request, id=None):
        """Every recorded change to this claim and its citations: who, when, what; newest first."""
        entries = claim_history(self.get_object())
        paginator = self.paginator
        page = paginator.paginate_queryset(entries, request, view=self)
        return paginator.get_paginated_response(HistoryEntrySerializer(page, many=True).data)

    @extend_schema(
        operation_id="claims_retract",
        summary="Retract a claim",
        description="Retract a published or draft claim, with the reason (curators): it stays "
        "readable at its address, with its reason, but leaves default lists and the lookup. "
        "You are recorded as its reviewer. Send `If-Match` with the ETag you read.",
        request=RetractSerializer,
        responses=ClaimSerializer,
        examples=[CLAIM_RESPONSE_EXAMPLE],
        **WRITE,
    )
    @action(detail=True, methods=["post"])
    def retract(self, request, id=None):
        """Retract a claim, with a reason: it stays readable but leaves default lists."""
        claim = self.get_object()
        serializer = RetractSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        claim = claim_retract(
            claim=claim,
            reason=serializer.validated_data["reason"],
            reviewed_by=request.user,
            expected=self.expected(),
        )
        return self.respond(claim)

    @extend_schema(
        operation_id="claims_reinstate",
        summary="Reinstate a retracted claim",
        description="Publish a retracted claim again, with the reason (curators); you are "
        "recorded as its reviewer. Send `If-Match` with the ETag you read.",
        request=ReinstateSerializer,
        responses=ClaimSerializer,
        examples=[CLAIM_RESPONSE_EXAMPLE],
        **WRITE,
    )
    @action(detail=True, methods=["post"])
    def reinstate(self, request, id=None):
        """Publish a retracted claim again, with a reason; you are recorded as its reviewer."""
        claim = self.get_object()
        serializer = ReinstateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        claim = claim_reinstate(
            claim=claim,
            reason=serializer.validated_data["reason"],
            reviewed_by=request.user,
            expected=self.expected(),
        )
        return self.respond(claim)


@extend_schema_view(
    list=extend_schema(
        summary="List citations",
        description="Citations, newest first, a page at a time: each a passage cited for a "
        "claim, with its stance, author and source. Filter by claim, stance, author or source.",
        examples=CITATION_EXAMPLES[:1],
    ),
    retrieve=extend_schema(
        summary="Read a citation",
        description="One citation: the claim it is for, the passage with its selectors, its "
        "source, whose words it is and its stance. The `ETag` header is its version.",
        examples=CITATION_EXAMPLES[:1],
        parameters=[ETAG],
    ),
    create=extend_schema(
        summary="Cite a passage for a claim",
        request=CitationCreateSerializer,
        responses={201: CitationDetailSerializer},
        examples=CITATION_EXAMPLES,
        parameters=[ETAG],
        description="Cite a passage for a claim (curators). A passage already cited for the "
        "claim is refused with 409 and that citation in `existing`.",
    ),
    partial_update=extend_schema(
        summary="Change a citation",
        description="Change a citation's stance, author, attribution or note (curators); the "
        "passage and claim stay. Send `If-Match` with the ETag you read: a stale one gets 412.",
        request=CitationUpdateSerializer,
        responses=CitationDetailSerializer,
        examples=CITATION_EXAMPLES[:1],
        **WRITE,
    ),
    destroy=extend_schema(
        summary="Remove a citation",
        description="Remove a citation from its claim (curators); the passage stays.",
        parameters=[IF_MATCH],
    ),
)
class CitationViewSet(
    VersionedWritesMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    """Citations: a passage cited for a claim, with its stance, author and attribution."""

    queryset = Citation.objects.select_related("claim", "passage__source", "author")
    output_serializer_class = CitationDetailSerializer
    update_service, delete_service = citation_update, citation_delete
    filterset_class = CitationFilter
    ordering = ("-created_at", "-id")
    ordering_fields = ["created_at", "updated_at"]
    lookup_value_regex = ID_PATTERN

    def list_last_modified(self):
        return latest_change_at()

    def get_serializer_class(self):
        if self.action == "create":
            return CitationCreateSerializer
        if self.action == "partial_update":
            return CitationUpdateSerializer
        return CitationDetailSerializer

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        citation = citation_add(
            user=request.user, **citation_arguments(dict(serializer.validated_data))
        )
        return self.respond(citation, status.HTTP_201_CREATED)


CLAIM_ID = OpenApiParameter(
    "id", OpenApiTypes.UUID, OpenApiParameter.PATH, description="The claim's id."
)
RELATION_ID = OpenApiParameter(
    "relation", OpenApiTypes.INT, OpenApiParameter.PATH, description="The relation's id."
)


@extend_schema_view(
    list=extend_schema(
        summary="List a claim's relations",
        description="The relations between this claim and others, in both directions, newest "
        "first, a page at a time: `subject` duplicates, contradicts or refines `object`.",
        parameters=[CLAIM_ID],
        examples=RELATION_EXAMPLES[1:],
    ),
    retrieve=extend_schema(
        summary="Read a relation of a claim",
        description="One relation of this claim (as subject or object).",
        parameters=[CLAIM_ID, RELATION_ID],
        examples=RELATION_EXAMPLES[1:],
    ),
    create=extend_schema(
        summary="Relate this claim to another",
        description="Record that this claim `duplicates`, `contradicts` or `refines` another "
        "(curators); both claims then show the relation, and their versions (ETags) change. "
        "Two claims have one relation at most, whichever way it reads: another is refused "
        "with 409 and the stored one in `existing`. A duplicate points to its canonical "
        "claim, so duplicates never chain: relating a claim as a duplicate of a claim that "
        "is itself a duplicate, or marking as a duplicate a claim that others duplicate, is "
        "refused with 400 naming the canonical claim. The lookup shows a duplicate's "
        "canonical claim in its place.",
        request=ClaimRelationCreateSerializer,
        responses={201: ClaimRelationSerializer},
        parameters=[CLAIM_ID],
        examples=RELATION_EXAMPLES,
    ),
    destroy=extend_schema(
        summary="Remove a relation",
        description="Remove a relation of this claim (curators); both claims stay, and their "
        "versions (ETags) change.",
        parameters=[CLAIM_ID, RELATION_ID],
    ),
)
class ClaimRelationViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    """Relations between claims: one duplicates, contradicts or refines another.

    A claim's relations are listed at `/claims/{id}/relations/`, and shown on both
    claims (`relations`: this claim `duplicates`, is `duplicated_by`,
    `contradicts`, `refines` or is `refined_by` the other).
    """

    serializer_class = ClaimRelationSerializer
    filter_backends = []
    lookup_url_kwarg = "relation"
    lookup_value_regex = ID_PATTERN
    http_method_names = ["get", "post", "delete", "head", "options"]

    def claim(self) -> Claim:
        if not hasattr(self, "_claim"):
            self._claim = get_object_or_404(Claim, uuid=self.kwargs["id"])
        return self._claim

    def get_queryset(self):
        return ClaimRelation.objects.touching(self.claim()).shown()

    def get_serializer_class(self):
        if self.action == "create":
            return ClaimRelationCreateSerializer
        return ClaimRelationSerializer

    def represent_record(self, record) -> dict | None:
        """The stored relation a refused one duplicates (409's `existing`)."""
        if isinstance(record, ClaimRelation):
            return ClaimRelationSerializer(ClaimRelation.objects.shown().get(pk=record.pk)).data
        return None

    def create(self, request, *args, **kwargs):
        self.claim()  # 404 for a claim that does not exist, before its input is judged
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        relation = relation_add(
            subject=self.claim(), user=request.user, **serializer.validated_data
        )
        return Response(self.represent_record(relation), status=status.HTTP_201_CREATED)

    def destroy(self, request, *args, **kwargs):
        relation_delete(relation=self.get_object(), user=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


# Not `Change`: a component with a property of its own name trips client generators.
@extend_schema_serializer(component_name="FeedChange")
class ChangeSerializer(serializers.Serializer):
    """One write to a record."""

    kind = serializers.ChoiceField(choices=ChangeKind.choices)
    id = serializers.CharField(help_text="The record's id: a claim's UUID, others' numbers.")
    change = serializers.ChoiceField(choices=ChangeOperation.choices)
    at = serializers.DateTimeField()
    data = serializers.DictField(
        allow_null=True,
        help_text="The record as its own endpoint shows it now; null once it is deleted.",
    )


class ChangePageSerializer(serializers.Serializer):
    results = ChangeSerializer(many=True)
    cursor = serializers.CharField(
        help_text="Pass it as `since` to read on; the same cursor when nothing is new."
    )
    next = serializers.URLField(help_text="The URL of the next page (poll it for new changes).")


class ChangeQuerySerializer(serializers.Serializer):
    since = serializers.CharField(
        required=False,
        max_length=200,
        help_text="The `cursor` of the previous page; omitted: from the first change; `now`: "
        "no changes, only the cursor of the newest (to follow on from a fresh export).",
    )
    limit = serializers.IntegerField(
        min_value=1, max_value=1000, default=100, help_text="Changes per page, 1–1000."
    )


class ChangeFeedView(APIView):
    """Every creation, update and deletion of claims, citations, passages, sources and authors.

    Changes come oldest first, with the record as it is now (`data`, null once
    deleted), and a `cursor` to read on from: keep a mirror in step by applying
    each page and polling `next`. A change committed while you page is never
    skipped: it comes after your cursor. Retractions are updates of the claim's
    `status`; deletions come as `deleted` with null `data`.
    """

    @extend_schema(
        operation_id="changes_list",
        summary="Read the change feed",
        description="Every creation, update and deletion of claims, citations, passages, "
        "sources and authors, oldest first, a page at a time. Apply each page to your copy "
        "and poll `next` (or pass `cursor` as `since`): a change committed while you read is "
        "never skipped. Deleted records come with null `data`.",
        parameters=[ChangeQuerySerializer],
        responses=ChangePageSerializer,
        filters=False,
    )
    def get(self, request):
        refuse_empty(request, ChangeQuerySerializer().fields)
        query = ChangeQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        since = query.validated_data.get("since")
        try:
            cursor = position(since)
        except InvalidCursor:
            # As lists answer a cursor they did not make: no such page.
            raise NotFound("`since` is not a cursor of this feed.") from None
        limit = 0 if since == "now" else query.validated_data["limit"]
        changes = changes_after(cursor, limit) if limit else []
        records = current_records(changes)
        if changes:
            cursor = changes[-1].seq
        # Numbers start at 1: 0 stands before the first change, so a cursor is never empty.
        token = encode_cursor(cursor if cursor is not None else 0)
        next_url = request.build_absolute_uri(
            f"{request.path}?{urlencode({'since': token, 'limit': query.validated_data['limit']})}"
        )
        return Response(
            {
                "results": [
                    {
                        "kind": change.kind,
                        "id": public_id(change),
                        "change": change.operation,
                        "at": change.at,
                        "data": records.get((change.kind, public_id(change))),
                    }
                    for change in changes
                ],
                "cursor": token,
                "next": next_url,
            }
        )
