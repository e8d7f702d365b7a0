"""The semantic lookup: its encoder, its index kept by the change feed, and the hybrid ranking."""

from io import StringIO

import numpy as np
import pytest
from django.core.management import call_command
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from claims.models import Claim
from claims.services import citation_add, citation_delete, claim_retract, claim_update
from lookup import hybrid, index, search
from lookup.encoder import (
    DEFAULT_MODEL,
    Encoder,
    ModelProvenanceError,
    configured_model,
    get_encoder,
)
from lookup.evaluation import evaluate, load_evaluation
from lookup.metonyms import resolve
from lookup.models import Embedding

pytestmark = pytest.mark.django_db

PEACE_TREATY = "japan-and-russia-never-signed-a-peace-treaty-after-world-war-ii"
TREATY_IN_OTHER_WORDS = "Moscow and Tokyo still haven't inked a deal formally ending WWII"
SKATER = "A Japanese skater won gold at the Sochi Olympics."
SKRIPAL = "japan-did-not-expel-russian-diplomats-after-skripal"
REWORDED_SKRIPAL = "Did Japan kick out Russian diplomats after the Skripal poisoning?"


def slug_of(pk: int) -> str:
    return Claim.objects.get(pk=pk).slug


def slugs(matches) -> list[str]:
    by_pk = dict(Claim.objects.values_list("pk", "slug"))
    return [by_pk[match.claim] for match in matches]


def findings() -> list:
    return [finding for finding in index.embedding_findings() if finding]


def claim(slug: str) -> Claim:
    return Claim.objects.get(slug=slug)


# --- the encoder ------------------------------------------------------------------------


@override_settings(CLAIMBASE_EMBEDDING_MODEL_SHA256="0" * 64)
def test_encoder_refuses_weights_whose_hash_is_not_the_recorded_one():
    with pytest.raises(ModelProvenanceError, match="not the recorded 0000"):
        Encoder(configured_model())


def test_encoder_records_the_packaged_models_hash():
    files = configured_model()
    assert files.model_id == DEFAULT_MODEL
    assert files.sha256 == "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db"


def test_encoder_gives_unit_vectors_closer_for_a_paraphrase_than_for_another_subject():
    encoder = hybrid.get_encoder()
    treaty, paraphrase, skater = encoder.encode(
        [
            "Japan and Russia never signed a peace treaty after the Second World War.",
            TREATY_IN_OTHER_WORDS,
            SKATER,
        ]
    )
    assert np.allclose(np.linalg.norm([treaty, paraphrase, skater], axis=1), 1, atol=1e-5)
    assert treaty @ paraphrase > 0.5 > treaty @ skater


def test_encoder_gives_a_text_the_same_vector_alone_and_in_a_padded_batch():
    encoder = hybrid.get_encoder()
    alone = encoder.encode([SKATER])[0]
    batch = encoder.encode(["Short.", SKATER, "A much longer sentence " * 20])
    assert np.allclose(alone, batch[1], atol=1e-5)


def test_encoder_truncates_a_text_longer_than_the_model_reads():
    encoder = hybrid.get_encoder()
    long_text = "Japan and Russia never signed a peace treaty. " * 100
    assert len(encoder.tokenizer.encode(long_text).ids) == 256
    assert encoder.encode([long_text]).shape == (1, encoder.dimensions)


# --- the index ----------------------------------------------------------------------------


def test_seed_corpus_is_embedded_with_its_passages_and_verify_finds_nothing():
    published = Claim.objects.published().count()
    assert Embedding.objects.filter(citation__isnull=True).count() == published
    assert Embedding.objects.filter(citation__isnull=False).count() > 0
    assert findings() == []


def test_an_edited_claim_is_stale_until_the_next_lookup_re_embeds_it():
    skripal = claim(SKRIPAL)
    old = Embedding.objects.get(claim=skripal, citation=None)
    claim_update(claim=skripal, text="Tokyo did not send home any Russian envoys over Skripal.")
    assert [finding.pk for finding in findings()] == [skripal.pk]
    hybrid.lookup("Russian envoys sent home")
    skripal.refresh_from_db()
    new = Embedding.objects.get(claim=skripal, citation=None)
    assert new.text_sha256 == index.text_sha256(skripal.text) != old.text_sha256
    assert bytes(new.vector) != bytes(old.vector)
    assert findings() == []


def test_a_retracted_claim_is_gone_from_the_results_and_the_index():
    assert slugs(hybrid.lookup(REWORDED_SKRIPAL))[0] == SKRIPAL
    claim_retract(claim=claim(SKRIPAL), reason="A test retraction.")
    assert SKRIPAL not in slugs(hybrid.lookup(REWORDED_SKRIPAL))
    assert not Embedding.objects.filter(claim__slug=SKRIPAL).exists()
    assert findings() == []


