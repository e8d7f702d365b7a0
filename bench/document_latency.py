"""Measure checking a document: POST /api/v1/claims/check-document/ on long texts.

    DATABASE_URL=sqlite:///bench/scratch/bench.sqlite3 python bench/document_latency.py

Texts, all checked whole:

- the longest seed article (fixtures/, about 14,000 characters);
- 100,000 characters made of the five seed articles followed by unrelated
  English prose (the docstrings of Python's standard library, found offline);
- 100,000 characters of that unrelated prose alone.

Each is checked --repeat times after a warm-up, in-process, three ways:

- sentences: `lookup.documents.check_document()`, encoding every sentence in one
  batch and searching the index once for all (`lookup.hybrid.lookup_many`), as the
  endpoint does;
- per sentence: the same sentences, each looked up with `lookup.hybrid.lookup()`
  (what the endpoint would cost without `lookup_many`);
- api: the whole view — the first, plus loading the claims and the JSON.

Without DATABASE_URL it uses the development database. See bench/README.md.
"""

from __future__ import annotations

import argparse
import importlib
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PROSE_MODULES = """
    argparse json csv logging unittest email textwrap collections asyncio sqlite3 random
    statistics decimal fractions calendar datetime zipfile tarfile shutil subprocess threading
""".split()  # noqa: SIM905 (a word list reads better as text)
LENGTH = 100_000


def setup_django() -> None:
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()


def unrelated_prose(length: int) -> str:
    """English prose on nothing the corpus knows: the standard library's docstrings."""
    docs = []
    for name in PROSE_MODULES:
        module = importlib.import_module(name)
        docs.append(module.__doc__ or "")
        for attribute in sorted(dir(module)):
            doc = getattr(getattr(module, attribute), "__doc__", None)
            if isinstance(doc, str) and len(doc) > 200:
                docs.append(doc)
    return "\n\n".join(docs)[:length]


def texts() -> dict[str, str]:
    articles = [path.read_text(encoding="utf-8") for path in sorted(ROOT.glob("fixtures/*.txt"))]
    seeds = "\n\n".join(articles)
    return {
        "longest seed article": max(articles, key=len),
        "seeds + unrelated, 100k": (seeds + "\n\n" + unrelated_prose(LENGTH))[:LENGTH],
        "unrelated, 100k": unrelated_prose(LENGTH),
    }


def milliseconds(call, repeat: int) -> list[float]:
    call()
    timings = []
    for _ in range(repeat):
        started = time.perf_counter()
        call()
        timings.append((time.perf_counter() - started) * 1000)
    return timings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=3, help="checks of each text (default 3)")
    parser.add_argument("--limit", type=int, default=3, help="claims per sentence (default 3)")
    arguments = parser.parse_args()
    setup_django()

    from django.db import connection
    from rest_framework.test import APIRequestFactory

    from claims.models import Claim
    from lookup.documents import check_document, checked_spans, is_checkable
    from lookup.hybrid import lookup
    from lookup.views import DocumentCheckView

    factory = APIRequestFactory()
    view = DocumentCheckView.as_view(throttle_classes=[])
    limit = arguments.limit

    print(
        f"{connection.vendor}, {Claim.objects.count():,} claims; {arguments.repeat} checks "
        f"after a warm-up, limit {limit}; median ms (min-max)"
    )
    print(
        f"{'text':26}{'chars':>8}{'sent.':>7}{'checked':>8}{'matched':>8}"
        f"{'sentences':>20}{'per sentence':>20}{'api':>20}"
    )
    for name, text in texts().items():
        matched, sentences, checked = check_document(text, limit=limit)
        spans = [text[s:e] for s, e in checked_spans(text)]
        statements = list(dict.fromkeys(s for s in spans if is_checkable(s)))

        def per_sentence(statements=statements) -> None:
            for statement in statements:
                lookup(statement, limit=limit)

        def api(text=text) -> None:
            response = view(factory.post("/", {"text": text, "limit": limit}, format="json"))
            response.render()
            assert response.status_code == 200, response.content

        cells = []
        for call in (lambda text=text: check_document(text, limit=limit), per_sentence, api):
            timings = milliseconds(call, arguments.repeat)
            cells.append(
                f"{statistics.median(timings):.0f} ({min(timings):.0f}-{max(timings):.0f})"
            )
        print(
            f"{name:26}{len(text):8,}{sentences:7,}{checked:8,}{len(matched):8,}"
            + "".join(f"{cell:>20}" for cell in cells)
        )


if __name__ == "__main__":
    main()
