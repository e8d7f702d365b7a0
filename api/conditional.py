"""Conditional requests: ETags and Last-Modified on reads, If-Match guarding writes.

A record's ETag starts with its version, which every write bumps; a record whose
representation embeds others (a claim its citations' passages, sources and
authors) adds up their versions after a dot (`"4.17"`), so that a change to an
embedded record changes the ETag too. A representation other than JSON adds its
suffix (`"4.17-jsonld"`): a strong ETag names one representation.

Reads: `If-None-Match` (weak comparison) or `If-Modified-Since` that still holds
gets 304 with no body, decided by one query that reads versions and times only
(a list: its page's rows), before anything is rendered.

Writes: a PATCH or DELETE with `If-Match` naming an older version is refused
with 412 and the current record; only the version is compared, so any ETag of
the version read passes. With `CLAIMBASE_REQUIRE_IF_MATCH` on, a write without
`If-Match` is refused with 428. The check itself happens in the services, under
a row lock, so that two writers holding the same ETag cannot both succeed.
"""

import hashlib
import re
from datetime import datetime
from typing import NamedTuple

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db.models import prefetch_related_objects
from django.utils.http import http_date, parse_etags, parse_http_date_safe
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter
from rest_framework import status
from rest_framework.generics import get_object_or_404
from rest_framework.pagination import CursorPagination
from rest_framework.response import Response

from api.errors import PreconditionRequired, etag
from api.filters import filters_asked

ENTITY_TAG = re.compile(r'\s*(W/)?"([^"]*)"\s*(?:,|$)')
# A gzipped response's ETag ends with this, inside the quotes: it stays strong (If-Match
# compares strongly) and still names another representation than the identity one.
GZIP_SUFFIX = "-gzip"
# The opaque part of a record's ETag: version, embedded versions, representation, coding.
RECORD_TAG = re.compile(r"(?P<version>[0-9]{1,11})(?:\.[0-9]{1,20})?(?:-jsonld)?(?:-gzip)?")

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
        if not weak and tag.isascii() and (match := RECORD_TAG.fullmatch(tag)):
            versions.add(int(match["version"]))
    return frozenset(versions)  # empty: nothing can match, so the write gets 412


class Validators(NamedTuple):
    """What a conditional read compares: the ETag's opaque part, and Last-Modified if known."""

    tag: str
    last_modified: datetime | None = None

    @classmethod
    def of_record(cls, version: int, embedded_version: int | None, last_modified=None):
        tag = str(version) if embedded_version is None else f"{version}.{embedded_version}"
        return cls(tag, last_modified)

    def headers(self, suffix: str = "") -> dict[str, str]:
        headers = {"ETag": f'"{self.tag}{suffix}"'}
        if self.last_modified is not None:
            headers["Last-Modified"] = http_date(self.last_modified.timestamp())
        return headers


def not_modified(request, entity_tag: str, last_modified: datetime | None) -> str | None:
    """The ETag of the client's current copy when a GET's preconditions hold (304), or None.

    If-None-Match compares weakly and, when sent, decides alone; otherwise
    If-Modified-Since holds when nothing changed after it (to the second). The
    tag returned is the one the client holds (a gzipped copy's ends in -gzip),
    so that a cache finds the stored response the 304 refreshes.
    """
    if_none_match = request.headers.get("If-None-Match")
    if if_none_match is not None:
        tags = parse_etags(if_none_match)
        if tags == ["*"]:
            return entity_tag
        held = [tag.removeprefix("W/") for tag in tags if identity_tag(tag) == entity_tag]
        return held[0] if held else None
    since = parse_http_date_safe(request.headers.get("If-Modified-Since") or "")
    if since is None or last_modified is None or int(last_modified.timestamp()) > since:
        return None
    return entity_tag


def identity_tag(tag: str) -> str:
    """The strong ETag of the identity coding that a (weak, gzip) ETag stands for."""
    tag = tag.removeprefix("W/")
    return tag.removesuffix(f'{GZIP_SUFFIX}"') + '"' if tag.endswith(f'{GZIP_SUFFIX}"') else tag


VALIDATOR_FIELDS = ("version", "embedded_version", "last_modified")


