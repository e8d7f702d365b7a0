"""The fact-checking lookup: from a pasted statement to the stored claims that match it.

A fact-checker pastes a statement; `lookup()` returns the published claims that
match it, best first, each with a relevance score in [0, 1] and highlighted
snippets of the claim text and of the cited passages that matched.

The index
    One document per published claim (claims/migrations/0002_search_index.py):
    the claim text, the exact text of its cited passages, and its names
    (citation authors, source titles and outlets), kept in step by database
    triggers on every table it is made of. SQLite: an FTS5 table, porter
    stemmer over unicode61 with diacritics removed. PostgreSQL: stored tsvectors
    with GIN indexes, english stemmer after unaccent. Both index words only
    (punctuation is a separator), so both see a statement the same way.

The query
    The statement is never handed to a full-text query language. It is cut
    into words here (letters and digits; quotes, dashes, operators and all
    other punctuation are separators), lower-cased, stripped of diacritics and
    of English stop words (PostgreSQL's list, so that both databases drop the
    same words) and of one-letter words; each remaining word becomes one quoted
    term (FTS5 `"word"`, tsquery `'word'`), looked up on its own. Stemming
    happens in the database, on the statement and the documents alike.

The score
    How much of the statement a claim accounts for:

        score = sum(weight(t) * field(t, claim)) / sum(weight(t)), over the terms t

    - weight(t): the term's inverse document frequency (counted over claim
      texts and passages), relative to that of a word no claim uses, and never
      below MIN_TERM_WEIGHT: a word found in most claims ("Japan") still says
      what the statement is about. Words written with a capital (names: Skripal,
      Crimea, Abe) count NAME_WEIGHT times; month and day names do not.
    - field(t, claim): FIELD_WEIGHTS — 1 if the claim text has the term, else
      0.6 if a cited passage has it, else 0.4 if a name has it, else 0.

    A long statement (a pasted paragraph) says several things and a claim one:
    past SHORT_STATEMENT_TERMS terms it is cut into sentences (and a long
    sentence into windows), and a claim keeps its best score over them.

    The same formula on both databases, from the same counts, gives the same
    ranking up to the stemmers (porter vs Snowball english). Ties go to the
    claim whose own text matched more, then to the older claim.

The floor
    A claim is returned only if its score is at least RELEVANCE_FLOOR. Words
    the corpus has never seen weigh most, so a statement about something else
    scores near 0. The floor sits between the highest score of an unrelated
    statement and the scores of the claims that the fact-check queries of the
    evaluation set (fixtures/lookup_eval.yaml) should find; `manage.py
    evaluate_lookup` prints both, and docs/lookup.md has the numbers.

Speed
    Terms are looked up one at a time, rarest first, and a claim is scored
    exactly only if it can still make the results (MaxScore pruning, see
    `_Ranking`): a common word is only checked on the claims found by rarer
    ones. Counting a word's claims stops where more would not change its weight
    (`frequency_cap`). The results are those of scoring every claim.

Snippets
    HTML: the text is escaped (`&`, `<`, `>`) and each matched word is wrapped
    in `<mark>…</mark>`. The claim snippet is the claim text; a passage snippet
    is the passage, cut to about SNIPPET_LENGTH characters around its first
    match (with "…" where cut). Only passages with a match are listed, those
    with most matched words first.
"""

from __future__ import annotations

import heapq
import html
import itertools
import json
import math
import re
import threading
import unicodedata
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from operator import itemgetter

from django.db import DEFAULT_DB_ALIAS, connection, connections

from claims.models import Citation, Claim
from sources.integrity import Finding

RELEVANCE_FLOOR = 0.30
"""Lowest score returned; see the module docstring and docs/lookup.md."""

FIELD_WEIGHTS = {"claim": 1.0, "passages": 0.6, "names": 0.4}
NAME_WEIGHT = 2.0
MIN_TERM_WEIGHT = 1 / 3
MAX_TERMS = 128
"""Distinct terms kept from a long statement, the first ones: enough for 2,000 characters."""
SHORT_STATEMENT_TERMS = 24
PART_TERMS = 16
MIN_PART_TERMS = 6
MAX_LIMIT = 50
SNIPPET_LENGTH = 240
COMMON_TERM_CLAIMS = 500
COMPLETION_BATCH = 200
MANY_CLAIMS = 2_000
"""Past this many claims to score, looking the next term up everywhere is cheaper."""
PRECISION = 9
"""Scores are rounded to this many decimals, so that sums in any order compare equal."""
SLACK = 10**-PRECISION
"""Before looking up a term of this many claims, first score the best claims found so far."""

# PostgreSQL's english.stop: the words its english configuration never indexes.
STOP_WORDS = frozenset(
    """
    i me my myself we our ours ourselves you your yours yourself yourselves he him his
    himself she her hers herself it its itself they them their theirs themselves what
    which who whom this that these those am is are was were be been being have has had
    having do does did doing a an the and but if or because as until while of at by for
    with about against between into through during before after above below to from up
    down in out on off over under again further then once here there when where why how
    all any both each few more most other some such no nor not only own same so than too
    very s t can will just don should now
    """.split()  # noqa: SIM905 (a word list reads better as text)
)
CALENDAR_WORDS = frozenset(
    """
    january february march april may june july august september october november december
    monday tuesday wednesday thursday friday saturday sunday
    """.split()  # noqa: SIM905
)
WORD = re.compile(r"[^\W_]+")
SENTENCE_END = re.compile(r"(?<=[.!?;])\s+|\n\s*\n")

