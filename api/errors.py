"""API errors: one JSON shape for every error on an /api/ path.

Every error on an /api/ path has one JSON shape (documented in the schema as
`Error`), in the spirit of RFC 9457 problem details:

    {"type": "validation_error", "title": "Invalid input.", "status": 400,
     "detail": "Check the fields named in errors.",
     "errors": {"citations.0.quote": ["The quote does not occur in the source text…"]}}
"""

import logging

from django.conf import settings
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig, SuspiciousOperation
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import ProtectedError, RestrictedError
from django.http import Http404, JsonResponse
from drf_spectacular.utils import OpenApiExample
from rest_framework import exceptions, serializers, status
from rest_framework.fields import get_error_detail
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from api.parsers import RequestTooLarge

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
    413: "Request body too large.",
    414: "URI too long.",
    415: "Unsupported media type.",
    428: "Precondition required.",
    429: "Too many requests.",
    500: "Server error.",
}


class Conflict(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = "The request conflicts with the current state of the data."
    default_code = "conflict"


class BadRequest(exceptions.APIException):
    status_code = status.HTTP_400_BAD_REQUEST
    default_detail = "The request is malformed."
    default_code = "bad_request"


def api_exception(exc: Exception) -> Exception:
    """The API exception that stands for one of Django's, or the exception itself."""
    if isinstance(exc, DjangoValidationError):
        return exceptions.ValidationError(get_error_detail(exc))
    if isinstance(exc, Http404):
        return exceptions.NotFound()
    if isinstance(exc, DjangoPermissionDenied):
        return exceptions.PermissionDenied()
    if isinstance(exc, ProtectedError | RestrictedError):
        return Conflict(
            "Other records depend on this one (evidence is never deleted by cascade); "
            "remove them first."
        )
    if isinstance(exc, RequestDataTooBig):
        return RequestTooLarge()
    if isinstance(exc, SuspiciousOperation):
        # Too many query or form fields, a malformed header: the request, not the server.
        return BadRequest(str(exc) or BadRequest.default_detail)
    return exc


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
                entity_tag = getattr(view, "entity_tag", etag)
                headers["ETag"] = entity_tag(exc.record)
    return Response(body, status=status_code, headers=headers)


def etag(record) -> str:
    """The strong ETag of a versioned record's representation."""
    return f'"{record.version}"'


def exception_handler(exc, context):
    """Render every exception raised in a view as the one error shape."""
    if (response := record_error(exc, context)) is not None:
        return response
    exc = api_exception(exc)
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
        if request.path.startswith("/api/") and query_string_too_long(request):
            return JsonResponse(
                error_body(
                    414,
                    "uri_too_long",
                    f"The query string is longer than {settings.CLAIMBASE_MAX_QUERY_STRING:,} "
                    "bytes; send long statements to the lookup with POST.",
                ),
                status=414,
            )
        response = self.get_response(request)
        if (
            request.path.startswith("/api/")
            and response.status_code >= 400
            and not response.get("Content-Type", "").startswith("application/json")
            and not response.get("Content-Type", "").startswith("application/problem+json")
        ):
            code = CODES.get(response.status_code, "error")
            detail = TITLES.get(response.status_code, "Error.")
            return JsonResponse(
                error_body(response.status_code, code, detail), status=response.status_code
            )
        return response

    def process_exception(self, request, exception):
        if not request.path.startswith("/api/"):
            return None
        exc = api_exception(exception)
        if isinstance(exc, exceptions.APIException):
            return JsonResponse(
                error_body(exc.status_code, exc.default_code, str(exc.detail)),
                status=exc.status_code,
            )
        logger.exception("Unhandled error on %s", request.path, exc_info=exception)
        return JsonResponse(
            error_body(500, "server_error", "An unexpected error occurred."), status=500
        )


CODES = {
    400: "bad_request",
    404: "not_found",
    405: "method_not_allowed",
    413: "request_too_large",
    414: "uri_too_long",
}


def query_string_too_long(request) -> bool:
    return len(request.META.get("QUERY_STRING", "")) > settings.CLAIMBASE_MAX_QUERY_STRING


class ErrorSerializer(serializers.Serializer):
    """The one shape of every error response."""

    optional_in_response = ("errors", "current", "existing")

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
    "create, or the record as changed, is stored already: the same statement, slug or URL "
    "(`existing` holds it).",
    "412": "The If-Match header names a version that is no longer current: `current` holds "
    "the record as it is now (and the ETag header its version). Merge and retry.",
    "428": "This server requires If-Match on writes: send the ETag of the version you read.",
    "413": "The request body is larger than the server accepts (6 MiB unless configured).",
    "414": "The query string is longer than 64 KiB: send long statements with POST.",
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
