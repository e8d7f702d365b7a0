"""Re-check what the database stores about sources against the texts themselves.

Each check streams its table and yields one result per row checked: None when
the row is right, a Finding saying what is wrong otherwise. `manage.py verify`
runs them all; they only read.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from django.db import DEFAULT_DB_ALIAS

from sources.anchoring import span_at
from sources.models import Passage, Source, text_sha256

SOURCE_CHUNK = 100
"""Sources per database round trip: each carries its whole text."""
PASSAGE_CHUNK = 2_000


@dataclass(frozen=True)
class Finding:
    """A stored row that does not match what it is derived from."""

    kind: str
    pk: int
    label: str
    problem: str

    def __str__(self) -> str:
        return f"{self.kind} {self.pk} ({self.label}): {self.problem}"


def source_text_findings(
    *, using: str = DEFAULT_DB_ALIAS, chunk_size: int = SOURCE_CHUNK
) -> Iterator[Finding | None]:
    """Re-hash every source text and compare it with its stored SHA-256."""
    rows = Source.objects.using(using).order_by("pk").values_list("pk", "slug", "text", "sha256")
    for pk, slug, text, stored in rows.iterator(chunk_size=chunk_size):
        actual = text_sha256(text)
        yield (
            None
            if actual == stored
            else Finding(
                "source", pk, slug, f"stored sha256 {stored!r}, its text hashes to {actual}"
            )
        )


def passage_problem(text: str, passage: Passage) -> str | None:
    """What is wrong with a passage of `text`, or None: exact, offsets, prefix and suffix."""
    if not 0 <= passage.start < passage.end <= len(text):
        return f"offsets {passage.start}–{passage.end} are outside its source text ({len(text)})"
    span = span_at(text, passage.start, passage.end)
    wrong = [
        name
        for name in ("exact", "prefix", "suffix")
        if getattr(passage, name) != getattr(span, name)
    ]
    if wrong:
        return f"{', '.join(wrong)} differ from the source text at {passage.start}–{passage.end}"
    return None


def passage_findings(
    *, using: str = DEFAULT_DB_ALIAS, chunk_size: int = PASSAGE_CHUNK
) -> Iterator[Finding | None]:
    """Re-check every passage against its source's text, source by source."""
    passages = (
        Passage.objects.using(using)
        .order_by("source_id", "pk")
        .only("pk", "source_id", "start", "end", "exact", "prefix", "suffix")
    )
    source_id, text = None, ""
    for passage in passages.iterator(chunk_size=chunk_size):
        if passage.source_id != source_id:
            source_id = passage.source_id
            text = Source.objects.using(using).values_list("text", flat=True).get(pk=source_id)
        problem = passage_problem(text, passage)
        yield (
            None
            if problem is None
            else Finding("passage", passage.pk, f"source {source_id}", problem)
        )
