import hashlib

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import ProtectedError

from claims.models import Stance
from claims.services import citation_add, claim_create
from sources.models import Passage, Source
from sources.services import (
    AlreadyExists,
    passage_at,
    passage_for_quote,
    source_create,
    source_update,
)

pytestmark = pytest.mark.django_db

QUOTE = "Within the G7, Japan was the only country not to expel Russian diplomats"


def refused_by_database(write) -> bool:
    try:
        with transaction.atomic():
            write()
    except IntegrityError:
        return True
    return False


def test_source_stores_the_sha256_of_its_text(source):
    assert source.sha256 == hashlib.sha256(source.text.encode("utf-8")).hexdigest()


def test_passage_for_quote_stores_the_source_characters_at_its_offsets(source):
    passage = passage_for_quote(source=source, quote=QUOTE.upper())
    assert passage.exact == source.text[passage.start : passage.end]
    assert passage.exact.startswith("Within the G7")
    assert source.text[: passage.start].endswith(passage.prefix)
    assert source.text[passage.end :].startswith(passage.suffix)
    assert len(passage.prefix) == len(passage.suffix) == 32


def test_passage_for_quote_reuses_the_passage_of_the_same_span(source):
    first = passage_for_quote(source=source, quote=QUOTE)
    again = passage_for_quote(source=source, quote=QUOTE.replace(" ", "  "))
    assert first.pk == again.pk


def test_passage_for_quote_refuses_an_absent_quote_on_the_quote_field(source):
    with pytest.raises(ValidationError) as refused:
        passage_for_quote(source=source, quote="Japan expelled all Russian diplomats")
    assert "quote" in refused.value.message_dict
    assert refused.value.error_dict["quote"][0].code == "not_found"


def test_passage_with_wrong_exact_fails_model_validation(source):
    passage = Passage(source=source, start=0, end=8, exact="Featurex")
    with pytest.raises(ValidationError) as refused:
        passage.full_clean()
    assert "exact" in refused.value.message_dict


def test_passage_beyond_the_text_fails_model_validation(source):
    length = len(source.text)
    passage = Passage(source=source, start=length - 2, end=length + 5, exact="x" * 7)
    with pytest.raises(ValidationError):
        passage.full_clean()


def test_passage_with_wrong_exact_is_refused_by_the_database_on_create(source):
    assert refused_by_database(
        lambda: Passage.objects.create(source=source, start=0, end=8, exact="Featurex")
    )


def test_passage_with_wrong_exact_is_refused_by_the_database_on_bulk_create(source):
    assert refused_by_database(
        lambda: Passage.objects.bulk_create([Passage(source=source, start=0, end=3, exact="abc")])
    )


def test_passage_exact_cannot_be_changed_by_a_queryset_update(source):
    passage = passage_for_quote(source=source, quote=QUOTE)
    assert refused_by_database(
        lambda: Passage.objects.filter(pk=passage.pk).update(exact="x" * len(passage.exact))
    )


def test_passage_offsets_cannot_be_moved_away_from_their_text(source):
    passage = passage_for_quote(source=source, quote=QUOTE)
    assert refused_by_database(
        lambda: Passage.objects.filter(pk=passage.pk).update(start=passage.start + 1)
    )


def test_passage_exact_length_must_match_its_offsets(source):
    assert refused_by_database(
        lambda: Passage.objects.create(source=source, start=0, end=8, exact="Feat")
    )


def test_empty_passage_is_refused(source):
    assert refused_by_database(
        lambda: Passage.objects.create(source=source, start=5, end=5, exact="")
    )


def test_a_correct_passage_is_accepted_by_the_database(source):
    Passage.objects.create(source=source, start=0, end=8, exact=source.text[0:8])
    assert Passage.objects.filter(source=source, start=0, end=8).exists()


def test_source_text_without_passages_can_still_be_corrected(source):
    source_update(source=source, text=source.text + "\n")
    source.refresh_from_db()
    assert source.text.endswith("\n")
    assert source.sha256 == hashlib.sha256(source.text.encode()).hexdigest()


def test_source_text_with_passages_cannot_be_changed_through_the_service(source):
    passage_for_quote(source=source, quote=QUOTE)
    with pytest.raises(ValidationError) as refused:
        source_update(source=source, text=source.text.replace("Japan", "Korea"))
    assert "text" in refused.value.message_dict


def test_source_text_with_passages_cannot_be_changed_in_the_database(source):
    passage_for_quote(source=source, quote=QUOTE)
    assert refused_by_database(
        lambda: Source.objects.filter(pk=source.pk).update(text="A different document.")
    )


def test_source_metadata_can_change_while_passages_point_into_it(source):
    passage_for_quote(source=source, quote=QUOTE)
    source_update(source=source, outlet="The Diplomat (Tokyo)")
    source.refresh_from_db()
    assert source.outlet == "The Diplomat (Tokyo)"


def test_deleting_a_source_with_passages_is_refused(source):
    passage_for_quote(source=source, quote=QUOTE)
    with pytest.raises(ProtectedError):
        source.delete()


def test_deleting_a_cited_passage_is_refused(source):
    claim = claim_create(text="Japan did not expel Russian diplomats.")
    citation = citation_add(claim=claim, source=source, quote=QUOTE, stance=Stance.SUPPORTS)
    with pytest.raises(ProtectedError):
        citation.passage.delete()


def test_deleting_an_author_of_citations_or_bylines_is_refused(source, author):
    claim = claim_create(text="Japan did not expel Russian diplomats.")
    citation_add(claim=claim, source=source, quote=QUOTE, stance=Stance.SUPPORTS)
    with pytest.raises(ProtectedError):
        author.delete()


def test_source_url_is_unique_when_set_and_optional_otherwise(author):
    text = "A short document."
    source_create(slug="one", text=text, url="https://example.org/a")
    source_create(slug="two", text=text)
    source_create(slug="three", text=text, url="")
    with pytest.raises(AlreadyExists) as refused:
        source_create(slug="four", text=text, url="https://example.org/a")
    assert refused.value.record.slug == "one"


def test_source_date_needs_its_precision():
    with pytest.raises(ValidationError):
        source_create(slug="undated", text="Text.", published_on="2016-07-23")


def test_passage_at_refuses_offsets_outside_the_text(source):
    with pytest.raises(ValidationError):
        passage_at(source=source, start=len(source.text), end=len(source.text) + 3)
