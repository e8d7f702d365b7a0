"""Query filters for claims and citations."""

from datetime import MAXYEAR, UTC, datetime

import django_filters
from django.db.models import Exists, OuterRef, Q
from django_filters.fields import IsoDateTimeField

from api.filters import TextFilter
from claims.models import Citation, Claim, ClaimStatus, Stance, Verdict
from sources.filters import MAX_LANGUAGE_LENGTH, MAX_QUERY_LENGTH, MAX_SLUG_LENGTH, id_or_slug


def cited(*conditions: Q, **lookups) -> Exists:
    """Claims with at least one citation matching the conditions (no row duplication)."""
    return Exists(Citation.objects.filter(*conditions, claim=OuterRef("pk"), **lookups))


def cited_in(*conditions: Q, **lookups) -> Q:
    """Claims with a citation matching the conditions, looked up from the citations' side.

    For conditions few citations meet (an author, a source): the database starts from
    the citations' index and sorts the few claims found, where an EXISTS is checked
    claim after claim down the list's order (SQLite never turns it around), through
    the whole table when the matches are rare.
    """
    return Q(pk__in=Citation.objects.filter(*conditions, **lookups).values("claim_id"))


class UTCDateTimeField(IsoDateTimeField):
    """An ISO 8601 date-time, in UTC (one past the calendar in UTC: its first or last instant)."""

    def to_python(self, value):
        value = super().to_python(value)
        try:
            return value.astimezone(UTC) if value else value
        except OverflowError:
            # 9999-12-31T23:00-02:00 is in year 10000 in UTC: a valid date-time, after
            # every stored one (and 0001-01-01T00:00+01:00 before every one).
            edge = datetime.max if value.year == MAXYEAR else datetime.min
            return edge.replace(tzinfo=UTC)


class UTCDateTimeFilter(django_filters.IsoDateTimeFilter):
    """An ISO 8601 date-time, compared in UTC (any offset ISO 8601 allows is accepted)."""

    field_class = UTCDateTimeField


class ClaimFilter(django_filters.FilterSet):
    q = TextFilter(
        max_length=MAX_QUERY_LENGTH,
        method="filter_q",
        help_text="Text in the claim or in one of its cited passages.",
    )
    stance = django_filters.ChoiceFilter(
        choices=Stance.choices,
        method="filter_stance",
        help_text="Claims with at least one citation of this stance.",
    )
    verdict = django_filters.ChoiceFilter(choices=Verdict.choices, method="filter_verdict")
    author = TextFilter(
        max_length=MAX_SLUG_LENGTH,
        method="filter_author",
        help_text="Claims citing this author (id or slug).",
    )
    source = TextFilter(
        max_length=MAX_SLUG_LENGTH,
        method="filter_source",
        help_text="Claims citing this source (id or slug).",
    )
    topic = TextFilter(max_length=MAX_SLUG_LENGTH, method="filter_topic", help_text="Topic slug.")
    status = django_filters.ChoiceFilter(
        choices=ClaimStatus.choices,
        help_text="Without it, lists show draft and published claims, not retracted ones.",
    )
    language = TextFilter(
        max_length=MAX_LANGUAGE_LENGTH, help_text="BCP 47 language tag, e.g. `en`."
    )
    updated_since = UTCDateTimeFilter(
        field_name="updated_at", lookup_expr="gte", help_text="ISO 8601 date-time."
    )
    about_after = django_filters.DateFilter(
        field_name="period_end",
        lookup_expr="gte",
        help_text="Claims about a period ending on or after this date.",
    )
    about_before = django_filters.DateFilter(
        field_name="period_start",
        lookup_expr="lte",
        help_text="Claims about a period starting on or before this date.",
    )

    class Meta:
        model = Claim
        fields = [
            "q",
            "stance",
            "verdict",
            "author",
            "source",
            "topic",
            "status",
            "language",
            "updated_since",
            "about_after",
            "about_before",
        ]

    def filter_q(self, queryset, name, value):
        return queryset.filter(Q(text__icontains=value) | cited(passage__exact__icontains=value))

    def filter_topic(self, queryset, name, value):
        topics = Claim.topics.through.objects.filter(claim=OuterRef("pk"), topic__slug=value)
        return queryset.filter(Exists(topics))

    def filter_stance(self, queryset, name, value):
        return queryset.filter(cited(stance=value))

    def filter_author(self, queryset, name, value):
        return queryset.filter(cited_in(id_or_slug("author__", value)))

    def filter_verdict(self, queryset, name, value):
        return queryset.with_verdict_of(value)

    def filter_source(self, queryset, name, value):
        return queryset.filter(cited_in(id_or_slug("passage__source__", value)))


class CitationFilter(django_filters.FilterSet):
    claim = django_filters.UUIDFilter(field_name="claim__uuid", help_text="Claim id.")
    stance = django_filters.ChoiceFilter(choices=Stance.choices)
    author = TextFilter(
        max_length=MAX_SLUG_LENGTH, method="filter_author", help_text="Author id or slug."
    )
    source = TextFilter(
        max_length=MAX_SLUG_LENGTH, method="filter_source", help_text="Source id or slug."
    )

    class Meta:
        model = Citation
        fields = ["claim", "stance", "author", "source"]

    def filter_author(self, queryset, name, value):
        return queryset.filter(id_or_slug("author__", value))

    def filter_source(self, queryset, name, value):
        return queryset.filter(id_or_slug("passage__source__", value))
