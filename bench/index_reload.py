"""Print what a process pays to bring its semantic index up to date after a curator's edit.

Run against a bench database with a filled semantic index (`bench/vectors.py`):

    DATABASE_URL=... .venv/bin/python bench/index_reload.py [--rounds 3]

Each round edits one published claim's text inside a transaction, lets the index
follow the edit (`catch_up()`: the new text embedded), then times two ways of
bringing a process's vectors to the new generation: reading the index whole (what
a process does at start) and reloading it from the index it holds (what it does
after a write). The transaction is rolled back: the database is left as it was.
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

from django.db import transaction  # noqa: E402

from claims.models import Claim  # noqa: E402
from claims.services import claim_update  # noqa: E402
from lookup.encoder import model_id  # noqa: E402
from lookup.index import VectorIndex, catch_up  # noqa: E402
from lookup.models import IndexState  # noqa: E402


class RolledBack(Exception):
    pass


def timed(call, *args, **kwargs) -> tuple[float, float, object]:
    started, started_cpu = time.perf_counter(), time.process_time()
    result = call(*args, **kwargs)
    return time.perf_counter() - started, time.process_time() - started_cpu, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    rounds = parser.parse_args().rounds
    model = model_id()
    generation = IndexState.objects.get(model=model).generation
    held = VectorIndex.load(model, generation)
    print(f"index: {len(held.rows):,} rows, {len(held.matrix):,} distinct texts")
    whole, patched = [], []
    claims = Claim.objects.published().order_by("-pk").values_list("pk", flat=True)
    for round_number, pk in enumerate(claims[:rounds]):
        try:
            with transaction.atomic():
                claim = Claim.objects.get(pk=pk)
                claim_update(claim=claim, text=f"{claim.text} (edited in round {round_number})")
                catch_up()
                moved = IndexState.objects.get(model=model).generation
                whole.append(timed(VectorIndex.load, model, moved)[:2])
                wall, cpu, reloaded = timed(VectorIndex.load, model, moved, previous=held)
                patched.append((wall, cpu))
                raise RolledBack
        except RolledBack:
            held = reloaded  # a worker reloads from what it holds, edit after edit
    for label, samples in (("read whole", whole), ("reloaded from the held index", patched)):
        wall = statistics.median(sample[0] for sample in samples)
        cpu = statistics.median(sample[1] for sample in samples)
        print(f"{label:<30} wall {wall * 1e3:8.1f} ms   cpu {cpu * 1e3:8.1f} ms", end="")
        print(f"  (median of {rounds})")


if __name__ == "__main__":
    main()
