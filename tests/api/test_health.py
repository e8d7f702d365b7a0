"""Health checks: /healthz (the process is up) and /readyz (it can serve)."""

import pytest
from django.db import OperationalError, connection
from django.db.migrations.recorder import MigrationRecorder
from django.test import override_settings
from django.urls import reverse
from rest_framework.throttling import SimpleRateThrottle


class BrokenCache:
    def set(self, *args, **kwargs):
        raise ConnectionError("cache server unreachable at 10.0.0.9")

    get = delete = set


class ForgetfulCache:
    def set(self, *args, **kwargs):
        pass

    def get(self, *args, **kwargs):
        return None

    delete = set


def test_healthz_answers_200_without_touching_the_database(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert "no-cache" in response["Cache-Control"]


@pytest.mark.django_db
def test_readyz_answers_200_listing_each_check(client):
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {
        "status": "ok",
        "failing": [],
        "checks": {
            "database": {"status": "ok"},
            "migrations": {"status": "ok"},
            "cache": {"status": "ok"},
        },
    }


@pytest.mark.django_db
def test_readyz_is_a_503_naming_the_cache_when_the_cache_raises(client, monkeypatch):
    monkeypatch.setattr("api.health.cache", BrokenCache())
    response = client.get("/readyz")
    assert response.status_code == 503
    body = response.json()
    assert body["failing"] == ["cache"]
    assert body["checks"]["cache"] == {"status": "failing", "detail": "ConnectionError"}
    assert body["checks"]["database"] == {"status": "ok"}


@pytest.mark.django_db
def test_readyz_is_a_503_when_the_cache_loses_what_it_stored(client, monkeypatch):
    monkeypatch.setattr("api.health.cache", ForgetfulCache())
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"]["cache"]["detail"] == (
        "the cache did not return the value just stored"
    )


@pytest.mark.django_db
def test_readyz_is_a_503_naming_the_database_when_it_is_unreachable(client, monkeypatch):
    def unreachable(*args, **kwargs):
        raise OperationalError("could not connect to server")

    monkeypatch.setattr(connection, "cursor", unreachable)
    response = client.get("/readyz")
    assert response.status_code == 503
    body = response.json()
    assert "database" in body["failing"]
    assert body["checks"]["database"] == {"status": "failing", "detail": "OperationalError"}
    assert body["checks"]["cache"] == {"status": "ok"}


@pytest.mark.django_db
def test_readyz_is_a_503_naming_the_migration_not_applied_yet(client):
    latest = MigrationRecorder.Migration.objects.filter(app="claims").latest("id")
    latest.delete()  # rolled back with the test
    response = client.get("/readyz")
    assert response.status_code == 503
    body = response.json()
    assert body["failing"] == ["migrations"]
    assert f"claims.{latest.name}" in body["checks"]["migrations"]["detail"]


@pytest.mark.django_db
@override_settings(CLAIMBASE_PUBLIC_READS=False)
def test_health_checks_need_no_credentials_and_are_never_throttled(client, monkeypatch):
    monkeypatch.setitem(SimpleRateThrottle.THROTTLE_RATES, "anon", "1/minute")
    statuses = [client.get(path).status_code for path in ["/healthz", "/readyz"] * 3]
    assert statuses == [200] * 6


@pytest.mark.django_db
@override_settings(SECURE_SSL_REDIRECT=True)
def test_probes_over_plain_http_are_not_redirected_to_https(client):
    assert client.get("/healthz").status_code == 200
    assert client.get("/readyz").status_code == 200
    assert client.get(reverse("author-list")).status_code == 301


@pytest.mark.django_db
def test_health_checks_are_not_in_the_api_schema(client):
    paths = client.get(reverse("schema"), HTTP_ACCEPT="application/json").json()["paths"]
    assert not [path for path in paths if "healthz" in path or "readyz" in path]
    assert paths  # the schema itself is there
