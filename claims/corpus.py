"""Read the hand-written corpus files (fixtures/README.md) and load them.

Reading checks everything that can be checked without the database — the
format, the vocabularies, the authors, that every claim is written once, and
that every quote anchors in its source text — and reports every problem at
once, each naming its file and claim. Loading then writes one source at a time,
each in its own transaction, through the same services as the API.
"""

from __future__ import annotations

import calendar
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import yaml
from django.db import transaction
from django.utils.text import slugify

from claims.models import Attribution, Citation, Claim, CorpusRecord, Stance
from claims.services import (
    SOURCE_AUTHOR,
    citation_add,
    citation_delete,
    citation_update,
    claim_create,
    claim_update,
)
from sources.anchoring import AnchorError, anchor
from sources.models import Author, AuthorKind, DatePrecision, Source, SourceKind, text_sha256
from sources.services import (
    AlreadyExists,
    author_create,
    author_update,
    locked,
    passage_for_quote,
    source_create,
    source_update,
)

AUTHORS_FILE = "authors.yaml"
LOOKUP_EVAL_FILE = "lookup_eval.yaml"  # the lookup's evaluation set, not a source

SOURCE_KEYS = {
    "slug",
    "title",
    "text",
    "outlet",
    "published",
    "language",
    "kind",
    "url",
    "authors",
    "note",
}
CLAIM_KEYS = {"id", "text", "topics", "about", "language", "citations"}
CITATION_KEYS = {"quote", "stance", "author", "attribution", "note"}
AUTHOR_KEYS = {"slug", "name", "kind", "affiliation", "description", "url"}


