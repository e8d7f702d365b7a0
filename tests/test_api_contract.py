"""The API against its own OpenAPI schema: valid, honoured by every operation, no N+1.

Schemathesis runs every check, negative and positive data included, on every
operation as a reader, a curator and staff, then chains calls along the schema's
links (create → read, update, delete). Its settings are in schemathesis.toml.
"""

from io import StringIO

import pytest
import schemathesis
from django.core.cache import cache
from django.core.management import call_command
from django.core.signals import request_finished, request_started
from django.db import close_old_connections, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from hypothesis import HealthCheck, settings

from api.tokens import token_create
from claims.services import curator_create
from config.wsgi import application

pytestmark = pytest.mark.django_db

schema = schemathesis.openapi.from_wsgi("/api/schema/?format=json", application)

FUZZ = settings(
    max_examples=15, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck)
)
STATEFUL = settings(
    max_examples=20,
    stateful_step_count=6,
    deadline=None,
    derandomize=True,
    suppress_health_check=list(HealthCheck),
)

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


@pytest.fixture(params=["curator", "staff"])
def writer(request, db) -> dict[str, str]:
    """The Authorization header of a curator, then of staff (who may also delete)."""
    user, _ = curator_create(username=request.param, superuser=request.param == "staff")
    return {"Authorization": f"Token {token_create(user=user)}"}


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


def test_every_create_links_to_what_takes_the_new_id(api):
    document = api.get(reverse("schema") + "?format=json").json()
    links = document["paths"]["/api/v1/claims/"]["post"]["responses"]["201"]["links"]
    assert links["retrieve"]["parameters"] == {"path.id": "$response.body#/id"}
    assert links["partial_update"]["parameters"]["header.If-Match"] == "$response.header.ETag"
    for path in ["/api/v1/citations/", "/api/v1/sources/", "/api/v1/authors/"]:
        assert "destroy" in document["paths"][path]["post"]["responses"]["201"]["links"]


@schema.parametrize()
@FUZZ
def test_api_honours_its_schema_for_readers(case, db):
    case.call_and_validate(headers=IDENTITY)


@schema.parametrize()
@FUZZ
def test_api_honours_its_schema_for_curators_and_staff(case, writer):
    case.call_and_validate(headers={**writer, **IDENTITY})


def test_api_honours_its_schema_along_its_links(writer):
    class Workflow(schema.as_state_machine()):
        def setup(self):
            # Each scenario starts from the same data, so that Hypothesis can replay it.
            self.savepoint = transaction.savepoint()
            cache.clear()

        def teardown(self):
            transaction.savepoint_rollback(self.savepoint)

        def get_call_kwargs(self, case):
            return {"headers": {**writer, **IDENTITY}}

        def validate_response(self, response, case, additional_checks=None, **kwargs):
            # The credentials are ours, not generated: the auth checks must know them.
            case.validate_response(
                response,
                additional_checks=additional_checks,
                headers=writer,
                transport_kwargs=kwargs,
            )

    Workflow.run(settings=STATEFUL)


LISTS = ["claim-list", "citation-list", "source-list", "passage-list", "author-list"]


@pytest.mark.parametrize("name", LISTS)
def test_list_endpoints_run_the_same_queries_for_one_item_and_a_hundred(api, corpus, name):
    with CaptureQueriesContext(connection) as one:
        assert api.get(reverse(name), {"page_size": 1}).status_code == 200
    with CaptureQueriesContext(connection) as hundred:
        response = api.get(reverse(name), {"page_size": 100})
    assert len(response.json()["results"]) > 1
    assert len(one) == len(hundred)
