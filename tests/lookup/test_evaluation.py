"""The lookup's evaluation: its sets, the numbers computed per set, and evaluate_lookup."""

from io import StringIO

import pytest
import yaml
from django.core.management import CommandError, call_command

from claims.models import Citation, Claim
from lookup import evaluation
from lookup.evaluation import (
    NEAR_TOPIC,
    ORIGINAL,
    PARAPHRASE,
    UNRELATED,
    default_floor,
    evaluate,
    load_evaluation,
)
from lookup.search import RELEVANCE_FLOOR, Match, PassageSnippet, lookup
from sources.anchoring import anchor

pytestmark = pytest.mark.django_db

SKRIPAL = "japan-did-not-expel-russian-diplomats-after-skripal"
PEACE_TREATY = "japan-and-russia-never-signed-a-peace-treaty-after-world-war-ii"
TROOPS = "russia-has-military-forces-on-the-disputed-islands"
WEAK_SANCTIONS = "japans-crimea-sanctions-on-russia-were-deliberately-weak"
SOCHI = "abe-attended-the-sochi-olympics-opening-boycotted-by-western-leaders"
DIPLOMAT = "new-cold-war-forces-japan-to-choose-sides"

# A tiny evaluation and what a scripted mode returns for each of its statements, with no
# floor: (claim slug, score) best first. At the floor of 0.3 the original set ranks its
# claims 1st and 2nd; the paraphrases 3rd, nowhere (0.2 is under the floor) and 1st; one
# near-topic statement matches; the unrelated statement scores 0.1 and does not.
TINY = {
    "queries": [
        {
            "q": "original one",
            "claim": SKRIPAL,
            "source": DIPLOMAT,
            "passage": "Japan was the only country not to expel Russian diplomats",
        },
        {
            "q": "original two",
            "claim": WEAK_SANCTIONS,
            "source": DIPLOMAT,
            "passage": "though these were designed to be extremely weak",
        },
    ],
    "paraphrases": [
        {
            "q": "paraphrase one",
            "claim": SKRIPAL,
            "source": DIPLOMAT,
            "passage": "Japan was the only country not to expel Russian diplomats",
        },
        {
            "q": "paraphrase two",
            "claim": WEAK_SANCTIONS,
            "source": DIPLOMAT,
            "passage": "though these were designed to be extremely weak",
        },
        {
            "q": "paraphrase three",
            "claim": SOCHI,
            "source": DIPLOMAT,
            "passage": "attended the opening ceremony of the Winter Olympics in Sochi",
        },
    ],
    "near_topic": ["near one", "near two"],
    "unrelated": ["far one"],
}
SCRIPT = {
    "original one": [(SKRIPAL, 0.9), (SOCHI, 0.4)],
    "original two": [(SOCHI, 0.8), (WEAK_SANCTIONS, 0.7), (SKRIPAL, 0.1)],
    "paraphrase one": [(SOCHI, 0.6), (WEAK_SANCTIONS, 0.5), (SKRIPAL, 0.4)],
    "paraphrase two": [(SOCHI, 0.5), (WEAK_SANCTIONS, 0.2)],
    "paraphrase three": [(SOCHI, 0.35)],
    "near one": [(SOCHI, 0.5)],
    "near two": [(TROOPS, 0.25)],
    "far one": [(PEACE_TREATY, 0.1)],
}


def scripted_search(text: str, *, limit: int = 10, floor: float = 0.3) -> list[Match]:
    """A mode whose results are SCRIPT's; the first original query highlights its passage."""
    pks = dict(Claim.objects.values_list("slug", "pk"))
    passages = ()
    if text == "original one":
        citation = Citation.objects.get(claim__slug=SKRIPAL, passage__source__slug=DIPLOMAT)
        passages = (PassageSnippet(citation=citation.pk, snippet=""),)
    results = [
        Match(claim=pks[slug], score=score, claim_snippet="", passages=passages)
        for slug, score in SCRIPT[text]
        if score >= floor
    ]
    return results[:limit]


@pytest.fixture
def scripted_mode(monkeypatch):
    monkeypatch.setitem(evaluation.MODES, "scripted", scripted_search)
    return "scripted"


@pytest.fixture
def tiny_file(tmp_path):
    path = tmp_path / "tiny_eval.yaml"
    path.write_text(yaml.safe_dump(TINY), encoding="utf-8")
    return path


# --- the evaluation file ---------------------------------------------------------------


def test_evaluation_file_has_hard_paraphrases_pasted_paragraphs_and_near_topic_statements():
    sets = load_evaluation()
    paragraphs = [q for q in sets.paraphrases if 300 <= len(q.text) <= 700]
    assert len(sets.queries) >= 40
    assert len(sets.paraphrases) >= 45
    assert len(paragraphs) >= 4
    assert len(sets.near_topic) >= 12
    assert len(sets.unrelated) >= 10
    assert len({q.claim for q in sets.paraphrases}) >= 30
    assert len({q.source for q in sets.paraphrases}) == 5


def test_every_query_names_a_stored_claim_and_a_passage_of_its_source(corpus):
    sets = load_evaluation()
    slugs = set(Claim.objects.values_list("slug", flat=True))
    for query in sets.queries + sets.paraphrases:
        assert query.claim in slugs, query.text
        anchor(corpus[query.source].text, query.passage)  # raises if absent or ambiguous


