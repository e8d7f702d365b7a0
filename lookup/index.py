"""The semantic index: claim and passage vectors in the database, and in memory for search.

What is embedded
    For each published claim, under the configured model: its text, and the
    exact text of each passage it cites (one Embedding row each). A claim's
    similarity to a statement is the best over its rows: a paraphrase often
    echoes the source's words rather than the claim's.

Staying right
    Every write to claims, citations and passages, by any path (the API, the
    admin, the corpus loader, `manage.py import`'s bulk inserts, raw SQL), is
    in the change feed (claims.Change, written by database triggers and
    numbered at commit). The index remembers, per model, the last change it
    has followed (IndexState.seq). `catch_up()` reads the changes after it,
    finds the claims they touch, and re-embeds what changed — a text whose hash
    differs from the stored one — and deletes the rows of claims no longer
    published and of citations gone. A lookup catches up first when at most
    SYNC_CHANGES changes wait (a curator's edit is found by the next lookup);
    more (an import) are left to `manage.py reindex`, which `make run` runs
    after loading the corpus. `manage.py verify` reports every published
    claim whose rows are missing or stale.

Search
    Each process holds the model's vectors as one float32 matrix, one row per
    distinct text (a passage cited by many claims is one row), reloaded when
    IndexState.generation moves: from the vectors it holds, reading again only
    the rows' claims and text hashes, and the vectors of texts it lacks. A
    statement's vector times the matrix gives every text's cosine similarity,
    spread to the claims that have the text; the maximum per claim ranks them.
    Brute force: exact, and fast enough to ~10^5 claims (docs/lookup.md has the
    numbers and what to do at 10^6).
"""

from __future__ import annotations

import hashlib
import itertools
import logging
import secrets
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

import numpy as np
from django.db import connections, transaction
from django.db.models import Max

from claims.models import Change, ChangeKind, Citation, Claim
from lookup.encoder import get_encoder, model_id
from lookup.models import Embedding, IndexState
from sources.integrity import Finding

logger = logging.getLogger(__name__)

SYNC_CHANGES = 500
"""Most changes a lookup catches up on before it answers; more wait for `manage.py reindex`."""
CLAIMS_PER_BATCH = 200


def text_sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


# --- what should be embedded ----------------------------------------------------------


def expected_texts(claim_ids: Iterable[int]) -> dict[int, dict[int | None, str]]:
    """Each published claim's texts to embed, by citation (None: the claim's own text)."""
    ids = list(claim_ids)
    expected: dict[int, dict[int | None, str]] = {}
    for chunk in _chunks(ids, 500):
        published = Claim.objects.published().filter(pk__in=chunk).values_list("pk", "text")
        for pk, text in published:
            expected[pk] = {None: text}
        citations = Citation.objects.filter(claim_id__in=[pk for pk in chunk if pk in expected])
        for pk, claim, exact in citations.values_list("pk", "claim_id", "passage__exact"):
            expected[claim][pk] = exact
    return expected


def _chunks(items: list, size: int) -> Iterator[list]:
    iterator = iter(items)
    while chunk := list(itertools.islice(iterator, size)):
        yield chunk


def _stored(claim_ids: list[int], model: str) -> dict[tuple[int, int | None], tuple[int, str]]:
    """The rows stored for these claims: (claim, citation) → (row id, text hash)."""
    rows = {}
    for chunk in _chunks(claim_ids, 500):
        found = Embedding.objects.filter(claim_id__in=chunk, model=model)
        for pk, claim, citation, sha in found.values_list(
            "pk", "claim_id", "citation_id", "text_sha256"
        ):
            rows[(claim, citation)] = (pk, sha)
    return rows


# --- writing the index ----------------------------------------------------------------


@dataclass
class SyncResult:
    claims: int = 0
    embedded: int = 0
    deleted: int = 0

    def __iadd__(self, other: SyncResult) -> SyncResult:
        self.claims += other.claims
        self.embedded += other.embedded
        self.deleted += other.deleted
        return self


