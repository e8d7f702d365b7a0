"""The fact-checking lookup: over HTTP, in lookup.search, its index, and its evaluation."""

from urllib.parse import urlencode

import pytest
from django.core.cache import cache
from django.db import connection
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from claims.models import Claim
from claims.services import citation_add, claim_create, claim_retract, claim_update
from lookup import search
from lookup.evaluation import evaluate, load_evaluation
from lookup.search import RELEVANCE_FLOOR, lookup, statement_terms
from sources.models import Author
from sources.services import source_update

pytestmark = pytest.mark.django_db

SKRIPAL = "japan-did-not-expel-russian-diplomats-after-skripal"
REWORDED_SKRIPAL = "Did Japan kick out Russian diplomats after the Skripal poisoning?"
UNRELATED = "The Eiffel Tower was completed in 1889 for the World's Fair in Paris."


def lookup_url(**params) -> str:
    return reverse("claim-lookup") + ("?" + urlencode(params) if params else "")


def slugs(matches) -> list[str]:
    by_pk = dict(Claim.objects.values_list("pk", "slug"))
    return [by_pk[match.claim] for match in matches]


def error_fields(response) -> set[str]:
    """The fields a 400 names, whether in the API's `errors` or in DRF's plain shape."""
    body = response.json()
    return set(body.get("errors", body))


# --- over HTTP ---------------------------------------------------------------------------


def test_lookup_finds_the_skripal_claim_from_a_reworded_statement(api):
    response = api.get(lookup_url(q=REWORDED_SKRIPAL))
    assert response.status_code == 200
    body = response.json()
    assert body["query"] == REWORDED_SKRIPAL
    first = body["results"][0]
    assert first["claim"]["slug"] == SKRIPAL
    assert first["claim"]["verdict"]["verdict"] == "supported"
    assert first["claim"]["citations"][0]["author"]["slug"] == "james-d-j-brown"
    assert RELEVANCE_FLOOR <= first["score"] <= 1


def test_lookup_ranks_matches_best_first(api):
    # Two claims speak to it: Japan did not expel diplomats, nor blame Russia.
    statement = f"{REWORDED_SKRIPAL[4:-1]} and did not blame Russia."
    results = api.get(lookup_url(q=statement, limit=10)).json()["results"]
    scores = [result["score"] for result in results]
    assert len(results) > 1
    assert scores == sorted(scores, reverse=True)
    assert all(score >= RELEVANCE_FLOOR for score in scores)


def test_lookup_highlights_the_matching_words_in_the_claim_and_its_passage(api):
    first = api.get(lookup_url(q=REWORDED_SKRIPAL)).json()["results"][0]
    highlights = first["highlights"]
    assert "<mark>Skripal</mark>" in highlights["claim"]
    assert "<mark>diplomats</mark>" in highlights["claim"]
    passage = highlights["passages"][0]
    assert passage["citation"] in {citation["id"] for citation in first["claim"]["citations"]}
    assert "<mark>Russian</mark> <mark>diplomats</mark>" in passage["snippet"]


def test_unrelated_statement_gets_an_empty_list(api):
    response = api.get(lookup_url(q=UNRELATED))
    assert response.status_code == 200
    assert response.json() == {"query": UNRELATED, "results": []}


def test_limit_caps_the_number_of_matches(api):
    results = api.get(lookup_url(q="Abe and Putin met to discuss the islands", limit=2)).json()
    assert len(results["results"]) == 2


LONG_STATEMENT = (
    "In March 2018 a nerve agent was used against the former spy Sergei Skripal and his "
    "daughter in England. Britain blamed Moscow, and twenty-eight countries expelled Russian "
    "diplomats in solidarity with London. Japan, alone in the G7, did not expel a single "
    "Russian diplomat after the Skripal poisoning, and the Abe government never said that "
    "Moscow was behind it. Tokyo had been just as cautious four years earlier: when Russia "
    "annexed Crimea, Japan imposed sanctions that were designed to be weak. Shinzo Abe kept "
    "meeting Vladimir Putin, travelling to Sochi in May 2016 to present a new approach with "
    "an eight-point plan for economic cooperation, and he even created a cabinet minister "
    "for economic cooperation with Russia. Critics such as Brahma Chellaney say that this "
    "courtship has yielded little for Japan: Russia still holds the disputed Kuril islands, "
    "has reinforced its troops there, and no peace treaty has been signed since the Second "
    "World War. In Moscow, meanwhile, the embassy praised Tokyo's restraint, while at home "
    "the newspapers asked whether Japan had abandoned its British friend in need. The "
    "foreign ministers of the G7 met in Toronto in April, and Japan finally signed the "
    "statements on Skripal and on Syria."
)


