"""Writes take the JSON types the schema states: a number is not a string, nor "5" a number."""

import pytest
from django.urls import reverse

from claims.models import Claim
from sources.models import Author

pytestmark = pytest.mark.django_db

SKRIPAL = "japan-did-not-expel-russian-diplomats-after-skripal"


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"name": 0}, "name"),
        ({"name": "Sergei Lavrov", "description": 12}, "description"),
        ({"name": "Sergei Lavrov", "kind": 1}, "kind"),
        ({"name": "Sergei Lavrov", "slug": False}, "slug"),
    ],
)
def test_an_author_field_given_another_json_type_is_a_400_naming_it(curator_api, payload, field):
    before = Author.objects.count()
    response = curator_api.post(reverse("author-list"), payload, format="json")
    assert response.status_code == 400
    assert field in response.json()["errors"]
    assert Author.objects.count() == before


@pytest.mark.parametrize(
    ("citation", "field"),
    [
        ({"source": "5", "quote": "Japan", "stance": "supports"}, "citations.0.source"),
        ({"source": True, "quote": "Japan", "stance": "supports"}, "citations.0.source"),
        ({"passage": 268.0, "stance": "supports"}, "citations.0.passage"),
        ({"passage": 268, "stance": "supports", "note": 7}, "citations.0.note"),
    ],
)
def test_a_nested_citation_field_of_another_json_type_is_named_by_its_path(
    curator_api, corpus, citation, field
):
    payload = {"text": "Tokyo kept its Russian diplomats.", "citations": [citation]}
    response = curator_api.post(reverse("claim-list"), payload, format="json")
    assert response.status_code == 400
    assert field in response.json()["errors"]


def test_a_list_of_topics_takes_strings_only(curator_api, corpus):
    claim = Claim.objects.get(slug=SKRIPAL)
    url = reverse("claim-detail", kwargs={"id": claim.uuid})
    response = curator_api.patch(url, {"topics": ["g7", 7]}, format="json")
    assert response.status_code == 400
    assert response.json()["errors"] == {"topics": ["Each item: must be a string."]}
    response = curator_api.patch(url, {"topics": {"g7": 1}}, format="json")
    assert response.status_code == 400


def test_a_source_author_list_given_an_object_is_refused(curator_api, corpus):
    source = corpus["new-cold-war-forces-japan-to-choose-sides"]
    url = reverse("source-detail", args=[source.pk])
    response = curator_api.patch(url, {"authors": {}}, format="json")
    assert response.status_code == 400
    assert response.json()["errors"] == {"authors": ["Must be a list."]}


def test_null_stays_for_the_field_to_judge(curator_api, corpus):
    claim = Claim.objects.get(slug=SKRIPAL)
    citation = claim.citations.first()
    url = reverse("citation-detail", args=[citation.pk])
    response = curator_api.patch(url, {"author": None}, format="json")
    assert response.status_code == 200
    assert response.json()["author"] is None
