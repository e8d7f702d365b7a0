"""The whole database as NDJSON, and back: lossless, by natural keys (docs/interchange.md).

`export_lines()` streams one JSON object per line, each with its `type`, in a
fixed order (types, then natural keys in code point order) and a fixed
serialization (sorted keys, no spaces, UTF-8), so that exporting, importing
into an empty database and exporting again gives the same bytes, on SQLite
and PostgreSQL alike.

`import_file()` reads a file twice: first it checks every line (JSON, fields,
SHA-256 of texts, passages against their texts, references, uniqueness) and
reports every bad line without writing anything; then it writes, in one
transaction, what the database lacks. It never overwrites: a record stored
already under the same natural key is left as it is, and reported when it
differs from the file. Importing the same file twice changes nothing.
"""

from __future__ import annotations

import importlib
import json
import tempfile
import uuid
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from functools import partial
from typing import IO, Any

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import F, Model, Prefetch
from django.db.models.functions import Collate

from claims.models import Citation, Claim, CorpusRecord, Topic, text_fingerprint
from sources.models import Author, Passage, Source, SourceAuthor, text_sha256

FORMAT = "claimbase"
VERSION = 1
HEADER = {"type": "header", "format": FORMAT, "version": VERSION}

# The order of the types in a file: every reference points to an earlier line.
TYPES = ["author", "topic", "source", "passage", "claim", "citation", "corpus_record"]

CHUNK_SIZE = 500  # rows per query when reading the database
SOURCE_CHUNK_SIZE = 20  # sources carry their full texts
BATCH_SIZE = 500  # lines per write
PROGRESS_EVERY = 1000  # lines between progress reports
MAX_ERRORS = 100  # bad lines listed; all are counted


# --- Values: one JSON form for each Python type --------------------------------


def to_json(value: Any) -> Any:
    """The file's form of a database value: dates ISO 8601, date-times in UTC with microseconds."""
    if isinstance(value, datetime):
        return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    return value