# Where a term is found in a claim's document: bits of 3, one group per term.
IN_CLAIM, IN_PASSAGES, IN_NAMES = 1, 2, 4
FIELD_BITS = 3

# Private-use characters: the databases' highlighters wrap matches in them,
# and they become <mark> tags once the text is escaped.
MARK_OPEN, MARK_CLOSE = "\ue000", "\ue001"
PASSAGE_SEPARATOR = "\x1e"  # joins passages in the SQLite index (see the migration)


@dataclass(frozen=True)
class Term:
    """One word of a statement, as it is searched."""

    text: str
    name_like: bool


@dataclass(frozen=True)
class PassageSnippet:
    citation: int
    snippet: str


@dataclass(frozen=True)
class Match:
    """A claim that matches a statement: its pk, score in [0, 1] and HTML snippets."""

    claim: int
    score: float
    claim_snippet: str
    passages: tuple[PassageSnippet, ...]


# --- the statement ---------------------------------------------------------------


def fold(text: str) -> str:
    """Return `text` in compatibility form without diacritics ("Orbán" → "Orban")."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(character for character in decomposed if not unicodedata.combining(character))


@dataclass(frozen=True)
class Statement:
    """A statement as it is searched: its distinct terms, and its parts.

    Each part is a list of indexes into `terms`. A statement of at most
    SHORT_STATEMENT_TERMS terms is one part. A longer one (a pasted paragraph)
    says several things, and a claim states one: it is cut into sentences (a
    sentence of fewer than MIN_PART_TERMS terms joins the next), a long sentence
    into overlapping windows of PART_TERMS terms, and a claim keeps its best
    score over the parts.
    """

    terms: list[Term]
    parts: list[list[int]]


def _words(text: str) -> list[tuple[str, bool]]:
    """The searchable words of `text`, lower-cased, each with whether it looks like a name."""
    words = []
    for word in WORD.findall(fold(text)):
        term = word.lower()
        if term in STOP_WORDS or (len(term) < 2 and not term.isdigit()) or len(term) > 64:
            continue
        words.append((term, word[0].isupper() and term not in CALENDAR_WORDS))
    return words


def _windows(indexes: list[int]) -> list[list[int]]:
    """Overlapping windows of PART_TERMS terms over a long sentence."""
    if len(indexes) <= PART_TERMS:
        return [indexes]
    step = PART_TERMS // 2
    starts = range(0, len(indexes) - PART_TERMS + step, step)
    return [indexes[start : start + PART_TERMS] for start in starts]


def parse_statement(text: str) -> Statement:
    """Cut a statement into the distinct terms it is searched by, and into parts."""
    names: dict[str, bool] = {}
    sentences: list[list[str]] = []
    for sentence in SENTENCE_END.split(text):
        words: list[str] = []
        for term, name_like in _words(sentence):
            if term not in names and len(names) >= MAX_TERMS:
                continue
            names[term] = names.get(term, False) or name_like
            if term not in words:
                words.append(term)
        if words:
            sentences.append(words)
    terms = [Term(term, name_like) for term, name_like in names.items()]
    if len(terms) <= SHORT_STATEMENT_TERMS:
        return Statement(terms, [list(range(len(terms)))] if terms else [])
    position = {term.text: index for index, term in enumerate(terms)}
    parts: list[list[int]] = []
    pending: list[int] = []
    for words in sentences:
        pending += [position[word] for word in words if position[word] not in pending]
        if len(pending) >= MIN_PART_TERMS:
            parts += _windows(pending)
            pending = []
    if pending:
        parts.append(pending)
    return Statement(terms, parts)


def statement_terms(text: str) -> list[Term]:
    """The distinct terms a statement is searched by, in order."""
    return parse_statement(text).terms


# --- the score -------------------------------------------------------------------


def inverse_document_frequency(frequency: int, total: int) -> float:
    """BM25's IDF, kept positive: ln(1 + (N - n + 0.5) / (n + 0.5))."""
    return math.log(1 + (total - frequency + 0.5) / (frequency + 0.5))


def term_weights(terms: Sequence[Term], frequencies: Sequence[int], total: int) -> list[float]:
    """Weigh each term by how rare it is among claims, and more if it looks like a name."""
    unseen = inverse_document_frequency(0, total)
    return [
        max(inverse_document_frequency(frequency, total) / unseen, MIN_TERM_WEIGHT)
        * (NAME_WEIGHT if term.name_like else 1.0)
        for term, frequency in zip(terms, frequencies, strict=True)
    ]


def frequency_cap(total: int) -> int:
    """The document frequency from which a term weighs MIN_TERM_WEIGHT whatever it is.

    Counting a term's claims can stop there: more of them would not change its
    weight.
    """
    # idf(n) = ln((N + 1) / (n + 0.5)) = idf(0) * MIN_TERM_WEIGHT
    unseen = inverse_document_frequency(0, total)
    crossing = (total + 1) / math.exp(unseen * MIN_TERM_WEIGHT) - 0.5
    return max(1, math.ceil(crossing) + 1)