class CorpusError(Exception):
    """The corpus files have problems; `problems` lists each one."""

    def __init__(self, problems: list[str]):
        super().__init__("\n".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class CitationEntry:
    quote: str
    stance: str
    author: str | None | object  # a slug, None (unknown) or SOURCE_AUTHOR
    attribution: str
    note: str


@dataclass
class ClaimEntry:
    key: str
    file: Path
    text: str | None = None  # None: written in another file
    topics: list[str] = field(default_factory=list)
    language: str = "en"
    period: tuple[date | None, date | None] = (None, None)
    citations: list[CitationEntry] = field(default_factory=list)


@dataclass
class SourceEntry:
    file: Path
    slug: str
    text: str
    fields: dict
    authors: list[str]
    claims: list[ClaimEntry]


@dataclass
class Corpus:
    authors: dict[str, dict]
    sources: list[SourceEntry]
    definitions: dict[str, ClaimEntry]

    def referenced_keys(self) -> set[str]:
        return {claim.key for source in self.sources for claim in source.claims}


def parse_period(value, *, end: bool = False) -> tuple[date, str]:
    """Parse "YYYY", "YYYY-MM" or "YYYY-MM-DD" into the first (or last) day and its precision."""
    if isinstance(value, date):
        return value, DatePrecision.DAY
    parts = str(value).strip().split("-")
    if not 1 <= len(parts) <= 3 or not all(part.isdigit() for part in parts):
        raise ValueError(f"{value!r} is not a date of the form YYYY, YYYY-MM or YYYY-MM-DD")
    numbers = [int(part) for part in parts]
    year = numbers[0]
    if len(numbers) == 1:
        return (date(year, 12, 31) if end else date(year, 1, 1)), DatePrecision.YEAR
    month = numbers[1]
    if len(numbers) == 2:
        last = calendar.monthrange(year, month)[1] if 1 <= month <= 12 else 1
        return date(year, month, last if end else 1), DatePrecision.MONTH
    return date(year, month, numbers[2]), DatePrecision.DAY


def parse_about(value) -> tuple[date | None, date | None]:
    """Parse a claim's `about`: one period, or "A..B", into its first and last day."""
    if value is None:
        return None, None
    first, _, last = str(value).partition("..")
    return parse_period(first)[0], parse_period(last or first, end=True)[0]


class _Reader:
    """Collects the problems of one reading, each with where it is."""

    def __init__(self, root: Path):
        self.root = root
        self.problems: list[str] = []

    def where(self, path: Path, claim: str | None = None) -> str:
        try:
            name = str(path.relative_to(self.root))
        except ValueError:
            name = str(path)
        return f"{name}, claim {claim!r}" if claim else name

    def problem(self, path: Path, message: str, claim: str | None = None) -> None:
        self.problems.append(f"{self.where(path, claim)}: {message}")

    def load_yaml(self, path: Path):
        try:
            return yaml.safe_load(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, yaml.YAMLError) as error:
            self.problem(path, f"cannot be read: {error}")
            return None

    def unknown_keys(
        self, path: Path, mapping: dict, allowed: set[str], what: str, claim: str | None = None
    ) -> None:
        for key in sorted(set(mapping) - allowed):
            self.problem(path, f"unknown key {key!r} in {what}", claim)

    def read_authors(self, path: Path) -> dict[str, dict]:
        document = self.load_yaml(path)
        if document is None:
            return {}
        authors = {}
        for entry in document.get("authors") or []:
            if not isinstance(entry, dict) or not entry.get("slug") or not entry.get("name"):
                self.problem(path, f"an author needs a slug and a name: {entry!r}")
                continue
            self.unknown_keys(path, entry, AUTHOR_KEYS, f"author {entry['slug']!r}")
            if entry.get("kind", AuthorKind.PERSON) not in AuthorKind.values:
                self.problem(
                    path,
                    f"author {entry['slug']!r}: kind must be one of {', '.join(AuthorKind.values)}",
                )
            if entry["slug"] in authors:
                self.problem(path, f"author {entry['slug']!r} is listed twice")
            authors[entry["slug"]] = {
                "name": str(entry["name"]).strip(),
                "kind": entry.get("kind", AuthorKind.PERSON),
                "affiliation": str(entry.get("affiliation") or "").strip(),
                "description": str(entry.get("description") or "").strip(),
                "url": str(entry.get("url") or "").strip(),
            }
        return authors

    def read_source(self, path: Path, authors: dict[str, dict]) -> SourceEntry | None:
        document = self.load_yaml(path)
        if document is None:
            return None
        if not isinstance(document, dict) or not isinstance(document.get("source"), dict):
            self.problem(path, "needs a `source:` mapping")
            return None
        self.unknown_keys(path, document, {"source", "claims"}, "the file")
        meta = document["source"]
        self.unknown_keys(path, meta, SOURCE_KEYS, "source")
        slug = meta.get("slug")
        if not slug:
            self.problem(path, "source: `slug` is required")
        text_path = path.parent / str(meta.get("text") or "")
        try:
            text = text_path.read_bytes().decode("utf-8") if meta.get("text") else ""
        except (OSError, UnicodeDecodeError) as error:
            self.problem(path, f"source text {text_path.name} cannot be read: {error}")
            return None
        if not text:
            self.problem(path, "source: `text` must name a non-empty text file")
            return None
        fields = {
            "title": str(meta.get("title") or "").strip(),
            "outlet": str(meta.get("outlet") or "").strip(),
            "language": str(meta.get("language") or "en"),
            "kind": meta.get("kind") or SourceKind.ARTICLE,
            "url": meta.get("url") or None,
            "note": str(meta.get("note") or "").strip(),
            "published_on": None,
            "published_precision": "",
        }
        if fields["kind"] not in SourceKind.values:
            self.problem(path, f"source: kind must be one of {', '.join(SourceKind.values)}")
        if meta.get("published") is not None:
            try:
                fields["published_on"], fields["published_precision"] = parse_period(
                    meta["published"]
                )
            except ValueError as error:
                self.problem(path, f"source: published: {error}")
        source_authors = list(meta.get("authors") or [])
        for slug_ in source_authors:
            if slug_ not in authors:
                self.problem(path, f"source: author {slug_!r} is not in {AUTHORS_FILE}")
        claims = [
            claim
            for entry in document.get("claims") or []
            if (claim := self.read_claim(path, entry, text, authors)) is not None
        ]
        return SourceEntry(path, slug, text, fields, source_authors, claims)

    def read_claim(self, path: Path, entry, text: str, authors: dict) -> ClaimEntry | None:
        if not isinstance(entry, dict) or not entry.get("id"):
            self.problem(path, f"a claim needs an `id`: {entry!r}"[:200])
            return None
        key = str(entry["id"])
        self.unknown_keys(path, entry, CLAIM_KEYS, "claim", key)
        claim = ClaimEntry(key=key, file=path)
        if "text" in entry:
            claim.text = str(entry.get("text") or "").strip()
            if not claim.text:
                self.problem(path, "`text` is empty", key)
            claim.topics = [str(topic) for topic in entry.get("topics") or []]
            claim.language = str(entry.get("language") or "en")
            try:
                claim.period = parse_about(entry.get("about"))
            except ValueError as error:
                self.problem(path, f"about: {error}", key)
        elif {"topics", "about", "language"} & set(entry):
            self.problem(path, "topics, about and language go with the claim's text", key)
        citations = entry.get("citations") or []
        if not citations:
            self.problem(path, "a claim needs at least one citation", key)
        for citation in citations:
            if (parsed := self.read_citation(path, key, citation, text, authors)) is not None:
                claim.citations.append(parsed)
        return claim

    def read_citation(
        self, path: Path, key: str, entry, text: str, authors: dict
    ) -> CitationEntry | None:
        if not isinstance(entry, dict) or not isinstance(entry.get("quote"), str):
            self.problem(path, f"a citation needs a `quote`: {entry!r}"[:200], key)
            return None
        self.unknown_keys(path, entry, CITATION_KEYS, "citation", key)
        quote = entry["quote"]
        try:
            anchor(text, quote)
        except AnchorError as error:
            self.problem(path, f"quote {quote[:60]!r}: {error}", key)
        stance = entry.get("stance")
        if stance not in Stance.values:
            self.problem(path, f"stance must be one of {', '.join(Stance.values)}", key)
        attribution = entry.get("attribution") or Attribution.AUTHOR
        if attribution not in Attribution.values:
            self.problem(path, f"attribution must be one of {', '.join(Attribution.values)}", key)
        author = entry.get("author", SOURCE_AUTHOR)
        if isinstance(author, str) and author not in authors:
            self.problem(path, f"author {author!r} is not in {AUTHORS_FILE}", key)
        return CitationEntry(quote, stance, author, attribution, str(entry.get("note") or ""))


def corpus_files(directory: Path) -> list[Path]:
    """The source files of a corpus directory, in name order."""
    not_sources = {AUTHORS_FILE, LOOKUP_EVAL_FILE}
    return sorted(path for path in directory.glob("*.yaml") if path.name not in not_sources)


def read_corpus(paths: Iterable[Path], *, authors_file: Path) -> Corpus:
    """Read and check corpus files; raise CorpusError listing every problem."""
    paths = [Path(path) for path in paths]
    reader = _Reader(authors_file.parent)
    authors = reader.read_authors(authors_file)
    sources = [source for path in paths if (source := reader.read_source(path, authors))]
    definitions: dict[str, ClaimEntry] = {}
    slugs: dict[str, Path] = {}
    for source in sources:
        if source.slug in slugs:
            reader.problem(
                source.file,
                f"source slug {source.slug!r} is also used by {reader.where(slugs[source.slug])}",
            )
        slugs[source.slug] = source.file
        seen: set[str] = set()
        for claim in source.claims:
            if claim.key in seen:
                reader.problem(
                    source.file, "listed twice in this file; merge its citations", claim.key
                )
            seen.add(claim.key)
            if claim.text is None:
                continue
            if claim.key in definitions:
                reader.problem(
                    source.file,
                    f"its text is also written in "
                    f"{reader.where(definitions[claim.key].file)}; "
                    "write it in one file only",
                    claim.key,
                )
            definitions[claim.key] = claim
    if reader.problems:
        raise CorpusError(reader.problems)
    return Corpus(authors=authors, sources=sources, definitions=definitions)


@dataclass
class LoadReport:
    """What one load changed, and what it kept of the curators' work."""

    sources: int = 0
    claims_created: int = 0
    claims_updated: int = 0
    citations_written: int = 0
    citations_removed: int = 0
    kept: int = 0  # fields a curator changed since the last load, left as they are
    conflicts: list[str] = field(default_factory=list)
    orphans: list[str] = field(default_factory=list)


MISSING = object()


def plain(value):
    """The JSON form in which a loaded value is remembered and compared."""
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Author):
        return value.slug
    return value


