"""The JSON renderer writes what DRF's own renderer writes, with orjson."""

import uuid
from datetime import UTC, date, datetime, time
from decimal import Decimal

from django.utils.translation import gettext_lazy
from rest_framework import renderers
from rest_framework.exceptions import ErrorDetail
from rest_framework.utils.serializer_helpers import ReturnDict, ReturnList

from api.renderers import JSONLDRenderer, JSONRenderer

AWKWARD = {
    "text": 'Japan’s “line” — \u2028 and \u2029, tab\t, nul\x00, \x1f, bell\x07, "q" \\ / é 日本',
    "numbers": [0, -1, 2**63 - 1, 1.5, 0.1, True, False, None],
    "moments": [
        datetime(2026, 11, 23, 18, 50, 12, 123456, tzinfo=UTC),
        datetime(2026, 11, 23, 18, 50, 12, tzinfo=UTC),
        date(2018, 3, 1),
        time(9, 30, 5, 250000),
    ],
    "ids": [uuid.UUID("a83fcdd6-65b5-5ebf-aea6-4e21e94ed0e9")],
    "lazy": gettext_lazy("This field is required."),
    "decimal": Decimal("2.50"),
    "error": ErrorDetail("A whole number from 1 to 100.", code="invalid"),
    "returned": ReturnDict({"page": ReturnList([{"a": 1}], serializer=None)}, serializer=None),
    "nested": {"empty": {}, "list": [], "tuple": (1, 2)},
}


def test_the_renderer_writes_drfs_bytes():
    assert JSONRenderer().render(AWKWARD) == renderers.JSONRenderer().render(AWKWARD)


def test_what_orjson_refuses_is_written_by_drf():
    huge = {"big": 2**70, 3: "a key that is not a string"}
    assert JSONRenderer().render(huge) == renderers.JSONRenderer().render(huge)


def test_indented_json_is_written_as_drf_indents_it():
    media_type = "application/json; indent=2"
    assert JSONRenderer().render(AWKWARD, media_type) == renderers.JSONRenderer().render(
        AWKWARD, media_type
    )


def test_nothing_is_written_for_no_data():
    assert JSONRenderer().render(None) == b""


def test_linked_data_is_written_by_the_same_renderer():
    assert issubclass(JSONLDRenderer, JSONRenderer)