def test_post_with_a_long_statement_finds_the_claims_of_each_sentence(api):
    assert 1_000 < len(LONG_STATEMENT) <= 2_000
    response = api.post(
        reverse("claim-lookup"), {"text": LONG_STATEMENT, "limit": 20}, format="json"
    )
    assert response.status_code == 200
    found = [result["claim"]["slug"] for result in response.json()["results"]]
    assert SKRIPAL in found
    assert "japans-crimea-sanctions-on-russia-were-deliberately-weak" in found
    assert "abe-created-a-cabinet-post-for-economic-cooperation-with-russia" in found


@pytest.mark.parametrize(
    "statement",
    [
        'Japan "did not expel',
        "NEAR(Japan Russia, 3) AND expel* OR ^Skripal NOT diplomats",
        "claim: passages : {names} : Japan",
        "Japan’s “refusal” to expel ‘Russian’ diplomats — after «Skripal»",
        "(((Japan))) -Russia +Skripal ~diplomats",
        "'; DROP TABLE claims_claim; -- %s %(q)s \\' \\\\",
        "Japan & Russia | !Skripal <-> diplomats:* 'a':A",
        "***",
        "the and of not",
        "Orbán’s Hungary expelled diplomats",
    ],
)
def test_search_syntax_and_typographic_quotes_in_a_statement_never_error(api, statement):
    response = api.get(lookup_url(q=statement))
    assert response.status_code == 200
    assert isinstance(response.json()["results"], list)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(statement=st.text(max_size=300))
def test_any_statement_is_answered_with_200_or_400_never_500(api, statement):
    cache.clear()  # keep the throttle out of it
    get = api.get(lookup_url(q=statement))
    post = api.post(reverse("claim-lookup"), {"text": statement}, format="json")
    assert get.status_code in {200, 400}
    assert post.status_code in {200, 400}


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({}, "q"),
        ({"q": ""}, "q"),
        ({"q": "   "}, "q"),
        ({"q": "x" * 2_001}, "q"),
        ({"q": "Japan\x00"}, "q"),
        ({"q": "Japan", "limit": 0}, "limit"),
        ({"q": "Japan", "limit": 51}, "limit"),
        ({"q": "Japan", "limit": "abc"}, "limit"),
    ],
)
def test_invalid_query_is_a_400_naming_the_field(api, params, field):
    response = api.get(lookup_url(**params))
    assert response.status_code == 400
    assert field in error_fields(response)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "text"),
        ({"text": ""}, "text"),
        ({"text": ["Japan"]}, "text"),
        ({"text": "x" * 2_001}, "text"),
        ({"text": "Japan", "limit": 51}, "limit"),
        ({"text": "Japan", "limit": "abc"}, "limit"),
    ],
)
def test_invalid_post_is_a_400_naming_the_field(api, body, field):
    response = api.post(reverse("claim-lookup"), body, format="json")
    assert response.status_code == 400
    assert field in error_fields(response)


