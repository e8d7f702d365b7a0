from io import StringIO

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from rest_framework.authtoken.models import Token

from api.permissions import CURATORS_GROUP

pytestmark = pytest.mark.django_db


def test_create_curator_prints_a_working_token(api):
    out = StringIO()
    call_command("create_curator", "alice", stdout=out, stderr=StringIO())
    key = out.getvalue().strip()
    user = User.objects.get(username="alice")
    assert Token.objects.get(user=user).key == key
    assert user.groups.filter(name=CURATORS_GROUP).exists()
    assert not user.has_usable_password()
    assert user.has_perm("claims.add_claim") and not user.has_perm("claims.delete_claim")


def test_create_curator_twice_keeps_the_same_token():
    first, second = StringIO(), StringIO()
    call_command("create_curator", "bob", stdout=first, stderr=StringIO())
    call_command("create_curator", "bob", stdout=second, stderr=StringIO())
    assert first.getvalue() == second.getvalue()
