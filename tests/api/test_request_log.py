"""One structured log line per request."""

import json
import logging

import pytest
from django.urls import reverse

from api.request_log import JsonFormatter

pytestmark = pytest.mark.django_db


def request_records(caplog) -> list[logging.LogRecord]:
    return [record for record in caplog.records if record.name == "claimbase.requests"]


def test_each_request_is_logged_once_with_method_path_status_duration_and_client(api, caplog):
    caplog.set_level(logging.INFO)
    api.get(reverse("author-list"))
    [record] = request_records(caplog)
    assert (record.method, record.path, record.status) == ("GET", "/api/v1/authors/", 200)
    assert record.duration_ms >= 0
    assert record.client == "127.0.0.1"
    assert record.levelno == logging.INFO


def test_client_errors_are_logged_as_warnings(api, caplog):
    caplog.set_level(logging.INFO)
    api.get("/api/v1/nothing-here/")
    [record] = request_records(caplog)
    assert (record.status, record.levelno) == (404, logging.WARNING)


def test_a_spoofed_x_forwarded_for_is_not_logged_as_the_client(api, caplog):
    caplog.set_level(logging.INFO)
    api.get(reverse("author-list"), HTTP_X_FORWARDED_FOR="203.0.113.9")
    [record] = request_records(caplog)
    assert record.client == "127.0.0.1"


def test_a_log_line_is_one_json_object_with_the_request_fields(api, caplog):
    caplog.set_level(logging.INFO)
    api.get(reverse("author-list"), {"ordering": "name"})
    [record] = request_records(caplog)
    line = JsonFormatter().format(record)
    assert "\n" not in line
    fields = json.loads(line)
    assert fields["level"] == "INFO"
    assert fields["logger"] == "claimbase.requests"
    assert fields["message"] == "GET /api/v1/authors/ 200"
    assert {key: fields[key] for key in ("method", "path", "status", "client")} == {
        "method": "GET",
        "path": "/api/v1/authors/",
        "status": 200,
        "client": "127.0.0.1",
    }
    assert isinstance(fields["duration_ms"], float)
