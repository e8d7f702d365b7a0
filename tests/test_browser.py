"""A real browser: a curator from a seed source to a published, cited claim; the
production server's admin and API docs, styled and rendered.

Drives Debian's Chromium (/usr/bin/chromium) headless with Playwright against a
live server, and against gunicorn with DJANGO_DEBUG=0. `make test-browser` installs
both; without them these tests are skipped and say why.
"""

import json
import os
import shutil
from io import StringIO
from urllib.request import urlopen

import pytest
from django.core.management import call_command

from claims.models import Claim
from claims.services import curator_create
from sources.models import Source
from tests.gunicorn_server import (
    PLAIN_HTTP_ENV,
    PRODUCTION_ENV,
    gunicorn,
    manage,
    served_database_url,
)

CHROMIUM = os.environ.get("CLAIMBASE_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

try:
    from playwright.sync_api import expect, sync_playwright
except ImportError:  # pragma: no cover - depends on the machine
    sync_playwright = None

# `make test-browser` sets CLAIMBASE_REQUIRE_BROWSER: there, a missing browser fails.
REQUIRED = bool(os.environ.get("CLAIMBASE_REQUIRE_BROWSER"))

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not REQUIRED and sync_playwright is None,
        reason="Playwright is not installed: run `make test-browser`",
    ),
    pytest.mark.skipif(
        not REQUIRED and not shutil.which(CHROMIUM),
        reason=f"no Chromium at {CHROMIUM}: run `make test-browser` (installs Debian's chromium)",
    ),
]

TEXT = "Twenty-eight states expelled Russian diplomats after the Skripal attack."
QUOTE = "28 states joined the U.K. in expelling Russian diplomats"  # as a curator types it


@pytest.fixture
def browser_page():
    # Playwright's sync API runs an event loop in this thread; the ORM calls the
    # test makes around it are synchronous and safe.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        page = browser.new_page()
        yield page
        browser.close()
    del os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"]


@pytest.mark.django_db(transaction=True)
def test_curator_publishes_a_claim_citing_a_seed_passage_then_finds_it_in_the_api(
    live_server, browser_page
):
    if not Source.objects.exists():
        call_command("load_corpus", stdout=StringIO())
    curator_create(username="carol", password="a long curator password")
    source = Source.objects.get(slug="new-cold-war-forces-japan-to-choose-sides")
    page = browser_page

    page.goto(f"{live_server.url}/admin/login/")
    page.fill("#id_username", "carol")
    page.fill("#id_password", "a long curator password")
    page.click("input[type=submit]")
    expect(page.locator("#site-name")).to_be_visible()

    page.goto(f"{live_server.url}/admin/claims/claim/add/")
    page.fill("#id_text", TEXT)
    page.select_option("#id_citations-0-source", str(source.pk))
    page.fill("#id_citations-0-quote", QUOTE.lower())
    page.select_option("#id_citations-0-stance", "supports")
    page.check("#id_store_anyway")  # the corpus says this in other words
    page.click("input[name=_save]")
    expect(page.locator(".messagelist .success")).to_be_visible()

    claim = Claim.objects.get(text=TEXT)
    assert claim.status == "draft"
    assert claim.citations.get().passage.exact == QUOTE

    page.goto(f"{live_server.url}/admin/claims/claim/?q=Twenty-eight")
    page.check(f"input[name=_selected_action][value='{claim.pk}']")
    page.select_option("select[name=action]", "publish")
    page.click("button[name=index]")
    expect(page.locator(".messagelist .success")).to_contain_text("Published 1 claims")

    with urlopen(f"{live_server.url}/api/v1/claims/?q=Twenty-eight+states") as response:
        results = json.load(response)["results"]
    published = next(result for result in results if result["text"] == TEXT)
    assert published["status"] == "published"
    assert published["citations"][0]["passage"]["exact"] == QUOTE
    assert published["citations"][0]["author"]["name"] == "James D. J. Brown"
    assert published["verdict"]["verdict"] == "supported"


@pytest.fixture
def production_server(django_db_blocker, tmp_path):
    """gunicorn with DJANGO_DEBUG=0 over plain HTTP, its static files collected as in production."""
    with django_db_blocker.unblock():
        database_url = served_database_url(tmp_path)
    static_root = tmp_path / "static"
    env = {
        **PRODUCTION_ENV,
        **PLAIN_HTTP_ENV,
        "DATABASE_URL": database_url,
        "DJANGO_STATIC_ROOT": str(static_root),
        "DJANGO_CACHE_DIR": str(tmp_path / "cache"),
    }
    collected = manage("collectstatic", "--noinput", env=env)
    assert collected.returncode == 0, collected.stderr
    with gunicorn(env=env, tmp_dir=tmp_path) as served:
        yield served


# Redoc's sidebar shows Redocly's logo from their CDN, whatever the options; offline, the
# image fails and Redoc hides it. Nothing else may leave the server.
REDOC_LOGO = "https://cdn.redoc.ly/redoc/logo-mini.svg"


@pytest.fixture
def requests_seen(browser_page, production_server) -> dict[str, list[str]]:
    """What the pages asked for: what failed on the server, and what went elsewhere."""
    seen = {"failed": [], "elsewhere": []}

    def on_response(response):
        if response.url.startswith(production_server.url) and response.status >= 400:
            seen["failed"].append(f"{response.status} {response.url}")

    def on_request(request):
        if not request.url.startswith((production_server.url, "data:", "blob:")):
            seen["elsewhere"].append(request.url)

    browser_page.on("response", on_response)
    browser_page.on("request", on_request)
    return seen


@pytest.mark.django_db
def test_with_debug_off_the_admin_is_styled_and_the_api_docs_render(
    production_server, browser_page, requests_seen
):
    page = browser_page

    page.goto(f"{production_server.url}/admin/login/")
    expect(page.locator("#site-name")).to_be_visible()
    stylesheet_rules = page.evaluate(
        "() => [...document.styleSheets]"
        ".filter(sheet => sheet.href && sheet.href.includes('/static/admin/css/'))"
        ".map(sheet => sheet.cssRules.length)"
    )
    assert stylesheet_rules and all(rules > 0 for rules in stylesheet_rules)
    header = page.locator("#header")
    assert header.evaluate("element => getComputedStyle(element).display") == "flex"
    assert header.evaluate("element => getComputedStyle(element).backgroundColor") not in {
        "rgba(0, 0, 0, 0)",
        "transparent",
    }

    page.goto(f"{production_server.url}/api/docs/")
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("Claimbase API")
    expect(page.locator(".swagger-ui .opblock").first).to_be_visible()

    page.goto(f"{production_server.url}/api/redoc/")
    expect(page.locator(".api-info h1")).to_contain_text("Claimbase API")
    expect(page.get_by_text("Find the claims that match a statement").first).to_be_attached()

    assert requests_seen["failed"] == []
    assert set(requests_seen["elsewhere"]) <= {REDOC_LOGO}
