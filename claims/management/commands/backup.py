"""Back the database up: an online copy on SQLite, the pg_dump command on PostgreSQL."""

import os
import shlex
import sqlite3
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import connection


def pg_dump_command(settings_dict: dict, path: Path) -> list[str]:
    """The pg_dump command that dumps this database to `path`; the password is left out."""
    command = ["pg_dump", "--format=custom", f"--file={path}"]
    for option, key in (("--host", "HOST"), ("--port", "PORT"), ("--username", "USER")):
        if settings_dict.get(key):
            command.append(f"{option}={settings_dict[key]}")
    return [*command, settings_dict["NAME"]]


class Command(BaseCommand):
    help = (
        "SQLite: copy the database to PATH with SQLite's online backup API, consistent while "
        "the server writes. PostgreSQL: print the pg_dump command that backs it up (writes "
        "nothing). README.md says how to restore."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", type=Path, help="the backup file to write")
        parser.add_argument("--overwrite", action="store_true", help="replace PATH if it exists")

    def handle(self, *args, path: Path, overwrite: bool, **options):
        if connection.vendor == "postgresql":
            self.print_pg_dump(path)
        elif connection.vendor == "sqlite":
            self.back_up_sqlite(path, overwrite=overwrite)
        else:
            raise CommandError(f"No backup for {connection.vendor}: use its own tools.")

    def print_pg_dump(self, path: Path) -> None:
        self.stderr.write(
            "PostgreSQL is backed up with pg_dump; nothing was written. Run this (its password, "
            "if it needs one, goes in PGPASSWORD or ~/.pgpass):"
        )
        self.stdout.write(shlex.join(pg_dump_command(connection.settings_dict, path)))

    def back_up_sqlite(self, path: Path, *, overwrite: bool) -> None:
        path = path.resolve()
        if path.exists() and not overwrite:
            raise CommandError(f"{path} exists: choose another path, or --overwrite.")
        if not path.parent.is_dir():
            raise CommandError(f"{path.parent} is not a directory.")
        # Written beside its final name, then renamed: PATH is never a half-made copy.
        partial = path.with_name(f".{path.name}.partial")
        partial.unlink(missing_ok=True)
        connection.ensure_connection()
        target = sqlite3.connect(partial)
        try:
            # One step: the whole database as of one moment, while writers go on (WAL).
            connection.connection.backup(target)
            # One self-contained file, without -wal beside it; the app turns WAL on again.
            target.execute("PRAGMA journal_mode=DELETE")
            (check,) = target.execute("PRAGMA quick_check").fetchone()
        finally:
            target.close()
        if check != "ok":
            partial.unlink(missing_ok=True)
            raise CommandError(f"The copy failed SQLite's quick_check: {check}")
        os.replace(partial, path)
        self.stdout.write(
            self.style.SUCCESS(f"Backed up to {path} ({path.stat().st_size:,} bytes).")
        )
