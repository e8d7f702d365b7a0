"""Claims and citations as the API shows and accepts them."""

from collections.abc import Iterable
from datetime import UTC, datetime
from operator import itemgetter

from drf_spectacular.utils import extend_schema_field, extend_schema_serializer
from rest_framework import serializers

from api.strict import StrictTypes
from claims.history import HistoryChangeType, HistoryObject
from claims.models import (
    Attribution,
    Citation,
    Claim,
    ClaimRelation,
    ClaimStatus,
    RelationKind,
    Stance,
    Verdict,
    verdict_counts,
)
from sources.models import Author, Passage, Source
from sources.serializers import (
    AuthorSummarySerializer,
    PassageSelectorSerializer,
    SourceSummarySerializer,
    day,
)


def moment(value: datetime | None) -> str | None:
    """A date-time as the serializers' DateTimeField writes it: ISO 8601 in UTC, `Z`, or None.

    The field looks its format and the current time zone up for each value, which was a
    good part of an export's time; the time zone is UTC here (TIME_ZONE, never activated
    otherwise), and a naive value is taken as UTC, as the field takes it.
    """
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).isoformat()[:-6] + "Z"


class CitationSerializer(serializers.ModelSerializer):
    """A passage cited for a claim, with its source, author and stance."""

    passage = PassageSelectorSerializer(read_only=True)
    source = SourceSummarySerializer(source="passage.source", read_only=True)
    author = AuthorSummarySerializer(read_only=True, allow_null=True)

    class Meta:
        model = Citation
        fields = ["id", "stance", "attribution", "note", "author", "passage", "source"]

    # Claims embed their citations: a page of claims is mostly citations, and walking the
    # declared fields one by one was most of its cost. The dict is built directly, value
    # for value what the fields give (tests/claims/test_representation.py compares them).
    def to_representation(self, citation: Citation) -> dict:
        author, passage = citation.author, citation.passage
        return {
            "id": citation.id,
            "stance": citation.stance,
            "attribution": citation.attribution,
            "note": citation.note,
            "author": None if author is None else AUTHOR.to_representation(author),
            "passage": PASSAGE.to_representation(passage),
            "source": SOURCE.to_representation(passage.source),
        }


# One instance of each embedded summary, for the direct representations.
AUTHOR, PASSAGE, SOURCE = (
    AuthorSummarySerializer(),
    PassageSelectorSerializer(),
    SourceSummarySerializer(),
)


class CitationDetailSerializer(CitationSerializer):
    claim = serializers.UUIDField(source="claim.uuid", read_only=True, help_text="Claim id.")

    class Meta(CitationSerializer.Meta):
        fields = ["id", "claim", *CitationSerializer.Meta.fields[1:], "created_at", "updated_at"]

    # More fields than CitationSerializer's direct representation: field by field.
    to_representation = serializers.ModelSerializer.to_representation


# Not `Verdict`: a component with a property of its own name trips client generators.
@extend_schema_serializer(component_name="ClaimVerdict")
class VerdictSerializer(serializers.Serializer):
    """The verdict derived from a claim's citations, with the counts behind it."""

    verdict = serializers.ChoiceField(choices=Verdict.choices)
    supports = serializers.IntegerField(source="supports_count")
    refutes = serializers.IntegerField(source="refutes_count")
    neutral = serializers.IntegerField(source="neutral_count")
    supporting_sources = serializers.IntegerField()
    refuting_sources = serializers.IntegerField()
    supporting_authors = serializers.IntegerField()
    refuting_authors = serializers.IntegerField()


class PeriodSerializer(StrictTypes, serializers.Serializer):
    """The date or period a claim is about."""

    start = serializers.DateField(source="period_start", allow_null=True, required=False)
    end = serializers.DateField(source="period_end", allow_null=True, required=False)


