"""Production settings from the environment: `check --deploy` holds them to account."""

import re

import pytest

from tests.gunicorn_server import PLAIN_HTTP_ENV, PRODUCTION_ENV, manage, settings_in

SQLITE = {"DATABASE_URL": "sqlite:///:memory:"}


def deploy_warnings(env: dict[str, str]) -> tuple[int, set[str]]:
    result = manage("check", "--deploy", "--fail-level", "WARNING", env={**SQLITE, **env})
    return result.returncode, set(re.findall(r"\((\w+\.[EW]\d+)\)", result.stdout + result.stderr))


def test_check_deploy_is_clean_with_the_production_environment():
    assert deploy_warnings(PRODUCTION_ENV) == (0, set())


@pytest.mark.parametrize(
    ("override", "warning"),
    [
        ("DJANGO_SECURE_SSL_REDIRECT", "security.W008"),
        ("DJANGO_SESSION_COOKIE_SECURE", "security.W012"),
        ("DJANGO_CSRF_COOKIE_SECURE", "security.W016"),
        ("DJANGO_SECURE_HSTS_SECONDS", "security.W004"),
        ("DJANGO_SECURE_HSTS_INCLUDE_SUBDOMAINS", "security.W005"),
        ("DJANGO_SECURE_HSTS_PRELOAD", "security.W021"),
    ],
)
def test_check_deploy_warns_about_exactly_the_protection_turned_off(override, warning):
    returncode, warnings = deploy_warnings({**PRODUCTION_ENV, override: "0"})
    assert returncode != 0
    assert warnings == {warning}


def test_a_plain_http_setup_is_warned_about_its_redirect_and_cookies_only():
    returncode, warnings = deploy_warnings({**PRODUCTION_ENV, **PLAIN_HTTP_ENV})
    assert returncode != 0
    assert warnings == {"security.W008", "security.W012", "security.W016"}


def test_debugging_turns_the_https_settings_off():
    assert settings_in(
        {"DJANGO_DEBUG": "1"}, "SECURE_SSL_REDIRECT", "SECURE_HSTS_SECONDS", "SESSION_COOKIE_SECURE"
    ) == {"SECURE_SSL_REDIRECT": False, "SECURE_HSTS_SECONDS": 0, "SESSION_COOKIE_SECURE": False}


def test_csrf_trusted_origins_come_from_the_environment():
    env = {"DJANGO_CSRF_TRUSTED_ORIGINS": "https://claims.example.org, https://*.example.net"}
    assert settings_in(env, "CSRF_TRUSTED_ORIGINS") == {
        "CSRF_TRUSTED_ORIGINS": ["https://claims.example.org", "https://*.example.net"]
    }


def test_x_forwarded_proto_is_trusted_only_behind_a_trusted_proxy():
    names = ("SECURE_PROXY_SSL_HEADER",)
    assert settings_in(PRODUCTION_ENV, *names) == {"SECURE_PROXY_SSL_HEADER": None}
    assert settings_in({**PRODUCTION_ENV, "DJANGO_TRUSTED_PROXIES": "1"}, *names) == {
        "SECURE_PROXY_SSL_HEADER": ["HTTP_X_FORWARDED_PROTO", "https"]
    }
    explicit = {"DJANGO_TRUSTED_PROXIES": "1", "DJANGO_SECURE_PROXY_SSL_HEADER": "0"}
    assert settings_in({**PRODUCTION_ENV, **explicit}, *names) == {"SECURE_PROXY_SSL_HEADER": None}


def test_the_log_level_comes_from_the_environment():
    logging = settings_in({"DJANGO_LOG_LEVEL": "warning"}, "LOGGING")["LOGGING"]
    assert logging["root"]["level"] == "WARNING"
    assert logging["loggers"]["django"]["level"] == "WARNING"