def sync_claims(claim_ids: Iterable[int], *, force: bool = False) -> SyncResult:
    """Bring these claims' rows in line: embed what is missing or stale, drop the rest.

    `force` re-embeds every text, stale or not.
    """
    ids = sorted(set(claim_ids))
    model = model_id()
    expected = expected_texts(ids)
    stored = _stored(ids, model)
    wanted: list[tuple[int, int | None, str, str]] = []  # claim, citation, text, hash
    for claim, texts in expected.items():
        for citation, text in texts.items():
            sha = text_sha256(text)
            row = stored.get((claim, citation))
            if force or row is None or row[1] != sha:
                wanted.append((claim, citation, text, sha))
    obsolete = [
        pk
        for (claim, citation), (pk, _) in stored.items()
        if claim not in expected or citation not in expected[claim]
    ]
    vectors = _vectors_for([(text, sha) for _, _, text, sha in wanted], model, reuse=not force)
    with transaction.atomic():
        if obsolete:
            Embedding.objects.filter(pk__in=obsolete).delete()
        replaced = [stored[(c, ct)][0] for c, ct, _, _ in wanted if (c, ct) in stored]
        if replaced:
            Embedding.objects.filter(pk__in=replaced).delete()
        Embedding.objects.bulk_create(
            Embedding(
                claim_id=claim,
                citation_id=citation,
                model=model,
                text_sha256=sha,
                vector=vectors[sha].tobytes(),
            )
            for claim, citation, _, sha in wanted
        )
    return SyncResult(claims=len(ids), embedded=len(wanted), deleted=len(obsolete))


def _vectors_for(texts: list[tuple[str, str]], model: str, *, reuse: bool) -> dict[str, np.ndarray]:
    """A vector per text hash: stored ones reused (a passage cited twice), the rest encoded."""
    vectors: dict[str, np.ndarray] = {}
    hashes = list({sha for _, sha in texts})
    if reuse:
        for chunk in _chunks(hashes, 500):
            rows = Embedding.objects.filter(model=model, text_sha256__in=chunk).order_by()
            for sha, vector in rows.values_list("text_sha256", "vector"):
                vectors.setdefault(sha, np.frombuffer(bytes(vector), dtype="<f4"))
    todo = {sha: text for text, sha in texts if sha not in vectors}
    if todo:
        encoded = get_encoder().encode(list(todo.values()))
        vectors.update(zip(todo, encoded, strict=True))
    return vectors


def _state(model: str, *, lock: bool = False) -> IndexState:
    state, _ = IndexState.objects.get_or_create(model=model)
    if lock:
        state = IndexState.objects.select_for_update().get(pk=state.pk)
    return state


def _advance(state: IndexState, seq: int, result: SyncResult) -> None:
    """Record that the index has followed the feed to `seq`, and mark it new if it changed.

    The generation is random rather than counted: a transaction rolled back
    (as every test is) must not hand a later, different index the number of
    one a process already holds.
    """
    update = {"seq": max(seq, state.seq)}
    if result.embedded or result.deleted:
        update["generation"] = secrets.randbits(62)
    IndexState.objects.filter(pk=state.pk).update(**update)


def mark_changed() -> None:
    """Give every model's index a new generation: processes reload their vectors.

    For deletions the feed does not drive (a claim's vectors deleted with it):
    without it, a process could keep serving vectors of rows that are gone, and
    after a rolled-back deletion it would hold the generation of an index it no
    longer matches.
    """
    IndexState.objects.update(generation=secrets.randbits(62))


def latest_change() -> int:
    return Change.objects.filter(seq__isnull=False).aggregate(latest=Max("seq"))["latest"] or 0


def claims_touched(changes: list[Change]) -> set[int]:
    """The claims whose embedded texts these changes may have changed."""
    claims: set[int] = set()
    by_kind: dict[str, set[str]] = {}
    for change in changes:
        by_kind.setdefault(change.kind, set()).add(change.object_id)
    if uuids := by_kind.get(ChangeKind.CLAIM):
        claims |= set(
            Claim.objects.filter(uuid__in=[uuid.UUID(u) for u in uuids]).values_list(
                "pk", flat=True
            )
        )
        # A deleted claim's rows go with it (CASCADE): nothing to find.
    if citations := by_kind.get(ChangeKind.CITATION):
        ids = [int(pk) for pk in citations]
        claims |= set(Citation.objects.filter(pk__in=ids).values_list("claim_id", flat=True))
        # A deleted citation is found by the row it leaves behind.
        claims |= set(
            Embedding.objects.filter(citation_id__in=ids).values_list("claim_id", flat=True)
        )
    if passages := by_kind.get(ChangeKind.PASSAGE):
        ids = [int(pk) for pk in passages]
        claims |= set(
            Citation.objects.filter(passage_id__in=ids).values_list("claim_id", flat=True)
        )
    return claims


