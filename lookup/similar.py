"""Stored claims that say what a statement says: duplicates caught before they are stored."""

from collections.abc import Collection

from lookup.search import lookup

SAME_STATEMENT_FLOOR = 0.70
"""Lowest lookup score of a claim that says what the statement says.

On the seed corpus, a claim reworded slightly (other tense, a synonym, words
moved: "Japan expelled no Russian diplomats after Skripal was poisoned") scores
0.75–1.0 against the stored claim, and claims on the same event that say
something else score at most 0.73 for such a rewording: 10 of the 209 seed
claims' own texts reach 0.70 against another claim (statements on the same
event, worth a look when writing either). Unrelated statements score below
0.26. See docs/lookup.md.
"""


def similar_claims(
    text: str, *, exclude: Collection[int] | None = None, limit: int = 5
) -> list[tuple[int, float]]:
    """The published claims that say what `text` says, best first: [(claim pk, score)].

    Today: the word lookup, above a floor much stricter than its relevance floor.
    """
    exclude = set(exclude or ())
    matches = lookup(text, limit=limit + len(exclude), floor=SAME_STATEMENT_FLOOR)
    return [(match.claim, match.score) for match in matches if match.claim not in exclude][:limit]
