"""The hybrid lookup: claims that say what a statement says, in its words or in others.

Two signals per claim:

- meaning: the cosine similarity of the statement's sentence embedding with the
  claim's best embedded text (its own text or a cited passage; lookup/index.py).
  A statement of several sentences is also embedded sentence by sentence, and
  the best of its parts counts.
- words: the word lookup's score (lookup/search.py), the share of the
  statement's weighted words that the claim accounts for.

The score
    score = similarity + WORD_WEIGHT * words * (1 - similarity), in [0, 1]
    (a negative similarity counts as 0): the words lift the similarity part of
    the way to 1, so the score is never below the similarity (nor the floor),
    and in "semantic" mode it is the similarity. The words weigh little: they break ties
    between claims the meaning already ranks close, and lift an exact rewording
    above a looser one, but cannot carry an unrelated claim — a plain
    reciprocal-rank fusion, which gives the word ranking as much say as the
    meaning's, ranked paraphrases worse.

The floor
    A claim is returned only if its similarity is at least SEMANTIC_FLOOR,
    whatever its words: a statement on the corpus's own subjects shares names
    with many claims ("Sochi", "Abe", "Japan") without saying what any of them
    says, and only the meaning tells the two apart. docs/lookup.md gives the
    principle of its value and the margins measured on the evaluation set.

Each result says which signals matched: "meaning" (always, given the floor)
and "words" when the word lookup found the claim (a score of at least
WORD_CANDIDATE_FLOOR); then the snippets mark the words that matched.

Cost
    The claims are ranked by meaning first; when every published claim is
    embedded, only the candidates' words are scored (`search.score_claims`), so
    a lookup reads the word index for at most SEMANTIC_CANDIDATES claims, not
    for every claim that shares a word with the statement.

Claims not embedded yet
    A write through the API or the admin is embedded at the next lookup; a bulk
    import of more than SYNC_CHANGES changes waits for `manage.py reindex`
    (lookup/index.py). Until then the whole word index is searched, and those
    claims are found by their words alone, at the word lookup's own floor:
    "words" is their only signal and their similarity reads 0.
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from claims.models import Claim
from lookup import search
from lookup.encoder import get_encoder
from lookup.index import VectorIndex, catch_up, current_index
from lookup.metonyms import resolve
from lookup.search import MAX_LIMIT, SENTENCE_END, PassageSnippet

SEMANTIC_FLOOR = 0.64
"""Lowest similarity of a returned claim; see the module docstring and docs/lookup.md."""
WORD_WEIGHT = 0.1
WORD_CANDIDATE_FLOOR = 0.15
"""Word matches below this score are not worth the blend (they add at most 0.015)."""
SEMANTIC_CANDIDATES = 50
MODES = ("hybrid", "semantic", "words")
MEANING, WORDS = "meaning", "words"


@dataclass(frozen=True)
class HybridMatch:
    """A claim that matches a statement: its pk, score in [0, 1], signals and HTML snippets."""

    claim: int
    score: float
    similarity: float
    words: float
    matched: tuple[str, ...]
    claim_snippet: str
    passages: tuple[PassageSnippet, ...] = field(default=())


CLAUSE_END = re.compile(r",\s+(?:and|but|while|whereas)\s+|;\s+|:\s+")
"""Where a sentence joins statements: ", and", ", but", ", while", ";" and ":"."""
MIN_CLAUSE_WORDS = 4


def statement_parts(text: str) -> list[str]:
    """The statement, its sentences when it has several, and the clauses of each.

    A claim states one thing; a sentence of a pasted paragraph often joins
    several ("…travelling to Sochi…, and he even created a cabinet minister…"),
    and its embedding is the average of them all. Each part is embedded and a
    claim keeps its best similarity over them.

    A statement that names countries by their capitals ("Tokyo sanctioned
    Moscow") also has the parts of its version with the countries' names
    (lookup/metonyms.py), which is how claims are written.
    """
    resolved = resolve(text)
    if resolved != text:
        return _parts(text) + _parts(resolved)
    return _parts(text)


def _parts(text: str) -> list[str]:
    sentences = [part.strip() for part in SENTENCE_END.split(text) if part.strip()]
    parts = [text] + sentences if len(sentences) > 1 else [text]
    for sentence in sentences:
        clauses = [
            clause.strip()
            for clause in CLAUSE_END.split(sentence)
            if len(clause.split()) >= MIN_CLAUSE_WORDS
        ]
        if len(clauses) > 1:
            parts.extend(clauses)
    return parts


def lookup(
    text: str, *, limit: int = 10, mode: str = "hybrid", floor: float = SEMANTIC_FLOOR
) -> list[HybridMatch]:
    """Return the published claims that match `text`, best first, at most `limit`.

    `mode`: "hybrid" (meaning and words), "semantic" (meaning only) or "words"
    (the word lookup alone, whose own floor applies). `floor` is the lowest
    similarity returned; lower it only to study the ranking.
    """
    return lookup_many([text], limit=limit, mode=mode, floor=floor)[0]


def semantic_lookup(
    text: str, *, limit: int = 10, floor: float = SEMANTIC_FLOOR
) -> list[HybridMatch]:
    """The lookup by meaning alone (the evaluation's "semantic" mode)."""
    return lookup(text, limit=limit, mode="semantic", floor=floor)


def lookup_many(
    texts: Sequence[str], *, limit: int = 10, mode: str = "hybrid", floor: float = SEMANTIC_FLOOR
) -> list[list[HybridMatch]]:
    """`lookup` for several statements at once: one encoding batch, one pass over the index."""
    if mode not in MODES:
        raise ValueError(f"Unknown lookup mode {mode!r}: one of {', '.join(MODES)}.")
    limit = min(limit, MAX_LIMIT)
    if not texts or limit < 1:
        return [[] for _ in texts]
    if mode == "words":
        return [_words_only(text, limit) for text in texts]
    complete = catch_up()  # False: more changes wait than a lookup follows (an import)
    index = current_index(sync=False)
    parts = [statement_parts(text) for text in texts]
    vectors = get_encoder().encode([part for group in parts for part in group])
    # (statements, claims): each claim's best similarity over a statement's parts
    similarities = index.similarities(vectors, groups=[len(group) for group in parts])
    results = [
        _rank(text, best, index, limit, mode, floor, complete)
        for text, best in zip(texts, similarities, strict=True)
    ]
    _add_claim_snippets(results)
    return results


def _rank(
    text: str,
    similarity: np.ndarray,
    index: VectorIndex,
    limit: int,
    mode: str,
    floor: float,
    complete: bool,
) -> list[HybridMatch]:
    """Rank the claims whose similarity reaches `floor`, blended with their words.

    `complete`: every published claim is embedded. Then only the candidates' words
    are scored; otherwise the whole word index is searched, for the claims not
    embedded yet.
    """
    accepted = np.flatnonzero(similarity >= floor)
    if len(accepted) > SEMANTIC_CANDIDATES:
        accepted = accepted[np.argsort(-similarity[accepted])[:SEMANTIC_CANDIDATES]]
    candidates = {int(index.claims[i]): float(similarity[i]) for i in accepted}
    words: dict[int, search.Match] = {}
    found = []
    if mode == "hybrid" and complete:
        # Every published claim is in the index: its claims are the count the words need.
        words = search.score_claims(
            text,
            candidates,
            floor=WORD_CANDIDATE_FLOOR,
            total=len(index.claims),
            version=index.generation,  # moves with every change of an embedded text
        )
    elif mode == "hybrid":
        matches = search.lookup(text, limit=MAX_LIMIT, floor=WORD_CANDIDATE_FLOOR)
        embedded = np.isin([match.claim for match in matches], index.claims)
        for match, is_embedded in zip(matches, embedded, strict=True):
            if is_embedded:
                words[match.claim] = match
            elif match.score >= search.RELEVANCE_FLOOR:
                # Not embedded yet (a bulk import waiting for `manage.py reindex`): the
                # words alone, at the word lookup's own floor, until it is.
                found.append(_by_words(match))
    for claim, meaning in candidates.items():
        meaning = max(meaning, 0.0)
        word_match = words.get(claim)
        word_score = word_match.score if word_match else 0.0
        matched = (MEANING, WORDS) if word_match else (MEANING,)
        found.append(
            HybridMatch(
                claim=claim,
                score=min(meaning + WORD_WEIGHT * word_score * (1 - meaning), 1.0),
                similarity=meaning,
                words=word_score,
                matched=matched,
                claim_snippet=word_match.claim_snippet if word_match else "",
                passages=word_match.passages if word_match else (),
            )
        )
    found.sort(key=lambda match: (-match.score, -match.similarity, match.claim))
    return found[:limit]


def _words_only(text: str, limit: int) -> list[HybridMatch]:
    return [_by_words(match) for match in search.lookup(text, limit=limit)]


def _by_words(match: search.Match) -> HybridMatch:
    """A claim found by its words alone: their score is its score."""
    return HybridMatch(
        claim=match.claim,
        score=match.score,
        similarity=0.0,
        words=match.score,
        matched=(WORDS,),
        claim_snippet=match.claim_snippet,
        passages=match.passages,
    )


def _add_claim_snippets(results: list[list[HybridMatch]]) -> None:
    """A claim found by its meaning alone shows its text, escaped, with nothing marked."""
    bare = {match.claim for matches in results for match in matches if not match.claim_snippet}
    if not bare:
        return
    texts = dict(Claim.objects.filter(pk__in=bare).values_list("pk", "text"))
    for matches in results:
        for i, match in enumerate(matches):
            if not match.claim_snippet:
                matches[i] = HybridMatch(
                    **{
                        **match.__dict__,
                        "claim_snippet": html.escape(texts.get(match.claim, ""), quote=False),
                    }
                )
