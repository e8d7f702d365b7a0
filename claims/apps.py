from django.apps import AppConfig
from django.db import router
from django.db.models.signals import post_migrate


def sync_curators_group(sender, *, using: str, **kwargs) -> None:
    """After every `migrate`: the curators group holds exactly the permissions listed in code."""
    from django.contrib.auth.models import Group

    from claims.curators import curators_group_sync

    if router.allow_migrate_model(using, Group):
        curators_group_sync(using=using)


class ClaimsConfig(AppConfig):
    name = "claims"
    verbose_name = "Claims"

    def ready(self) -> None:
        # Sent for claims after the apps before it (auth, sources) have made their
        # permissions, and after auth's own handler has made claims' permissions.
        post_migrate.connect(
            sync_curators_group, sender=self, dispatch_uid="claims.sync_curators_group"
        )
