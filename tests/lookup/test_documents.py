"""Checking a document: sentences, their offsets, and the claims they match."""

import pytest
from django.core.cache import cache
from django.test import override_settings
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rest_framework.throttling import SimpleRateThrottle

from claims.models import Citation, Claim
from lookup import search
from lookup.documents import (
    LONG_SENTENCE_WORDS,
    MAX_DOCUMENT_LENGTH,
    WINDOW_WORDS,
    checked_spans,
    sentence_spans,
    windows,
)
from sources.anchoring import CONTEXT_LENGTH

pytestmark = pytest.mark.django_db

DIPLOMAT = "new-cold-war-forces-japan-to-choose-sides"
SKRIPAL = "japan-did-not-expel-russian-diplomats-after-skripal"
SKRIPAL_SENTENCE = (
    "Within the G7, Japan was the only country not to expel Russian diplomats following the "
    "Skripal attack."
)
COOKING = """\
How to Make a Proper Risotto

Start with a wide, heavy pan and warm the stock in a second pot beside it. Toast the \
arborio rice in butter for two minutes, until the grains turn glassy at the edges.
Add a splash of dry white wine and stir until it has evaporated. Then ladle in the hot \
stock a little at a time, stirring gently, and wait for each ladleful to be absorbed \
before adding the next.

After about eighteen minutes the rice should be creamy but still firm to the bite. \
Take the pan off the heat, beat in cold butter and grated parmesan, and let it rest \
for a minute. Serve at once in warm bowls!"""


def check(api, text: str, **body):
    return api.post(reverse("claim-check-document"), {"text": text, **body}, format="json")


def sentences(text: str) -> list[str]:
    return [text[start:end] for start, end in sentence_spans(text)]


def cited_pairs(text: str, offset: int, source) -> set[tuple[tuple[int, int], int]]:
    """(sentence span, claim) for each published citation whose passage starts in `text`.

    `text` is `source.text[offset:]` or a part of it; spans are offsets in `text`.
    """
    spans = checked_spans(text)
    pairs = set()
    citations = Citation.objects.filter(
        passage__source=source, claim__status=Claim.Status.PUBLISHED
    ).select_related("passage")
    for citation in citations:
        start = citation.passage.start - offset
        if 0 <= start < len(text):
            pairs |= {((s, e), citation.claim_id) for s, e in spans if s <= start < e}
    return pairs


def returned_pairs(body: dict) -> set[tuple[tuple[int, int], int]]:
    by_uuid = {str(uuid): pk for pk, uuid in Claim.objects.values_list("pk", "uuid")}
    return {
        ((result["sentence"]["start"], result["sentence"]["end"]), by_uuid[match["claim"]["id"]])
        for result in body["results"]
        for match in result["matches"]
    }


def assert_selectors_slice_the_text(text: str, body: dict) -> None:
    for result in body["results"]:
        sentence = result["sentence"]
        start, end = sentence["start"], sentence["end"]
        assert 0 <= start < end <= len(text)
        assert sentence["exact"] == text[start:end]
        assert sentence["prefix"] == text[max(0, start - CONTEXT_LENGTH) : start]
        assert sentence["suffix"] == text[end : end + CONTEXT_LENGTH]


# --- sentences -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "Mr. Abe met Dr. Patrushev in the U.S. capital. Gen. Shoigu was there too.",
            ["Mr. Abe met Dr. Patrushev in the U.S. capital.", "Gen. Shoigu was there too."],
        ),
        (
            "Japan joined the U.S. The U.K. did not. It was Jan. 5, e.g. a Friday.",
            ["Japan joined the U.S. The U.K. did not.", "It was Jan. 5, e.g. a Friday."],
        ),
        (
            "The article is by James D. J. Brown. It appeared in No. 5 of the series.",
            ["The article is by James D. J. Brown.", "It appeared in No. 5 of the series."],
        ),
        (
            "The answer was no. Then they left. Growth was 2.5 percent in 2018. Prices rose.",
            [
                "The answer was no.",
                "Then they left.",
                "Growth was 2.5 percent in 2018.",
                "Prices rose.",
            ],
        ),
    ],
)
def test_sentences_are_not_cut_after_abbreviations_initials_or_decimals(text, expected):
    assert sentences(text) == expected