def test_a_deleted_citation_loses_its_vector():
    skripal = claim(SKRIPAL)
    citation = skripal.citations.first()
    assert Embedding.objects.filter(citation=citation).exists()
    citation_id = citation.pk
    citation_delete(citation=citation)
    index.catch_up()
    assert not Embedding.objects.filter(citation_id=citation_id).exists()
    assert findings() == []


def test_an_edit_through_the_api_is_found_by_meaning(curator_api, api):
    skripal = claim(SKRIPAL)
    response = curator_api.patch(
        reverse("claim-detail", args=[skripal.uuid]),
        {"text": "Wembleton Frusk once painted a blue giraffe on the moon."},
        format="json",
    )
    assert response.status_code == 200, response.content
    body = api.get(reverse("claim-lookup"), {"q": "Somebody painted a giraffe on the moon"}).json()
    assert [result["claim"]["slug"] for result in body["results"]][:1] == [SKRIPAL]


def test_a_claim_added_by_import_is_embedded_when_the_index_catches_up(tmp_path):
    exported = StringIO()
    call_command("export", "-", stdout=exported, stderr=StringIO())
    Claim.objects.filter(slug=SKRIPAL).delete()
    assert not Embedding.objects.filter(claim__slug=SKRIPAL).exists()
    path = tmp_path / "claims.ndjson"
    path.write_text(exported.getvalue(), encoding="utf-8")
    call_command("import", str(path), stdout=StringIO(), stderr=StringIO())
    assert index.catch_up()
    assert Embedding.objects.filter(claim__slug=SKRIPAL, citation=None).exists()
    assert slugs(hybrid.lookup(REWORDED_SKRIPAL))[0] == SKRIPAL
    assert findings() == []


def test_a_lookup_far_behind_the_feed_waits_for_reindex():
    skripal = claim(SKRIPAL)
    claim_update(claim=skripal, text="Tokyo did not send home any Russian envoys over Skripal.")
    assert index.catch_up(max_changes=0) is False
    assert [finding.pk for finding in findings()] == [skripal.pk]


def test_reindex_embeds_what_is_missing_and_verify_reports_it_before():
    skripal = claim(SKRIPAL)
    Embedding.objects.filter(claim=skripal).delete()
    problems = findings()
    assert [finding.pk for finding in problems] == [skripal.pk]
    assert "has no embedding" in problems[0].problem
    out = StringIO()
    call_command("reindex", stdout=out)
    assert f"{1 + skripal.citations.count()} texts embedded" in out.getvalue()
    assert findings() == []


def test_reindex_re_embeds_vectors_of_another_model():
    Embedding.objects.update(model="some/older-model")
    assert len(findings()) == Claim.objects.published().count()
    call_command("reindex", stdout=StringIO())
    assert findings() == []
    assert not Embedding.objects.filter(model="some/older-model").exists()


def test_reindex_with_nothing_stale_embeds_nothing():
    out = StringIO()
    call_command("reindex", stdout=out)
    assert "0 texts embedded" in out.getvalue()


def test_the_index_holds_each_distinct_text_once_and_gives_each_claim_its_best_row():
    skripal = claim(SKRIPAL)
    other = Claim.objects.published().exclude(pk=skripal.pk).order_by("pk").first()
    passage = skripal.citations.first().passage
    citation_add(claim=other, passage=passage, stance="neutral")  # a passage cited twice
    index.catch_up()
    loaded = index.current_index(sync=False)
    stored = Embedding.objects.filter(claim__status=Claim.Status.PUBLISHED)
    assert len(loaded.rows) == stored.count()
    assert len(loaded.matrix) == len(set(stored.values_list("text_sha256", flat=True)))
    assert len(loaded.matrix) < len(loaded.rows)

    query = get_encoder().encode([REWORDED_SKRIPAL])
    best: dict[int, float] = {}
    for pk, vector in stored.values_list("claim_id", "vector"):
        similarity = float(np.frombuffer(bytes(vector), dtype="<f4") @ query[0])
        best[pk] = max(best.get(pk, -1.0), similarity)
    found = dict(zip(loaded.claims.tolist(), loaded.similarities(query)[0].tolist(), strict=True))
    assert found.keys() == best.keys()
    assert all(abs(found[pk] - best[pk]) < 1e-5 for pk in best)


