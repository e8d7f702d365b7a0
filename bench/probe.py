"""What the load needs from a loaded database, and the plans of the list queries, as JSON.

    DATABASE_URL=... python bench/probe.py > probe.json

Prints: claim ids to ask for, the filtered list's parameters (an author with many
citations, the commonest stance and verdict among its claims), a cursor to the
middle of the table, the lookup's statements (fixtures/lookup_eval.yaml), and for
each list URL every query the app runs for it with its plan (EXPLAIN on
PostgreSQL, EXPLAIN QUERY PLAN on SQLite), captured through Django's test client.
"""

from __future__ import annotations

import base64
import json
import os
import random
import sys
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
PAGE_SIZE = 50


def cursor_to(created_at) -> str:
    """DRF's cursor (api.pagination) for the page after a claim created at `created_at`."""
    return base64.b64encode(urlencode({"p": str(created_at)}).encode()).decode()


def plans(url: str) -> list[dict]:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        response = Client().get(url)
    assert response.status_code == 200, (url, response.status_code, response.content[:300])
    explain = "EXPLAIN QUERY PLAN " if connection.vendor == "sqlite" else "EXPLAIN "
    queries = []
    for query in captured.captured_queries:
        sql = query["sql"]
        if not sql.lstrip().upper().startswith("SELECT"):
            continue
        try:
            with connection.cursor() as cursor:
                cursor.execute(explain + sql)
                rows = cursor.fetchall()
        except Exception as error:  # noqa: BLE001 - a plan we cannot get is reported, not fatal
            plan = f"(no plan: {error})"
        else:
            if connection.vendor == "sqlite":
                plan = "\n".join(str(row[-1]) for row in rows)
            else:
                plan = "\n".join(row[0] for row in rows)
        queries.append({"sql": sql, "plan": plan})
    return queries


def main() -> None:
    import django

    django.setup()
    import yaml
    from django.db.models import Count

    from claims.models import Citation, Claim

    rng = random.Random(1)
    listed = Claim.objects.listed()
    total = listed.count()
    ids = [str(value) for value in listed.values_list("uuid", flat=True)[:: max(1, total // 500)]]
    rng.shuffle(ids)

    author = (
        Citation.objects.exclude(author=None)
        .values("author__slug")
        .annotate(n=Count("id"))
        .order_by("-n")
        .first()["author__slug"]
    )
    filtered = {"stance": "refutes", "author": author, "verdict": "contested"}
    middle = listed.order_by("-created_at", "-id").values_list("created_at", flat=True)[total // 2]

    evaluation = yaml.safe_load((ROOT / "fixtures/lookup_eval.yaml").read_text(encoding="utf-8"))
    statements = [query["q"] for query in evaluation["queries"]]
    statements += list(evaluation.get("unrelated", []))
    statements = [s if isinstance(s, str) else s.get("q", "") for s in statements]

    deep = urlencode({"cursor": cursor_to(middle)})
    lists = {
        "list": f"/api/v1/claims/?page_size={PAGE_SIZE}",
        "filtered": f"/api/v1/claims/?page_size={PAGE_SIZE}&{urlencode(filtered)}",
        "deep cursor": f"/api/v1/claims/?page_size={PAGE_SIZE}&{deep}",
    }
    print(
        json.dumps(
            {
                "claims": total,
                "ids": ids,
                "lists": lists,
                "statements": [s for s in statements if s],
                "plans": {name: plans(url) for name, url in lists.items()},
            }
        )
    )


if __name__ == "__main__":
    main()
