"""Measure the fact-checking lookup on its evaluation set (fixtures/lookup_eval.yaml).

Needs the seed corpus in the database (`manage.py load_corpus`). Used by
`manage.py evaluate_lookup`, which prints the numbers, and by the test that
guards them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import yaml
from django.conf import settings

from claims.corpus import LOOKUP_EVAL_FILE
from claims.models import Citation, Claim
from lookup.search import RELEVANCE_FLOOR, Match, lookup
from sources.anchoring import anchor
from sources.models import Source

RANKS_SCORED = 10
"""Ranks counted by MRR: an expected claim below this rank scores 0."""


@dataclass(frozen=True)
class Query:
    text: str
    claim: str  # corpus key, i.e. the claim's slug
    source: str
    passage: str  # a quote of the passage that should be found


@dataclass(frozen=True)
class Evaluation:
    queries: list[Query]
    unrelated: list[str]


@dataclass(frozen=True)
class QueryOutcome:
    query: Query
    rank: int | None  # of the expected claim among the results, from 1
    passage_found: bool  # the expected passage is among its highlighted passages
    score: float  # of the expected claim, with no floor (0 when not among MAX results)
    top: str | None  # slug of the first result


@dataclass
class Report:
    floor: float
    outcomes: list[QueryOutcome] = field(default_factory=list)
    unrelated_top: list[tuple[str, float, str | None]] = field(default_factory=list)
    """Each unrelated statement, the best score it gets with no floor, and that claim's slug."""
    false_matches: list[str] = field(default_factory=list)

    def recall_at(self, k: int) -> float:
        hits = sum(1 for outcome in self.outcomes if outcome.rank is not None and outcome.rank <= k)
        return hits / len(self.outcomes)

    @property
    def mrr(self) -> float:
        return sum(1 / o.rank for o in self.outcomes if o.rank is not None) / len(self.outcomes)

    @property
    def passage_recall(self) -> float:
        """Share of queries whose expected claim is in the top 5 with the expected passage."""
        hits = sum(
            1 for o in self.outcomes if o.rank is not None and o.rank <= 5 and o.passage_found
        )
        return hits / len(self.outcomes)

    @property
    def false_match_rate(self) -> float:
        return len(self.false_matches) / len(self.unrelated_top) if self.unrelated_top else 0.0

    @property
    def highest_unrelated_score(self) -> float:
        return max((score for _, score, _ in self.unrelated_top), default=0.0)


def load_evaluation(path: Path | None = None) -> Evaluation:
    """Read the evaluation set (default: fixtures/lookup_eval.yaml)."""
    path = path or Path(settings.CORPUS_DIR) / LOOKUP_EVAL_FILE
    document = yaml.safe_load(path.read_text(encoding="utf-8"))
    queries = [
        Query(text=item["q"], claim=item["claim"], source=item["source"], passage=item["passage"])
        for item in document["queries"]
    ]
    return Evaluation(queries=queries, unrelated=[str(text) for text in document["unrelated"]])


def _expected_span(query: Query, sources: dict[str, Source]) -> tuple[int, int, int]:
    source = sources[query.source]
    span = anchor(source.text, query.passage)
    return source.pk, span.start, span.end


def _passage_found(match: Match, expected: tuple[int, int, int]) -> bool:
    source, start, end = expected
    citations = Citation.objects.filter(pk__in=[p.citation for p in match.passages])
    return any(
        citation.passage.source_id == source
        and citation.passage.start < end
        and start < citation.passage.end
        for citation in citations.select_related("passage")
    )


def evaluate(evaluation: Evaluation, *, floor: float = RELEVANCE_FLOOR) -> Report:
    """Run every query of the evaluation set through the lookup and score the outcome."""
    slugs = dict(Claim.objects.values_list("pk", "slug"))
    sources = {source.slug: source for source in Source.objects.all()}
    report = Report(floor=floor)
    for query in evaluation.queries:
        matches = lookup(query.text, limit=RANKS_SCORED, floor=floor)
        found = [m for m in matches if slugs[m.claim] == query.claim]
        rank = matches.index(found[0]) + 1 if found else None
        unfloored = lookup(query.text, limit=50, floor=0.0)
        scores = [m.score for m in unfloored if slugs[m.claim] == query.claim]
        report.outcomes.append(
            QueryOutcome(
                query=query,
                rank=rank,
                passage_found=bool(found)
                and _passage_found(found[0], _expected_span(query, sources)),
                score=scores[0] if scores else 0.0,
                top=slugs[matches[0].claim] if matches else None,
            )
        )
    for statement in evaluation.unrelated:
        if lookup(statement, limit=RANKS_SCORED, floor=floor):
            report.false_matches.append(statement)
        best = lookup(statement, limit=1, floor=0.0)
        report.unrelated_top.append(
            (statement, best[0].score if best else 0.0, slugs[best[0].claim] if best else None)
        )
    return report
