"""Find a quote, as a curator copied it, in a source text.

A copied quote rarely equals the archived text character for character: word
processors curl straight quotes, browsers straighten curly ones, dashes turn
into hyphens, line breaks into spaces, and people change case. Anchoring
compares both strings in a *folded* form that ignores those differences, then
maps the match back to offsets in the original text, so that the stored passage
is always the source's own characters.

Folding: typographic quotes, apostrophes and dashes become their ASCII forms,
the ellipsis becomes three dots, letters are lower-cased, invisible characters
(soft hyphen, zero-width space, BOM) disappear, and whitespace is dropped
altogether, so "Europe. Abe" finds "Europe.Abe" and a quote copied across a line
break finds its paragraph.

This module has no Django dependency; `sources.services` wraps it for models.
"""

from __future__ import annotations

from dataclasses import dataclass

CONTEXT_LENGTH = 32
"""Characters of prefix and suffix kept around a passage (W3C TextQuoteSelector)."""

_FOLDED_CHARACTERS = {
    **dict.fromkeys("\u2018\u2019\u201a\u201b\u2032\u0060\u00b4", "'"),
    **dict.fromkeys("\u201c\u201d\u201e\u201f\u2033\u00ab\u00bb", '"'),
    **dict.fromkeys("\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe58\ufe63\uff0d", "-"),
    "\u2026": "...",
    **dict.fromkeys("\u00ad\u200b\u200c\u200d\u2060\ufeff", ""),
}


class AnchorError(ValueError):
    """A quote that cannot be anchored; `code` says why, `candidates` where."""

    def __init__(self, message: str, *, code: str, candidates: tuple[int, ...] = ()):
        super().__init__(message)
        self.code = code
        self.candidates = candidates


@dataclass(frozen=True)
class Anchor:
    """A span of a text: TextPositionSelector and TextQuoteSelector at once."""

    start: int
    end: int
    exact: str
    prefix: str
    suffix: str


def fold(text: str) -> tuple[str, list[int]]:
    """Return the folded form of `text` and, for each folded character, its index in `text`."""
    folded: list[str] = []
    origins: list[int] = []
    for index, character in enumerate(text):
        if character.isspace():
            continue
        replacement = _FOLDED_CHARACTERS.get(character, character).lower()
        folded.append(replacement)
        origins.extend([index] * len(replacement))
    return "".join(folded), origins


def span_at(text: str, start: int, end: int) -> Anchor:
    """Describe the span `text[start:end]` with its selectors."""
    return Anchor(
        start=start,
        end=end,
        exact=text[start:end],
        prefix=text[max(0, start - CONTEXT_LENGTH) : start],
        suffix=text[end : end + CONTEXT_LENGTH],
    )


def find_all(text: str, quote: str) -> list[tuple[int, int]]:
    """Return the (start, end) offsets in `text` of every span matching `quote` once folded."""
    folded_quote, _ = fold(quote)
    if not folded_quote:
        return []
    folded_text, origins = fold(text)
    spans = []
    position = folded_text.find(folded_quote)
    while position != -1:
        last = position + len(folded_quote) - 1
        # One character can fold into several ("…" into "..."): a match must
        # take all of them or none, so that the span folds back to the quote.
        starts_whole = position == 0 or origins[position - 1] != origins[position]
        ends_whole = last + 1 == len(origins) or origins[last + 1] != origins[last]
        if starts_whole and ends_whole:
            spans.append((origins[position], origins[last] + 1))
        position = folded_text.find(folded_quote, position + 1)
    return spans


def anchor(text: str, quote: str) -> Anchor:
    """Return the one span of `text` that `quote` stands for, or raise AnchorError."""
    if not fold(quote)[0]:
        raise AnchorError("The quote is empty.", code="empty")
    spans = find_all(text, quote)
    if not spans:
        raise AnchorError(
            "The quote does not occur in the source text, even ignoring case, whitespace, "
            "and typographic quotes and dashes.",
            code="not_found",
        )
    if len(spans) > 1:
        starts = tuple(start for start, _ in spans)
        raise AnchorError(
            f"The quote occurs {len(spans)} times in the source text (at offsets "
            f"{', '.join(map(str, starts))}); quote more of the surrounding text to pick one.",
            code="ambiguous",
            candidates=starts,
        )
    start, end = spans[0]
    return span_at(text, start, end)
