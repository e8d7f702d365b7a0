import pytest
from django.utils.text import slugify

from claims.models import Attribution, Claim, Stance, Verdict, verdict_counts
from claims.services import citation_add, claim_create
from sources.services import author_save

pytestmark = pytest.mark.django_db

SUPPORTING = "Within the G7, Japan was the only country not to expel Russian diplomats"
REFUTING = "28 states joined the U.K. in expelling Russian diplomats"
NEUTRAL = "The first was the nerve agent attack on Russian former double agent Sergei Skripal"


def verdict_of(claim: Claim) -> Claim:
    return Claim.objects.with_verdict().get(pk=claim.pk)


def cite(claim, source, *stances_and_quotes):
    for stance, quote in stances_and_quotes:
        citation_add(claim=claim, source=source, quote=quote, stance=stance)


def test_claim_without_citations_is_unverified():
    claim = claim_create(text="An uncited claim.")
    assert verdict_of(claim).verdict == Verdict.UNVERIFIED


def test_claim_with_only_neutral_citations_is_unverified(source):
    claim = claim_create(text="Skripal was attacked.")
    cite(claim, source, (Stance.NEUTRAL, NEUTRAL))
    annotated = verdict_of(claim)
    assert annotated.verdict == Verdict.UNVERIFIED
    assert annotated.neutral_count == 1


def test_claim_with_only_supporting_citations_is_supported(source):
    claim = claim_create(text="Japan did not expel Russian diplomats.")
    cite(claim, source, (Stance.SUPPORTS, SUPPORTING), (Stance.NEUTRAL, NEUTRAL))
    annotated = verdict_of(claim)
    assert annotated.verdict == Verdict.SUPPORTED
    assert (annotated.supports_count, annotated.refutes_count, annotated.neutral_count) == (1, 0, 1)


def test_claim_with_only_refuting_citations_is_refuted(source):
    claim = claim_create(text="No state expelled Russian diplomats.")
    cite(claim, source, (Stance.REFUTES, REFUTING))
    assert verdict_of(claim).verdict == Verdict.REFUTED


def test_claim_with_both_sides_is_contested_and_counts_sources_and_authors(source):
    speaker = author_save(slug="a-speaker", name="A Speaker")
    claim = claim_create(text="Every G7 state expelled Russian diplomats.")
    cite(claim, source, (Stance.SUPPORTS, REFUTING))
    citation_add(
        claim=claim,
        source=source,
        quote=SUPPORTING,
        stance=Stance.REFUTES,
        author=speaker,
        attribution=Attribution.QUOTE,
    )
    annotated = verdict_of(claim)
    assert annotated.verdict == Verdict.CONTESTED
    assert annotated.supporting_sources == annotated.refuting_sources == 1
    assert annotated.supporting_authors == 1
    assert annotated.refuting_authors == 1


def test_verdicts_of_a_list_come_in_one_query(source, django_assert_num_queries):
    for number in range(5):
        claim = claim_create(text=f"Claim number {number}.")
        cite(claim, source, (Stance.SUPPORTS, SUPPORTING))
    with django_assert_num_queries(1):
        verdicts = list(Claim.objects.with_verdict().values_list("verdict", flat=True))
    assert len(verdicts) == Claim.objects.count()


SIDES = {
    "Both sides were cited.": [(Stance.SUPPORTS, SUPPORTING), (Stance.REFUTES, REFUTING)],
    "Only support was cited.": [(Stance.SUPPORTS, SUPPORTING), (Stance.NEUTRAL, NEUTRAL)],
    "Only a refutation was cited.": [(Stance.REFUTES, REFUTING)],
    "Only a neutral passage was cited.": [(Stance.NEUTRAL, NEUTRAL)],
    "Nothing was cited.": [],
}


@pytest.mark.parametrize("verdict", Verdict.values)
def test_claims_of_a_verdict_are_those_it_is_derived_for(source, verdict):
    for text, citations in SIDES.items():
        cite(claim_create(text=text), source, *citations)
    claims = Claim.objects.filter(text__in=SIDES)
    found = set(claims.with_verdict_of(verdict).values_list("text", flat=True))
    assert found == set(
        claims.with_verdict().filter(verdict=verdict).values_list("text", flat=True)
    )
    assert found  # every verdict is among these claims


def test_verdicts_counted_in_memory_are_those_the_database_derives(source, corpus):
    for text, citations in SIDES.items():
        cite(claim_create(text=text), source, *citations)
    unknown = claim_create(text="An unknown speaker refuted it.")
    citation_add(claim=unknown, source=source, quote=REFUTING, stance=Stance.REFUTES, author=None)
    cite(unknown, source, (Stance.SUPPORTS, SUPPORTING))
    claims = list(Claim.objects.with_verdict().with_citations())
    assert {claim.verdict for claim in claims} == set(Verdict.values)
    for claim in claims:
        assert verdict_counts(claim.shown_citations) == (
            claim.verdict,
            claim.supports_count,
            claim.refutes_count,
            claim.neutral_count,
            claim.supporting_sources,
            claim.refuting_sources,
            claim.supporting_authors,
            claim.refuting_authors,
        )


def test_citation_author_defaults_to_the_sources_first_author(source, author):
    claim = claim_create(text="Japan did not expel Russian diplomats.")
    citation = citation_add(claim=claim, source=source, quote=SUPPORTING, stance=Stance.SUPPORTS)
    assert citation.author == author


def test_citation_author_can_be_unknown(source):
    claim = claim_create(text="Japan did not expel Russian diplomats.")
    citation = citation_add(
        claim=claim, source=source, quote=SUPPORTING, stance=Stance.SUPPORTS, author=None
    )
    assert citation.author is None


def test_retracted_claims_leave_default_lists_but_stay_readable():
    from claims.services import claim_retract

    claim = claim_create(text="A claim later retracted.")
    claim_retract(claim=claim, reason="Misread the source.")
    assert not Claim.objects.listed().filter(pk=claim.pk).exists()
    assert Claim.objects.get(pk=claim.pk).retraction_reason == "Misread the source."


def test_retracting_needs_a_reason():
    from django.core.exceptions import ValidationError

    from claims.services import claim_retract

    claim = claim_create(text="A claim.")
    with pytest.raises(ValidationError):
        claim_retract(claim=claim, reason="  ")


def test_claim_slugs_are_made_unique():
    opening = "Japan and Russia met in Vladivostok to talk about the islands, trade and fishing"
    first = claim_create(text=f"{opening} in 2016.")
    second = claim_create(text=f"{opening} in 2018.")
    assert first.slug == slugify(opening)[:80].rstrip("-")
    assert second.slug == f"{first.slug}-2"
