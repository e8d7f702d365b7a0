"""`make bench`: import throughput, then the app against its floor under load.

    python bench/run.py [--quick] [--million] [--databases sqlite,postgresql]

For each database and size: a synthetic corpus (bench/corpus.py) goes through
`manage.py import` into a fresh database that holds the seed corpus
(`migrate`, `load_corpus`), and the import's claims/s are reported; once, the
same import into a copy whose triggers were dropped tells what the triggers
cost. Then, on the largest size, the app is served by gunicorn as `make run`
serves it (config/gunicorn.py, DJANGO_DEBUG=0, the production settings over
plain HTTP, throttles out of the way) next to the floor (bench/floor.py, same
gunicorn configuration), and wrk loads each endpoint of both at each
concurrency for a bounded time. The table, with the machine and the plans of
the list queries, goes to bench/results/<date>-<time>-<machine>.md and is printed.

Work files (corpus files, SQLite databases, static files, logs) are in
bench/scratch/ (not committed); PostgreSQL databases are named <--postgres>_<size>.
See bench/README.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import quote, urlparse

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
WORK = BENCH / "scratch"
RESULTS = BENCH / "results"
BIN = Path(sys.executable).parent
PYTHON = str(BIN / "python")

# DJANGO_DEBUG=0 with what production needs, over plain HTTP (as tests/gunicorn_server.py).
PRODUCTION_ENV = {
    "DJANGO_DEBUG": "0",
    "DJANGO_SECRET_KEY": "bench-secret-key-that-is-long-and-random-enough-for-check-deploy-7c2a9e",
    "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
    "DJANGO_SECURE_SSL_REDIRECT": "0",
    "DJANGO_SESSION_COOKIE_SECURE": "0",
    "DJANGO_CSRF_COOKIE_SECURE": "0",
    "DJANGO_LOG_LEVEL": "WARNING",  # one log line per request would measure the terminal
}
# Throttles out of the way: rates no load generator reaches (their cache is still used).
NO_THROTTLE_ENV = {
    "DJANGO_THROTTLE_ANON": "100000000/second",
    "DJANGO_THROTTLE_USER": "100000000/second",
    "DJANGO_THROTTLE_LOOKUP": "100000000/second",
}
SIZES = {"10k": 10_000, "100k": 100_000, "1M": 1_000_000}
ENDPOINTS = ["detail", "list", "filtered", "deep cursor", "lookup"]


def log(message: str) -> None:
    print(f"[{datetime.now(UTC):%H:%M:%S}] {message}", file=sys.stderr, flush=True)


def environment(database_url: str, **extra: str) -> dict[str, str]:
    """This process's environment less the app's settings, then the database and `extra`."""
    inherited = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("DJANGO_", "CLAIMBASE_"))
        and name not in {"DATABASE_URL", "DATABASE_REPLICA_URLS", "REDIS_URL", "WEB_CONCURRENCY"}
    }
    return {
        **inherited,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DJANGO_CACHE_DIR": str(WORK / "cache"),
        "DATABASE_URL": database_url,
        **extra,
    }


def manage(*args: str, database_url: str, **extra: str) -> subprocess.CompletedProcess:
    result = subprocess.run(
        [PYTHON, "manage.py", *args],
        cwd=ROOT,
        env=environment(database_url, **extra),
        capture_output=True,
        text=True,
    )
    if result.returncode != 0:
        sys.exit(f"manage.py {' '.join(args)} failed:\n{result.stderr[-3000:]}")
    return result


# --- Databases -----------------------------------------------------------------------


def fresh_database(engine: str, name: str, postgres: str) -> str:
    """An empty database called `name`, its URL."""
    if engine == "sqlite":
        path = WORK / f"{name}.sqlite3"
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        return f"sqlite:///{path}"
    import psycopg

    server = urlparse(postgres)
    with psycopg.connect(server._replace(path="/postgres").geturl(), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    return server._replace(path=f"/{quote(name)}").geturl()


def existing_database(engine: str, name: str, postgres: str) -> str:
    """The URL of the database called `name` that an earlier run filled (`--reuse`)."""
    if engine == "sqlite":
        path = WORK / f"{name}.sqlite3"
        if not path.exists():
            sys.exit(f"--reuse: {path.relative_to(ROOT)} is missing; run without --reuse first.")
        return f"sqlite:///{path}"
    import psycopg

    server = urlparse(postgres)
    with psycopg.connect(server._replace(path="/postgres").geturl(), autocommit=True) as conn:
        found = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
    if not found:
        sys.exit(f"--reuse: the database {name} is missing; run without --reuse first.")
    return server._replace(path=f"/{quote(name)}").geturl()


def drop_triggers(database_url: str) -> int:
    """Drop every trigger of the database (a throwaway copy); return how many."""
    code = """
