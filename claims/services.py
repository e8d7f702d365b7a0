"""Writes to claims and citations: the one path for API, admin and commands."""

from collections.abc import Iterable, Mapping, Sequence
from datetime import date

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser, Group
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify

from api.permissions import CURATORS_GROUP
from api.tokens import DEFAULT_TTL, Lifetime, token_create
from claims.models import Attribution, Citation, Claim, Stance, Topic
from sources.models import Author, Passage, Source
from sources.services import passage_for_quote, save_changes

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
    citations: Sequence[Mapping] = (),
) -> Claim:
    """Create a claim with its citations, all or nothing; the slug is made from the text.

    Each citation is a mapping of `citation_add` arguments (`source` + `quote`, or
    `passage`; `stance`, and optionally `author`, `attribution`, `note`). A
    citation that fails names itself: the error's keys read `citations.<index>.<field>`.
    """
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
    if status == Claim.Status.PUBLISHED:
        claim.reviewed_by, claim.reviewed_at = created_by, timezone.now()
    claim.full_clean()
    claim.save()
    claim.topics.set(topics_named(topics))
    for index, citation in enumerate(citations):
        try:
            citation_add(claim=claim, **citation)
        except ValidationError as error:
            raise prefixed(error, f"citations.{index}") from error
    return claim


def prefixed(error: ValidationError, prefix: str) -> ValidationError:
    """Re-key a ValidationError's fields under `prefix`."""
    if hasattr(error, "error_dict"):
        return ValidationError(
            {f"{prefix}.{field}": errors for field, errors in error.error_dict.items()}
        )
    return ValidationError({prefix: error.error_list})


@transaction.atomic
def claim_update(
    *,
    claim: Claim,
    topics: Iterable[str] | None = None,
    edited_by: AbstractBaseUser | None = None,
    **fields,
) -> Claim:
    """Change a claim's fields (and, if given, its topics); publishing records the reviewer."""
    if fields.get("status") == Claim.Status.PUBLISHED and claim.status != Claim.Status.PUBLISHED:
        fields.update(retraction_reason="", reviewed_by=edited_by, reviewed_at=timezone.now())
    save_changes(claim, fields)
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
    save_changes(
        citation, {"stance": stance, "author": author, "attribution": attribution, "note": note}
    )
    return citation


@transaction.atomic
def citation_add(
    *,
    claim: Claim,
    stance: Stance | str,
    source: Source | None = None,
    quote: str | None = None,
    passage: Passage | None = None,
    author: Author | None | _SourceAuthor = SOURCE_AUTHOR,
    attribution: Attribution | str = Attribution.AUTHOR,
    note: str = "",
    replace: bool = False,
) -> Citation:
    """Cite a passage for `claim`: an existing one, or the one `quote` anchors to in `source`.

    A passage already cited for the claim is refused, unless `replace` asks to
    update that citation instead (as the corpus loader does).
    """
    if passage is None:
        if source is None or quote is None:
            raise ValidationError({"quote": "Give a source and a quote, or a passage."})
        passage = passage_for_quote(source=source, quote=quote)
    if not replace:
        existing = Citation.objects.filter(claim=claim, passage=passage).first()
        if existing:
            raise ValidationError(
                {
                    "quote" if quote is not None else "passage": ValidationError(
                        "This passage is already cited for this claim (citation %(id)s).",
                        code="duplicate",
                        params={"id": existing.pk},
                    )
                }
            )
    return citation_save(
        claim=claim,
        passage=passage,
        stance=stance,
        author=author,
        attribution=attribution,
        note=note,
    )


@transaction.atomic
def citation_update(*, citation: Citation, **fields) -> Citation:
    """Change a citation's stance, author, attribution or note."""
    save_changes(citation, fields)
    return citation


@transaction.atomic
def curator_create(
    *,
    username: str,
    email: str = "",
    password: str | None = None,
    superuser: bool = False,
    expires_in: Lifetime = DEFAULT_TTL,
) -> tuple[AbstractBaseUser, str]:
    """Create (or find) a curator and return them with a new API token.

    Curators are staff, so that they can use the admin, and members of the
    curators group, which holds their permissions; a superuser may also delete.
    The token is returned only here: the database keeps its digest. It expires
    after `expires_in` (default: REST_KNOX["TOKEN_TTL"]; None: never).
    """
    User = get_user_model()
    user = User.objects.filter(username=username).first() or User(username=username, email=email)
    user.is_staff = True
    user.is_superuser = user.is_superuser or superuser
    if password:
        user.set_password(password)
    elif not user.pk:
        user.set_unusable_password()
    user.save()
    user.groups.add(Group.objects.get(name=CURATORS_GROUP))
    token = token_create(user=user, expires_in=expires_in)
    return user, token
