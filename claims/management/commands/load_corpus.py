"""Load the seed corpus files into the database, idempotently."""

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from claims.corpus import AUTHORS_FILE, CorpusError, corpus_files, load_corpus, read_corpus


class Command(BaseCommand):
    help = (
        "Load the corpus files (all of fixtures/, or the files given): authors, sources, "
        "claims and citations. Re-running changes nothing; an edited file updates its "
        "claims in place, except what curators changed since the last load, which is kept "
        "and reported. Every quote must anchor, or nothing is loaded."
    )

    def add_arguments(self, parser):
        parser.add_argument("paths", nargs="*", type=Path, help="source files (*.yaml)")
        parser.add_argument(
            "--authors",
            type=Path,
            default=None,
            help=f"the authors file (default: {AUTHORS_FILE} beside the first file)",
        )

    def handle(self, *args, paths: list[Path], authors: Path | None, **options):
        full = not paths
        paths = paths or corpus_files(settings.CORPUS_DIR)
        if not paths:
            raise CommandError(f"No corpus files in {settings.CORPUS_DIR}.")
        authors = authors or paths[0].parent / AUTHORS_FILE
        try:
            corpus = read_corpus(paths, authors_file=authors)
            report = load_corpus(corpus, progress=self.stdout.write, full=full)
        except CorpusError as error:
            raise CommandError(
                "The corpus was not loaded:\n" + "\n".join(f"  {p}" for p in error.problems)
            ) from error
        self.stdout.write(
            self.style.SUCCESS(
                f"Loaded {report.sources} sources: {report.claims_created} claims created, "
                f"{report.claims_updated} updated; {report.citations_written} citations in the "
                f"files, {report.citations_removed} removed."
            )
        )
        if report.kept or report.conflicts:
            disagree = len(report.conflicts)
            self.stdout.write(
                f"Kept {report.kept + disagree} changes curators made since the last load"
                + (f"; {disagree} disagree with the files:" if disagree else ".")
            )
        for conflict in report.conflicts:
            self.stdout.write(self.style.WARNING(f"  {conflict}"))
        for key in report.orphans:
            self.stdout.write(
                self.style.WARNING(
                    f"Claim {key!r} is in the database but in no corpus file: retract or delete "
                    "it if it should go."
                )
            )
