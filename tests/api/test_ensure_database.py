"""ensure_database: `make run` on a PostgreSQL server that lacks the database creates it."""

import subprocess
from uuid import uuid4

import psycopg
import pytest
from django.conf import settings
from django.db import connection
from psycopg import sql

from tests.gunicorn_server import manage

ON_POSTGRES = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="creates databases on the PostgreSQL server"
)


def server_url(*, user: str, dbname: str) -> str:
    db = connection.settings_dict
    return f"postgres://{user}@{db.get('HOST') or '127.0.0.1'}:{db.get('PORT') or 5432}/{dbname}"


def server() -> psycopg.Connection:
    db = connection.settings_dict
    return psycopg.connect(
        dbname="postgres",
        user=db["USER"],
        password=db.get("PASSWORD") or None,
        host=db.get("HOST") or None,
        port=db.get("PORT") or None,
        autocommit=True,
    )


def database_exists(name: str) -> bool:
    with server() as admin:
        return bool(
            admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        )


@pytest.fixture
def missing_database_name():
    name = f"claimbase_new_{uuid4().hex[:12]}"
    assert not database_exists(name)
    yield name
    with server() as admin:
        admin.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(name)))


@pytest.fixture
def role_without_createdb():
    role = f"claimbase_reader_{uuid4().hex[:12]}"
    with server() as admin:
        admin.execute(sql.SQL("CREATE ROLE {} LOGIN NOCREATEDB").format(sql.Identifier(role)))
    yield role
    with server() as admin:
        admin.execute(sql.SQL("DROP ROLE {}").format(sql.Identifier(role)))


@pytest.mark.postgres_only
@ON_POSTGRES
def test_a_missing_database_is_created_once_and_then_left_alone(missing_database_name):
    env = {"DATABASE_URL": server_url(user="postgres", dbname=missing_database_name)}
    first = manage("ensure_database", env=env)
    assert first.returncode == 0, first.stderr
    assert f'Created the PostgreSQL database "{missing_database_name}"' in first.stdout
    assert database_exists(missing_database_name)

    again = manage("ensure_database", env=env)
    assert again.returncode == 0, again.stderr
    assert again.stdout == ""
    migrated = manage("migrate", "--noinput", "--verbosity", "0", env=env)
    assert migrated.returncode == 0, migrated.stderr


@pytest.mark.postgres_only
@ON_POSTGRES
def test_a_role_that_may_not_create_databases_is_told_the_createdb_command_to_run(
    missing_database_name, role_without_createdb
):
    env = {"DATABASE_URL": server_url(user=role_without_createdb, dbname=missing_database_name)}
    result = manage("ensure_database", env=env)
    assert result.returncode == 1
    assert f'the role "{role_without_createdb}" may not create it' in result.stderr
    host, port = connection.settings_dict["HOST"], connection.settings_dict["PORT"]
    assert (
        f"createdb --host {host} --port {port} --owner {role_without_createdb} "
        f"{missing_database_name}"
    ) in result.stderr
    assert not database_exists(missing_database_name)


@pytest.mark.postgres_only
@ON_POSTGRES
def test_an_unreachable_server_is_a_clear_error():
    port = 1  # nothing listens there
    result = manage(
        "ensure_database", env={"DATABASE_URL": f"postgres://postgres@127.0.0.1:{port}/anything"}
    )
    assert result.returncode == 1
    assert 'Cannot reach the PostgreSQL server to check for the database "anything"' in (
        result.stderr
    )


def test_on_sqlite_it_does_nothing(tmp_path):
    database = tmp_path / "claimbase.sqlite3"
    result = manage("ensure_database", env={"DATABASE_URL": f"sqlite:///{database}"})
    assert result.returncode == 0, result.stderr
    assert result.stdout == ""
    assert not database.exists()


def test_make_migrate_ensures_the_database_before_migrating():
    result = subprocess.run(
        ["make", "--dry-run", "--always-make", "migrate"],
        cwd=settings.BASE_DIR,
        capture_output=True,
        text=True,
        check=True,
    )
    commands = result.stdout.splitlines()
    ensure = next(i for i, line in enumerate(commands) if "manage.py ensure_database" in line)
    migrate = next(i for i, line in enumerate(commands) if "manage.py migrate" in line)
    assert ensure < migrate