def field_weight(fields: int) -> float:
    """The weight of a term's best field in a claim's document (0 when absent)."""
    if fields & IN_CLAIM:
        return FIELD_WEIGHTS["claim"]
    if fields & IN_PASSAGES:
        return FIELD_WEIGHTS["passages"]
    if fields & IN_NAMES:
        return FIELD_WEIGHTS["names"]
    return 0.0


def fields_of(packed: int, term: int) -> int:
    """The field bits of term number `term` in a claim's packed bits."""
    return (packed >> (FIELD_BITS * term)) & 7


def score(fields: Sequence[int], weights: Sequence[float]) -> float:
    """The share of the statement's weight that a claim's document accounts for."""
    total = sum(weights)
    if not total:
        return 0.0
    return sum(w * field_weight(bits) for bits, w in zip(fields, weights, strict=True)) / total


_second = itemgetter(1)


class _Ranking:
    """Claims found so far for a statement, with bounds on the scores they can reach.

    Terms are looked up one at a time, the rarest first. A claim none of whose
    terms has been looked up yet scores at most the weight of the terms still
    to look up; once that is below the threshold — the floor, or the
    `limit`-th best score already certain — the terms left are only checked in
    the claims that can still make the cut, best bound first (MaxScore
    pruning). The claims that have all the heaviest terms, and before each
    common term the best claims so far, are scored first, to raise the
    threshold early. The result is that of scoring every claim.
    """

    def __init__(self, weights: Sequence[float], parts: Sequence[Sequence[int]], floor: float):
        self.weights = weights
        self.parts = parts
        self.floor = floor
        totals = [sum(weights[i] for i in part) or 1.0 for part in parts]
        # What a term adds to a claim's score in each part, by its field bits.
        self.increments = [
            {i: [weights[i] / total * field_weight(bits) for bits in range(8)] for i in part}
            for part, total in zip(parts, totals, strict=True)
        ]
        self.part_totals = totals
        self.fields: dict[int, int] = {}  # claim: packed field bits of the terms known
        self.partial: list[dict[int, float]] = [{} for _ in parts]  # known score, per part
        self.exact: dict[int, float] = {}  # claims whose every term is known
        self.unknown = set(range(len(weights)))

    def add(self, term: int, postings: dict[int, int]) -> None:
        """Record the claims that have `term` (all of them), with its field bits in each."""
        self.unknown.discard(term)
        self._record(term, postings)

    def _record(self, term: int, postings: dict[int, int]) -> None:
        shift = FIELD_BITS * term
        fields = self.fields
        for claim, bits in postings.items():
            fields[claim] = fields.get(claim, 0) | (bits << shift)
        for increments, partial in zip(self.increments, self.partial, strict=True):
            if term in increments:
                added = increments[term]
                for claim, bits in postings.items():
                    partial[claim] = partial.get(claim, 0.0) + added[bits]

    def known_score(self, claim: int) -> float:
        """A lower bound of the claim's score; its score once its every term is known."""
        if claim in self.exact:
            return self.exact[claim]
        return max(partial.get(claim, 0.0) for partial in self.partial)

    def unknown_bound(self) -> list[float]:
        """Per part, the most that the terms not looked up yet can add to a score."""
        return [
            sum(self.weights[i] for i in part if i in self.unknown) / total
            for part, total in zip(self.parts, self.part_totals, strict=True)
        ]

    def threshold(self, limit: int) -> float:
        """The score a claim must reach to be returned, as far as is known."""
        if len(self.parts) == 1:
            bounds: Iterable[float] = {**self.partial[0], **self.exact}.values()
        else:
            bounds = map(self.known_score, self.fields)
        known = heapq.nlargest(limit, bounds)
        return max(self.floor, known[-1] if len(known) == limit else 0.0)

    def done(self, limit: int) -> bool:
        """Whether no claim not found yet can reach the threshold."""
        return max(self.unknown_bound()) < self.threshold(limit) - SLACK

    def complete(self, index: SearchIndex, terms: Sequence[Term], claims: Iterable[int]) -> None:
        """Look the unknown terms up in these claims, and score them exactly."""
        claims = [claim for claim in claims if claim not in self.exact]
        if not claims:
            return
        found: dict[int, dict[int, int]] = {}
        for term, claim, bit in index.fields(terms, sorted(self.unknown), claims):
            by_claim = found.setdefault(term, {})
            by_claim[claim] = by_claim.get(claim, 0) | bit
        for term, postings in found.items():
            self._record(term, postings)
        for claim in claims:
            self.exact[claim] = round(
                max(partial.get(claim, 0.0) for partial in self.partial), PRECISION
            )

    def raise_threshold(self, index: SearchIndex, terms: Sequence[Term], limit: int) -> None:
        """Score the claims with the best known scores exactly, for a surer threshold."""
        if len(self.parts) == 1:
            known = {**self.partial[0], **self.exact}
            best = [claim for claim, _ in heapq.nlargest(4 * limit, known.items(), key=_second)]
        else:
            best = heapq.nlargest(4 * limit, self.fields, key=self.known_score)
        self.complete(index, terms, best)

    def probe(self, index: SearchIndex, terms: Sequence[Term], limit: int) -> None:
        """Score exactly the claims that have all the heaviest terms, for a high threshold early.

        Asks for the claims with every term, then without the lightest, and so
        on, until there are `limit` of them: the database intersects its lists
        faster than they can be read one by one.
        """
        heaviest = sorted(range(len(terms)), key=lambda i: (-self.weights[i], i))
        found: set[int] = set()
        for size in range(len(heaviest), 1, -1):
            found.update(index.having_all([terms[i] for i in heaviest[:size]], 4 * limit))
            if len(found) >= limit:
                break
        self.complete(index, terms, found)

    def _pending(self, limit: int) -> list[tuple[float, int]]:
        """(upper bound, claim) of the claims not scored yet that can reach the threshold."""
        bound = self.unknown_bound()
        threshold = self.threshold(limit) - SLACK
        if len(self.parts) == 1:
            extra = bound[0]
            upper: Iterable[tuple[float, int]] = (
                (value + extra, claim) for claim, value in self.partial[0].items()
            )
        else:
            upper = (
                (
                    max(p.get(claim, 0.0) + b for p, b in zip(self.partial, bound, strict=True)),
                    claim,
                )
                for claim in self.fields
            )
        return sorted(
            (
                (value, claim)
                for value, claim in upper
                if value >= threshold and claim not in self.exact
            ),
            reverse=True,
        )

    def results(
        self, index: SearchIndex, terms: Sequence[Term], order: Sequence[int], limit: int
    ) -> dict[int, float]:
        """The claims that reach the threshold, each with its score.

        The claims that still can are scored best upper bound first, in growing
        batches, each of which can raise the threshold and spare the rest; while
        there are too many of them, the next term is looked up in every claim
        instead, which costs as much and lowers every bound.
        """
        pending = self._pending(limit)
        while len(pending) > MANY_CLAIMS and self.unknown:
            self.complete(index, terms, (claim for _, claim in pending[:COMPLETION_BATCH]))
            term = next(i for i in order if i in self.unknown)
            self.add(term, index.postings(terms[term]))
            pending = self._pending(limit)
        position, batch = 0, COMPLETION_BATCH
        threshold = self.threshold(limit) - SLACK
        while position < len(pending) and pending[position][0] >= threshold:
            chunk = pending[position : position + batch]
            self.complete(index, terms, (claim for value, claim in chunk if value >= threshold))
            position += batch
            batch *= 4
            threshold = self.threshold(limit) - SLACK
        return {claim: score for claim, score in self.exact.items() if score >= threshold}

    def claim_weight(self, claim: int) -> float:
        """The weight of the statement found in the claim's own text, to break ties."""
        packed = self.fields.get(claim, 0)
        return sum(w for i, w in enumerate(self.weights) if fields_of(packed, i) & IN_CLAIM)


