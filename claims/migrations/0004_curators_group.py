"""The curators group, holding exactly the permissions curators need."""

from django.contrib.auth.management import create_permissions
from django.db import migrations
from django.db.models import Q

from claims.curators import CURATOR_PERMISSIONS, CURATORS_GROUP


def create_group(apps, schema_editor):
    # Permissions are normally made after all migrations; make them now.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _ = Group.objects.get_or_create(name=CURATORS_GROUP)
    wanted = Q()
    for app_label, codenames in CURATOR_PERMISSIONS.items():
        wanted |= Q(content_type__app_label=app_label, codename__in=codenames)
    group.permissions.set(Permission.objects.filter(wanted))


def keep_group(apps, schema_editor):
    """Unapplying keeps the group and its members: curators are people, not schema.

    Its permissions are set again after every `migrate` (claims.apps), from
    the list in claims.curators.
    """


class Migration(migrations.Migration):
    dependencies = [
        ("claims", "0003_history"),
        ("sources", "0003_history"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_group, keep_group)]