def test_an_index_reloaded_after_writes_equals_the_index_read_whole():
    before = index.current_index(sync=False)
    skripal, retracted = claim(SKRIPAL), claim(PEACE_TREATY)
    claim_update(claim=skripal, text="Tokyo did not send home any Russian envoys over Skripal.")
    claim_retract(claim=retracted, reason="A test retraction.")
    other = Claim.objects.published().exclude(pk=skripal.pk).order_by("pk").first()
    citation_delete(citation=other.citations.first())
    citation_add(claim=other, passage=skripal.citations.first().passage, stance="neutral")
    index.catch_up()
    generation = index.IndexState.objects.get().generation
    assert generation != before.generation

    reloaded = index.VectorIndex.load(index.model_id(), generation, previous=before)
    whole = index.VectorIndex.load(index.model_id(), generation)
    assert reloaded.claims.tolist() == whole.claims.tolist()
    assert retracted.pk not in reloaded.claims.tolist()
    assert reloaded.starts.tolist() == whole.starts.tolist()
    assert reloaded.texts.keys() >= whole.texts.keys()  # a text no claim has any more stays
    queries = get_encoder().encode([REWORDED_SKRIPAL, TREATY_IN_OTHER_WORDS, SKATER])
    assert np.allclose(reloaded.similarities(queries), whole.similarities(queries), atol=1e-6)


def test_an_index_reloaded_after_an_edit_reads_only_the_new_texts_vector():
    before = index.current_index(sync=False)
    text = "Tokyo did not send home any Russian envoys over Skripal."
    claim_update(claim=claim(SKRIPAL), text=text)
    index.catch_up()
    generation = index.IndexState.objects.get().generation
    with CaptureQueriesContext(connection) as queries:
        index.VectorIndex.load(index.model_id(), generation, previous=before)
    reading_vectors = [q["sql"] for q in queries.captured_queries if '"vector"' in q["sql"]]
    assert len(reading_vectors) == 1
    assert index.text_sha256(text) in reading_vectors[0]
    assert len(queries.captured_queries) == 2


# --- the hybrid lookup --------------------------------------------------------------------


def test_hybrid_finds_a_paraphrase_whose_words_the_word_lookup_misses():
    assert PEACE_TREATY not in slugs(search.lookup(TREATY_IN_OTHER_WORDS, limit=5))
    found = hybrid.lookup(TREATY_IN_OTHER_WORDS, limit=5)
    assert PEACE_TREATY in slugs(found)
    match = found[slugs(found).index(PEACE_TREATY)]
    assert "meaning" in match.matched
    assert hybrid.SEMANTIC_FLOOR <= match.similarity <= match.score <= 1


def test_hybrid_returns_nothing_for_a_statement_on_the_corpus_subjects_no_claim_makes():
    assert search.lookup(SKATER)  # the words alone match the Sochi claims
    assert hybrid.lookup(SKATER) == []


def test_hybrid_returns_nothing_for_any_near_topic_statement_of_the_evaluation_set():
    statements = load_evaluation().near_topic
    assert len(statements) >= 10
    assert hybrid.lookup_many(statements) == [[] for _ in statements]


def test_hybrid_reads_capitals_as_their_countries_but_keeps_the_statement_as_written():
    statement = "Tokyo imposed sanctions on Moscow after the annexation of Crimea."
    assert hybrid.statement_parts(statement) == [
        statement,
        "Japan imposed sanctions on Russia after the annexation of Crimea.",
    ]
    assert hybrid.statement_parts("Japan imposed sanctions.") == ["Japan imposed sanctions."]


def test_hybrid_finds_a_claim_stated_with_capitals_for_countries_above_the_floor():
    statement = "Tokyo let every one of the Kremlin's envoys stay put after the Skripal poisoning"
    as_written = hybrid.semantic_lookup(statement, floor=0)
    resolved = hybrid.semantic_lookup(resolve(statement), floor=0)
    best = {slug_of(match.claim): match.similarity for match in as_written}
    assert best[SKRIPAL] == pytest.approx(
        max(best[SKRIPAL], {slug_of(m.claim): m.similarity for m in resolved}[SKRIPAL])
    )
    found = hybrid.lookup(statement, limit=3)
    assert slugs(found)[0] == SKRIPAL
    assert found[0].similarity >= hybrid.SEMANTIC_FLOOR


def test_lookup_many_gives_what_lookup_gives_for_each_statement():
    texts = [REWORDED_SKRIPAL, SKATER, TREATY_IN_OTHER_WORDS]
    together = hybrid.lookup_many(texts, limit=3)
    apart = [hybrid.lookup(text, limit=3) for text in texts]
    assert [[m.claim for m in ms] for ms in together] == [[m.claim for m in ms] for ms in apart]
    # Batched products round differently in the last float32 bits, no more.
    assert np.allclose(
        [m.score for ms in together for m in ms], [m.score for ms in apart for m in ms], atol=1e-5
    )
    assert [m.matched for ms in together for m in ms] == [m.matched for ms in apart for m in ms]


