import pytest
from django.core import mail

from organisations.models import Membership, Organisation, Role
from tests.organisations.factories import (
    BuyerFactory,
    CompanyFactory,
    InsertionStructureFactory,
    MembershipFactory,
    UserFactory,
    make_siret,
)


def test_organisation_list_owner_reader_outsider(owner_client, reader_client, outsider_client, structure):
    BuyerFactory(name="Ville de Dijon")
    for client in (owner_client, reader_client):
        response = client.get("/organisations/")
        assert response.status_code == 200
        assert "PLIE de la Côte" in response.text
        assert "Ville de Dijon" in response.text
    # Another structure's members see shared organisations but not this facilitation structure.
    response = outsider_client.get("/organisations/")
    assert "Ville de Dijon" in response.text
    assert "PLIE de la Côte" not in response.text


def test_organisation_list_filters_search_sort_and_paginate(owner_client, structure):
    BuyerFactory(name="Bailleur Habitat", buyer_type="social_landlord")
    BuyerFactory(name="Ville de Beaune")
    InsertionStructureFactory(name="ETTI Tremplin", insertion_type="etti")
    company = CompanyFactory(name="Bâti Plus")
    assert "Bailleur Habitat" not in owner_client.get("/organisations/?kind=company").text
    response = owner_client.get("/organisations/?kind=buyer&buyer_type=social_landlord")
    assert "Bailleur Habitat" in response.text and "Ville de Beaune" not in response.text
    response = owner_client.get("/organisations/?insertion_type=etti")
    assert "ETTI Tremplin" in response.text and "Bâti Plus" not in response.text
    response = owner_client.get(f"/organisations/?q={company.siret[:9]}")
    assert "Bâti Plus" in response.text and "ETTI Tremplin" not in response.text
    text = owner_client.get("/organisations/?ordering=-name").text
    assert text.index("Ville de Beaune") < text.index("Bailleur Habitat")
    # An ordering outside the whitelist is ignored.
    assert owner_client.get("/organisations/?ordering=siret;drop").status_code == 200
    for n in range(30):
        BuyerFactory(name=f"Commune {n:02d}")
    page1 = owner_client.get("/organisations/?kind=buyer&ordering=name").text
    assert "Page 1 sur 2" in page1
    page2 = owner_client.get("/organisations/?kind=buyer&ordering=name&page=2").text
    assert "Ville de Beaune" in page2 and "Ville de Beaune" not in page1