def merge(
    where: str, wanted: dict, stored: dict, loaded: dict | None, report: LoadReport
) -> tuple[dict, dict]:
    """Three-way merge of one record: the fields to write, and what to remember as loaded.

    A field is written only while the database still holds what the last load
    wrote. A field a curator changed since is kept; when the file changed it
    too, that is a conflict, reported with both values, until one side gives
    way. Without a record of the last load (a database loaded before loads
    were remembered), a difference is a conflict: nothing is overwritten.
    """
    writes, memory = {}, {}
    for name, value in wanted.items():
        have = stored[name]
        base = loaded.get(name, MISSING) if loaded is not None else MISSING
        if plain(have) == plain(value):
            memory[name] = plain(value)
        elif base is not MISSING and plain(have) == base:
            writes[name] = value
            memory[name] = plain(value)
        else:
            if base is not MISSING:
                memory[name] = base
            if base is MISSING or plain(value) != base:
                report.conflicts.append(
                    f"{where}, field {name!r}: the file says {plain(value)!r}, the database "
                    f"says {plain(have)!r} (changed by a curator since the last load); kept "
                    "the database's value"
                )
            else:
                report.kept += 1
    return writes, memory


class Memory:
    """The values the loader last wrote, by corpus key (CorpusRecord)."""

    def __init__(self):
        self.records = {record.key: record for record in CorpusRecord.objects.all()}

    def get(self, key: str) -> dict | None:
        record = self.records.get(key)
        return record.values if record else None

    def __contains__(self, key: str) -> bool:
        return key in self.records

    def remember(self, key: str, values: dict) -> None:
        record = self.records.get(key)
        if record is None:
            self.records[key] = CorpusRecord.objects.create(key=key, values=values)
        elif record.values != values:
            record.values = values
            record.save(update_fields=["values", "loaded_at"])

    def forget(self, key: str) -> None:
        record = self.records.pop(key, None)
        if record is not None:
            record.delete()

    def keys(self, prefix: str) -> list[str]:
        return [key for key in self.records if key.startswith(prefix)]


