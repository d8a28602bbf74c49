"""Writes of people, placements and outcomes through the API go through beneficiaries.services (issue 12): the
model's cross-field rules hold on every route (a QPV outside the person's commune was accepted by the API), the
refusals sit on their field, the journal is written once, and the reporting summary stays in step."""

from datetime import date

import pytest

from audit.models import AccessLog
from beneficiaries.choices import Modality
from beneficiaries.models import QPV_OUTSIDE_COMMUNE, Beneficiary, Placement
from beneficiaries.services import UNCHECKED, validate_hours
from reporting import summary
from tests.beneficiaries.factories import BeneficiaryFactory
from tests.territories.factories import CommuneFactory, QpvFactory

V1 = "/api/v1"
pytestmark = pytest.mark.django_db


def person_payload(world, **changes):
    return {
        "structure": world.structure.pk,
        "last_name": "Martin",
        "first_name": "Léa",
        "sex": "F",
        "prescriber_type": "france_travail",
        **changes,
    }


def elsewhere():
    """A commune, and a QPV lying in another commune only (neither is the factories' Dijon)."""
    commune = CommuneFactory(code="21054", name="Beaune")
    qpv = QpvFactory(communes=[CommuneFactory(code="21166", name="Chenôve")])
    return commune, qpv


def test_api_refuses_a_new_person_whose_qpv_lies_outside_their_commune(world, api):
    commune, qpv = elsewhere()
    api.as_user(world.owner)
    before = Beneficiary.objects.count()
    response = api.post(f"{V1}/beneficiaries/", person_payload(world, commune=commune.pk, qpv=qpv.pk), format="json")
    assert response.status_code == 400, response.json()
    assert response.json() == {"qpv": [QPV_OUTSIDE_COMMUNE]}
    assert Beneficiary.objects.count() == before
    # A QPV without any commune is refused too; the QPV of the commune is accepted.
    response = api.post(f"{V1}/beneficiaries/", person_payload(world, qpv=qpv.pk), format="json")
    assert response.json() == {"qpv": [QPV_OUTSIDE_COMMUNE]}
    own = QpvFactory(communes=[commune])
    response = api.post(f"{V1}/beneficiaries/", person_payload(world, commune=commune.pk, qpv=own.pk), format="json")
    assert response.status_code == 201, response.json()
    created = Beneficiary.objects.get(pk=response.json()["id"])
    assert (created.commune_id, created.qpv_id) == (commune.pk, own.pk)
    entries = AccessLog.objects.filter(beneficiary=created)
    assert [(entry.action, entry.channel) for entry in entries] == [("created", "api")]  # once, by the service
    assert summary.differences() == []


def test_api_refuses_moving_a_person_out_of_their_qpv_commune(world, api):
    commune, qpv = elsewhere()
    person = world.person
    api.as_user(world.owner)
    response = api.patch(f"{V1}/beneficiaries/{person.pk}/", {"qpv": qpv.pk}, format="json")
    assert response.status_code == 400
    assert response.json() == {"qpv": [QPV_OUTSIDE_COMMUNE]}
    response = api.patch(f"{V1}/beneficiaries/{person.pk}/", {"commune": commune.pk, "qpv": qpv.pk}, format="json")
    assert response.json() == {"qpv": [QPV_OUTSIDE_COMMUNE]}
    person.refresh_from_db()
    assert person.qpv_id is None
    response = api.patch(f"{V1}/beneficiaries/{person.pk}/", {"last_name": "Durand"}, format="json")
    assert response.status_code == 200
    entry = AccessLog.objects.filter(beneficiary=person, action="changed").get()
    assert (entry.channel, entry.detail) == ("api", "Identité ou situation modifiée : last_name")
    assert summary.differences() == []


def test_api_placement_refusals_sit_on_their_field(world, api):
    api.as_user(world.owner)
    payload = {
        "beneficiary": world.person.pk,
        "lot": world.lot.pk,
        "employer": world.company.pk,
        "modality": Modality.AI_PROVISION,  # needs an AI as employer, not a company
        "start_date": "2025-02-01",
        "end_date": "2025-01-01",
    }
    response = api.post(f"{V1}/placements/", payload, format="json")
    assert response.status_code == 400
    body = response.json()
    assert body["end_date"] == ["La fin du contrat ne peut pas précéder son début."]
    assert body["employer"] == [
        "La modalité « Mise à disposition par une AI » suppose un employeur de type Association intermédiaire (AI)."
    ]
    assert "non_field_errors" not in body


def test_api_placement_person_change_refreezes_publics_and_keeps_the_summary(world, api):
    validate_hours(records=[world.record], versions=UNCHECKED, user=None)
    woman = BeneficiaryFactory(structure=world.structure, sex="F", birth_date=date(2003, 5, 1))
    api.as_user(world.owner)
    response = api.patch(f"{V1}/placements/{world.placement.pk}/", {"beneficiary": woman.pk}, format="json")
    assert response.status_code == 200, response.json()
    placement = Placement.objects.get(pk=world.placement.pk)
    assert (placement.beneficiary, placement.is_woman, placement.is_youth) == (woman, True, True)
    assert summary.differences() == []
    assert (
        AccessLog.objects.filter(beneficiary=woman, detail__startswith="Contrat n°").count() == 2
    )  # modifié, attribué
    response = api.patch(f"{V1}/placements/{world.placement.pk}/", {"modality": Modality.HIRE_CDI}, format="json")
    assert response.status_code == 200, response.json()
    assert summary.differences() == []


def test_api_outcome_refusals_sit_on_their_field_and_are_journaled_once(world, api):
    api.as_user(world.owner)
    payload = {"placement": world.placement.pk, "stage": "after_6_months", "result": "x", "observed_on": "2024-01-01"}
    response = api.post(f"{V1}/outcomes/", payload, format="json")
    assert response.status_code == 400
    assert set(response.json()) == {"result"}  # the serializer's choice field refuses first
    payload["result"] = "durable_cdi"
    response = api.post(f"{V1}/outcomes/", payload, format="json")
    assert response.status_code == 400
    assert response.json() == {
        "observed_on": ["Une sortie ne peut pas être constatée avant le début du contrat (01/01/2025)."]
    }
    payload["observed_on"] = "2026-07-01"
    response = api.post(f"{V1}/outcomes/", payload, format="json")
    assert response.status_code == 201, response.json()
    entries = AccessLog.objects.filter(beneficiary=world.person, detail__startswith="Sortie du contrat")
    assert [entry.channel for entry in entries] == ["api"]
