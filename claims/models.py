"""Claims and the citations that tie each claim to the passages that speak to it."""

import functools
import hashlib
import uuid
from collections.abc import Iterable
from typing import NamedTuple

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import (
    Case,
    Count,
    Exists,
    Expression,
    F,
    Max,
    OuterRef,
    Prefetch,
    Q,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce, Greatest, Least
from simple_history.models import HistoricalRecords

from sources.models import Author, Passage, Versioned, authors_last_changed, choices_check


class Topic(models.Model):
    """A tag grouping claims by subject."""

    slug = models.SlugField(max_length=60, unique=True)
    name = models.CharField(max_length=100)

    class Meta:
        ordering = ["slug"]

    def __str__(self) -> str:
        return self.name


class Stance(models.TextChoices):
    SUPPORTS = "supports", "Supports"
    REFUTES = "refutes", "Refutes"
    NEUTRAL = "neutral", "Neutral"


class Attribution(models.TextChoices):
    AUTHOR = "author", "The author's own assertion"
    QUOTE = "quote", "A direct quote of the author"
    REPORTED = "reported", "The author's words, reported"


class Verdict(models.TextChoices):
    SUPPORTED = "supported", "Supported"
    REFUTED = "refuted", "Refuted"
    CONTESTED = "contested", "Contested"
    UNVERIFIED = "unverified", "Unverified"


def _cited_with(stance: Stance) -> Exists:
    """Whether the claim has a citation of this stance (a correlated EXISTS, no row duplication)."""
    return Exists(Citation.objects.filter(claim=OuterRef("pk"), stance=stance))


def _stance_count(stance: Stance, field: str | None = None) -> Coalesce:
    """The claim's citations of this stance, or the distinct `field`s they name (a subquery).

    A subquery per claim rather than a join grouped by claim: it costs only the
    rows a page shows, where a join aggregates every claim before the page is cut.
    """
    citations = Citation.objects.filter(claim=OuterRef("pk"), stance=stance).order_by()
    count = Count(field, distinct=True) if field else Count("pk")
    counted = citations.values("claim").annotate(n=count).values("n")
    return Coalesce(Subquery(counted, output_field=models.IntegerField()), 0)


def _verdict_conditions() -> dict[str, Q]:
    """Each verdict as a condition on the claim's citations, for filters and the annotation."""
    supports, refutes = _cited_with(Stance.SUPPORTS), _cited_with(Stance.REFUTES)
    return {
        Verdict.CONTESTED: Q(supports) & Q(refutes),
        Verdict.SUPPORTED: Q(supports) & ~Q(refutes),
        Verdict.REFUTED: ~Q(supports) & Q(refutes),
        Verdict.UNVERIFIED: ~Q(supports) & ~Q(refutes),
    }


class VerdictCounts(NamedTuple):
    """A claim's verdict with the counts behind it, as `ClaimQuerySet.with_verdict()` names them."""

    verdict: str
    supports: int
    refutes: int
    neutral: int
    supporting_sources: int
    refuting_sources: int
    supporting_authors: int
    refuting_authors: int


# The stances as plain strings: counted for every claim of every page, where looking the
# enum's members up each time was a good part of the count.
STANCES = tuple(Stance.values)
SUPPORTS, REFUTES, NEUTRAL = Stance.SUPPORTS.value, Stance.REFUTES.value, Stance.NEUTRAL.value


def verdict_counts(citations: Iterable["Citation"]) -> VerdictCounts:
    """The verdict of a claim whose citations are at hand (prefetched with their passages).

    The rule of `ClaimQuerySet.with_verdict()`, counted in memory: a page of claims
    that shows its citations anyway gets its verdicts without a query, and without
    the subqueries' cost of building and running (tests/claims/test_verdict.py holds
    the two together).
    """
    counts = dict.fromkeys(STANCES, 0)
    sources: dict[str, set[int]] = {SUPPORTS: set(), REFUTES: set()}
    authors: dict[str, set[int]] = {SUPPORTS: set(), REFUTES: set()}
    for citation in citations:
        stance = citation.stance
        counts[stance] += 1
        if stance in sources:
            sources[stance].add(citation.passage.source_id)
            if citation.author_id is not None:
                authors[stance].add(citation.author_id)
    supports, refutes = counts[SUPPORTS], counts[REFUTES]
    if supports and refutes:
        verdict = Verdict.CONTESTED
    elif supports:
        verdict = Verdict.SUPPORTED
    elif refutes:
        verdict = Verdict.REFUTED
    else:
        verdict = Verdict.UNVERIFIED
    return VerdictCounts(
        verdict.value,
        supports,
        refutes,
        counts[NEUTRAL],
        len(sources[SUPPORTS]),
        len(sources[REFUTES]),
        len(authors[SUPPORTS]),
        len(authors[REFUTES]),
    )


# The order the verdict's conditions are tried in (the last is the default).
VERDICT_ORDER = (Verdict.CONTESTED, Verdict.SUPPORTED, Verdict.REFUTED)


class ClaimQuerySet(models.QuerySet):
    def published(self):
        return self.filter(status=Claim.Status.PUBLISHED)

    def listed(self):
        """Claims shown in default lists: everything but retracted claims."""
        return self.exclude(status=Claim.Status.RETRACTED)

    def with_verdict(self):
        """Annotate counts by stance, distinct sources and authors per side, and the verdict.

        The verdict is derived, never stored: `supported` (only supporting
        citations), `refuted` (only refuting), `contested` (both), `unverified`
        (none, or only neutral). Claims whose citations are prefetched count it in
        memory instead: `verdict_counts()`.
        """
        conditions = _verdict_conditions()
        return self.annotate(
            supports_count=_stance_count(Stance.SUPPORTS),
            refutes_count=_stance_count(Stance.REFUTES),
            neutral_count=_stance_count(Stance.NEUTRAL),
            supporting_sources=_stance_count(Stance.SUPPORTS, "passage__source"),
            refuting_sources=_stance_count(Stance.REFUTES, "passage__source"),
            supporting_authors=_stance_count(Stance.SUPPORTS, "author"),
            refuting_authors=_stance_count(Stance.REFUTES, "author"),
            verdict=Case(
                *(When(conditions[verdict], then=Value(verdict)) for verdict in VERDICT_ORDER),
                default=Value(Verdict.UNVERIFIED),
                output_field=models.CharField(),
            ),
        )

    def with_verdict_of(self, verdict: Verdict | str):
        """Claims whose verdict is `verdict`, decided by EXISTS on their citations.

        Filtering on the `verdict` annotation would count every claim's citations
        before the first page; these conditions stop at the first citation found.
        """
        return self.filter(_verdict_conditions()[verdict])

    def with_citations(self):
        """Prefetch topics and citations with their passage, source and author.

        As lists, `shown_topics` and `shown_citations` (in the order a claim shows
        them): a prefetch into `topics` or `citations` would build a filtered query
        set for each claim, most of a page's cost. Only the fields a claim shows of
        them are read (ClaimSerializer): a page of claims holds hundreds of these
        records, and the sources' texts weigh megabytes.
        """
        citations = Citation.objects.shown()
        return self.prefetch_related(
            Prefetch("topics", to_attr="shown_topics"),
            Prefetch("citations", queryset=citations, to_attr="shown_citations"),
        )

    def with_validators(self):
        """Annotate `embedded_version` and `last_modified` (see sources' AuthorQuerySet).

        A claim embeds its citations (their changes bump the claim's version already)
        with their passages, sources and authors, whose own changes do not: their
        versions are added up, and their latest change counts as the claim's.
        """
        return self.annotate(**claim_validators())

    def with_relations(self):
        """Prefetch the claim's relations in both directions, with the claims at their other end.

        As lists (see `with_citations()`): `shown_relations_from`, `shown_relations_to`.
        """
        return self.prefetch_related(
            Prefetch(
                "relations_from",
                queryset=ClaimRelation.objects.select_related("object"),
                to_attr="shown_relations_from",
            ),
            Prefetch(
                "relations_to",
                queryset=ClaimRelation.objects.select_related("subject"),
                to_attr="shown_relations_to",
            ),
        )


@functools.cache
def claim_validators() -> dict[str, Expression]:
    """The expressions of `ClaimQuerySet.with_validators()`, built once per process.

    Building them (six subqueries) cost more than running them; a query set that
    is annotated with them resolves copies, against its own tables, and leaves these
    as they are.
    """
    citations = Citation.objects.filter(claim=OuterRef("pk")).order_by().values("claim")
    cited_authors = Citation.objects.filter(claim=OuterRef(OuterRef("pk"))).values("author")
    return {
        "embedded_version": Coalesce(
            Subquery(citations.annotate(total=Sum(EMBEDDED_IN_CITATION)).values("total")), 0
        )
        + related_claims("version", Sum, 0),
        "last_modified": Greatest(
            "updated_at",
            Coalesce(
                Subquery(
                    citations.annotate(latest=Max("passage__source__updated_at")).values("latest")
                ),
                "updated_at",
            ),
            Coalesce(authors_last_changed(Q(id__in=cited_authors)), "updated_at"),
            related_claims("updated_at", Max, "updated_at"),
        ),
    }


# What a claim shows of the records its citations embed (CitationSerializer), by the
# citation's path to each: read by `shown()` as instances and by claims.rows as rows.
SHOWN_PASSAGE_FIELDS = ["exact", "prefix", "suffix", "start", "end"]
SHOWN_SOURCE_FIELDS = ["slug", "title", "outlet", "published_on", "published_precision", "url"]
SHOWN_AUTHOR_FIELDS = ["slug", "name", "kind"]
CITATION_SHOWN_FIELDS = [
    *("claim", "stance", "attribution", "note", "passage", "author", "passage__source"),
    *(f"passage__{name}" for name in SHOWN_PASSAGE_FIELDS),
    *(f"passage__source__{name}" for name in SHOWN_SOURCE_FIELDS),
    *(f"author__{name}" for name in SHOWN_AUTHOR_FIELDS),
]

# The versions of the records a citation's representation embeds: its passage, the
# passage's source and the author (a citation may name none).
EMBEDDED_IN_CITATION = (
    F("passage__version") + F("passage__source__version") + Coalesce(F("author__version"), 0)
)


class CitationQuerySet(models.QuerySet):
    def shown(self):
        """As a claim shows its citations: what it shows of them, in the order it shows them."""
        return (
            self.select_related("passage__source", "author")
            .only(*CITATION_SHOWN_FIELDS)
            .order_by("passage__source__slug", "passage__start", "id")
        )

    def with_validators(self):
        """Annotate `embedded_version` and `last_modified` (see sources' AuthorQuerySet)."""
        return self.annotate(
            embedded_version=EMBEDDED_IN_CITATION,
            last_modified=Greatest(
                "updated_at",
                "passage__source__updated_at",
                Coalesce(authors_last_changed(Q(id=OuterRef("author_id"))), "updated_at"),
            ),
        )


def text_fingerprint(text: str) -> str:
    """SHA-256 of a claim's text with case, whitespace and final punctuation normalised."""
    normal = " ".join(text.casefold().split()).rstrip(".!?;: ")
    return hashlib.sha256(normal.encode("utf-8")).hexdigest()


class ClaimStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    PUBLISHED = "published", "Published"
    RETRACTED = "retracted", "Retracted"


class Claim(Versioned):
    """One checkable statement, with a stable public id."""

    Status = ClaimStatus

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    slug = models.SlugField(max_length=100, unique=True)
    text = models.TextField(help_text="One checkable statement, as a plain declarative sentence.")
    language = models.CharField(max_length=16, default="en", help_text="BCP 47 language tag.")
    topics = models.ManyToManyField(Topic, related_name="claims", blank=True)
    period_start = models.DateField(
        null=True, blank=True, help_text="First day of the period the claim is about."
    )
    period_end = models.DateField(
        null=True, blank=True, help_text="Last day of the period the claim is about."
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    retraction_reason = models.TextField(blank=True)
    # NULL, not "": claims stored twice before fingerprints keep none until edited.
    fingerprint = models.CharField(  # noqa: DJ001
        max_length=64,
        null=True,
        unique=True,
        editable=False,
        help_text="SHA-256 of the normalised text: one claim per statement.",
    )
    corpus_key = models.SlugField(
        max_length=100,
        null=True,
        blank=True,
        unique=True,
        editable=False,
        help_text="The claim's id in the seed corpus files; empty for claims made elsewhere.",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="claims_created",
    )
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="claims_reviewed",
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ClaimQuerySet.as_manager()

    history = HistoricalRecords(m2m_fields=[topics])

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            # The lists' orderings (newest first by default, cursor pages, `updated_since`):
            # a page is read off the index, never sorted from the whole table.
            models.Index(fields=["created_at", "id"], name="claim_created_idx"),
            models.Index(fields=["updated_at", "id"], name="claim_updated_idx"),
        ]
        constraints = [
            choices_check("status", ClaimStatus, "claim_status_valid"),
            models.CheckConstraint(condition=~Q(text=""), name="claim_text_not_empty"),
            models.CheckConstraint(
                condition=~Q(status="retracted") | ~Q(retraction_reason=""),
                name="claim_retraction_has_reason",
            ),
            models.CheckConstraint(
                condition=Q(period_start__isnull=True)
                | Q(period_end__isnull=True)
                | Q(period_start__lte=models.F("period_end")),
                name="claim_period_ordered",
            ),
        ]

    def __str__(self) -> str:
        return self.text

    def clean(self) -> None:
        # Derived, never typed: two claims with the same statement are one claim.
        self.fingerprint = text_fingerprint(self.text)
        if self.status == self.Status.RETRACTED and not self.retraction_reason.strip():
            raise ValidationError({"retraction_reason": "A retracted claim needs a reason."})
        if self.period_start and self.period_end and self.period_start > self.period_end:
            raise ValidationError({"period_end": "The period ends before it starts."})


class Citation(Versioned):
    """A passage cited for a claim: its stance, whose words it is, and how."""

    claim = models.ForeignKey(Claim, on_delete=models.CASCADE, related_name="citations")
    passage = models.ForeignKey(Passage, on_delete=models.PROTECT, related_name="citations")
    stance = models.CharField(max_length=10, choices=Stance.choices)
    author = models.ForeignKey(
        Author,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="citations",
        help_text="Whose words the passage is; empty when unknown.",
    )
    attribution = models.CharField(
        max_length=10, choices=Attribution.choices, default=Attribution.AUTHOR
    )
    note = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = CitationQuerySet.as_manager()

    history = HistoricalRecords()

    class Meta:
        ordering = ["claim", "id"]
        indexes = [
            # A claim's citations of one stance: the verdict's counts and the `stance` and
            # `verdict` filters' EXISTS, without reading the citations themselves.
            models.Index(fields=["claim", "stance"], name="citation_claim_stance_idx"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["claim", "passage"], name="citation_unique_passage"),
            choices_check("stance", Stance, "citation_stance_valid"),
            choices_check("attribution", Attribution, "citation_attribution_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.passage} {self.stance} “{self.claim}”"


class CorpusRecord(models.Model):
    """What the corpus loader last wrote to one record: the base of its three-way merge.

    A later load changes a field only while the database still holds what was
    loaded; a value a curator changed since is kept and reported. `key` names
    the record in corpus terms (`claim:<id>`, `citation:<claim id>@<source
    slug>:<start>-<end>`, `source:<slug>`, `author:<slug>`), so a record a
    curator deleted is remembered, and not loaded again.
    """

    key = models.CharField(max_length=400, unique=True)
    values = models.JSONField()
    loaded_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["key"]

    def __str__(self) -> str:
        return self.key


class ChangeKind(models.TextChoices):
    CLAIM = "claim", "Claim"
    CITATION = "citation", "Citation"
    PASSAGE = "passage", "Passage"
    SOURCE = "source", "Source"
    AUTHOR = "author", "Author"


class ChangeOperation(models.TextChoices):
    CREATED = "created", "Created"
    UPDATED = "updated", "Updated"
    DELETED = "deleted", "Deleted"


class Change(models.Model):
    """One write to a claim, citation, passage, source or author: an entry of the change feed.

    Written by database triggers (claims/migrations/0007_change_feed.py), so that
    every write path — services, bulk imports, raw SQL — is in the feed, deletions
    included. `seq` numbers the changes in commit order: on PostgreSQL a deferred
    trigger numbers a transaction's changes as it commits, one committer at a
    time, so a change committed later always gets a higher number than every
    change a reader could already see; on SQLite, whose writers commit one at a
    time, the insert numbers it.
    """

    id = models.BigAutoField(primary_key=True)
    seq = models.BigIntegerField(null=True, unique=True, help_text="Commit order; set at commit.")
    kind = models.CharField(max_length=10, choices=ChangeKind.choices)
    object_id = models.CharField(max_length=40, help_text="The record's public id.")
    operation = models.CharField(max_length=10, choices=ChangeOperation.choices)
    at = models.DateTimeField()

    class Meta:
        ordering = ["seq"]

    def __str__(self) -> str:
        return f"{self.kind} {self.object_id} {self.operation}"


class RelationKind(models.TextChoices):
    DUPLICATES = "duplicates", "duplicates"
    CONTRADICTS = "contradicts", "contradicts"
    REFINES = "refines", "refines"


class RelationQuerySet(models.QuerySet):
    def touching(self, claim):
        """The relations of `claim`, in either direction."""
        return self.filter(Q(subject=claim) | Q(object=claim))

    def shown(self):
        """With both claims, as the API shows a relation."""
        return self.select_related("subject", "object", "created_by").order_by("id")

    def canonical_of(self, claims) -> dict[int, int]:
        """{duplicate pk: canonical pk} for those of `claims` (pks) that duplicate another."""
        return dict(
            self.filter(kind=RelationKind.DUPLICATES, subject__in=claims).values_list(
                "subject", "object"
            )
        )


def related_claims(field: str, aggregate, default):
    """`aggregate` of `field` over the claims related to each claim, either way; else `default`.

    A claim's representation embeds the claims it is related to: their versions
    count in its ETag, and their changes in its Last-Modified.
    """
    values = []
    for this, other in (("subject", "object"), ("object", "subject")):
        related = (
            ClaimRelation.objects.filter(**{this: OuterRef("pk")})
            .order_by()
            .values(this)
            .annotate(value=aggregate(f"{other}__{field}"))
            .values("value")
        )
        values.append(Coalesce(Subquery(related), default))
    return values[0] + values[1] if aggregate is Sum else Greatest(*values)


class ClaimRelation(models.Model):
    """A curator's link between two claims: `subject` duplicates, contradicts or refines `object`.

    A duplicate points to the canonical claim, which is never itself a duplicate
    (the services refuse chains); two claims have at most one relation.
    """

    subject = models.ForeignKey(Claim, on_delete=models.CASCADE, related_name="relations_from")
    object = models.ForeignKey(Claim, on_delete=models.CASCADE, related_name="relations_to")
    kind = models.CharField(max_length=12, choices=RelationKind.choices)
    note = models.TextField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="claim_relations_created",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = RelationQuerySet.as_manager()

    history = HistoricalRecords()

    class Meta:
        ordering = ["subject", "id"]
        constraints = [
            choices_check("kind", RelationKind, "claim_relation_kind_valid"),
            models.CheckConstraint(
                condition=~Q(subject=F("object")), name="claim_relation_not_to_itself"
            ),
            # One relation between two claims, whichever way it reads.
            models.UniqueConstraint(
                Least("subject", "object"),
                Greatest("subject", "object"),
                name="claim_relation_one_per_pair",
                violation_error_message="These two claims are related already.",
            ),
            # A duplicate has one canonical claim.
            models.UniqueConstraint(
                fields=["subject"],
                condition=Q(kind="duplicates"),
                name="claim_relation_one_canonical",
                violation_error_message="This claim is a duplicate of another claim already.",
            ),
        ]

    def __str__(self) -> str:
        return f"“{self.subject}” {self.kind} “{self.object}”"