def dumps(record: dict) -> str:
    """One line of the file: sorted keys, no spaces, non-ASCII as is."""
    return json.dumps(record, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def binary(name: str):
    """Order by the code points of a text column, whatever the database's collation."""
    return Collate(F(name), "C" if connection.vendor == "postgresql" else "BINARY")


# --- Export ----------------------------------------------------------------------


def author_records(authors=None) -> Iterator[dict]:
    authors = Author.objects.all() if authors is None else authors
    rows = authors.order_by(binary("slug")).values(
        "slug", "name", "kind", "affiliation", "description", "url", "version"
    )
    for row in rows.iterator(chunk_size=CHUNK_SIZE):
        yield {"type": "author", **row}


def topic_records(topics=None) -> Iterator[dict]:
    topics = Topic.objects.all() if topics is None else topics
    for row in topics.order_by(binary("slug")).values("slug", "name").iterator(CHUNK_SIZE):
        yield {"type": "topic", **row}


SOURCE_FIELDS = [
    "slug",
    "title",
    "url",
    "outlet",
    "published_on",
    "published_precision",
    "language",
    "kind",
    "text",
    "sha256",
    "note",
    "created_at",
    "updated_at",
    "version",
]


def source_records(sources=None) -> Iterator[dict]:
    sources = Source.objects.all() if sources is None else sources
    byline = SourceAuthor.objects.select_related("author").order_by("position")
    sources = sources.order_by(binary("slug")).prefetch_related(
        Prefetch("author_links", queryset=byline)
    )
    for source in sources.iterator(chunk_size=SOURCE_CHUNK_SIZE):
        record = {name: to_json(getattr(source, name)) for name in SOURCE_FIELDS}
        record["authors"] = [link.author.slug for link in source.author_links.all()]
        yield {"type": "source", **record}


def passage_records(passages=None) -> Iterator[dict]:
    passages = Passage.objects.all() if passages is None else passages
    rows = passages.order_by(binary("source__slug"), "start", "end").values(
        "source__slug", "start", "end", "exact", "prefix", "suffix", "created_at", "version"
    )
    for row in rows.iterator(chunk_size=CHUNK_SIZE):
        record = {name: to_json(value) for name, value in row.items()}
        record["source"] = record.pop("source__slug")
        yield {"type": "passage", **record}


CLAIM_FIELDS = [
    "uuid",
    "slug",
    "text",
    "fingerprint",
    "language",
    "period_start",
    "period_end",
    "status",
    "retraction_reason",
    "reviewed_at",
    "created_at",
    "updated_at",
    "version",
    "corpus_key",
]


def claim_records(claims=None) -> Iterator[dict]:
    claims = Claim.objects.all() if claims is None else claims
    claims = (
        claims.order_by("uuid")
        .select_related("created_by", "reviewed_by")
        # A list, not the related manager's cache: that built a manager and a query set
        # for each claim, a good part of the claims' export.
        .prefetch_related(
            Prefetch("topics", queryset=Topic.objects.only("slug"), to_attr="topic_list")
        )
    )
    for claim in claims.iterator(chunk_size=CHUNK_SIZE):
        record = {name: to_json(getattr(claim, name)) for name in CLAIM_FIELDS}
        record["topics"] = sorted(topic.slug for topic in claim.topic_list)
        record["created_by"] = claim.created_by.get_username() if claim.created_by else None
        record["reviewed_by"] = claim.reviewed_by.get_username() if claim.reviewed_by else None
        yield {"type": "claim", **record}


def citation_records(citations=None) -> Iterator[dict]:
    citations = Citation.objects.all() if citations is None else citations
    rows = citations.order_by(
        "claim__uuid", binary("passage__source__slug"), "passage__start", "passage__end"
    ).values(
        "claim__uuid",
        "passage__source__slug",
        "passage__start",
        "passage__end",
        "stance",
        "author__slug",
        "attribution",
        "note",
        "created_at",
        "updated_at",
        "version",
    )
    for row in rows.iterator(chunk_size=CHUNK_SIZE):
        yield {
            "type": "citation",
            "claim": str(row["claim__uuid"]),
            "source": row["passage__source__slug"],
            "start": row["passage__start"],
            "end": row["passage__end"],
            "stance": row["stance"],
            "author": row["author__slug"],
            "attribution": row["attribution"],
            "note": row["note"],
            "created_at": to_json(row["created_at"]),
            "updated_at": to_json(row["updated_at"]),
            "version": row["version"],
        }


def corpus_records(records=None) -> Iterator[dict]:
    records = CorpusRecord.objects.all() if records is None else records
    rows = records.order_by(binary("key")).values("key", "values", "loaded_at")
    for row in rows.iterator(chunk_size=CHUNK_SIZE):
        yield {"type": "corpus_record", **{name: to_json(value) for name, value in row.items()}}


EXPORTERS: dict[str, Callable[..., Iterator[dict]]] = {
    "author": author_records,
    "topic": topic_records,
    "source": source_records,
    "passage": passage_records,
    "claim": claim_records,
    "citation": citation_records,
    "corpus_record": corpus_records,
}


def export_records() -> Iterator[dict]:
    yield HEADER
    for kind in TYPES:
        yield from EXPORTERS[kind]()


@contextmanager
def snapshot() -> Iterator[None]:
    """Read every query of the block from one snapshot of the database, where it can.

    On PostgreSQL, a read-only REPEATABLE READ transaction: writes committed
    while the export runs do not show, so a citation never names a claim the
    file lacks. SQLite's transactions here take the write lock (IMMEDIATE), so
    there each query reads the database as it then is.
    """
    if connection.vendor != "postgresql" or connection.in_atomic_block:
        yield
        return
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        yield


def export_lines(*, progress: Callable[[str], None] | None = None) -> Iterator[str]:
    """Every record of the database, one NDJSON line each (with its newline), header first."""
    counts: Counter[str] = Counter()
    with snapshot():
        for number, record in enumerate(export_records(), start=1):
            counts[record["type"]] += 1
            yield dumps(record) + "\n"
            if progress and number % PROGRESS_EVERY == 0:
                progress(f"{number} lines: {count_text(counts)}")
    if progress:
        progress(f"Exported {count_text(counts)}.")


def count_text(counts: Counter[str]) -> str:
    return ", ".join(f"{counts[kind]} {kind}s" for kind in TYPES if counts[kind]) or "nothing"


# --- Fields of each line ---------------------------------------------------------


class FieldError(ValueError):
    pass


def _string(value):
    if not isinstance(value, str):
        raise FieldError("must be a string")
    return value


def _optional(parse):
    def parse_optional(value):
        return None if value is None else parse(value)

    return parse_optional


def _count(value):
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise FieldError("must be a whole number, 0 or more")
    return value


def _version(value):
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise FieldError("must be a whole number, 1 or more")
    return value


def _date(value):
    try:
        return date.fromisoformat(_string(value))
    except ValueError:
        raise FieldError("must be a date, YYYY-MM-DD") from None


def _datetime(value):
    try:
        parsed = datetime.fromisoformat(_string(value))
    except ValueError:
        raise FieldError("must be an ISO 8601 date-time") from None
    if parsed.tzinfo is None:
        raise FieldError("must be an ISO 8601 date-time with its UTC offset")
    return parsed.astimezone(UTC)


def _uuid(value):
    try:
        return uuid.UUID(_string(value))
    except ValueError:
        raise FieldError("must be a UUID") from None


def _strings(value):
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise FieldError("must be a list of strings")
    if len(set(value)) != len(value):
        raise FieldError("lists a value twice")
    return value


def _any(value):
    return value


STRING, OPTIONAL_STRING = _string, _optional(_string)

FIELDS: dict[str, dict[str, Callable[[Any], Any]]] = {
    "header": {"format": STRING, "version": _version},
    "author": {
        "slug": STRING,
        "name": STRING,
        "kind": STRING,
        "affiliation": STRING,
        "description": STRING,
        "url": STRING,
        "version": _version,
    },
    "topic": {"slug": STRING, "name": STRING},
    "source": {
        "slug": STRING,
        "title": STRING,
        "url": OPTIONAL_STRING,
        "outlet": STRING,
        "published_on": _optional(_date),
        "published_precision": STRING,
        "language": STRING,
        "kind": STRING,
        "authors": _strings,
        "text": STRING,
        "sha256": STRING,
        "note": STRING,
        "created_at": _datetime,
        "updated_at": _datetime,
        "version": _version,
    },
    "passage": {
        "source": STRING,
        "start": _count,
        "end": _count,
        "exact": STRING,
        "prefix": STRING,
        "suffix": STRING,
        "created_at": _datetime,
        "version": _version,
    },
    "claim": {
        "uuid": _uuid,
        "slug": STRING,
        "text": STRING,
        "fingerprint": OPTIONAL_STRING,
        "language": STRING,
        "topics": _strings,
        "period_start": _optional(_date),
        "period_end": _optional(_date),
        "status": STRING,
        "retraction_reason": STRING,
        "created_by": OPTIONAL_STRING,
        "reviewed_by": OPTIONAL_STRING,
        "reviewed_at": _optional(_datetime),
        "created_at": _datetime,
        "updated_at": _datetime,
        "version": _version,
        "corpus_key": OPTIONAL_STRING,
    },
    "citation": {
        "claim": _uuid,
        "source": STRING,
        "start": _count,
        "end": _count,
        "stance": STRING,
        "author": OPTIONAL_STRING,
        "attribution": STRING,
        "note": STRING,
        "created_at": _datetime,
        "updated_at": _datetime,
        "version": _version,
    },
    "corpus_record": {"key": STRING, "values": _any, "loaded_at": _datetime},
}


def natural_key(kind: str, values: dict) -> Any:
    """What names a record across databases."""
    if kind == "passage":
        return (values["source"], values["start"], values["end"])
    if kind == "citation":
        return (str(values["claim"]), values["source"], values["start"], values["end"])
    return str(values[{"claim": "uuid", "corpus_record": "key"}.get(kind, "slug")])


def key_text(kind: str, key) -> str:
    if kind == "passage":
        return f"passage {key[0]}:{key[1]}-{key[2]}"
    if kind == "citation":
        return f"citation of claim {key[0]} by {key[1]}:{key[2]}-{key[3]}"
    return f"{kind.replace('_', ' ')} {key}"


# --- Import ----------------------------------------------------------------------


def passages_at(spans: list[tuple[str, int, int]]):
    """The stored passages of these spans, and maybe a few more (two IN lists, not many ORs)."""
    return Passage.objects.filter(
        source__slug__in={slug for slug, _, _ in spans}, start__in={start for _, start, _ in spans}
    )


class ImportRefused(Exception):
    """The file has bad lines; nothing was written. `errors` lists (line number, message)."""

    def __init__(self, errors: list[tuple[int, str]], total: int):
        self.errors = sorted(errors)
        self.total = total
        listed = "\n".join(f"line {number}: {message}" for number, message in self.errors)
        more = f"\n… and {total - len(errors)} more" if total > len(errors) else ""
        lines = "1 bad line" if total == 1 else f"{total} bad lines"
        super().__init__(f"{lines}; nothing was imported.\n{listed}{more}")


@dataclass
class ImportReport:
    """What an import did, per type: created, unchanged, kept (stored, differs from the file)."""

    counts: dict[str, Counter] = field(default_factory=lambda: defaultdict(Counter))
    kept: list[str] = field(default_factory=list)
    users_created: list[str] = field(default_factory=list)

    @property
    def created(self) -> int:
        return sum(counts["created"] for counts in self.counts.values())

    def summary(self) -> str:
        parts = []
        for kind in TYPES:
            counts = self.counts.get(kind)
            if counts:
                detail = ", ".join(
                    f"{counts[what]} {what}"
                    for what in ("created", "unchanged", "kept")
                    if counts[what]
                )
                parts.append(f"{kind}s: {detail}")
        if self.users_created:
            parts.append(f"users created (inactive): {len(self.users_created)}")
        return "; ".join(parts) or "nothing"


@dataclass
class Line:
    number: int
    kind: str
    values: dict  # parsed: Python values

    @property
    def record(self) -> dict:
        """The line as the exporter writes it, to compare with the stored record."""
        return {"type": self.kind, **{name: to_json(value) for name, value in self.values.items()}}


def parse_line(number: int, text: str) -> Line:
    """Parse one line and check its fields; raise FieldError naming what is wrong."""
    try:
        data = json.loads(text)
    except ValueError as error:
        raise FieldError(f"not JSON ({error})") from None
    if not isinstance(data, dict):
        raise FieldError("not a JSON object")
    kind = data.get("type")
    if kind not in FIELDS:
        raise FieldError(f"unknown type {kind!r}; expected one of {', '.join(TYPES)}")
    spec = FIELDS[kind]
    problems = []
    missing = sorted(set(spec) - set(data))
    unknown = sorted(set(data) - set(spec) - {"type"})
    if missing:
        problems.append(f"missing {', '.join(missing)}")
    if unknown:
        problems.append(f"unknown field {', '.join(unknown)}")
    values = {}
    for name, parse in spec.items():
        if name in data:
            try:
                values[name] = parse(data[name])
            except FieldError as error:
                problems.append(f"{name} {error}")
    if problems:
        raise FieldError(f"{kind}: " + "; ".join(problems))
    return Line(number, kind, values)


def is_header(text: str) -> bool:
    try:
        data = json.loads(text)
    except ValueError:
        return False
    return isinstance(data, dict) and data.get("type") == "header"


def numbered(lines: Iterable[str]) -> Iterator[tuple[int, str]]:
    for number, text in enumerate(lines, start=1):
        if text.strip():
            yield number, text


def model_errors(instance, exclude: list[str]) -> list[str]:
    """Field and clean() errors of an unsaved instance (uniqueness is checked elsewhere)."""
    try:
        instance.full_clean(exclude=exclude, validate_unique=False, validate_constraints=False)
    except ValidationError as error:
        return [
            f"{name}: {' '.join(messages)}" if name != "__all__" else " ".join(messages)
            for name, messages in error.message_dict.items()
        ]
    return []


class Checker:
    """The first pass: every problem of every line, with nothing written."""

    def __init__(self, progress):
        self.errors: list[tuple[int, str]] = []
        self.total = 0
        self.progress = progress
        self.keys: dict[str, dict[Any, int]] = defaultdict(dict)  # kind → key → line
        self.texts: dict[str, str] = {}  # source slug → text, for the passages
        self.unique: dict[tuple[str, str], dict[Any, int]] = defaultdict(dict)
        self.references: dict[str, dict[Any, list[int]]] = defaultdict(lambda: defaultdict(list))
        self.stored_texts: dict[str, str | None] = {}
        self.kind_index = -1
        self.counts: Counter[str] = Counter()

    def error(self, number: int, message: str) -> None:
        self.total += 1
        if len(self.errors) < MAX_ERRORS:
            self.errors.append((number, message))

    def check(self, lines: Iterable[str]) -> None:
        first = True
        for number, text in numbered(lines):
            if self.progress and number % PROGRESS_EVERY == 0:
                self.progress(f"checked {number} lines: {count_text(self.counts)}")
            if first and not is_header(text):
                self.error(number, 'the first line must be the header {"type": "header", …}')
            try:
                line = parse_line(number, text)
            except FieldError as error:
                self.error(number, str(error))
                first = False
                continue
            self.counts[line.kind] += 1
            if line.kind == "header":
                if not first:
                    self.error(number, "a header line after the first line")
                elif (line.values["format"], line.values["version"]) != (FORMAT, VERSION):
                    self.error(
                        number,
                        f"format {line.values['format']!r} version {line.values['version']}: "
                        f"this importer reads {FORMAT!r} version {VERSION}",
                    )
                first = False
                continue
            first = False
            index = TYPES.index(line.kind)
            if index < self.kind_index:
                self.error(
                    number,
                    f"{line.kind} after {TYPES[self.kind_index]}: the types come in the "
                    f"order {', '.join(TYPES)}",
                )
            self.kind_index = max(self.kind_index, index)
            key = natural_key(line.kind, line.values)
            earlier = self.keys[line.kind].get(key)
            if earlier is not None:
                self.error(number, f"{key_text(line.kind, key)} is on line {earlier} already")
                continue
            self.keys[line.kind][key] = number
            for message in getattr(self, f"check_{line.kind}")(line):
                self.error(number, message)
        if first:
            self.error(1, "the file is empty; it must start with the header line")
        self.check_references()
        self.check_stored_uniques()

    def refer(self, kind: str, key, number: int) -> None:
        """Note a reference that must be on an earlier line or in the database."""
        if key not in self.keys[kind]:
            self.references[kind][key].append(number)

    def claim_unique(self, line: Line, name: str, value) -> list[str]:
        if value is None:
            return []
        taken = self.unique[(line.kind, name)]
        if value in taken:
            return [f"{name} {value!r} is taken by line {taken[value]}"]
        taken[value] = line.number
        return []

    def check_author(self, line: Line) -> list[str]:
        values = dict(line.values)
        values.pop("version")
        return model_errors(Author(**values), exclude=[])

    def check_topic(self, line: Line) -> list[str]:
        return model_errors(Topic(**line.values), exclude=[])

    def check_source(self, line: Line) -> list[str]:
        values = dict(line.values)
        authors, sha256 = values.pop("authors"), values.pop("sha256")
        source = Source(**{name: value for name, value in values.items() if name != "version"})
        problems = model_errors(source, exclude=["created_at", "updated_at"])
        if sha256 != text_sha256(source.text):
            problems.append("sha256 is not the SHA-256 of the text")
        if (source.published_on is None) != (source.published_precision == ""):
            problems.append("published_precision is given exactly when published_on is")
        if source.url == "":
            problems.append("url: null, not an empty string, when there is none")
        problems += self.claim_unique(line, "url", source.url)
        for slug in authors:
            self.refer("author", slug, line.number)
        self.texts[source.slug] = source.text
        return problems

    def source_text(self, slug: str) -> str | None:
        if slug in self.texts:
            return self.texts[slug]
        if slug not in self.stored_texts:
            self.stored_texts[slug] = (
                Source.objects.filter(slug=slug).values_list("text", flat=True).first()
            )
        return self.stored_texts[slug]

    def check_passage(self, line: Line) -> list[str]:
        values = line.values
        text = self.source_text(values["source"])
        if text is None:
            return [f"source {values['source']!r} is neither in the file nor stored"]
        passage = Passage(
            source=Source(text=text),
            start=values["start"],
            end=values["end"],
            exact=values["exact"],
        )
        problems = model_errors(passage, exclude=["source", "created_at"])
        if not problems and (passage.prefix, passage.suffix) != (
            values["prefix"],
            values["suffix"],
        ):
            problems.append("prefix and suffix differ from the source text around the passage")
        return problems

    def check_claim(self, line: Line) -> list[str]:
        values = line.values
        fields = {
            name: value
            for name, value in values.items()
            if name not in ("topics", "created_by", "reviewed_by", "version", "fingerprint")
        }
        problems = model_errors(Claim(**fields), exclude=["created_at", "updated_at"])
        for name in ("slug", "corpus_key"):
            problems += self.claim_unique(line, name, values[name])
        # Null only for claims stored before fingerprints that share a statement.
        fingerprint = values["fingerprint"]
        if fingerprint not in (None, text_fingerprint(values["text"])):
            problems.append("fingerprint is not the SHA-256 of the normalised text, nor null")
        elif message := self.claim_unique(line, "fingerprint", fingerprint):
            problems.append(f"the same statement as line {message[0].rsplit(' ', 1)[-1]}")
        for name in ("created_by", "reviewed_by"):
            username = values[name]
            if username is not None:
                try:
                    get_user_model().username_validator(username)
                except ValidationError as error:
                    problems.append(f"{name}: {' '.join(error.messages)}")
        for slug in values["topics"]:
            self.refer("topic", slug, line.number)
        return problems

    def check_citation(self, line: Line) -> list[str]:
        values = line.values
        citation = Citation(
            stance=values["stance"], attribution=values["attribution"], note=values["note"]
        )
        problems = model_errors(
            citation, exclude=["claim", "passage", "author", "created_at", "updated_at"]
        )
        self.refer("claim", str(values["claim"]), line.number)
        self.refer("passage", (values["source"], values["start"], values["end"]), line.number)
        if values["author"] is not None:
            self.refer("author", values["author"], line.number)
        return problems

    def check_corpus_record(self, line: Line) -> list[str]:
        if len(line.values["key"]) > CorpusRecord._meta.get_field("key").max_length:
            return ["key is longer than 400 characters"]
        return []

    def check_references(self) -> None:
        """References to nothing earlier in the file must be to stored records."""
        lookups = {
            "author": lambda keys: Author.objects.filter(slug__in=keys).values_list("slug"),
            "topic": lambda keys: Topic.objects.filter(slug__in=keys).values_list("slug"),
            "claim": lambda keys: Claim.objects.filter(uuid__in=keys).values_list("uuid"),
        }
        for kind, wanted in self.references.items():
            keys = list(wanted)
            found = set()
            for start in range(0, len(keys), CHUNK_SIZE):
                chunk = keys[start : start + CHUNK_SIZE]
                if kind == "passage":
                    found |= set(passages_at(chunk).values_list("source__slug", "start", "end"))
                else:
                    found |= {str(row[0]) for row in lookups[kind](chunk)}
            for key in keys:
                if key not in found:
                    for number in wanted[key]:
                        self.error(
                            number, f"{key_text(kind, key)} is neither in the file nor stored"
                        )

    def check_stored_uniques(self) -> None:
        """Values unique in the database must not be held by another stored record."""
        checks = [
            ("claim", "slug", "uuid", Claim),
            ("claim", "corpus_key", "uuid", Claim),
            ("claim", "fingerprint", "uuid", Claim),
            ("source", "url", "slug", Source),
        ]
        owners = {kind: {number: key for key, number in self.keys[kind].items()} for kind in TYPES}
        for kind, name, key_name, model in checks:
            taken = self.unique[(kind, name)]
            values = list(taken)
            for start in range(0, len(values), CHUNK_SIZE):
                chunk = values[start : start + CHUNK_SIZE]
                rows = model.objects.filter(**{f"{name}__in": chunk}).values_list(name, key_name)
                for value, stored_key in rows:
                    number = taken[value]
                    if owners[kind].get(number) != str(stored_key):
                        what = (
                            "the same statement" if name == "fingerprint" else f"{name} {value!r}"
                        )
                        self.error(number, f"stored {kind} {stored_key} has {what}")
        # A stored source's text never changes: the file must hold the same text.
        sources = self.keys["source"]
        slugs = list(sources)
        for start in range(0, len(slugs), CHUNK_SIZE):
            chunk = slugs[start : start + CHUNK_SIZE]
            for slug, sha256 in Source.objects.filter(slug__in=chunk).values_list("slug", "sha256"):
                if sha256 != text_sha256(self.texts[slug]):
                    self.error(
                        sources[slug],
                        f"source {slug} is stored with another text; a changed document is a "
                        "new source, under a new slug",
                    )


class Writer:
    """The second pass: insert what the database lacks, keep what it holds."""

    def __init__(self, report: ImportReport, progress):
        self.report = report
        self.progress = progress
        self.created_claims: set[str] = set()
        self.created_claim_ids: list[int] = []  # for the lookup's word index, after the load
        self.users: dict[str, int] = {}

    def write(self, lines: Iterable[str]) -> None:
        batch: list[Line] = []
        for number, text in numbered(lines):
            line = parse_line(number, text)
            if line.kind == "header":
                continue
            if batch and (batch[0].kind != line.kind or len(batch) >= self.batch_size(line)):
                self.flush(batch)
                batch = []
            batch.append(line)
            if self.progress and number % PROGRESS_EVERY == 0:
                self.progress(f"wrote {number} lines: {self.report.summary()}")
        if batch:
            self.flush(batch)

    def batch_size(self, line: Line) -> int:
        return SOURCE_CHUNK_SIZE if line.kind == "source" else BATCH_SIZE

    def flush(self, batch: list[Line]) -> None:
        kind = batch[0].kind
        stored = self.stored(kind, batch)
        new = []
        counts = self.report.counts[kind]
        for line in batch:
            key = natural_key(kind, line.values)
            if key not in stored:
                new.append(line)
            elif stored[key] == line.record:
                counts["unchanged"] += 1
            else:
                counts["kept"] += 1
                self.keep(line, f"{key_text(kind, key)} is stored with other values; kept")
        if new:
            counts["created"] += getattr(self, f"create_{kind}")(new)

    def keep(self, line: Line, message: str) -> None:
        if len(self.report.kept) < MAX_ERRORS:
            self.report.kept.append(f"line {line.number}: {message}")

    def stored(self, kind: str, batch: list[Line]) -> dict:
        """The stored records with the keys of `batch`, as the exporter writes them."""
        values = [line.values for line in batch]
        # Passages and citations: a superset of the batch's keys, in two IN lists.
        if kind == "passage":
            records = passage_records(
                passages_at([(v["source"], v["start"], v["end"]) for v in values])
            )
        elif kind == "citation":
            # The claims this import created have no citations but the ones it adds.
            claims = {v["claim"] for v in values if str(v["claim"]) not in self.created_claims}
            records = citation_records(Citation.objects.filter(claim__uuid__in=claims))
        else:
            keys = [natural_key(kind, v) for v in values]
            model, name = {
                "author": (Author, "slug"),
                "topic": (Topic, "slug"),
                "source": (Source, "slug"),
                "claim": (Claim, "uuid"),
                "corpus_record": (CorpusRecord, "key"),
            }[kind]
            records = EXPORTERS[kind](model.objects.filter(**{f"{name}__in": keys}))
        return {natural_key(kind, record): record for record in records}

    @staticmethod
    def pks(model, name: str, keys: Iterable) -> dict:
        rows = model.objects.filter(**{f"{name}__in": set(keys)}).values_list(name, "pk")
        return {str(key): pk for key, pk in rows}

    def create_author(self, lines: list[Line]) -> int:
        return insert_rows(Author, [line.values for line in lines])

    def create_topic(self, lines: list[Line]) -> int:
        return insert_rows(Topic, [line.values for line in lines])

    def create_source(self, lines: list[Line]) -> int:
        insert_rows(
            Source,
            [
                {name: value for name, value in line.values.items() if name != "authors"}
                for line in lines
            ],
        )
        sources = self.pks(Source, "slug", (line.values["slug"] for line in lines))
        authors = self.pks(Author, "slug", (s for line in lines for s in line.values["authors"]))
        insert_rows(
            SourceAuthor,
            [
                {
                    "source_id": sources[line.values["slug"]],
                    "author_id": authors[slug],
                    "position": position,
                }
                for line in lines
                for position, slug in enumerate(line.values["authors"])
            ],
        )
        return len(lines)

    def create_passage(self, lines: list[Line]) -> int:
        sources = self.pks(Source, "slug", (line.values["source"] for line in lines))
        return insert_rows(
            Passage,
            [
                {
                    "source_id": sources[line.values["source"]],
                    **{name: value for name, value in line.values.items() if name != "source"},
                }
                for line in lines
            ],
        )

    def user_pks(self, usernames: set[str]) -> dict[str, int]:
        """The users with these names; the missing ones created inactive, with no password."""
        User = get_user_model()
        wanted = usernames - set(self.users)
        if wanted:
            field = User.USERNAME_FIELD
            found = self.pks(User, field, wanted)
            missing = sorted(wanted - set(found))
            if missing:
                users = []
                for username in missing:
                    user = User(**{field: username}, is_active=False)
                    user.set_unusable_password()
                    users.append(user)
                User.objects.bulk_create(users)
                found.update({user.get_username(): user.pk for user in users})
                self.report.users_created += missing
            self.users.update(found)
        return self.users

    def create_claim(self, lines: list[Line]) -> int:
        users = self.user_pks(
            {
                line.values[name]
                for line in lines
                for name in ("created_by", "reviewed_by")
                if line.values[name] is not None
            }
        )
        rows = []
        for line in lines:
            row = {name: value for name, value in line.values.items() if name != "topics"}
            for name in ("created_by", "reviewed_by"):
                username = row.pop(name)
                row[f"{name}_id"] = users[username] if username is not None else None
            rows.append(row)
        insert_rows(Claim, rows)
        claims = self.pks(Claim, "uuid", (line.values["uuid"] for line in lines))
        topics = self.pks(Topic, "slug", (s for line in lines for s in line.values["topics"]))
        insert_rows(
            Claim.topics.through,
            [
                {"claim_id": claims[str(line.values["uuid"])], "topic_id": topics[slug]}
                for line in lines
                for slug in line.values["topics"]
            ],
        )
        self.created_claims |= {str(line.values["uuid"]) for line in lines}
        self.created_claim_ids += claims.values()
        return len(rows)

    def create_citation(self, lines: list[Line]) -> int:
        # A citation changes its claim: only claims this import created get new ones.
        wanted = []
        for line in lines:
            if str(line.values["claim"]) in self.created_claims:
                wanted.append(line)
            else:
                self.report.counts["citation"]["kept"] += 1
                self.keep(
                    line,
                    f"citation not added: claim {line.values['claim']} is stored already and "
                    "is kept as it is",
                )
        if not wanted:
            return 0
        claims = self.pks(Claim, "uuid", (line.values["claim"] for line in wanted))
        authors = self.pks(Author, "slug", (line.values["author"] for line in wanted))
        passages = {
            (slug, start, end): pk
            for slug, start, end, pk in passages_at(
                [(v["source"], v["start"], v["end"]) for v in (line.values for line in wanted)]
            ).values_list("source__slug", "start", "end", "pk")
        }
        rows = []
        for line in wanted:
            v = line.values
            rows.append(
                {
                    "claim_id": claims[str(v["claim"])],
                    "passage_id": passages[(v["source"], v["start"], v["end"])],
                    "author_id": authors[v["author"]] if v["author"] is not None else None,
                    "stance": v["stance"],
                    "attribution": v["attribution"],
                    "note": v["note"],
                    "version": v["version"],
                    "created_at": v["created_at"],
                    "updated_at": v["updated_at"],
                }
            )
        return insert_rows(Citation, rows)

    def create_corpus_record(self, lines: list[Line]) -> int:
        return insert_rows(CorpusRecord, [line.values for line in lines])


# Field types whose Python values the database driver does not take as they are.
PREPARED_TYPES = {"DateField", "DateTimeField", "UUIDField", "DecimalField"}


def db_value(field):
    """The database's form of a value of the field's Python type (parsed and checked already)."""
    if field.get_internal_type() == "JSONField":
        return partial(field.get_db_prep_save, connection=connection)  # None is SQL NULL
    if field.get_internal_type() in PREPARED_TYPES:
        return partial(field.get_db_prep_value, connection=connection, prepared=True)
    return None


def insert_rows(model: type[Model], rows: list[dict]) -> int:
    """Insert `rows` (each: every column's field name or attname → value); return how many.

    The import's one write path: no model instances, no ids returned, one
    statement — COPY on PostgreSQL, an executemany INSERT on SQLite. The
    values are the file's, checked already; the database's constraints and
    triggers see each row as they see any insert.
    """
    if not rows:
        return 0
    names = list(rows[0])
    fields = [model._meta.get_field(name) for name in names]
    prepare = [db_value(field) for field in fields]
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    columns = ", ".join(quote(field.column) for field in fields)
    values = (
        [row[name] if p is None else p(row[name]) for name, p in zip(names, prepare, strict=True)]
        for row in rows
    )
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                for row in values:
                    copy.write_row(row)
        else:
            marks = ", ".join(["%s"] * len(names))
            cursor.executemany(f"INSERT INTO {table} ({columns}) VALUES ({marks})", list(values))
    return len(rows)


SEARCH_INSERT_TRIGGERS = ["claims_claim_search_insert", "claims_citation_search_insert"]
SEARCH_INDEX_CHUNK = 5000  # claims per statement that indexes them


@contextmanager
def search_index_after_load(claim_ids: list[int]) -> Iterator[None]:
    """Index the claims inserted in the block once, at its end, instead of at every insert.

    The lookup's word index (claims/migrations/0002_search_index.py) is kept by
    triggers: per row on SQLite, where a claim with four citations is indexed
    five times; per statement on PostgreSQL, where a claim is indexed with its
    batch of claims and again with its citations. Here the insert triggers of
    claims and citations stand aside — SQLite's are dropped and re-created
    inside the transaction, PostgreSQL's read a transaction-local setting
    (0010) — and the claims listed in `claim_ids` (filled by the block) are
    indexed in a few set-based statements before the block ends. Call inside
    the transaction that writes: other connections never see the triggers
    missing. On an error nothing is indexed and the rollback undoes the rest.
    """
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT set_config('claims.search_after_load', 'on', true)")
        else:
            cursor.execute(
                "SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name IN (%s, %s)",
                SEARCH_INSERT_TRIGGERS,
            )
            triggers = [row[0] for row in cursor.fetchall()]
            for name in SEARCH_INSERT_TRIGGERS:
                cursor.execute(f"DROP TRIGGER IF EXISTS {name}")
    yield
    search_index = importlib.import_module("claims.migrations.0002_search_index")
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql" and claim_ids:
            # Plan the indexing with the tables as they now are: with the statistics of
            # before the load it took five times as long.
            cursor.execute("ANALYZE claims_claim, claims_citation, sources_passage")
        for start in range(0, len(claim_ids), SEARCH_INDEX_CHUNK):
            chunk = claim_ids[start : start + SEARCH_INDEX_CHUNK]
            if connection.vendor == "postgresql":
                cursor.execute("SELECT claims_search_refresh(%s::bigint[])", [chunk])
            else:
                marks = ", ".join(["%s"] * len(chunk))
                cursor.execute(
                    "INSERT INTO claims_search (rowid, claim, passages, names) "
                    f"{search_index.SQLITE_DOCUMENT} AND c.id IN ({marks})",
                    chunk,
                )
        if connection.vendor == "postgresql":
            cursor.execute("SELECT set_config('claims.search_after_load', 'off', true)")
        else:
            for sql in triggers:
                cursor.execute(sql)


def import_file(file: IO[str], *, progress: Callable[[str], None] | None = None) -> ImportReport:
    """Check every line of `file` (seekable), then write what the database lacks, atomically.

    Raises ImportRefused, with every bad line (up to MAX_ERRORS) by number, and
    writes nothing, if any line is bad.
    """
    checker = Checker(progress)
    checker.check(file)
    if checker.total:
        raise ImportRefused(checker.errors, checker.total)
    if progress:
        progress(f"Checked {count_text(checker.counts)}: no problems.")
    file.seek(0)
    report = ImportReport()
    writer = Writer(report, progress)
    with transaction.atomic(), search_index_after_load(writer.created_claim_ids):
        writer.write(file)
    if progress:
        progress(f"Imported: {report.summary()}.")
    return report


def import_lines(
    lines: Iterable[str], *, progress: Callable[[str], None] | None = None
) -> ImportReport:
    """Import lines that can be read only once (a pipe): spooled to a temporary file first."""
    with tempfile.TemporaryFile("w+", encoding="utf-8", newline="") as spool:
        for text in lines:
            spool.write(text if text.endswith("\n") else text + "\n")
        spool.seek(0)
        return import_file(spool, progress=progress)
