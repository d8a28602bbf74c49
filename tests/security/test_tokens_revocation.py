"""A user's API tokens are revoked by every route that changes the password, and when axes locks the account.

One test per route; each checks that the token worked before and answers 401 after, and that another user's
token is untouched.
"""

import re
from io import StringIO
from unittest import mock

import pytest
from django.conf import settings
from django.core import mail
from django.core.management import call_command
from rest_framework.test import APIClient

from api.models import ApiToken
from api.services import create_token
from tests.organisations.factories import TEST_PASSWORD, UserFactory

pytestmark = pytest.mark.django_db
NEW_PASSWORD = "un-tout-nouveau-secret-42"


def api_answer(key: str) -> int:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client.get("/api/v1/markets/").status_code


@pytest.fixture
def tokens(owner, outsider):
    """Two tokens of the owner and one of someone else, all working."""
    keys = [create_token(user=owner, name=name)[1] for name in ("Paie", "Tableur")]
    other = create_token(user=outsider, name="Autre")[1]
    assert [api_answer(key) for key in [*keys, other]] == [200, 200, 200]
    return keys, other


def assert_revoked(owner, tokens):
    keys, other = tokens
    assert not ApiToken.objects.filter(user=owner).exists()
    assert [api_answer(key) for key in keys] == [401, 401]
    assert api_answer(other) == 200


def test_the_change_form_revokes_the_tokens(owner_client, owner, tokens):
    response = owner_client.post(
        "/compte/mot-de-passe/",
        {"old_password": TEST_PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    assert response.status_code == 302
    assert_revoked(owner, tokens)


def test_a_refused_change_keeps_the_tokens(owner_client, owner, tokens):
    response = owner_client.post(
        "/compte/mot-de-passe/", {"old_password": "faux", "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}
    )
    assert response.status_code == 200
    assert ApiToken.objects.filter(user=owner).count() == 2


def test_the_reset_link_revokes_the_tokens(client, owner, tokens):
    client.post("/compte/mot-de-passe/oublie/", {"email": owner.email})
    link = re.search(r"https?://[^/]+(/compte/mot-de-passe/nouveau/\S+)", mail.outbox[0].body).group(1)
    form = client.get(link, follow=True)
    assert ApiToken.objects.filter(user=owner).count() == 2  # opening the link changes nothing yet
    response = client.post(form.redirect_chain[-1][0], {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert response.status_code == 302
    owner.refresh_from_db()
    assert owner.check_password(NEW_PASSWORD)
    assert_revoked(owner, tokens)


def test_the_admin_password_form_revokes_the_tokens(client, owner, tokens):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    response = client.post(
        f"/admin/organisations/user/{owner.pk}/password/",
        {"usable_password": "true", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
    )
    assert response.status_code == 302
    owner.refresh_from_db()
    assert owner.check_password(NEW_PASSWORD)
    assert_revoked(owner, tokens)


def test_the_changepassword_command_revokes_the_tokens(owner, tokens):
    out = StringIO()
    with mock.patch("getpass.getpass", return_value=NEW_PASSWORD):
        call_command("changepassword", owner.email, stdout=out)
    owner.refresh_from_db()
    assert owner.check_password(NEW_PASSWORD)
    assert "2 jeton(s) d'API révoqué(s)." in out.getvalue()
    assert_revoked(owner, tokens)


def test_an_account_lockout_revokes_the_tokens(client, owner, tokens):
    for attempt in range(settings.AXES_FAILURE_LIMIT - 1):
        client.post("/compte/connexion/", {"username": owner.email.upper(), "password": f"essai-{attempt}"})
        assert ApiToken.objects.filter(user=owner).count() == 2  # not before the lockout
    response = client.post("/compte/connexion/", {"username": owner.email, "password": "essai-final"})
    assert response.status_code == 429
    assert_revoked(owner, tokens)


def test_a_lockout_of_the_client_address_does_not_revoke_the_tokens_of_the_addresses_typed(client, owner, tokens):
    """Spraying from one client locks that client out, not the accounts whose addresses it typed."""
    for attempt in range(settings.AXES_IP_FAILURE_LIMIT - 1):
        client.post("/compte/connexion/", {"username": f"inconnu{attempt}@exemple.fr", "password": "x"})
    response = client.post("/compte/connexion/", {"username": owner.email, "password": "essai"})
    assert response.status_code == 429
    assert ApiToken.objects.filter(user=owner).count() == 2