class ClaimReferenceSerializer(serializers.ModelSerializer):
    """Another claim, named: its id, slug, text and status."""

    id = serializers.UUIDField(source="uuid", read_only=True)

    class Meta:
        model = Claim
        fields = ["id", "slug", "text", "status"]
        read_only_fields = fields


# How a relation reads from each of its claims: "this claim <role> that claim".
ROLES = {
    RelationKind.DUPLICATES: ("duplicates", "duplicated_by"),
    RelationKind.CONTRADICTS: ("contradicts", "contradicts"),
    RelationKind.REFINES: ("refines", "refined_by"),
}
ROLE_CHOICES = sorted({role for pair in ROLES.values() for role in pair})


class ClaimRelationRoleSerializer(serializers.Serializer):
    """A relation as one of its claims shows it: this claim `role` `claim`."""

    id = serializers.IntegerField(help_text="The relation's id.")
    role = serializers.ChoiceField(
        choices=ROLE_CHOICES,
        help_text="This claim `duplicates`, is `duplicated_by`, `contradicts`, `refines` or is "
        "`refined_by` the other claim. A duplicate points to its canonical claim.",
    )
    claim = ClaimReferenceSerializer(help_text="The claim at the other end.")


def claim_relations(claim: Claim) -> list[tuple[int, str, Claim]]:
    """The relations of `claim` in both directions (prefetched by `with_relations()`).

    Each as (relation id, this claim's role, the claim at the other end).
    """
    outgoing = [(r.pk, ROLES[r.kind][0], r.object) for r in claim.shown_relations_from]
    incoming = [(r.pk, ROLES[r.kind][1], r.subject) for r in claim.shown_relations_to]
    return outgoing + incoming


def claim_representation(claim, *, topics: Iterable[str], citations, relations) -> dict:
    """A claim as the API shows it: ClaimSerializer's fields, built directly.

    The one home of the claim's shape, for model instances (ClaimSerializer) and for
    the export's rows alike: `claim` has the claim's fields as attributes, `citations`
    are what CitationSerializer shows (with `passage.source_id` and `author_id`),
    `relations` are (relation id, role, other claim) as `claim_relations()` gives them.
    """
    return {
        "id": str(claim.uuid),
        "slug": claim.slug,
        "text": claim.text,
        "language": claim.language,
        "topics": list(topics),
        "period": claim_period(claim),
        "status": claim.status,
        "retraction_reason": claim.retraction_reason,
        "verdict": verdict_counts(citations)._asdict(),
        "citations": [CITATION.to_representation(each) for each in citations],
        "relations": relation_roles(relations),
        "reviewed_at": moment(claim.reviewed_at),
        "created_at": moment(claim.created_at),
        "updated_at": moment(claim.updated_at),
    }


def claim_period(claim) -> dict | None:
    if claim.period_start is None and claim.period_end is None:
        return None
    return {"start": day(claim.period_start), "end": day(claim.period_end)}


def relation_roles(relations) -> list[dict]:
    """ClaimRelationRoleSerializer's fields for (relation id, role, other claim), by id."""
    return [
        {"id": pk, "role": role, "claim": claim_reference(other)}
        for pk, role, other in sorted(relations, key=itemgetter(0))
    ]


def claim_reference(claim) -> dict:
    """ClaimReferenceSerializer's fields, built directly."""
    return {"id": str(claim.uuid), "slug": claim.slug, "text": claim.text, "status": claim.status}


