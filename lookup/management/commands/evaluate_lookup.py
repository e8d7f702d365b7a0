"""Score the fact-checking lookup on its evaluation set and print the numbers."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from claims.models import Claim
from lookup.evaluation import RANKS_SCORED, evaluate, load_evaluation
from lookup.search import RELEVANCE_FLOOR


class Command(BaseCommand):
    help = (
        "Run the lookup's evaluation set (fixtures/lookup_eval.yaml) and print recall@1, "
        "recall@5, MRR, passage recall, the false-match rate on unrelated statements, and "
        "the margin around the relevance floor. Needs the seed corpus: run load_corpus first."
    )

    def add_arguments(self, parser):
        parser.add_argument("--file", type=Path, default=None, help="another evaluation file")
        parser.add_argument(
            "--floor",
            type=float,
            default=RELEVANCE_FLOOR,
            help=f"relevance floor to evaluate (default: the lookup's, {RELEVANCE_FLOOR})",
        )
        parser.add_argument(
            "--verbose-misses", action="store_true", help="list every query not ranked first"
        )

    def handle(self, *args, file: Path | None, floor: float, verbose_misses: bool, **options):
        if not Claim.objects.filter(corpus_key__isnull=False).exists():
            raise CommandError("The seed corpus is not loaded: run `manage.py load_corpus`.")
        evaluation = load_evaluation(file)
        report = evaluate(evaluation, floor=floor)
        write = self.stdout.write
        write(
            f"Lookup evaluation on {connection.vendor}: {len(report.outcomes)} queries, "
            f"{len(report.unrelated_top)} unrelated statements, floor {report.floor:.2f}"
        )
        write(f"  recall@1          {report.recall_at(1):.3f}")
        write(f"  recall@5          {report.recall_at(5):.3f}")
        write(f"  MRR (top {RANKS_SCORED})      {report.mrr:.3f}")
        write(f"  passage recall@5  {report.passage_recall:.3f}")
        write(
            f"  false matches     {report.false_match_rate:.3f} "
            f"({len(report.false_matches)} of {len(report.unrelated_top)})"
        )
        scores = sorted(outcome.score for outcome in report.outcomes)
        below = sum(1 for value in scores if value < report.floor)
        highest = report.highest_unrelated_score
        write("  scores with no floor:")
        write(
            f"    expected claims       lowest {scores[0]:.3f}, "
            f"5th percentile {scores[len(scores) // 20]:.3f}, median {scores[len(scores) // 2]:.3f}"
        )
        write(f"    unrelated statements  highest {highest:.3f}")
        write(
            f"  margin: the floor is {report.floor - highest:+.3f} above the highest unrelated "
            f"score; {below} of {len(scores)} expected claims score below it"
        )
        misses = [o for o in report.outcomes if o.rank != 1]
        if verbose_misses:
            for outcome in misses:
                write(
                    f"  rank {outcome.rank or '-':>2}  score {outcome.score:.3f}  "
                    f"{outcome.query.text!r} -> first: {outcome.top}"
                )
            for statement, score, slug in report.unrelated_top:
                write(f"  unrelated {score:.3f}  {statement!r} -> {slug}")
        for statement in report.false_matches:
            write(self.style.WARNING(f"  unrelated statement matched: {statement!r}"))
