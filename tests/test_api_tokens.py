"""API tokens: hashed at rest, shown once, expiring, revocable; a bad one is a JSON 401."""

import importlib
from datetime import timedelta
from io import StringIO
from types import SimpleNamespace

import pytest
from django.apps import apps
from django.core.management import CommandError, call_command
from django.db import connection, models
from django.urls import reverse
from django.utils import timezone
from knox.models import AuthToken
from rest_framework.test import APIClient

from api.tokens import token_create
from claims.services import curator_create

pytestmark = pytest.mark.django_db


def client_with(token: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    return client


def can_write(client: APIClient) -> int:
    """The status of a curator's write: 201 when the token is good."""
    return client.post(reverse("author-list"), {"name": "Yulia Skripal"}, format="json").status_code


def assert_unauthenticated(response) -> None:
    assert response.status_code == 401
    assert response["Content-Type"].startswith("application/json")
    assert response.json()["type"] == "authentication_failed"
    assert response["WWW-Authenticate"] == "Token"


def test_a_new_token_works_with_the_token_prefix(curator):
    client = client_with(token_create(user=curator))
    assert can_write(client) == 201


def test_an_expired_token_is_a_401(curator):
    token = token_create(user=curator, expires_in=timedelta(days=1))
    AuthToken.objects.filter(user=curator).update(expiry=timezone.now() - timedelta(seconds=1))
    assert_unauthenticated(client_with(token).get(reverse("claim-list")))


def test_a_revoked_token_is_a_401(curator):
    token = token_create(user=curator)
    client = client_with(token)
    assert can_write(client) == 201
    call_command("tokens", "curator", "--revoke", token[:10], stderr=StringIO())
    assert_unauthenticated(client.get(reverse("claim-list")))


@pytest.mark.parametrize(
    "header",
    ["Token nonsense", "Token " + "0" * 64, "Token", "Token a b", "Token \xe9\xe9\xe9"],
)
def test_a_wrong_or_malformed_token_is_a_json_401(api, header):
    api.credentials(HTTP_AUTHORIZATION=header)
    response = api.get(reverse("claim-list"))
    assert response.status_code == 401
    assert response.json()["status"] == 401


def test_tokens_expire_after_the_default_lifetime(curator, settings):
    settings.REST_KNOX = {**settings.REST_KNOX, "TOKEN_TTL": timedelta(days=90)}
    token_create(user=curator)
    newest = AuthToken.objects.filter(user=curator).latest("created")
    assert timedelta(days=89) < newest.expiry - timezone.now() <= timedelta(days=90)


def every_text_column():
    for model in apps.get_models():
        for field in model._meta.concrete_fields:
            if isinstance(field, models.CharField | models.TextField):
                yield model, field.attname


def test_the_database_holds_no_column_equal_to_the_token(curator):
    token = token_create(user=curator)
    assert AuthToken.objects.filter(user=curator).exists()
    for model, column in every_text_column():
        assert not model._base_manager.filter(**{column: token}).exists(), (model, column)
        assert not model._base_manager.filter(**{f"{column}__contains": token}).exists()


def test_create_curator_prints_the_token_alone_on_stdout_and_the_rest_on_stderr():
    out, err = StringIO(), StringIO()
    call_command("create_curator", "dora", stdout=out, stderr=err)
    token = out.getvalue().strip()
    assert len(token) == 64 and token not in err.getvalue()
    assert "dora is a curator" in err.getvalue()
    assert can_write(client_with(token)) == 201


@pytest.mark.parametrize(
    ("days", "lasts"), [("7", timedelta(days=7)), ("0", None), ("never", None)]
)
def test_create_curator_sets_the_expiry_asked_for(days, lasts):
    call_command(
        "create_curator", "erin", "--expires-in", days, stdout=StringIO(), stderr=StringIO()
    )
    token = AuthToken.objects.get(user__username="erin")
    if lasts is None:
        assert token.expiry is None
    else:
        assert lasts - timedelta(minutes=1) < token.expiry - timezone.now() <= lasts


@pytest.mark.parametrize("days", ["-3", "soon", "9999999999"])
def test_create_curator_refuses_a_lifetime_that_is_no_number_of_days(days):
    with pytest.raises(CommandError):
        call_command("create_curator", "fay", "--expires-in", days, stdout=StringIO())


def test_the_tokens_command_lists_prefixes_and_expiry_never_the_token():
    user, expiring = curator_create(username="gus", expires_in=timedelta(days=30))
    forever = token_create(user=user, expires_in=None)
    out = StringIO()
    call_command("tokens", "gus", stdout=out)
    listing = out.getvalue()
    assert expiring not in listing and forever not in listing
    assert expiring[:15] in listing and forever[:15] in listing
    assert "never" in listing
    assert str(timezone.now().year) in listing


def test_the_tokens_command_marks_expired_tokens():
    user, token = curator_create(username="hal", expires_in=timedelta(days=1))
    AuthToken.objects.filter(user=user).update(expiry=timezone.now() - timedelta(days=1))
    out = StringIO()
    call_command("tokens", "hal", stdout=out)
    assert "(expired)" in out.getvalue()


def test_the_tokens_command_revokes_one_token_by_its_prefix():
    user, kept = curator_create(username="ida")
    revoked = token_create(user=user)
    call_command("tokens", "ida", "--revoke", revoked[:8], stderr=StringIO())
    assert can_write(client_with(kept)) == 201
    assert_unauthenticated(client_with(revoked).get(reverse("claim-list")))


def test_the_tokens_command_refuses_a_prefix_that_names_no_single_token():
    user, _ = curator_create(username="jan")
    for _ in range(2):
        AuthToken.objects.create(user=user, expiry=None, prefix="abc")
    with pytest.raises(CommandError, match="2 tokens"):
        call_command("tokens", "jan", "--revoke", "abc")
    with pytest.raises(CommandError, match="no token"):
        call_command("tokens", "jan", "--revoke", "not-hex")
    with pytest.raises(CommandError, match="no token"):
        call_command("tokens", "jan", "--revoke", "")
    assert AuthToken.objects.filter(user=user).count() == 3


def test_the_tokens_command_revokes_all_tokens_of_a_user(curator):
    other_user, other = curator_create(username="kim")
    tokens = [token_create(user=curator) for _ in range(3)]
    call_command("tokens", "curator", "--revoke-all", stderr=StringIO())
    assert not AuthToken.objects.filter(user=curator).exists()
    for token in tokens:
        assert_unauthenticated(client_with(token).get(reverse("claim-list")))
    assert can_write(client_with(other)) == 201


def test_the_tokens_command_names_an_unknown_user():
    with pytest.raises(CommandError, match="No user"):
        call_command("tokens", "nobody")


def test_the_schema_documents_the_token_header(api):
    schema = api.get("/api/schema/?format=json").json()
    scheme = schema["components"]["securitySchemes"]["tokenAuth"]
    assert scheme == {
        "type": "apiKey",
        "in": "header",
        "name": "Authorization",
        "description": 'Token-based authentication with required prefix "Token"',
    }


def test_existing_plaintext_tokens_are_hashed_by_the_migration_and_keep_working(curator):
    migration = importlib.import_module("api.migrations.0001_hash_existing_tokens")
    key = "9944b09199c62bcf9418ad846dd0e4bbdfc6ee4b"
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TABLE authtoken_token "
            "(key varchar(40) PRIMARY KEY, created timestamp NOT NULL, user_id integer NOT NULL)"
        )
        cursor.execute(
            "INSERT INTO authtoken_token VALUES (%s, %s, %s)",
            [key, "2025-03-01 12:00:00", curator.pk],
        )
    # The migration's own statements, run inside this test's transaction.
    schema_editor = SimpleNamespace(connection=connection, execute=connection.cursor().execute)
    migration.hash_existing_tokens(apps, schema_editor)
    assert "authtoken_token" not in connection.introspection.table_names()
    migrated = AuthToken.objects.get(token_key=key[:15])
    assert migrated.digest != key and migrated.created.year == 2025
    assert migrated.expiry > timezone.now()
    assert can_write(client_with(key)) == 201