class ClaimSerializer(serializers.ModelSerializer):
    """A claim with every citation that speaks to it, and its verdict."""

    id = serializers.UUIDField(source="uuid", read_only=True)
    topics = serializers.SlugRelatedField(slug_field="slug", many=True, read_only=True)
    period = serializers.SerializerMethodField()
    verdict = serializers.SerializerMethodField()
    citations = CitationSerializer(many=True, read_only=True)
    relations = serializers.SerializerMethodField()

    class Meta:
        model = Claim
        fields = [
            "id",
            "slug",
            "text",
            "language",
            "topics",
            "period",
            "status",
            "retraction_reason",
            "verdict",
            "citations",
            "relations",
            "reviewed_at",
            "created_at",
            "updated_at",
        ]

    def to_representation(self, claim: Claim) -> dict:
        """The declared fields' values, built directly (see CitationSerializer).

        The claim comes with its citations, topics and relations prefetched
        (`Claim.objects.with_citations().with_relations()`).
        """
        return claim_representation(
            claim,
            topics=[topic.slug for topic in claim.shown_topics],
            citations=claim.shown_citations,
            relations=claim_relations(claim),
        )

    @extend_schema_field(PeriodSerializer(allow_null=True))
    def get_period(self, claim: Claim) -> dict | None:
        return claim_period(claim)

    @extend_schema_field(VerdictSerializer)
    def get_verdict(self, claim: Claim) -> dict:
        # From the citations shown beside it (prefetched by `with_citations()`): no query.
        return verdict_counts(claim.shown_citations)._asdict()

    @extend_schema_field(ClaimRelationRoleSerializer(many=True))
    def get_relations(self, claim: Claim) -> list[dict]:
        return relation_roles(claim_relations(claim))


CITATION = CitationSerializer()


class CitationInputSerializer(StrictTypes, serializers.Serializer):
    """A citation to add: a quote of a source (anchored server-side) or an existing passage."""

    source = serializers.PrimaryKeyRelatedField(
        queryset=Source.objects.all(), required=False, help_text="Source id, with `quote`."
    )
    quote = serializers.CharField(
        required=False,
        trim_whitespace=False,
        max_length=20_000,
        help_text="The quote as copied from the source text; found however its quotes, "
        "dashes, whitespace or case differ.",
    )
    passage = serializers.PrimaryKeyRelatedField(
        queryset=Passage.objects.all(), required=False, help_text="Passage id, instead of a quote."
    )
    stance = serializers.ChoiceField(choices=Stance.choices)
    author = serializers.SlugRelatedField(
        slug_field="slug",
        queryset=Author.objects.all(),
        required=False,
        allow_null=True,
        help_text="Slug of whose words the passage is; omitted: the source's first author; "
        "null: unknown.",
    )
    attribution = serializers.ChoiceField(choices=Attribution.choices, default=Attribution.AUTHOR)
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=10_000)

    def validate(self, attrs):
        by_quote = "source" in attrs or "quote" in attrs
        if by_quote and "passage" in attrs:
            raise serializers.ValidationError(
                {"passage": "Give either `source` and `quote`, or `passage`, not both."}
            )
        if not by_quote and "passage" not in attrs:
            raise serializers.ValidationError({"quote": "Give `source` and `quote`, or `passage`."})
        for field in ("source", "quote"):
            if by_quote and field not in attrs:
                raise serializers.ValidationError({field: "This field is required with a quote."})
        return attrs


class CitationCreateSerializer(CitationInputSerializer):
    claim = serializers.SlugRelatedField(
        slug_field="uuid", queryset=Claim.objects.all(), help_text="Claim id."
    )


class CitationUpdateSerializer(StrictTypes, serializers.ModelSerializer):
    author = serializers.SlugRelatedField(
        slug_field="slug", queryset=Author.objects.all(), required=False, allow_null=True
    )

    class Meta:
        model = Citation
        fields = ["stance", "author", "attribution", "note"]


EDITABLE_STATUSES = [
    (ClaimStatus.DRAFT.value, ClaimStatus.DRAFT.label),
    (ClaimStatus.PUBLISHED.value, ClaimStatus.PUBLISHED.label),
]


