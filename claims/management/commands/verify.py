"""Re-check the stored evidence: source digests, passages, and the lookup's index."""

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from django.core.management.base import BaseCommand, CommandError
from django.db import DEFAULT_DB_ALIAS, connections, transaction

from claims.search import index_findings
from sources.integrity import Finding, passage_findings, source_text_findings

CHECKS: list[tuple[str, Callable[..., Iterator[Finding | None]]]] = [
    ("source texts (sha256)", source_text_findings),
    ("passages (exact, prefix, suffix)", passage_findings),
    ("search index", index_findings),
]


@contextmanager
def read_snapshot(using: str):
    """Read everything as of one moment, so that writes made during the run are not mismatches."""
    connection = connections[using]
    if connection.in_atomic_block:
        yield  # already one transaction, as in tests
    elif connection.vendor == "postgresql":
        with transaction.atomic(using=using):
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            yield
    elif connection.vendor == "sqlite":
        # A deferred transaction takes no write lock: writers go on, we read one snapshot.
        connection.ensure_connection()
        with connection.cursor() as cursor:
            cursor.execute("BEGIN DEFERRED")
        try:
            yield
        finally:
            with connection.cursor() as cursor:
                cursor.execute("ROLLBACK")
    else:
        yield


class Command(BaseCommand):
    help = (
        "Re-hash every source text and compare it with its stored SHA-256, re-check every "
        "passage against its source text, and check the lookup's search index against the "
        "claims. Prints a summary and each mismatch; exits with status 1 if there is any."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--database",
            default=DEFAULT_DB_ALIAS,
            help="the database alias to check (default: the primary, default)",
        )
        parser.add_argument(
            "--progress-every",
            type=int,
            default=10_000,
            metavar="N",
            help="report progress on stderr every N rows of a check (default 10000)",
        )

    def handle(self, *args, database: str, progress_every: int, **options):
        checked_total, mismatches = 0, 0
        with read_snapshot(database):
            for name, check in CHECKS:
                checked, found = 0, 0
                for finding in check(using=database):
                    checked += 1
                    if finding is not None:
                        found += 1
                        self.stdout.write(f"MISMATCH {finding}")
                    if progress_every > 0 and checked % progress_every == 0:
                        self.stderr.write(f"{name}: {checked:,} checked, {found:,} mismatches…")
                self.stdout.write(f"{name}: {checked:,} checked, {found:,} mismatches")
                checked_total += checked
                mismatches += found
        if mismatches:
            raise CommandError(f"{mismatches:,} mismatches in {checked_total:,} rows checked.")
        self.stdout.write(self.style.SUCCESS(f"All {checked_total:,} rows checked: no mismatch."))
