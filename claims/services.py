"""Writes to claims and citations: the one path for API, admin and commands."""

import uuid
from collections.abc import Iterable, Mapping, Sequence
from datetime import date

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser, Group
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.text import slugify

from api.permissions import CURATORS_GROUP
from api.tokens import DEFAULT_TTL, Lifetime, token_create
from claims.models import (
    Attribution,
    Citation,
    Claim,
    ClaimRelation,
    ClaimStatus,
    RelationKind,
    Stance,
    Topic,
    text_fingerprint,
)
from sources.models import Author, Passage, Source
from sources.services import (
    AlreadyExists,
    Versions,
    attribute,
    bump,
    changed_fields,
    field_values,
    insert_or_existing,
    locked,
    passage_for_quote,
    save_changes,
    touch,
)

SLUG_LENGTH = 80


class _SourceAuthor:
    """Marker: the citation's author is the source's first author."""

    def __repr__(self) -> str:
        return "SOURCE_AUTHOR"


SOURCE_AUTHOR = _SourceAuthor()


def claim_slug(text: str, attempt: int = 0) -> str:
    """A slug made from `text`: the plain one, or one numbered by how many are taken."""
    base = slugify(text)[:SLUG_LENGTH].rstrip("-") or "claim"
    if attempt == 0:
        return base
    taken = Claim.objects.filter(slug__regex=rf"^{base}(-[0-9]+)?$").count()
    return f"{base}-{taken + attempt}"


def topics_named(names: Iterable[str]) -> list[Topic]:
    """Return the topics for these names (slugified), creating the missing ones."""
    topics = []
    for name in names:
        slug = slugify(name)
        if not slug:
            continue
        topic, _ = insert_or_existing(
            Topic(slug=slug, name=name.strip()[:100]),
            lambda slug=slug: Topic.objects.filter(slug=slug).first(),
        )
        topics.append(topic)
    return topics


def same_claim(text: str) -> Claim | None:
    """The stored claim that makes the same statement as `text`, if any."""
    return Claim.objects.filter(fingerprint=text_fingerprint(text)).first()


def duplicate_claim(claim: Claim) -> AlreadyExists:
    return AlreadyExists(
        claim, f"This statement is stored already, as claim {claim.uuid} ({claim.slug})."
    )


# The workflow of a claim's status: what each move is called. Nothing else moves it.
TRANSITIONS = {
    (ClaimStatus.DRAFT, ClaimStatus.PUBLISHED): "publish",
    (ClaimStatus.DRAFT, ClaimStatus.RETRACTED): "retract",
    (ClaimStatus.PUBLISHED, ClaimStatus.RETRACTED): "retract",
    (ClaimStatus.RETRACTED, ClaimStatus.PUBLISHED): "reinstate",
}


def check_transition(current: str, status: str, *, reason: str = "", move: str = "") -> str:
    """The name of the move from `current` to `status`, or a ValidationError saying why not."""
    allowed = TRANSITIONS.get((current, status))
    if allowed is None or (allowed == "reinstate" and move != "reinstate"):
        hint = {
            ClaimStatus.RETRACTED: "reinstate it, with a reason",
            ClaimStatus.PUBLISHED: "retract it, with a reason",
        }.get(current, "")
        raise ValidationError(
            {
                "status": ValidationError(
                    "A %(current)s claim cannot become %(status)s%(hint)s.",
                    code="invalid_transition",
                    params={
                        "current": current,
                        "status": status,
                        "hint": f"; {hint}" if hint else "",
                    },
                )
            }
        )
    if allowed in ("retract", "reinstate") and not reason.strip():
        field = "retraction_reason" if allowed == "retract" else "reason"
        raise ValidationError({field: f"To {allowed} a claim, give a reason."})
    return allowed


def transition(claim: Claim, status: str, *, user=None, reason: str = "", move: str = "") -> bool:
    """Move `claim` (a locked row or a new one) to `status`, recording who reviewed it and why.

    The one place where a status changes: draft → published → retracted, and
    out of `retracted` only by an explicit reinstatement with a reason. Returns
    whether the status changed; the caller saves the row.
    """
    if status == claim.status:
        return False
    allowed = check_transition(claim.status, status, reason=reason, move=move)
    claim.status = status
    claim.retraction_reason = reason.strip() if allowed == "retract" else ""
    claim.reviewed_by, claim.reviewed_at = user, timezone.now()
    attribute(claim, user=user, reason=f"{allowed}: {reason.strip()}" if reason else allowed)
    return True


