"""The app as production serves it: gunicorn (config/gunicorn.py) in a subprocess.

Tests start it on a free loopback port against a migrated database of their own
and talk to it over real sockets.
"""

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.error import HTTPError, URLError
from urllib.parse import quote
from urllib.request import Request, urlopen

from django.conf import settings
from django.db import connection

BIN = Path(sys.executable).parent
STARTUP_SECONDS = 60

# What `DJANGO_DEBUG=0` needs, plus the overrides of a plain-HTTP setup (no TLS here).
PRODUCTION_ENV = {
    "DJANGO_DEBUG": "0",
    "DJANGO_SECRET_KEY": "a-test-secret-key-that-is-long-and-random-enough-for-check-deploy-3f9c1b",
    "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
}
PLAIN_HTTP_ENV = {
    "DJANGO_SECURE_SSL_REDIRECT": "0",
    "DJANGO_SESSION_COOKIE_SECURE": "0",
    "DJANGO_CSRF_COOKIE_SECURE": "0",
}


def environment(env: dict[str, str]) -> dict[str, str]:
    """`env` on top of this process's environment less its settings for the app."""
    inherited = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("DJANGO_", "CLAIMBASE_"))
        and name not in {"DATABASE_URL", "REDIS_URL", "CACHE_URL", "WEB_CONCURRENCY"}
    }
    return {**inherited, "DJANGO_SETTINGS_MODULE": "config.settings", **env}


def manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    """Run manage.py in a subprocess with `env` as the app's environment."""
    return subprocess.run(
        [str(BIN / "python"), "manage.py", *args],
        cwd=settings.BASE_DIR,
        env=environment(env),
        capture_output=True,
        text=True,
        timeout=300,
    )


def settings_in(env: dict[str, str], *names: str) -> dict:
    """The settings `names` as the app reads them from `env` (as JSON: paths become strings)."""
    code = (
        "import json; from django.conf import settings; "
        f"print(json.dumps({{name: getattr(settings, name, None) for name in {names!r}}}, "
        "default=str))"
    )
    result = manage("shell", "--command", code, env={"DATABASE_URL": "sqlite:///:memory:", **env})
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def served_database_url(tmp_dir: Path) -> str:
    """A migrated database a subprocess can serve: PostgreSQL's test database, or a SQLite file.

    Call it once pytest-django has set up the test database.
    """
    db = connection.settings_dict
    if connection.vendor == "postgresql":
        password = f":{quote(db['PASSWORD'], safe='')}" if db.get("PASSWORD") else ""
        host = db.get("HOST") or "127.0.0.1"
        port = db.get("PORT") or 5432
        return f"postgres://{quote(db['USER'], safe='')}{password}@{host}:{port}/{db['NAME']}"
    url = f"sqlite:///{tmp_dir / 'served.sqlite3'}"
    result = manage("migrate", "--noinput", "--verbosity", "0", env={"DATABASE_URL": url})
    assert result.returncode == 0, result.stderr
    return url


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Served:
    url: str
    port: int
    log: Path

    def log_text(self) -> str:
        return self.log.read_text(errors="replace")


@dataclass
class Reply:
    status: int
    headers: dict[str, str]
    body: bytes


def fetch(url: str, headers: dict[str, str] | None = None) -> Reply:
    """GET `url`; 4xx and 5xx are replies too, not exceptions."""
    request = Request(url, headers=headers or {})
    try:
        with urlopen(request, timeout=30) as response:
            return Reply(response.status, dict(response.headers), response.read())
    except HTTPError as error:
        return Reply(error.code, dict(error.headers), error.read())


@contextmanager
def gunicorn(
    *, env: dict[str, str], tmp_dir: Path, workers: int = 1, app: str | None = None
) -> Iterator[Served]:
    """Serve the app with gunicorn and `env` until the block ends; wait until every worker is up.

    `app`: another WSGI application than config/gunicorn.py's (`module:name`).
    """
    port = free_port()
    log = tmp_dir / f"gunicorn-{port}.log"
    with log.open("wb") as log_file:
        process = subprocess.Popen(
            [
                str(BIN / "gunicorn"),
                "--config",
                "config/gunicorn.py",
                "--bind",
                f"127.0.0.1:{port}",
                "--workers",
                str(workers),
                *([app] if app else []),
            ],
            cwd=settings.BASE_DIR,
            env=environment(env),
            stdout=log_file,
            stderr=subprocess.STDOUT,
        )
    served = Served(url=f"http://127.0.0.1:{port}", port=port, log=log)
    try:
        wait_until_serving(process, served, workers)
        yield served
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def wait_until_serving(process: subprocess.Popen, served: Served, workers: int) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {process.returncode}:\n{served.log_text()}")
        booted = served.log_text().count("Booting worker")
        if booted >= workers:
            try:
                fetch(f"{served.url}/healthz")
                return
            except (URLError, ConnectionError):
                pass
        time.sleep(0.1)
    raise RuntimeError(f"gunicorn did not serve within {STARTUP_SECONDS}s:\n{served.log_text()}")
