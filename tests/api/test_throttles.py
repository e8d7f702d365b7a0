"""Throttles count each real client once, however many workers serve it and whatever it claims.

The throttles' counters live in the cache; these tests run gunicorn with two worker
processes, which count together only if they share it.
"""

import json
import os
import socket

import pytest
import redis
from django.conf import settings
from django.urls import reverse
from rest_framework.throttling import SimpleRateThrottle

from tests.gunicorn_server import (
    PLAIN_HTTP_ENV,
    PRODUCTION_ENV,
    fetch,
    gunicorn,
    manage,
    settings_in,
)

REDIS_TEST_URL = os.environ.get("CLAIMBASE_TEST_REDIS_URL", "redis://127.0.0.1:6379/2")

pytestmark = pytest.mark.django_db


def reachable_redis() -> redis.Redis:
    """The test Redis; a machine without one skips (CI, which has one, requires it)."""
    client = redis.Redis.from_url(REDIS_TEST_URL, socket_connect_timeout=2)
    try:
        client.ping()
    except redis.ConnectionError:
        if os.environ.get("CLAIMBASE_REQUIRE_REDIS"):
            raise
        pytest.skip(f"no Redis at {REDIS_TEST_URL} (CI sets CLAIMBASE_REQUIRE_REDIS=1)")
    return client


@pytest.fixture(params=["files", "redis"])
def cache_env(request, tmp_path) -> dict[str, str]:
    """The two shared caches: files in one directory (the default), and Redis."""
    if request.param == "redis":
        reachable_redis().flushdb()
        return {"REDIS_URL": REDIS_TEST_URL}
    return {"DJANGO_CACHE_DIR": str(tmp_path / "cache")}


def served_env(database_url: str, tmp_path, **env: str) -> dict[str, str]:
    return {
        **PRODUCTION_ENV,
        **PLAIN_HTTP_ENV,
        "DATABASE_URL": database_url,
        "DJANGO_CACHE_DIR": str(tmp_path / "cache"),
        **env,
    }


def status_of_held_request(held: socket.socket) -> int:
    chunks = []
    while chunk := held.recv(65536):
        chunks.append(chunk)
    status_line = b"".join(chunks).split(b"\r\n", 1)[0]
    return int(status_line.split()[1])


def test_two_gunicorn_workers_count_one_client_together(database_url, tmp_path, cache_env):
    env = served_env(database_url, tmp_path, DJANGO_THROTTLE_ANON="3/hour", **cache_env)
    # Sync workers here (config/gunicorn.py's are threaded): a sync worker waits on a
    # request whose headers are not finished, so the two processes surely serve one each.
    env["GUNICORN_CMD_ARGS"] = "--worker-class sync"
    with gunicorn(env=env, tmp_dir=tmp_path, workers=2) as served:
        url = f"{served.url}/api/v1/authors/"
        # A request whose headers are not finished yet keeps one (sync) worker waiting on
        # it, so the other worker serves every request in between.
        held = socket.create_connection(("127.0.0.1", served.port), timeout=30)
        with held:
            held.sendall(
                f"GET /api/v1/authors/ HTTP/1.1\r\nHost: 127.0.0.1:{served.port}\r\n".encode()
            )
            in_between = [fetch(url).status for _ in range(3)]
            held.sendall(b"Connection: close\r\n\r\n")
            held_status = status_of_held_request(held)
    assert in_between == [200, 200, 200]
    assert held_status == 429


def test_a_new_spoofed_x_forwarded_for_on_each_request_does_not_escape_the_limit(
    database_url, tmp_path
):
    env = served_env(database_url, tmp_path, DJANGO_THROTTLE_ANON="3/hour")
    with gunicorn(env=env, tmp_dir=tmp_path, workers=2) as served:
        statuses = [
            fetch(f"{served.url}/api/v1/authors/", {"X-Forwarded-For": f"203.0.113.{n}"}).status
            for n in range(5)
        ]
    assert statuses == [200, 200, 200, 429, 429]


def test_behind_one_trusted_proxy_the_forwarded_client_address_is_counted(database_url, tmp_path):
    env = served_env(
        database_url, tmp_path, DJANGO_THROTTLE_ANON="2/hour", DJANGO_TRUSTED_PROXIES="1"
    )
    with gunicorn(env=env, tmp_dir=tmp_path, workers=2) as served:
        url = f"{served.url}/api/v1/authors/"

        def status_for(client: str) -> int:
            # The proxy appends the address it saw to what the client sent.
            return fetch(url, {"X-Forwarded-For": f"198.51.100.7, {client}"}).status

        first_client = [status_for("203.0.113.1") for _ in range(3)]
        second_client = [status_for("203.0.113.2") for _ in range(2)]
        log = served.log_text()
    assert first_client == [200, 200, 429]
    assert second_client == [200, 200]
    logged = [json.loads(line) for line in log.splitlines() if '"claimbase.requests"' in line]
    assert {line["client"] for line in logged if line["path"] == "/api/v1/authors/"} == {
        "203.0.113.1",
        "203.0.113.2",
    }


def test_the_lookup_has_its_own_rate(api, monkeypatch):
    monkeypatch.setitem(SimpleRateThrottle.THROTTLE_RATES, "lookup", "2/minute")
    url = reverse("claim-lookup") + "?q=Japan+expelled+Russian+diplomats"
    assert [api.get(url).status_code for _ in range(3)] == [200, 200, 429]
    assert api.get(reverse("author-list")).status_code == 200


def test_the_lookup_rate_comes_from_the_environment():
    rates = settings_in({"DJANGO_THROTTLE_LOOKUP": "7/minute"}, "REST_FRAMEWORK")
    assert rates["REST_FRAMEWORK"]["DEFAULT_THROTTLE_RATES"]["lookup"] == "7/minute"


def test_redis_url_selects_djangos_redis_cache():
    reachable_redis()
    code = (
        "from django.core.cache import caches; cache = caches['default']; "
        "cache.set('probe', 'reached', 30); "
        "print(type(cache).__module__ + '.' + type(cache).__name__, cache.get('probe'))"
    )
    result = manage("shell", "--command", code, env={"REDIS_URL": REDIS_TEST_URL})
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == (
        "django.core.cache.backends.redis.RedisCache reached"
    )
    assert redis.Redis.from_url(REDIS_TEST_URL).exists(":1:probe") == 0  # keys carry a prefix
    assert redis.Redis.from_url(REDIS_TEST_URL).exists("claimbase:1:probe") == 1


def test_without_redis_the_cache_is_files_in_one_directory_every_worker_shares():
    caches = settings_in({"DJANGO_CACHE_DIR": "/srv/claimbase-cache"}, "CACHES")["CACHES"]
    assert caches["default"]["BACKEND"] == "django.core.cache.backends.filebased.FileBasedCache"
    assert caches["default"]["LOCATION"] == "/srv/claimbase-cache"
    default = settings_in({}, "CACHES")["CACHES"]["default"]["LOCATION"]
    assert default == str(settings.BASE_DIR / ".cache")
