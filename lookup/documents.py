"""Check a whole document: the sentences of a posted text that stored claims speak to.

A fact-checker posts an article or a transcript; `check_document()` cuts it
into sentences, looks each one up, and returns the sentences that match
published claims, best first, each with its offsets in the posted text and its
matching claims. Sentences that match nothing are left out.

Sentences
    `sentence_spans()` cuts a text at sentence ends — `.`, `!`, `?` or `…`,
    with any closing quotes, brackets and footnote numbers after them
    ("achieved.1 The"), followed by whitespace and by something that can
    start a sentence (not a lower-case letter) — except after an abbreviation
    (Mr., Dr., Gen., Jan., No., e.g.), a dotted acronym (U.S., U.K.) or an
    initial (James D. J. Brown) — and at a full stop glued to the next
    sentence ("Eastern Europe.Abe", as text copied from a web page often
    has). A blank line always ends a sentence, and so
    does a line break, unless the next line goes on in lower case (text
    wrapped at a fixed width) or the line ends with a comma or a dash: a
    title or a speaker's line is its own sentence. Offsets count characters of
    the Python string (code points), as passages do (`sources.anchoring`),
    and each span is trimmed of surrounding whitespace, so
    `text[start:end]` is the sentence itself.

    A sentence of more than LONG_SENTENCE_WORDS words (a run-on transcript, a
    text without punctuation) is cut into overlapping windows of WINDOW_WORDS
    words, each looked up and reported on its own.

What is looked up
    A sentence with fewer than MIN_SENTENCE_TERMS distinct searchable words
    (a title, "He agreed.", a speaker's name) asserts nothing checkable and is
    not looked up; a sentence repeated word for word is looked up once. A
    claim matches a sentence as it matches a statement in the lookup (same
    score, same floor: acceptance on the meaning's similarity, which keeps
    out sentences that share only a few common words with a claim).
    `_match_sentences()` is the one place that turns sentences into matches:
    the hybrid lookup's `lookup_many()`, which gives each sentence what the
    API's lookup would, encoding all the sentences in one batch.

The order
    A sentence's score is that of its best claim; sentences go best first,
    then in the order of the text.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from lookup import hybrid, search
from lookup.hybrid import HybridMatch

MAX_DOCUMENT_LENGTH = 100_000
"""Characters of text checked at most (about 15,000 words: a long article or transcript)."""

MIN_SENTENCE_TERMS = 3
"""Distinct searchable words a sentence needs to be looked up, and to share with a claim."""
LONG_SENTENCE_WORDS = 60
WINDOW_WORDS = 40
WINDOW_STEP = 20

# Lower-cased, without the final dot. Not "etc." nor "May": they often end a sentence.
ABBREVIATIONS = frozenset(
    """
    mr mrs ms mx dr prof rev fr sr jr st mt ft gen lt col maj capt cmdr adm sgt cpl gov
    sen rep pres amb hon supt insp det messrs mme mlle
    jan feb mar apr jun jul aug sep sept oct nov dec
    approx dept est inc corp ltd co bros vs cf al ca viz
    """.split()  # noqa: SIM905 (a word list reads better as text)
)
# Abbreviations only before a number: "No. 5", "pp. 12", but "the answer was no."
NUMBER_ABBREVIATIONS = frozenset(
    ["no", "nos", "vol", "vols", "pp", "para", "art", "fig", "sec", "ch"]
)

CLOSERS = "\"'\u201d\u2019\u00bb)\\]"
# A sentence end: terminators, closing quotes or brackets, or a footnote number right
# after a word's full stop ("achieved.1"); then whitespace and more text.
SENTENCE_END = re.compile(
    rf"(?P<stop>[.!?\u2026]+)(?:[{CLOSERS}]+|(?<=[^\W\d_][.!?])\d{{1,3}})?(?=\s+\S)"
)
# A full stop with no space after it, between two words: "in Eastern Europe.Abe reiterated".
GLUED_SENTENCE_END = re.compile(r"(?<=[^\W\d_]{2})[.!?](?=[A-Z][a-z])")
LINE_BREAK = re.compile(r"\r\n?|\n|\u2028|\u2029|\x85|\x0b|\x0c")
WORD_BEFORE = re.compile(r"[^\W_]+(?:\.[^\W_]+)*\Z")
NON_SPACE = re.compile(r"\S+")
DIGIT = re.compile(r"\s*\d")
CONTINUES_LINE = ",-\u2010\u2013\u2014("


@dataclass(frozen=True)
class SentenceMatch:
    """A sentence (or a window of a long one) of the text, and the claims that match it."""

    start: int
    end: int
    matches: tuple[HybridMatch, ...]

    @property
    def score(self) -> float:
        return self.matches[0].score


# --- sentences ---------------------------------------------------------------------------


def _is_abbreviation(text: str, dot: int) -> bool:
    """Whether the `.` at `dot` closes an abbreviation, an initial or a dotted acronym."""
    found = WORD_BEFORE.search(text[max(0, dot - 64) : dot])
    if not found:
        return False
    word = found.group()
    if "." in word:  # U.S, e.g, a.m
        return True
    if len(word) == 1 and word.isalpha():  # an initial: D. J. Brown
        return True
    if word.lower() in NUMBER_ABBREVIATIONS:
        return bool(DIGIT.match(text, dot + 1))
    return word.lower() in ABBREVIATIONS


def _line_cuts(text: str) -> list[tuple[int, int]]:
    """(end, start) pairs at the line breaks that end a sentence.

    A blank line always does; a single line break does unless the next line goes on
    in lower case or the line ends with a comma or a dash.
    """
    cuts = []
    position = 0
    while found := LINE_BREAK.search(text, position):
        following = NON_SPACE.search(text, found.end())
        if following is None:
            break
        position = following.start()  # the line breaks before it are blank lines
        blank = LINE_BREAK.search(text, found.end(), following.start()) is not None
        last = text[max(0, found.start() - 100) : found.start()].rstrip()[-1:]
        if not blank and (following.group()[0].islower() or (last and last in CONTINUES_LINE)):
            continue
        cuts.append((found.start(), following.start()))
    return cuts


def _punctuation_cuts(text: str) -> list[tuple[int, int]]:
    """(end, start) pairs after the terminators that end a sentence."""
    cuts = []
    for found in SENTENCE_END.finditer(text):
        following = NON_SPACE.search(text, found.end())
        if following.group()[0].islower():
            continue
        if found.group("stop") == "." and _is_abbreviation(text, found.start()):
            continue
        cuts.append((found.end(), following.start()))
    for found in GLUED_SENTENCE_END.finditer(text):
        if text[found.start() - 1].islower() and not (
            found.group() == "." and _is_abbreviation(text, found.start())
        ):
            cuts.append((found.end(), found.end()))
    return cuts


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """The (start, end) offsets of the sentences of `text`, in order, trimmed of whitespace."""
    cuts = sorted({*_line_cuts(text), *_punctuation_cuts(text)})
    spans = []
    position = 0
    for end, start in [*cuts, (len(text), len(text))]:
        if end < position:
            continue
        span = _trimmed(text, position, end)
        if span:
            spans.append(span)
        position = max(position, start)
    return spans


def _trimmed(text: str, start: int, end: int) -> tuple[int, int] | None:
    """The span without its surrounding whitespace, or None if nothing else is left."""
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return (start, end) if start < end else None


def windows(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """The span itself, or overlapping windows of WINDOW_WORDS words if it is too long."""
    words = [found.span() for found in NON_SPACE.finditer(text, start, end)]
    if len(words) <= LONG_SENTENCE_WORDS:
        return [(start, end)]
    last = len(words) - WINDOW_WORDS
    starts = [*range(0, last, WINDOW_STEP), last]
    return [(words[first][0], words[first + WINDOW_WORDS - 1][1]) for first in starts]


def checked_spans(text: str) -> list[tuple[int, int]]:
    """The spans of `text` that are looked up: its sentences, long ones in windows."""
    return [window for span in sentence_spans(text) for window in windows(text, *span)]


def is_checkable(sentence: str) -> bool:
    """Whether a sentence has words enough to state something a claim can speak to."""
    return len(search.statement_terms(sentence)) >= MIN_SENTENCE_TERMS


# --- matching ----------------------------------------------------------------------------


def _match_sentences(texts: Sequence[str], limit: int) -> list[list[HybridMatch]]:
    """The claims that match each text, best first, at most `limit` each: the API lookup's."""
    return hybrid.lookup_many(texts, limit=limit)


