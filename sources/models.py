"""Authors, archived source documents and the passages cited from them."""

import hashlib

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, IntegerField, OuterRef, Q, Subquery, Sum, Value
from django.db.models.functions import Coalesce, Greatest, Length
from django.db.models.lookups import Exact
from simple_history.models import HistoricalRecords

from sources.anchoring import span_at


def text_sha256(text: str) -> str:
    """Return the hex SHA-256 of `text` encoded as UTF-8."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class Versioned(models.Model):
    """A record whose every write bumps `version`: the ETag of its representation.

    A write made against an older version is refused (services raise StaleVersion).
    """

    version = models.PositiveIntegerField(
        default=1, editable=False, help_text="Bumped by every write; the record's ETag."
    )

    class Meta:
        abstract = True


def choices_check(
    field: str, choices: type[models.TextChoices], name: str
) -> models.CheckConstraint:
    return models.CheckConstraint(condition=Q(**{f"{field}__in": choices.values}), name=name)


class AuthorKind(models.TextChoices):
    PERSON = "person", "Person"
    ORGANISATION = "organisation", "Organisation"


class SourceKind(models.TextChoices):
    ARTICLE = "article", "Article"
    OP_ED = "op-ed", "Op-ed"
    ANALYSIS = "analysis", "Analysis"
    TRANSCRIPT = "transcript", "Transcript"
    COMMENT_THREAD = "comment-thread", "Comment thread"
    OTHER = "other", "Other"


class DatePrecision(models.TextChoices):
    DAY = "day", "Day"
    MONTH = "month", "Month"
    YEAR = "year", "Year"


NO_EMBEDDED_VERSION = Value(None, output_field=IntegerField())


def authors_last_changed(authors: Q) -> Subquery:
    """When the latest change to the authors `authors` selects was made (their history).

    Authors keep no timestamp of their own; every write to one records a history entry.
    """
    history = Author.history.model.objects.filter(authors).order_by("-history_date")
    return Subquery(history.values("history_date")[:1])


class AuthorQuerySet(models.QuerySet):
    def with_validators(self):
        """Annotate what conditional requests compare: `embedded_version`, `last_modified`.

        `embedded_version` adds up the versions of the records a representation
        embeds (None: it embeds none); with the record's own version it is its ETag.
        """
        return self.annotate(
            embedded_version=NO_EMBEDDED_VERSION,
            last_modified=authors_last_changed(Q(id=OuterRef("pk"))),
        )


class Author(Versioned):
    """A person or organisation whose words a passage is."""

    Kind = AuthorKind

    slug = models.SlugField(max_length=100, unique=True)
    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.PERSON)
    affiliation = models.CharField(max_length=200, blank=True)
    description = models.TextField(blank=True)
    url = models.URLField(max_length=500, blank=True)

    objects = AuthorQuerySet.as_manager()

    history = HistoricalRecords()

    class Meta:
        ordering = ["name", "id"]
        constraints = [choices_check("kind", AuthorKind, "author_kind_valid")]

    def __str__(self) -> str:
        return self.name


class SourceQuerySet(models.QuerySet):
    def with_validators(self):
        """Annotate `embedded_version` and `last_modified` (see AuthorQuerySet): a source
        embeds its authors, whose renaming changes its representation."""
        links = SourceAuthor.objects.filter(source=OuterRef("pk")).order_by().values("source")
        return self.annotate(
            embedded_version=Coalesce(
                Subquery(links.annotate(total=Sum("author__version")).values("total")), 0
            ),
            last_modified=Greatest(
                "updated_at",
                Coalesce(
                    authors_last_changed(
                        Q(
                            id__in=SourceAuthor.objects.filter(
                                source=OuterRef(OuterRef("pk"))
                            ).values("author")
                        )
                    ),
                    "updated_at",
                ),
            ),
        )


class Source(Versioned):
    """One archived document, its text exactly as archived.

    The text is immutable once passages point into it (a database trigger
    refuses the change): a changed document is a new Source.
    """

    Kind = SourceKind
    DatePrecision = DatePrecision

    slug = models.SlugField(max_length=100, unique=True)
    title = models.CharField(max_length=300, blank=True)
    url = models.URLField(max_length=500, null=True, blank=True, unique=True)
    outlet = models.CharField(max_length=200, blank=True)
    published_on = models.DateField(
        null=True, blank=True, help_text="First day of the publication period."
    )
    published_precision = models.CharField(max_length=5, choices=DatePrecision.choices, blank=True)
    language = models.CharField(max_length=16, default="en", help_text="BCP 47 language tag.")
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.ARTICLE)
    authors = models.ManyToManyField(
        Author, through="SourceAuthor", related_name="sources", blank=True
    )
    text = models.TextField()
    sha256 = models.CharField(max_length=64, editable=False)
    note = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = SourceQuerySet.as_manager()

    history = HistoricalRecords()

    class Meta:
        ordering = ["-published_on", "slug"]
        constraints = [
            choices_check("kind", SourceKind, "source_kind_valid"),
            models.CheckConstraint(
                condition=Q(published_on__isnull=True, published_precision="")
                | Q(
                    published_on__isnull=False,
                    published_precision__in=DatePrecision.values,
                ),
                name="source_published_precision_with_date",
            ),
            models.CheckConstraint(condition=~Q(url=""), name="source_url_null_not_empty"),
            models.CheckConstraint(condition=~Q(text=""), name="source_text_not_empty"),
        ]

    def __str__(self) -> str:
        return self.title or self.slug

    def clean(self) -> None:
        # The digest is derived, never typed: keep it in step with the text.
        self.sha256 = text_sha256(self.text)
        if self.pk and self.passages.exists():
            stored = Source.objects.values_list("text", flat=True).get(pk=self.pk)
            if stored != self.text:
                raise ValidationError(
                    {"text": "Passages point into this text; a changed document is a new source."}
                )

    @property
    def primary_author(self) -> Author | None:
        link = self.author_links.select_related("author").first()
        return link.author if link else None


class SourceAuthor(models.Model):
    """An author of a source, in byline order."""

    source = models.ForeignKey(Source, on_delete=models.CASCADE, related_name="author_links")
    author = models.ForeignKey(Author, on_delete=models.PROTECT, related_name="source_links")
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["source", "position"]
        constraints = [
            models.UniqueConstraint(fields=["source", "author"], name="source_author_unique"),
            models.UniqueConstraint(fields=["source", "position"], name="source_author_position"),
        ]

    def __str__(self) -> str:
        return f"{self.author} ({self.position}) of {self.source}"


class PassageQuerySet(models.QuerySet):
    def with_validators(self):
        """Annotate `embedded_version` and `last_modified` (see AuthorQuerySet): a passage
        embeds nothing and never changes once made."""
        return self.annotate(embedded_version=NO_EMBEDDED_VERSION, last_modified=F("created_at"))


class Passage(Versioned):
    """A span of a source's text, addressed like a W3C Web Annotation.

    `start`/`end` are the TextPositionSelector (Python string offsets, i.e.
    code points); `exact`/`prefix`/`suffix` the TextQuoteSelector. Always
    `exact == source.text[start:end]`: checked by `clean()`, by CHECK
    constraints, and by a database trigger that compares with the source text.
    """

    source = models.ForeignKey(Source, on_delete=models.PROTECT, related_name="passages")
    start = models.PositiveIntegerField()
    end = models.PositiveIntegerField()
    exact = models.TextField()
    prefix = models.TextField(blank=True)
    suffix = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = PassageQuerySet.as_manager()

    history = HistoricalRecords()

    class Meta:
        ordering = ["source", "start", "end"]
        constraints = [
            models.UniqueConstraint(fields=["source", "start", "end"], name="passage_span_unique"),
            models.CheckConstraint(condition=Q(start__gte=0), name="passage_start_not_negative"),
            models.CheckConstraint(condition=Q(end__gt=F("start")), name="passage_not_empty"),
            models.CheckConstraint(
                condition=Exact(Length("exact"), F("end") - F("start")),
                name="passage_exact_length_matches_offsets",
            ),
        ]

    def __str__(self) -> str:
        exact = self.exact if len(self.exact) <= 80 else self.exact[:77] + "..."
        return f"“{exact}” ({self.source.slug} {self.start}–{self.end})"

    def clean(self) -> None:
        text = self.source.text
        if not 0 <= self.start < self.end <= len(text):
            raise ValidationError(
                {
                    "end": f"Offsets {self.start}–{self.end} are not a non-empty span of the "
                    f"source text (length {len(text)})."
                }
            )
        if self.exact != text[self.start : self.end]:
            raise ValidationError(
                {"exact": "The passage text differs from the source text at its offsets."}
            )
        # The quote selector's context is derived from the text, never typed.
        span = span_at(text, self.start, self.end)
        self.prefix, self.suffix = span.prefix, span.suffix
