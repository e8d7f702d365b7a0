"""Writes to authors, sources and passages: the one path for API, admin and commands."""

from collections.abc import Callable, Collection, Sequence
from datetime import date

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils.text import slugify

from sources.anchoring import AnchorError, anchor
from sources.models import Author, Passage, Source, SourceAuthor


def quote_error(error: AnchorError, *, field: str = "quote") -> ValidationError:
    """Turn an anchoring failure into a ValidationError on `field`, keeping its code."""
    return ValidationError(
        {
            field: ValidationError(
                str(error), code=error.code, params={"candidates": error.candidates}
            )
        }
    )


Versions = Collection[int] | None  # the versions a write was made against; None: any


class StaleVersion(Exception):
    """A write was made against a version of the record that is no longer current."""

    http_status = 412
    code = "stale_version"

    def __init__(self, record):
        self.record = record
        super().__init__(
            f"This {record._meta.verbose_name} changed since you read it: it is now at version "
            f"{record.version}. Read it again and reapply your change."
        )


class AlreadyExists(Exception):
    """The record to create is already stored; `record` is the stored one."""

    http_status = 409
    code = "duplicate"

    def __init__(self, record, message: str):
        self.record = record
        super().__init__(message)


def locked(record, *, expected: Versions = None):
    """Re-read `record`'s row, locked until the transaction ends, and check its version."""
    current = type(record)._default_manager.select_for_update().get(pk=record.pk)
    if expected is not None and current.version not in expected:
        raise StaleVersion(current)
    return current


def attribute(record, *, user=None, reason: str | None = None):
    """Credit the next history entry of `record` to `user`, with `reason`."""
    if user is not None:
        record._history_user = user
    if reason:
        record._change_reason = reason
    return record


def field_values(record) -> dict:
    return {field.attname: getattr(record, field.attname) for field in record._meta.concrete_fields}


def changed_fields(record, before: dict) -> list[str]:
    """The names of `record`'s fields whose values differ from `before` (field_values)."""
    return [
        field.name
        for field in record._meta.concrete_fields
        if getattr(record, field.attname) != before[field.attname]
    ]


def save_changes(record, fields: dict, *, expected: Versions = None, user=None, reason=None):
    """Write the `fields` that differ to the current, locked row of `record`; bump its version.

    Only changed columns are written (`update_fields`), so concurrent writes of
    other fields survive; the row is locked while the rules in `clean()` read it.
    Returns the saved row and the names of the fields that changed.
    """
    current = locked(record, expected=expected)
    before = field_values(current)
    for name, value in fields.items():
        setattr(current, name, value)
    current.full_clean()
    changed = changed_fields(current, before)
    if changed:
        bump(current, changed, user=user, reason=reason)
    return current, changed


def bump(record, changed=(), *, user=None, reason=None) -> None:
    """Save the `changed` fields of a locked row with its version bumped (a new ETag)."""
    record.version += 1
    stamps = [f.name for f in record._meta.concrete_fields if getattr(f, "auto_now", False)]
    attribute(record, user=user, reason=reason)
    record.save(update_fields=sorted({*changed, "version", *stamps}))


def touch(record, *, user=None, reason=None):
    """Bump the version of a record whose representation changed through a related row."""
    current = locked(record)
    bump(current, user=user, reason=reason)
    return current


def insert_or_existing(record, find_existing: Callable[[], object | None]):
    """Validate and insert `record`, unless the database already holds it.

    Uniqueness is the database's to decide: the insert runs in a savepoint and
    a refusal (or a validation error about uniqueness found by a concurrent
    writer) is answered by reading the row that won. Returns (row, created).
    """
    existing = find_existing()
    if existing is not None:
        return existing, False
    try:
        with transaction.atomic():
            record.full_clean()
            record.save()
    except (IntegrityError, ValidationError):
        existing = find_existing()
        if existing is None:
            raise
        return existing, False
    return record, True


@transaction.atomic
def author_create(
    *,
    name: str,
    slug: str = "",
    kind: str = Author.Kind.PERSON,
    affiliation: str = "",
    description: str = "",
    url: str = "",
    user=None,
) -> Author:
    """Record a person or organisation; the slug is made from the name unless given.

    Raises AlreadyExists with the stored author when the slug is taken.
    """
    author = attribute(
        Author(
            slug=slug or slugify(name)[:100],
            name=name,
            kind=kind,
            affiliation=affiliation,
            description=description,
            url=url,
        ),
        user=user,
    )
    author, created = insert_or_existing(
        author, lambda: Author.objects.filter(slug=author.slug).first()
    )
    if not created:
        raise AlreadyExists(author, f"An author with the slug {author.slug!r} exists already.")
    return author


