"""Who may read and who may write, for every API endpoint."""

from django.conf import settings
from rest_framework import permissions

CURATORS_GROUP = "curators"


def is_curator(user) -> bool:
    """Staff, or a member of the curators group."""
    return bool(
        user
        and user.is_authenticated
        and (user.is_staff or user.groups.filter(name=CURATORS_GROUP).exists())
    )


class CuratorWriteOrPublicRead(permissions.BasePermission):
    """Reads: anyone (unless CLAIMBASE_PUBLIC_READS is off). Writes: curators and staff."""

    message = "Writing needs the token of a user in the curators group, or of staff."

    def allows_anonymous(self, method: str) -> bool:
        return method in permissions.SAFE_METHODS and settings.CLAIMBASE_PUBLIC_READS

    def has_permission(self, request, view) -> bool:
        if request.method in permissions.SAFE_METHODS:
            return settings.CLAIMBASE_PUBLIC_READS or request.user.is_authenticated
        return is_curator(request.user)


class ReadAccess(permissions.BasePermission):
    """For POSTs that only read (anchoring, lookup): whoever may read."""

    def allows_anonymous(self, method: str) -> bool:
        return settings.CLAIMBASE_PUBLIC_READS

    def has_permission(self, request, view) -> bool:
        return settings.CLAIMBASE_PUBLIC_READS or request.user.is_authenticated


class CanDelete(permissions.BasePermission):
    """Deleting needs the model's delete permission (superusers have it; curators don't)."""

    message = "Deleting this needs the delete permission (ask an administrator)."

    def has_permission(self, request, view) -> bool:
        model = view.get_queryset().model
        return bool(
            request.user
            and request.user.has_perm(f"{model._meta.app_label}.delete_{model._meta.model_name}")
        )
