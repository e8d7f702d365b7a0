"""Hostile input: oversized bodies, deep JSON, long parameters, missing slashes — 4xx JSON."""

import io
import json

import pytest
from django.conf import settings
from hypothesis import given
from hypothesis import strategies as st
from rest_framework.throttling import SimpleRateThrottle

from api.errors import ApiErrorMiddleware
from api.parsers import MAX_JSON_DEPTH, JSONParser, RequestTooLarge, json_depth
from claims.models import Citation, Claim
from sources.models import Author, Passage, Source
from sources.serializers import MAX_SOURCE_TEXT_LENGTH
from tests.test_api_errors import assert_error

pytestmark = pytest.mark.django_db


def ids() -> dict[str, str]:
    return {
        "claim": str(Claim.objects.published().first().uuid),
        "citation": str(Citation.objects.first().pk),
        "source": str(Source.objects.first().pk),
        "passage": str(Passage.objects.first().pk),
        "author": str(Author.objects.first().pk),
    }


WRITES = [
    ("post", "/api/v1/claims/"),
    ("patch", "/api/v1/claims/{claim}/"),
    ("post", "/api/v1/claims/{claim}/retract/"),
    ("post", "/api/v1/claims/lookup/"),
    ("post", "/api/v1/citations/"),
    ("patch", "/api/v1/citations/{citation}/"),
    ("post", "/api/v1/sources/"),
    ("patch", "/api/v1/sources/{source}/"),
    ("post", "/api/v1/sources/{source}/anchor/"),
    ("post", "/api/v1/passages/"),
    ("post", "/api/v1/authors/"),
    ("patch", "/api/v1/authors/{author}/"),
]


def json_of_size(size: int) -> bytes:
    """A JSON object of exactly `size` bytes."""
    envelope = b'{"text": ""}'
    return envelope[:-2] + b"x" * (size - len(envelope)) + envelope[-2:]


@pytest.mark.parametrize(("method", "path"), WRITES)
def test_a_body_just_over_the_limit_is_a_413_on_every_write_endpoint(
    curator_api, corpus, method, path
):
    body = json_of_size(settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1)
    response = getattr(curator_api, method)(
        path.format(**ids()), data=body, content_type="application/json"
    )
    assert assert_error(response, 413)["type"] == "request_too_large"


def test_a_body_at_the_limit_is_read(curator_api):
    body = json_of_size(settings.DATA_UPLOAD_MAX_MEMORY_SIZE)
    response = curator_api.post(
        "/api/v1/claims/lookup/", data=body, content_type="application/json"
    )
    assert "text" in assert_error(response, 400)["errors"]  # too long a statement, but read


def test_a_body_over_the_limit_is_refused_even_without_a_content_length():
    parser = JSONParser()
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    with pytest.raises(RequestTooLarge):
        parser.parse(io.BytesIO(json_of_size(limit + 1)), parser_context={})
    assert parser.parse(io.BytesIO(json_of_size(limit)), parser_context={})["text"]


@pytest.mark.parametrize(
    ("character", "ensure_ascii"),
    [("\U0001d11e", False), ("ж", True)],
    ids=["four-byte-utf-8", "escaped-cyrillic"],
)
def test_a_source_text_at_its_documented_maximum_is_accepted(curator_api, character, ensure_ascii):
    text = character * MAX_SOURCE_TEXT_LENGTH
    body = json.dumps({"slug": "longest", "text": text}, ensure_ascii=ensure_ascii).encode()
    assert len(body) <= settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    response = curator_api.post("/api/v1/sources/", data=body, content_type="application/json")
    assert response.status_code == 201, response.content[:300]
    assert Source.objects.get(slug="longest").text == text


def test_a_source_text_over_its_maximum_is_a_400_naming_the_field(curator_api):
    payload = {"slug": "too-long", "text": "x" * (MAX_SOURCE_TEXT_LENGTH + 1)}
    response = curator_api.post("/api/v1/sources/", payload, format="json")
    assert "text" in assert_error(response, 400)["errors"]


def nested(depth: int) -> str:
    return '{"text": ' + "[" * (depth - 1) + "]" * (depth - 1) + "}"


