"""Fill the semantic index of a bench database with stand-in vectors, so that the lookup
searches as many vectors as the real index of that many claims would hold.

    DATABASE_URL=... python bench/vectors.py

Encoding the texts of 100,000 synthetic claims and their passages takes hours on
a small machine's CPU. The lookup's cost does not depend on what the vectors
say, only on how many there are: this runs the index's own `reindex()` (the
same rows, text hashes and index state a real one writes) with an encoder
that makes up each missing text's vector instead of computing it — the
vector of a seed text already embedded, picked by the text's hash, plus as
much noise (a cosine of about 0.7 to it), so that synthetic claims sit near
the seed corpus's subjects as their reworded sentences would. Lookups on such
a database measure time, not quality: never run this on a real database.
"""

from __future__ import annotations

import hashlib
import os
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402

django.setup()

from claims.models import Claim  # noqa: E402
from lookup import encoder as encoders  # noqa: E402
from lookup.encoder import model_id  # noqa: E402
from lookup.index import reindex, sync_claims  # noqa: E402
from lookup.models import Embedding  # noqa: E402

SEED_CLAIMS = 209  # the seed corpus's


class StandInEncoder:
    """An encoder of the configured model's id whose vectors are made up, not computed."""

    def __init__(self, seeds: np.ndarray):
        self.model_id = model_id()
        self.seeds = seeds
        self.dimensions = seeds.shape[1]

    def encode(self, texts, **_) -> np.ndarray:
        vectors = np.empty((len(texts), self.dimensions), dtype=np.float32)
        for row, text in enumerate(texts):
            digest = hashlib.sha256(text.encode("utf-8")).digest()
            generator = np.random.default_rng(int.from_bytes(digest[:8], "little"))
            base = self.seeds[generator.integers(len(self.seeds))]
            noise = generator.standard_normal(self.dimensions).astype(np.float32)
            vector = base + noise / np.linalg.norm(noise)
            vectors[row] = vector / np.linalg.norm(vector)
        return vectors


def main() -> None:
    rows = Embedding.objects.filter(model=model_id()).values_list("vector", flat=True)
    if not rows.exists():
        # The seed corpus is loaded before the synthetic claims: its claims come first.
        first = Claim.objects.order_by("pk").values_list("pk", flat=True)[:SEED_CLAIMS]
        print(f"Embedding the first {SEED_CLAIMS} claims for real, as seeds.", flush=True)
        sync_claims(list(first))
    seeds = [np.frombuffer(bytes(vector), dtype="<f4") for vector in rows[:2000]]
    encoders._encoder = StandInEncoder(np.stack(seeds))
    started = time.perf_counter()

    def progress(done: int, total: int, result) -> None:
        if done % 10_000 < 200 or done == total:
            print(f"  {done:,}/{total:,} claims, {result.embedded:,} stand-in vectors", flush=True)

    result = reindex(progress=progress)
    seconds = time.perf_counter() - started
    print(f"{result.embedded:,} stand-in vectors written in {seconds:.0f} s.")


if __name__ == "__main__":
    main()
