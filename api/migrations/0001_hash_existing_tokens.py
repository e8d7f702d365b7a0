"""Carry the tokens of rest_framework.authtoken over to knox, hashed, and drop the plaintext.

knox stores sha512(token) and the token's first 15 characters, and accepts any token
whose digest matches: an existing 40-character key becomes a knox token that works
as before, now expiring after REST_KNOX["TOKEN_TTL"] from this migration on.
"""

from datetime import UTC

from django.db import migrations
from django.utils import timezone
from django.utils.dateparse import parse_datetime

OLD_TABLE = "authtoken_token"


def as_datetime(value):
    if isinstance(value, str):
        value = parse_datetime(value)
    if value is not None and timezone.is_naive(value):
        value = value.replace(tzinfo=UTC)
    return value


def hash_existing_tokens(apps, schema_editor):
    from knox.crypto import hash_token
    from knox.settings import CONSTANTS, knox_settings

    connection = schema_editor.connection
    if OLD_TABLE not in connection.introspection.table_names():
        return
    AuthToken = apps.get_model("knox", "AuthToken")
    now = timezone.now()
    expiry = now + knox_settings.TOKEN_TTL if knox_settings.TOKEN_TTL else None
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT key, user_id, created FROM {OLD_TABLE}")  # noqa: S608
        rows = cursor.fetchall()
    AuthToken.objects.bulk_create(
        AuthToken(
            digest=hash_token(key),
            token_key=key[: CONSTANTS.TOKEN_KEY_LENGTH],
            user_id=user_id,
            expiry=expiry,
        )
        for key, user_id, _ in rows
    )
    for key, _, created in rows:
        # `created` is auto_now_add: give each token its key's creation time afterwards.
        AuthToken.objects.filter(digest=hash_token(key)).update(created=as_datetime(created) or now)
    schema_editor.execute(f"DROP TABLE {OLD_TABLE}")
    schema_editor.execute("DELETE FROM django_migrations WHERE app = 'authtoken'")


class Migration(migrations.Migration):
    dependencies = [("knox", "0009_extend_authtoken_field")]

    operations = [
        migrations.RunPython(hash_existing_tokens, migrations.RunPython.noop, elidable=False)
    ]