def catch_up(*, max_changes: int | None = SYNC_CHANGES) -> bool:
    """Follow the change feed up to now; False (nothing done) if over `max_changes` wait."""
    model = model_id()
    state = _state(model)
    pending = Change.objects.filter(seq__gt=state.seq).order_by("seq")
    own = list(Change.objects.filter(seq__isnull=True)[: (max_changes or 0) + 1])
    if max_changes is not None and (
        len(own) > max_changes or pending[max_changes : max_changes + 1].exists()
    ):
        logger.warning(
            "The semantic index is more than %d changes behind: run `manage.py reindex`.",
            max_changes,
        )
        return False
    # On PostgreSQL a change is numbered as its transaction commits: one not numbered yet
    # that we can see is our own transaction's (a service that writes, then looks up).
    # Its claims are brought in line within the transaction, and checked again (finding
    # nothing to do) once the change is numbered.
    if own:
        if max_changes is None:
            own = list(Change.objects.filter(seq__isnull=True))
        result = sync_claims(claims_touched(own))
        if result.embedded or result.deleted:
            IndexState.objects.filter(model=model).update(generation=secrets.randbits(62))
    if not pending.exists():
        return True
    with transaction.atomic():
        state = _state(model, lock=True)  # one process at a time follows the feed
        changes = list(Change.objects.filter(seq__gt=state.seq).order_by("seq"))
        if not changes:
            return True
        result = sync_claims(claims_touched(changes))
        _advance(state, changes[-1].seq, result)
    return True


def reindex(
    *, everything: bool = False, progress: Callable[[int, int, SyncResult], None] | None = None
) -> SyncResult:
    """Check every claim's rows and embed what is missing or stale (`everything`: all of it).

    The vectors of any other model are dropped: they could only be stale.
    """
    model = model_id()
    start_seq = latest_change()  # changes after this one are followed by the next catch-up
    total = SyncResult()
    claim_ids = list(Claim.objects.order_by("pk").values_list("pk", flat=True))
    other_models = Embedding.objects.exclude(model=model)
    if other_models.exists():
        total.deleted += other_models.delete()[0]
    for done, chunk in enumerate(_chunks(claim_ids, CLAIMS_PER_BATCH), start=1):
        total += sync_claims(chunk, force=everything)
        if progress:
            progress(min(done * CLAIMS_PER_BATCH, len(claim_ids)), len(claim_ids), total)
    # Rows of claims gone altogether went with them; rows left for unknown claims cannot exist.
    with transaction.atomic():
        _advance(_state(model, lock=True), start_seq, total)
    return total


# --- checking the index ---------------------------------------------------------------


def embedding_findings(
    *, using: str = "default", chunk_size: int = 500
) -> Iterator[Finding | None]:
    """Check every published claim's rows under the configured model: none missing, none stale."""
    model = model_id()
    claims = Claim.objects.using(using).published().order_by("pk").values_list("pk", "slug")
    for chunk in _chunks(list(claims), chunk_size):
        ids = [pk for pk, _ in chunk]
        expected = expected_texts(ids)
        stored = _stored(ids, model)
        for pk, slug in chunk:
            problems = []
            for citation, text in expected.get(pk, {}).items():
                what = "its text" if citation is None else f"citation {citation}"
                row = stored.get((pk, citation))
                if row is None:
                    problems.append(f"{what} has no embedding")
                elif row[1] != text_sha256(text):
                    problems.append(f"the embedding of {what} is stale")
            extra = [c for (claim, c) in stored if claim == pk and c not in expected.get(pk, {})]
            if extra:
                problems.append(f"embeddings left for citations no longer cited: {extra}")
            yield Finding("claim", pk, slug, "; ".join(problems)) if problems else None
    leftover = (
        Embedding.objects.using(using)
        .filter(model=model)
        .exclude(claim__status=Claim.Status.PUBLISHED)
    )
    for pk, claim in leftover.values_list("pk", "claim_id"):
        yield Finding("embedding", pk, str(claim), "the claim is not published")