@pytest.mark.parametrize("depth", [MAX_JSON_DEPTH + 1, 330, 100_000])
def test_deeply_nested_json_is_a_400_on_the_anonymous_lookup(api, depth):
    response = api.post(
        "/api/v1/claims/lookup/", data=nested(depth), content_type="application/json"
    )
    assert assert_error(response, 400)["type"] == "parse_error"


@pytest.mark.parametrize(("method", "path"), WRITES)
def test_deeply_nested_json_is_a_400_on_every_write_endpoint(curator_api, corpus, method, path):
    response = getattr(curator_api, method)(
        path.format(**ids()), data=nested(330), content_type="application/json"
    )
    assert assert_error(response, 400)["type"] == "parse_error"


def test_json_nested_up_to_the_limit_is_parsed(api):
    response = api.post(
        "/api/v1/claims/lookup/", data=nested(MAX_JSON_DEPTH), content_type="application/json"
    )
    assert assert_error(response, 400)["errors"]["text"]  # a list is no statement: parsed


def test_brackets_inside_strings_do_not_count_as_nesting(api):
    text = 'Brackets [[[{{{ and a quote \\" [[[ in a statement about Skripal'
    body = '{"text": "' + text * 10 + '"}'
    response = api.post("/api/v1/claims/lookup/", data=body, content_type="application/json")
    assert response.status_code == 200


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(alphabet='[]{}"\\ab,:'),
    lambda children: st.lists(children) | st.dictionaries(st.text(alphabet='[]{}"\\a'), children),
    max_leaves=30,
)


def depth_of(value) -> int:
    if isinstance(value, list):
        return 1 + max(map(depth_of, value), default=0)
    if isinstance(value, dict):
        return 1 + max(map(depth_of, value.values()), default=0)
    return 0


@given(json_values)
def test_json_depth_is_the_nesting_of_the_value(value):
    assert json_depth(json.dumps(value)) == depth_of(value)


TEXT_PARAMETERS = [
    ("/api/v1/claims/", "q"),
    ("/api/v1/claims/", "author"),
    ("/api/v1/claims/", "source"),
    ("/api/v1/claims/", "topic"),
    ("/api/v1/claims/", "language"),
    ("/api/v1/citations/", "author"),
    ("/api/v1/citations/", "source"),
    ("/api/v1/sources/", "q"),
    ("/api/v1/sources/", "author"),
    ("/api/v1/sources/", "language"),
    ("/api/v1/authors/", "q"),
    ("/api/v1/passages/", "source"),
    ("/api/v1/claims/lookup/", "q"),
] + [
    (path, parameter)
    for path in ["/api/v1/claims/", "/api/v1/citations/", "/api/v1/sources/", "/api/v1/authors/"]
    + ["/api/v1/passages/"]
    for parameter in ["cursor", "ordering", "page_size"]
]


@pytest.mark.parametrize(("path", "parameter"), TEXT_PARAMETERS)
def test_a_50000_character_parameter_is_a_400_naming_it_before_any_query(
    api, django_assert_num_queries, path, parameter
):
    with django_assert_num_queries(0):
        response = api.get(path, {parameter: "x" * 50_000})
    assert parameter in assert_error(response, 400)["errors"]


def test_every_text_parameter_documents_its_maximum(api):
    schema = api.get("/api/schema/?format=json").json()
    for path, parameter in TEXT_PARAMETERS:
        if parameter == "page_size":
            continue
        operation = schema["paths"][path]["get"]
        (documented,) = [p for p in operation["parameters"] if p["name"] == parameter]
        assert documented["schema"]["maxLength"] > 0, (path, parameter)


@pytest.mark.parametrize(
    "path", ["/api/v1/claims/", "/api/v1/claims/lookup/", "/api/v1/authors/", "/api/v1/nothing/"]
)
def test_a_100_kb_query_string_is_a_json_414(api, path):
    response = api.get(path, {"q": "x" * 100_000})
    assert assert_error(response, 414)["type"] == "uri_too_long"


def test_a_query_string_at_the_limit_reaches_the_view(api):
    value = "x" * (settings.CLAIMBASE_MAX_QUERY_STRING - len("unknown="))
    assert api.get("/api/v1/authors/", {"unknown": value}).status_code == 200