from django.db import connection
with connection.cursor() as cursor:
    if connection.vendor == "sqlite":
        cursor.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")
        names = [row[0] for row in cursor.fetchall()]
        for name in names:
            cursor.execute(f'DROP TRIGGER "{name}"')
    else:
        cursor.execute(
            "SELECT t.tgname, c.relname FROM pg_trigger AS t "
            "JOIN pg_class AS c ON c.oid = t.tgrelid WHERE NOT t.tgisinternal"
        )
        names = cursor.fetchall()
        for name, table in names:
            cursor.execute(f'DROP TRIGGER "{name}" ON "{table}"')
print(len(names))
"""
    result = manage("shell", "--command", code, database_url=database_url)
    return int(result.stdout.strip().splitlines()[-1])


def tidy_up(database_url: str) -> None:
    """What follows a bulk load (as generate_claims.py): fresh statistics, a compact index."""
    code = """
from django.db import connection
with connection.cursor() as cursor:
    if connection.vendor == "postgresql":
        cursor.execute("VACUUM ANALYZE")
    else:
        cursor.execute("INSERT INTO claims_search (claims_search) VALUES ('optimize')")
        cursor.execute("ANALYZE")
"""
    manage("shell", "--command", code, database_url=database_url)


def corpus_file(claims: int, seed: int) -> Path:
    path = WORK / f"claims-{claims}-seed{seed}.ndjson"
    if not path.exists():
        log(f"writing {path.name}")
        partial = path.with_suffix(".partial")
        subprocess.run(
            [PYTHON, str(BENCH / "corpus.py"), "--claims", str(claims), "--seed", str(seed)]
            + [str(partial)],
            cwd=ROOT,
            check=True,
            env=environment("sqlite:///:memory:"),
            stdout=subprocess.DEVNULL,
        )
        partial.rename(path)
    return path


def load(engine: str, name: str, claims: int, args, *, triggers: bool = True) -> dict:
    """A fresh database with the seed corpus and `claims` imported; the import's timings."""
    url = fresh_database(engine, name, args.postgres)
    path = corpus_file(claims, args.seed)
    manage("migrate", "--noinput", database_url=url)
    manage("load_corpus", database_url=url)
    manage("reindex", database_url=url)  # as `make run`: the seed corpus embedded for real
    dropped = 0 if triggers else drop_triggers(url)
    log(f"{engine} {name}: importing {claims:,} claims" + ("" if triggers else " (no triggers)"))
    started = time.perf_counter()
    manage("import", str(path), database_url=url)
    seconds = time.perf_counter() - started
    started = time.perf_counter()
    tidy_up(url)
    tidy = time.perf_counter() - started
    log(f"{engine} {name}: {seconds:.1f} s, {claims / seconds:,.0f} claims/s")
    return {
        "url": url,
        "claims": claims,
        "seconds": seconds,
        "rate": claims / seconds,
        "tidy": tidy,
        "dropped": dropped,
        "mb": path.stat().st_size / 1e6,
    }


