"""API tokens: stored only as digests, shown once when made, expiring, revocable.

Tokens are django-rest-knox's: a client sends `Authorization: Token <token>`; the
database keeps the token's SHA-512 digest and its first characters (`token_key`), by
which a token is found and named, never the token itself.
"""

from datetime import timedelta

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from knox.models import AuthToken
from knox.settings import knox_settings


class _DefaultTTL:
    """Marker: the token expires after REST_KNOX["TOKEN_TTL"]."""

    def __repr__(self) -> str:
        return "DEFAULT_TTL"


DEFAULT_TTL = _DefaultTTL()

# How long a new token lasts: a duration, None for ever, or DEFAULT_TTL.
Lifetime = timedelta | None | _DefaultTTL


def lifetime(days: str) -> Lifetime:
    """A lifetime given in days on a command line: a whole number, or 0 or `never`."""
    if days.strip().lower() in ("0", "never"):
        return None
    if not (days.isascii() and days.isdigit()) or len(days) > 6:
        raise ValueError(f"{days!r} is not a number of days (or 0, or never).")
    return timedelta(days=int(days))


def token_create(*, user: AbstractBaseUser, expires_in: Lifetime = DEFAULT_TTL) -> str:
    """Make a new token for the user and return it: the only time it can be read."""
    expiry = knox_settings.TOKEN_TTL if isinstance(expires_in, _DefaultTTL) else expires_in
    _, token = AuthToken.objects.create(user=user, expiry=expiry)
    return token


def tokens_of(user: AbstractBaseUser) -> QuerySet[AuthToken]:
    """The user's tokens, oldest first (expired ones included until they are next used)."""
    return AuthToken.objects.filter(user=user).order_by("created", "token_key")


def token_revoke(*, user: AbstractBaseUser, prefix: str) -> AuthToken:
    """Revoke the one token of the user whose key starts with `prefix`."""
    matches = list(tokens_of(user).filter(token_key__startswith=prefix)) if prefix else []
    if len(matches) != 1:
        found = "no token" if not matches else f"{len(matches)} tokens"
        raise ValidationError(
            f"{found} of {user.get_username()} start with {prefix!r}: give one token's prefix."
        )
    (token,) = matches
    token.delete()
    return token


def tokens_revoke_all(*, user: AbstractBaseUser) -> int:
    """Revoke every token of the user; return how many there were."""
    deleted, _ = tokens_of(user).delete()
    return deleted
