"""Company accounts on the web: the facilitator's invitation form, the e-mails, the single-use expiring link, the
company's portal, its redirect and its menu."""

import re
from unittest import mock

import pytest
from django.core import mail
from django.test import Client

from audit.models import CompanyAccessEvent
from companies import services
from companies.models import CompanyAccess
from companies.tokens import invitation_tokens
from organisations.models import User
from tests.organisations.factories import CompanyFactory

pytestmark = pytest.mark.django_db

PASSWORD = "un-mot-de-passe-solide-2026"


def _invite_on_the_web(client, lot, company, email="chef@dupuis.fr"):
    return client.post(
        f"/entreprise/acces/lot/{lot.pk}/",
        {"company": company.pk, "lots": [lot.pk], "email": email, "first_name": "Alix", "last_name": "Dupuis"},
        follow=True,
    )


def _link(message) -> str:
    return re.search(r"https?://[^/\s]+(/entreprise/invitation/\S+/)", message.body).group(1)


def _contact_client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_a_facilitator_invites_and_the_contact_sets_its_password_once(owner_client, lot, holder, employee):
    response = _invite_on_the_web(owner_client, lot, holder)
    assert "Invitation envoyée à chef@dupuis.fr : le lien lui permet de choisir son mot de passe." in (
        response.content.decode()
    )
    (message,) = mail.outbox
    assert message.to == ["chef@dupuis.fr"]
    assert message.subject == "Clausier : invitation à déclarer les heures d'insertion de Maçonnerie Dupuis"
    assert "2026-CHANTIER-07 lot 1 : Gros œuvre" in message.body
    assert "il sert une seule fois et reste valable 7 jours" in message.body
    link = _link(message)

    anonymous = Client()
    assert "Votre compte : chef@dupuis.fr." in anonymous.get(link).content.decode()
    response = anonymous.post(link, {"new_password1": PASSWORD, "new_password2": PASSWORD}, follow=True)
    assert "Votre mot de passe est enregistré : connectez-vous pour voir vos lots." in response.content.decode()
    # The login form with the new password leads to « Mes lots » and the people employed there.
    landed = anonymous.post("/compte/connexion/", {"username": "chef@dupuis.fr", "password": PASSWORD}, follow=True)
    assert landed.redirect_chain[-1][0] == "/entreprise/"
    assert "Ravignac" in landed.content.decode()

    # The same link again: refused, the password unchanged.
    other = "autre-mot-de-passe-2026"
    again = Client().post(link, {"new_password1": other, "new_password2": other})
    assert "Ce lien d&#x27;invitation a déjà servi" in again.content.decode()
    assert User.objects.get(email="chef@dupuis.fr").check_password(PASSWORD)
    assert [event.action for event in CompanyAccessEvent.objects.order_by("pk")] == ["invited", "accepted"]


def test_an_expired_link_is_refused_and_changes_nothing(owner, lot, holder):
    invitation = services.invite_contact(company=holder, lots=[lot], email="chef@dupuis.fr", invited_by=owner)
    path = _path(invitation.user)
    later = invitation_tokens._now() + __import__("datetime").timedelta(days=7, minutes=1)
    with mock.patch.object(invitation_tokens, "_now", return_value=later):
        response = Client().post(path, {"new_password1": PASSWORD, "new_password2": PASSWORD})
    assert (
        "Ce lien d&#x27;invitation a expiré (il était valable 7 jours). Demandez une nouvelle invitation à la "
        "structure qui vous a invité·e." in response.content.decode()
    )
    assert not User.objects.get(pk=invitation.user.pk).has_usable_password()
    assert CompanyAccess.objects.get().accepted_at is None


def _path(user):
    from companies.tokens import encode_uid

    return f"/entreprise/invitation/{encode_uid(user)}/{invitation_tokens.make_token(user)}/"


@pytest.mark.parametrize("tamper", ["token", "uid", "garbage"])
def test_a_tampered_link_is_refused_and_changes_nothing(owner, lot, holder, tamper):
    invitation = services.invite_contact(company=holder, lots=[lot], email="chef@dupuis.fr", invited_by=owner)
    path = _path(invitation.user)
    _, _, _, uid, token, _ = path.split("/")
    if tamper == "token":
        path = path.replace(token, token[:-1] + ("0" if token[-1] != "0" else "1"))
    elif tamper == "uid":
        path = path.replace(uid, "OTk5OTk")
    else:
        path = f"/entreprise/invitation/{uid}/pas-un-jeton/"
    response = Client().post(path, {"new_password1": PASSWORD, "new_password2": PASSWORD})
    assert "Ce lien d&#x27;invitation n&#x27;est pas valable." in response.content.decode()
    assert not User.objects.get(pk=invitation.user.pk).has_usable_password()


