"""A contract changes person only within the structure following its current person (issue 11, item 3): the
market's structure (another one) could PATCH a crossed contract to one of its own people and take it, its hours and
its history away. The rule lives in beneficiaries.services.update_placement and organisations.permissions
.can_change_person, so the API, the web form and the admin all follow it; an allowed change is journaled for both
people."""

import pytest
from django.core.exceptions import ValidationError
from django.test import Client

from audit.models import AccessLog, Channel
from beneficiaries import services
from beneficiaries.models import Placement
from tests.beneficiaries.factories import BeneficiaryFactory
from tests.security.crossed_world import build_crossed_world

pytestmark = pytest.mark.django_db


def api(world, name):
    return Client(HTTP_AUTHORIZATION=f"Token {world.tokens[name][1]}")


def test_api_market_structure_cannot_take_over_a_contract_of_another_structure():
    world = build_crossed_world()
    placement = world.crossed.placement  # B's person on A's market
    response = api(world, "fac_a").patch(
        f"/api/v1/placements/{placement.pk}/", {"beneficiary": world.a.person.pk}, content_type="application/json"
    )
    assert response.status_code == 403
    assert "structure qui suit la personne" in response.json()["detail"]
    assert Placement.objects.get(pk=placement.pk).beneficiary == world.b.person


def test_service_refuses_a_person_of_another_structure_on_the_beneficiary_field():
    world = build_crossed_world()
    with pytest.raises(ValidationError) as excinfo:
        services.update_placement(placement=world.crossed.placement, beneficiary=world.a.person)
    assert excinfo.value.message_dict == {"beneficiary": [services.PERSON_CHANGE_REFUSED]}
    # Whoever asks (a superuser, through the API): a French refusal on the field, nothing changed.
    response = api(world, "superuser").patch(
        f"/api/v1/placements/{world.crossed.placement.pk}/",
        {"beneficiary": world.a.person.pk, "job_title": "Maçon"},
        content_type="application/json",
    )
    assert response.status_code == 400
    assert response.json() == {"beneficiary": [services.PERSON_CHANGE_REFUSED]}
    placement = Placement.objects.get(pk=world.crossed.placement.pk)
    assert (placement.beneficiary, placement.job_title) == (world.b.person, world.crossed.placement.job_title)


def test_web_form_of_the_market_structure_has_no_person_field():
    world = build_crossed_world()
    placement = world.crossed.placement
    client = Client()
    client.force_login(world.users["fac_a"])
    page = client.get(f"/contrats/{placement.pk}/modifier/")
    assert page.status_code == 200
    assert "beneficiary" not in page.context["form"].fields
    response = client.post(
        f"/contrats/{placement.pk}/modifier/",
        {
            "beneficiary": world.a.person.pk,
            "lot": placement.lot_id,
            "employer": placement.employer_id,
            "modality": placement.modality,
            "start_date": placement.start_date.strftime("%d/%m/%Y"),
            "end_date": placement.end_date.strftime("%d/%m/%Y"),
            "job_title": "Coffreur",
        },
    )
    assert response.status_code == 302  # its own edits go through...
    placement.refresh_from_db()
    assert (placement.beneficiary, placement.job_title) == (world.b.person, "Coffreur")  # ...not the takeover


def test_web_form_of_the_persons_structure_offers_its_own_people_only():
    world = build_crossed_world()
    BeneficiaryFactory(structure=world.a.structure, last_name="Voisin")
    client = Client()
    client.force_login(world.users["fac_a"])
    form = client.get(f"/contrats/{world.a.placement.pk}/modifier/").context["form"]
    assert {person.structure_id for person in form.fields["beneficiary"].queryset} == {world.a.structure.pk}


def test_allowed_person_change_is_journaled_for_both_people():
    world = build_crossed_world()
    placement = world.crossed.placement
    other = BeneficiaryFactory(structure=world.b.structure, last_name="Remplaçant")
    before = AccessLog.objects.count()
    response = api(world, "fac_b").patch(
        f"/api/v1/placements/{placement.pk}/", {"beneficiary": other.pk}, content_type="application/json"
    )
    assert response.status_code == 200, response.json()
    assert Placement.objects.get(pk=placement.pk).beneficiary == other
    entries = AccessLog.objects.order_by("pk")[before:]
    by_person = {entry.beneficiary_id: entry for entry in entries if "attribué" in entry.detail}
    assert set(by_person) == {world.b.person.pk, other.pk}
    assert all(entry.user == world.users["fac_b"] and entry.channel == Channel.API for entry in by_person.values())
    assert f"personne n° {other.pk}" in by_person[world.b.person.pk].detail
    assert f"personne n° {world.b.person.pk}" in by_person[other.pk].detail


def test_admin_cannot_switch_a_contract_to_another_person():
    """The placement admin is read-only: a change of person (or any other) goes through update_placement."""
    world = build_crossed_world()
    placement = world.crossed.placement
    other = BeneficiaryFactory(structure=world.b.structure)
    client = Client()
    client.force_login(world.users["superuser"])
    page = client.get(f"/admin/beneficiaries/placement/{placement.pk}/change/")
    assert page.status_code == 200 and 'name="beneficiary"' not in page.text
    response = client.post(
        f"/admin/beneficiaries/placement/{placement.pk}/change/",
        {
            "beneficiary": other.pk,
            "lot": placement.lot_id,
            "employer": placement.employer_id,
            "modality": placement.modality,
            "start_date": placement.start_date.isoformat(),
            "end_date": placement.end_date.isoformat(),
        },
    )
    assert response.status_code == 403
    assert Placement.objects.get(pk=placement.pk).beneficiary == world.b.person
