"""Conditional writes: every versioned record has an ETag; If-Match guards its writes.

A record's ETag is its version, which every write bumps. A PATCH or DELETE
with `If-Match` naming an older version is refused with 412 and the current
record; with `CLAIMBASE_REQUIRE_IF_MATCH` on, a write without `If-Match` is
refused with 428. The check itself happens in the services, under a row lock,
so that two writers holding the same ETag cannot both succeed.
"""

import re

from django.conf import settings
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter
from rest_framework import status
from rest_framework.response import Response

from api.errors import PreconditionRequired, etag

ENTITY_TAG = re.compile(r'\s*(W/)?"([^"]*)"\s*(?:,|$)')

IF_MATCH = OpenApiParameter(
    "If-Match",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    description='The ETag of the version you read (`"3"`), or `*`. A stale one gets 412 '
    "with the current record. Required when the server sets CLAIMBASE_REQUIRE_IF_MATCH "
    "(428 without it).",
)
ETAG = OpenApiParameter(
    "ETag",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    description="The record's version as a strong entity tag; send it back in If-Match.",
    response=[200, 201],
)


def expected_versions(request) -> frozenset[int] | None:
    """The versions an If-Match header allows (None: any), or 428 when one is required."""
    header = request.headers.get("If-Match")
    if header is None or not header.strip():
        if settings.CLAIMBASE_REQUIRE_IF_MATCH:
            raise PreconditionRequired()
        return None
    if header.strip() == "*":
        return None
    versions = set()
    for weak, tag in ENTITY_TAG.findall(header):
        # If-Match compares strongly: a weak tag never matches.
        if not weak and tag.isascii() and tag.isdigit() and len(tag) < 12:
            versions.add(int(tag))
    return frozenset(versions)  # empty: nothing can match, so the write gets 412


class VersionedMixin:
    """ETag on every single-record response; If-Match read for the services' check.

    A viewset says how it shows one record (`represent`), and passes
    `self.expected()` to the services that write.
    """

    versioned = True
    output_serializer_class = None  # how one record is shown, if not get_serializer_class()
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def expected(self) -> frozenset[int] | None:
        return expected_versions(self.request)

    def represent(self, record) -> dict:
        serializer_class = self.output_serializer_class or self.get_serializer_class()
        return serializer_class(record, context=self.get_serializer_context()).data

    def represent_record(self, record) -> dict | None:
        """The record for an error body (412's `current`, 409's `existing`)."""
        if isinstance(record, self.get_queryset().model):
            return self.represent(self.get_queryset().get(pk=record.pk))
        return None

    def respond(self, record, status_code: int = status.HTTP_200_OK) -> Response:
        record = self.get_queryset().get(pk=record.pk)
        return Response(self.represent(record), status=status_code, headers={"ETag": etag(record)})

    def retrieve(self, request, *args, **kwargs):
        record = self.get_object()
        return Response(self.represent(record), headers={"ETag": etag(record)})


class VersionedWritesMixin(VersionedMixin):
    """PATCH and DELETE through the services a viewset names, with If-Match passed on."""

    # Called as service(<model name>=record, expected=…, user=…, **fields).
    update_service = None
    delete_service = None

    def record_argument(self, record) -> dict:
        return {record._meta.model_name: record}

    def partial_update(self, request, *args, **kwargs):
        serializer = self.get_serializer(self.get_object(), data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        record = type(self).update_service(
            **self.record_argument(serializer.instance),
            expected=self.expected(),
            user=request.user,
            **serializer.validated_data,
        )
        return self.respond(record)

    def destroy(self, request, *args, **kwargs):
        type(self).delete_service(
            **self.record_argument(self.get_object()), expected=self.expected(), user=request.user
        )
        return Response(status=status.HTTP_204_NO_CONTENT)
