import re

from django.core import mail

from organisations.scoping import SESSION_KEY
from tests.organisations.factories import TEST_PASSWORD, FacilitationStructureFactory, MembershipFactory


def test_login_page_is_public_and_french(client, db):
    response = client.get("/compte/connexion/")
    assert response.status_code == 200
    assert "Adresse e-mail" in response.text
    assert 'lang="fr"' in response.text


def test_pages_require_login(client, db):
    response = client.get("/marches/")
    assert response.status_code == 302
    assert response.url.startswith("/compte/connexion/")


def test_login_by_email_whatever_its_case(client, owner):
    response = client.post("/compte/connexion/", {"username": "Proprietaire@Exemple.FR", "password": TEST_PASSWORD})
    assert response.status_code == 302
    assert response.url == "/"
    assert client.get("/").status_code == 200


def test_wrong_password_is_refused_in_french(client, owner):
    response = client.post("/compte/connexion/", {"username": owner.email, "password": "faux"})
    assert response.status_code == 200
    assert "Adresse e-mail ou mot de passe incorrect." in response.text


def test_logout_is_a_post(owner_client):
    assert owner_client.get("/compte/deconnexion/").status_code == 405
    response = owner_client.post("/compte/deconnexion/")
    assert response.status_code == 302
    assert owner_client.get("/").status_code == 302


def test_password_reset_sends_a_french_mail_with_a_working_link(client, owner):
    response = client.post("/compte/mot-de-passe/oublie/", {"email": owner.email})
    assert response.status_code == 302
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [owner.email]
    assert "nouveau mot de passe" in message.subject
    link = re.search(r"https?://[^/]+(/compte/mot-de-passe/nouveau/\S+)", message.body).group(1)
    response = client.get(link, follow=True)
    assert "Choisir un nouveau mot de passe" in response.text
    response = client.post(
        response.redirect_chain[-1][0],
        {"new_password1": "un-tout-nouveau-secret-42", "new_password2": "un-tout-nouveau-secret-42"},
    )
    assert response.status_code == 302
    owner.refresh_from_db()
    assert owner.check_password("un-tout-nouveau-secret-42")


def test_password_change(owner_client, owner):
    assert owner_client.get("/compte/mot-de-passe/").status_code == 200
    response = owner_client.post(
        "/compte/mot-de-passe/",
        {
            "old_password": TEST_PASSWORD,
            "new_password1": "encore-un-secret-2026",
            "new_password2": "encore-un-secret-2026",
        },
    )
    assert response.status_code == 302
    owner.refresh_from_db()
    assert owner.check_password("encore-un-secret-2026")


def test_switch_organisation_changes_what_is_visible(owner_client, owner, market):
    from tests.markets.factories import MarketFactory

    second = FacilitationStructureFactory(name="AAA Premier par le nom")
    MembershipFactory(user=owner, organisation=second)
    other_market = MarketFactory(facilitator=second, reference="AUTRE-1")
    # Default: the first membership by organisation name.
    response = owner_client.get("/marches/")
    assert "AUTRE-1" in response.text
    assert market.reference not in response.text
    assert owner_client.get(f"/marches/{market.pk}/").status_code == 404

    payload = {"organisation": market.facilitator_id, "next": "/marches/"}
    response = owner_client.post("/organisations/changer/", payload)
    assert response.status_code == 302
    assert response.url == "/marches/"
    assert owner_client.session[SESSION_KEY] == market.facilitator_id
    response = owner_client.get("/marches/")
    assert market.reference in response.text
    assert "AUTRE-1" not in response.text
    assert owner_client.get(f"/marches/{other_market.pk}/").status_code == 404


def test_switch_to_a_foreign_organisation_is_refused(owner_client, other_structure):
    response = owner_client.post("/organisations/changer/", {"organisation": other_structure.pk}, follow=True)
    assert "pas membre de cette organisation" in response.text
    assert SESSION_KEY not in owner_client.session


def test_switch_does_not_redirect_off_site(owner_client, structure):
    response = owner_client.post(
        "/organisations/changer/", {"organisation": structure.pk, "next": "https://evil.example/"}
    )
    assert response.url == "/"


def test_home_lists_memberships(owner_client, reader_client):
    assert "PLIE de la Côte" in owner_client.get("/").text
    assert reader_client.get("/").status_code == 200


def test_dates_and_numbers_are_french(owner_client, market):
    response = owner_client.get(f"/marches/{market.pk}/")
    assert "01/01/2025" in response.text
    assert "1\xa0000\xa0000\xa0€" in response.text
