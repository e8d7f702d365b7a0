import re

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from sources.anchoring import CONTEXT_LENGTH, AnchorError, anchor, find_all, fold
from tests.conftest import SEED_NAMES, seed_text

TYPOGRAPHIC_TO_ASCII = str.maketrans({"’": "'", "‘": "'", "“": '"', "”": '"', "–": "-", "—": "-"})


def straighten(quote: str) -> str:
    return quote.translate(TYPOGRAPHIC_TO_ASCII).replace("…", "...")


def collapse_whitespace(quote: str) -> str:
    return re.sub(r"\s+", " ", quote).strip()


def real_passages(text: str) -> list[tuple[int, int]]:
    """Sentences of `text` that contain typography worth testing and occur once."""
    spans = []
    for match in re.finditer(r"[^.!?\n]{40,400}[.!?]", text):
        start, end = match.span()
        while text[start].isspace():
            start += 1
        if len(find_all(text, text[start:end])) == 1:
            spans.append((start, end))
    return spans


def test_anchor_finds_quote_typed_with_straight_apostrophes():
    text = "Abe’s purposeful diplomacy with Putin carefully balances Japan’s many interests."
    found = anchor(text, "Abe's purposeful diplomacy")
    assert (found.start, found.end) == (0, 26)
    assert found.exact == "Abe’s purposeful diplomacy"


def test_anchor_returns_the_source_characters_not_the_quote():
    text = "He said “it is possible to resolve any diplomatic problem.” Then he left."
    found = anchor(text, '"IT IS POSSIBLE to resolve   any diplomatic problem."')
    assert found.exact == "“it is possible to resolve any diplomatic problem.”"
    assert text[found.start : found.end] == found.exact


def test_anchor_ignores_missing_or_extra_whitespace():
    text = "in Eastern Europe.Abe reiterated this commitment"
    assert anchor(text, "Eastern Europe. Abe reiterated").exact == "Eastern Europe.Abe reiterated"
    assert anchor(text, "Eastern\n  Europe.Abe").exact == "Eastern Europe.Abe"


def test_anchor_matches_ellipsis_typed_as_three_dots():
    text = "Abe promised “Japan … will do everything possible”."
    assert anchor(text, "Japan ... will do").exact == "Japan … will do"


def test_anchor_matches_dashes_typed_as_hyphens():
    text = "Japan-Russia Relations – 5 and the 1985–91 talks"
    assert anchor(text, "Relations - 5").exact == "Relations – 5"
    assert anchor(text, "1985-91").exact == "1985–91"


def test_anchor_gives_w3c_prefix_and_suffix_of_32_characters():
    text = "a" * 50 + "needle" + "b" * 50
    found = anchor(text, "needle")
    assert found.prefix == "a" * CONTEXT_LENGTH
    assert found.suffix == "b" * CONTEXT_LENGTH


def test_anchor_prefix_and_suffix_stop_at_the_text_edges():
    found = anchor("needle in a haystack", "needle")
    assert found.prefix == ""
    assert found.suffix == " in a haystack"


@pytest.mark.parametrize("quote", ["", "   ", "\n\t", "\u200b"])
def test_anchor_refuses_an_empty_quote(quote):
    with pytest.raises(AnchorError) as refused:
        anchor("Some text.", quote)
    assert refused.value.code == "empty"


def test_anchor_refuses_an_absent_quote_and_says_so():
    text = seed_text("004_1e5d8e867c144926.txt")
    with pytest.raises(AnchorError) as refused:
        anchor(text, "Japan expelled every Russian diplomat in Tokyo")
    assert refused.value.code == "not_found"
    assert "does not occur" in str(refused.value)


def test_anchor_refuses_an_ambiguous_quote_and_lists_the_candidates():
    text = seed_text("003_3d6b0faac908aaff.txt")
    with pytest.raises(AnchorError) as refused:
        anchor(text, "Abe's courtship has so far yielded little for Japan")
    assert refused.value.code == "ambiguous"
    assert len(refused.value.candidates) == 2
    for start in refused.value.candidates:
        assert text[start:].startswith("Abe’s courtship")
        assert str(start) in str(refused.value)


@pytest.mark.parametrize("name", SEED_NAMES)
def test_anchor_finds_real_passages_of_every_seed_file_however_they_were_copied(name):
    text = seed_text(name)
    spans = real_passages(text)
    assert len(spans) >= 20, "every seed file has many distinct sentences"
    for start, end in spans:
        original = text[start:end]
        for copy in (
            straighten(original),
            collapse_whitespace(original),
            original.upper(),
            straighten(collapse_whitespace(original)).lower(),
        ):
            found = anchor(text, copy)
            assert (found.start, found.end) == (start, end), copy


def test_seed_files_contain_the_typography_the_anchoring_must_bridge():
    texts = "".join(seed_text(name) for name in SEED_NAMES)
    for character in "’“”–—…":
        assert character in texts


@settings(max_examples=200, suppress_health_check=[HealthCheck.too_slow])
@given(
    name=st.sampled_from(SEED_NAMES),
    start_fraction=st.floats(min_value=0, max_value=1),
    length=st.integers(min_value=12, max_value=300),
    transform=st.sampled_from([straighten, collapse_whitespace, str.upper, str.lower]),
)
def test_anchor_recovers_any_unique_span_of_a_seed_text(name, start_fraction, length, transform):
    text = seed_text(name)
    start = int(start_fraction * (len(text) - length))
    original = text[start : start + length].strip()
    assume(fold(original)[0] and len(find_all(text, original)) == 1)
    found = anchor(text, transform(original))
    assert found.exact == original
    assert text[found.start : found.end] == found.exact


@given(text=st.text(min_size=1, max_size=200), quote=st.text(max_size=20))
def test_anchor_either_returns_an_exact_span_or_raises(text, quote):
    try:
        found = anchor(text, quote)
    except AnchorError as error:
        assert error.code in {"empty", "not_found", "ambiguous"}
    else:
        assert text[found.start : found.end] == found.exact
        assert fold(found.exact)[0] == fold(quote)[0]
