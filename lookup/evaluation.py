"""Measure the fact-checking lookup on its evaluation set (fixtures/lookup_eval.yaml).

Needs the seed corpus in the database (`manage.py load_corpus`). Used by
`manage.py evaluate_lookup`, which prints the numbers, and by the tests that
guard them.

The set is four sets, scored apart: two of fact-check queries, each with the
claim it should find — `original` (rewordings) and `paraphrase` (the same
facts in other words) — and two of statements that should find nothing —
`near-topic` (on the corpus's own subjects) and `unrelated`.

Each way of searching is a mode in MODES: a name and a function
`search(text, *, limit, floor=<its own floor>)` returning results best first,
each with the claim's pk (`claim`) and its `score`, like `lookup.search.Match`.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import yaml
from django.conf import settings

from claims.corpus import LOOKUP_EVAL_FILE
from claims.models import Citation, Claim
from lookup import hybrid
from lookup.search import Match, lookup
from sources.anchoring import anchor
from sources.models import Source

RANKS_SCORED = 10
"""Ranks counted by MRR: an expected claim below this rank scores 0."""

UNFLOORED_RESULTS = 50
"""Results read, with no floor, to find an expected claim's score."""

Search = Callable[..., Sequence[Match]]

MODES: dict[str, Search] = {
    "words": lookup,
    "semantic": hybrid.semantic_lookup,
    "hybrid": hybrid.lookup,
}
"""The ways of searching that can be evaluated, by name."""

ORIGINAL = "original"
PARAPHRASE = "paraphrase"
NEAR_TOPIC = "near-topic"
UNRELATED = "unrelated"


@dataclass(frozen=True)
class Query:
    text: str
    claim: str  # corpus key, i.e. the claim's slug
    source: str
    passage: str  # a quote of the passage that should be found


@dataclass(frozen=True)
class Evaluation:
    queries: list[Query]
    """The original set of fact-check queries (`queries` in the file)."""
    unrelated: list[str]
    paraphrases: list[Query] = field(default_factory=list)
    near_topic: list[str] = field(default_factory=list)

    @property
    def query_sets(self) -> dict[str, list[Query]]:
        """The sets of queries that should each find a claim, by set name."""
        return {ORIGINAL: self.queries, PARAPHRASE: self.paraphrases}

    @property
    def negative_sets(self) -> dict[str, list[str]]:
        """The sets of statements that should find nothing, by set name."""
        return {NEAR_TOPIC: self.near_topic, UNRELATED: self.unrelated}


@dataclass(frozen=True)
class QueryOutcome:
    query: Query
    rank: int | None  # of the expected claim among the results, from 1
    passage_found: bool  # the expected passage is among its highlighted passages
    score: float  # of the expected claim, with no floor (0 when not among the results read)
    top: str | None  # slug of the first result


@dataclass(frozen=True)
class NegativeOutcome:
    statement: str
    matched: bool  # some claim scores at or above the floor
    score: float  # the best score any claim gets, with no floor
    top: str | None  # slug of that claim


@dataclass
class QuerySetReport:
    """How one set of fact-check queries fared."""

    name: str
    outcomes: list[QueryOutcome] = field(default_factory=list)

    def recall_at(self, k: int) -> float:
        hits = sum(1 for outcome in self.outcomes if outcome.rank is not None and outcome.rank <= k)
        return hits / len(self.outcomes) if self.outcomes else 0.0

    @property
    def mrr(self) -> float:
        reciprocal = sum(1 / o.rank for o in self.outcomes if o.rank is not None)
        return reciprocal / len(self.outcomes) if self.outcomes else 0.0

    @property
    def passage_recall(self) -> float:
        """Share of queries whose expected claim is in the top 5 with the expected passage."""
        hits = sum(
            1 for o in self.outcomes if o.rank is not None and o.rank <= 5 and o.passage_found
        )
        return hits / len(self.outcomes) if self.outcomes else 0.0

    @property
    def misses(self) -> list[QueryOutcome]:
        """The queries whose expected claim is not ranked first."""
        return [outcome for outcome in self.outcomes if outcome.rank != 1]


