"""The OpenAPI schema as client generators read it: tags, summaries, required fields, enums."""

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db

TAGS = {"claims", "citations", "sources", "passages", "authors", "lookup", "changes", "export"}
ALWAYS_ABSENT_UNLESS_RELEVANT = {"Error": {"errors", "current", "existing"}}


@pytest.fixture
def schema(api) -> dict:
    return api.get(reverse("schema") + "?format=json").json()


def operations(schema: dict):
    for path, methods in schema["paths"].items():
        for method, operation in methods.items():
            yield method, path, operation


def test_every_operation_has_one_resource_tag_a_summary_and_a_description(schema):
    for method, path, operation in operations(schema):
        (tag,) = operation["tags"]
        assert tag in TAGS, (method, path, tag)
        assert operation["summary"].strip(), (method, path)
        assert operation["description"].strip(), (method, path)


def test_operations_are_tagged_by_the_resource_their_path_names(schema):
    tags = {(method, path): operation["tags"] for method, path, operation in operations(schema)}
    assert tags["get", "/api/v1/claims/{id}/history/"] == ["claims"]
    assert tags["post", "/api/v1/claims/lookup/"] == ["lookup"]
    assert tags["post", "/api/v1/sources/{id}/anchor/"] == ["sources"]
    assert tags["get", "/api/v1/changes/"] == ["changes"]


def test_operation_ids_are_unique_and_name_the_resource_not_the_version(schema):
    ids = [operation["operationId"] for _, _, operation in operations(schema)]
    assert len(ids) == len(set(ids))
    assert "claims_list" in ids and "claims_retract" in ids
    assert not [i for i in ids if i.startswith("v1")]


def test_response_components_require_every_property_the_api_always_returns(schema):
    for name, component in schema["components"]["schemas"].items():
        if name.endswith("Request") or "properties" not in component:
            continue
        optional = set(component["properties"]) - set(component.get("required", []))
        assert optional == ALWAYS_ABSENT_UNLESS_RELEVANT.get(name, set()), name


@pytest.mark.parametrize("component", ["Claim", "Source", "Author", "Citation", "HistoryEntry"])
def test_a_field_with_a_default_is_required_in_responses_but_optional_in_requests(
    schema, component
):
    components = schema["components"]["schemas"]
    assert set(components[component]["properties"]) == set(components[component]["required"])


def test_each_enum_is_one_named_component(schema):
    enums = {
        name: tuple(component["enum"])
        for name, component in schema["components"]["schemas"].items()
        if "enum" in component
    }
    assert len(set(enums.values())) == len(enums)
    generic = {"TypeEnum", "ObjectEnum", "ChangeEnum", "KindEnum", "StatusEnum"}
    assert not generic & set(enums)


def test_every_list_documents_its_cursor_and_page_size_bounds(schema):
    resources = ["claims", "citations", "sources", "passages", "authors"]
    for resource in resources:
        operation = schema["paths"][f"/api/v1/{resource}/"]["get"]
        parameters = {p["name"]: p for p in operation["parameters"]}
        assert parameters["cursor"]["schema"]["minLength"] == 1
        assert parameters["cursor"]["description"]
        page_size = parameters["page_size"]["schema"]
        assert (page_size["minimum"], page_size["maximum"]) == (1, 100)


def test_free_text_filters_declare_that_they_cannot_be_empty(schema):
    for _method, path, operation in operations(schema):
        for parameter in operation.get("parameters", []):
            declared = parameter["schema"]
            if parameter["in"] == "query" and declared.get("type") == "string":
                assert declared.get("minLength") == 1 or "enum" in declared, (path, parameter)


TIMESTAMPS = {"created_at", "updated_at", "reviewed_at"}


def without_timestamps(value):
    if isinstance(value, dict):
        return {k: without_timestamps(v) for k, v in value.items() if k not in TIMESTAMPS}
    if isinstance(value, list):
        return [without_timestamps(item) for item in value]
    return value


def response_example(schema: dict, path: str, method: str = "get") -> dict:
    content = schema["paths"][path][method]["responses"]["200"]["content"]["application/json"]
    return next(iter(content["examples"].values()))["value"]


@pytest.mark.parametrize(
    ("path", "read"),
    [
        ("/api/v1/claims/{id}/", "/api/v1/claims/{id}/"),
        ("/api/v1/citations/{id}/", "/api/v1/citations/{id}/"),
        ("/api/v1/passages/{id}/", "/api/v1/passages/{id}/"),
        ("/api/v1/authors/{id}/", "/api/v1/authors/{id}/"),
    ],
)
def test_a_response_example_is_what_the_api_answers_for_its_seed_record(
    api, corpus, schema, path, read
):
    example = response_example(schema, path)
    response = api.get(read.format(id=example["id"]))
    assert response.status_code == 200
    assert without_timestamps(response.json()) == without_timestamps(example)


def test_the_source_list_example_is_a_seed_source_as_listed(api, corpus, schema):
    example = response_example(schema, "/api/v1/sources/")["results"][0]
    listed = api.get("/api/v1/sources/", {"page_size": 100}).json()["results"]
    (source,) = [s for s in listed if s["id"] == example["id"]]
    assert without_timestamps(source) == without_timestamps(example)


def test_the_lookup_example_finds_the_claim_and_citation_it_shows(api, corpus, schema):
    example = response_example(schema, "/api/v1/claims/lookup/")
    found = api.get("/api/v1/claims/lookup/", {"q": example["query"]}).json()["results"]
    best, shown = found[0], example["results"][0]
    assert best["claim"]["id"] == shown["claim"]["id"]
    assert shown["highlights"]["passages"][0]["citation"] in {
        citation["id"] for citation in best["claim"]["citations"]
    }
