"""Writes to authors, sources and passages: the one path for API, admin and commands."""

from collections.abc import Sequence
from datetime import date

from django.core.exceptions import ValidationError
from django.db import transaction
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


def save_changes(instance, fields: dict) -> bool:
    """Set `fields` on a model instance and validate and save it, only if any value differs.

    Saving nothing when nothing changed keeps timestamps and history honest
    (a corpus reload, for one, must change nothing).
    """
    changed = {name: value for name, value in fields.items() if getattr(instance, name) != value}
    if not changed and instance.pk:
        return False
    for name, value in changed.items():
        setattr(instance, name, value)
    instance.full_clean()
    instance.save()
    return True


@transaction.atomic
def author_create(
    *,
    name: str,
    slug: str = "",
    kind: str = Author.Kind.PERSON,
    affiliation: str = "",
    description: str = "",
    url: str = "",
) -> Author:
    """Record a person or organisation; the slug is made from the name unless given."""
    author = Author(
        slug=slug or slugify(name)[:100],
        name=name,
        kind=kind,
        affiliation=affiliation,
        description=description,
        url=url,
    )
    author.full_clean()
    author.save()
    return author


@transaction.atomic
def author_update(*, author: Author, **fields) -> Author:
    """Change an author's fields; saves only when something changed."""
    save_changes(author, fields)
    return author


@transaction.atomic
def author_save(*, slug: str, **fields) -> Author:
    """Create the author with this slug, or bring it up to date with these values."""
    author = Author.objects.filter(slug=slug).first()
    if author is None:
        return author_create(slug=slug, **fields)
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
) -> Source:
    """Archive a document; its text is stored as given, with its SHA-256."""
    source = Source(
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
    )
    source.full_clean()
    source.save()
    source_set_authors(source=source, authors=authors)
    return source


@transaction.atomic
def source_update(*, source: Source, authors: Sequence[Author] | None = None, **fields) -> Source:
    """Change a source's metadata (its text only while no passage points into it)."""
    if "url" in fields:
        fields["url"] = fields["url"] or None
    save_changes(source, fields)
    if authors is not None:
        source_set_authors(source=source, authors=authors)
    return source


@transaction.atomic
def source_set_authors(*, source: Source, authors: Sequence[Author]) -> None:
    """Make `authors`, in this order, the byline of `source`."""
    current = [link.author_id for link in source.author_links.order_by("position")]
    if current == [author.pk for author in authors]:
        return
    source.author_links.all().delete()
    SourceAuthor.objects.bulk_create(
        SourceAuthor(source=source, author=author, position=position)
        for position, author in enumerate(authors)
    )


def passage_at(*, source: Source, start: int, end: int) -> Passage:
    """Return the passage of `source` spanning `start`–`end`, creating it if needed."""
    existing = Passage.objects.filter(source=source, start=start, end=end).first()
    if existing:
        return existing
    passage = Passage(source=source, start=start, end=end, exact=source.text[start:end])
    passage.full_clean()
    passage.save()
    return passage


@transaction.atomic
def passage_for_quote(*, source: Source, quote: str) -> Passage:
    """Anchor `quote` in the source text and return its passage, or raise ValidationError."""
    try:
        span = anchor(source.text, quote)
    except AnchorError as error:
        raise quote_error(error) from error
    return passage_at(source=source, start=span.start, end=span.end)