def test_too_many_query_parameters_are_a_json_400(api):
    response = api.get("/api/v1/claims/?" + "&".join(f"p{n}=1" for n in range(1_100)))
    assert assert_error(response, 400)["type"] == "bad_request"


def test_the_query_string_limit_applies_to_api_paths_only(rf):
    request = rf.get("/admin/", {"q": "x" * 100_000})
    middleware = ApiErrorMiddleware(lambda request: "passed through")
    assert middleware(request) == "passed through"


PATHS = [
    "/api/v1/claims/",
    "/api/v1/claims/lookup/",
    "/api/v1/claims/{claim}/",
    "/api/v1/claims/{claim}/history/",
    "/api/v1/claims/{claim}/retract/",
    "/api/v1/citations/",
    "/api/v1/citations/{citation}/",
    "/api/v1/sources/",
    "/api/v1/sources/{source}/",
    "/api/v1/sources/{source}/anchor/",
    "/api/v1/passages/",
    "/api/v1/passages/{passage}/",
    "/api/v1/authors/",
    "/api/v1/authors/{author}/",
    "/api/v1/",
]


@pytest.mark.parametrize("method", ["get", "post"])
@pytest.mark.parametrize("path", PATHS)
def test_every_endpoint_answers_the_same_without_its_trailing_slash(
    curator_api, corpus, path, method
):
    url = path.format(**ids())
    payload = {"text": "Japan did not expel Russian diplomats."}
    with_slash = getattr(curator_api, method)(url, payload, format="json")
    without = getattr(curator_api, method)(url.rstrip("/"), payload, format="json")
    assert without.status_code == with_slash.status_code
    assert without.status_code < 500 and without.status_code not in (301, 302, 308)
    assert without["Content-Type"].startswith("application/json")


def test_a_post_without_the_trailing_slash_creates_under_debug(curator_api, corpus, settings):
    settings.DEBUG = True
    payload = {"name": "Sergei Skripal", "slug": "sergei-skripal-test"}
    response = curator_api.post("/api/v1/authors", payload, format="json")
    assert response.status_code == 201
    assert Author.objects.filter(slug="sergei-skripal-test").exists()


def test_an_unknown_path_without_a_slash_is_a_json_404(api):
    assert_error(api.post("/api/v1/nothing", {}, format="json"), 404)


@pytest.mark.parametrize(
    "value", ["9999-12-31T23:59:59-23:00", "0001-01-01T00:00:00+23:00", "0001-01-01T00:00:00Z"]
)
def test_a_date_time_at_the_edge_of_the_calendar_is_never_a_500(api, value):
    response = api.get("/api/v1/claims/", {"updated_since": value})
    if response.status_code != 200:
        assert "updated_since" in assert_error(response, 400)["errors"]


HOSTILE_VALUES = [
    "",
    "-1",
    "99999999999999999999999999",
    "1e309",
    "9999-12-31T23:59:59-23:00",
    "%_\\*[]' OR 1=1 --",
    "\U0001f4a5\u202e\ufeff" * 20,
    "a\x00b",
]


def query_parameters(schema: dict) -> list[tuple[str, str]]:
    return [
        (path, parameter["name"])
        for path, operations in schema["paths"].items()
        if "get" in operations and "{" not in path
        for parameter in operations["get"].get("parameters", [])
        if parameter["in"] == "query"
    ]


def test_hostile_values_in_every_documented_query_parameter_are_never_a_500(
    api, corpus, monkeypatch
):
    monkeypatch.setitem(SimpleRateThrottle.THROTTLE_RATES, "anon", "100000/minute")
    schema = api.get("/api/schema/?format=json").json()
    parameters = query_parameters(schema)
    assert len(parameters) > 30
    for path, parameter in parameters:
        for value in HOSTILE_VALUES:
            response = api.get(path, {parameter: value})
            assert response.status_code in (200, 400, 404), (path, parameter, value)
            streamed = response.status_code == 200 and path.endswith(".ndjson")
            expected = "application/x-ndjson" if streamed else "application/json"
            assert response["Content-Type"].startswith(expected), (path, parameter, value)