# --- Serving ---------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Server:
    """gunicorn with config/gunicorn.py, as `make run` starts it; `app` picks the WSGI app."""

    def __init__(self, name: str, database_url: str, app: str | None = None):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = WORK / f"gunicorn-{name}.log"
        command = [str(BIN / "gunicorn"), "--config", "config/gunicorn.py"]
        command += ["--bind", f"127.0.0.1:{self.port}"] + ([app] if app else [])
        env = environment(
            database_url,
            **PRODUCTION_ENV,
            **NO_THROTTLE_ENV,
            DJANGO_STATIC_ROOT=str(WORK / "static"),
        )
        with self.log.open("wb") as out:
            self.process = subprocess.Popen(
                command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT
            )

    def wait(self, path: str) -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                sys.exit(f"gunicorn stopped:\n{self.log.read_text()[-3000:]}")
            try:
                with urllib.request.urlopen(self.url + path, timeout=30) as response:
                    if response.status == 200:
                        return
            except OSError:
                time.sleep(0.5)
        sys.exit(f"gunicorn did not answer {path} in 60 s:\n{self.log.read_text()[-3000:]}")

    def cpu_seconds(self) -> float:
        """CPU time used so far by the server's worker processes."""
        total = 0
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == self.process.pid:  # the parent's pid
                total += int(fields[11]) + int(fields[12])  # utime, stime (clock ticks)
        return total / os.sysconf("SC_CLK_TCK")

    def settle(self, timeout: float = 120) -> None:
        """Wait until the workers are idle: when wrk stops, requests it sent may still queue."""
        deadline = time.monotonic() + timeout
        before = self.cpu_seconds()
        while time.monotonic() < deadline:
            time.sleep(0.5)
            now = self.cpu_seconds()
            if now - before < 0.05:
                return
            before = now

    def stop(self) -> None:
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()


def wrk(url: str, paths: list[str], *, connections: int, seconds: int) -> dict:
    paths_file = WORK / "paths.txt"
    paths_file.write_text("\n".join(paths) + "\n", encoding="utf-8")
    command = ["wrk", "--threads", str(min(2, connections)), "--connections", str(connections)]
    command += [
        "--duration",
        f"{seconds}s",
        "--timeout",
        "30s",
        "--script",
        str(BENCH / "paths.lua"),
    ]
    result = subprocess.run(
        [*command, url, "--", str(paths_file)], capture_output=True, text=True, check=True
    )
    numbers = json.loads(result.stdout.strip().splitlines()[-1])
    numbers["rate"] = numbers["requests"] / numbers["seconds"]
    return numbers


def export_rate(url: str, seconds: int) -> dict:
    """Claims per second of one client reading the NDJSON export, for at most `seconds`."""
    started = time.perf_counter()
    lines = 0
    with urllib.request.urlopen(url + "/api/v1/export/claims.ndjson", timeout=60) as response:
        status = response.status
        for _ in response:
            lines += 1
            if time.perf_counter() - started > seconds:
                break
    elapsed = time.perf_counter() - started
    return {"status": status, "claims": lines, "seconds": elapsed, "rate": lines / elapsed}


VECTORS_UP_TO = 200_000
"""Largest served size whose semantic index is filled: beyond it, brute-force search would
hold several GB of vectors in every worker (docs/lookup.md)."""


def fill_vectors(engine: str, database_url: str, claims: int) -> dict:
    """Stand-in vectors for the synthetic claims (bench/vectors.py), up to VECTORS_UP_TO."""
    if claims > VECTORS_UP_TO:
        log(f"{engine}: {claims:,} claims: the semantic index is left to the seed corpus")
        return {"filled": False}
    log(f"{engine}: filling the semantic index with stand-in vectors")
    started = time.perf_counter()
    result = subprocess.run(
        [PYTHON, str(BENCH / "vectors.py")],
        cwd=ROOT,
        env=environment(database_url),
        capture_output=True,
        text=True,
    )
    if result.returncode != 0:
        sys.exit(f"bench/vectors.py failed:\n{result.stderr[-3000:]}")
    seconds = time.perf_counter() - started
    log(f"{engine}: {result.stdout.strip().splitlines()[-1]}")
    return {
        "filled": True,
        "seconds": seconds,
        "summary": result.stdout.strip().splitlines()[-1].rstrip("."),
    }


