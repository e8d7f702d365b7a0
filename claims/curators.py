"""Curators: the permissions their group holds."""

from api.permissions import CURATORS_GROUP

__all__ = ["CURATORS_GROUP", "CURATOR_PERMISSIONS"]

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