def test_an_existing_account_gets_a_notification_not_a_link(owner_client, owner, lot, holder, structure):
    from tests.markets.factories import LotFactory, MarketFactory

    first = services.invite_contact(company=holder, lots=[lot], email="chef@dupuis.fr", invited_by=owner)
    services.accept_invitation(user=first.user, password=PASSWORD)
    other = LotFactory(market=MarketFactory(facilitator=structure, reference="2026-VOIRIE-02"), contractor=holder)

    response = _invite_on_the_web(owner_client, other, holder)

    assert "chef@dupuis.fr a déjà un compte : les lots lui sont ajoutés et un e-mail le prévient." in (
        response.content.decode()
    )
    (message,) = mail.outbox
    assert message.subject == "Clausier : nouveaux lots pour Maçonnerie Dupuis"
    assert "2026-VOIRIE-02 lot" in message.body and "/entreprise/invitation/" not in message.body


def test_the_invitation_form_shows_service_refusals_on_the_field(owner_client, lot, reader):
    response = _invite_on_the_web(owner_client, lot, lot.contractor, email=reader.email)
    assert "invitez l&#x27;adresse de la personne dans l&#x27;entreprise" in response.content.decode()
    assert not mail.outbox


def test_a_reader_sees_the_accesses_but_cannot_invite(reader_client, lot, holder):
    assert reader_client.get(f"/entreprise/acces/lot/{lot.pk}/").status_code == 200
    assert _invite_on_the_web(reader_client, lot, holder).status_code == 403
    assert not CompanyAccess.objects.exists()


def test_revoking_on_the_web(owner_client, owner, lot, holder):
    access = services.invite_contact(company=holder, lots=[lot], email="chef@dupuis.fr", invited_by=owner).accesses[0]
    response = owner_client.post(f"/entreprise/acces/{access.pk}/retirer/", follow=True)
    assert "Accès de chef@dupuis.fr au lot retiré." in response.content.decode()
    response = owner_client.post(f"/entreprise/acces/{access.pk}/retirer/", follow=True)
    assert "Cet accès a déjà été retiré." in response.content.decode()


def test_the_company_home_lists_its_lots_and_people_by_name_only(owner, lot, holder, employee):
    invitation = services.invite_contact(company=holder, lots=[lot], email="chef@dupuis.fr", invited_by=owner)
    client = _contact_client(invitation.user)

    assert client.get("/").url == "/entreprise/"
    body = client.get("/entreprise/").content.decode()
    assert "2026-CHANTIER-07 – lot 1 : Gros œuvre" in body
    assert "Ravignac" in body and "Hermeline" in body
    for secret in ("23/11/1987", "1987-11-23", "Glycines", "Mission locale de Beaune"):
        assert secret not in body
    # The menu: its lots only; the account menu: its API tokens, for the company API (api/companies.py).
    assert ">Mes lots</a>" in body and ">Jetons d'API<" in body
    for item in (">Marchés<", ">Organisations<", ">Tableau de bord<", ">Participant·es<"):
        assert item not in body
    assert client.get(f"/entreprise/lots/{lot.pk}/").status_code == 200


def test_other_pages_are_closed_to_a_company_and_its_own_lot_page_on_the_facilitators_side_too(owner, lot, holder):
    invitation = services.invite_contact(company=holder, lots=[lot], email="chef@dupuis.fr", invited_by=owner)
    client = _contact_client(invitation.user)
    closed = ("/marches/", "/organisations/", f"/lots/{lot.pk}/", "/tableau-de-bord/", f"/organisations/{holder.pk}/")
    for path in closed:
        assert client.get(path).status_code == 404, path


def test_a_company_lot_not_opened_is_a_404(owner, lot, holder, structure):
    from tests.markets.factories import LotFactory

    invitation = services.invite_contact(company=holder, lots=[lot], email="chef@dupuis.fr", invited_by=owner)
    not_opened = LotFactory(market=lot.market, contractor=holder)
    rival = LotFactory(market=lot.market, contractor=CompanyFactory())
    client = _contact_client(invitation.user)
    assert client.get(f"/entreprise/lots/{not_opened.pk}/").status_code == 404
    assert client.get(f"/entreprise/lots/{rival.pk}/").status_code == 404


def test_the_api_refuses_a_company_token(owner, lot, holder):
    from api.permissions import COMPANY_REFUSED
    from api.services import create_token

    invitation = services.invite_contact(company=holder, lots=[lot], email="chef@dupuis.fr", invited_by=owner)
    _, secret = create_token(user=invitation.user, name="paie")
    response = Client().get("/api/v1/lots/", HTTP_AUTHORIZATION=f"Token {secret}")
    assert response.status_code == 403
    assert response.json()["detail"] == COMPANY_REFUSED  # only its own operations (tests/api/test_company_api.py)