def test_the_schema_documents_the_lookup(api):
    schema = api.get(reverse("schema"), HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    operations = schema["paths"]["/api/v1/claims/lookup/"]
    assert {"get", "post"} <= set(operations)
    assert {parameter["name"] for parameter in operations["get"]["parameters"]} >= {"q", "limit"}


# --- lookup.search -----------------------------------------------------------------------


def test_statement_terms_drop_punctuation_stop_words_and_case():
    terms = statement_terms("Japan’s “refusal” NOT to expel (Russian) diplomats — AND OR *")
    assert [term.text for term in terms] == ["japan", "refusal", "expel", "russian", "diplomats"]
    assert [term.name_like for term in terms] == [True, False, False, True, False]


def test_score_is_the_weighted_share_of_the_statement_found_in_the_claim():
    fields = [search.IN_CLAIM, search.IN_PASSAGES | search.IN_NAMES, 0]
    assert search.score(fields, [2.0, 1.0, 1.0]) == pytest.approx((2 * 1.0 + 1 * 0.6) / 4)


def test_terms_weigh_by_rarity_names_double_and_counting_stops_at_the_cap():
    total = 100_000
    cap = search.frequency_cap(total)
    word, name = search.Term("word", False), search.Term("name", True)
    unseen, rarer, at_cap, beyond = search.term_weights(
        [word, word, word, word], [0, cap - 2, cap, 10 * cap], total
    )
    assert unseen == 1.0
    assert rarer > at_cap == beyond == search.MIN_TERM_WEIGHT
    assert search.term_weights([name], [0], total) == [search.NAME_WEIGHT]


def test_lookup_matches_inflected_forms(corpus):
    assert SKRIPAL in slugs(lookup("Japan expelled no Russian diplomat over Skripal"))


def test_lookup_ignores_diacritics(corpus):
    matches = lookup("Viktor Orbán’s Hungary expelled Russian diplomats too")
    assert (
        slugs(matches)[0] == "28-states-joined-the-uk-in-expelling-russian-diplomats-over-skripal"
    )


def test_lookup_returns_only_published_claims(corpus):
    claim = Claim.objects.get(slug=SKRIPAL)
    claim_retract(claim=claim, reason="Test retraction.")
    assert SKRIPAL not in slugs(lookup(REWORDED_SKRIPAL))


def test_scores_are_between_the_floor_and_one(corpus):
    matches = lookup(REWORDED_SKRIPAL, limit=50)
    assert matches
    assert all(RELEVANCE_FLOOR <= match.score <= 1 for match in matches)


def exhaustive(statement: str, floor: float) -> list[tuple[int, float]]:
    """The results of scoring every claim that has any term: what pruning must not change."""
    parsed = search.parse_statement(statement)
    index = search.search_index()
    total, frequencies = index.frequencies(parsed.terms)
    ranking = search._Ranking(
        search.term_weights(parsed.terms, frequencies, total), parsed.parts, floor
    )
    for term, value in enumerate(parsed.terms):
        ranking.add(term, index.postings(value))
    scores = {claim: round(ranking.known_score(claim), 9) for claim in ranking.fields}
    best = sorted(
        (claim for claim, value in scores.items() if value >= floor and value > 0),
        key=lambda claim: (-scores[claim], -ranking.claim_weight(claim), claim),
    )
    return [(claim, scores[claim]) for claim in best[:10]]


PRUNING_STATEMENTS = [
    REWORDED_SKRIPAL,
    "Japan and Russia",
    "For years Japan has been the odd one out in the G7 on Russia policy",
    "Putin kept Abe waiting nearly three hours at the hot-spring summit",
    UNRELATED,
]


@pytest.mark.parametrize("statement", PRUNING_STATEMENTS)
@pytest.mark.parametrize("floor", [RELEVANCE_FLOOR, 0.0])
def test_pruning_returns_what_scoring_every_claim_returns(corpus, monkeypatch, statement, floor):
    expected = exhaustive(statement, floor)
    assert [(m.claim, m.score) for m in lookup(statement, floor=floor)] == expected
    # The paths taken only on large corpora, forced on the seed corpus.
    monkeypatch.setattr(search, "COMMON_TERM_CLAIMS", 1)
    monkeypatch.setattr(search, "COMPLETION_BATCH", 2)
    monkeypatch.setattr(search, "MANY_CLAIMS", 5)
    monkeypatch.setattr(search.SqliteSearchIndex, "SEEK_CLAIMS", 3)
    monkeypatch.setattr(search.PostgresSearchIndex, "SEEK_CLAIMS", 3)
    assert [(m.claim, m.score) for m in lookup(statement, floor=floor)] == expected


# --- the index stays in sync on every write path ------------------------------------------

NEW_CLAIM = "Zorblatt Quenderhall negotiated the Skripal grain compact."


@pytest.fixture
def new_claim(source):
    claim = claim_create(text=NEW_CLAIM, status=Claim.Status.PUBLISHED)
    citation_add(
        claim=claim,
        source=source,
        quote="Japan was the only country not to expel Russian diplomats",
        stance="neutral",
    )
    return claim


def test_a_claim_created_through_the_services_is_found(new_claim):
    assert slugs(lookup("Zorblatt Quenderhall compact"))[0] == new_claim.slug


def test_updating_a_claims_text_changes_what_finds_it(new_claim):
    claim_update(claim=new_claim, text="Wembleton Frusk signed the treaty.")
    assert new_claim.pk not in {m.claim for m in lookup("Zorblatt Quenderhall compact")}
    assert lookup("Wembleton Frusk")[0].claim == new_claim.pk


def test_adding_a_citation_makes_its_passage_searchable(new_claim, source):
    quote = "Prime Minister Shinzo Abe attended the opening ceremony of the Winter Olympics"
    statement = "Zorblatt Quenderhall at the Winter Olympics opening ceremony"
    before = next(m for m in lookup(statement) if m.claim == new_claim.pk)
    citation = citation_add(claim=new_claim, source=source, quote=quote, stance="neutral")
    after = next(m for m in lookup(statement) if m.claim == new_claim.pk)
    assert after.score > before.score
    assert citation.pk in {passage.citation for passage in after.passages}


def test_renaming_an_author_makes_the_new_name_searchable(new_claim):
    author = Author.objects.get(slug="james-d-j-brown-test")
    assert new_claim.pk not in {m.claim for m in lookup("Hildegard Vantongeren")}
    author.name = "Hildegard Vantongeren"
    author.save()
    assert new_claim.pk in {m.claim for m in lookup("Hildegard Vantongeren")}


def test_changing_a_source_outlet_makes_it_searchable(new_claim, source):
    source_update(source=source, outlet="The Quillmoor Gazette")
    assert new_claim.pk in {m.claim for m in lookup("Quillmoor Gazette")}


def test_a_deleted_claim_is_no_longer_found(new_claim):
    new_claim.delete()
    assert lookup("Zorblatt Quenderhall compact") == []


def test_claims_written_through_the_api_are_found_changed_and_gone(curator_api, staff_api, source):
    created = curator_api.post(
        reverse("claim-list"),
        {
            "text": NEW_CLAIM,
            "status": "published",
            "citations": [{"source": source.pk, "quote": "not to expel", "stance": "neutral"}],
        },
        format="json",
    )
    assert created.status_code == 201, created.json()
    detail = reverse("claim-detail", kwargs={"id": created.json()["id"]})
    assert slugs(lookup("Zorblatt Quenderhall compact")) == [created.json()["slug"]]
    updated = curator_api.patch(detail, {"text": "Wembleton Frusk signed."}, format="json")
    assert updated.status_code == 200, updated.json()
    assert lookup("Zorblatt Quenderhall compact") == []
    assert slugs(lookup("Wembleton Frusk")) == [created.json()["slug"]]
    assert staff_api.delete(detail).status_code == 204
    assert lookup("Wembleton Frusk") == []


def test_a_claim_deleted_in_the_admin_is_no_longer_found(admin_client, new_claim):
    response = admin_client.post(
        reverse("admin:claims_claim_delete", args=[new_claim.pk]), {"post": "yes"}
    )
    assert response.status_code == 302
    assert lookup("Zorblatt Quenderhall compact") == []


def test_a_queryset_update_of_the_text_reindexes_the_claims(corpus):
    Claim.objects.filter(slug=SKRIPAL).update(text="Plovdrek Semmering inspected the harbour.")
    assert slugs(lookup("Plovdrek Semmering harbour"))[0] == SKRIPAL
    assert SKRIPAL not in slugs(lookup("Japan kick out Russian diplomats poisoning"))


# --- the index itself ---------------------------------------------------------------------


@pytest.mark.sqlite_only
@pytest.mark.skipif(connection.vendor != "sqlite", reason="the FTS5 index is SQLite's")
def test_sqlite_index_is_an_fts5_table_with_porter_stemming():
    with connection.cursor() as cursor:
        cursor.execute("SELECT sql FROM sqlite_master WHERE name = 'claims_search'")
        (sql,) = cursor.fetchone()
        cursor.execute(
            "SELECT count(*) FROM sqlite_master WHERE type = 'trigger' AND name LIKE '%search%'"
        )
        (triggers,) = cursor.fetchone()
    assert "fts5" in sql
    assert "porter unicode61 remove_diacritics 2" in sql
    assert triggers == 9


@pytest.mark.postgres_only
@pytest.mark.skipif(connection.vendor != "postgresql", reason="the GIN index is PostgreSQL's")
def test_postgres_index_is_tsvectors_with_gin_indexes():
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexdef FROM pg_indexes WHERE tablename = 'claims_search'")
        definitions = " ".join(row[0] for row in cursor.fetchall())
        cursor.execute("SELECT count(*) FROM pg_trigger WHERE tgname LIKE '%search%'")
        (triggers,) = cursor.fetchone()
    for column in ("claim", "passages", "names"):
        assert f"gin ({column})" in definitions
    assert triggers == 11


def test_index_holds_one_document_per_published_claim(corpus):
    claim_retract(claim=Claim.objects.get(slug=SKRIPAL), reason="Test retraction.")
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM claims_search")
        (documents,) = cursor.fetchone()
    assert documents == Claim.objects.published().count() == Claim.objects.count() - 1


# --- quality ------------------------------------------------------------------------------


def test_evaluation_set_meets_recall_and_false_match_targets(corpus):
    """The words alone, on the original set; the paraphrases need the semantic lookup."""
    report = evaluate(load_evaluation(), mode="words")
    original = report.query_sets["original"]
    unrelated = report.negative_sets["unrelated"]
    assert len(original.outcomes) >= 40
    assert len(unrelated.outcomes) >= 10
    assert original.recall_at(5) >= 0.98
    assert unrelated.false_matches == []
