"""Re-check the stored evidence: each app's integrity checks, in the order of INSTALLED_APPS.

An app lists its checks in its AppConfig as `integrity_checks`: (name, dotted path
of a function) pairs. Each function takes `using=` and yields, per row checked,
None when the row is right or a `sources.integrity.Finding` saying what is wrong.
"""

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from django.apps import apps
from django.core.management.base import BaseCommand, CommandError
from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.utils.module_loading import import_string

from sources.integrity import Finding


def integrity_checks() -> list[tuple[str, Callable[..., Iterator[Finding | None]]]]:
    """Every installed app's checks, as (name, function)."""
    return [
        (name, import_string(path))
        for config in apps.get_app_configs()
        for name, path in getattr(config, "integrity_checks", ())
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
            for name, check in integrity_checks():
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
