from io import StringIO

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.urls import reverse
from knox.models import AuthToken

from api.permissions import CURATORS_GROUP

pytestmark = pytest.mark.django_db


def test_create_curator_prints_a_working_token(api):
    out = StringIO()
    call_command("create_curator", "alice", stdout=out, stderr=StringIO())
    key = out.getvalue().strip()
    user = User.objects.get(username="alice")
    api.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert api.get(reverse("claim-list")).status_code == 200
    assert api.post(reverse("author-list"), {"name": "A"}, format="json").status_code == 201
    assert AuthToken.objects.get(user=user).token_key == key[:15]
    assert user.groups.filter(name=CURATORS_GROUP).exists()
    assert not user.has_usable_password()
    assert user.has_perm("claims.add_claim") and not user.has_perm("claims.delete_claim")


def test_create_curator_twice_prints_a_new_token_and_keeps_the_old_one():
    first, second = StringIO(), StringIO()
    call_command("create_curator", "bob", stdout=first, stderr=StringIO())
    call_command("create_curator", "bob", stdout=second, stderr=StringIO())
    assert first.getvalue() != second.getvalue()
    assert AuthToken.objects.filter(user__username="bob").count() == 2