class VersionedMixin:
    """ETag and Last-Modified on reads, 304 when they still hold; If-Match for the services.

    A viewset says how it shows one record (`represent`), and passes
    `self.expected()` to the services that write. Its model's QuerySet has
    `with_validators()`, annotating `embedded_version` and `last_modified`.
    A list's Last-Modified is `list_last_modified()` (an expression, None: none).

    A viewset that shows its records from rows rather than model instances names
    the fields it reads (`row_fields`) and how rows are shown (`represent_rows`):
    its list and detail then build no model instance.
    """

    versioned = True
    output_serializer_class = None  # how one record is shown, if not get_serializer_class()
    row_fields: list[str] | None = None  # set: reads show `represent_rows()` of these fields
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def expected(self) -> frozenset[int] | None:
        return expected_versions(self.request)

    def filter_queryset(self, queryset):
        if not filters_asked(self.request, self):
            return queryset
        return super().filter_queryset(queryset)

    def represent(self, record) -> dict:
        serializer_class = self.output_serializer_class or self.get_serializer_class()
        return serializer_class(record, context=self.get_serializer_context()).data

    def represent_rows(self, rows: list[dict]) -> list[dict]:
        """How rows of `row_fields` are shown, in their order (with `row_fields` only)."""
        raise NotImplementedError

    def represent_record(self, record) -> dict | None:
        """The record for an error body (412's `current`, 409's `existing`)."""
        if isinstance(record, self.get_queryset().model):
            return self.represent(self.get_queryset().get(pk=record.pk))
        return None

    def representation_suffix(self) -> str:
        renderer = getattr(self.request, "accepted_renderer", None)
        return getattr(renderer, "etag_suffix", "")

    def record_validators(self, **lookup) -> Validators | None:
        """The validators of one record (by `lookup`, default: the URL's), in one query."""
        if not lookup:
            field = self.lookup_url_kwarg or self.lookup_field
            lookup = {self.lookup_field: self.kwargs[field]}
        records = self.get_queryset().model._default_manager
        try:
            row = records.filter(**lookup).with_validators().values_list(*VALIDATOR_FIELDS).first()
        except (TypeError, ValueError, ValidationError):
            return None  # a malformed id: get_object() answers 404
        return Validators.of_record(*row) if row is not None else None

    def entity_tag(self, record) -> str:
        """The ETag of `record` as this view shows it (its 412 response's, too)."""
        validators = self.record_validators(pk=record.pk)
        return validators.headers()["ETag"] if validators is not None else etag(record)

    def conditional_headers(self, validators: Validators) -> dict[str, str]:
        return validators.headers(self.representation_suffix())

    def not_modified(self, validators: Validators) -> Response | None:
        """304 with the validators, or None when the client's copy is stale (or it has none)."""
        headers = self.conditional_headers(validators)
        held = not_modified(self.request, headers["ETag"], validators.last_modified)
        if held is None:
            return None
        return Response(status=status.HTTP_304_NOT_MODIFIED, headers={**headers, "ETag": held})

    def respond(self, record, status_code: int = status.HTTP_200_OK) -> Response:
        validators = self.record_validators(pk=record.pk)
        record = self.get_queryset().get(pk=record.pk)
        return Response(
            self.represent(record), status=status_code, headers=self.conditional_headers(validators)
        )

    def retrieve(self, request, *args, **kwargs):
        # One query reads the record with its validators; what it embeds is read after
        # the 304 check (none for a 304). A write in between leaves an ETag older than the
        # body, so the next conditional read gets the newer body, never a wrong 304.
        # With `row_fields`, the record is that query's row, and what it embeds is read
        # as rows too.
        queryset = self.filter_queryset(self.get_queryset())
        embedded = queryset._prefetch_related_lookups
        field = self.lookup_url_kwarg or self.lookup_field
        records = queryset.prefetch_related(None).with_validators()
        if self.row_fields is not None:
            records = records.values(*self.row_fields, *VALIDATOR_FIELDS)
        record = get_object_or_404(records, **{self.lookup_field: self.kwargs[field]})
        self.check_object_permissions(request, record)
        validators = Validators.of_record(
            *(
                record[name] if self.row_fields is not None else getattr(record, name)
                for name in VALIDATOR_FIELDS
            )
        )
        if response := self.not_modified(validators):
            return response
        if self.row_fields is not None:
            data = self.represent_rows([record])[0]
        else:
            prefetch_related_objects([record], *embedded)
            data = self.represent(record)
        return Response(data, headers=self.conditional_headers(validators))

    def list_last_modified(self):
        """An expression for a list's Last-Modified, or None: lists of this kind have none."""
        return None

    def page_validators(self, page: list[dict], paginator) -> Validators:
        """A page's ETag: a digest of its records' versions and of its links."""
        digest = hashlib.sha256()
        for row in page:
            digest.update(f"{row['pk']}:{row['version']}.{row['embedded_version']};".encode())
        digest.update(f"{paginator.get_next_link()} {paginator.get_previous_link()}".encode())
        last_modified = page[0].get("list_last_modified") if page else None
        return Validators(digest.hexdigest()[:32], last_modified)

    def represent_page(self, page: list[dict]) -> list:
        """The records of a page's rows (`pk` first), shown in the page's order.

        Read again by `get_queryset()`, so that a record that left it since the page
        was read is left out.
        """
        pks = [row["pk"] for row in page]
        if self.row_fields is None:
            records = self.get_queryset().in_bulk(pks)
            return self.get_serializer([records[pk] for pk in pks if pk in records], many=True).data
        if not pks:
            return []
        rows = (
            self.get_queryset().prefetch_related(None).filter(pk__in=pks).values(*self.row_fields)
        )
        records = {row["pk"]: row for row in rows}
        return self.represent_rows([records[pk] for pk in pks if pk in records])

    def list(self, request, *args, **kwargs):
        """A page, its validators read first (one query of ids, versions and times)."""
        queryset = self.filter_queryset(self.get_queryset())
        paginator = self.paginator
        if not isinstance(paginator, CursorPagination):
            return super().list(request, *args, **kwargs)
        ordering = [name.lstrip("-") for name in paginator.get_ordering(request, queryset, self)]
        rows = queryset.prefetch_related(None).with_validators()
        latest = self.list_last_modified()
        if latest is not None:
            rows = rows.annotate(list_last_modified=latest)
        fields = ["pk", "version", "embedded_version", *ordering]
        page = paginator.paginate_queryset(
            rows.values(*fields, *(["list_last_modified"] if latest is not None else [])),
            request,
            view=self,
        )
        validators = self.page_validators(page, paginator)
        if response := self.not_modified(validators):
            return response
        response = paginator.get_paginated_response(self.represent_page(page))
        for header, value in self.conditional_headers(validators).items():
            response[header] = value
        return response


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