def lookup(text: str, *, limit: int = 10, floor: float = RELEVANCE_FLOOR) -> list[Match]:
    """Return the published claims that match `text`, best first, at most `limit`.

    `floor` is the lowest score returned; lower it only to study the ranking
    (`evaluate_lookup` does, to measure the margin around the floor).
    """
    statement = parse_statement(text)
    terms = statement.terms
    if not terms or limit < 1:
        return []
    index = search_index()
    total, frequencies = index.frequencies(terms)
    weights = term_weights(terms, frequencies, max(total, 1))
    ranking = _Ranking(weights, statement.parts, floor)
    ranking.probe(index, terms, limit)
    order = sorted(range(len(terms)), key=lambda i: (frequencies[i], i))
    for term in order:
        if ranking.done(limit):
            break
        if frequencies[term] >= COMMON_TERM_CLAIMS and ranking.fields:
            ranking.raise_threshold(index, terms, limit)
            if ranking.done(limit):
                break
        ranking.add(term, index.postings(terms[term]))
    if ranking.unknown and ranking.fields:
        ranking.raise_threshold(index, terms, limit)
    scores = ranking.results(index, terms, order, limit)
    best = sorted(
        (claim for claim, value in scores.items() if value >= floor and value > 0),
        key=lambda claim: (-scores[claim], -ranking.claim_weight(claim), claim),
    )[:limit]
    if not best:
        return []
    claim_snippets, passage_snippets = index.highlights(terms, best)
    return [
        Match(
            claim=claim,
            score=scores[claim],
            claim_snippet=claim_snippets.get(claim, ""),
            passages=tuple(passage_snippets.get(claim, ())),
        )
        for claim in best
    ]


class _Counts:
    """Terms' claim counts (`frequencies()`) kept by this process for one version of the corpus."""

    def __init__(self):
        self.version: object = None
        self.counts: dict[str, int] = {}
        self.lock = threading.Lock()

    def frequencies(
        self, index: SearchIndex, terms: Sequence[Term], total: int, version: object
    ) -> list[int]:
        with self.lock:
            if version != self.version:
                self.version, self.counts = version, {}
            known = {
                term.text: self.counts[term.text] for term in terms if term.text in self.counts
            }
        missing = [term for term in terms if term.text not in known]
        if missing:
            counted = dict(
                zip(
                    (term.text for term in missing),
                    index.frequencies(missing, total)[1],
                    strict=True,
                )
            )
            known.update(counted)
            with self.lock:
                if version == self.version:
                    self.counts.update(counted)
        return [known[term.text] for term in terms]


_counts = _Counts()


