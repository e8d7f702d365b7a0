"""make run's server: gunicorn with config/gunicorn.py, static files by WhiteNoise."""

import json
import re
import runpy

import pytest
from django.conf import settings

from tests.gunicorn_server import PLAIN_HTTP_ENV, PRODUCTION_ENV, fetch, gunicorn

GUNICORN_CONFIG = settings.BASE_DIR / "config" / "gunicorn.py"

# The served database is set up with the test database (pytest-django sets up databases
# only for sessions that have a test marked django_db).
pytestmark = pytest.mark.django_db


@pytest.fixture
def production_server(database_url, static_root, tmp_path):
    env = {
        **PRODUCTION_ENV,
        **PLAIN_HTTP_ENV,
        "DATABASE_URL": database_url,
        "DJANGO_STATIC_ROOT": str(static_root),
        "DJANGO_CACHE_DIR": str(tmp_path / "cache"),
    }
    with gunicorn(env=env, tmp_dir=tmp_path) as served:
        yield served


def assert_json_error(reply, status: int) -> dict:
    assert reply.status == status
    assert reply.headers["Content-Type"].startswith("application/json")
    body = json.loads(reply.body)
    assert body["status"] == status
    return body


def test_a_100_kb_query_string_on_an_api_path_reaches_django_and_gets_a_json_4xx(
    production_server,
):
    # gunicorn's own answer would be a plain-text 414; Django's is the API's error shape.
    reply = fetch(f"{production_server.url}/api/v1/claims/lookup/?q={'a' * 100_000}")
    assert 400 <= reply.status < 500
    body = assert_json_error(reply, reply.status)
    assert set(body) >= {"type", "title", "status", "detail"}


def test_a_100_kb_api_path_gets_a_json_404(production_server):
    assert_json_error(fetch(f"{production_server.url}/api/v1/{'x' * 100_000}/"), 404)


def linked(html: bytes, pattern: str) -> str:
    match = re.search(pattern, html.decode())
    assert match, f"no {pattern!r} in the page"
    return match.group(1)


def test_with_debug_off_the_admin_stylesheet_is_served_under_its_hashed_name(production_server):
    page = fetch(f"{production_server.url}/admin/login/")
    assert page.status == 200
    href = linked(page.body, r'href="(/static/admin/css/base\.[0-9a-f]{12}\.css)"')
    stylesheet = fetch(f"{production_server.url}{href}")
    assert stylesheet.status == 200
    assert stylesheet.headers["Content-Type"].startswith("text/css")
    assert "immutable" in stylesheet.headers["Cache-Control"]
    compressed = fetch(f"{production_server.url}{href}", headers={"Accept-Encoding": "gzip"})
    assert compressed.headers["Content-Encoding"] == "gzip"


@pytest.mark.parametrize(
    ("page", "script"),
    [
        (
            "/api/docs/",
            r'src="(/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle\.[0-9a-f]{12}\.js)"',
        ),
        (
            "/api/redoc/",
            r'src="(/static/drf_spectacular_sidecar/redoc/bundles/redoc\.standalone\.[0-9a-f]{12}\.js)"',
        ),
    ],
)
def test_with_debug_off_the_api_docs_load_their_scripts_from_the_app(
    production_server, page, script
):
    html = fetch(f"{production_server.url}{page}")
    assert html.status == 200
    src = linked(html.body, script)
    bundle = fetch(f"{production_server.url}{src}")
    assert bundle.status == 200
    assert "javascript" in bundle.headers["Content-Type"]


def test_gunicorn_runs_web_concurrency_workers(monkeypatch):
    monkeypatch.setenv("WEB_CONCURRENCY", "3")
    assert runpy.run_path(str(GUNICORN_CONFIG))["workers"] == 3


def test_gunicorn_defaults_to_two_workers_per_core_plus_one_at_most_nine(monkeypatch):
    monkeypatch.delenv("WEB_CONCURRENCY", raising=False)
    monkeypatch.setattr("os.cpu_count", lambda: 2)
    assert runpy.run_path(str(GUNICORN_CONFIG))["workers"] == 5
    monkeypatch.setattr("os.cpu_count", lambda: 64)
    assert runpy.run_path(str(GUNICORN_CONFIG))["workers"] == 9


def test_the_served_app_logs_each_request_as_one_json_line(production_server):
    fetch(f"{production_server.url}/api/v1/authors/?ordering=name")
    lines = [
        json.loads(line)
        for line in production_server.log_text().splitlines()
        if line.startswith("{") and '"claimbase.requests"' in line
    ]
    [line] = [line for line in lines if line["path"] == "/api/v1/authors/"]
    assert (line["method"], line["status"], line["client"]) == ("GET", 200, "127.0.0.1")
    assert line["duration_ms"] >= 0


def test_the_served_app_is_ready_with_its_database_and_cache(production_server):
    reply = fetch(f"{production_server.url}/readyz")
    assert reply.status == 200
    assert json.loads(reply.body)["failing"] == []


def test_each_worker_loads_the_semantic_index_before_it_takes_a_request(production_server):
    lines = [
        json.loads(line)
        for line in production_server.log_text().splitlines()
        if line.startswith("{")
    ]
    loaded = [line for line in lines if line["message"].startswith("Semantic index loaded:")]
    assert len(loaded) == 1  # the one worker, before the fixture's first request answered
    assert loaded[0]["logger"] == "lookup.index"
    reply = fetch(f"{production_server.url}/api/v1/claims/lookup/?q=Skripal")
    assert reply.status == 200


def test_the_benchs_floor_is_served_with_the_same_gunicorn_configuration(database_url, tmp_path):
    """bench/floor.py installs no app: the workers' start-up must not load the lookup there."""
    env = {**PRODUCTION_ENV, **PLAIN_HTTP_ENV, "DATABASE_URL": database_url}
    with gunicorn(env=env, tmp_dir=tmp_path, app="bench.floor:application") as served:
        reply = fetch(f"{served.url}/api/v1/claims/?page_size=5")
        log = served.log_text()
    assert reply.status == 200, log
    assert isinstance(json.loads(reply.body)["results"], list)
    assert "Semantic index loaded" not in log
    assert "Traceback" not in log
