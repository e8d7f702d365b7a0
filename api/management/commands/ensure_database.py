"""Create the configured PostgreSQL database if the server does not have it yet."""

import shlex

import psycopg
from django.core.management.base import BaseCommand, CommandError
from django.db import DEFAULT_DB_ALIAS, connections
from psycopg import errors, sql

# Where a client connects to ask about other databases: `postgres`, else `template1`.
MAINTENANCE_DATABASES = ("postgres", "template1")
# Keys of a Django database's OPTIONS that are Django's own, not libpq connection parameters.
DJANGO_OPTIONS = {"isolation_level", "server_side_binding", "pool", "assume_role"}


class Command(BaseCommand):
    help = (
        "Create the PostgreSQL database named in DATABASE_URL when it does not exist yet, "
        "or say which command creates it. Does nothing on SQLite."
    )

    def add_arguments(self, parser):
        parser.add_argument("--database", default=DEFAULT_DB_ALIAS)

    def handle(self, *args, database: str, **options):
        connection = connections[database]
        if connection.vendor != "postgresql":
            return
        settings_dict = connection.settings_dict
        name = settings_dict["NAME"]
        with self.maintenance_connection(settings_dict) as server:
            if server.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
                return
            try:
                server.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
            except errors.DuplicateDatabase:
                return  # created meanwhile by someone else: just as good
            except errors.InsufficientPrivilege as error:
                raise CommandError(
                    f'The PostgreSQL database "{name}" does not exist, and the role '
                    f'"{server.info.user}" may not create it ({error.diag.message_primary}). '
                    f"Have it created, as a role that may, with:\n"
                    f"  {createdb_command(settings_dict, owner=server.info.user)}"
                ) from error
        self.stdout.write(f'Created the PostgreSQL database "{name}".')

    def maintenance_connection(self, settings_dict: dict) -> psycopg.Connection:
        params = {
            "user": settings_dict.get("USER") or None,
            "password": settings_dict.get("PASSWORD") or None,
            "host": settings_dict.get("HOST") or None,
            "port": settings_dict.get("PORT") or None,
            **{
                key: value
                for key, value in (settings_dict.get("OPTIONS") or {}).items()
                if key not in DJANGO_OPTIONS
            },
        }
        params = {key: value for key, value in params.items() if value is not None}
        failures = []
        for dbname in MAINTENANCE_DATABASES:
            try:
                return psycopg.connect(dbname=dbname, autocommit=True, **params)
            except psycopg.OperationalError as error:
                failures.append(f"{dbname}: {str(error).strip()}")
        name = settings_dict["NAME"]
        raise CommandError(
            f'Cannot reach the PostgreSQL server to check for the database "{name}":\n'
            + "\n".join(failures)
        )


def createdb_command(settings_dict: dict, *, owner: str) -> str:
    words = ["createdb"]
    if settings_dict.get("HOST"):
        words += ["--host", settings_dict["HOST"]]
    if settings_dict.get("PORT"):
        words += ["--port", str(settings_dict["PORT"])]
    words += ["--owner", owner, settings_dict["NAME"]]
    return shlex.join(words)