def test_closing_quotes_stay_with_their_sentence():
    text = "“Will Japan sign?” he asked. “No.” She said: “We will.” Then they left (at noon.) Fine."
    assert sentences(text) == [
        "“Will Japan sign?” he asked.",
        "“No.”",
        "She said: “We will.”",
        "Then they left (at noon.)",
        "Fine.",
    ]


def test_paragraphs_titles_and_speaker_lines_are_sentences_of_their_own():
    text = (
        "Skripal and the West\n\nThe attack came in March. Britain blamed Russia\n"
        "PUTIN:\nWe had nothing to do with it.\r\n\r\n  Japan said little."
    )
    assert sentences(text) == [
        "Skripal and the West",
        "The attack came in March.",
        "Britain blamed Russia",
        "PUTIN:",
        "We had nothing to do with it.",
        "Japan said little.",
    ]


def test_text_wrapped_at_a_fixed_width_is_joined_across_its_line_breaks():
    text = "Japan was the only country\nnot to expel Russian diplomats,\nsaid the report. It was."
    assert sentences(text) == [
        "Japan was the only country\nnot to expel Russian diplomats,\nsaid the report.",
        "It was.",
    ]


def test_a_footnote_number_and_a_missing_space_still_end_a_sentence():
    text = "The agreements were achieved.1 The list is long. It covers Eastern Europe.Abe agreed."
    assert sentences(text) == [
        "The agreements were achieved.1",
        "The list is long.",
        "It covers Eastern Europe.",
        "Abe agreed.",
    ]


def test_offsets_count_python_characters_whatever_the_script():
    text = "𝐉𝐚𝐩𝐚𝐧 😀 refused. Orbán’s Hungary expelled diplomats. 日本は拒否した。"
    spans = sentence_spans(text)
    assert [text[start:end] for start, end in spans] == [
        "𝐉𝐚𝐩𝐚𝐧 😀 refused.",
        "Orbán’s Hungary expelled diplomats.",
        "日本は拒否した。",
    ]
    assert spans[1][0] == len("𝐉𝐚𝐩𝐚𝐧 😀 refused. ")


@settings(max_examples=200, deadline=None)
@given(
    text=st.text(
        alphabet=st.sampled_from(list("ab Ab.?!\n\r\t\u2029”\"')1U.S ")) | st.characters(),
        max_size=200,
    )
)
def test_sentences_cover_every_visible_character_once_in_order_without_spaces_around(text):
    spans = sentence_spans(text)
    covered = 0
    previous_end = 0
    for start, end in spans:
        assert previous_end <= start < end <= len(text)
        assert not text[start].isspace() and not text[end - 1].isspace()
        assert not text[previous_end:start].strip()
        covered += end - start
        previous_end = end
    assert not text[previous_end:].strip()
    assert sum(not c.isspace() for c in text) == sum(
        not c.isspace() for start, end in spans for c in text[start:end]
    )


def test_a_long_sentence_is_cut_into_overlapping_windows_of_words():
    words = [f"w{i}" for i in range(LONG_SENTENCE_WORDS + 45)]
    text = " ".join(words) + "."
    parts = [text[start:end].split() for start, end in windows(text, 0, len(text))]
    assert all(len(part) == WINDOW_WORDS for part in parts)
    assert parts[0][0] == "w0" and parts[-1][-1] == words[-1] + "."
    assert all(set(one) & set(other) for one, other in zip(parts, parts[1:], strict=False))
    assert windows("A short one.", 0, 12) == [(0, 12)]


# --- the endpoint ----------------------------------------------------------------------------