def test_no_statement_is_in_two_sets():
    sets = load_evaluation()
    statements = (
        [q.text for q in sets.queries + sets.paraphrases] + sets.near_topic + sets.unrelated
    )
    assert len(set(statements)) == len(statements)


def test_an_evaluation_file_without_the_new_sets_still_loads(tmp_path):
    path = tmp_path / "old_eval.yaml"
    path.write_text(yaml.safe_dump({"queries": TINY["queries"], "unrelated": ["far one"]}))
    old = load_evaluation(path)
    assert [q.claim for q in old.queries] == [SKRIPAL, WEAK_SANCTIONS]
    assert (old.paraphrases, old.near_topic, old.unrelated) == ([], [], ["far one"])


# --- the numbers, per set ----------------------------------------------------------------


def test_each_set_is_scored_from_its_own_entries(scripted_mode, tiny_file):
    report = evaluate(load_evaluation(tiny_file), mode=scripted_mode)
    original, paraphrase = report.query_sets[ORIGINAL], report.query_sets[PARAPHRASE]
    near_topic, unrelated = report.negative_sets[NEAR_TOPIC], report.negative_sets[UNRELATED]

    assert report.floor == 0.3  # the mode's own
    assert [o.rank for o in original.outcomes] == [1, 2]
    assert (original.recall_at(1), original.recall_at(5)) == (0.5, 1.0)
    assert original.mrr == pytest.approx((1 + 1 / 2) / 2)
    assert [o.passage_found for o in original.outcomes] == [True, False]
    assert original.passage_recall == 0.5

    assert [o.rank for o in paraphrase.outcomes] == [3, None, 1]
    assert [o.score for o in paraphrase.outcomes] == [0.4, 0.2, 0.35]  # with no floor
    assert [o.top for o in paraphrase.outcomes] == [SOCHI, SOCHI, SOCHI]
    assert paraphrase.recall_at(1) == pytest.approx(1 / 3)
    assert paraphrase.recall_at(5) == pytest.approx(2 / 3)
    assert paraphrase.mrr == pytest.approx((1 / 3 + 1) / 3)
    assert paraphrase.passage_recall == 0.0

    assert near_topic.false_matches == ["near one"]
    assert near_topic.false_match_rate == 0.5
    assert near_topic.highest_score == 0.5
    assert unrelated.false_matches == []
    assert (unrelated.highest_score, unrelated.outcomes[0].top) == (0.1, PEACE_TREATY)


def test_a_floor_given_to_the_evaluation_overrides_the_modes_own(scripted_mode, tiny_file):
    report = evaluate(load_evaluation(tiny_file), mode=scripted_mode, floor=0.15)
    assert report.floor == 0.15
    assert [o.rank for o in report.query_sets[PARAPHRASE].outcomes] == [3, 2, 1]
    assert report.negative_sets[NEAR_TOPIC].false_matches == ["near one", "near two"]


def test_the_words_mode_is_the_lookup_with_its_relevance_floor():
    assert evaluation.MODES["words"] is lookup
    assert default_floor(lookup) == RELEVANCE_FLOOR


# --- evaluate_lookup -----------------------------------------------------------------------


def run_evaluate_lookup(*args: str) -> str:
    out = StringIO()
    call_command("evaluate_lookup", *args, stdout=out)
    return out.getvalue()


def table_row(output: str, name: str) -> str:
    """A set's row in the first table of the output, its cells separated by one space."""
    rows = (line.split() for line in output.splitlines())
    return " ".join(next(cells for cells in rows if cells[:1] == [name]))


def test_evaluate_lookup_prints_each_sets_numbers_apart(scripted_mode, tiny_file):
    output = run_evaluate_lookup("--file", str(tiny_file), "--mode", scripted_mode)
    assert "mode scripted, floor 0.30" in output
    assert table_row(output, "original") == "original 2 0.500 1.000 0.750 0.500 -"
    assert table_row(output, "paraphrase") == "paraphrase 3 0.333 0.667 0.444 0.000 -"
    assert table_row(output, "near-topic") == "near-topic 2 - - - - 1 of 2 (0.500)"
    assert table_row(output, "unrelated") == "unrelated 1 - - - - 0 of 1 (0.000)"
    assert "near-topic statement matched: 'near one'" in output
    assert "far one" not in output


def test_evaluate_lookup_prints_one_table_per_available_mode_by_default(scripted_mode, tiny_file):
    output = run_evaluate_lookup("--file", str(tiny_file))
    headers = [line for line in output.splitlines() if line.startswith("Lookup evaluation on")]
    assert [header.split(", ")[1] for header in headers] == [
        "mode words",
        "mode semantic",
        "mode hybrid",
        "mode scripted",
    ]


def test_evaluate_lookup_on_the_seed_corpus_names_every_set(corpus):
    output = run_evaluate_lookup("--mode", "words")
    for name, size in [("original", 68), ("paraphrase", 69), ("near-topic", 23), ("unrelated", 20)]:
        assert table_row(output, name).startswith(f"{name} {size} ")


def test_evaluate_lookup_rejects_an_unknown_mode_listing_the_available_ones(scripted_mode):
    with pytest.raises(
        CommandError, match=r"'reranked' is not available.*words, semantic, hybrid, scripted"
    ):
        run_evaluate_lookup("--mode", "reranked")
