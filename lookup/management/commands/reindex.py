"""Embed every published claim whose vectors are missing or stale (lookup/index.py)."""

import time

from django.core.management.base import BaseCommand

from lookup.encoder import model_id
from lookup.index import SyncResult, reindex


class Command(BaseCommand):
    help = (
        "Bring the semantic index in line with the claims: embed each published claim's text "
        "and cited passages where the stored vector is missing, stale or of another model, and "
        "drop the vectors of claims no longer published. Fast when nothing changed. --all "
        "re-embeds everything."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--all", action="store_true", dest="everything", help="re-embed every text"
        )

    def handle(self, *args, everything: bool, **options):
        started = time.monotonic()
        verbosity = options["verbosity"]

        def progress(done: int, total: int, result: SyncResult) -> None:
            if verbosity >= 1 and (result.embedded or done == total):
                self.stdout.write(
                    f"  {done:,}/{total:,} claims checked, {result.embedded:,} texts embedded "
                    f"({time.monotonic() - started:.1f} s)"
                )

        if verbosity >= 1:
            self.stdout.write(f"Semantic index ({model_id()}):")
        result = reindex(everything=everything, progress=progress)
        self.stdout.write(
            f"Semantic index up to date: {result.embedded:,} texts embedded, "
            f"{result.deleted:,} vectors dropped, in {time.monotonic() - started:.1f} s."
        )
