"""Claims per second of the NDJSON export, in-process: the app's view and the floor's generator.

    DATABASE_URL=sqlite:///bench/scratch/bench.sqlite3 python bench/export_rate.py --repeat 3

The app's `GET /api/v1/export/claims.ndjson` through Django's test client, read to its
end, then `bench/floor.py`'s export (raw SQL and orjson) on the same database: claims/s
by the clock and by this process's CPU time (on a loaded machine the CPU figure is
the steadier one; PostgreSQL's own work counts in the clock only), and the resident
memory before and at its highest during each read.
"""

import argparse
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
for name, value in {
    "DJANGO_DEBUG": "0",  # no query log
    "DJANGO_SECRET_KEY": "export-rate",
    "DJANGO_ALLOWED_HOSTS": "testserver",
    "DJANGO_SECURE_SSL_REDIRECT": "0",
    "DJANGO_LOG_LEVEL": "WARNING",
}.items():
    os.environ.setdefault(name, value)

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402

from bench import floor  # noqa: E402  (configured already: it uses the app's database)


def resident_mb() -> float:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def read(name: str, chunks) -> None:
    before = highest = resident_mb()
    started, cpu = time.perf_counter(), time.process_time()
    lines = 0
    for number, chunk in enumerate(chunks):
        lines += chunk.count(b"\n")
        if number % 50 == 0:
            highest = max(highest, resident_mb())
    wall, cpu = time.perf_counter() - started, time.process_time() - cpu
    highest = max(highest, resident_mb())
    print(
        f"{name:5} {connection.vendor:10} {lines:,} claims in {wall:.2f} s: "
        f"{lines / wall:,.0f} claims/s ({lines / cpu:,.0f} per CPU second), "
        f"resident {before:.0f} -> {highest:.0f} MB",
        flush=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=2)
    args = parser.parse_args()
    client = Client()
    for _ in range(args.repeat):
        response = client.get("/api/v1/export/claims.ndjson")
        assert response.status_code == 200, response.status_code
        read("app", response.streaming_content)
        read("floor", floor.export_lines())


if __name__ == "__main__":
    main()
