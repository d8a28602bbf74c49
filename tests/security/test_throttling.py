"""Logins are throttled per account and per client address (password spraying); password-reset requests per
client address and per e-mail address, without telling whether an account exists."""

import re

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.core import mail
from django.test import Client

from tests.organisations.factories import TEST_PASSWORD, UserFactory

pytestmark = pytest.mark.django_db
LOGIN = "/compte/connexion/"
RESET = "/compte/mot-de-passe/oublie/"


def client_from(address: str, **headers) -> Client:
    return Client(REMOTE_ADDR=address, **headers)


def login(client, email, password):
    return client.post(LOGIN, {"username": email, "password": password})


def test_the_limits_are_the_documented_ones():
    assert settings.AXES_FAILURE_LIMIT == 5
    assert settings.AXES_IP_FAILURE_LIMIT == 20
    assert settings.AXES_LOCKOUT_PARAMETERS == ["username", "ip_address"]
    assert (settings.PASSWORD_RESET_LIMIT_PER_ADDRESS, settings.PASSWORD_RESET_LIMIT_PER_IP) == (3, 10)


def test_spraying_twelve_addresses_from_one_client_is_blocked():
    victim = UserFactory(email="victime@exemple.fr")
    sprayer = client_from("203.0.113.7")
    addresses = [f"agent{n}@exemple.fr" for n in range(11)] + ["victime@exemple.fr"]
    answers = [login(sprayer, email, f"Printemps2026-{turn}").status_code for turn in range(2) for email in addresses]
    # No address reaches its own limit (2 tries each), the client does at its 20th failure.
    assert answers[: settings.AXES_IP_FAILURE_LIMIT - 1] == [200] * (settings.AXES_IP_FAILURE_LIMIT - 1)
    assert set(answers[settings.AXES_IP_FAILURE_LIMIT - 1 :]) == {429}
    blocked = login(sprayer, "victime@exemple.fr", TEST_PASSWORD)
    assert blocked.status_code == 429
    assert "depuis ce poste ou ce réseau" in blocked.text
    assert "_auth_user_id" not in blocked.wsgi_request.session
    # The victim, from elsewhere, is not locked out.
    elsewhere = login(client_from("198.51.100.4"), "victime@exemple.fr", TEST_PASSWORD)
    assert elsewhere.status_code == 302
    assert elsewhere.wsgi_request.user == victim


def test_an_office_behind_one_proxy_survives_its_typos():
    """Four colleagues mistype four times each from one address: 16 failures, below both limits."""
    office = [UserFactory(email=f"collegue{n}@exemple.fr") for n in range(4)]
    for user in office:
        for attempt in range(settings.AXES_FAILURE_LIMIT - 1):
            assert login(client_from("192.0.2.10"), user.email, f"faute-{attempt}").status_code == 200
    for user in office:
        response = login(client_from("192.0.2.10"), user.email, TEST_PASSWORD)
        assert response.status_code == 302


def test_a_successful_login_does_not_clear_the_client_counter():
    """A sprayer who owns one valid account cannot start again by logging into it."""
    UserFactory(email="complice@exemple.fr")
    sprayer = client_from("203.0.113.8")
    for n in range(settings.AXES_IP_FAILURE_LIMIT - 1):
        login(sprayer, f"cible{n}@exemple.fr", "x")
    assert login(client_from("203.0.113.8"), "complice@exemple.fr", TEST_PASSWORD).status_code == 302
    assert not AccessAttempt.objects.filter(username="complice@exemple.fr").exists()
    assert login(sprayer, "cible-suivante@exemple.fr", "x").status_code == 429


def test_the_client_address_behind_trusted_proxies(settings):
    """Behind one trusted proxy, the address it saw counts; what the client adds to the header does not."""
    settings.TRUSTED_PROXY_COUNT = 1
    for n in range(settings.AXES_IP_FAILURE_LIMIT):
        spoofed = f"10.0.{n}.1, 203.0.113.9"  # a forged left part, then the address the proxy appended
        login(client_from("10.0.0.2", HTTP_X_FORWARDED_FOR=spoofed), f"cible{n}@exemple.fr", "x")
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {"203.0.113.9"}
    user = UserFactory(email="quelquun@exemple.fr")
    blocked = login(client_from("10.0.0.2", HTTP_X_FORWARDED_FOR="203.0.113.9"), user.email, TEST_PASSWORD)
    assert blocked.status_code == 429
    other_client = login(client_from("10.0.0.2", HTTP_X_FORWARDED_FOR="198.51.100.5"), user.email, TEST_PASSWORD)
    assert other_client.status_code == 302


# Password-reset requests.


def reset(client, email):
    return client.post(RESET, {"email": email})


def test_reset_requests_are_limited_per_address_the_same_way_for_unknown_addresses():
    UserFactory(email="camille@exemple.fr")
    answers = {}
    for email in ("camille@exemple.fr", "personne@exemple.fr"):
        answers[email] = [reset(client_from(f"192.0.2.{n}"), email) for n in range(4)]
    sent = [message.to for message in mail.outbox]
    assert sent == [["camille@exemple.fr"]] * 3  # nothing sent to an unknown address, nothing after the limit
    for responses in answers.values():
        assert [response.status_code for response in responses] == [302, 302, 302, 429]
    refused = [
        re.sub(r'(csrfmiddlewaretoken" value=|X-CSRFToken": )"[^"]+"', "", responses[-1].text).replace(email, "")
        for email, responses in answers.items()
    ]
    assert refused[0] == refused[1]  # the same page: no telling whether the account exists
    assert "Trop de demandes de réinitialisation" in refused[0]
    assert "pendant 60 minutes" in refused[0]


def test_reset_requests_are_limited_per_client_address():
    client = client_from("203.0.113.20")
    limit = settings.PASSWORD_RESET_LIMIT_PER_IP
    codes = [reset(client, f"adresse{n}@exemple.fr").status_code for n in range(limit + 1)]
    assert codes == [302] * settings.PASSWORD_RESET_LIMIT_PER_IP + [429]
    UserFactory(email="camille@exemple.fr")
    assert reset(client_from("198.51.100.20"), "camille@exemple.fr").status_code == 302
    assert len(mail.outbox) == 1
