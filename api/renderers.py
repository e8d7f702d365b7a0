"""JSON (written by orjson), NDJSON streams, and JSON-LD (by `Accept` or `?format=jsonld`)."""

import orjson
from django.utils.cache import patch_vary_headers
from rest_framework import renderers
from rest_framework.response import Response

# orjson writes U+2028 and U+2029 as they are; DRF escapes them (JavaScript could not hold
# them in a string literal before ES2019), and so does this renderer.
LINE_SEPARATORS = ((b"\xe2\x80\xa8", b"\\u2028"), (b"\xe2\x80\xa9", b"\\u2029"))


def json_line(data) -> bytes:
    """One NDJSON line (with its newline): the bytes the JSON renderer writes for `data`."""
    return JSON.render(data) + b"\n"


class JSONRenderer(renderers.JSONRenderer):
    """DRF's JSON written by orjson, several times faster on a page of claims.

    The same bytes as DRF's renderer, but for a float in exponent form (orjson writes
    `1e-7` where Python writes `1e-07`: the same number). Dates and times go through
    DRF's encoder (milliseconds, `Z`), as does whatever orjson does not know (lazy
    strings, decimals, query sets). What orjson refuses (an integer beyond 64 bits, a
    key that is not a string, a lone surrogate) and an indented rendering are left to
    DRF's renderer.
    """

    def render(self, data, accepted_media_type=None, renderer_context=None):
        if data is None:
            return b""
        indent = self.get_indent(accepted_media_type, renderer_context or {})
        if indent is not None or self.ensure_ascii or not self.compact:
            return super().render(data, accepted_media_type, renderer_context)
        try:
            body = orjson.dumps(
                data,
                default=self.encoder_class().default,
                option=orjson.OPT_PASSTHROUGH_DATETIME,
            )
        except orjson.JSONEncodeError:
            return super().render(data, accepted_media_type, renderer_context)
        for character, escaped in LINE_SEPARATORS:
            if character in body:
                body = body.replace(character, escaped)
        return body


JSON = JSONRenderer()


class NDJSONRenderer(renderers.BaseRenderer):
    """Newline-delimited JSON: one JSON document per line.

    Streaming views write their lines themselves; this renderer lets clients
    ask for the media type, and renders anything else as a single line.
    """

    media_type = "application/x-ndjson"
    format = "ndjson"
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        if data is None:
            return b""
        return json_line(data)


class JSONLDRenderer(JSONRenderer):
    """`application/ld+json`: the view's `linked_data(data)` maps its JSON to linked data."""

    media_type = "application/ld+json"
    format = "jsonld"
    # A strong ETag names one representation: the JSON-LD one is not the JSON one.
    etag_suffix = "-jsonld"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        renderer_context = renderer_context or {}
        view = renderer_context.get("view")
        response = renderer_context.get("response")
        if data is not None and response is not None and response.status_code < 400:
            data = view.linked_data(data)
        return super().render(data, accepted_media_type, renderer_context)


class LinkedDataMixin:
    """Offer JSON-LD beside JSON on the actions named in `linked_data_actions`.

    The view defines `linked_data(data)`. Errors stay plain JSON in the one error
    shape; every response says it varies with `Accept`.
    """

    linked_data_actions = ("list", "retrieve")

    def get_renderers(self):
        renderers = super().get_renderers()
        if getattr(self, "action", None) in self.linked_data_actions:
            renderers.append(JSONLDRenderer())
        return renderers

    def linked_data(self, data):
        raise NotImplementedError

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        if (
            isinstance(response, Response)
            and response.status_code >= 400
            and isinstance(getattr(response, "accepted_renderer", None), JSONLDRenderer)
        ):
            response.accepted_renderer = JSONRenderer()
            response.accepted_media_type = JSONRenderer.media_type
        patch_vary_headers(response, ["Accept"])
        return response
