"""SQLite under concurrent writers: they queue for the write lock instead of failing."""

import sqlite3
import threading
import time
import uuid
from collections import Counter
from urllib.error import URLError

import pytest
from django.db import connection

from tests.servers import Server, call, manage, sqlite_env

WRITERS = 8
WRITING_SECONDS = 20
SENTENCES = [f"Writer number {index} wrote this line of the shared text." for index in range(8)]

pytestmark = [
    pytest.mark.sqlite_only,
    pytest.mark.skipif(
        connection.vendor != "sqlite",
        reason="runs the app on a SQLite file; PostgreSQL has row locks, not one write lock",
    ),
]


@pytest.fixture
def sqlite_server(tmp_path, request):
    """The app on a fresh, migrated SQLite file, with a curator's token; always stopped."""
    database = tmp_path / "claimbase.sqlite3"
    env = sqlite_env(database, DJANGO_THROTTLE_USER="1000000/minute")
    manage("migrate", "--noinput", env=env)
    token = manage("create_curator", "writer", env=env).stdout.strip()
    server = Server(env, tmp_path / "server.log")
    request.addfinalizer(server.stop)
    return server, token, database


class Writer(threading.Thread):
    """Writes authors and claims, and revises the claims, until the deadline."""

    def __init__(self, number, server, token, source_id, barrier, deadline):
        super().__init__(name=f"writer-{number}")
        self.number, self.server, self.token = number, server, token
        self.source_id, self.barrier, self.deadline = source_id, barrier, deadline
        self.authors: set[str] = set()
        self.claims: dict[str, str] = {}  # claim uuid → its acknowledged text
        self.failures: Counter[str] = Counter()

    def write(self, method: str, path: str, payload: dict):
        try:
            response = call(f"{self.server.url}{path}", method, payload, self.token)
        except (URLError, ConnectionError, TimeoutError) as error:
            self.failures[f"{method} {type(error).__name__}: {error}"] += 1
            return None
        if not 200 <= response.status < 300:
            self.failures[f"{method} {response.status}: {str(response.body)[:200]}"] += 1
            return None
        return response.body

    def run(self):
        self.barrier.wait()
        round_number = 0
        while time.monotonic() < self.deadline:
            round_number += 1
            name = f"Writer {self.number} author {round_number}"
            if self.write("POST", "/api/v1/authors/", {"name": name}):
                self.authors.add(name)
            text = f"Writer {self.number} states claim {round_number}."
            claim = self.write(
                "POST",
                "/api/v1/claims/",
                {
                    "text": text,
                    "status": "published",
                    "citations": [
                        {
                            "source": self.source_id,
                            "quote": SENTENCES[self.number % len(SENTENCES)],
                            "stance": "supports",
                        }
                    ],
                },
            )
            if not claim:
                continue
            self.claims[claim["id"]] = text
            revised = f"Writer {self.number} revised claim {round_number}."
            if self.write("PATCH", f"/api/v1/claims/{claim['id']}/", {"text": revised}):
                self.claims[claim["id"]] = revised


def test_eight_writers_through_the_api_queue_on_sqlite_and_every_acknowledged_write_is_stored(
    sqlite_server,
):
    server, token, database = sqlite_server
    source = call(
        f"{server.url}/api/v1/sources/",
        "POST",
        {"slug": "shared-text", "title": "Shared text", "text": " ".join(SENTENCES)},
        token,
    )
    assert source.status == 201, source.body
    barrier = threading.Barrier(WRITERS)
    deadline = time.monotonic() + WRITING_SECONDS
    writers = [
        Writer(number, server, token, source.body["id"], barrier, deadline)
        for number in range(WRITERS)
    ]
    for writer in writers:
        writer.start()
    for writer in writers:
        writer.join(timeout=WRITING_SECONDS + 120)
    assert not any(writer.is_alive() for writer in writers), "a writer hung"

    failures = sum((writer.failures for writer in writers), Counter())
    authors = set().union(*(writer.authors for writer in writers))
    claims = {key: text for writer in writers for key, text in writer.claims.items()}
    acknowledged = f"{len(authors)} authors and {len(claims)} claims acknowledged"
    print(acknowledged)  # the count behind "every acknowledged write is stored"
    assert not failures, f"{acknowledged}; failed writes: {dict(failures)}"
    assert len(authors) >= WRITERS and len(claims) >= WRITERS, acknowledged

    with sqlite3.connect(f"file:{database}?mode=ro", uri=True) as stored:
        assert stored.execute("PRAGMA journal_mode").fetchone() == ("wal",)
        stored_authors = {
            name for (name,) in stored.execute("SELECT name FROM sources_author")
        } & authors
        expected_claims = {uuid.UUID(key).hex: text for key, text in claims.items()}
        stored_claims = {
            key: text
            for key, text in stored.execute("SELECT uuid, text FROM claims_claim")
            if key in expected_claims
        }
    assert stored_authors == authors, f"{acknowledged}; {len(stored_authors)} authors stored"
    assert stored_claims == expected_claims, f"{acknowledged}; {len(stored_claims)} claims stored"


def test_sqlite_connections_wait_twenty_seconds_for_the_write_lock_and_begin_immediate(db):
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA busy_timeout")
        (milliseconds,) = cursor.fetchone()
    assert milliseconds == 20_000
    assert connection.transaction_mode == "IMMEDIATE"
