"""API v1: authors, sources (with anchoring) and passages."""

from drf_spectacular.utils import OpenApiExample, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from api.conditional import ETAG, IF_MATCH, VersionedMixin, VersionedWritesMixin
from api.permissions import CanDelete, CuratorWriteOrPublicRead, ReadAccess
from sources.anchoring import AnchorError, anchor
from sources.filters import AuthorFilter, PassageFilter, SourceFilter
from sources.models import Author, Passage, Source
from sources.serializers import (
    AnchorSerializer,
    AuthorSerializer,
    PassageCreateSerializer,
    PassageSerializer,
    QuoteSerializer,
    SourceDetailSerializer,
    SourceSerializer,
    SourceWriteSerializer,
)
from sources.services import (
    author_create,
    author_delete,
    author_update,
    passage_anchor,
    quote_error,
    source_create,
    source_delete,
    source_update,
)

ID_PATTERN = "[0-9]{1,18}"

SKRIPAL_QUOTE = (
    "Within the G7, Japan was the only country not to expel Russian diplomats following the "
    "Skripal attack"
)


BROWN = {
    "id": 9,
    "slug": "james-d-j-brown",
    "name": "James D. J. Brown",
    "kind": "person",
    "affiliation": "Temple University, Japan Campus",
    "description": "Associate Professor of Political Science at Temple University, Japan Campus.",
    "url": "",
}
AUTHOR_EXAMPLES = [
    OpenApiExample("An author of the seed corpus", value=BROWN, response_only=True),
    OpenApiExample(
        "A quoted speaker",
        request_only=True,
        value={
            "name": "Sergei Lavrov",
            "kind": "person",
            "affiliation": "Russian Foreign Ministry",
        },
    ),
]
DIPLOMAT = {
    "id": 5,
    "slug": "new-cold-war-forces-japan-to-choose-sides",
    "title": "A New Cold War With Russia Forces Japan to Choose Sides",
    "url": None,
    "outlet": "The Diplomat",
    "published_on": "2018-01-01",
    "published_precision": "year",
    "language": "en",
    "kind": "analysis",
    "authors": [
        {"id": 9, "slug": "james-d-j-brown", "name": "James D. J. Brown", "kind": "person"}
    ],
    "sha256": "c7e1d0f054feaa30365926f333c3fff7e9f6abfe175eee0d3300beec9abe8449",
    "created_at": "2026-11-23T18:50:12Z",
    "updated_at": "2026-11-23T18:50:12Z",
}
SOURCE_EXAMPLES = [
    OpenApiExample("A seed source", value=DIPLOMAT, response_only=True),
    OpenApiExample(
        "A source to archive",
        request_only=True,
        value={
            "slug": "g7-toronto-statement-2018",
            "title": "G7 Foreign Ministers' Statement",
            "kind": "transcript",
            "published_on": "2018-04-23",
            "published_precision": "day",
            "authors": ["g7-foreign-ministers"],
            "text": "We share and agree with the United Kingdom's assessment...",
        },
    ),
]
PASSAGE_EXAMPLES = [
    OpenApiExample(
        "A passage of the seed corpus",
        response_only=True,
        value={
            "id": 268,
            "source": 5,
            "start": 5725,
            "end": 5826,
            "exact": SKRIPAL_QUOTE,
            "prefix": "or fear of antagonizing Russia. ",
            "suffix": ". What is more, despite being pr",
            "created_at": "2026-11-23T18:50:12Z",
        },
    ),
    OpenApiExample(
        "A quote to anchor", request_only=True, value={"source": 5, "quote": SKRIPAL_QUOTE.lower()}
    ),
]


class DeleteNeedsPermission:
    """Deleting needs the model's delete permission; the rest follows the defaults."""

    def get_permissions(self):
        if self.action == "destroy":
            return [CanDelete()]
        return super().get_permissions()


WRITE = {"parameters": [IF_MATCH, ETAG]}


@extend_schema_view(
    list=extend_schema(
        summary="List authors",
        description="People and organisations whose words passages are, by name, a page at a "
        "time. Filter by text or kind.",
        examples=AUTHOR_EXAMPLES[:1],
    ),
    retrieve=extend_schema(
        summary="Read an author",
        description="One author by id. The `ETag` header is its version.",
        examples=AUTHOR_EXAMPLES[:1],
        parameters=[ETAG],
    ),
    create=extend_schema(
        summary="Record an author",
        examples=AUTHOR_EXAMPLES,
        parameters=[ETAG],
        description="Record an author (curators). A slug in use is refused with 409 and the "
        "stored author in `existing`.",
    ),
    partial_update=extend_schema(
        summary="Change an author",
        description="Change the fields given (curators). Send `If-Match` with the ETag you "
        "read: a stale one gets 412 with the author as it is now.",
        examples=AUTHOR_EXAMPLES[:1],
        **WRITE,
    ),
    destroy=extend_schema(
        summary="Delete an author",
        description="Delete an author (needs the delete permission); refused with 409 while "
        "a source or citation names them.",
        parameters=[IF_MATCH],
    ),
)
class AuthorViewSet(VersionedWritesMixin, DeleteNeedsPermission, viewsets.ModelViewSet):
    """People and organisations whose words passages are: bylines, quoted speakers, commenters."""

    queryset = Author.objects.all()
    serializer_class = AuthorSerializer
    update_service, delete_service = author_update, author_delete
    filterset_class = AuthorFilter
    ordering = ("name", "id")
    ordering_fields = ["name", "slug"]
    lookup_value_regex = ID_PATTERN

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        author = author_create(user=request.user, **serializer.validated_data)
        return self.respond(author, status.HTTP_201_CREATED)


