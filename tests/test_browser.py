"""A curator in a real browser: from a seed source to a published, cited claim.

Drives Debian's Chromium (/usr/bin/chromium) headless with Playwright against a
live server. `make test-browser` installs both; without them this test is
skipped and says why.
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