REASON = "corpus load"


def claim_values(claim: Claim) -> dict:
    return {
        "text": claim.text,
        "language": claim.language,
        "period_start": claim.period_start,
        "period_end": claim.period_end,
        "topics": sorted(claim.topics.values_list("slug", flat=True)),
    }


def citation_values(citation: Citation) -> dict:
    return {
        "stance": citation.stance,
        "author": citation.author,
        "attribution": citation.attribution,
        "note": citation.note,
    }


def source_values(source: Source) -> dict:
    values = {name: getattr(source, name) for name in SOURCE_FIELDS}
    values["authors"] = [link.author.slug for link in source.author_links.order_by("position")]
    return values


SOURCE_FIELDS = [
    "title",
    "outlet",
    "language",
    "kind",
    "url",
    "note",
    "published_on",
    "published_precision",
]


def _load_author(slug: str, values: dict, memory: Memory, report: LoadReport) -> Author:
    key = f"author:{slug}"
    author = Author.objects.filter(slug=slug).first()
    if author is None:
        author = author_create(slug=slug, **values)
        memory.remember(key, {name: plain(value) for name, value in values.items()})
        return author
    stored = {name: getattr(author, name) for name in values}
    writes, remembered = merge(
        f"{AUTHORS_FILE}, author {slug!r}", values, stored, memory.get(key), report
    )
    if writes:
        author = author_update(author=author, reason=REASON, **writes)
    memory.remember(key, remembered)
    return author


