"""API errors: one JSON shape for every error on an /api/ path.

Every error on an /api/ path has one JSON shape (documented in the schema as
`Error`), in the spirit of RFC 9457 problem details:

    {"type": "validation_error", "title": "Invalid input.", "status": 400,
     "detail": "Check the fields named in errors.",
     "errors": {"citations.0.quote": ["The quote does not occur in the source text…"]}}
"""

import logging

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import ProtectedError, RestrictedError
from django.http import Http404, JsonResponse
from drf_spectacular.utils import OpenApiExample
from rest_framework import exceptions, serializers, status
from rest_framework.fields import get_error_detail
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

logger = logging.getLogger(__name__)

NON_FIELD_ERRORS = "non_field_errors"

TITLES = {
    400: "Invalid input.",
    401: "Authentication required.",
    403: "Permission denied.",
    404: "Not found.",
    405: "Method not allowed.",
    406: "Not acceptable.",
    409: "Conflict.",
    412: "Precondition failed.",
    415: "Unsupported media type.",
    428: "Precondition required.",
    429: "Too many requests.",
    500: "Server error.",
}


class Conflict(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = "The request conflicts with the current state of the data."
    default_code = "conflict"


def flatten_errors(detail, prefix: str = "") -> dict[str, list[str]]:
    """Flatten DRF's nested error detail into {"field.0.subfield": [messages]}."""
    if isinstance(detail, dict):
        flat: dict[str, list[str]] = {}
        for key, value in detail.items():
            if key == NON_FIELD_ERRORS and prefix:
                path = prefix  # a nested object's own errors belong to its field
            else:
                path = f"{prefix}.{key}" if prefix else str(key)
            flat.update(flatten_errors(value, path))
        return flat
    if isinstance(detail, list) and detail and all(isinstance(item, str) for item in detail):
        return {prefix or NON_FIELD_ERRORS: [str(item) for item in detail]}
    if isinstance(detail, list):
        flat = {}
        for index, value in enumerate(detail):
            if value:
                flat.update(flatten_errors(value, f"{prefix}.{index}" if prefix else str(index)))
        return flat
    return {prefix or NON_FIELD_ERRORS: [str(detail)]}


def error_body(status_code: int, code: str, detail: str, errors: dict | None = None) -> dict:
    body = {
        "type": code,
        "title": TITLES.get(status_code, "Error."),
        "status": status_code,
        "detail": detail,
    }
    if errors:
        body["errors"] = errors
    return body


class PreconditionRequired(exceptions.APIException):
    status_code = 428
    default_detail = (
        "Writes need an If-Match header with the ETag of the version you read "
        "(or * to write whatever the current version is)."
    )
    default_code = "precondition_required"


# What a domain exception carrying `http_status` and `record` adds to the error body:
# the record as the endpoint represents it, under this key.
RECORD_KEYS = {409: "existing", 412: "current"}


def record_error(exc, context) -> Response | None:
    """The error response for a service's refusal that names a stored record.

    Services raise StaleVersion (412: the record changed since it was read) and
    AlreadyExists (409: the record to create is stored already); both carry
    `http_status`, `code` and `record`. The body holds the record as the view
    represents it (`represent`), so that a client can merge and retry.
    """
    status_code = getattr(exc, "http_status", None)
    if status_code not in RECORD_KEYS or not hasattr(exc, "record"):
        return None
    body = error_body(status_code, exc.code, str(exc))
    view = context.get("view")
    represent = getattr(view, "represent_record", None)
    headers = {}
    if represent is not None:
        representation = represent(exc.record)
        if representation is not None:
            body[RECORD_KEYS[status_code]] = representation
            if status_code == 412:
                headers["ETag"] = etag(exc.record)
    return Response(body, status=status_code, headers=headers)


def etag(record) -> str:
    """The strong ETag of a versioned record's representation."""
    return f'"{record.version}"'


def exception_handler(exc, context):
    """Render every exception raised in a view as the one error shape."""
    if (response := record_error(exc, context)) is not None:
        return response
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(get_error_detail(exc))
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    elif isinstance(exc, ProtectedError | RestrictedError):
        exc = Conflict(
            "Other records depend on this one (evidence is never deleted by cascade); "
            "remove them first."
        )
    response = drf_exception_handler(exc, context)
    if response is None:
        logger.exception("Unhandled error in %s", context.get("view"), exc_info=exc)
        return JsonResponse(
            error_body(500, "server_error", "An unexpected error occurred."), status=500
        )
    if isinstance(exc, exceptions.ValidationError):
        errors = flatten_errors(exc.detail)
        fields = ", ".join(sorted(errors))
        response.data = error_body(400, "validation_error", f"Invalid fields: {fields}.", errors)
    else:
        codes = exc.get_codes() if isinstance(exc, exceptions.APIException) else "error"
        code = codes if isinstance(codes, str) else "error"
        detail = exc.detail if isinstance(exc, exceptions.APIException) else str(exc)
        response.data = error_body(response.status_code, code, str(detail))
    return response


class ApiErrorMiddleware:
    """Give /api/ paths JSON errors where Django would answer with an HTML page."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if (
            request.path.startswith("/api/")
            and response.status_code >= 400
            and not response.get("Content-Type", "").startswith("application/json")
            and not response.get("Content-Type", "").startswith("application/problem+json")
        ):
            code = {404: "not_found", 405: "method_not_allowed"}.get(response.status_code, "error")
            detail = TITLES.get(response.status_code, "Error.")
            return JsonResponse(
                error_body(response.status_code, code, detail), status=response.status_code
            )
        return response

    def process_exception(self, request, exception):
        if not request.path.startswith("/api/"):
            return None
        logger.exception("Unhandled error on %s", request.path, exc_info=exception)
        return JsonResponse(
            error_body(500, "server_error", "An unexpected error occurred."), status=500
        )


class ErrorSerializer(serializers.Serializer):
    """The one shape of every error response."""

    type = serializers.CharField(help_text="Machine-readable code, e.g. `validation_error`.")
    title = serializers.CharField(help_text="Short summary of the kind of error.")
    status = serializers.IntegerField(help_text="The HTTP status code.")
    detail = serializers.CharField(help_text="Human-readable explanation.")
    errors = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()),
        required=False,
        help_text="Per-field messages, keyed by field path (`citations.0.quote`).",
    )
    current = serializers.DictField(
        required=False,
        help_text="With 412: the record as it is now, as this endpoint represents it.",
    )
    existing = serializers.DictField(
        required=False,
        help_text="With 409 on a create: the stored record that the request duplicates.",
    )


ERROR_DESCRIPTIONS = {
    "400": "Invalid input: `errors` names each field.",
    "401": "No valid credentials were given.",
    "403": "The credentials do not allow this.",
    "404": "No such resource (or an invalid page cursor).",
    "405": "The method is not allowed here.",
    "406": "The Accept header asks for a representation this endpoint cannot give.",
    "409": "The resource is referenced by evidence and cannot be deleted, or the record to "
    "create is stored already (`existing` holds it).",
    "412": "The If-Match header names a version that is no longer current: `current` holds "
    "the record as it is now (and the ETag header its version). Merge and retry.",
    "428": "This server requires If-Match on writes: send the ETag of the version you read.",
    "415": "The request body is not JSON.",
    "429": "Too many requests: wait and retry (see Retry-After).",
}


ERROR_EXAMPLES = {
    "400": [
        OpenApiExample(
            "A quote that is not in the source",
            value=error_body(
                400,
                "validation_error",
                "Invalid fields: citations.0.quote.",
                {
                    "citations.0.quote": [
                        "The quote does not occur in the source text, even ignoring case, "
                        "whitespace, and typographic quotes and dashes."
                    ]
                },
            ),
            response_only=True,
            status_codes=["400"],
        )
    ],
    "404": [
        OpenApiExample(
            "No such resource",
            value=error_body(404, "not_found", "No Claim matches the given query."),
            response_only=True,
            status_codes=["404"],
        )
    ],
}
