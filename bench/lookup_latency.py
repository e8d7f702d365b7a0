"""Measure the lookup's latency: p50 and p95 over a set of statements.

    DATABASE_URL=sqlite:///bench/scratch/bench.sqlite3 python bench/lookup_latency.py

The statements are those of the evaluation set (fixtures/lookup_eval.yaml):
reworded fact-checks and unrelated statements. Each is looked up --repeat times
after one warm-up pass, in-process (no HTTP server, no network), two ways:

- search: `lookup.search.lookup()` — ranking, floor and highlights;
- api:    the whole GET /api/v1/claims/lookup/ view — the above, plus loading
          each match with its verdict and citations and serializing the JSON.

Without DATABASE_URL it uses the development database. See bench/README.md.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def setup_django() -> None:
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def measure(call, statements: list[str], repeat: int) -> list[float]:
    """Milliseconds per call, over `repeat` passes after a warm-up pass."""
    for statement in statements:
        call(statement)
    timings = []
    for _ in range(repeat):
        for statement in statements:
            started = time.perf_counter()
            call(statement)
            timings.append((time.perf_counter() - started) * 1000)
    return timings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=5, help="passes over the set (default 5)")
    parser.add_argument("--limit", type=int, default=10, help="matches asked for (default 10)")
    arguments = parser.parse_args()
    setup_django()

    from django.db import connection
    from rest_framework.test import APIRequestFactory

    from claims.models import Claim
    from lookup.evaluation import load_evaluation
    from lookup.search import lookup
    from lookup.views import ClaimLookupView

    evaluation = load_evaluation()
    statements = [query.text for query in evaluation.queries] + evaluation.unrelated
    factory = APIRequestFactory()
    view = ClaimLookupView.as_view(throttle_classes=[])

    def search(statement: str) -> None:
        lookup(statement, limit=arguments.limit)

    def api(statement: str) -> None:
        response = view(factory.get("/", {"q": statement, "limit": arguments.limit}))
        response.render()
        assert response.status_code == 200, response.content

    print(
        f"{connection.vendor}, {Claim.objects.count():,} claims; {len(statements)} statements "
        f"x {arguments.repeat} passes, limit {arguments.limit}"
    )
    print(f"{'':8}{'p50 ms':>9}{'p95 ms':>9}{'mean ms':>9}")
    for name, call in (("search", search), ("api", api)):
        timings = measure(call, statements, arguments.repeat)
        print(
            f"{name:8}{percentile(timings, 0.5):9.1f}{percentile(timings, 0.95):9.1f}"
            f"{statistics.fmean(timings):9.1f}"
        )


if __name__ == "__main__":
    main()
