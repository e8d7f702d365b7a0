"""Writes to claims and citations: the one path for API, admin and commands."""

from collections.abc import Iterable
from datetime import date

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify

from claims.models import Attribution, Citation, Claim, Stance, Topic
from sources.models import Author, Passage, Source
from sources.services import passage_for_quote

SLUG_LENGTH = 80


class _SourceAuthor:
    """Marker: the citation's author is the source's first author."""

    def __repr__(self) -> str:
        return "SOURCE_AUTHOR"


SOURCE_AUTHOR = _SourceAuthor()


def unique_claim_slug(text: str, *, exclude_pk: int | None = None) -> str:
    """Return a slug made from `text` that no other claim uses."""
    base = slugify(text)[:SLUG_LENGTH].rstrip("-") or "claim"
    taken = Claim.objects.filter(slug__startswith=base)
    if exclude_pk is not None:
        taken = taken.exclude(pk=exclude_pk)
    used = set(taken.values_list("slug", flat=True))
    slug, number = base, 2
    while slug in used:
        slug = f"{base}-{number}"
        number += 1
    return slug


def topics_named(names: Iterable[str]) -> list[Topic]:
    """Return the topics for these names (slugified), creating the missing ones."""
    topics = []
    for name in names:
        slug = slugify(name)
        if not slug:
            continue
        topic, _ = Topic.objects.get_or_create(slug=slug, defaults={"name": name.strip()})
        topics.append(topic)
    return topics


@transaction.atomic
def claim_create(
    *,
    text: str,
    slug: str = "",
    language: str = "en",
    topics: Iterable[str] = (),
    period_start: date | None = None,
    period_end: date | None = None,
    status: str = Claim.Status.DRAFT,
    created_by: AbstractBaseUser | None = None,
    corpus_key: str | None = None,
) -> Claim:
    """Create a claim; its slug is made from its text unless given."""
    claim = Claim(
        text=text.strip(),
        slug=slug or unique_claim_slug(text),
        language=language,
        period_start=period_start,
        period_end=period_end,
        status=status,
        created_by=created_by,
        corpus_key=corpus_key,
    )
    claim.full_clean()
    claim.save()
    claim.topics.set(topics_named(topics))
    return claim


@transaction.atomic
def claim_update(*, claim: Claim, topics: Iterable[str] | None = None, **fields) -> Claim:
    """Change a claim's fields (and, if given, its topics)."""
    changed = False
    for name, value in fields.items():
        if getattr(claim, name) != value:
            setattr(claim, name, value)
            changed = True
    if changed:
        claim.full_clean()
        claim.save()
    if topics is not None:
        wanted = topics_named(topics)
        if {topic.pk for topic in wanted} != set(claim.topics.values_list("pk", flat=True)):
            claim.topics.set(wanted)
    return claim


@transaction.atomic
def claim_publish(*, claim: Claim, reviewed_by: AbstractBaseUser | None = None) -> Claim:
    """Publish a claim, recording who reviewed it and when."""
    claim.status = Claim.Status.PUBLISHED
    claim.retraction_reason = ""
    claim.reviewed_by = reviewed_by
    claim.reviewed_at = timezone.now()
    claim.full_clean()
    claim.save()
    return claim


@transaction.atomic
def claim_retract(
    *, claim: Claim, reason: str, reviewed_by: AbstractBaseUser | None = None
) -> Claim:
    """Retract a claim: it stays readable but leaves default lists."""
    claim.status = Claim.Status.RETRACTED
    claim.retraction_reason = reason.strip()
    claim.reviewed_by = reviewed_by
    claim.reviewed_at = timezone.now()
    claim.full_clean()
    claim.save()
    return claim


@transaction.atomic
def citation_save(
    *,
    claim: Claim,
    passage: Passage,
    stance: str,
    author: Author | None | _SourceAuthor = SOURCE_AUTHOR,
    attribution: str = Attribution.AUTHOR,
    note: str = "",
) -> Citation:
    """Cite `passage` for `claim`, or update the existing citation of that passage."""
    if author is SOURCE_AUTHOR:
        author = passage.source.primary_author
    citation = Citation.objects.filter(claim=claim, passage=passage).first() or Citation(
        claim=claim, passage=passage
    )
    values = {"stance": stance, "author": author, "attribution": attribution, "note": note}
    if citation.pk and all(getattr(citation, name) == value for name, value in values.items()):
        return citation
    for name, value in values.items():
        setattr(citation, name, value)
    citation.full_clean()
    citation.save()
    return citation


@transaction.atomic
def citation_add(
    *,
    claim: Claim,
    source: Source,
    quote: str,
    stance: Stance | str,
    author: Author | None | _SourceAuthor = SOURCE_AUTHOR,
    attribution: Attribution | str = Attribution.AUTHOR,
    note: str = "",
) -> Citation:
    """Anchor `quote` in `source` and cite that passage for `claim`."""
    passage = passage_for_quote(source=source, quote=quote)
    return citation_save(
        claim=claim,
        passage=passage,
        stance=stance,
        author=author,
        attribution=attribution,
        note=note,
    )