# --- searching ------------------------------------------------------------------------


class _Storage:
    """Vectors, one per row, with room after them: indexes reloaded one from another share it.

    An index uses the first rows that were filled when it was built; a later one
    appends after them, so a request still searching the earlier index is not
    disturbed.
    """

    def __init__(self, array: np.ndarray, used: int):
        self.array = array
        self.used = used

    def with_rows_after(self, used: int, block: np.ndarray) -> _Storage:
        """This storage with `block` written after its first `used` rows, or a larger copy."""
        end = used + len(block)
        if self.used == used and end <= len(self.array):
            self.array[used:end] = block
            self.used = end
            return self
        capacity = int(end * 1.05) + 64  # room for a day of curators' edits
        array = np.empty((capacity, block.shape[1]), dtype=np.float32)
        array[:used] = self.array[:used]
        array[used:end] = block
        return _Storage(array, end)


COMPACT_BELOW = 0.75
"""Share of a reloaded index's vectors still used below which it is compacted."""


@dataclass(frozen=True)
class VectorIndex:
    """The vectors of one model: each distinct text's vector once, and the rows of each claim.

    A passage cited by many claims, or two claims of the same text, is one vector:
    the product with a statement is computed once per distinct text, then spread
    to the rows (claim, text) that have it.
    """

    generation: int
    matrix: np.ndarray  # (texts, dimensions) float32: the storage's used rows
    rows: np.ndarray  # (rows,) the matrix row of each (claim, text) row, grouped by claim
    claims: np.ndarray  # (claims,) the claim of each group
    starts: np.ndarray  # (claims,) the first row of each group
    texts: dict[str, int]  # the matrix row of each text, by its hash
    storage: _Storage | None = None

    @classmethod
    def load(cls, model: str, generation: int, previous: VectorIndex | None = None) -> VectorIndex:
        """The index as stored; given the `previous` one, only the vectors it lacks are read.

        After a curator's write most vectors are unchanged: the rows' claims and
        hashes are read again (a fraction of the vectors' bytes), a vector only
        for a text the previous index does not hold, and the new vectors are
        appended to the previous ones. The vectors no row uses any more stay
        until they are more than a quarter of the matrix; then it is compacted.
        """
        embeddings = Embedding.objects.filter(
            model=model, claim__status=Claim.Status.PUBLISHED
        ).order_by("claim_id", "text_sha256")  # embedding_model_claim_text_idx
        if previous is None or previous.storage is None:
            rows: list[tuple[int, str]] = []
            vectors: dict[str, bytes] = {}
            loaded = embeddings.values_list("claim_id", "text_sha256", "vector")
            for claim, sha, vector in loaded.iterator(chunk_size=2000):
                rows.append((claim, sha))
                if sha not in vectors:
                    vectors[sha] = bytes(vector)
            return cls._build(generation, rows, vectors)
        rows = list(embeddings.values_list("claim_id", "text_sha256").iterator(chunk_size=5000))
        new = list({sha for _, sha in rows if sha not in previous.texts})
        vectors = {}
        for chunk in _chunks(new, 500):
            found = Embedding.objects.filter(model=model, text_sha256__in=chunk).order_by()
            for sha, vector in found.values_list("text_sha256", "vector"):
                vectors[sha] = bytes(vector)
        if len(vectors) < len(new):  # rewritten while being read: read it whole
            return cls.load(model, generation)
        return cls._build(generation, rows, vectors, previous)

    @classmethod
    def _build(
        cls,
        generation: int,
        rows: list[tuple[int, str]],
        vectors: dict[str, bytes],
        previous: VectorIndex | None = None,
    ) -> VectorIndex:
        """The index of these (claim, text hash) rows, grouped by claim.

        `vectors` holds (little-endian float32 bytes) each text's vector that the
        previous index does not.
        """
        if not rows:
            empty = np.zeros(0, dtype=np.int64)
            return cls(generation, np.zeros((0, 0), dtype=np.float32), empty, empty, empty, {})
        used = 0 if previous is None else len(previous.matrix)
        texts = {} if previous is None else dict(previous.texts)
        texts.update((sha, used + i) for i, sha in enumerate(vectors))
        if vectors:
            dimensions = len(next(iter(vectors.values()))) // 4
            block = np.frombuffer(b"".join(vectors.values()), dtype="<f4").reshape(-1, dimensions)
            empty = _Storage(np.zeros((0, dimensions), dtype=np.float32), 0)
            storage = (previous.storage if previous else empty).with_rows_after(used, block)
        else:
            storage = previous.storage
        end = used + len(vectors)
        text_rows = np.fromiter((texts[sha] for _, sha in rows), dtype=np.intp, count=len(rows))
        live = np.bincount(text_rows, minlength=end) > 0
        if previous is not None and live.sum() < COMPACT_BELOW * end:
            keep = np.flatnonzero(live)
            moved = np.full(end, -1, dtype=np.intp)
            moved[keep] = np.arange(len(keep))
            storage = _Storage(storage.array[keep], len(keep))
            texts = {sha: int(moved[row]) for sha, row in texts.items() if moved[row] >= 0}
            text_rows, end = moved[text_rows], len(keep)
        row_claims = np.asarray([claim for claim, _ in rows], dtype=np.int64)
        starts = np.flatnonzero(np.r_[True, row_claims[1:] != row_claims[:-1]])
        return cls(
            generation,
            storage.array[:end],
            text_rows,
            row_claims[starts],
            starts,
            texts,
            storage,
        )

    def similarities(self, queries: np.ndarray, groups: list[int] | None = None) -> np.ndarray:
        """(queries, claims): each claim's best cosine similarity over its rows.

        `groups`: the queries are the parts of statements, this many each; then
        (statements, claims), each claim's best over its rows and the statement's
        parts (taken per text first, so that the spread to claims is done once a
        statement).
        """
        rows = len(groups) if groups is not None else len(queries)
        if not len(self.claims):
            return np.zeros((rows, 0), dtype=np.float32)
        by_text = queries @ self.matrix.T
        if groups is not None and rows < len(queries):
            by_text = np.maximum.reduceat(by_text, np.r_[0, np.cumsum(groups)[:-1]], axis=0)
        return np.maximum.reduceat(by_text[:, self.rows], self.starts, axis=1)


