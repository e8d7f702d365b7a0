"""Curators: the permissions their group holds."""

from django.contrib.auth.models import Group, Permission
from django.db import DEFAULT_DB_ALIAS, transaction
from django.db.models import Q

from api.permissions import CURATORS_GROUP

__all__ = ["CURATORS_GROUP", "CURATOR_PERMISSIONS", "curators_group_sync"]

# What curators may do in the admin: write claims, citations, sources and authors;
# deleting claims, sources, authors and passages is left to those given delete rights.
CURATOR_PERMISSIONS = {
    "claims": [
        "add_claim",
        "change_claim",
        "view_claim",
        "add_citation",
        "change_citation",
        "delete_citation",
        "view_citation",
        "add_claimrelation",
        "delete_claimrelation",
        "view_claimrelation",
        "add_topic",
        "change_topic",
        "view_topic",
    ],
    "sources": [
        "add_author",
        "change_author",
        "view_author",
        "add_source",
        "change_source",
        "view_source",
        "add_sourceauthor",
        "change_sourceauthor",
        "delete_sourceauthor",
        "view_sourceauthor",
        "add_passage",
        "view_passage",
    ],
}


def curator_permissions_query() -> Q:
    """The Permission rows of CURATOR_PERMISSIONS, as a filter."""
    wanted = Q(pk__in=[])
    for app_label, codenames in CURATOR_PERMISSIONS.items():
        wanted |= Q(content_type__app_label=app_label, codename__in=codenames)
    return wanted


def curators_group_sync(*, using: str = DEFAULT_DB_ALIAS) -> Group:
    """Give the curators group exactly CURATOR_PERMISSIONS, creating the group if it is missing.

    Run after every `migrate` (see ClaimsConfig), so that a permission added to
    the list reaches existing databases and none is left over; members stay.
    """
    with transaction.atomic(using=using):
        group, _ = Group.objects.using(using).get_or_create(name=CURATORS_GROUP)
        group.permissions.set(Permission.objects.using(using).filter(curator_permissions_query()))
    return group