class ClaimWriteSerializer(StrictTypes, serializers.Serializer):
    """A claim to create, with its citations, in one request."""

    text = serializers.CharField(max_length=5_000)
    slug = serializers.SlugField(
        max_length=100, required=False, help_text="Made from the text when omitted."
    )
    language = serializers.CharField(max_length=16, default="en")
    topics = serializers.ListField(
        child=serializers.CharField(max_length=100), required=False, default=list, max_length=50
    )
    period = PeriodSerializer(required=False, allow_null=True)
    status = serializers.ChoiceField(
        choices=EDITABLE_STATUSES,
        default=ClaimStatus.DRAFT,
        help_text="`published` records you as its reviewer. Retract with the retract action.",
    )
    citations = CitationInputSerializer(many=True, min_length=1, max_length=200)


class ClaimUpdateSerializer(ClaimWriteSerializer):
    """The fields of a claim that can change; citations change through /citations/."""

    citations = None


class FieldChangeSerializer(serializers.Serializer):
    """One field's change: records named by their API ids (claims by UUID, users by name)."""

    field = serializers.CharField(help_text="The field's name, e.g. `text`, `stance`, `author`.")
    old = serializers.JSONField(allow_null=True, help_text="The value before; null on creation.")
    new = serializers.JSONField(allow_null=True, help_text="The value after.")


class HistoryEntrySerializer(serializers.Serializer):
    """One recorded change to a claim, or to one of its citations or relations."""

    object = serializers.ChoiceField(choices=HistoryObject.choices)
    object_id = serializers.CharField(
        help_text="The claim's id, or the citation's or relation's id."
    )
    type = serializers.ChoiceField(choices=HistoryChangeType.choices)
    date = serializers.DateTimeField()
    user = serializers.CharField(allow_null=True, help_text="Who made the change, if known.")
    changes = FieldChangeSerializer(many=True)


class ClaimRelationSerializer(serializers.ModelSerializer):
    """A relation between two claims: `subject` duplicates, contradicts or refines `object`."""

    subject = ClaimReferenceSerializer(read_only=True)
    object = ClaimReferenceSerializer(read_only=True)
    created_by = serializers.SlugRelatedField(
        slug_field="username", read_only=True, allow_null=True, help_text="Who related them."
    )

    class Meta:
        model = ClaimRelation
        fields = ["id", "subject", "kind", "object", "note", "created_by", "created_at"]


class ClaimRelationCreateSerializer(StrictTypes, serializers.Serializer):
    """A relation from the claim of the URL (the subject) to another claim."""

    kind = serializers.ChoiceField(
        choices=RelationKind.choices,
        help_text="This claim `duplicates` (says what the other says: the other is the "
        "canonical claim), `contradicts` or `refines` (says more precisely) the other claim.",
    )
    object = serializers.SlugRelatedField(
        slug_field="uuid", queryset=Claim.objects.all(), help_text="The other claim's id."
    )
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=10_000)


class ClaimVerdictReferenceSerializer(ClaimReferenceSerializer):
    """Another claim, named, with its verdict."""

    verdict = serializers.ChoiceField(choices=Verdict.choices, read_only=True)

    class Meta(ClaimReferenceSerializer.Meta):
        fields = [*ClaimReferenceSerializer.Meta.fields, "verdict"]
        read_only_fields = fields


class SimilarClaimSerializer(serializers.Serializer):
    """A stored published claim that says what the new claim says, and how closely."""

    claim = ClaimVerdictReferenceSerializer()
    score = serializers.FloatField(
        help_text="How much of the new statement the stored claim accounts for, in [0, 1]."
    )


class ClaimCreatedSerializer(ClaimSerializer):
    """A new claim, and the stored claims that say the same thing (check them: a duplicate?)."""

    similar = SimilarClaimSerializer(
        many=True,
        read_only=True,
        help_text="Stored published claims that say what this one says, best first; empty "
        "when none does. The claim is stored all the same: relate it to one (`duplicates`) "
        "or delete it.",
    )

    class Meta(ClaimSerializer.Meta):
        fields = [*ClaimSerializer.Meta.fields, "similar"]
