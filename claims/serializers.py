"""Claims as the API shows them: each with its citations and its verdict."""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from claims.models import Citation, Claim, Verdict
from sources.models import Author, Passage, Source


class AuthorSummarySerializer(serializers.ModelSerializer):
    class Meta:
        model = Author
        fields = ["id", "slug", "name", "kind"]


class SourceSummarySerializer(serializers.ModelSerializer):
    class Meta:
        model = Source
        fields = ["id", "slug", "title", "outlet", "published_on", "published_precision", "url"]


class PassageSelectorSerializer(serializers.ModelSerializer):
    class Meta:
        model = Passage
        fields = ["id", "exact", "prefix", "suffix", "start", "end"]


class CitationSerializer(serializers.ModelSerializer):
    passage = PassageSelectorSerializer(read_only=True)
    source = SourceSummarySerializer(source="passage.source", read_only=True)
    author = AuthorSummarySerializer(read_only=True, allow_null=True)

    class Meta:
        model = Citation
        fields = ["id", "stance", "attribution", "note", "author", "passage", "source"]


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


class PeriodSerializer(serializers.Serializer):
    start = serializers.DateField(source="period_start", allow_null=True)
    end = serializers.DateField(source="period_end", allow_null=True)


class ClaimSerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="uuid", read_only=True)
    topics = serializers.SlugRelatedField(slug_field="slug", many=True, read_only=True)
    period = serializers.SerializerMethodField()
    verdict = serializers.SerializerMethodField()
    citations = CitationSerializer(many=True, read_only=True)

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
            "created_at",
            "updated_at",
        ]

    @extend_schema_field(PeriodSerializer(allow_null=True))
    def get_period(self, claim: Claim) -> dict | None:
        if claim.period_start is None and claim.period_end is None:
            return None
        return PeriodSerializer(claim).data

    @extend_schema_field(VerdictSerializer)
    def get_verdict(self, claim: Claim) -> dict:
        return VerdictSerializer(claim).data
