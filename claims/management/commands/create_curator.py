"""Create a curator and print their API token."""

from django.core.management.base import BaseCommand

from claims.services import curator_create


class Command(BaseCommand):
    help = (
        "Create a user in the curators group (or add an existing one) and print their API "
        "token, for `Authorization: Token <token>`. The token alone goes to stdout."
    )

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--email", default="")
        parser.add_argument("--password", default=None, help="password for the admin")
        parser.add_argument(
            "--superuser", action="store_true", help="may also delete claims, sources, authors"
        )

    def handle(self, *args, username: str, email: str, password, superuser: bool, **options):
        user, token = curator_create(
            username=username, email=email, password=password, superuser=superuser
        )
        self.stderr.write(
            f"{user.username} is a curator. API writes: -H 'Authorization: Token {token.key}'. "
            + (
                ""
                if user.has_usable_password()
                else f"For the admin, set a password: manage.py changepassword {user.username}"
            )
        )
        self.stdout.write(token.key)