def score_claims(
    text: str,
    claims: Iterable[int],
    *,
    floor: float = 0.0,
    total: int | None = None,
    version: object = None,
) -> dict[int, Match]:
    """What `lookup` gives each of these claims for `text`, without searching the others.

    For a ranking that has its candidates already (the hybrid lookup's, found by
    meaning): the same weights and exact scores as `lookup`, for a few claims,
    in a few queries rather than a search of the whole index. Claims scoring
    below `floor` (or 0) are left out. `total`: the number of published claims,
    if the caller knows it (it weighs the terms), so that it is not counted again.
    `version`: with `total`, a value that changes whenever a published claim's
    text or passages do (the semantic index's generation): the terms' counts are
    then kept by the process for that version, not counted again for every lookup.
    """
    statement = parse_statement(text)
    terms = statement.terms
    claims = list(claims)
    if not terms or not claims:
        return {}
    index = search_index()
    if total is not None and version is not None:
        frequencies = _counts.frequencies(index, terms, total, version)
    else:
        total, frequencies = index.frequencies(terms, total)
    ranking = _Ranking(term_weights(terms, frequencies, max(total, 1)), statement.parts, floor)
    ranking.complete(index, terms, claims)
    scored = [
        claim for claim in claims if ranking.exact[claim] >= floor and ranking.exact[claim] > 0
    ]
    if not scored:
        return {}
    claim_snippets, passage_snippets = index.highlights(terms, scored)
    return {
        claim: Match(
            claim=claim,
            score=ranking.exact[claim],
            claim_snippet=claim_snippets.get(claim, ""),
            passages=tuple(passage_snippets.get(claim, ())),
        )
        for claim in scored
    }


# --- snippets -----------------------------------------------------------------


def _marked_spans(marked: str) -> tuple[str, list[tuple[int, int]]]:
    """Split highlighter output into plain text and the (start, end) spans it marked."""
    plain: list[str] = []
    spans: list[tuple[int, int]] = []
    position = 0
    start = None
    for character in marked:
        if character == MARK_OPEN:
            start = position
        elif character == MARK_CLOSE:
            if start is not None and start < position:
                spans.append((start, position))
            start = None
        else:
            plain.append(character)
            position += 1
    return "".join(plain), spans


