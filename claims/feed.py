"""Reads of the change feed: every write to the records the API serves, in a stable order.

Database triggers append a Change row for each insert, update and delete
(claims/migrations/0007_change_feed.py). A reader pages through them with an
opaque cursor. On PostgreSQL, transactions get their ids when they first
write and may commit in another order, so the feed is ordered by
(transaction id, row id) and shows only changes of transactions older than
the oldest one still running: a change committed later always sorts after
every cursor handed out before. On SQLite writers commit one at a time, and
the row id alone is that order.
"""

import base64
import binascii
import uuid
from dataclasses import dataclass

from django.db import connection
from django.db.models import BooleanField, Q
from django.db.models.expressions import RawSQL

from claims.models import Change, ChangeKind, Citation, Claim
from claims.serializers import CitationDetailSerializer, ClaimSerializer
from sources.models import Author, Passage, Source
from sources.serializers import AuthorSerializer, PassageSerializer, SourceDetailSerializer

CURSOR_PREFIX = "c1"

# Committed by every transaction older than the oldest still running; the reader's own
# writes (in a writing transaction) are its to see.
POSTGRES_VISIBLE = """
    txid < pg_snapshot_xmin(pg_current_snapshot())::text::bigint
    OR txid = coalesce(pg_current_xact_id_if_assigned()::text::bigint, -1)
"""


class InvalidCursor(ValueError):
    """The cursor was not made by this feed."""


def encode_cursor(txid: int, change_id: int) -> str:
    raw = f"{CURSOR_PREFIX}:{txid}:{change_id}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[int, int]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        prefix, txid, change_id = raw.split(":")
        if prefix != CURSOR_PREFIX:
            raise ValueError(prefix)
        return int(txid), int(change_id)
    except (ValueError, UnicodeDecodeError, binascii.Error) as error:
        raise InvalidCursor(cursor) from error


def changes_after(cursor: tuple[int, int] | None, limit: int) -> list[Change]:
    """The next `limit` changes after `cursor` (from the first when None), oldest first."""
    changes = Change.objects.all()
    if cursor is not None:
        txid, change_id = cursor
        changes = changes.filter(Q(txid__gt=txid) | Q(txid=txid, id__gt=change_id))
    if connection.vendor == "postgresql":
        changes = changes.alias(
            visible=RawSQL(POSTGRES_VISIBLE, [], output_field=BooleanField())
        ).filter(visible=True)
    return list(changes.order_by("txid", "id")[:limit])


def public_id(change: Change) -> str:
    """The record's id as the API writes it (a claim's UUID with its dashes)."""
    if change.kind == ChangeKind.CLAIM:
        return str(uuid.UUID(change.object_id))
    return change.object_id


@dataclass(frozen=True)
class Kind:
    queryset: object
    key: str
    serializer: type


KINDS = {
    ChangeKind.CLAIM: Kind(Claim.objects.with_verdict().with_citations(), "uuid", ClaimSerializer),
    ChangeKind.CITATION: Kind(
        Citation.objects.select_related("claim", "passage__source", "author"),
        "pk",
        CitationDetailSerializer,
    ),
    ChangeKind.PASSAGE: Kind(Passage.objects.all(), "pk", PassageSerializer),
    ChangeKind.SOURCE: Kind(
        Source.objects.prefetch_related("authors"), "pk", SourceDetailSerializer
    ),
    ChangeKind.AUTHOR: Kind(Author.objects.all(), "pk", AuthorSerializer),
}


def current_records(changes: list[Change]) -> dict[tuple[str, str], dict]:
    """Each changed record as the API shows it now, by (kind, public id); absent if deleted."""
    records = {}
    for kind, spec in KINDS.items():
        ids = {public_id(change) for change in changes if change.kind == kind}
        if not ids:
            continue
        for record in spec.queryset.filter(**{f"{spec.key}__in": ids}):
            records[(kind, str(getattr(record, spec.key)))] = spec.serializer(record).data
    return records