def serve_and_load(engine: str, database_url: str, args) -> dict:
    log(f"{engine}: probing the database")
    probe = subprocess.run(
        [PYTHON, str(BENCH / "probe.py")],
        cwd=ROOT,
        env=environment(database_url, DJANGO_ALLOWED_HOSTS="testserver", **NO_THROTTLE_ENV),
        capture_output=True,
        text=True,
    )
    if probe.returncode != 0:
        sys.exit(f"probe failed:\n{probe.stderr[-3000:]}")
    probe = json.loads(probe.stdout.strip().splitlines()[-1])
    paths = {
        "detail": [f"/api/v1/claims/{claim}/" for claim in probe["ids"]],
        **{name: [url] for name, url in probe["lists"].items()},
        "lookup": [
            "/api/v1/claims/lookup/?" + "q=" + quote(statement) for statement in probe["statements"]
        ],
    }
    servers = {
        "app": Server(f"{engine}-app", database_url),
        "floor": Server(f"{engine}-floor", database_url, "bench.floor:application"),
    }
    results: dict = {}
    try:
        servers["app"].wait("/healthz")
        servers["floor"].wait(paths["detail"][0])
        # Every worker imports its app on its first requests: not what is measured.
        # The app's workers also load the semantic index on their first lookup (seconds at
        # 10^5 claims): a longer warm-up on the lookup, so that every worker has done it.
        for side, server in servers.items():
            log(f"{engine}: warming up {side}")
            wrk(server.url, paths["detail"], connections=max(args.concurrency), seconds=5)
            if "lookup" in args.endpoints:
                wrk(server.url, paths["lookup"], connections=max(args.concurrency), seconds=20)
            server.settle()
        for endpoint in [name for name in ENDPOINTS if name in args.endpoints]:
            for connections in args.concurrency:
                for side, server in servers.items():
                    log(f"{engine}: {endpoint} c={connections} {side}")
                    results[(endpoint, connections, side)] = wrk(
                        server.url, paths[endpoint], connections=connections, seconds=args.duration
                    )
                    server.settle()
        for side, server in servers.items() if "export" in args.endpoints else ():
            log(f"{engine}: export {side}")
            results[("export", 1, side)] = export_rate(server.url, args.duration)
            server.settle()
    finally:
        for server in servers.values():
            server.stop()
    return {"probe": probe, "results": results}


# --- Report ----------------------------------------------------------------------------


def machine() -> dict:
    model = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor() or "unknown",
    )
    memory = next(
        (
            int(line.split()[1]) / 1024 / 1024
            for line in Path("/proc/meminfo").read_text().splitlines()
            if line.startswith("MemTotal")
        ),
        0.0,
    )
    return {
        "host": platform.node(),
        "nproc": os.cpu_count(),
        "cpu": model,
        "memory": f"{memory:.1f} GiB",
        "load": " ".join(f"{value:.2f}" for value in os.getloadavg()),
        "python": platform.python_version(),
        "wrk": subprocess.run(["wrk", "--version"], capture_output=True, text=True).stdout.split(
            "\n"
        )[0],
    }


def milliseconds(value: float) -> str:
    return f"{value:.1f}" if value < 100 else f"{value:.0f}"


FEW = 10  # fewer completed requests than this in the window: the cell is marked


def rate_cell(numbers: dict) -> str:
    if not numbers["requests"]:
        return "none*"
    rate = numbers["rate"]
    cell = f"{rate:,.1f}" if rate < 100 else f"{rate:,.0f}"
    return cell + ("*" if numbers["requests"] < FEW else "")