def snippet(marked: str, *, length: int | None = SNIPPET_LENGTH) -> str:
    """Turn highlighter output into an HTML snippet, cut to about `length` characters."""
    text, spans = _marked_spans(marked)
    start, end = 0, len(text)
    if length is not None and len(text) > length:
        first = spans[0][0] if spans else 0
        start = max(0, first - length // 4)
        if start > 0:
            space = text.find(" ", start)
            start = space + 1 if 0 <= space < first else start
        end = min(len(text), start + length)
        if end < len(text):
            space = text.rfind(" ", start, end)
            end = space if space > start else end
    parts = ["…"] if start > 0 else []
    position = start
    for span_start, span_end in spans:
        span_start, span_end = max(span_start, start), min(span_end, end)
        if span_start >= span_end:
            continue
        parts.append(html.escape(text[position:span_start], quote=False))
        parts.append(f"<mark>{html.escape(text[span_start:span_end], quote=False)}</mark>")
        position = span_end
    parts.append(html.escape(text[position:end], quote=False))
    if end < len(text):
        parts.append("…")
    return "".join(parts)


def _passage_snippets(marked_by_citation: dict[int, str]) -> list[PassageSnippet]:
    """Snippets of the passages that matched, most matched words first."""
    matched = [
        (len(_marked_spans(marked)[1]), citation, marked)
        for citation, marked in marked_by_citation.items()
        if MARK_OPEN in marked
    ]
    matched.sort(key=lambda item: (-item[0], item[1]))
    return [
        PassageSnippet(citation=citation, snippet=snippet(marked))
        for _, citation, marked in matched
    ]


def _citations_of(claims: Sequence[int]) -> list[tuple[int, int, str]]:
    """(citation id, claim id, passage text) of these claims' citations, by citation id."""
    return list(
        Citation.objects.filter(claim_id__in=claims)
        .order_by("id")
        .values_list("id", "claim_id", "passage__exact")
    )


# --- the two databases ----------------------------------------------------------


def _fts5_phrase(term: Term) -> str:
    # Terms are letters and digits only, so quoting cannot be escaped from.
    return f'"{term.text}"'


def _tsquery_term(term: Term) -> str:
    # Letters and digits only: nothing in a term can end the quotes.
    return f"'{term.text}'"


class SqliteSearchIndex:
    """The FTS5 table `claims_search(claim, passages, names)`; rowid = claim id."""

    COLUMNS = ((IN_CLAIM, "claim"), (IN_PASSAGES, "passages"), (IN_NAMES, "names"))
    SEEK_CLAIMS = 200

    def frequencies(self, terms: Sequence[Term], total: int | None = None) -> tuple[int, list[int]]:
        """The number of claims, and of claims whose text or passages have each term.

        A count stops at `frequency_cap()`: beyond, a term's weight is the same.
        `total`: the number of published claims, when the caller knows it.
        """
        counts = ", ".join(
            "(SELECT count(*) FROM (SELECT 1 FROM claims_search "
            "WHERE claims_search MATCH %s LIMIT %s))"
            for _ in terms
        )
        with connection.cursor() as cursor:
            if total is None:
                cursor.execute("SELECT count(*) FROM claims_claim WHERE status = 'published'")
                (total,) = cursor.fetchone()
            cap = frequency_cap(total)
            params: list[object] = []
            for term in terms:
                params += [f"{{claim passages}} : {_fts5_phrase(term)}", cap]
            cursor.execute(f"SELECT {counts}", params)
            frequencies = list(cursor.fetchone())
        return total, frequencies

    def postings(self, term: Term) -> dict[int, int]:
        """The claims that have `term`, with its field bits in each."""
        branches = " UNION ALL ".join(
            f"SELECT rowid, {bit:d} FROM claims_search WHERE claims_search MATCH %s"
            for bit, _ in self.COLUMNS
        )
        postings: dict[int, int] = {}
        with connection.cursor() as cursor:
            cursor.execute(
                branches, [f"{column} : {_fts5_phrase(term)}" for _, column in self.COLUMNS]
            )
            for claim, bit in cursor.fetchall():
                postings[claim] = postings.get(claim, 0) | bit
        return postings

    def having_all(self, terms: Sequence[Term], limit: int) -> list[int]:
        """Up to `limit` claims that have all these terms."""
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT rowid FROM claims_search WHERE claims_search MATCH %s LIMIT %s",
                [" AND ".join(_fts5_phrase(term) for term in terms), limit],
            )
            return [claim for (claim,) in cursor.fetchall()]

    def fields(
        self, terms: Sequence[Term], indexes: Sequence[int], claims: Sequence[int]
    ) -> list[tuple[int, int, int]]:
        """(term index, field bit, claim) for these terms found in these claims."""
        if not indexes or not claims:
            return []
        # FTS5 looks a few claims up one by one; for many, `+rowid` makes SQLite
        # read the term's list once and filter it, which is much faster.
        rowid = "rowid" if len(claims) <= self.SEEK_CLAIMS else "+rowid"
        branches, params = [], [json.dumps(list(claims))]
        for index in indexes:
            for bit, column in self.COLUMNS:
                branches.append(
                    f"SELECT {index:d}, rowid, {bit:d} FROM claims_search "
                    f"WHERE claims_search MATCH %s AND {rowid} IN wanted"
                )
                params.append(f"{column} : {_fts5_phrase(terms[index])}")
        with connection.cursor() as cursor:
            cursor.execute(
                "WITH wanted (id) AS MATERIALIZED (SELECT value FROM json_each(%s)) "
                + " UNION ALL ".join(branches),
                params,
            )
            return cursor.fetchall()

    def highlights(
        self,
        terms: Sequence[Term],
        claims: Sequence[int],
        citations: Sequence[tuple[int, int, str]] | None = None,
    ) -> tuple[dict[int, str], dict[int, list[PassageSnippet]]]:
        """HTML snippets of these claims' texts and of their passages that matched.

        `citations`: what `_citations_of()` gives for these claims (or more), if read already.
        """
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT rowid, highlight(claims_search, 0, %s, %s), "
                "highlight(claims_search, 1, %s, %s) FROM claims_search "
                "WHERE claims_search MATCH %s AND rowid IN (SELECT value FROM json_each(%s))",
                [
                    MARK_OPEN,
                    MARK_CLOSE,
                    MARK_OPEN,
                    MARK_CLOSE,
                    " OR ".join(_fts5_phrase(term) for term in terms),
                    json.dumps(list(claims)),
                ],
            )
            rows = cursor.fetchall()
        claim_snippets = {claim: snippet(marked, length=None) for claim, marked, _ in rows}
        # The passages column joins the passages' texts: give each marked piece
        # back to the citation whose passage it is.
        pieces = {
            claim: marked.split(PASSAGE_SEPARATOR) if marked else [] for claim, _, marked in rows
        }
        marked_by_claim: dict[int, dict[int, str]] = {}
        for citation, claim, exact in _citations_of(claims) if citations is None else citations:
            remaining = pieces.get(claim, [])
            for position, marked in enumerate(remaining):
                if _marked_spans(marked)[0] == exact:
                    marked_by_claim.setdefault(claim, {})[citation] = remaining.pop(position)
                    break
        passage_snippets = {
            claim: _passage_snippets(marked) for claim, marked in marked_by_claim.items()
        }
        return claim_snippets, passage_snippets