def test_a_seed_article_comes_back_with_its_cited_sentences_matched_to_their_claims(api, corpus):
    source = corpus[DIPLOMAT]
    response = check(api, source.text, limit=10)
    assert response.status_code == 200
    body = response.json()
    assert body["length"] == len(source.text)
    assert_selectors_slice_the_text(source.text, body)
    expected = cited_pairs(source.text, 0, source)
    found = expected & returned_pairs(body)
    assert len(expected) > 50
    # The hybrid lookup finds 57 of this article's 64 (sentence, claim) pairs.
    assert len(found) / len(expected) >= 0.85
    skripal = [r for r in body["results"] if r["sentence"]["exact"] == SKRIPAL_SENTENCE]
    assert skripal[0]["matches"][0]["claim"]["slug"] == SKRIPAL


def test_the_cited_sentences_of_the_skripal_section_are_matched_to_the_claims_citing_them(
    api, corpus
):
    source = corpus[DIPLOMAT]
    start = source.text.index("Skripal, Syria, and the Intensifying Crisis")
    end = source.text.index("This sudden change in posture")
    part = source.text[start:end]
    body = check(api, part, limit=10).json()
    assert_selectors_slice_the_text(part, body)
    expected = cited_pairs(part, start, source)
    assert len(expected) >= 15
    # All but one: a long sentence whose cited passage is a small part of it.
    assert len(expected - returned_pairs(body)) <= 1


def test_an_unrelated_article_matches_nothing(api):
    response = check(api, COOKING)
    assert response.status_code == 200
    body = response.json()
    assert body["results"] == []
    assert body["checked"] >= 6
    assert body["length"] == len(COOKING)


def test_sentences_come_best_first_with_the_lookups_claims_scores_and_highlights(api, corpus):
    text = corpus[DIPLOMAT].text[:3000]
    results = check(api, text, limit=3).json()["results"]
    assert len(results) >= 5
    scores = [result["score"] for result in results]
    assert scores == sorted(scores, reverse=True)
    for result in results[:5]:
        assert result["score"] == result["matches"][0]["score"]
        assert 1 <= len(result["matches"]) <= 3
        looked_up = api.post(
            reverse("claim-lookup"),
            {"text": result["sentence"]["exact"], "limit": 3},
            format="json",
        ).json()["results"]
        assert result["matches"] == looked_up


def test_a_sentence_sharing_fewer_than_three_words_with_any_claim_matches_nothing(api, corpus):
    sentence = "Create a new string object from the given object."
    assert search.lookup(sentence)  # a statement typed into the lookup: its best guesses
    assert check(api, sentence).json()["results"] == []


def test_a_claim_stated_inside_a_run_on_text_is_found_in_its_window(api, corpus):
    filler = " ".join(f"zq{i}x" for i in range(300))
    text = f"{filler} {SKRIPAL_SENTENCE[:-1]} {filler}"
    body = check(api, text).json()
    assert_selectors_slice_the_text(text, body)
    (result,) = body["results"]
    assert result["matches"][0]["claim"]["slug"] == SKRIPAL
    assert "Skripal" in result["sentence"]["exact"]
    assert len(result["sentence"]["exact"].split()) == WINDOW_WORDS


def test_a_repeated_sentence_is_reported_at_each_of_its_places(api, corpus):
    text = f"{SKRIPAL_SENTENCE}\n\n{SKRIPAL_SENTENCE}"
    results = check(api, text).json()["results"]
    assert [r["sentence"]["start"] for r in results] == [0, len(SKRIPAL_SENTENCE) + 2]


