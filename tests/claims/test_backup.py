"""`manage.py backup`: an online copy on SQLite, the pg_dump command on PostgreSQL."""

import os
import shlex
import shutil
import sqlite3
import subprocess
import threading
import uuid
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection

from claims.management.commands.backup import pg_dump_command
from tests.servers import Server, call, manage, sqlite_env

DIPLOMAT = "new-cold-war-forces-japan-to-choose-sides"
QUOTE = "28 states joined the U.K. in expelling Russian diplomats"


def dump(database, table: str) -> list[tuple]:
    with sqlite3.connect(f"file:{database}?mode=ro", uri=True) as stored:
        return stored.execute(f"SELECT * FROM {table} ORDER BY id").fetchall()  # noqa: S608


def dump_uuids(database) -> list[tuple]:
    with sqlite3.connect(f"file:{database}?mode=ro", uri=True) as stored:
        return stored.execute("SELECT uuid FROM claims_claim").fetchall()


def restore(backup, tmp_path):
    """Restore as README.md says: the copy into place, then migrate, reindex and verify."""
    restored = tmp_path / "restored" / "claimbase.sqlite3"
    restored.parent.mkdir()
    shutil.copyfile(backup, restored)
    env = sqlite_env(restored)
    manage("migrate", "--noinput", env=env)
    manage("reindex", env=env)
    return restored, manage("verify", env=env, check=False)


@pytest.fixture
def corpus_file(tmp_path):
    """A SQLite file with the seed corpus and a curator's token."""
    database = tmp_path / "claimbase.sqlite3"
    env = sqlite_env(database, DJANGO_THROTTLE_USER="1000000/minute")
    manage("migrate", "--noinput", env=env)
    manage("load_corpus", env=env)
    manage("reindex", env=env)
    token = manage("create_curator", "writer", env=env).stdout.strip()
    return database, env, token


@pytest.fixture
def server_on(request, tmp_path):
    """Start the app on a SQLite file's environment; every server started is stopped."""
    servers = []

    def start(env):
        servers.append(Server(env, tmp_path / f"server-{len(servers)}.log"))
        request.addfinalizer(servers[-1].stop)
        return servers[-1]

    return start


@pytest.mark.sqlite_only
@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's backup API")
def test_a_backup_taken_while_the_server_writes_restores_to_a_database_that_verifies(
    corpus_file, server_on, tmp_path
):
    database, env, token = corpus_file
    server = server_on(env)
    source = call(f"{server.url}/api/v1/sources/?slug={DIPLOMAT}").body["results"][0]["id"]
    written, failures, stop = [], [], threading.Event()

    def write_claims():
        number = 0
        while not stop.is_set():
            number += 1
            response = call(
                f"{server.url}/api/v1/claims/",
                "POST",
                {
                    "text": f"Written during the backup, number {number}.",
                    "status": "published",
                    "citations": [{"source": source, "quote": QUOTE, "stance": "supports"}],
                },
                token,
            )
            (written if response.status == 201 else failures).append(response)

    writer = threading.Thread(target=write_claims)
    writer.start()
    try:
        while len(written) < 5 and not failures and writer.is_alive():
            stop.wait(0.05)
        acknowledged_before = {response.body["id"] for response in written}
        backup = tmp_path / "during.sqlite3"
        backed_up = manage("backup", str(backup), env=env, check=False)
        acknowledged_by_then = len(written)
        while len(written) < acknowledged_by_then + 2 and not failures and writer.is_alive():
            stop.wait(0.05)
    finally:
        stop.set()
        writer.join()
    assert backed_up.returncode == 0, backed_up.stderr
    assert not failures, [(f.status, f.body) for f in failures]

    restored, verified = restore(backup, tmp_path)
    assert verified.returncode == 0, verified.stdout + verified.stderr
    assert "no mismatch" in verified.stdout
    original = {row[0]: row for row in dump(database, "claims_claim")}
    copied = dump(restored, "claims_claim")
    assert {row[0] for row in copied} < set(original), "the copy holds claims written after it"
    assert all(original[row[0]] == row for row in copied)
    copied_uuids = {row[0] for row in dump_uuids(restored)}
    assert {uuid.UUID(key).hex for key in acknowledged_before} <= copied_uuids, (
        f"{len(acknowledged_before)} claims acknowledged before the backup"
    )