CONDITIONAL_READ_PATHS = re.compile(
    r"^/api/v1/(claims|citations|sources|passages|authors)/(\{id\}/)?$"
)
READ_PARAMETERS = [
    {
        "in": "header",
        "name": "If-None-Match",
        "schema": {"type": "string"},
        "description": "ETags of the copies you hold: 304 with no body while one is current "
        "(weak comparison, `*` matches any).",
    },
    {
        "in": "header",
        "name": "If-Modified-Since",
        "schema": {"type": "string"},
        "description": "An HTTP date (a Last-Modified you read): 304 with no body unless "
        "something changed after it. Ignored when If-None-Match is sent.",
    },
]
READ_HEADERS = {
    "ETag": {
        "schema": {"type": "string"},
        "description": "The representation's strong ETag: the record's version, then after "
        "a dot the versions of the records it embeds; a list's: a digest of its page; "
        "`-jsonld` ends a JSON-LD one's, and `-gzip` a gzipped one's.",
    },
    "Last-Modified": {
        "schema": {"type": "string"},
        "description": "When the record or one it embeds last changed; a claim or citation "
        "list's: the latest write to any record. Absent on lists of other kinds.",
    },
}


def document_conditional_reads(result, generator, request, public):
    """Schema post-processing: the validators, preconditions and 304 of every record read."""
    for path, operations in result.get("paths", {}).items():
        operation = operations.get("get")
        if operation is None or not CONDITIONAL_READ_PATHS.match(path):
            continue
        names = {parameter["name"] for parameter in operation.get("parameters", [])}
        operation.setdefault("parameters", []).extend(
            parameter for parameter in READ_PARAMETERS if parameter["name"] not in names
        )
        ok = operation["responses"].get("200", {})
        ok["headers"] = {**READ_HEADERS, **ok.get("headers", {})}
        operation["responses"]["304"] = {
            "description": "Not modified: the copy named by If-None-Match or dated by "
            "If-Modified-Since is current. No body; ETag and Last-Modified as for 200.",
            "headers": READ_HEADERS,
        }
    return result
