"""Read replicas: reads go to a replica, writes and the reads around them to the primary.

Replicas are the database aliases `replica1`, `replica2`… that
DATABASE_REPLICA_URLS adds (config/settings.py lists them in DATABASE_REPLICAS).
A replica lags behind the primary, so a read goes to the primary whenever it
may depend on a write: every read made while serving a write request (any
method but GET, HEAD and OPTIONS: WriteRequestMiddleware marks them) and every
read inside a transaction on the primary. Migrations run on the primary only.
"""

from __future__ import annotations

import random
from contextvars import ContextVar

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections

READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

_serving_write = ContextVar("serving_write", default=False)


def replica_aliases() -> list[str]:
    """The replica aliases configured (settings.DATABASE_REPLICAS), in order."""
    return list(getattr(settings, "DATABASE_REPLICAS", ()))


class WriteRequestMiddleware:
    """Mark a write request, so that every read made while serving it goes to the primary."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        token = _serving_write.set(request.method not in READ_METHODS)
        try:
            return self.get_response(request)
        finally:
            _serving_write.reset(token)


class PrimaryReplicaRouter:
    """Writes to the primary; reads to a replica unless they may depend on a write."""

    def db_for_read(self, model, **hints) -> str:
        replicas = replica_aliases()
        if not replicas or _serving_write.get() or connections[DEFAULT_DB_ALIAS].in_atomic_block:
            return DEFAULT_DB_ALIAS
        return random.choice(replicas)  # noqa: S311 (spreading load, not a secret)

    def db_for_write(self, model, **hints) -> str:
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1, obj2, **hints) -> bool | None:
        # Replicas hold the primary's rows: objects read anywhere may be related.
        ours = {DEFAULT_DB_ALIAS, *replica_aliases()}
        if obj1._state.db in ours and obj2._state.db in ours:
            return True
        return None

    def allow_migrate(self, db, app_label, model_name=None, **hints) -> bool:
        return db == DEFAULT_DB_ALIAS