class PostgresSearchIndex:
    """The table `claims_search(claim_id, claim, passages, names)`: tsvectors, GIN-indexed."""

    CONFIG = "claims_search_english"
    COLUMNS = ((IN_CLAIM, "claim"), (IN_PASSAGES, "passages"), (IN_NAMES, "names"))
    SEEK_CLAIMS = 2_000
    HEADLINE_OPTIONS = f'StartSel="{MARK_OPEN}", StopSel="{MARK_CLOSE}", HighlightAll=true'

    def _tsquery(self) -> str:
        return f"to_tsquery('{self.CONFIG}', %s)"

    def frequencies(self, terms: Sequence[Term], total: int | None = None) -> tuple[int, list[int]]:
        """The number of claims, and of claims whose text or passages have each term.

        A count stops at `frequency_cap()`: beyond, a term's weight is the same.
        `total`: the number of published claims, when the caller knows it.
        """
        query = self._tsquery()
        counts = ", ".join(
            "(SELECT count(*) FROM (SELECT 1 FROM claims_search "
            f"WHERE claim @@ {query} OR passages @@ {query} LIMIT %s) AS found)"
            for _ in terms
        )
        with connection.cursor() as cursor:
            if total is None:
                cursor.execute("SELECT count(*) FROM claims_search")
                (total,) = cursor.fetchone()
            cap = frequency_cap(total)
            params: list[object] = []
            for term in terms:
                params += [_tsquery_term(term), _tsquery_term(term), cap]
            cursor.execute(f"SELECT {counts}", params)
            frequencies = list(cursor.fetchone())
        return total, frequencies

    def postings(self, term: Term) -> dict[int, int]:
        """The claims that have `term`, with its field bits in each."""
        branches = " UNION ALL ".join(
            f"SELECT claim_id, {bit:d} FROM claims_search WHERE {column} @@ {self._tsquery()}"
            for bit, column in self.COLUMNS
        )
        postings: dict[int, int] = {}
        with connection.cursor() as cursor:
            cursor.execute(branches, [_tsquery_term(term)] * len(self.COLUMNS))
            for claim, bit in cursor.fetchall():
                postings[claim] = postings.get(claim, 0) | bit
        return postings

    def having_all(self, terms: Sequence[Term], limit: int) -> list[int]:
        """Up to `limit` claims that have all these terms."""
        query = self._tsquery()
        having = " AND ".join(
            f"(claim @@ {query} OR passages @@ {query} OR names @@ {query})" for _ in terms
        )
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT claim_id FROM claims_search WHERE {having} LIMIT %s",
                [*(_tsquery_term(term) for term in terms for _ in range(3)), limit],
            )
            return [claim for (claim,) in cursor.fetchall()]

    def fields(
        self, terms: Sequence[Term], indexes: Sequence[int], claims: Sequence[int]
    ) -> list[tuple[int, int, int]]:
        """(term index, field bit, claim) for these terms found in these claims."""
        if not indexes or not claims:
            return []
        if len(claims) <= self.SEEK_CLAIMS:
            return self._fields_of_few(terms, indexes, claims)
        # For many, read the term's claims from the GIN indexes (no vector is read)
        # and keep those wanted.
        branches, params = [], []
        for index in indexes:
            for bit, column in self.COLUMNS:
                branches.append(
                    f"SELECT {index:d}, claim_id, {bit:d} FROM claims_search "
                    f"WHERE {column} @@ {self._tsquery()}"
                )
                params.append(_tsquery_term(terms[index]))
        with connection.cursor() as cursor:
            cursor.execute(" UNION ALL ".join(branches), params)
            rows = cursor.fetchall()
        wanted = set(claims)
        return [row for row in rows if row[1] in wanted]

    def _fields_of_few(
        self, terms: Sequence[Term], indexes: Sequence[int], claims: Sequence[int]
    ) -> list[tuple[int, int, int]]:
        """`fields()` for a few claims: their rows read by id, each term tested in each."""
        tests, params = [], []
        for index in indexes:
            for _, column in self.COLUMNS:
                tests.append(f"{column} @@ {self._tsquery()}")
                params.append(_tsquery_term(terms[index]))
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT claim_id, {', '.join(tests)} FROM claims_search WHERE claim_id = ANY(%s)",
                [*params, list(claims)],
            )
            rows = cursor.fetchall()
        found = []
        for claim, *matched in rows:
            for position, hit in enumerate(matched):
                if hit:
                    index = indexes[position // len(self.COLUMNS)]
                    found.append((index, claim, self.COLUMNS[position % len(self.COLUMNS)][0]))
        return found

    def _headline(self, column: str) -> str:
        """SQL marking the matches of the query (first parameter) in `column`."""
        return f"ts_headline('{self.CONFIG}', {column}, {self._tsquery()}, %s)"

    def highlights(
        self,
        terms: Sequence[Term],
        claims: Sequence[int],
        citations: Sequence[tuple[int, int, str]] | None = None,
    ) -> tuple[dict[int, str], dict[int, list[PassageSnippet]]]:
        """HTML snippets of these claims' texts and of their passages that matched.

        `citations` is not needed here: the passages are marked in the same query.
        """
        query = " | ".join(_tsquery_term(term) for term in terms)
        params = [query, self.HEADLINE_OPTIONS, list(claims)]
        claim_text = self._headline('c."text"')
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT c.id, {claim_text} FROM claims_claim AS c WHERE c.id = ANY(%s)", params
            )
            claim_snippets = {
                claim: snippet(marked, length=None) for claim, marked in cursor.fetchall()
            }
            cursor.execute(
                f"SELECT ci.id, ci.claim_id, {self._headline('p.exact')} "
                "FROM claims_citation AS ci JOIN sources_passage AS p ON p.id = ci.passage_id "
                "WHERE ci.claim_id = ANY(%s)",
                params,
            )
            marked_by_claim: dict[int, dict[int, str]] = {}
            for citation, claim, marked in cursor.fetchall():
                marked_by_claim.setdefault(claim, {})[citation] = marked
        passage_snippets = {
            claim: _passage_snippets(marked) for claim, marked in marked_by_claim.items()
        }
        return claim_snippets, passage_snippets


SearchIndex = SqliteSearchIndex | PostgresSearchIndex


def search_index() -> SearchIndex:
    """The index of the database in use."""
    if connection.vendor == "postgresql":
        return PostgresSearchIndex()
    if connection.vendor == "sqlite":
        return SqliteSearchIndex()
    raise NotImplementedError(f"The lookup has no index for {connection.vendor}.")


