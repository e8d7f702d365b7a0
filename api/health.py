"""Health checks for load balancers and orchestrators: no authentication, no throttling.

/healthz: the process is up and answers. /readyz: it can serve, because the database
answers, every migration is applied and the cache stores and returns a value.
"""

import logging
from collections.abc import Callable
from uuid import uuid4

from django.core.cache import cache
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

logger = logging.getLogger(__name__)


class NotReady(Exception):
    """A check ran and found the service not ready; its message says why."""


def check_database() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")


def check_migrations() -> None:
    executor = MigrationExecutor(connection)
    unapplied = executor.migration_plan(executor.loader.graph.leaf_nodes())
    if unapplied:
        names = ", ".join(f"{migration.app_label}.{migration.name}" for migration, _ in unapplied)
        raise NotReady(f"{len(unapplied)} unapplied: {names}")


def check_cache() -> None:
    key = f"readyz-{uuid4().hex}"
    cache.set(key, "stored", timeout=10)
    if cache.get(key) != "stored":
        raise NotReady("the cache did not return the value just stored")
    cache.delete(key)


CHECKS: dict[str, Callable[[], None]] = {
    "database": check_database,
    "migrations": check_migrations,
    "cache": check_cache,
}


def run_check(name: str, check: Callable[[], None]) -> dict[str, str]:
    try:
        check()
    except NotReady as reason:
        return {"status": "failing", "detail": str(reason)}
    except Exception as error:
        # The error's class only: its message may name hosts and users.
        logger.warning("Readiness check %s failed", name, exc_info=error)
        return {"status": "failing", "detail": type(error).__name__}
    return {"status": "ok"}


@never_cache
@require_safe
def healthz(request: HttpRequest) -> JsonResponse:
    """Answer 200 while the process is up."""
    return JsonResponse({"status": "ok"})


@never_cache
@require_safe
def readyz(request: HttpRequest) -> JsonResponse:
    """Answer 200 when every check passes, else 503 naming the checks that fail."""
    checks = {name: run_check(name, check) for name, check in CHECKS.items()}
    failing = [name for name, result in checks.items() if result["status"] != "ok"]
    return JsonResponse(
        {"status": "failing" if failing else "ok", "failing": failing, "checks": checks},
        status=503 if failing else 200,
    )