def check_document(text: str, *, limit: int) -> tuple[list[SentenceMatch], int, int]:
    """Return the sentences of `text` that match claims, best first, with up to `limit` claims.

    Also return how many spans the text was cut into, and how many were looked up.
    """
    spans = checked_spans(text)
    checkable = [span for span in spans if is_checkable(text[span[0] : span[1]])]
    distinct = list(dict.fromkeys(text[start:end] for start, end in checkable))
    found = dict(zip(distinct, _match_sentences(distinct, limit), strict=True))
    matched = [
        SentenceMatch(start, end, tuple(found[text[start:end]]))
        for start, end in checkable
        if found[text[start:end]]
    ]
    matched = _without_repeated_windows(matched)
    matched.sort(key=lambda sentence: (-sentence.score, sentence.start))
    return matched, len(spans), len(checkable)


def _without_repeated_windows(matched: list[SentenceMatch]) -> list[SentenceMatch]:
    """Keep each claim only in the best of the overlapping windows that match it."""
    kept: list[SentenceMatch] = []
    for sentence in matched:
        overlapping = [other for other in matched if _overlap(sentence, other)]
        matches = tuple(
            match
            for match in sentence.matches
            if not any(_better(other, sentence, match.claim) for other in overlapping)
        )
        if matches:
            kept.append(SentenceMatch(sentence.start, sentence.end, matches))
    return kept


def _overlap(one: SentenceMatch, other: SentenceMatch) -> bool:
    return one is not other and one.start < other.end and other.start < one.end


def _better(other: SentenceMatch, sentence: SentenceMatch, claim: int) -> bool:
    """Whether `other` matches `claim` better than `sentence` does (earlier on a tie)."""
    mine = next(match.score for match in sentence.matches if match.claim == claim)
    theirs = next((match.score for match in other.matches if match.claim == claim), None)
    return theirs is not None and (theirs, -other.start) > (mine, -sentence.start)
