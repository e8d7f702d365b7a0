"""Score the fact-checking lookup on its evaluation set and print the numbers."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from claims.models import Claim
from lookup.evaluation import (
    RANKS_SCORED,
    NegativeSetReport,
    QuerySetReport,
    Report,
    available_modes,
    evaluate,
    load_evaluation,
)


def _percentile(values: list[float], share: float) -> float:
    return values[int(len(values) * share)]


class Command(BaseCommand):
    help = (
        "Run the lookup's evaluation set (fixtures/lookup_eval.yaml) and print, for each "
        "set apart (original, paraphrase, near-topic, unrelated), recall@1, recall@5, MRR and "
        "passage recall of the fact-check queries, the false matches of the statements that "
        "should find nothing, and the margin around the relevance floor; one table per mode. "
        "Needs the seed corpus: run load_corpus first."
    )

    def add_arguments(self, parser):
        parser.add_argument("--file", type=Path, default=None, help="another evaluation file")
        parser.add_argument(
            "--mode",
            action="append",
            dest="modes",
            metavar="MODE",
            help=(
                "way of searching to evaluate, repeatable (default: every available mode: "
                f"{', '.join(available_modes())})"
            ),
        )
        parser.add_argument(
            "--floor",
            type=float,
            default=None,
            help="relevance floor to evaluate (default: each mode's own)",
        )
        parser.add_argument(
            "--verbose-misses",
            action="store_true",
            help="list every query not ranked first and every statement's best score",
        )

    def handle(self, *args, file: Path | None, modes, floor, verbose_misses: bool, **options):
        available = available_modes()
        unknown = [mode for mode in modes or [] if mode not in available]
        if unknown:
            names = ", ".join(repr(mode) for mode in unknown)
            raise CommandError(
                f"Lookup mode{'s' if len(unknown) > 1 else ''} {names} "
                f"{'are' if len(unknown) > 1 else 'is'} not available; "
                f"available modes: {', '.join(available)}."
            )
        if not Claim.objects.filter(corpus_key__isnull=False).exists():
            raise CommandError("The seed corpus is not loaded: run `manage.py load_corpus`.")
        evaluation = load_evaluation(file)
        for number, mode in enumerate(modes or available):
            if number:
                self.stdout.write("")
            self._write_report(evaluate(evaluation, mode=mode, floor=floor), verbose_misses)

    def _write_report(self, report: Report, verbose_misses: bool) -> None:
        write = self.stdout.write
        query_sets = [s for s in report.query_sets.values() if s.outcomes]
        negative_sets = [s for s in report.negative_sets.values() if s.outcomes]
        floor = "its own floor" if report.floor is None else f"floor {report.floor:.2f}"
        write(f"Lookup evaluation on {connection.vendor}, mode {report.mode}, {floor}")
        write(
            f"  {'set':<12}{'size':>5}{'recall@1':>10}{'recall@5':>10}"
            f"{f'MRR@{RANKS_SCORED}':>8}{'passage@5':>11}  false matches"
        )
        for scored in query_sets:
            write(
                f"  {scored.name:<12}{len(scored.outcomes):>5}{scored.recall_at(1):>10.3f}"
                f"{scored.recall_at(5):>10.3f}{scored.mrr:>8.3f}{scored.passage_recall:>11.3f}"
                f"  -"
            )
        for negatives in negative_sets:
            write(
                f"  {negatives.name:<12}{len(negatives.outcomes):>5}{'-':>10}{'-':>10}{'-':>8}"
                f"{'-':>11}  {len(negatives.false_matches)} of {len(negatives.outcomes)} "
                f"({negatives.false_match_rate:.3f})"
            )
        write("  scores with no floor:")
        for scored in query_sets:
            self._write_expected_scores(scored, report.floor)
        for negatives in negative_sets:
            self._write_negative_scores(negatives, report.floor)
        if verbose_misses:
            for scored in query_sets:
                for outcome in scored.misses:
                    write(
                        f"  {scored.name} rank {outcome.rank or '-':>2}  "
                        f"score {outcome.score:.3f}  {outcome.query.text!r} -> first: {outcome.top}"
                    )
            for negatives in negative_sets:
                for outcome in negatives.outcomes:
                    write(
                        f"  {negatives.name} {outcome.score:.3f}  {outcome.statement!r} "
                        f"-> {outcome.top}"
                    )
        for negatives in negative_sets:
            for statement in negatives.false_matches:
                write(self.style.WARNING(f"  {negatives.name} statement matched: {statement!r}"))

    def _write_expected_scores(self, scored: QuerySetReport, floor: float | None) -> None:
        scores = sorted(outcome.score for outcome in scored.outcomes)
        line = (
            f"    {scored.name:<12}expected claims  lowest {scores[0]:.3f}, "
            f"5th percentile {_percentile(scores, 0.05):.3f}, "
            f"median {_percentile(scores, 0.5):.3f}"
        )
        if floor is not None:
            below = sum(1 for value in scores if value < floor)
            line += f"; {below} of {len(scores)} below the floor"
        self.stdout.write(line)

    def _write_negative_scores(self, negatives: NegativeSetReport, floor: float | None) -> None:
        highest = negatives.highest_score
        line = f"    {negatives.name:<12}best claim       highest {highest:.3f}"
        if floor is not None:
            line += f"; margin to the floor {floor - highest:+.3f}"
        self.stdout.write(line)