# Claims of the seed corpus get the same public id in every database, made from their key,
# so that documentation and examples can name them.
CORPUS_CLAIM_NAMESPACE = uuid.UUID("285d4425-9b07-44d4-8042-84402cc0e72b")


def corpus_claim_uuid(corpus_key: str) -> uuid.UUID:
    return uuid.uuid5(CORPUS_CLAIM_NAMESPACE, corpus_key)


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
    A statement stored already raises AlreadyExists with the stored claim.
    """
    if existing := same_claim(text):
        raise duplicate_claim(existing)
    for attempt in range(20):
        claim = Claim(
            text=text.strip(),
            slug=slug or claim_slug(text, attempt),
            language=language,
            period_start=period_start,
            period_end=period_end,
            created_by=created_by,
            corpus_key=corpus_key,
        )
        if corpus_key:
            claim.uuid = corpus_claim_uuid(corpus_key)
        attribute(claim, user=created_by)
        if status != Claim.Status.DRAFT:
            transition(claim, status, user=created_by)
        claim.full_clean(validate_unique=False)
        try:
            with transaction.atomic():
                claim.save()
            break
        except IntegrityError:
            if existing := same_claim(text):
                raise duplicate_claim(existing) from None
            if slug and Claim.objects.filter(slug=slug).exists():
                raise ValidationError({"slug": "Another claim has this slug."}) from None
            if corpus_key and Claim.objects.filter(corpus_key=corpus_key).exists():
                raise
    else:
        raise ValidationError({"slug": "No free slug could be made from this text; give one."})
    wanted = topics_named(topics)
    if wanted:
        claim.skip_history_when_saving = True  # one history entry for the claim and its topics
        claim.topics.set(wanted)
        del claim.skip_history_when_saving
        bump(claim, user=created_by)
    for index, citation in enumerate(citations):
        try:
            citation_add(claim=claim, user=created_by, touch_claim=False, **citation)
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
    expected: Versions = None,
    reason: str | None = None,
    **fields,
) -> Claim:
    """Change a claim's fields (and, if given, its topics), writing only what changed.

    A change of `status` follows the workflow (`transition`): publishing records
    the reviewer; retracting needs `retraction_reason`; a retracted claim comes
    back only through `claim_reinstate`. Another statement already stored
    raises AlreadyExists.
    """
    current = locked(claim, expected=expected)
    before = field_values(current)
    status = fields.pop("status", current.status)
    retraction_reason = fields.pop("retraction_reason", None)
    for name, value in fields.items():
        setattr(current, name, value)
    if status != current.status:
        transition(current, status, user=edited_by, reason=retraction_reason or "")
    elif retraction_reason is not None and current.status == ClaimStatus.RETRACTED:
        current.retraction_reason = retraction_reason.strip()
    if "text" in fields:
        current.text = current.text.strip()
        other = same_claim(current.text)
        if other is not None and other.pk != current.pk:
            raise duplicate_claim(other)
    current.full_clean(validate_unique=False)
    if "slug" in fields and Claim.objects.filter(slug=current.slug).exclude(pk=current.pk).exists():
        raise ValidationError({"slug": "Another claim has this slug."})
    changed = changed_fields(current, before)
    if topics is not None:
        wanted = topics_named(topics)
        if {topic.pk for topic in wanted} != set(current.topics.values_list("pk", flat=True)):
            current.skip_history_when_saving = True  # recorded with the claim's save below
            current.topics.set(wanted)
            del current.skip_history_when_saving
            changed.append("topics")
    if changed:
        try:
            with transaction.atomic():
                bump(
                    current,
                    [name for name in changed if name != "topics"],
                    user=edited_by,
                    reason=reason,
                )
        except IntegrityError:
            if other := same_claim(current.text):
                raise duplicate_claim(other) from None
            raise ValidationError({"slug": "Another claim has this slug."}) from None
    return current


@transaction.atomic
def claim_publish(
    *, claim: Claim, reviewed_by: AbstractBaseUser | None = None, expected: Versions = None
) -> Claim:
    """Publish a draft claim, recording who reviewed it and when."""
    return claim_update(
        claim=claim, status=ClaimStatus.PUBLISHED, edited_by=reviewed_by, expected=expected
    )


@transaction.atomic
def claim_retract(
    *,
    claim: Claim,
    reason: str,
    reviewed_by: AbstractBaseUser | None = None,
    expected: Versions = None,
) -> Claim:
    """Retract a claim, with a reason: it stays readable but leaves default lists."""
    return claim_update(
        claim=claim,
        status=ClaimStatus.RETRACTED,
        retraction_reason=reason,
        edited_by=reviewed_by,
        expected=expected,
    )


@transaction.atomic
def claim_reinstate(
    *,
    claim: Claim,
    reason: str,
    reviewed_by: AbstractBaseUser | None = None,
    expected: Versions = None,
) -> Claim:
    """Publish a retracted claim again, recording who did it and why."""
    current = locked(claim, expected=expected)
    if current.status != ClaimStatus.RETRACTED:
        raise ValidationError({"status": "Only a retracted claim can be reinstated."})
    transition(current, ClaimStatus.PUBLISHED, user=reviewed_by, reason=reason, move="reinstate")
    current.full_clean(validate_unique=False)
    bump(current, ["status", "retraction_reason", "reviewed_by", "reviewed_at"])
    return current


@transaction.atomic
def claim_delete(*, claim: Claim, expected: Versions = None, user=None) -> None:
    """Delete a claim, its citations and its relations to other claims (the passages stay).

    The claims it was related to lose the relation: their versions are bumped.
    """
    related = ClaimRelation.objects.touching(claim).values_list("subject", "object")
    lock_claims({claim.pk, *(pk for pair in related for pk in pair)})
    current = locked(claim, expected=expected)
    for citation in current.citations.all():
        attribute(citation, user=user, reason="claim deleted").delete()
    for relation in ClaimRelation.objects.touching(current):
        other = relation.object if relation.subject_id == current.pk else relation.subject
        touch(other, user=user, reason="related claim deleted")
        attribute(relation, user=user, reason="claim deleted").delete()
    attribute(current, user=user).delete()


def lock_claims(pks) -> dict[int, Claim]:
    """Lock the rows of these claims, in id order (so that two writers never wait on each other)."""
    return {
        claim.pk: claim
        for claim in Claim.objects.select_for_update().filter(pk__in=pks).order_by("pk")
    }


def related_already(relation: ClaimRelation) -> AlreadyExists:
    return AlreadyExists(
        relation,
        f"These claims are related already: “{relation.subject.slug}” {relation.kind} "
        f"“{relation.object.slug}” (relation {relation.pk}). Remove it to relate them otherwise.",
    )


def relation_between(one: Claim, other: Claim) -> ClaimRelation | None:
    """The relation between two claims, whichever way it reads, if any."""
    return (
        ClaimRelation.objects.shown()
        .filter(Q(subject=one, object=other) | Q(subject=other, object=one))
        .first()
    )


def check_relation(*, subject: Claim | None, object: Claim, kind: str) -> None:  # noqa: A002
    """Refuse a relation the rules forbid: ValidationError naming the field, or AlreadyExists.

    `subject` is None for a claim not stored yet (the admin's add form checks early).
    """
    if subject is not None and subject.pk == object.pk:
        raise ValidationError({"object": "A claim cannot be related to itself."})
    if subject is not None and (existing := relation_between(subject, object)):
        raise related_already(existing)
    if kind == RelationKind.DUPLICATES:
        check_duplicate(subject, object)


def check_duplicate(subject: Claim | None, canonical: Claim) -> None:
    """Refuse a `duplicates` relation that would chain: a duplicate points to a canonical claim."""
    duplicates = ClaimRelation.objects.filter(kind=RelationKind.DUPLICATES)
    if same := duplicates.filter(subject=canonical).select_related("object").first():
        raise ValidationError(
            {
                "object": f"“{canonical.slug}” is itself a duplicate of “{same.object.slug}” "
                f"({same.object.uuid}): mark this claim as a duplicate of that one, the "
                "canonical claim."
            }
        )
    if subject is None:
        return
    if earlier := duplicates.filter(subject=subject).select_related("object").first():
        raise ValidationError(
            {
                "subject": f"“{subject.slug}” is a duplicate of “{earlier.object.slug}” "
                f"({earlier.object.uuid}) already: a duplicate has one canonical claim."
            }
        )
    if copies := list(duplicates.filter(object=subject).select_related("subject")[:5]):
        names = ", ".join(f"“{copy.subject.slug}”" for copy in copies)
        raise ValidationError(
            {
                "subject": f"“{subject.slug}” is the canonical claim of {names}: mark "
                f"“{canonical.slug}” as a duplicate of it instead, or remove those first."
            }
        )


@transaction.atomic
def relation_add(
    *,
    subject: Claim,
    object: Claim,  # noqa: A002 - the relation's own word
    kind: RelationKind | str,
    note: str = "",
    user: AbstractBaseUser | None = None,
) -> ClaimRelation:
    """Relate two claims: `subject` duplicates, contradicts or refines `object`.

    Two claims have one relation at most, whichever way it reads: another one
    raises AlreadyExists with it. A duplicate points to its canonical claim, so
    `duplicates` refuses chains (ValidationError naming the canonical claim).
    Both claims are locked, and their versions bumped: each shows the relation.
    """
    if subject.pk == object.pk:
        raise ValidationError({"object": "A claim cannot be related to itself."})
    claims = lock_claims([subject.pk, object.pk])
    subject, object = claims[subject.pk], claims[object.pk]  # noqa: A001
    check_relation(subject=subject, object=object, kind=kind)
    for claim in claims.values():
        bump(claim, user=user, reason=f"relation {kind} added")
    relation = ClaimRelation(subject=subject, object=object, kind=kind, note=note, created_by=user)
    relation, created = insert_or_existing(
        attribute(relation, user=user), lambda: relation_between(subject, object)
    )
    if not created:
        raise related_already(relation)
    return relation


@transaction.atomic
def relation_delete(
    *, relation: ClaimRelation, user: AbstractBaseUser | None = None, reason: str | None = None
) -> None:
    """Remove a relation between two claims (the claims stay); both versions are bumped."""
    claims = lock_claims([relation.subject_id, relation.object_id])
    current = ClaimRelation.objects.filter(pk=relation.pk).first()
    if current is None:
        return  # removed by someone else meanwhile: what was asked holds
    for claim in claims.values():
        bump(claim, user=user, reason=reason or f"relation {current.kind} removed")
    attribute(current, user=user, reason=reason).delete()


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
    user: AbstractBaseUser | None = None,
    touch_claim: bool = True,
    reason: str | None = None,
) -> Citation:
    """Cite a passage for `claim`: an existing one, or the one `quote` anchors to in `source`.

    A passage already cited for the claim raises AlreadyExists with that citation.
    The claim's version is bumped: its representation embeds its citations.
    """
    if passage is None:
        if source is None or quote is None:
            raise ValidationError({"quote": "Give a source and a quote, or a passage."})
        passage = passage_for_quote(source=source, quote=quote)
    if author is SOURCE_AUTHOR:
        author = passage.source.primary_author
    if touch_claim:
        claim = touch(claim, user=user, reason=reason)
    citation = Citation(
        claim=claim,
        passage=passage,
        stance=stance,
        author=author,
        attribution=attribution,
        note=note,
    )
    citation, created = insert_or_existing(
        attribute(citation, user=user, reason=reason),
        lambda: Citation.objects.filter(claim=claim, passage=passage).first(),
    )
    if not created:
        raise AlreadyExists(
            citation,
            f"This passage is already cited for this claim (citation {citation.pk}).",
        )
    return citation


@transaction.atomic
def citation_update(
    *, citation: Citation, expected: Versions = None, user=None, reason=None, **fields
) -> Citation:
    """Change a citation's stance, author, attribution or note, writing only what changed."""
    claim = locked(citation.claim)
    citation, changed = save_changes(citation, fields, expected=expected, user=user, reason=reason)
    if changed:
        bump(claim, user=user, reason=reason)
    return citation


@transaction.atomic
def citation_delete(*, citation: Citation, expected: Versions = None, user=None, reason=None):
    """Remove a citation from its claim; the passage stays."""
    claim = locked(citation.claim)
    attribute(locked(citation, expected=expected), user=user, reason=reason).delete()
    bump(claim, user=user, reason=reason)


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