# --- verification ----------------------------------------------------------------

INDEX_CHUNK = 500
"""Claims checked per round trip by `index_findings`."""


def _documents(
    claims: Sequence[tuple[int, str, str]], using: str
) -> dict[int, tuple[list[str], set[str]]]:
    """Each claim's passages (exact texts) and names, as its index row should hold them."""
    documents: dict[int, tuple[list[str], set[str]]] = {pk: ([], set()) for pk, _, _ in claims}
    citations = (
        Citation.objects.using(using)
        .filter(claim_id__in=list(documents))
        .values_list(
            "claim_id",
            "passage__exact",
            "author__name",
            "passage__source__title",
            "passage__source__outlet",
        )
    )
    for claim, exact, *names in citations.order_by("pk"):
        documents[claim][0].append(exact)
        documents[claim][1].update(name for name in names if name)
    return documents


def _split(joined: str) -> list[str]:
    return joined.split(PASSAGE_SEPARATOR) if joined else []


def _sqlite_row_problems(claims: Sequence[tuple[int, str, str]], using: str) -> dict[int, str]:
    documents = _documents(claims, using)
    with connections[using].cursor() as cursor:
        cursor.execute(
            "SELECT rowid, claim, passages, names FROM claims_search "
            f"WHERE rowid IN ({', '.join(['%s'] * len(claims))})",
            [pk for pk, _, _ in claims],
        )
        rows = {pk: (claim, passages, names) for pk, claim, passages, names in cursor.fetchall()}
    problems = {}
    for pk, _, text in claims:
        if pk not in rows:
            problems[pk] = "published but not in the search index"
            continue
        claim, passages, names = rows[pk]
        wrong = [
            field
            for field, right in (
                ("claim text", claim == text),
                ("passages", sorted(_split(passages)) == sorted(documents[pk][0])),
                ("names", set(_split(names)) == documents[pk][1]),
            )
            if not right
        ]
        if wrong:
            problems[pk] = f"its search index row has stale {', '.join(wrong)}"
    return problems


def _postgres_row_problems(claims: Sequence[tuple[int, str, str]], using: str) -> dict[int, str]:
    # Passages and names are compared without word positions, so that their order does not count.
    documents = _documents(claims, using)
    ids = [pk for pk, _, _ in claims]
    with connections[using].cursor() as cursor:
        cursor.execute(
            """
            SELECT e.id, s.claim_id IS NOT NULL,
                s.claim = claims_search_vector(e.claim),
                strip(s.passages) = strip(claims_search_vector(e.passages)),
                strip(s.names) = strip(claims_search_vector(e.names))
            FROM unnest(%s::bigint[], %s::text[], %s::text[], %s::text[])
                AS e (id, claim, passages, names)
            LEFT JOIN claims_search AS s ON s.claim_id = e.id
            """,
            [
                ids,
                [text for _, _, text in claims],
                [" ".join(documents[pk][0]) for pk in ids],
                [" ".join(sorted(documents[pk][1])) for pk in ids],
            ],
        )
        rows = cursor.fetchall()
    problems = {}
    for pk, indexed, *same in rows:
        if not indexed:
            problems[pk] = "published but not in the search index"
            continue
        wrong = [
            field
            for field, right in zip(("claim text", "passages", "names"), same, strict=True)
            if not right
        ]
        if wrong:
            problems[pk] = f"its search index row has stale {', '.join(wrong)}"
    return problems


STALE_ROWS = {
    "sqlite": """
        SELECT s.rowid FROM claims_search AS s LEFT JOIN claims_claim AS c ON c.id = s.rowid
        WHERE c.id IS NULL OR c.status <> 'published' ORDER BY s.rowid
    """,
    "postgresql": """
        SELECT s.claim_id FROM claims_search AS s LEFT JOIN claims_claim AS c ON c.id = s.claim_id
        WHERE c.id IS NULL OR c.status <> 'published' ORDER BY s.claim_id
    """,
}


def index_findings(
    *, using: str = DEFAULT_DB_ALIAS, chunk_size: int = INDEX_CHUNK
) -> Iterator[Finding | None]:
    """Check the lookup's index against its rows: one result per published claim, then stale rows.

    Every published claim has its row, holding its current text, the exact
    text of its cited passages and its names; no row is left for a claim that
    is gone or not published. None for a right claim, a Finding otherwise.
    """
    row_problems = {
        "sqlite": _sqlite_row_problems,
        "postgresql": _postgres_row_problems,
    }[connections[using].vendor]
    claims = (
        Claim.objects.using(using)
        .filter(status=Claim.Status.PUBLISHED)
        .order_by("pk")
        .values_list("pk", "slug", "text")
        .iterator(chunk_size=chunk_size)
    )
    while batch := list(itertools.islice(claims, chunk_size)):
        problems = row_problems(batch, using)
        for pk, slug, _ in batch:
            yield Finding("claim", pk, slug, problems[pk]) if pk in problems else None
    with connections[using].cursor() as cursor:
        cursor.execute(STALE_ROWS[connections[using].vendor])
        while rows := cursor.fetchmany(chunk_size):
            for (pk,) in rows:
                yield Finding(
                    "search index row", pk, "claims_search", "no published claim has this id"
                )