_cache: dict[str, VectorIndex] = {}
_cache_lock = threading.Lock()


def forget_loaded_vectors() -> None:
    """Drop this process's vectors: the next lookup loads them from the database."""
    with _cache_lock:
        _cache.clear()


def load_at_start() -> None:
    """Load the encoder and this process's vectors now: for a server's worker as it starts.

    Loading takes seconds at 10^5 claims; done here, no request waits for it. If
    it fails (a database not migrated yet, missing weights), the worker still
    serves, and the first lookup tries again (and reports the error).
    """
    started = time.perf_counter()
    try:
        get_encoder()
        loaded = current_index(sync=False)
    except Exception as error:  # noqa: BLE001 (a worker must start whatever fails here)
        logger.warning("The semantic index was not loaded at start: %s", error)
        return
    finally:
        connections.close_all()  # requests run in other threads, with their own
    logger.info(
        "Semantic index loaded: %d vectors of %d claims in %.1f s.",
        len(loaded.rows),
        len(loaded.claims),
        time.perf_counter() - started,
    )


def current_index(*, sync: bool = True) -> VectorIndex:
    """The process's vectors for the configured model, caught up and reloaded if moved."""
    model = model_id()
    if sync:
        catch_up()
    generation = IndexState.objects.filter(model=model).values_list("generation", flat=True).first()
    generation = generation or 0
    with _cache_lock:
        cached = _cache.get(model)
        if cached is None or cached.generation != generation:
            cached = _cache[model] = VectorIndex.load(model, generation, previous=cached)
        return cached