def test_organisation_list_htmx_returns_the_results_fragment(owner_client, structure):
    response = owner_client.get("/organisations/?kind=facilitation", headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert 'id="organisation-results"' in response.text
    assert "<html" not in response.text


def test_organisation_detail_owner_reader_outsider(owner_client, reader_client, outsider_client, structure, market):
    response = owner_client.get(f"/organisations/{structure.pk}/")
    assert response.status_code == 200
    assert market.reference in response.text
    assert "Modifier" in response.text
    response = reader_client.get(f"/organisations/{structure.pk}/")
    assert response.status_code == 200
    assert f"/organisations/{structure.pk}/modifier/" not in response.text
    assert outsider_client.get(f"/organisations/{structure.pk}/").status_code == 404


def test_create_company_with_valid_siret(owner_client):
    assert owner_client.get("/organisations/nouvelle/").status_code == 200
    siret = make_siret(4242)
    response = owner_client.post(
        "/organisations/nouvelle/", {"name": "Maçons Réunis", "kind": "company", "siret": f"{siret[:9]} {siret[9:]}"}
    )
    assert response.status_code == 302
    company = Organisation.objects.get(name="Maçons Réunis")
    assert company.siret == siret


def test_siret_checksum_error_is_french(owner_client):
    payload = {"name": "Faux", "kind": "company", "siret": "12345678901234"}
    response = owner_client.post("/organisations/nouvelle/", payload)
    assert response.status_code == 200
    assert "SIRET invalide : 14 chiffres dont la clé de contrôle doit être juste." in response.text
    assert not Organisation.objects.filter(name="Faux").exists()


def test_insertion_structure_needs_its_type_and_buyer_its_buyer_type(owner_client):
    response = owner_client.post(
        "/organisations/nouvelle/", {"name": "SIAE", "kind": "insertion", "siret": make_siret(77)}
    )
    assert "Indiquez le type de structure d" in response.text
    response = owner_client.post("/organisations/nouvelle/", {"name": "Mairie", "kind": "buyer"})
    assert "Indiquez le type d" in response.text
    response = owner_client.post(
        "/organisations/nouvelle/",
        {"name": "SIAE", "kind": "insertion", "insertion_type": "aci", "siret": make_siret(77), "buyer_type": "state"},
    )
    assert response.status_code == 302
    assert Organisation.objects.get(name="SIAE").buyer_type == ""


def test_facilitator_cannot_create_a_facilitation_structure(owner_client):
    owner_client.post("/organisations/nouvelle/", {"name": "Nouveau PLIE", "kind": "facilitation"})
    assert not Organisation.objects.filter(name="Nouveau PLIE").exists()


def test_reader_cannot_create_or_edit(reader_client, structure):
    assert reader_client.get("/organisations/nouvelle/").status_code == 403
    assert reader_client.get(f"/organisations/{structure.pk}/modifier/").status_code == 403
    buyer = BuyerFactory()
    response = reader_client.post(f"/organisations/{buyer.pk}/modifier/", {"name": "Piraté", "kind": "buyer"})
    assert response.status_code == 403


def test_update_owner_and_outsider(owner_client, outsider_client, structure):
    assert owner_client.get(f"/organisations/{structure.pk}/modifier/").status_code == 200
    response = owner_client.post(
        f"/organisations/{structure.pk}/modifier/", {"name": "PLIE renommé", "kind": "facilitation"}
    )
    assert response.status_code == 302
    structure.refresh_from_db()
    assert structure.name == "PLIE renommé"
    assert outsider_client.get(f"/organisations/{structure.pk}/modifier/").status_code == 404


# Members ------------------------------------------------------------------------------------------------


def test_member_list_visible_to_members_only(admin_client_of_structure, reader_client, outsider_client, structure):
    response = admin_client_of_structure.get(f"/organisations/{structure.pk}/membres/")
    assert response.status_code == 200
    assert "Ajouter une personne" in response.text
    response = reader_client.get(f"/organisations/{structure.pk}/membres/")
    assert response.status_code == 200
    assert "Ajouter une personne" not in response.text
    assert outsider_client.get(f"/organisations/{structure.pk}/membres/").status_code == 404


def test_admin_adds_an_existing_user_and_a_new_one(admin_client_of_structure, structure):
    existing = UserFactory(email="deja@exemple.fr")
    url = f"/organisations/{structure.pk}/membres/"
    response = admin_client_of_structure.post(url, {"email": "DEJA@exemple.fr", "role": "reader"})
    assert response.status_code == 302
    assert Membership.objects.get(user=existing, organisation=structure).role == Role.READER
    assert mail.outbox == []
    response = admin_client_of_structure.post(url, {"email": "nouvelle@exemple.fr", "role": "member"})
    assert response.status_code == 302
    assert Membership.objects.filter(user__email="nouvelle@exemple.fr", organisation=structure).exists()
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["nouvelle@exemple.fr"]
    response = admin_client_of_structure.post(url, {"email": "deja@exemple.fr", "role": "member"})
    assert "déjà membre" in response.text


@pytest.mark.parametrize("client_fixture", ["owner_client", "reader_client"])
def test_non_admins_cannot_manage_members(request, client_fixture, structure, reader):
    client = request.getfixturevalue(client_fixture)
    membership = Membership.objects.get(user=reader)
    base = f"/organisations/{structure.pk}/membres/"
    assert client.post(base, {"email": "x@exemple.fr", "role": "admin"}).status_code == 403
    assert client.post(f"{base}{membership.pk}/role/", {"role": "admin"}).status_code == 403
    assert client.post(f"{base}{membership.pk}/retirer/").status_code == 403
    membership.refresh_from_db()
    assert membership.role == Role.READER


def test_outsider_gets_404_on_member_actions(outsider_client, structure, reader):
    membership = Membership.objects.get(user=reader)
    base = f"/organisations/{structure.pk}/membres/"
    assert outsider_client.post(f"{base}{membership.pk}/role/", {"role": "admin"}).status_code == 404
    assert outsider_client.post(f"{base}{membership.pk}/retirer/").status_code == 404


def test_admin_changes_role_and_removes_member(admin_client_of_structure, structure, reader):
    membership = Membership.objects.get(user=reader)
    base = f"/organisations/{structure.pk}/membres/{membership.pk}/"
    assert admin_client_of_structure.post(f"{base}role/", {"role": "member"}).status_code == 302
    membership.refresh_from_db()
    assert membership.role == Role.MEMBER
    assert admin_client_of_structure.post(f"{base}retirer/").status_code == 302
    assert not Membership.objects.filter(pk=membership.pk).exists()


def test_last_admin_cannot_be_removed_or_demoted(admin_client_of_structure, structure, structure_admin):
    membership = Membership.objects.get(user=structure_admin, organisation=structure)
    base = f"/organisations/{structure.pk}/membres/{membership.pk}/"
    response = admin_client_of_structure.post(f"{base}retirer/", follow=True)
    assert "dernier administrateur" in response.text
    assert Membership.objects.filter(pk=membership.pk).exists()
    response = admin_client_of_structure.post(f"{base}role/", {"role": "reader"}, follow=True)
    assert "dernier administrateur" in response.text
    membership.refresh_from_db()
    assert membership.role == Role.ADMIN
    # With a second admin, the first may step down.
    MembershipFactory(organisation=structure, role=Role.ADMIN)
    assert admin_client_of_structure.post(f"{base}role/", {"role": "member"}).status_code == 302
    membership.refresh_from_db()
    assert membership.role == Role.MEMBER


def test_create_company_without_siret_is_refused_on_the_field(owner_client):
    response = owner_client.post("/organisations/nouvelle/", {"name": "Sans SIRET", "kind": "company"})
    assert response.status_code == 200
    assert response.context["form"].errors["siret"] == [
        "Le SIRET est obligatoire pour une entreprise ou une structure d'insertion."
    ]
    assert not Organisation.objects.filter(name="Sans SIRET").exists()
