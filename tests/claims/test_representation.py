"""Claims and their citations are represented directly, value for value what the fields give.

ClaimSerializer and the summaries it embeds build their dicts without walking their
declared fields (a page of claims was mostly that walk); the declared fields stay what
the schema documents. These tests hold the two together on every claim of the seed
corpus and on the edge cases it lacks.
"""

from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from rest_framework import serializers

from claims.models import Claim, Stance
from claims.rows import CLAIM_FIELDS, shown_claims
from claims.serializers import (
    CitationSerializer,
    ClaimRelationRoleSerializer,
    ClaimSerializer,
    PeriodSerializer,
    VerdictSerializer,
    claim_relations,
    moment,
)
from claims.services import citation_add, claim_create, claim_retract, relation_add
from sources.models import Source
from sources.serializers import SourceSerializer

pytestmark = pytest.mark.django_db

SUPPORTING = "Within the G7, Japan was the only country not to expel Russian diplomats"


def field_by_field(serializer: serializers.Serializer, instance) -> dict:
    """What DRF's Serializer.to_representation gives, nested serializers walked the same way."""
    data = {}
    for field in serializer._readable_fields:
        attribute = field.get_attribute(instance)
        if attribute is None:
            data[field.field_name] = None
        elif isinstance(field, serializers.ListSerializer):
            # A claim's citations as prefetched, in the order it shows them.
            items = instance.shown_citations if field.field_name == "citations" else attribute.all()
            data[field.field_name] = [field_by_field(field.child, item) for item in items]
        elif isinstance(field, serializers.Serializer):
            data[field.field_name] = field_by_field(field, attribute)
        elif field.field_name == "period":
            has_period = instance.period_start or instance.period_end
            data["period"] = PeriodSerializer(instance).data if has_period else None
        elif field.field_name == "verdict":
            data["verdict"] = VerdictSerializer(instance).data
        else:
            data[field.field_name] = field.to_representation(attribute)
    return data


def shown(claims) -> list[Claim]:
    return list(
        Claim.objects.with_verdict().with_citations().with_relations().filter(pk__in=claims)
    )


def test_every_seed_claim_is_represented_as_its_fields_give_it():
    claims = shown(Claim.objects.all())
    assert len(claims) > 20
    assert any(claim.period_start for claim in claims)
    for claim in claims:
        assert ClaimSerializer(claim).data == field_by_field(ClaimSerializer(), claim)


def test_edge_cases_are_represented_as_the_fields_give_them(source):
    half_period = claim_create(text="Japan kept its diplomats home.", period_end=date(2018, 4, 30))
    anonymous = claim_create(text="Japan was alone in the G7.")
    citation_add(claim=anonymous, source=source, quote=SUPPORTING, stance=Stance.SUPPORTS)
    citation_add(
        claim=half_period, source=source, quote=SUPPORTING, stance=Stance.REFUTES, author=None
    )
    claim_retract(claim=anonymous, reason="Written twice.")
    Source.objects.filter(pk=source.pk).update(published_on=None, url=None)

    for claim in shown([half_period.pk, anonymous.pk]):
        data = ClaimSerializer(claim).data
        assert data == field_by_field(ClaimSerializer(), claim)
        for citation in claim.shown_citations:
            assert CitationSerializer(citation).data == field_by_field(
                CitationSerializer(), citation
            )
    data = {claim.pk: ClaimSerializer(claim).data for claim in shown([half_period.pk])}
    assert data[half_period.pk]["period"] == {"start": None, "end": "2018-04-30"}
    assert data[half_period.pk]["citations"][0]["author"] is None


def test_a_claim_shows_no_source_text_but_its_summary(corpus):
    claim = shown(Claim.objects.filter(citations__isnull=False)[:1])[0]
    citation = claim.shown_citations[0]
    # The full text is left in the database: reading it would be one more query.
    assert "text" in citation.passage.source.get_deferred_fields()
    assert set(ClaimSerializer(claim).data["citations"][0]["source"]) == {
        "id",
        "slug",
        "title",
        "outlet",
        "published_on",
        "published_precision",
        "url",
    }


def test_sources_and_their_authors_are_represented_as_the_fields_give_them(corpus):
    for source in Source.objects.prefetch_related("authors"):
        assert SourceSerializer(source).data == field_by_field(SourceSerializer(), source)


def test_relations_are_represented_as_the_fields_give_them(corpus):
    skripal, *others = Claim.objects.order_by("pk")[:4]
    relation_add(subject=others[0], object=skripal, kind="duplicates")
    relation_add(subject=skripal, object=others[1], kind="refines")
    relation_add(subject=others[2], object=skripal, kind="contradicts")
    claim = Claim.objects.with_citations().with_relations().get(pk=skripal.pk)
    data = ClaimSerializer(claim).data["relations"]
    relations = sorted(claim_relations(claim), key=lambda relation: relation[0])
    instances = [{"id": pk, "role": role, "claim": other} for pk, role, other in relations]
    assert data == ClaimRelationRoleSerializer(instances, many=True).data
    assert [relation["role"] for relation in data] == ["duplicated_by", "refines", "contradicts"]


def test_claims_read_as_rows_are_shown_as_the_serializer_shows_their_instances(source):
    """The list, the detail and the export read rows; writes' responses show instances."""
    odd = claim_create(
        text="Japan\u2028kept its diplomats home \u2014 alone.", period_end=date(2018, 4, 30)
    )
    citation_add(claim=odd, source=source, quote=SUPPORTING, stance=Stance.REFUTES, author=None)
    citation_add(claim=odd, source=source, quote=SUPPORTING[:30], stance=Stance.SUPPORTS)
    first, second, third = Claim.objects.exclude(pk=odd.pk).order_by("pk")[:3]
    relation_add(subject=odd, object=first, kind="duplicates")
    relation_add(subject=second, object=odd, kind="refines")
    relation_add(subject=first, object=third, kind="contradicts")
    claim_retract(claim=third, reason="Checked again.")
    # Newest first, as a page reads them: the rows' order is kept, whatever their ids.
    claims = Claim.objects.order_by("-created_at", "-id")
    by_pk = {claim.pk: ClaimSerializer(claim).data for claim in shown(claims)}
    rows = list(claims.values(*CLAIM_FIELDS))
    assert len(rows) > 20
    assert list(shown_claims(rows)) == [by_pk[row["pk"]] for row in rows]
    scattered = rows[::7]
    assert list(shown_claims(scattered)) == [by_pk[row["pk"]] for row in scattered]
    assert list(shown_claims([])) == []


@pytest.mark.parametrize(
    "value",
    [
        datetime(2018, 3, 26, 14, 5, 9, 123456, tzinfo=UTC),
        datetime(2018, 3, 26, 14, 5, 9, tzinfo=UTC),
        datetime(2018, 3, 26, 23, 30, 0, 1, tzinfo=timezone(timedelta(hours=-2))),
        datetime(1, 1, 1, 0, 0, tzinfo=UTC),
        datetime(2018, 3, 26, 14, 5, 9, 500),
        None,
    ],
)
def test_date_times_are_written_as_the_date_time_field_writes_them(value):
    assert moment(value) == serializers.DateTimeField().to_representation(value)
