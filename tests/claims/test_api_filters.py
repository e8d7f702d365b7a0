import pytest
from django.urls import reverse
from django.utils import timezone

from claims.models import Claim, Verdict

pytestmark = pytest.mark.django_db


def ids(api, **params) -> set[str]:
    found, url, params = [], reverse("claim-list"), {"page_size": 100, **params}
    while url:
        response = api.get(url, params)
        assert response.status_code == 200, response.json()
        found += [claim["id"] for claim in response.json()["results"]]
        url, params = response.json()["next"], {}
    return set(found)


def uuids(claims) -> set[str]:
    return {str(claim.uuid) for claim in claims}


def test_filter_by_stance_returns_claims_with_such_a_citation(api, corpus):
    expected = Claim.objects.listed().filter(citations__stance="refutes").distinct()
    assert ids(api, stance="refutes") == uuids(expected)
    assert 10 <= len(expected) < Claim.objects.count()


def test_filter_by_author_accepts_slug_or_id(api, corpus):
    brown = Claim.objects.filter(citations__author__slug="james-d-j-brown").distinct()
    by_slug = ids(api, author="james-d-j-brown")
    assert by_slug == uuids(brown)
    author_id = brown.first().citations.filter(author__slug="james-d-j-brown").first().author_id
    assert ids(api, author=str(author_id)) == by_slug


def test_filters_combine(api, corpus):
    both = ids(api, stance="refutes", author="vladimir-putin")
    assert both
    assert both == ids(api, stance="refutes") & ids(api, author="vladimir-putin")


@pytest.mark.parametrize("verdict", Verdict.values)
def test_filter_by_verdict_matches_the_derived_verdict(api, corpus, verdict):
    expected = Claim.objects.listed().with_verdict().filter(verdict=verdict)
    assert ids(api, verdict=verdict) == uuids(expected)


def test_filter_by_source_topic_language_and_text(api, corpus):
    assert ids(api, source="new-cold-war-forces-japan-to-choose-sides") == uuids(
        Claim.objects.filter(
            citations__passage__source__slug="new-cold-war-forces-japan-to-choose-sides"
        )
    )
    assert ids(api, topic="skripal") == uuids(Claim.objects.filter(topics__slug="skripal"))
    assert ids(api, language="fr") == set()
    skripal = ids(api, q="skripal")
    assert (
        str(Claim.objects.get(slug="japan-did-not-expel-russian-diplomats-after-skripal").uuid)
        in skripal
    )


def test_filter_by_update_time_and_period(api, corpus):
    assert (
        ids(api, updated_since=(timezone.now() + timezone.timedelta(days=1)).isoformat()) == set()
    )
    in_2018 = ids(api, about_after="2018-01-01", about_before="2018-12-31")
    assert in_2018 == uuids(
        Claim.objects.filter(period_end__gte="2018-01-01", period_start__lte="2018-12-31")
    )
    assert in_2018


@pytest.mark.parametrize(
    "params",
    [
        {"stance": "agrees"},
        {"verdict": "maybe"},
        {"status": "gone"},
        {"updated_since": "yesterday"},
        {"about_after": "2018-13-45"},
    ],
)
def test_invalid_filter_values_are_400s_naming_the_parameter(api, params):
    response = api.get(reverse("claim-list"), params)
    assert response.status_code == 400
    assert set(params) <= set(response.json()["errors"])


def test_ordering_by_slug_pages_in_order(api, corpus):
    response = api.get(reverse("claim-list"), {"ordering": "slug", "page_size": 5}).json()
    slugs = [claim["slug"] for claim in response["results"]]
    assert slugs == sorted(slugs)
    following = api.get(response["next"]).json()["results"]
    assert following[0]["slug"] > slugs[-1]


def test_page_size_of_100_is_the_largest_page(api, corpus):
    assert len(api.get(reverse("claim-list"), {"page_size": 100}).json()["results"]) == 100
    response = api.get(reverse("claim-list"), {"page_size": 101})
    assert response.status_code == 400
    assert "page_size" in response.json()["errors"]


@pytest.mark.parametrize(
    ("name", "parameter"),
    [
        ("claim-list", "author"),
        ("claim-list", "status"),
        ("citation-list", "claim"),
        ("source-list", "published_after"),
        ("passage-list", "source"),
        ("author-list", "ordering"),
        ("claim-list", "cursor"),
    ],
)
def test_an_empty_filter_value_is_a_400_naming_it_not_an_ignored_filter(api, name, parameter):
    response = api.get(reverse(name), {parameter: ""})
    assert response.status_code == 400
    assert response.json()["errors"] == {parameter: ["Give a value, or leave the parameter out."]}


def test_a_bad_cursor_is_a_json_404(api):
    response = api.get(reverse("claim-list"), {"cursor": "not-a-cursor"})
    assert response.status_code == 404
    assert response.json()["type"] == "not_found"
