"""Failed logins are throttled (django-axes), passwords are strong, sessions expire."""

from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError
from django.utils import timezone

from tests.organisations.factories import TEST_PASSWORD, UserFactory

pytestmark = pytest.mark.django_db
LOGIN = "/compte/connexion/"
LIMIT = settings.AXES_FAILURE_LIMIT


def login(client, email, password):
    return client.post(LOGIN, {"username": email, "password": password})


def test_wrong_password_is_refused_in_french(client):
    UserFactory(email="camille@exemple.fr")
    response = login(client, "camille@exemple.fr", "mauvais-mot-de-passe")
    assert response.status_code == 200
    assert "Adresse e-mail ou mot de passe incorrect." in response.text


def test_after_the_failure_limit_even_the_right_password_is_refused_until_the_cool_off(client):
    user = UserFactory(email="camille@exemple.fr")
    assert LIMIT == 5
    for attempt in range(LIMIT - 1):
        assert login(client, "camille@exemple.fr", f"essai-{attempt}").status_code == 200
    locked = login(client, "camille@exemple.fr", "essai-final")
    assert locked.status_code == 429
    assert "Connexion temporairement bloquée" in locked.text
    assert "pendant 15 minutes" in locked.text
    # The right password does not get through, in another browser and with another case either.
    for email in ("camille@exemple.fr", " Camille@Exemple.FR "):
        refused = login(type(client)(), email, TEST_PASSWORD)
        assert refused.status_code == 429
        assert "_auth_user_id" not in refused.wsgi_request.session
    # Fifteen minutes later the address is free again.
    AccessAttempt.objects.update(attempt_time=timezone.now() - settings.AXES_COOLOFF_TIME - timedelta(seconds=1))
    accepted = login(client, "camille@exemple.fr", TEST_PASSWORD)
    assert accepted.status_code == 302
    assert accepted.wsgi_request.user == user
    assert not AccessAttempt.objects.exists()  # a successful login resets the counter


def test_case_variations_of_an_address_share_one_counter(client):
    UserFactory(email="camille@exemple.fr")
    for attempt, email in enumerate(["camille@exemple.fr", "CAMILLE@exemple.fr", " Camille@Exemple.fr"] * 2):
        response = login(client, email, f"essai-{attempt}")
    assert response.status_code == 429
    assert AccessAttempt.objects.get().username == "camille@exemple.fr"


def test_failures_on_one_address_do_not_lock_another(client):
    UserFactory(email="camille@exemple.fr")
    other = UserFactory(email="dominique@exemple.fr")
    for attempt in range(LIMIT):
        login(client, "camille@exemple.fr", f"essai-{attempt}")
    response = login(client, "dominique@exemple.fr", TEST_PASSWORD)
    assert response.status_code == 302
    assert response.wsgi_request.user == other


# Passwords: Django's four validators, 10 characters at least, in French.

WEAK_PASSWORDS = {
    "court-1": "Ce mot de passe est trop court. Il doit contenir au minimum 10 caractères.",
    "motdepasse": "Ce mot de passe est trop courant.",
    "azertyuiop": "Ce mot de passe est trop courant.",
    "1234567890": "Ce mot de passe est entièrement numérique.",
    "98127364501": "Ce mot de passe est entièrement numérique.",
    "camille.martin": "Le mot de passe est trop semblable au champ «\u00a0adresse e-mail\u00a0».",
}


@pytest.mark.parametrize(("password", "message"), WEAK_PASSWORDS.items())
def test_weak_passwords_are_refused_in_french(password, message):
    user = UserFactory.build(email="camille.martin@exemple.fr", first_name="Camille", last_name="Martin")
    with pytest.raises(ValidationError) as excinfo:
        password_validation.validate_password(password, user)
    assert message in excinfo.value.messages


def test_a_strong_password_is_accepted():
    user = UserFactory.build(email="camille.martin@exemple.fr")
    assert password_validation.validate_password("Tramway-Garonne-2031", user) is None


def test_the_password_change_form_refuses_a_weak_password(client):
    user = UserFactory(email="camille@exemple.fr")
    client.force_login(user)
    response = client.post(
        "/compte/mot-de-passe/",
        {"old_password": TEST_PASSWORD, "new_password1": "1234567890", "new_password2": "1234567890"},
    )
    assert response.status_code == 200
    assert "Ce mot de passe est entièrement numérique." in response.text
    user.refresh_from_db()
    assert user.check_password(TEST_PASSWORD)


# Sessions: 8 hours at most, and gone when the browser closes.


def test_the_session_expires_after_eight_hours_and_with_the_browser(client):
    UserFactory(email="camille@exemple.fr")
    response = login(client, "camille@exemple.fr", TEST_PASSWORD)
    assert response.status_code == 302
    cookie = response.cookies[settings.SESSION_COOKIE_NAME]
    assert cookie["max-age"] == "" and cookie["expires"] == ""  # a browser-session cookie
    assert cookie["httponly"] is True
    session = response.wsgi_request.session
    assert session.get_expire_at_browser_close()
    assert session.get_expiry_age() == 8 * 3600
    assert timedelta(hours=7, minutes=59) < session.get_expiry_date() - timezone.now() <= timedelta(hours=8)