@pytest.mark.sqlite_only
@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's backup API")
def test_a_restored_backup_verifies_and_serves_the_same_claims(corpus_file, server_on, tmp_path):
    database, env, _ = corpus_file
    backup = tmp_path / "backup.sqlite3"
    assert "Backed up to" in manage("backup", str(backup), env=env).stdout
    restored, verified = restore(backup, tmp_path)
    assert verified.returncode == 0, verified.stdout + verified.stderr
    for table in ("claims_claim", "claims_citation", "sources_passage", "sources_source"):
        assert dump(restored, table) == dump(database, table), table

    server = server_on(sqlite_env(restored))
    served = call(f"{server.url}/api/v1/claims/?page_size=100").body["results"]
    assert len(served) == 100
    original_server = server_on(env)
    assert call(f"{original_server.url}/api/v1/claims/?page_size=100").body["results"] == served


@pytest.mark.sqlite_only
@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's backup API")
def test_backup_refuses_to_overwrite_an_existing_file(tmp_path):
    env = sqlite_env(tmp_path / "claimbase.sqlite3")
    existing = tmp_path / "existing.sqlite3"
    existing.write_text("keep me")
    refused = manage("backup", str(existing), env=env, check=False)
    assert refused.returncode == 1
    assert "exists" in refused.stderr
    assert existing.read_text() == "keep me"


def test_the_pg_dump_command_never_holds_the_password(tmp_path):
    settings_dict = {
        "NAME": "claimbase",
        "USER": "curator",
        "PASSWORD": "s3cret",
        "HOST": "db.internal",
        "PORT": 5432,
    }
    command = pg_dump_command(settings_dict, tmp_path / "claimbase.dump")
    assert command == [
        "pg_dump",
        "--format=custom",
        f"--file={tmp_path / 'claimbase.dump'}",
        "--host=db.internal",
        "--port=5432",
        "--username=curator",
        "claimbase",
    ]
    assert "s3cret" not in " ".join(command)


@pytest.mark.postgres_only
@pytest.mark.skipif(connection.vendor != "postgresql", reason="pg_dump is PostgreSQL's")
@pytest.mark.django_db
def test_backup_on_postgres_prints_the_pg_dump_command_and_writes_nothing(tmp_path):
    target = tmp_path / "claimbase.dump"
    out, err = StringIO(), StringIO()
    call_command("backup", str(target), stdout=out, stderr=err)
    command = shlex.split(out.getvalue())
    assert command[0] == "pg_dump"
    assert command[-1] == connection.settings_dict["NAME"]
    assert f"--file={target}" in command
    assert "pg_dump" in err.getvalue() and "nothing was written" in err.getvalue()
    assert not target.exists()


@pytest.mark.postgres_only
@pytest.mark.skipif(connection.vendor != "postgresql", reason="pg_dump is PostgreSQL's")
@pytest.mark.skipif(not shutil.which("pg_dump"), reason="needs PostgreSQL's client tools")
@pytest.mark.django_db
def test_the_printed_pg_dump_command_dumps_the_claims_tables(tmp_path):
    target = tmp_path / "claimbase.dump"
    out = StringIO()
    call_command("backup", str(target), stdout=out, stderr=StringIO())
    env = {**os.environ, "PGPASSWORD": connection.settings_dict.get("PASSWORD") or ""}
    subprocess.run(shlex.split(out.getvalue()), check=True, env=env, timeout=120)
    listing = subprocess.run(
        ["pg_restore", "--list", str(target)], check=True, capture_output=True, text=True
    ).stdout
    assert "TABLE public claims_claim" in listing
    assert "TABLE public claims_search" in listing
