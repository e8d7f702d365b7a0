"""Fill a database with a synthetic corpus of claims, to benchmark the lookup at scale.

    export DATABASE_URL=sqlite:///bench/scratch/bench.sqlite3
    python bench/generate_claims.py --claims 100000

Deterministic for a given --seed. The texts are made from the seed corpus
(fixtures/*.txt): each synthetic source is a run of its sentences with about a
third of the words swapped for others of its vocabulary (drawn as often as they
occur), so word frequencies look like real prose on the same subject; claims are
such sentences too, each cited to one to three passages (whole sentences of the
synthetic sources) with a stance and an author. Rows go in with bulk inserts; the
database triggers still check every passage against its source text and keep the
search index in step.

Refuses to run unless DATABASE_URL is set, so that the development database is
never filled by accident; the database must be migrated (`manage.py migrate`).
See bench/README.md.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import random
import re
import sys
import time
import uuid
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SENTENCE = re.compile(r"[^.!?\n]+[.!?]")
WORD = re.compile(r"[A-Za-z][A-Za-z'’-]*")
SYLLABLES = (
    "ka",
    "to",
    "mi",
    "ra",
    "ne",
    "so",
    "lu",
    "va",
    "de",
    "ri",
    "po",
    "an",
    "el",
    "or",
    "is",
    "um",
    "ba",
    "ko",
    "sa",
    "ti",
)
STANCES = ("supports", "supports", "supports", "refutes", "neutral")
BATCH = 2_000


def setup_django() -> None:
    if not os.environ.get("DATABASE_URL"):
        sys.exit(
            "Set DATABASE_URL to a separate, migrated database, e.g. "
            "DATABASE_URL=sqlite:///bench/scratch/bench.sqlite3 (see bench/README.md)."
        )
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()


class Prose:
    """Sentences and words of the seed corpus, and a way to vary them."""

    def __init__(self, rng: random.Random):
        texts = [path.read_text(encoding="utf-8") for path in sorted(ROOT.glob("fixtures/*.txt"))]
        self.rng = rng
        self.sentences = [
            " ".join(match.group().split())
            for text in texts
            for match in SENTENCE.finditer(text)
            if 40 <= len(match.group().strip()) <= 400
        ]
        counts = Counter(word for text in texts for word in WORD.findall(text))
        self.words = list(counts)
        self.word_weights = list(counts.values())

    def vary(self, sentence: str, share: float = 0.35) -> str:
        """The sentence with about `share` of its words swapped for others of the corpus."""
        swaps = iter(self.rng.choices(self.words, self.word_weights, k=len(sentence)))

        def swap(match: re.Match) -> str:
            return next(swaps) if self.rng.random() < share else match.group()

        return WORD.sub(swap, sentence)

    def sentence(self) -> str:
        return self.vary(self.rng.choice(self.sentences))

    def name(self) -> str:
        def part() -> str:
            return "".join(self.rng.choices(SYLLABLES, k=self.rng.randint(2, 3))).capitalize()

        return f"{part()} {part()}"


def generate(*, claims: int, seed: int, progress) -> None:
    from django.db import transaction

    from claims.models import Citation, Claim
    from sources.anchoring import span_at
    from sources.models import Author, Passage, Source

    rng = random.Random(seed)
    prose = Prose(rng)
    run = f"bench{seed}"
    if Claim.objects.filter(slug__startswith=f"{run}-").exists():
        sys.exit(f"This database already has a corpus generated with seed {seed}.")

    authors = Author.objects.bulk_create(
        [
            Author(slug=f"{run}-author-{number}", name=prose.name())
            for number in range(max(10, claims // 100))
        ],
        batch_size=BATCH,
    )
    outlets = [f"The {prose.name().split()[0]} {rng.choice(['Times', 'Review', 'Post'])}"]
    outlets += [f"{prose.name().split()[1]} Monitor" for _ in range(49)]

    # Sources: runs of varied sentences; each sentence is a citable passage.
    spans: list[tuple[int, int, int]] = []  # (source index, start, end)
    sources = []
    for number in range(max(5, claims // 50)):
        sentences = [prose.sentence() for _ in range(rng.randint(20, 40))]
        text, position = "", 0
        for sentence in sentences:
            spans.append((number, position, position + len(sentence)))
            text += sentence + " "
            position = len(text)
        sources.append(
            Source(
                slug=f"{run}-source-{number}",
                title=prose.vary(rng.choice(prose.sentences)[:80], share=0.5),
                outlet=rng.choice(outlets),
                text=text,
                sha256=hashlib.sha256(text.encode("utf-8")).hexdigest(),
                kind="article",
            )
        )
    with transaction.atomic():
        sources = Source.objects.bulk_create(sources, batch_size=BATCH)
    progress(f"{len(authors)} authors, {len(sources)} sources")

    started = time.perf_counter()
    passages: dict[tuple[int, int, int], Passage] = {}
    for first in range(0, claims, BATCH):
        count = min(BATCH, claims - first)
        batch = [
            Claim(
                uuid=uuid.UUID(int=rng.getrandbits(128), version=4),
                slug=f"{run}-{first + offset}",
                text=prose.sentence(),
                status="published" if rng.random() < 0.95 else "draft",
            )
            for offset in range(count)
        ]
        cited = [rng.sample(spans, rng.choice((1, 1, 2, 2, 3))) for _ in batch]
        with transaction.atomic():
            batch = Claim.objects.bulk_create(batch)
            new = list(dict.fromkeys(s for spans_ in cited for s in spans_ if s not in passages))
            created = Passage.objects.bulk_create(
                [passage_for(sources[index], start, end, span_at) for index, start, end in new]
            )
            passages.update(zip(new, created, strict=True))
            Citation.objects.bulk_create(
                Citation(
                    claim=claim,
                    passage=passages[span],
                    stance=rng.choice(STANCES),
                    author=rng.choice(authors),
                )
                for claim, spans_ in zip(batch, cited, strict=True)
                for span in spans_
            )
        done = first + count
        rate = done / (time.perf_counter() - started)
        progress(f"{done:,} claims ({rate:,.0f}/s)")
    tidy_up()
    progress("statistics updated")


def tidy_up() -> None:
    """What follows a bulk load: fresh planner statistics, and a compacted FTS5 index."""
    from django.db import connection

    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("VACUUM ANALYZE")
        else:
            cursor.execute("INSERT INTO claims_search (claims_search) VALUES ('optimize')")
            cursor.execute("ANALYZE")


def passage_for(source, start: int, end: int, span_at):
    from sources.models import Passage

    anchor = span_at(source.text, start, end)
    return Passage(
        source=source,
        start=start,
        end=end,
        exact=anchor.exact,
        prefix=anchor.prefix,
        suffix=anchor.suffix,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--claims", type=int, default=100_000, help="how many (default 100,000)")
    parser.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
    arguments = parser.parse_args()
    setup_django()
    generate(claims=arguments.claims, seed=arguments.seed, progress=print)


if __name__ == "__main__":
    main()