def _claim_for(key: str, corpus: Corpus, memory: Memory, report: LoadReport) -> Claim | None:
    """Return the corpus claim `key`, created or merged with its definition; None if a
    curator deleted it."""
    definition = corpus.definitions.get(key)
    claim = Claim.objects.filter(corpus_key=key).first()
    if definition is None:  # written in a file not being loaded: checked to exist
        return claim
    record = f"claim:{key}"
    wanted = {
        "text": definition.text,
        "language": definition.language,
        "period_start": definition.period[0],
        "period_end": definition.period[1],
        "topics": sorted(slugify(topic) for topic in definition.topics if slugify(topic)),
    }
    where = f"{definition.file.name}, claim {key!r}"
    if claim is None:
        if record in memory:
            report.conflicts.append(f"{where}: deleted by a curator; not loaded again")
            return None
        fields = {name: value for name, value in wanted.items() if name != "topics"}
        try:
            claim = claim_create(
                slug=key,
                corpus_key=key,
                topics=definition.topics,
                status=Claim.Status.PUBLISHED,
                **fields,
            )
        except AlreadyExists as exists:
            report.conflicts.append(
                f"{where}: a curator stored this statement already, as claim "
                f"{exists.record.uuid}; not loaded"
            )
            return None
        report.claims_created += 1
        memory.remember(record, {name: plain(value) for name, value in wanted.items()})
        return claim
    claim = locked(claim)
    writes, remembered = merge(where, wanted, claim_values(claim), memory.get(record), report)
    if writes:
        try:
            claim = claim_update(claim=claim, reason=REASON, **writes)
            report.claims_updated += 1
        except AlreadyExists as exists:
            report.conflicts.append(
                f"{where}: its new text is the statement of claim {exists.record.uuid}; not changed"
            )
            remembered = memory.get(record) or {}
    memory.remember(record, remembered)
    return claim


def _load_source(
    entry: SourceEntry,
    corpus: Corpus,
    authors: dict[str, Author],
    memory: Memory,
    report: LoadReport,
) -> None:
    byline = [authors[slug] for slug in entry.authors]
    source = Source.objects.filter(slug=entry.slug).first()
    source_key = f"source:{entry.slug}"
    wanted = {**entry.fields, "authors": entry.authors}
    if source is None:
        source = source_create(slug=entry.slug, text=entry.text, authors=byline, **entry.fields)
        memory.remember(source_key, {name: plain(value) for name, value in wanted.items()})
    else:
        if source.sha256 != text_sha256(entry.text):
            if source.passages.exists():
                raise CorpusError(
                    [
                        f"{entry.file.name}: the text of source {entry.slug!r} differs "
                        "from the one loaded before, and passages point into it; a "
                        "changed document is a new source (give it a new slug)"
                    ]
                )
            source = source_update(source=source, text=entry.text, reason=REASON)
        writes, remembered = merge(
            f"{entry.file.name}, source {entry.slug!r}",
            wanted,
            source_values(locked(source)),
            memory.get(source_key),
            report,
        )
        if writes:
            if "authors" in writes:
                writes["authors"] = [authors[slug] for slug in writes["authors"]]
            source = source_update(source=source, reason=REASON, **writes)
        memory.remember(source_key, remembered)
    loaded_here = set()
    for claim_entry in entry.claims:
        claim = _claim_for(claim_entry.key, corpus, memory, report)
        if claim is None:
            continue
        for citation in claim_entry.citations:
            report.citations_written += 1
            key = _load_citation(claim_entry, claim, citation, source, authors, memory, report)
            loaded_here.add(key)
    prefix_claims = {claim.key for claim in entry.claims}
    for key in memory.keys("citation:"):
        claim_key, _, place = key.removeprefix("citation:").partition("@")
        if place.rpartition(":")[0] != entry.slug or key in loaded_here:
            continue
        if claim_key not in prefix_claims and claim_key not in corpus.definitions:
            continue  # the claim is in a file not being loaded
        _remove_citation(key, claim_key, source, memory, report, f"{entry.file.name}")
    report.sources += 1


