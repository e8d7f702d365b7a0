"""Pagination shared by every list endpoint."""

from rest_framework import pagination
from rest_framework.exceptions import ValidationError

from api.filters import non_empty, refuse_empty

# Cursors this API hands out are far shorter; a longer one is refused before it is decoded.
MAX_CURSOR_LENGTH = 1_000


def whole_number(value: str) -> bool:
    """Digits only, and few enough to be read as a number (Python reads at most 4,300)."""
    return value.isascii() and value.isdigit() and len(value) < 10


def always_present(schema: dict) -> dict:
    """A page's schema with every property required: `next` and `previous` are null, not absent."""
    return {**schema, "required": list(schema["properties"])}


class CursorPagination(pagination.CursorPagination):
    """Stable cursor pages, newest first; `page_size` from 1 to 100."""

    ordering = ("-created_at", "-id")
    page_size_query_param = "page_size"
    max_page_size = 100

    def get_page_size(self, request):
        value = request.query_params.get(self.page_size_query_param)
        if value is None:
            return self.page_size
        if not whole_number(value) or not 1 <= int(value) <= self.max_page_size:
            raise ValidationError(
                {self.page_size_query_param: f"A whole number from 1 to {self.max_page_size}."}
            )
        return int(value)

    def decode_cursor(self, request):
        refuse_empty(request, [self.cursor_query_param])
        value = request.query_params.get(self.cursor_query_param, "")
        if len(value) > MAX_CURSOR_LENGTH:
            raise ValidationError(
                {self.cursor_query_param: [f"At most {MAX_CURSOR_LENGTH} characters."]}
            )
        return super().decode_cursor(request)

    def get_paginated_response_schema(self, schema):
        return always_present(super().get_paginated_response_schema(schema))

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.page_size_query_param:
                parameter["schema"]["minimum"] = 1
                parameter["schema"]["maximum"] = self.max_page_size
                parameter["description"] = "Results per page, 1 to 100 (default 20)."
            if parameter["name"] == self.cursor_query_param:
                parameter["description"] = "The `next` or `previous` link's cursor."
                parameter["schema"]["maxLength"] = MAX_CURSOR_LENGTH
        return non_empty(parameters)


class LimitOffsetPagination(pagination.LimitOffsetPagination):
    """Pages of a list held in memory (a claim's history): `limit` and `offset`, both checked."""

    default_limit = 50
    max_limit = 200

    def get_limit(self, request):
        value = request.query_params.get(self.limit_query_param)
        if value is None:
            return self.default_limit
        if not whole_number(value) or not 1 <= int(value) <= self.max_limit:
            raise ValidationError(
                {self.limit_query_param: [f"A whole number from 1 to {self.max_limit}."]}
            )
        return int(value)

    def get_offset(self, request):
        value = request.query_params.get(self.offset_query_param)
        if value is None:
            return 0
        if not whole_number(value):
            raise ValidationError({self.offset_query_param: ["A whole number from 0."]})
        return int(value)

    def get_paginated_response_schema(self, schema):
        return always_present(super().get_paginated_response_schema(schema))

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.limit_query_param:
                parameter["schema"].update(minimum=1, maximum=self.max_limit)
                parameter["description"] = (
                    f"Entries per page, 1 to {self.max_limit} (default {self.default_limit})."
                )
            if parameter["name"] == self.offset_query_param:
                parameter["schema"].update(minimum=0, maximum=999_999_999)
                parameter["description"] = "How many entries to skip."
        return parameters
