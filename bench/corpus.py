"""Write a synthetic corpus of N claims as an NDJSON file in the import format.

    python bench/corpus.py --claims 100000 bench/scratch/claims-100000.ndjson
    DATABASE_URL=... python manage.py import bench/scratch/claims-100000.ndjson

The file is what `manage.py export` writes (docs/interchange.md), so it goes in
through the project's own bulk import path. Deterministic for a --seed. The
texts come from the seed corpus exactly as in generate_claims.py (its `Prose`):
sources are runs of varied sentences of the seed articles, about one source per
1,000 claims, 80 to 200 sentences each; claims are varied sentences too (40 to
about 400 characters), each cited to one to four passages (whole sentences of
the sources) with a stance, an author and an attribution. Claims have distinct
statements (fingerprints), 0 to 2 of 20 topics, and creation times a minute apart.

Claims and citations are spooled to temporary files while the passages they
cite are collected, so the memory does not grow with the number of claims.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import shutil
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from generate_claims import STANCES, Prose  # noqa: E402

CITATIONS_PER_CLAIM = (1, 2, 3, 4)
CITATION_WEIGHTS = (35, 35, 20, 10)
ATTRIBUTIONS = ("author", "author", "quote", "reported")
CLAIMS_PER_SOURCE = 1_000
TOPICS = 20
CONTEXT_LENGTH = 32  # the TextQuoteSelector's prefix and suffix (sources.anchoring)
START = datetime(2024, 1, 1, tzinfo=UTC)


def stamp(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def dumps(record: dict) -> str:
    """One line as the export writes it: sorted keys, no spaces, non-ASCII as is."""
    return json.dumps(record, ensure_ascii=False, sort_keys=True, separators=(",", ":")) + "\n"


def fingerprint_function():
    """claims.models.text_fingerprint, the import's own rule (Django set up on no database)."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ.setdefault("DATABASE_URL", "sqlite:///:memory:")
    import django

    django.setup()
    from claims.models import text_fingerprint

    return text_fingerprint


