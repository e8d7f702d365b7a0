"""Authors, sources and passages as the API shows and accepts them."""

from rest_framework import serializers

from api.strict import StrictTypes
from sources.models import Author, Passage, Source

# Sized to the request body limit (DATA_UPLOAD_MAX_MEMORY_SIZE, 6 MiB by default), which
# holds this many characters even at 4 bytes each, with room for the other fields.
MAX_SOURCE_TEXT_LENGTH = 1_000_000

# The representations of a date as the serializers' DateField writes it (ISO 8601, or None).
day = serializers.DateField().to_representation


class AuthorSummarySerializer(serializers.ModelSerializer):
    class Meta:
        model = Author
        fields = ["id", "slug", "name", "kind"]

    # The summaries below are embedded in every citation of every claim of a page: they
    # build their dicts directly, value for value what the declared fields give
    # (tests/claims/test_representation.py compares the two).
    def to_representation(self, author: Author) -> dict:
        return {"id": author.id, "slug": author.slug, "name": author.name, "kind": author.kind}


class AuthorSerializer(StrictTypes, serializers.ModelSerializer):
    slug = serializers.SlugField(
        max_length=100, required=False, help_text="Made from the name when omitted."
    )

    class Meta:
        model = Author
        fields = ["id", "slug", "name", "kind", "affiliation", "description", "url"]


class SourceSummarySerializer(serializers.ModelSerializer):
    class Meta:
        model = Source
        fields = ["id", "slug", "title", "outlet", "published_on", "published_precision", "url"]

    def to_representation(self, source: Source) -> dict:
        return {
            "id": source.id,
            "slug": source.slug,
            "title": source.title,
            "outlet": source.outlet,
            "published_on": day(source.published_on),
            "published_precision": source.published_precision,
            "url": source.url,
        }


class SourceSerializer(serializers.ModelSerializer):
    """A source without its text (lists)."""

    authors = AuthorSummarySerializer(many=True, read_only=True)

    class Meta:
        model = Source
        fields = [
            "id",
            "slug",
            "title",
            "url",
            "outlet",
            "published_on",
            "published_precision",
            "language",
            "kind",
            "authors",
            "sha256",
            "created_at",
            "updated_at",
        ]


class SourceDetailSerializer(SourceSerializer):
    """A source with its full text, exactly as archived."""

    class Meta(SourceSerializer.Meta):
        fields = [*SourceSerializer.Meta.fields, "note", "text"]


class SourceWriteSerializer(StrictTypes, serializers.ModelSerializer):
    """A source to archive, or the metadata to change (the text only while nothing cites it)."""

    authors = serializers.SlugRelatedField(
        slug_field="slug",
        queryset=Author.objects.all(),
        many=True,
        required=False,
        help_text="Author slugs, in byline order.",
    )
    url = serializers.URLField(max_length=500, required=False, allow_null=True, allow_blank=True)
    text = serializers.CharField(
        trim_whitespace=False,
        max_length=MAX_SOURCE_TEXT_LENGTH,
        help_text=f"The full text as archived, at most {MAX_SOURCE_TEXT_LENGTH:,} characters.",
    )

    class Meta:
        model = Source
        fields = [
            "slug",
            "title",
            "url",
            "outlet",
            "published_on",
            "published_precision",
            "language",
            "kind",
            "authors",
            "note",
            "text",
        ]
        extra_kwargs = {"slug": {"validators": []}, "url": {"validators": []}}


class PassageSerializer(serializers.ModelSerializer):
    class Meta:
        model = Passage
        fields = ["id", "source", "start", "end", "exact", "prefix", "suffix", "created_at"]


class PassageSelectorSerializer(serializers.ModelSerializer):
    class Meta:
        model = Passage
        fields = ["id", "exact", "prefix", "suffix", "start", "end"]

    def to_representation(self, passage: Passage) -> dict:
        return {
            "id": passage.id,
            "exact": passage.exact,
            "prefix": passage.prefix,
            "suffix": passage.suffix,
            "start": passage.start,
            "end": passage.end,
        }


class QuoteSerializer(StrictTypes, serializers.Serializer):
    quote = serializers.CharField(
        trim_whitespace=False,
        max_length=20_000,
        help_text="The quote as copied; quotes, dashes, whitespace and case may differ.",
    )


class PassageCreateSerializer(QuoteSerializer):
    source = serializers.PrimaryKeyRelatedField(queryset=Source.objects.all())


class AnchorSerializer(serializers.Serializer):
    """Where a quote is in a source text: W3C TextPositionSelector + TextQuoteSelector."""

    start = serializers.IntegerField()
    end = serializers.IntegerField()
    exact = serializers.CharField()
    prefix = serializers.CharField()
    suffix = serializers.CharField()
