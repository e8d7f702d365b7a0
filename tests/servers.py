"""The app as a separate server process on a SQLite file, for tests that need real concurrency."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.error import HTTPError, URLError
from urllib.request import Request, urlopen

from django.conf import settings

MANAGE = str(settings.BASE_DIR / "manage.py")
START_TIMEOUT = 60


def sqlite_env(database: Path, **extra: str) -> dict[str, str]:
    """The environment of a process of the app on the SQLite file `database`."""
    env = {key: value for key, value in os.environ.items() if key != "REDIS_URL"}
    env.update(DATABASE_URL=f"sqlite:///{database}", PYTHONUNBUFFERED="1", **extra)
    return env


def manage(*args: str, env: dict[str, str], check: bool = True) -> subprocess.CompletedProcess:
    """Run `manage.py args` in a process of its own and return what it did."""
    return subprocess.run(
        [sys.executable, MANAGE, *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=check,
    )


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class Response:
    status: int
    body: dict | list | None


def call(url: str, method: str = "GET", payload=None, token: str = "", timeout=60) -> Response:
    """One HTTP request with a JSON body; an HTTP error is a Response, not an exception."""
    headers = {"Accept": "application/json"}
    if token:
        headers["Authorization"] = f"Token {token}"
    data = None
    if payload is not None:
        data = json.dumps(payload).encode()
        headers["Content-Type"] = "application/json"
    request = Request(url, data=data, method=method, headers=headers)
    try:
        with urlopen(request, timeout=timeout) as answer:
            status, raw = answer.status, answer.read()
    except HTTPError as error:
        status, raw = error.code, error.read()
    try:
        body = json.loads(raw) if raw else None
    except ValueError:
        body = {"unparsed": raw[:500].decode(errors="replace")}
    return Response(status, body)


class Server:
    """`manage.py runserver` (multi-threaded, no autoreload) on a free loopback port."""

    def __init__(self, env: dict[str, str], log: Path):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = log
        with log.open("w") as output:
            self.process = subprocess.Popen(
                [sys.executable, MANAGE, "runserver", "--noreload", f"127.0.0.1:{self.port}"],
                env=env,
                stdout=output,
                stderr=subprocess.STDOUT,
            )
        self._wait_until_ready()

    def _wait_until_ready(self) -> None:
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the server exited: {self.log.read_text()[-2000:]}")
            try:
                if call(f"{self.url}/api/v1/authors/", timeout=5).status == 200:
                    return
            except (URLError, ConnectionError, TimeoutError):
                time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"the server did not start: {self.log.read_text()[-2000:]}")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
