"""Bulk export of claims as NDJSON, streamed."""

from collections.abc import Iterator

from django.http import StreamingHttpResponse
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import generics, renderers

from api.filters import FilterBackend
from api.renderers import NDJSONRenderer, json_line
from claims.filters import ClaimFilter
from claims.models import Claim
from claims.rows import CLAIM_FIELDS, shown_claims
from claims.serializers import ClaimSerializer

NDJSON = NDJSONRenderer.media_type


def claim_lines(claims, *, chunk_size: int) -> Iterator[bytes]:
    """Each claim of `claims` with its citations and verdict, one JSON line each, by id.

    Claims are read a chunk at a time (keyset on the primary key, so no cursor
    stays open between chunks): a constant number of queries per chunk, and
    memory that does not grow with the number of claims. Each chunk is read as
    rows, not model instances (building and prefetching these was most of an
    export's time), and written as one piece of the response.
    """
    last = 0
    while True:
        rows = list(claims.filter(pk__gt=last).order_by("pk").values(*CLAIM_FIELDS)[:chunk_size])
        if not rows:
            return
        yield b"".join(json_line(claim) for claim in shown_claims(rows))
        if len(rows) < chunk_size:
            return
        last = rows[-1]["pk"]


class ClaimExportView(generics.GenericAPIView):
    """Every claim that matches the filters, with its citations and verdict, one per line."""

    serializer_class = ClaimSerializer
    filter_backends = [FilterBackend]  # an empty filter is a 400, as on the list
    filterset_class = ClaimFilter
    pagination_class = None
    renderer_classes = [NDJSONRenderer]
    chunk_size = 1000

    def get_queryset(self):
        claims = Claim.objects.all()
        if "status" not in self.request.query_params:
            claims = claims.listed()
        return claims

    @extend_schema(
        operation_id="export_claims_ndjson",
        tags=["export"],
        summary="Stream claims as NDJSON",
        filters=True,
        responses={
            (200, NDJSON): OpenApiResponse(
                ClaimSerializer,
                description="One claim per line (NDJSON), each exactly as `GET "
                "/api/v1/claims/{id}/` shows it, in the order the claims were stored.",
            )
        },
        description="Stream every claim that matches the filters, with its citations and "
        "verdict, as newline-delimited JSON (`application/x-ndjson`): one claim per line, "
        "each the same JSON as `GET /api/v1/claims/{id}/`. The filters are the claim list's; "
        "as in the list, retracted claims are left out unless `status=retracted` is asked "
        "for. The response is streamed, so a client can start reading at once and the "
        "server's memory does not grow with the number of claims. For the whole database "
        "(sources with their texts, authors, what the corpus loader last wrote), use `manage.py "
        "export`.",
    )
    def get(self, request, *args, **kwargs):
        claims = self.filter_queryset(self.get_queryset())
        return StreamingHttpResponse(
            claim_lines(claims, chunk_size=self.chunk_size), content_type=NDJSON
        )

    def handle_exception(self, exc):
        # Errors are JSON documents, whatever media type was asked for.
        response = super().handle_exception(exc)
        self.request.accepted_renderer = renderers.JSONRenderer()
        self.request.accepted_media_type = renderers.JSONRenderer.media_type
        return response
