"""Print the semantic lookup's latency: query encoding, vector search and the hybrid lookup.

Run against a database holding the seed corpus, embedded (`make load`):

    .venv/bin/python bench/semantic_latency.py [--rounds 5]

Statements: the evaluation set's fact-check queries and paraphrases (short) and,
apart, paragraphs made of five of them. Also the re-embedding throughput (texts
per second, batched as `manage.py reindex` batches them). CPU time per call is
printed beside wall time: on a shared machine the wall time also counts waiting
for a core.
"""

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402

django.setup()

from lookup import hybrid  # noqa: E402
from lookup.encoder import get_encoder  # noqa: E402
from lookup.evaluation import load_evaluation  # noqa: E402
from lookup.index import current_index  # noqa: E402


def percentiles(samples: list[float]) -> str:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return f"p50 {statistics.median(ordered) * 1e3:6.1f} ms  p95 {p95 * 1e3:6.1f} ms"


def measure(label: str, call, inputs: list, rounds: int) -> None:
    wall, cpu = [], []
    call(inputs[0])  # warm
    for _ in range(rounds):
        for item in inputs:
            started, started_cpu = time.perf_counter(), time.process_time()
            call(item)
            wall.append(time.perf_counter() - started)
            cpu.append(time.process_time() - started_cpu)
    print(f"{label:<34} wall {percentiles(wall)}   cpu {percentiles(cpu)}  (n={len(wall)})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    rounds = parser.parse_args().rounds
    evaluation = load_evaluation()
    short = [query.text for query in evaluation.queries + evaluation.paraphrases]
    paragraphs = [" ".join(short[i : i + 5]) for i in range(0, len(short) - 4, 5)]
    encoder = get_encoder()
    index = current_index()
    print(
        f"{encoder.model_id}: {len(index.rows)} vectors ({len(index.matrix)} distinct texts) "
        f"of {len(index.claims)} claims; "
        f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores"
    )
    print(f"short statements: {len(short)}, mean {statistics.mean(map(len, short)):.0f} chars")
    measure("encode, short statement", lambda t: encoder.encode([t]), short, rounds)
    measure("encode, paragraph (5 sentences)", lambda t: encoder.encode([t]), paragraphs, rounds)
    vectors = encoder.encode(short)
    measure(
        "vector search (brute force)", lambda v: index.similarities(v[None]), list(vectors), rounds
    )
    measure("hybrid lookup, short statement", lambda t: hybrid.lookup(t), short, 1)
    measure("hybrid lookup, paragraph", lambda t: hybrid.lookup(t), paragraphs, 1)
    batch = short * 4
    started, started_cpu = time.perf_counter(), time.process_time()
    encoder.encode(batch)
    wall, cpu = time.perf_counter() - started, time.process_time() - started_cpu
    print(f"batch encoding: {len(batch) / wall:.0f} texts/s wall, {len(batch) / cpu:.0f} per cpu-s")


if __name__ == "__main__":
    main()