@dataclass
class NegativeSetReport:
    """How one set of statements that should find nothing fared."""

    name: str
    outcomes: list[NegativeOutcome] = field(default_factory=list)

    @property
    def false_matches(self) -> list[str]:
        return [outcome.statement for outcome in self.outcomes if outcome.matched]

    @property
    def false_match_rate(self) -> float:
        return len(self.false_matches) / len(self.outcomes) if self.outcomes else 0.0

    @property
    def highest_score(self) -> float:
        return max((outcome.score for outcome in self.outcomes), default=0.0)


@dataclass
class Report:
    """One mode's outcome on every set of the evaluation."""

    mode: str
    floor: float | None  # None: the mode's own floor, unknown to the evaluation
    query_sets: dict[str, QuerySetReport] = field(default_factory=dict)
    negative_sets: dict[str, NegativeSetReport] = field(default_factory=dict)


def available_modes() -> list[str]:
    return list(MODES)


def default_floor(search: Search) -> float | None:
    """The floor a search applies when given none: its `floor` parameter's default."""
    parameter = inspect.signature(search).parameters.get("floor")
    if parameter is None or parameter.default is inspect.Parameter.empty:
        return None
    return parameter.default


def _query(item: dict) -> Query:
    return Query(
        text=item["q"], claim=item["claim"], source=item["source"], passage=item["passage"]
    )


def load_evaluation(path: Path | None = None) -> Evaluation:
    """Read the evaluation set (default: fixtures/lookup_eval.yaml).

    `queries` and `unrelated` are required; `paraphrases` and `near_topic` may be absent.
    """
    path = path or Path(settings.CORPUS_DIR) / LOOKUP_EVAL_FILE
    document = yaml.safe_load(path.read_text(encoding="utf-8"))
    return Evaluation(
        queries=[_query(item) for item in document["queries"]],
        unrelated=[str(text) for text in document["unrelated"]],
        paraphrases=[_query(item) for item in document.get("paraphrases") or []],
        near_topic=[str(text) for text in document.get("near_topic") or []],
    )


def _expected_span(query: Query, sources: dict[str, Source]) -> tuple[int, int, int]:
    source = sources[query.source]
    span = anchor(source.text, query.passage)
    return source.pk, span.start, span.end


def _passage_found(match: Match, expected: tuple[int, int, int]) -> bool:
    """Whether the match highlights the expected passage (results without passages never do)."""
    source, start, end = expected
    passages = getattr(match, "passages", ())
    citations = Citation.objects.filter(pk__in=[p.citation for p in passages])
    return any(
        citation.passage.source_id == source
        and citation.passage.start < end
        and start < citation.passage.end
        for citation in citations.select_related("passage")
    )


def evaluate(evaluation: Evaluation, *, mode: str = "words", floor: float | None = None) -> Report:
    """Run every statement of the evaluation set through one mode and score the outcome.

    `floor`: the relevance floor to evaluate; None leaves each mode its own.
    """
    search = MODES[mode]
    floored = {} if floor is None else {"floor": floor}
    slugs = dict(Claim.objects.values_list("pk", "slug"))
    sources = {source.slug: source for source in Source.objects.all()}
    report = Report(mode=mode, floor=default_floor(search) if floor is None else floor)
    for name, queries in evaluation.query_sets.items():
        scored = report.query_sets[name] = QuerySetReport(name=name)
        for query in queries:
            matches = list(search(query.text, limit=RANKS_SCORED, **floored))
            found = [m for m in matches if slugs[m.claim] == query.claim]
            rank = matches.index(found[0]) + 1 if found else None
            unfloored = search(query.text, limit=UNFLOORED_RESULTS, floor=0.0)
            scores = [m.score for m in unfloored if slugs[m.claim] == query.claim]
            scored.outcomes.append(
                QueryOutcome(
                    query=query,
                    rank=rank,
                    passage_found=bool(found)
                    and _passage_found(found[0], _expected_span(query, sources)),
                    score=scores[0] if scores else 0.0,
                    top=slugs[matches[0].claim] if matches else None,
                )
            )
    for name, statements in evaluation.negative_sets.items():
        scored = report.negative_sets[name] = NegativeSetReport(name=name)
        for statement in statements:
            best = search(statement, limit=1, floor=0.0)
            scored.outcomes.append(
                NegativeOutcome(
                    statement=statement,
                    matched=bool(search(statement, limit=RANKS_SCORED, **floored)),
                    score=best[0].score if best else 0.0,
                    top=slugs[best[0].claim] if best else None,
                )
            )
    return report