@pytest.mark.parametrize(
    "text",
    [
        "x",
        "***",
        "...!?",
        "the and of not",
        "Japan" * 20_000,
        "Japan " * 16_000,
        "Japan expelled Russian diplomats " * 3_000,
        ("Skripal. " * 11_000)[:MAX_DOCUMENT_LENGTH],
        "a" * MAX_DOCUMENT_LENGTH,
        "\n" * 50_000 + "Japan did not expel Russian diplomats.",
        "Japan\x01\x02\x1f expelled\x7f diplomats\u200b\ufeff after Skripal\u2028poisoning.",
        "اليابان لم تطرد الدبلوماسيين الروس. 日本はロシアの外交官を追放しなかった。",
        "😀" * 1000 + " Japan did not expel Russian diplomats.",
        "Mr. U.S. Dr. e.g. No. " * 500,
    ],
)
def test_any_text_is_answered_with_selectors_that_slice_it(api, corpus, text):
    response = check(api, text)
    assert response.status_code == 200
    body = response.json()
    assert body["length"] == len(text)
    assert_selectors_slice_the_text(text, body)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(text=st.text(max_size=500))
def test_any_text_is_a_200_or_a_400_never_a_500(api, text):
    cache.clear()  # keep the throttle out of it
    assert check(api, text).status_code in {200, 400}


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "text"),
        ({"text": ""}, "text"),
        ({"text": " \n\t\u2029 "}, "text"),
        ({"text": ["Japan"]}, "text"),
        ({"text": 5}, "text"),
        ({"text": None}, "text"),
        ({"text": "x" * (MAX_DOCUMENT_LENGTH + 1)}, "text"),
        ({"text": "Japan", "limit": 0}, "limit"),
        ({"text": "Japan", "limit": 11}, "limit"),
        ({"text": "Japan", "limit": "3"}, "limit"),
    ],
)
def test_an_invalid_request_is_a_400_naming_the_field(api, body, field):
    response = api.post(reverse("claim-check-document"), body, format="json")
    assert response.status_code == 400
    assert field in response.json()["errors"]


def test_a_text_of_the_largest_length_is_accepted(api):
    response = check(api, "Skripal " * (MAX_DOCUMENT_LENGTH // 8))
    assert response.status_code == 200


def test_a_nul_character_is_a_400(api):
    assert check(api, "Japan\x00expelled").status_code == 400


def test_a_lone_surrogate_is_a_400_naming_the_text(api):
    body = '{"text": "Japan \\ud800 expelled Russian diplomats"}'
    response = api.post(reverse("claim-check-document"), body, content_type="application/json")
    assert response.status_code == 400
    assert "text" in response.json()["errors"]


@override_settings(DATA_UPLOAD_MAX_MEMORY_SIZE=1_000)
def test_a_body_over_the_request_size_limit_is_a_413(api):
    response = check(api, "Japan did not expel Russian diplomats. " * 100)
    assert response.status_code == 413


def test_a_document_check_counts_against_the_lookups_rate(api, monkeypatch):
    monkeypatch.setitem(SimpleRateThrottle.THROTTLE_RATES, "lookup", "2/minute")
    assert [check(api, SKRIPAL_SENTENCE).status_code for _ in range(2)] == [200, 200]
    assert check(api, SKRIPAL_SENTENCE).status_code == 429
    lookup = api.get(reverse("claim-lookup"), {"q": "Japan expelled Russian diplomats"})
    assert lookup.status_code == 429
    assert api.get(reverse("author-list")).status_code == 200


def test_the_schema_example_is_what_the_endpoint_answers(api, corpus):
    schema = api.get(reverse("schema") + "?format=json").json()
    operation = schema["paths"]["/api/v1/claims/check-document/"]["post"]
    assert operation["tags"] == ["lookup"]
    request = next(
        iter(operation["requestBody"]["content"]["application/json"]["examples"].values())
    )
    examples = operation["responses"]["200"]["content"]["application/json"]["examples"]
    answered = check(api, **request["value"]).json()
    documented = next(iter(examples.values()))["value"]
    without_times = {"created_at", "updated_at", "reviewed_at"}

    def strip(value):
        if isinstance(value, dict):
            return {k: strip(v) for k, v in value.items() if k not in without_times}
        if isinstance(value, list):
            return [strip(item) for item in value]
        return value

    assert strip(answered) == strip(documented)