@transaction.atomic
def author_update(
    *, author: Author, expected: Versions = None, user=None, reason=None, **fields
) -> Author:
    """Change an author's fields; writes only those that changed."""
    return save_changes(author, fields, expected=expected, user=user, reason=reason)[0]


@transaction.atomic
def author_delete(*, author: Author, expected: Versions = None, user=None) -> None:
    """Delete an author whom no source or citation names (else ProtectedError)."""
    attribute(locked(author, expected=expected), user=user).delete()


@transaction.atomic
def author_save(*, slug: str, **fields) -> Author:
    """Create the author with this slug, or bring it up to date with these values."""
    author = Author.objects.filter(slug=slug).first()
    if author is None:
        try:
            return author_create(slug=slug, **fields)
        except AlreadyExists as exists:
            author = exists.record
    return author_update(author=author, **fields)


@transaction.atomic
def source_create(
    *,
    slug: str,
    text: str,
    title: str = "",
    url: str | None = None,
    outlet: str = "",
    published_on: date | None = None,
    published_precision: str = "",
    language: str = "en",
    kind: str = Source.Kind.ARTICLE,
    authors: Sequence[Author] = (),
    note: str = "",
    user=None,
) -> Source:
    """Archive a document; its text is stored as given, with its SHA-256.

    Raises AlreadyExists with the stored source when the slug or the URL is taken.
    """
    source = attribute(
        Source(
            slug=slug,
            text=text,
            title=title,
            url=url or None,
            outlet=outlet,
            published_on=published_on,
            published_precision=published_precision,
            language=language,
            kind=kind,
            note=note,
        ),
        user=user,
    )

    def existing():
        same = Q(slug=source.slug) | Q(url=source.url) if source.url else Q(slug=source.slug)
        return Source.objects.filter(same).order_by("pk").first()

    source, created = insert_or_existing(source, existing)
    if not created:
        field = "slug" if source.slug == slug else "URL"
        raise AlreadyExists(source, f"A source with this {field} is archived already.")
    source_set_authors(source=source, authors=authors, bump_version=False)
    return source


@transaction.atomic
def source_update(
    *,
    source: Source,
    authors: Sequence[Author] | None = None,
    expected: Versions = None,
    user=None,
    reason=None,
    **fields,
) -> Source:
    """Change a source's metadata (its text only while no passage points into it)."""
    if "url" in fields:
        fields["url"] = fields["url"] or None
    source, changed = save_changes(source, fields, expected=expected, user=user, reason=reason)
    if authors is not None and source_set_authors(source=source, authors=authors, user=user):
        source.refresh_from_db()
    return source


@transaction.atomic
def source_set_authors(
    *, source: Source, authors: Sequence[Author], bump_version: bool = True, user=None
) -> bool:
    """Make `authors`, in this order, the byline of `source`; return whether it changed."""
    current = [link.author_id for link in source.author_links.order_by("position")]
    if current == [author.pk for author in authors]:
        return False
    if bump_version:
        touch(source, user=user)
    source.author_links.all().delete()
    SourceAuthor.objects.bulk_create(
        SourceAuthor(source=source, author=author, position=position)
        for position, author in enumerate(authors)
    )
    return True


@transaction.atomic
def source_delete(*, source: Source, expected: Versions = None, user=None) -> None:
    """Delete a source that no passage points into (else ProtectedError)."""
    attribute(locked(source, expected=expected), user=user).delete()


def passage_at(*, source: Source, start: int, end: int) -> tuple[Passage, bool]:
    """Return the passage of `source` spanning `start`–`end`, created if needed, and whether
    it was created. Concurrent requests for one span get the one passage."""
    passage = Passage(source=source, start=start, end=end, exact=source.text[start:end])
    return insert_or_existing(
        passage, lambda: Passage.objects.filter(source=source, start=start, end=end).first()
    )


@transaction.atomic
def passage_for_quote(*, source: Source, quote: str) -> Passage:
    """Anchor `quote` in the source text and return its passage, or raise ValidationError."""
    return passage_anchor(source=source, quote=quote)[0]


@transaction.atomic
def passage_anchor(*, source: Source, quote: str) -> tuple[Passage, bool]:
    """Anchor `quote` in the source text: its passage, and whether it was created."""
    try:
        span = anchor(source.text, quote)
    except AnchorError as error:
        raise quote_error(error) from error
    return passage_at(source=source, start=span.start, end=span.end)


@transaction.atomic
def passage_delete(*, passage: Passage, expected: Versions = None, user=None) -> None:
    """Delete a passage that no citation cites (else ProtectedError)."""
    attribute(locked(passage, expected=expected), user=user).delete()
