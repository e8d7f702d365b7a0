"""Pagination shared by every list endpoint."""

from rest_framework import pagination
from rest_framework.exceptions import ValidationError

# Cursors this API hands out are far shorter; a longer one is refused before it is decoded.
MAX_CURSOR_LENGTH = 1_000


class CursorPagination(pagination.CursorPagination):
    """Stable cursor pages, newest first; `page_size` from 1 to 100 (larger asks get 100)."""

    ordering = ("-created_at", "-id")
    page_size_query_param = "page_size"
    max_page_size = 100

    def get_page_size(self, request):
        value = request.query_params.get(self.page_size_query_param)
        if value is None:
            return self.page_size
        if not (value.isascii() and value.isdigit()) or len(value) > 9 or int(value) < 1:
            raise ValidationError({self.page_size_query_param: "A whole number from 1 to 100."})
        return min(int(value), self.max_page_size)

    def decode_cursor(self, request):
        value = request.query_params.get(self.cursor_query_param, "")
        if len(value) > MAX_CURSOR_LENGTH:
            raise ValidationError(
                {self.cursor_query_param: [f"At most {MAX_CURSOR_LENGTH} characters."]}
            )
        return super().decode_cursor(request)

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.page_size_query_param:
                parameter["schema"]["minimum"] = 1
                parameter["description"] = "Results per page, 1 to 100 (default 20)."
            if parameter["name"] == self.cursor_query_param:
                parameter["description"] = "The `next` or `previous` link's cursor."
                parameter["schema"]["maxLength"] = MAX_CURSOR_LENGTH
        return parameters
