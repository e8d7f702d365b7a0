"""Reads of the change history that django-simple-history records for claims and citations."""

from dataclasses import dataclass, field
from datetime import date, datetime
from itertools import pairwise

from django.contrib.auth import get_user_model
from django.db import models
from django.db.models import Q

from claims.models import Citation, Claim, ClaimRelation, Topic


class HistoryObject(models.TextChoices):
    CLAIM = "claim", "Claim"
    CITATION = "citation", "Citation"
    RELATION = "relation", "Relation to another claim"


class HistoryChangeType(models.TextChoices):
    CREATED = "created", "Created"
    CHANGED = "changed", "Changed"
    DELETED = "deleted", "Deleted"


CHANGE_TYPES = {
    "+": HistoryChangeType.CREATED,
    "~": HistoryChangeType.CHANGED,
    "-": HistoryChangeType.DELETED,
}
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


def public_keys() -> dict:
    """How the API names the records a foreign key may point to, where not by number."""
    return {Claim: "uuid", get_user_model(): get_user_model().USERNAME_FIELD}


def public(model, name: str, value):
    """A recorded value as the API names it: a claim by its UUID, a user by username.

    Passages, sources, authors and citations keep their numbers: those are their ids
    in the API. A record deleted since is named by what was recorded.
    """
    if isinstance(value, list):  # an m2m field's rows (topics), as the sorted slugs they name
        ids = [row.get("topic") for row in value if isinstance(row, dict)]
        return sorted(Topic.objects.filter(pk__in=ids).values_list("slug", flat=True))
    model_field = model._meta.get_field(name)
    key = public_keys().get(model_field.related_model) if model_field.many_to_one else None
    if key is None or value is None:
        return plain(value)
    target = model_field.related_model
    found = target._default_manager.filter(pk=value).values_list(key, flat=True)
    return plain(next(iter(found), value))


def entries_of(records: list, kind: str, object_id) -> list[HistoryEntry]:
    """One entry per record, each with the fields that changed since the record before."""
    entries = []
    for previous, record in pairwise([None, *records]):
        if previous is None or record.history_type != "~":
            model = record.instance_type
            changes = [
                {
                    "field": f.name,
                    "old": None,
                    "new": public(model, f.name, getattr(record, f.attname)),
                }
                for f in model._meta.fields
                if f.name not in UNTRACKED and record.history_type == "+"
            ]
        else:
            delta = record.diff_against(previous, excluded_fields=UNTRACKED)
            model = record.instance_type
            changes = [
                {
                    "field": change.field,
                    "old": public(model, change.field, change.old),
                    "new": public(model, change.field, change.new),
                }
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
    """Every recorded change to a claim, its citations and its relations, newest first."""
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
    relation_records: dict[int, list] = {}
    for record in (
        ClaimRelation.history.filter(Q(subject_id=claim.pk) | Q(object_id=claim.pk))
        .select_related("history_user")
        .order_by("history_date", "history_id")
    ):
        relation_records.setdefault(record.id, []).append(record)
    for records in relation_records.values():
        entries += entries_of(records, "relation", lambda record: record.id)
    return sorted(entries, key=lambda entry: entry.date, reverse=True)
