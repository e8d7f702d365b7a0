"""Query filters for authors, sources and passages."""

import django_filters
from django.db.models import Q

from api.filters import TextFilter
from sources.models import Author, AuthorKind, Passage, Source, SourceKind

MAX_QUERY_LENGTH = 500
MAX_SLUG_LENGTH = 100  # a slug, or an id
MAX_LANGUAGE_LENGTH = 16


def id_or_slug(prefix: str, value: str) -> Q:
    """Match a related object given by its numeric id or by its slug."""
    if value.isascii() and value.isdigit() and len(value) < 19:
        return Q(**{f"{prefix}id": int(value)})
    return Q(**{f"{prefix}slug": value})


class AuthorFilter(django_filters.FilterSet):
    q = TextFilter(
        max_length=MAX_QUERY_LENGTH,
        method="filter_q",
        help_text="Text in the name, affiliation or description.",
    )
    kind = django_filters.ChoiceFilter(choices=AuthorKind.choices)

    class Meta:
        model = Author
        fields = ["q", "kind"]

    def filter_q(self, queryset, name, value):
        return queryset.filter(
            Q(name__icontains=value)
            | Q(affiliation__icontains=value)
            | Q(description__icontains=value)
        )


class SourceFilter(django_filters.FilterSet):
    q = TextFilter(
        max_length=MAX_QUERY_LENGTH, method="filter_q", help_text="Text in the title or outlet."
    )
    author = TextFilter(
        max_length=MAX_SLUG_LENGTH, method="filter_author", help_text="Author id or slug."
    )
    kind = django_filters.ChoiceFilter(choices=SourceKind.choices)
    language = TextFilter(
        max_length=MAX_LANGUAGE_LENGTH, help_text="BCP 47 language tag, e.g. `en`."
    )
    published_after = django_filters.DateFilter(
        field_name="published_on", lookup_expr="gte", help_text="Published on or after (date)."
    )
    published_before = django_filters.DateFilter(
        field_name="published_on", lookup_expr="lte", help_text="Published on or before (date)."
    )

    class Meta:
        model = Source
        fields = ["q", "author", "kind", "language", "published_after", "published_before"]

    def filter_q(self, queryset, name, value):
        return queryset.filter(Q(title__icontains=value) | Q(outlet__icontains=value))

    def filter_author(self, queryset, name, value):
        return queryset.filter(
            pk__in=Source.objects.filter(id_or_slug("authors__", value)).values("pk")
        )


class PassageFilter(django_filters.FilterSet):
    source = TextFilter(
        max_length=MAX_SLUG_LENGTH, method="filter_source", help_text="Source id or slug."
    )

    class Meta:
        model = Passage
        fields = ["source"]

    def filter_source(self, queryset, name, value):
        return queryset.filter(id_or_slug("source__", value))
