"""Create a curator and print a new API token."""

from django.core.management.base import BaseCommand, CommandError

from api.tokens import DEFAULT_TTL, lifetime
from claims.services import curator_create


class Command(BaseCommand):
    help = (
        "Create a user in the curators group (or add an existing one) and print a new API "
        "token, for `Authorization: Token <token>`. The token alone goes to stdout, once: "
        "the database keeps only its digest. `manage.py tokens` lists and revokes tokens."
    )

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--email", default="")
        parser.add_argument("--password", default=None, help="password for the admin")
        parser.add_argument(
            "--superuser", action="store_true", help="may also delete claims, sources, authors"
        )
        parser.add_argument(
            "--expires-in",
            metavar="DAYS",
            default=None,
            help="days until the token expires; 0 or `never` for no expiry "
            "(default: CLAIMBASE_TOKEN_TTL_DAYS, 90 unless set)",
        )

    def handle(
        self, *args, username: str, email: str, password, superuser: bool, expires_in, **options
    ):
        try:
            expiry = DEFAULT_TTL if expires_in is None else lifetime(expires_in)
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        user, token = curator_create(
            username=username,
            email=email,
            password=password,
            superuser=superuser,
            expires_in=expiry,
        )
        self.stderr.write(
            f"{user.username} is a curator. A new API token follows on stdout; it is shown "
            "only now. API writes: -H 'Authorization: Token <token>'. "
            + (
                ""
                if user.has_usable_password()
                else f"For the admin, set a password: manage.py changepassword {user.username}"
            )
        )
        self.stdout.write(token)
