"""Request body parsing for the API."""

import re
from itertools import accumulate

from django.conf import settings
from rest_framework import exceptions, parsers, status
from rest_framework.utils import json

# Nesting deeper than this is refused before the body is decoded: no endpoint takes
# more than a few levels, and Python's json module recurses once per level.
MAX_JSON_DEPTH = 32

# A JSON string, escapes included (unrolled so that the regex engine never backtracks).
JSON_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
NOT_A_BRACKET = re.compile(r"[^\[\]{}]+")
DEPTH_STEP = {"[": 1, "{": 1, "]": -1, "}": -1}


class RequestTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_code = "request_too_large"

    @property
    def default_detail(self) -> str:
        return (
            f"The request body is larger than {settings.DATA_UPLOAD_MAX_MEMORY_SIZE:,} bytes, "
            "the most accepted."
        )


def contains_nul(data) -> bool:
    if isinstance(data, str):
        return "\x00" in data
    if isinstance(data, dict):
        return any(contains_nul(key) or contains_nul(value) for key, value in data.items())
    if isinstance(data, list):
        return any(contains_nul(item) for item in data)
    return False


def json_depth(text: str) -> int:
    """How deeply the arrays and objects of a JSON text nest, found without recursing."""
    brackets = NOT_A_BRACKET.sub("", JSON_STRING.sub("", text))
    return max(accumulate(map(DEPTH_STEP.__getitem__, brackets)), default=0)


def read_body(stream, request) -> bytes:
    """Read the whole body, refusing one over DATA_UPLOAD_MAX_MEMORY_SIZE.

    The declared Content-Length is checked first; the read itself is bounded too,
    so that a body sent without one (chunked) cannot exceed the limit either.
    """
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    if limit is None:
        return stream.read()
    declared = request.META.get("CONTENT_LENGTH") if request is not None else None
    if declared and declared.isdigit() and int(declared) > limit:
        raise RequestTooLarge()
    body = stream.read(limit + 1)
    if len(body) > limit:
        raise RequestTooLarge()
    return body


class JSONParser(parsers.JSONParser):
    """JSON of bounded size and depth, minus NUL characters, which no text column can store."""

    def parse(self, stream, media_type=None, parser_context=None):
        parser_context = parser_context or {}
        body = read_body(stream, parser_context.get("request"))
        try:
            text = body.decode(parsers.get_encoding(parser_context))
        except UnicodeDecodeError as exc:
            raise exceptions.ParseError(f"The request body is not valid text: {exc}") from exc
        if json_depth(text) > MAX_JSON_DEPTH:
            raise exceptions.ParseError(
                f"JSON nested more than {MAX_JSON_DEPTH} levels deep is not accepted."
            )
        try:
            data = json.loads(text, parse_constant=json.strict_constant if self.strict else None)
        except ValueError as exc:
            raise exceptions.ParseError(f"JSON parse error - {exc}") from exc
        except RecursionError as exc:
            raise exceptions.ParseError("The JSON is nested too deeply.") from exc
        if contains_nul(data):
            raise exceptions.ParseError("JSON strings may not contain NUL characters (\\u0000).")
        return data
