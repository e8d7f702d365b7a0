"""Reads of the change history that django-simple-history records for claims and citations."""

from dataclasses import dataclass, field
from datetime import date, datetime
from itertools import pairwise

from claims.models import Citation, Claim, Topic

CHANGE_TYPES = {"+": "created", "~": "changed", "-": "deleted"}
UNTRACKED = {"id", "created_at", "updated_at", "version", "fingerprint"}


@dataclass
class HistoryEntry:
    object: str
    object_id: str
    type: str
    date: datetime
    user: str | None
    changes: list[dict] = field(default_factory=list)


def plain(value):
    """A JSON-friendly form of a recorded value."""
    if isinstance(value, date | datetime):
        return value.isoformat()
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)


def related(value):
    """A recorded value; an m2m field's rows (topics) as the sorted slugs they name."""
    if isinstance(value, list):
        ids = [row.get("topic") for row in value if isinstance(row, dict)]
        return sorted(Topic.objects.filter(pk__in=ids).values_list("slug", flat=True))
    return plain(value)


def entries_of(records: list, kind: str, object_id) -> list[HistoryEntry]:
    """One entry per record, each with the fields that changed since the record before."""
    entries = []
    for previous, record in pairwise([None, *records]):
        if previous is None or record.history_type != "~":
            changes = [
                {"field": f.attname, "old": None, "new": plain(getattr(record, f.attname))}
                for f in record.instance_type._meta.fields
                if f.attname not in UNTRACKED and record.history_type == "+"
            ]
        else:
            delta = record.diff_against(previous, excluded_fields=UNTRACKED)
            changes = [
                {"field": change.field, "old": related(change.old), "new": related(change.new)}
                for change in delta.changes
            ]
            if not changes:
                continue  # only the version moved: the change is in a citation's own entry
        entries.append(
            HistoryEntry(
                object=kind,
                object_id=str(object_id(record)),
                type=CHANGE_TYPES[record.history_type],
                date=record.history_date,
                user=record.history_user.get_username() if record.history_user else None,
                changes=changes,
            )
        )
    return entries


def claim_history(claim: Claim) -> list[HistoryEntry]:
    """Every recorded change to a claim and to its citations, newest first."""
    claim_records = list(
        claim.history.select_related("history_user").order_by("history_date", "history_id")
    )
    entries = entries_of(claim_records, "claim", lambda record: claim.uuid)
    citation_records: dict[int, list] = {}
    for record in (
        Citation.history.filter(claim_id=claim.pk)
        .select_related("history_user")
        .order_by("history_date", "history_id")
    ):
        citation_records.setdefault(record.id, []).append(record)
    for records in citation_records.values():
        entries += entries_of(records, "citation", lambda record: record.id)
    return sorted(entries, key=lambda entry: entry.date, reverse=True)
