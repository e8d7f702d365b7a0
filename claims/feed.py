"""Reads of the change feed: every write to the records the API serves, in commit order.

Database triggers append a Change row for each insert, update and delete and
number it as its transaction commits (claims/migrations/0007_change_feed.py),
so a change committed later always gets a number above every change a reader
has seen: paging by number with an opaque cursor never skips one.
"""

import base64
import binascii
import uuid
from dataclasses import dataclass

from django.db.models import Max, Subquery

from claims.models import Change, ChangeKind, Citation, Claim
from claims.serializers import CitationDetailSerializer, ClaimSerializer
from sources.models import Author, Passage, Source
from sources.serializers import AuthorSerializer, PassageSerializer, SourceDetailSerializer

CURSOR_PREFIX = "c2"


class InvalidCursor(ValueError):
    """The cursor was not made by this feed."""


def encode_cursor(seq: int) -> str:
    raw = f"{CURSOR_PREFIX}:{seq}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> int:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        prefix, seq = raw.split(":")
        if prefix != CURSOR_PREFIX or not seq.isascii() or not seq.isdigit() or len(seq) > 18:
            raise ValueError(raw)
        return int(seq)
    except (ValueError, UnicodeDecodeError, binascii.Error) as error:
        raise InvalidCursor(cursor) from error


def position(since: str | None) -> int | None:
    """Where a reader's `since` points: None (the start), the newest change (`now`), or the
    number its cursor holds."""
    if not since:
        return None
    return latest_seq() if since == "now" else decode_cursor(since)


def latest_seq() -> int:
    """The number of the newest committed change (0 when there is none)."""
    latest = Change.objects.filter(seq__isnull=False).aggregate(latest=Max("seq"))["latest"]
    return latest or 0


def changes_after(seq: int | None, limit: int) -> list[Change]:
    """The next `limit` committed changes after number `seq` (from the first when None)."""
    changes = Change.objects.filter(seq__isnull=False)
    if seq is not None:
        changes = changes.filter(seq__gt=seq)
    return list(changes.order_by("seq")[:limit])


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
    ChangeKind.CLAIM: Kind(
        Claim.objects.with_citations().with_relations(), "uuid", ClaimSerializer
    ),
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


def latest_change_at() -> Subquery:
    """When the latest committed write to any claim, citation, passage, source or author was.

    The Last-Modified of a list: a deletion leaves no row behind to date it, but it
    leaves a change.
    """
    latest = Change.objects.filter(seq__isnull=False).order_by("-seq").values("at")[:1]
    return Subquery(latest)