@extend_schema_view(
    list=extend_schema(
        summary="List sources",
        description="Archived documents, newest first, without their texts, a page at a time. "
        "Filter by text, author, kind, language or publication date.",
        examples=SOURCE_EXAMPLES[:1],
    ),
    retrieve=extend_schema(
        summary="Read a source",
        description="One source with its full text exactly as archived and its SHA-256. The "
        "`ETag` header is its version.",
        parameters=[ETAG],
    ),
    create=extend_schema(
        summary="Archive a source",
        request=SourceWriteSerializer,
        responses={201: SourceDetailSerializer},
        examples=SOURCE_EXAMPLES[1:],
        parameters=[ETAG],
        description="Archive a document (curators). A slug or URL in use is refused with 409 "
        "and the stored source in `existing`.",
    ),
    partial_update=extend_schema(
        summary="Change a source",
        description="Change a source's metadata (curators); its text only while no passage "
        "points into it. Send `If-Match` with the ETag you read: a stale one gets 412.",
        request=SourceWriteSerializer,
        responses=SourceDetailSerializer,
        **WRITE,
    ),
    destroy=extend_schema(
        summary="Delete a source",
        description="Delete a source (needs the delete permission); refused with 409 once "
        "passages point into it.",
        parameters=[IF_MATCH],
    ),
)
class SourceViewSet(VersionedWritesMixin, DeleteNeedsPermission, viewsets.ModelViewSet):
    """Archived source documents. A text never changes once passages point into it."""

    queryset = Source.objects.prefetch_related("authors")
    output_serializer_class = SourceDetailSerializer
    update_service, delete_service = source_update, source_delete
    filterset_class = SourceFilter
    ordering_fields = ["published_on", "created_at", "slug"]
    lookup_value_regex = ID_PATTERN

    def get_queryset(self):
        sources = super().get_queryset()
        if self.action == "list":
            # A list shows no text: the texts, megabytes some of them, stay in the database.
            sources = sources.defer("text", "note")
        return sources

    def get_serializer_class(self):
        if self.action in ("create", "partial_update"):
            return SourceWriteSerializer
        if self.action == "list":
            return SourceSerializer
        return SourceDetailSerializer

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        source = source_create(user=request.user, **serializer.validated_data)
        return self.respond(source, status.HTTP_201_CREATED)

    @extend_schema(
        operation_id="sources_anchor",
        summary="Find a quote in a source",
        request=QuoteSerializer,
        responses=AnchorSerializer,
        examples=[
            OpenApiExample(
                "A quote typed in lower case",
                value={"quote": SKRIPAL_QUOTE.lower()},
                request_only=True,
            ),
            OpenApiExample(
                "Where it is",
                value={
                    key: PASSAGE_EXAMPLES[0].value[key]
                    for key in ("start", "end", "exact", "prefix", "suffix")
                },
                response_only=True,
            ),
        ],
    )
    @action(detail=True, methods=["post"], permission_classes=[ReadAccess])
    def anchor(self, request, pk=None):
        """Find a quote in this source's text: offsets and W3C selectors, or a 400 saying why.

        The quote is found even if its quotes, apostrophes, dashes, whitespace or
        letter case differ from the text. An absent quote is refused; an ambiguous
        one is refused with the offsets of every candidate. Nothing is stored.
        """
        source = self.get_object()
        serializer = QuoteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            span = anchor(source.text, serializer.validated_data["quote"])
        except AnchorError as error:
            raise quote_error(error) from error
        return Response(AnchorSerializer(span).data)


@extend_schema_view(
    list=extend_schema(
        summary="List passages",
        description="Spans of source texts with their offsets and quote selectors, newest "
        "first, a page at a time. Filter by source.",
        examples=PASSAGE_EXAMPLES[:1],
    ),
    retrieve=extend_schema(
        summary="Read a passage",
        description="One passage: its source, offsets and W3C quote selectors. The `ETag` "
        "header is its version.",
        examples=PASSAGE_EXAMPLES[:1],
        parameters=[ETAG],
    ),
    create=extend_schema(
        summary="Anchor and store a passage",
        request=PassageCreateSerializer,
        responses={201: PassageSerializer, 200: PassageSerializer},
        examples=PASSAGE_EXAMPLES,
        parameters=[ETAG],
        description="Anchor a quote in a source and store its passage (curators): 201 with "
        "the new passage, or 200 with the stored one when the span has one already.",
    ),
)
class PassageViewSet(
    VersionedMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    """Spans of source texts, addressed by offsets and quote selectors; made by anchoring."""

    queryset = Passage.objects.all()
    serializer_class = PassageSerializer
    filterset_class = PassageFilter
    ordering_fields = ["created_at", "start"]
    permission_classes = [CuratorWriteOrPublicRead]
    lookup_value_regex = ID_PATTERN

    def create(self, request, *args, **kwargs):
        serializer = PassageCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        passage, created = passage_anchor(**serializer.validated_data)
        return self.respond(passage, status.HTTP_201_CREATED if created else status.HTTP_200_OK)
