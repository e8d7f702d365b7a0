"""The API against its own OpenAPI schema: valid, honoured by every operation, no N+1."""

from io import StringIO

import pytest
import schemathesis
from django.core.management import call_command
from django.core.signals import request_finished, request_started
from django.db import close_old_connections, connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from hypothesis import HealthCheck, settings

from config.wsgi import application

pytestmark = pytest.mark.django_db

schema = schemathesis.openapi.from_wsgi("/api/schema/?format=json", application)

# Every check but two, which judge the input rather than the API's honesty about it:
# filters treat an empty value (`?claim=`) as no filter, which counts as accepting
# invalid input; and a schema-valid request can still be refused on its merits (a
# quote that is not in the text is a 400 naming `quote`). Server errors,
# undocumented statuses and schema-violating responses all fail.
EXCLUDED_CHECKS = [
    schemathesis.checks.negative_data_rejection,
    schemathesis.checks.positive_data_acceptance,
]

# Schemathesis's WSGI client asks for gzip but does not decompress what it gets.
IDENTITY = {"Accept-Encoding": "identity"}


@pytest.fixture(autouse=True)
def connection_kept_between_requests():
    """Call the WSGI app as Django's test client does: without closing the test's connection."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


def test_schema_is_valid_openapi_with_no_warnings():
    call_command("spectacular", "--validate", "--fail-on-warn", stdout=StringIO())


def test_every_operation_documents_its_errors(api):
    document = api.get(reverse("schema") + "?format=json").json()
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            responses = operation["responses"]
            assert {"400", "404", "429"} <= set(responses), (method, path)
            if method != "get":
                assert {"401", "403"} <= set(responses), (method, path)


@schema.parametrize()
@settings(max_examples=15, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
def test_api_honours_its_schema_for_readers(case, db):
    case.call_and_validate(headers=IDENTITY, excluded_checks=EXCLUDED_CHECKS)


@schema.parametrize()
@settings(max_examples=15, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
def test_api_honours_its_schema_for_curators_and_staff(case, staff_api):
    token = staff_api._credentials["HTTP_AUTHORIZATION"]
    case.call_and_validate(
        headers={"Authorization": token, **IDENTITY}, excluded_checks=EXCLUDED_CHECKS
    )


LISTS = ["claim-list", "citation-list", "source-list", "passage-list", "author-list"]


@pytest.mark.parametrize("name", LISTS)
def test_list_endpoints_run_the_same_queries_for_one_item_and_a_hundred(api, corpus, name):
    with CaptureQueriesContext(connection) as one:
        assert api.get(reverse(name), {"page_size": 1}).status_code == 200
    with CaptureQueriesContext(connection) as hundred:
        response = api.get(reverse(name), {"page_size": 100})
    assert len(response.json()["results"]) > 1
    assert len(one) == len(hundred)