@pytest.mark.parametrize("statement", [REWORDED_SKRIPAL, SKATER, TREATY_IN_OTHER_WORDS])
def test_scoring_given_claims_gives_what_the_word_lookup_gives_them(statement):
    found = search.lookup(statement, limit=search.MAX_LIMIT, floor=0.01)
    assert found
    others = list(Claim.objects.exclude(pk__in=[m.claim for m in found])[:5])
    scored = search.score_claims(statement, [m.claim for m in found] + [c.pk for c in others])
    assert {m.claim: m for m in found} == {m.claim: scored[m.claim] for m in found}
    # The claims the lookup left out score no more than the last it returned.
    assert all(scored[c.pk].score <= found[-1].score for c in others if c.pk in scored)
    floored = search.score_claims(statement, [m.claim for m in found], floor=0.3)
    assert set(floored) == {m.claim for m in found if m.score >= 0.3}


def test_hybrid_scores_only_its_candidates_words_unless_claims_wait_to_be_embedded(
    monkeypatch,
):
    searched = []
    monkeypatch.setattr(search, "lookup", lambda *a, **k: searched.append(a) or [])
    first = hybrid.lookup(REWORDED_SKRIPAL)[0]
    assert searched == []  # every claim is embedded: the candidates' words alone
    assert first.matched == ("meaning", "words")
    assert first.words == search.score_claims(REWORDED_SKRIPAL, [first.claim])[first.claim].score

    monkeypatch.setattr(hybrid, "catch_up", lambda: False)  # an import waits for reindex
    hybrid.lookup(REWORDED_SKRIPAL)
    assert searched == [(REWORDED_SKRIPAL,)]


def test_hybrid_word_scores_follow_a_write_though_the_processes_keep_the_terms_counts():
    first = hybrid.lookup(REWORDED_SKRIPAL)[0]  # the terms' counts are kept from here
    others = Claim.objects.published().exclude(text__icontains="Skripal").order_by("pk")[:3]
    for other in others:  # "Skripal" in more claims: it weighs less in the statement
        claim_update(claim=other, text=other.text + " (Skripal)")
    again = hybrid.lookup(REWORDED_SKRIPAL)[0]
    assert again.claim == first.claim
    assert again.words != first.words
    assert again.words == search.score_claims(REWORDED_SKRIPAL, [again.claim])[again.claim].score


def test_hybrid_says_words_matched_and_keeps_the_word_snippets():
    first = hybrid.lookup(REWORDED_SKRIPAL)[0]
    assert first.matched == ("meaning", "words")
    assert "<mark>Skripal</mark>" in first.claim_snippet
    assert first.passages


def test_the_api_lookup_reports_similarity_and_the_signals_that_matched(api):
    body = api.get(reverse("claim-lookup"), {"q": TREATY_IN_OTHER_WORDS, "limit": 5}).json()
    results = {result["claim"]["slug"]: result for result in body["results"]}
    assert PEACE_TREATY in results
    treaty = results[PEACE_TREATY]
    assert "meaning" in treaty["matched"]
    assert hybrid.SEMANTIC_FLOOR <= treaty["similarity"] <= treaty["score"] <= 1
    assert ("<mark>" in treaty["highlights"]["claim"]) == ("words" in treaty["matched"])


def test_unknown_mode_is_refused():
    with pytest.raises(ValueError, match="Unknown lookup mode"):
        hybrid.lookup("anything", mode="telepathy")


# --- the evaluation set -------------------------------------------------------------------


def test_hybrid_keeps_the_original_set_and_rejects_every_near_topic_and_unrelated_statement():
    """The levels reached by MiniLM-L6 with capitals read as countries (docs/lookup.md).

    A guard, not yet the issue's paraphrase targets.
    """
    report = evaluate(load_evaluation(), mode="hybrid")
    original = report.query_sets["original"]
    paraphrase = report.query_sets["paraphrase"]
    assert original.recall_at(5) >= 0.98
    assert original.recall_at(1) >= 0.95
    assert paraphrase.recall_at(5) >= 0.44
    assert report.negative_sets["near-topic"].false_matches == []
    assert report.negative_sets["unrelated"].false_matches == []
    words = evaluate(load_evaluation(), mode="words").query_sets["paraphrase"]
    assert paraphrase.recall_at(5) > 2 * words.recall_at(5)
