"""Claims read as rows, not model instances: the one reader of what a claim shows.

The list, the detail and the export show claims with their topics, citations
(with passage, source and author) and relations. Building and prefetching model
instances for these was most of a request's time; here each kind is read as
`values()` rows, a constant number of queries for any number of claims, and
turned into the representation by `claim_representation()`, the one home of
the claim's JSON shape (which ClaimSerializer uses for instances too).
"""

from collections import defaultdict
from collections.abc import Iterator
from types import SimpleNamespace

from django.db.models import Q

from claims.models import (
    SHOWN_AUTHOR_FIELDS,
    SHOWN_PASSAGE_FIELDS,
    SHOWN_SOURCE_FIELDS,
    Citation,
    Claim,
    ClaimRelation,
)
from claims.serializers import ROLES, claim_representation

# What a claim shows of itself (ClaimSerializer), of its citations and of related claims.
CLAIM_FIELDS = [
    *("pk", "uuid", "slug", "text", "language", "period_start", "period_end", "status"),
    *("retraction_reason", "reviewed_at", "created_at", "updated_at"),
]
CITATION_FIELDS = ["claim_id", "id", "stance", "attribution", "note", "author_id", "passage_id"]
AUTHOR_FIELDS = SHOWN_AUTHOR_FIELDS
PASSAGE_FIELDS = [*SHOWN_PASSAGE_FIELDS, "source_id"]
SOURCE_FIELDS = SHOWN_SOURCE_FIELDS
REFERENCE_FIELDS = ["uuid", "slug", "text", "status"]


def shown_claims(rows: list[dict]) -> Iterator[dict]:
    """The representation of each claim of `rows` (CLAIM_FIELDS), in their order.

    Three more queries whatever the number of rows (none for no rows): the claims'
    topics, their citations, and their relations either way.
    """
    if not rows:
        return
    ids = sorted(row["pk"] for row in rows)
    topics = defaultdict(list)
    through = Claim.topics.through.objects.filter(of_claims("claim_id", ids))
    for claim_id, slug in through.order_by("topic__slug").values_list("claim_id", "topic__slug"):
        topics[claim_id].append(slug)
    citations = defaultdict(list)
    fields = [*CITATION_FIELDS, *(key for _, key in (*AUTHOR, *PASSAGE, *SOURCE))]
    cited = Citation.objects.shown().filter(of_claims("claim_id", ids)).values(*fields)
    shown_citation = CitationRows()
    for row in cited:
        citations[row["claim_id"]].append(shown_citation(row))
    relations = defaultdict(list)
    # Both ways in one query, unordered: relation_roles() orders them by id. (Their
    # default order, by subject, joins the claims, and led SQLite to scan them all.)
    related = (
        ClaimRelation.objects.filter(of_claims("subject_id", ids) | of_claims("object_id", ids))
        .order_by()
        .values_list(
            *("id", "kind", "subject_id", "object_id"),
            *(f"{end}__{name}" for end in ("subject", "object") for name in REFERENCE_FIELDS),
        )
    )
    width = len(REFERENCE_FIELDS)
    for pk, kind, subject_id, object_id, *references in related:
        subject, object_ = (
            SimpleNamespace(**dict(zip(REFERENCE_FIELDS, values, strict=True)))
            for values in (references[:width], references[width:])
        )
        # A claim of a range that was not asked for is never looked up (see of_claims).
        relations[subject_id].append((pk, ROLES[kind][0], object_))
        relations[object_id].append((pk, ROLES[kind][1], subject))
    for row in rows:
        yield claim_representation(
            SimpleNamespace(**row),
            topics=topics[row["pk"]],
            citations=citations[row["pk"]],
            relations=relations[row["pk"]],
        )


def of_claims(field: str, ids: list[int]) -> Q:
    """Rows whose `field` is one of `ids` (ascending), or in their range when they are dense.

    A chunk of an unfiltered export is nearly every id of its range: the range reads
    at most twice the rows asked for (the others are left unread by the caller), where
    an `IN` of a thousand ids cost more to build than the query took to run.
    """
    if ids[-1] - ids[0] < 2 * len(ids):
        return Q(**{f"{field}__gte": ids[0], f"{field}__lte": ids[-1]})
    return Q(**{f"{field}__in": ids})


class CitationRows:
    """Citations' rows as CitationSerializer reads a citation with its passage, source, author.

    The sources and authors of a chunk's citations are few: each is built once.
    """

    def __init__(self):
        self.sources: dict[int, SimpleNamespace] = {}
        self.authors: dict[int, SimpleNamespace] = {}

    def __call__(self, row: dict) -> SimpleNamespace:
        author_id, source_id = row["author_id"], row["passage__source_id"]
        author = None if author_id is None else self.authors.get(author_id)
        if author is None and author_id is not None:
            author = self.authors[author_id] = SimpleNamespace(
                id=author_id, **{name: row[key] for name, key in AUTHOR}
            )
        source = self.sources.get(source_id)
        if source is None:
            source = self.sources[source_id] = SimpleNamespace(
                id=source_id, **{name: row[key] for name, key in SOURCE}
            )
        passage = SimpleNamespace(
            id=row["passage_id"], source=source, **{name: row[key] for name, key in PASSAGE}
        )
        return SimpleNamespace(
            author=author, passage=passage, **{name: row[name] for name in CITATION_FIELDS}
        )


# Each attribute of the records a citation embeds, with its key in the citation's row.
AUTHOR, PASSAGE, SOURCE = (
    [(name, f"{prefix}{name}") for name in names]
    for prefix, names in (
        ("author__", AUTHOR_FIELDS),
        ("passage__", PASSAGE_FIELDS),
        ("passage__source__", SOURCE_FIELDS),
    )
)
