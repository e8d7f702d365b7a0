"""Query parameters with documented bounds, refused with a 400 before any query runs."""

import django_filters
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import extend_schema_field
from rest_framework import filters
from rest_framework.exceptions import ValidationError
from rest_framework.settings import api_settings

MAX_ORDERING_LENGTH = 200
EMPTY_VALUE = "Give a value, or leave the parameter out."


def refuse_empty(request, names) -> None:
    """A 400 naming each of these query parameters that is present with an empty value.

    An empty filter would otherwise be ignored: the answer would not be what was asked.
    """
    empty = {
        name: [EMPTY_VALUE]
        for name in names
        if any(value == "" for value in request.query_params.getlist(name))
    }
    if empty:
        raise ValidationError(empty)


def non_empty(parameters: list[dict]) -> list[dict]:
    """Declare `minLength: 1` on every free-text query parameter."""
    for parameter in parameters:
        schema = parameter.get("schema", {})
        if schema.get("type") == "string" and "enum" not in schema:
            schema.setdefault("minLength", 1)
    return parameters


class FilterBackend(DjangoFilterBackend):
    """django-filter's backend; an empty value of a declared filter is a 400, not no filter."""

    def filter_queryset(self, request, queryset, view):
        filterset_class = self.get_filterset_class(view, queryset)
        if filterset_class is not None:
            refuse_empty(request, filterset_class.base_filters)
        return super().filter_queryset(request, queryset, view)


# Query parameters that pagination and content negotiation read, and no filter does.
PAGINATION_PARAMETERS = (
    "cursor_query_param",
    "page_size_query_param",
    "page_query_param",
    "limit_query_param",
    "offset_query_param",
)


def filters_asked(request, view) -> bool:
    """Whether the view's filter backends could change its queryset for this request.

    This API's backends (FilterBackend, OrderingFilter) leave a queryset as it is
    when the query string names none of their parameters and the view has no
    default ordering: then building a filterset and its form, for a claim's detail
    or a plain page, is skipped. Any other backend always runs.
    """
    backends = getattr(view, "filter_backends", ())
    if not all(issubclass(backend, FilterBackend | OrderingFilter) for backend in backends):
        return True
    if getattr(view, "ordering", None) is not None:
        return True
    others = {api_settings.URL_FORMAT_OVERRIDE}
    paginator = getattr(view, "paginator", None)
    others.update(getattr(paginator, name, None) for name in PAGINATION_PARAMETERS)
    return not others.issuperset(request.query_params)


class TextFilter(django_filters.CharFilter):
    """A text filter of at most `max_length` characters (its `maxLength` in the schema).

    A longer value is a 400 naming the parameter: it never reaches the database,
    whose pattern matching has limits of its own (SQLite refuses LIKE patterns over
    50,000 bytes).
    """

    def __init__(self, *args, max_length: int, **kwargs):
        super().__init__(*args, max_length=max_length, **kwargs)
        schema = {"type": "string", "maxLength": max_length}
        if kwargs.get("help_text"):
            schema["description"] = kwargs["help_text"]
        extend_schema_field(schema)(self)


class OrderingFilter(filters.OrderingFilter):
    """DRF's ordering, with a bounded `ordering` parameter."""

    def get_ordering(self, request, queryset, view):
        refuse_empty(request, [self.ordering_param])
        value = request.query_params.get(self.ordering_param, "")
        if len(value) > MAX_ORDERING_LENGTH:
            raise ValidationError(
                {self.ordering_param: [f"At most {MAX_ORDERING_LENGTH} characters."]}
            )
        return super().get_ordering(request, queryset, view)

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            parameter["schema"]["maxLength"] = MAX_ORDERING_LENGTH
        return parameters
