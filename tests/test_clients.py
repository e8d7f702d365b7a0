"""The Python client generated from the schema reads a live server: claims, one claim, the feed."""

import json
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command

from claims.feed import public_id
from claims.models import Change, Claim
from claims.services import curator_create
from sources.models import Source

CLIENTS = Path(settings.BASE_DIR) / "clients"
GENERATOR = Path(sys.executable).parent / "openapi-python-client"


@pytest.fixture
def generated_client(tmp_path) -> Path:
    """The Python client generated from the schema, in a directory to put on the path."""
    schema = tmp_path / "schema.json"
    call_command("spectacular", format="openapi-json", file=str(schema), stdout=StringIO())
    package = tmp_path / "python" / "claimbase_client"
    subprocess.run(
        [GENERATOR, "generate", "--path", schema, "--meta", "none", "--output-path", package]
        + ["--config", CLIENTS / "openapi-python-client.yaml"],
        check=True,
        capture_output=True,
        timeout=120,
    )
    return package.parent


@pytest.mark.django_db(transaction=True)
def test_the_generated_python_client_lists_claims_reads_one_and_follows_the_feed(
    live_server, generated_client
):
    if not Source.objects.exists():
        call_command("load_corpus", stdout=StringIO())
    _, token = curator_create(username="reader-app")

    run = subprocess.run(
        [sys.executable, CLIENTS / "usage.py", live_server.url, token],
        env={"PYTHONPATH": str(generated_client), "PATH": ""},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stderr
    tour = json.loads(run.stdout)

    newest = list(Claim.objects.listed().order_by("-created_at", "-id")[:5])
    assert tour["listed"] == [str(claim.uuid) for claim in newest]
    assert tour["more"] is True
    claim = Claim.objects.with_verdict().get(uuid=tour["listed"][0])
    assert tour["claim"]["id"] == str(claim.uuid)
    assert tour["claim"]["text"] == claim.text
    assert tour["claim"]["status"] == claim.status
    assert tour["claim"]["verdict"] == claim.verdict
    assert tour["claim"]["citations"] == claim.citations.count()
    oldest = list(Change.objects.order_by("seq")[:10])
    assert tour["changes"] == [[c.kind, public_id(c), c.operation] for c in oldest]
    assert tour["cursor"]