def write_corpus(path: Path, *, claims: int, seed: int, progress=print) -> dict[str, int]:
    """Write the file; return how many records of each type it holds."""
    text_fingerprint = fingerprint_function()
    rng = random.Random(seed)
    prose = Prose(rng)
    run = f"bench{seed}"
    created = stamp(START)
    counts: dict[str, int] = {}

    authors = [f"{run}-author-{number}" for number in range(max(10, claims // 100))]
    topics = [f"{run}-topic-{number}" for number in range(TOPICS)]
    outlets = [f"{prose.name().split()[1]} Monitor" for _ in range(50)]

    texts: list[str] = []
    spans: list[tuple[int, int, int]] = []  # (source index, start, end): each sentence
    for _ in range(max(5, -(-claims // CLAIMS_PER_SOURCE))):
        text = ""
        for _ in range(rng.randint(80, 200)):
            sentence = prose.sentence()
            spans.append((len(texts), len(text), len(text) + len(sentence)))
            text += sentence + " "
        texts.append(text)

    cited: dict[tuple[int, int, int], None] = {}
    seen: set[bytes] = set()
    work = Path(tempfile.mkdtemp(prefix="corpus-", dir=path.parent))
    try:
        with (
            (work / "claims").open("w", encoding="utf-8") as claim_file,
            (work / "citations").open("w", encoding="utf-8") as citation_file,
        ):
            for number in range(claims):
                text = prose.sentence()
                while (key := bytes.fromhex(text_fingerprint(text))[:16]) in seen:
                    text = prose.sentence()
                seen.add(key)
                claim_uuid = str(uuid.UUID(int=rng.getrandbits(128), version=4))
                moment = stamp(START + timedelta(minutes=number))
                claim_file.write(
                    dumps(
                        {
                            "type": "claim",
                            "uuid": claim_uuid,
                            "slug": f"{run}-{number}",
                            "text": text,
                            "fingerprint": text_fingerprint(text),
                            "language": "en",
                            "topics": sorted(rng.sample(topics, rng.choice((0, 1, 1, 2)))),
                            "period_start": None,
                            "period_end": None,
                            "status": "published" if rng.random() < 0.95 else "draft",
                            "retraction_reason": "",
                            "created_by": None,
                            "reviewed_by": None,
                            "reviewed_at": None,
                            "created_at": moment,
                            "updated_at": moment,
                            "version": 1,
                            "corpus_key": None,
                        }
                    )
                )
                many = rng.choices(CITATIONS_PER_CLAIM, CITATION_WEIGHTS)[0]
                for span in rng.sample(spans, many):
                    cited[span] = None
                    source, start, end = span
                    citation_file.write(
                        dumps(
                            {
                                "type": "citation",
                                "claim": claim_uuid,
                                "source": f"{run}-source-{source}",
                                "start": start,
                                "end": end,
                                "stance": rng.choice(STANCES),
                                "author": rng.choice(authors),
                                "attribution": rng.choice(ATTRIBUTIONS),
                                "note": "",
                                "created_at": moment,
                                "updated_at": moment,
                                "version": 1,
                            }
                        )
                    )
                counts["citation"] = counts.get("citation", 0) + many
                if (number + 1) % 100_000 == 0:
                    progress(f"{number + 1:,} claims")
        counts["claim"] = claims

        with path.open("w", encoding="utf-8") as out:
            out.write(dumps({"type": "header", "format": "claimbase", "version": 1}))
            for slug in authors:
                out.write(
                    dumps(
                        {
                            "type": "author",
                            "slug": slug,
                            "name": prose.name(),
                            "kind": "person",
                            "affiliation": rng.choice(outlets),
                            "description": "",
                            "url": "",
                            "version": 1,
                        }
                    )
                )
            for number, slug in enumerate(topics):
                out.write(dumps({"type": "topic", "slug": slug, "name": f"Topic {number}"}))
            for number, text in enumerate(texts):
                out.write(
                    dumps(
                        {
                            "type": "source",
                            "slug": f"{run}-source-{number}",
                            "title": prose.vary(rng.choice(prose.sentences)[:80], share=0.5),
                            "url": f"https://news.example.org/{run}/{number}",
                            "outlet": rng.choice(outlets),
                            "published_on": (START.date() - timedelta(days=number)).isoformat(),
                            "published_precision": "day",
                            "language": "en",
                            "kind": "article",
                            "authors": sorted(rng.sample(authors, rng.choice((1, 1, 2)))),
                            "text": text,
                            "sha256": hashlib.sha256(text.encode("utf-8")).hexdigest(),
                            "note": "",
                            "created_at": created,
                            "updated_at": created,
                            "version": 1,
                        }
                    )
                )
            for source, start, end in sorted(cited):
                text = texts[source]
                out.write(
                    dumps(
                        {
                            "type": "passage",
                            "source": f"{run}-source-{source}",
                            "start": start,
                            "end": end,
                            "exact": text[start:end],
                            "prefix": text[max(0, start - CONTEXT_LENGTH) : start],
                            "suffix": text[end : end + CONTEXT_LENGTH],
                            "created_at": created,
                            "version": 1,
                        }
                    )
                )
            for name in ("claims", "citations"):
                with (work / name).open(encoding="utf-8") as spooled:
                    shutil.copyfileobj(spooled, out, 1 << 20)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    counts.update(author=len(authors), topic=len(topics), source=len(texts), passage=len(cited))
    return counts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("path", type=Path, help="the NDJSON file to write")
    parser.add_argument("--claims", type=int, default=100_000, help="how many (default 100,000)")
    parser.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
    arguments = parser.parse_args()
    arguments.path.parent.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    counts = write_corpus(arguments.path, claims=arguments.claims, seed=arguments.seed)
    seconds = time.perf_counter() - started
    summary = ", ".join(f"{count:,} {kind}s" for kind, count in counts.items())
    print(f"{arguments.path}: {summary} in {seconds:.1f} s")


if __name__ == "__main__":
    main()
