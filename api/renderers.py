"""Renderers beyond DRF's JSON."""

import json

from rest_framework import renderers
from rest_framework.utils.encoders import JSONEncoder


def json_line(data) -> str:
    """One NDJSON line (with its newline): compact JSON, as the JSON renderer writes it."""
    return json.dumps(data, cls=JSONEncoder, ensure_ascii=False, separators=(",", ":")) + "\n"


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
        return json_line(data).encode(self.charset)