def _citation_key(claim_key: str, source: Source, passage) -> str:
    return f"citation:{claim_key}@{source.slug}:{passage.start}-{passage.end}"


def _load_citation(claim_entry, claim, citation, source, authors, memory, report) -> str:
    author = citation.author
    if isinstance(author, str):
        author = authors[author]
    elif author is SOURCE_AUTHOR:
        author = source.primary_author
    passage = passage_for_quote(source=source, quote=citation.quote)
    key = _citation_key(claim_entry.key, source, passage)
    where = f"{claim_entry.file.name}, claim {claim_entry.key!r}, quote {citation.quote[:40]!r}"
    wanted = {
        "stance": citation.stance,
        "author": author,
        "attribution": citation.attribution,
        "note": citation.note,
    }
    stored = Citation.objects.filter(claim=claim, passage=passage).first()
    if stored is None:
        if key in memory:
            report.conflicts.append(f"{where}: removed by a curator; not loaded again")
            return key
        citation_add(claim=claim, passage=passage, reason=REASON, **wanted)
        memory.remember(key, {name: plain(value) for name, value in wanted.items()})
        return key
    writes, remembered = merge(where, wanted, citation_values(stored), memory.get(key), report)
    if writes:
        citation_update(citation=stored, reason=REASON, **writes)
    memory.remember(key, remembered)
    return key


def _remove_citation(key, claim_key, source, memory, report, where) -> None:
    """A citation the files no longer hold: removed while nobody changed it since it loaded."""
    start, _, end = key.rpartition(":")[2].partition("-")
    stored = Citation.objects.filter(
        claim__corpus_key=claim_key,
        passage__source=source,
        passage__start=int(start),
        passage__end=int(end),
    ).first()
    if stored is not None:
        loaded = memory.get(key) or {}
        if {name: plain(value) for name, value in citation_values(stored).items()} != loaded:
            report.conflicts.append(
                f"{where}, claim {claim_key!r}: a citation removed from the file was changed "
                f"by a curator since it was loaded (citation {stored.pk}); kept"
            )
            return
        citation_delete(citation=stored, reason=REASON)
        report.citations_removed += 1
    memory.forget(key)


def load_corpus(
    corpus: Corpus, *, progress: Callable[[str], None] = lambda line: None, full: bool = False
) -> LoadReport:
    """Write a read corpus to the database: authors, then one transaction per source.

    What each load writes is remembered (CorpusRecord), so that a later load
    changes only what nobody changed since: curators' edits, citations and
    deletions are kept, and reported where the files disagree with them.
    """
    report = LoadReport()
    undefined = corpus.referenced_keys() - set(corpus.definitions)
    known = set(Claim.objects.filter(corpus_key__in=undefined).values_list("corpus_key", flat=True))
    missing = [
        f"{entry.file.name}, claim {claim.key!r}: its text is written in no file being loaded, "
        "and it is not in the database"
        for entry in corpus.sources
        for claim in entry.claims
        if claim.key in undefined - known
    ]
    if missing:
        raise CorpusError(missing)
    memory = Memory()
    with transaction.atomic():
        authors = {
            slug: _load_author(slug, values, memory, report)
            for slug, values in corpus.authors.items()
        }
    for number, entry in enumerate(corpus.sources, start=1):
        with transaction.atomic():
            _load_source(entry, corpus, authors, memory, report)
        progress(
            f"[{number}/{len(corpus.sources)}] {entry.file.name}: "
            f"{len(entry.claims)} claims, "
            f"{sum(len(claim.citations) for claim in entry.claims)} citations"
        )
    if full:
        report.orphans = sorted(
            Claim.objects.filter(corpus_key__isnull=False)
            .exclude(corpus_key__in=corpus.referenced_keys())
            .values_list("corpus_key", flat=True)
        )
    return report
