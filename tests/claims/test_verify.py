"""`manage.py verify`: digests, passages and the lookup index against what they derive from."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from claims.models import Claim
from sources.models import Passage, Source

pytestmark = pytest.mark.django_db

DIPLOMAT = "new-cold-war-forces-japan-to-choose-sides"


def verify(*args: str) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("verify", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def failing_verify() -> str:
    out = StringIO()
    with pytest.raises(CommandError) as failure:
        call_command("verify", stdout=out, stderr=StringIO())
    assert failure.value.returncode == 1
    assert "mismatch" in str(failure.value)
    return out.getvalue()


def sql(statement: str, params=()) -> None:
    with connection.cursor() as cursor:
        cursor.execute(statement, params)


def test_verify_passes_the_seed_corpus_with_a_summary(corpus):
    out, _ = verify()
    sources, passages = Source.objects.count(), Passage.objects.count()
    published = Claim.objects.published().count()
    assert f"source texts (sha256): {sources:,} checked, 0 mismatches" in out
    assert f"passages (exact, prefix, suffix): {passages:,} checked, 0 mismatches" in out
    assert f"search index: {published:,} checked, 0 mismatches" in out
    assert "no mismatch" in out
    assert "MISMATCH" not in out


def test_verify_reports_progress_on_stderr(corpus):
    _, err = verify("--progress-every", "100")
    assert "passages (exact, prefix, suffix): 100 checked, 0 mismatches" in err


def test_a_corrupted_sha256_fails_verify_naming_the_source(corpus):
    source = corpus[DIPLOMAT]
    sql("UPDATE sources_source SET sha256 = %s WHERE id = %s", ["0" * 64, source.pk])
    out = failing_verify()
    assert f"MISMATCH source {source.pk} ({DIPLOMAT}): stored sha256 '{'0' * 64}'" in out
    assert "source texts (sha256): 5 checked, 1 mismatches" in out


def test_a_corrupted_passage_context_fails_verify_naming_the_passage(corpus):
    passage = Passage.objects.filter(source__slug=DIPLOMAT).first()
    # The passage triggers guard `exact`; its prefix is not theirs to guard.
    sql("UPDATE sources_passage SET prefix = %s WHERE id = %s", ["tampered", passage.pk])
    out = failing_verify()
    assert f"MISMATCH passage {passage.pk} " in out
    assert "prefix differ" in out


def test_a_stale_search_index_row_fails_verify_naming_the_claim(corpus):
    claim = Claim.objects.published().first()
    if connection.vendor == "sqlite":
        sql("UPDATE claims_search SET claim = 'words no claim says' WHERE rowid = %s", [claim.pk])
    else:
        sql(
            "UPDATE claims_search SET claim = to_tsvector('simple', 'words no claim says') "
            "WHERE claim_id = %s",
            [claim.pk],
        )
    out = failing_verify()
    assert (
        f"MISMATCH claim {claim.pk} ({claim.slug}): its search index row has stale claim text"
        in out
    )


def test_a_published_claim_missing_from_the_index_fails_verify(corpus):
    claim = Claim.objects.published().first()
    column = "rowid" if connection.vendor == "sqlite" else "claim_id"
    sql(f"DELETE FROM claims_search WHERE {column} = %s", [claim.pk])
    out = failing_verify()
    assert f"MISMATCH claim {claim.pk} ({claim.slug}): published but not in the search index" in out


def test_an_index_row_of_a_draft_claim_fails_verify(corpus):
    claim = Claim.objects.published().first()
    # The triggers would drop its row: change the status behind their back.
    if connection.vendor == "sqlite":
        sql("DROP TRIGGER claims_claim_search_update")
    else:
        sql("ALTER TABLE claims_claim DISABLE TRIGGER claims_claim_search_update")
    sql("UPDATE claims_claim SET status = 'draft' WHERE id = %s", [claim.pk])
    out = failing_verify()
    assert f"MISMATCH search index row {claim.pk} (claims_search): no published claim" in out
