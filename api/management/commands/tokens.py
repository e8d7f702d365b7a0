"""List a user's API tokens, or revoke them."""

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from api.tokens import token_revoke, tokens_of, tokens_revoke_all


class Command(BaseCommand):
    help = (
        "List a user's API tokens: prefix, created, expires (never the token, which is not "
        "stored). --revoke PREFIX revokes one, --revoke-all all of them; a revoked token "
        "gets 401 from then on."
    )

    def add_arguments(self, parser):
        parser.add_argument("username")
        revoking = parser.add_mutually_exclusive_group()
        revoking.add_argument("--revoke", metavar="PREFIX", help="revoke the token so named")
        revoking.add_argument("--revoke-all", action="store_true", help="revoke every token")

    def handle(self, *args, username: str, revoke: str | None, revoke_all: bool, **options):
        User = get_user_model()
        user = User.objects.filter(**{User.USERNAME_FIELD: username}).first()
        if user is None:
            raise CommandError(f"No user {username!r}.")
        if revoke_all:
            count = tokens_revoke_all(user=user)
            self.stderr.write(f"Revoked {count} token(s) of {username}.")
        elif revoke is not None:
            try:
                token = token_revoke(user=user, prefix=revoke)
            except ValidationError as exc:
                raise CommandError(" ".join(exc.messages)) from exc
            self.stderr.write(f"Revoked token {token.token_key} of {username}.")
        else:
            self.list_tokens(user)

    def list_tokens(self, user):
        now = timezone.now()
        self.stdout.write(f"{'prefix':<16}{'created':<27}expires")
        for token in tokens_of(user):
            if token.expiry is None:
                expires = "never"
            else:
                expires = token.expiry.isoformat(timespec="seconds")
                expires += " (expired)" if token.expiry < now else ""
            created = token.created.isoformat(timespec="seconds")
            self.stdout.write(f"{token.token_key:<16}{created:<27}{expires}")
