"""The curators group: its permissions follow the list in code, its members stay."""

from io import StringIO

import pytest
from django.contrib.auth.models import Group, Permission
from django.core.management import call_command

from claims.curators import CURATOR_PERMISSIONS, CURATORS_GROUP, curators_group_sync
from claims.services import curator_create


def listed_permissions() -> set[tuple[str, str]]:
    return {
        (app, codename) for app, codenames in CURATOR_PERMISSIONS.items() for codename in codenames
    }


def group_permissions() -> set[tuple[str, str]]:
    group = Group.objects.get(name=CURATORS_GROUP)
    return set(group.permissions.values_list("content_type__app_label", "codename"))


def migrate(*args: str) -> None:
    call_command("migrate", *args, interactive=False, verbosity=0, stdout=StringIO())


@pytest.mark.django_db(transaction=True)
def test_curators_stay_in_the_group_when_its_migration_is_unapplied_and_applied_again():
    carol, _ = curator_create(username="carol")
    migrate("claims", "0003")
    assert carol.groups.filter(name=CURATORS_GROUP).exists()
    migrate()
    assert carol.groups.filter(name=CURATORS_GROUP).exists()
    assert group_permissions() == listed_permissions()


@pytest.mark.django_db
def test_migrate_gives_back_a_permission_taken_from_the_group():
    group = Group.objects.get(name=CURATORS_GROUP)
    group.permissions.remove(Permission.objects.get(codename="add_claim"))
    assert ("claims", "add_claim") not in group_permissions()
    migrate()
    assert group_permissions() == listed_permissions()


@pytest.mark.django_db
def test_migrate_takes_away_a_permission_that_is_not_listed():
    group = Group.objects.get(name=CURATORS_GROUP)
    group.permissions.add(Permission.objects.get(codename="delete_claim"))
    migrate()
    assert ("claims", "delete_claim") not in group_permissions()
    assert group_permissions() == listed_permissions()


@pytest.mark.django_db
def test_a_permission_added_to_the_list_reaches_the_group_on_the_next_migrate(monkeypatch):
    monkeypatch.setitem(
        CURATOR_PERMISSIONS, "claims", [*CURATOR_PERMISSIONS["claims"], "delete_topic"]
    )
    assert ("claims", "delete_topic") not in group_permissions()
    migrate()
    assert ("claims", "delete_topic") in group_permissions()
    assert group_permissions() == listed_permissions()


@pytest.mark.django_db
def test_the_group_holds_exactly_the_listed_permissions_each_of_which_exists():
    curators_group_sync()
    assert group_permissions() == listed_permissions()
    assert len(listed_permissions()) == sum(len(codes) for codes in CURATOR_PERMISSIONS.values())


@pytest.mark.django_db
def test_syncing_makes_the_group_again_when_it_was_deleted_and_keeps_members_of_the_new_one():
    Group.objects.filter(name=CURATORS_GROUP).delete()
    curators_group_sync()
    carol, _ = curator_create(username="carol")
    curators_group_sync()
    assert carol.groups.filter(name=CURATORS_GROUP).exists()
    assert group_permissions() == listed_permissions()
