import pytest

from tests.gunicorn_server import PRODUCTION_ENV, manage, served_database_url


@pytest.fixture(scope="session")
def database_url(django_db_setup, django_db_blocker, tmp_path_factory) -> str:
    """A migrated database for gunicorn subprocesses (PostgreSQL's test database, or a file)."""
    with django_db_blocker.unblock():
        return served_database_url(tmp_path_factory.mktemp("database"))


@pytest.fixture(scope="session")
def static_root(tmp_path_factory):
    """Static files as `collectstatic` lays them out in production: hashed and compressed."""
    root = tmp_path_factory.mktemp("static")
    result = manage(
        "collectstatic", "--noinput", env={**PRODUCTION_ENV, "DJANGO_STATIC_ROOT": str(root)}
    )
    assert result.returncode == 0, result.stderr
    return root
