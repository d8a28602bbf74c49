"""An organisation's nature never changes, whatever the route, and every change of its details is kept in a history
its admins read (issue 11, item 4). The web form and the API call the same service, organisations.services
.update_organisation."""

import pytest
from django.core.exceptions import ValidationError
from django.test import Client

from audit.models import OrganisationChange
from markets.models import Market
from organisations import services
from organisations.models import OrganisationKind, Role
from tests.audit.world import build_world
from tests.organisations.factories import MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db


def web(user):
    client = Client()
    client.force_login(user)
    return client


def form_data(organisation, **changes):
    data = {
        "name": organisation.name,
        "kind": organisation.kind,
        "buyer_type": organisation.buyer_type,
        "insertion_type": organisation.insertion_type,
        "siret": organisation.siret,
        "email": organisation.email,
        "phone": organisation.phone,
    }
    return {**data, **changes}


def test_web_form_cannot_turn_a_buyer_into_a_company():
    world = build_world()
    buyer = world.buyer_x
    response = web(world.users["fac_b"]).post(
        f"/organisations/{buyer.pk}/modifier/",
        form_data(buyer, kind=OrganisationKind.COMPANY, buyer_type="", siret="73282932000074"),
    )
    assert response.status_code == 200  # the form again, with its error
    assert response.context["form"].errors["kind"]
    buyer.refresh_from_db()
    assert buyer.kind == OrganisationKind.BUYER
    assert Market.objects.filter(buyer=buyer).exists()
    assert not OrganisationChange.objects.exists()


def test_member_cannot_turn_their_own_structure_into_a_buyer():
    world = build_world()
    member = UserFactory(email="membre-a@exemple.fr")
    MembershipFactory(user=member, organisation=world.a.structure, role=Role.MEMBER)
    response = web(member).post(
        f"/organisations/{world.a.structure.pk}/modifier/",
        form_data(world.a.structure, kind=OrganisationKind.BUYER, buyer_type="state"),
    )
    assert response.status_code == 200
    world.a.structure.refresh_from_db()
    assert world.a.structure.kind == OrganisationKind.FACILITATION
    # ...and its members still see their own people.
    assert web(member).get(f"/participants/{world.a.person.pk}/").status_code == 200


def test_service_refuses_a_change_of_nature_on_the_kind_field():
    world = build_world()
    with pytest.raises(ValidationError) as excinfo:
        services.update_organisation(organisation=world.buyer_x, user=None, kind=OrganisationKind.COMPANY)
    assert excinfo.value.message_dict == {"kind": [services.KIND_UNCHANGEABLE]}


def test_web_rename_is_kept_in_a_history_read_by_the_organisations_admins():
    world = build_world()
    buyer = world.buyer_y
    response = web(world.users["fac_b"]).post(
        f"/organisations/{buyer.pk}/modifier/", form_data(buyer, name="Bailleur Y rebaptisé", phone="03 80 00 00 00")
    )
    assert response.status_code == 302
    change = OrganisationChange.objects.get(organisation=buyer)
    assert change.user == world.users["fac_b"] and change.user_email == "fac-b@exemple.fr"
    assert change.fields == {"name": ["Bailleur Y", "Bailleur Y rebaptisé"], "phone": ["", "03 80 00 00 00"]}
    page = web(world.users["buyer_y"]).get(f"/organisations/{buyer.pk}/").content.decode()
    assert "Historique des modifications" in page
    assert "Bailleur Y rebaptisé" in page and "fac-b@exemple.fr" in page
    # Not for those who do not administer it.
    for name in ("fac_b", "buyer_x"):
        other = web(world.users[name]).get(f"/organisations/{buyer.pk}/").content.decode()
        assert "Historique des modifications" not in other, name


def test_api_goes_through_the_same_rule_and_history():
    world = build_world()
    client = Client(HTTP_AUTHORIZATION=f"Token {world.tokens['fac_a'][1]}")
    url = f"/api/v1/organisations/{world.buyer_x.pk}/"
    refused = client.patch(url, {"kind": "company"}, content_type="application/json")
    assert refused.status_code == 400
    assert refused.json() == {"kind": [services.KIND_UNCHANGEABLE]}
    renamed = client.patch(url, {"name": "Ville X (nouveau nom)"}, content_type="application/json")
    assert renamed.status_code == 200
    change = OrganisationChange.objects.get(organisation=world.buyer_x)
    assert change.fields == {"name": ["Ville X", "Ville X (nouveau nom)"]}
    assert change.user == world.users["fac_a"]