def report(runs: dict, args, started: datetime, facts: dict) -> str:
    lines = [
        f"# Benchmark {started:%Y-%m-%d %H:%M} UTC",
        "",
        f"Machine: {facts['host']}, {facts['nproc']} CPUs ({facts['cpu']}), {facts['memory']}; "
        f"load average at the start {facts['load']}; Python {facts['python']}; {facts['wrk']}.",
        f"Command: `python bench/run.py {' '.join(sys.argv[1:])}`; load {args.duration} s per "
        "endpoint and concurrency, wrk and gunicorn on the same machine over loopback; "
        "gunicorn workers: config/gunicorn.py's default unless WEB_CONCURRENCY is set "
        f"({os.environ.get('WEB_CONCURRENCY') or 'default'}).",
        "",
        "## Import (`manage.py import`, into a database holding the seed corpus)",
        "",
        "| database | claims | file MB | import s | claims/s | ANALYZE etc. s |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for engine, run in runs.items():
        for size in run["imports"]:
            lines.append(
                f"| {engine} | {size['claims']:,} | {size['mb']:.0f} | {size['seconds']:.1f} | "
                f"{size['rate']:,.0f} | {size['tidy']:.1f} |"
            )
    lines += ["", "Triggers' cost: the same import into a copy whose triggers were dropped.", ""]
    lines += ["| database | claims | with triggers s | without s | triggers' share |"]
    lines += ["|---|---:|---:|---:|---:|"]
    for engine, run in runs.items():
        if run.get("bare"):
            bare, full = run["bare"], run["bare_reference"]
            lines.append(
                f"| {engine} | {bare['claims']:,} | {full['seconds']:.1f} | {bare['seconds']:.1f} "
                f"({bare['dropped']} triggers dropped) | "
                f"{(full['seconds'] - bare['seconds']) / full['seconds']:.0%} |"
            )
    lines += [
        "",
        "## Serving: the app against the floor (bench/floor.py)",
        "",
        "req/s and latency percentiles in ms; ratio = app req/s ÷ floor req/s. "
        "Export: one client reading the NDJSON export, claims/s.",
        "",
        "| database | claims | endpoint | c | app req/s | p50 | p95 | p99 | "
        "floor req/s | p50 | p95 | p99 | ratio |",
        "|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    problems = []
    for engine, run in runs.items():
        served = run["served"]
        claims = f"{served['probe']['claims']:,}"
        for (endpoint, connections, side), numbers in served["results"].items():
            if side != "app":
                continue
            app, floor = numbers, served["results"][(endpoint, connections, "floor")]
            ratio = app["rate"] / floor["rate"] if floor["rate"] else float("nan")
            if endpoint == "export":
                lines.append(
                    f"| {engine} | {claims} | export (claims/s) | 1 | {app['rate']:,.0f} | | | | "
                    f"{floor['rate']:,.0f} | | | | {ratio:.2f} |"
                )
                continue
            cells = [rate_cell(x) for x in (app, floor)]
            lines.append(
                f"| {engine} | {claims} | {endpoint} | {connections} | {cells[0]} | "
                + " | ".join(milliseconds(app[p]) for p in ("p50_ms", "p95_ms", "p99_ms"))
                + f" | {cells[1]} | "
                + " | ".join(milliseconds(floor[p]) for p in ("p50_ms", "p95_ms", "p99_ms"))
                + f" | {ratio:.2f} |"
            )
            for side_name, x in (("app", app), ("floor", floor)):
                if x.get("non_2xx") or x.get("socket_errors"):
                    problems.append(
                        f"- {engine} {endpoint} c={connections} {side_name}: {x['non_2xx']} "
                        f"non-2xx replies, {x['socket_errors']} socket errors or timeouts"
                    )
    lines += [
        "",
        f"\\* fewer than {FEW} requests completed in the window (none*: not one): wrk counts "
        "only the requests that end within it, so these rates and percentiles are rough or "
        "missing; a longer --duration fills them.",
    ]
    if problems:
        lines += ["", "Errors during the load:", "", *problems]
    for engine, run in runs.items():
        vectors = run.get("vectors")
        if vectors and vectors["filled"]:
            lines += [
                "",
                f"Semantic index ({engine}): the seed corpus's vectors are real; the synthetic "
                f"claims' are stand-ins (bench/vectors.py: {vectors['summary']}), so the lookup "
                "searches as many vectors as the real index would hold — its time, not its "
                "quality, is measured.",
            ]
        elif vectors:
            lines += [
                "",
                f"Semantic index ({engine}): only the seed corpus is embedded (more than "
                f"{VECTORS_UP_TO:,} claims); the synthetic claims are found by their words alone.",
            ]
    lines += [
        "",
        "Lookup floor: one full-text query on the lookup's index (the statement's words "
        "OR-ed, best 10 by bm25 / ts_rank) and the claims' payload; no relevance floor, "
        "snippets or semantic part.",
        "",
        "## Plans of the list queries (as the app runs them)",
    ]
    for engine, run in runs.items():
        probe = run["served"]["probe"]
        for name, queries in probe["plans"].items():
            lines += ["", f"### {engine}: {name} — `{probe['lists'][name]}`", ""]
            for number, query in enumerate(queries, start=1):
                lines += [f"Query {number}:", "", "```sql", query["sql"], "```", "", "```"]
                lines += [query["plan"], "```", ""]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--quick", action="store_true", help="the triggers' cost on 10k rather than 100k"
    )
    parser.add_argument("--million", action="store_true", help="add 1,000,000 claims")
    parser.add_argument("--databases", default="sqlite,postgresql", help="sqlite,postgresql")
    parser.add_argument(
        "--postgres",
        default=os.environ.get("BENCH_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/bench"),
        help="server and name prefix of the PostgreSQL databases (default: $BENCH_POSTGRES_URL "
        "or postgres://postgres@127.0.0.1:5432/bench: databases bench_10k, …)",
    )
    parser.add_argument("--duration", type=int, default=10, help="seconds of load per endpoint")
    parser.add_argument("--concurrency", default="8,32", help="connections (default 8,32)")
    parser.add_argument("--sizes", help="claims to import instead, e.g. 2000,20000 (a smoke test)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--reuse",
        action="store_true",
        help="serve the largest size's databases of an earlier run, migrated, with no import "
        "(serving alone: no import table, no triggers' cost)",
    )
    parser.add_argument(
        "--endpoints",
        default=",".join([*ENDPOINTS, "export"]),
        help="the endpoints to load, comma-separated (default: all of "
        f"{', '.join([*ENDPOINTS, 'export'])})",
    )
    args = parser.parse_args()
    args.concurrency = [int(value) for value in args.concurrency.split(",")]
    args.endpoints = {value.strip() for value in args.endpoints.split(",")}
    unknown = args.endpoints - {*ENDPOINTS, "export"}
    if unknown:
        parser.error(f"unknown endpoints: {', '.join(sorted(unknown))}")
    sizes = ["10k", "100k"] + (["1M"] if args.million else [])
    # The triggers' cost is measured on a full-size import, but quick runs keep it small.
    bare_size = "10k" if args.quick else "100k"
    if args.sizes:
        for value in args.sizes.split(","):
            SIZES[value] = int(value)
        sizes = args.sizes.split(",")
        bare_size = sizes[0]
    if shutil.which("wrk") is None:
        sys.exit("wrk is missing: `make bench` installs it (Debian's wrk package).")
    WORK.mkdir(exist_ok=True)
    RESULTS.mkdir(exist_ok=True)
    started = datetime.now(UTC)
    facts = machine()
    prefix = urlparse(args.postgres).path.lstrip("/")
    url = "sqlite:///" + str(WORK / "static.sqlite3")
    static = {"DJANGO_STATIC_ROOT": str(WORK / "static")}
    manage(
        "collectstatic",
        "--noinput",
        "--verbosity",
        "0",
        database_url=url,
        **PRODUCTION_ENV,
        **static,
    )

    runs: dict = {}
    for engine in args.databases.split(","):
        name = prefix if engine == "postgresql" else "bench"
        if args.reuse:
            database = f"{name}_{sizes[-1].lower()}"
            url = existing_database(engine, database, args.postgres)
            log(f"{engine}: reusing {database}, migrating it")
            manage("migrate", "--noinput", database_url=url)
            vectors = fill_vectors(engine, url, SIZES[sizes[-1]])
            runs[engine] = {
                "imports": [],
                "vectors": vectors,
                "served": serve_and_load(engine, url, args),
            }
            continue
        imports = [load(engine, f"{name}_{size.lower()}", SIZES[size], args) for size in sizes]
        run = {"imports": imports}
        reference = imports[sizes.index(bare_size)]
        run["bare"] = load(
            engine, f"{name}_{bare_size.lower()}_notriggers", SIZES[bare_size], args, triggers=False
        )
        run["bare_reference"] = reference
        run["vectors"] = fill_vectors(engine, imports[-1]["url"], imports[-1]["claims"])
        run["served"] = serve_and_load(engine, imports[-1]["url"], args)
        runs[engine] = run

    text = report(runs, args, started, facts)
    output = RESULTS / f"{started:%Y-%m-%d-%H%M}-{facts['host']}.md"
    output.write_text(text, encoding="utf-8")
    print(text)
    log(f"written to {output.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
