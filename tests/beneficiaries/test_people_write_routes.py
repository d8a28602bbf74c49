"""Every write route of the people side goes through beneficiaries.services (issue 12, items 1 and 2): the
admin cannot break a rule (placements, outcomes, criteria and hours are read-only there; a person is written
through the services, so the QPV must lie in their commune), nothing is deleted from the admin, refusals land
on the field the service names (never by matching its French text), and the journal is written once."""

import datetime

import pytest
from django.contrib.admin.sites import site
from django.core.exceptions import ValidationError
from django.test import Client, RequestFactory

from audit.models import AccessLog
from beneficiaries import services
from beneficiaries.choices import Criterion, EvidenceType, Modality, OutcomeStage
from beneficiaries.models import (
    QPV_OUTSIDE_COMMUNE,
    Beneficiary,
    BeneficiaryCriterion,
    HoursRecord,
    Outcome,
    Placement,
)
from reporting import summary
from tests.beneficiaries.factories import BeneficiaryFactory, HoursRecordFactory, OutcomeFactory
from tests.organisations.factories import UserFactory
from tests.territories.factories import CommuneFactory, QpvFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def superuser():
    return UserFactory(is_superuser=True, is_staff=True)


@pytest.fixture
def admin_client(superuser):
    client = Client()
    client.force_login(superuser)
    return client


@pytest.fixture
def person(structure):
    return BeneficiaryFactory(structure=structure, last_name="Lefèvre", first_name="Inès")


@pytest.fixture
def placement(person, market):
    lot = market.lots.get()
    return services.start_placement(
        beneficiary=person,
        lot=lot,
        employer=lot.contractor,
        modality=Modality.HIRE_CDD,
        start_date=datetime.date(2025, 1, 1),
        end_date=datetime.date(2025, 12, 31),
    )


def admin_person_data(person, **changes):
    return {
        "structure": person.structure_id,
        "last_name": person.last_name,
        "first_name": person.first_name,
        "sex": person.sex,
        "birth_date": person.birth_date.isoformat(),
        "commune": person.commune_id or "",
        "qpv": person.qpv_id or "",
        "prescriber_type": person.prescriber_type,
        "criteria-TOTAL_FORMS": "0",
        "criteria-INITIAL_FORMS": "0",
        **changes,
    }


# The admin -------------------------------------------------------------------------------------------------


def test_admin_refuses_a_qpv_outside_the_persons_commune_on_its_field(admin_client, person):
    qpv = QpvFactory(communes=[CommuneFactory(code="25056", name="Besançon")])
    url = f"/admin/beneficiaries/beneficiary/{person.pk}/change/"
    response = admin_client.post(url, admin_person_data(person, qpv=qpv.pk))
    assert response.status_code == 200
    assert response.context["adminform"].form.errors == {"qpv": [QPV_OUTSIDE_COMMUNE]}
    assert Beneficiary.objects.get(pk=person.pk).qpv_id is None
    response = admin_client.post("/admin/beneficiaries/beneficiary/add/", admin_person_data(person, qpv=qpv.pk))
    assert response.context["adminform"].form.errors == {"qpv": [QPV_OUTSIDE_COMMUNE]}
    assert Beneficiary.objects.count() == 1


def test_admin_change_of_a_person_goes_through_the_service(admin_client, superuser, person):
    own = QpvFactory(communes=[person.commune])
    url = f"/admin/beneficiaries/beneficiary/{person.pk}/change/"
    response = admin_client.post(url, admin_person_data(person, qpv=own.pk, last_name="Leroy"))
    assert response.status_code == 302
    person.refresh_from_db()
    assert (person.last_name, person.qpv) == ("Leroy", own)
    entry = AccessLog.objects.get(beneficiary=person, action="changed")  # written once, by update_beneficiary
    assert (entry.user, entry.detail) == (superuser, "Identité ou situation modifiée : last_name, qpv")
    response = admin_client.post("/admin/beneficiaries/beneficiary/add/", admin_person_data(person, last_name="Neuf"))
    assert response.status_code == 302
    created = Beneficiary.objects.get(last_name="Neuf")
    assert AccessLog.objects.filter(beneficiary=created, action="created", user=superuser).count() == 1
    assert summary.differences() == []


def test_admin_cannot_change_a_placement_start_without_refreezing_its_publics(admin_client, placement):
    HoursRecordFactory(placement=placement, month=datetime.date(2025, 3, 1))
    response = admin_client.post(
        f"/admin/beneficiaries/placement/{placement.pk}/change/",
        {
            "beneficiary": placement.beneficiary_id,
            "lot": placement.lot_id,
            "employer": placement.employer_id,
            "modality": Modality.HIRE_CDI,
            "start_date": "1960-01-01",
            "end_date": "2025-12-31",
        },
    )
    assert response.status_code == 403
    stored = Placement.objects.get(pk=placement.pk)
    assert (stored.modality, stored.start_date) == (Modality.HIRE_CDD, datetime.date(2025, 1, 1))
    assert summary.differences() == []


@pytest.mark.parametrize(
    ("model", "make"),
    [
        (Placement, lambda placement: placement),
        (Outcome, lambda placement: OutcomeFactory(placement=placement, stage=OutcomeStage.AT_END)),
        (
            BeneficiaryCriterion,
            lambda placement: services.add_criterion(
                beneficiary=placement.beneficiary,
                criterion=Criterion.RSA,
                validated_on=datetime.date(2024, 1, 1),
                validated_by=None,
                evidence_type=EvidenceType.CAF_CERTIFICATE,
            ),
        ),
        (HoursRecord, lambda placement: HoursRecordFactory(placement=placement, month=datetime.date(2025, 3, 1))),
    ],
    ids=["placement", "outcome", "criterion", "hours"],
)
def test_admin_never_adds_changes_or_deletes_the_records_of_the_services(admin_client, placement, model, make):
    obj = make(placement)
    base = f"/admin/beneficiaries/{model._meta.model_name}"
    assert admin_client.get(f"{base}/{obj.pk}/change/").status_code == 200  # shown, read-only
    assert admin_client.post(f"{base}/{obj.pk}/change/", {}).status_code == 403
    assert admin_client.get(f"{base}/add/").status_code == 403
    assert admin_client.post(f"{base}/{obj.pk}/delete/", {"post": "yes"}).status_code == 403
    bulk = {"action": "delete_selected", "_selected_action": [obj.pk], "post": "yes"}
    admin_client.post(f"{base}/", bulk)
    assert model.objects.filter(pk=obj.pk).exists()
    assert summary.differences() == []


def test_admin_never_deletes_a_person(admin_client, superuser, person):
    base = "/admin/beneficiaries/beneficiary"
    assert admin_client.post(f"{base}/{person.pk}/delete/", {"post": "yes"}).status_code == 403
    admin_client.post(f"{base}/", {"action": "delete_selected", "_selected_action": [person.pk], "post": "yes"})
    assert Beneficiary.objects.filter(pk=person.pk).exists()
    request = RequestFactory().get("/admin/")
    request.user = superuser
    assert "delete_selected" not in site._registry[Beneficiary].get_actions(request)


def test_criteria_inline_of_the_person_admin_is_read_only(admin_client, person):
    services.add_criterion(
        beneficiary=person,
        criterion=Criterion.RSA,
        validated_on=datetime.date(2024, 1, 1),
        validated_by=None,
        evidence_type=EvidenceType.CAF_CERTIFICATE,
    )
    page = admin_client.get(f"/admin/beneficiaries/beneficiary/{person.pk}/change/")
    assert 'name="criteria-0-criterion"' not in page.text and 'name="criteria-0-DELETE"' not in page.text


# The web forms -------------------------------------------------------------------------------------------


def test_web_placement_refusal_sits_on_the_employer_field(owner_client, person, market):
    lot = market.lots.get()
    data = {
        "beneficiary": person.pk,
        "lot": lot.pk,
        "employer": lot.contractor_id,
        "modality": Modality.AI_PROVISION,
        "start_date": "01/02/2025",
        "end_date": "31/07/2025",
    }
    response = owner_client.post("/contrats/nouveau/", data)
    assert response.context["form"].errors == {
        "employer": [
            "La modalité « Mise à disposition par une AI » suppose un employeur de type Association intermédiaire (AI)."
        ]
    }
    assert not Placement.objects.exists()


def test_web_writes_are_journaled_once(owner, owner_client, person, market):
    lot = market.lots.get()
    data = {
        "beneficiary": person.pk,
        "lot": lot.pk,
        "employer": lot.contractor_id,
        "modality": Modality.HIRE_CDD,
        "start_date": "01/02/2025",
        "end_date": "31/07/2025",
    }
    assert owner_client.post("/contrats/nouveau/", data).status_code == 302
    placement = Placement.objects.get()
    assert owner_client.post(f"/contrats/{placement.pk}/modifier/", {**data, "job_title": "Maçon"}).status_code == 302
    criterion = {"criterion": Criterion.RSA, "validated_on": "02/01/2025", "evidence_type": "caf_certificate"}
    assert owner_client.post(f"/participants/{person.pk}/criteres/", criterion).status_code == 302
    added = BeneficiaryCriterion.objects.get()
    assert owner_client.post(f"/participants/{person.pk}/criteres/{added.pk}/retirer/").status_code == 302
    assert not BeneficiaryCriterion.objects.exists()
    details = list(
        AccessLog.objects.filter(beneficiary=person, action="changed", user=owner)
        .order_by("pk")
        .values_list("detail", flat=True)
    )
    assert details == [
        f"Contrat n° {placement.pk} créé",
        f"Contrat n° {placement.pk} modifié",
        "Critère ajouté : Allocataire du RSA",
        "Critère retiré : Allocataire du RSA",
    ]
    assert summary.differences() == []


# Refusals carry a field and a code ------------------------------------------------------------------------


def codes(error) -> dict[str, list[str]]:
    return {field: [item.code for item in items] for field, items in error.error_dict.items()}


def test_service_refusals_carry_a_field_and_a_code(placement):
    lot = placement.lot
    with pytest.raises(ValidationError) as excinfo:
        services.start_placement(
            beneficiary=placement.beneficiary,
            lot=lot,
            employer=lot.contractor,
            modality=Modality.AI_PROVISION,
            start_date=datetime.date(2025, 2, 1),
            end_date=datetime.date(2025, 1, 1),
        )
    assert codes(excinfo.value) == {"end_date": ["ends_before_start"], "employer": ["employer_type"]}
    HoursRecordFactory(placement=placement, month=datetime.date(2025, 11, 1))
    with pytest.raises(ValidationError) as excinfo:
        services.update_placement(placement=placement, end_date=datetime.date(2025, 6, 30))
    assert codes(excinfo.value) == {"end_date": ["hours_outside_period"]}
    with pytest.raises(ValidationError) as excinfo:
        services.record_outcome(placement=placement, stage="x", result="y", observed_on=datetime.date(2024, 1, 1))
    assert codes(excinfo.value) == {
        "stage": ["unknown_stage"],
        "result": ["unknown_result"],
        "observed_on": ["before_start"],
    }
    with pytest.raises(ValidationError) as excinfo:
        services.add_criterion(
            beneficiary=placement.beneficiary,
            criterion=Criterion.DEROGATION,
            validated_on=datetime.date(2024, 1, 1),
            validated_by=None,
            evidence_type=EvidenceType.PRESCRIBER_OPINION,
        )
    assert codes(excinfo.value) == {"derogation_reason": ["reason_missing"]}
    qpv = QpvFactory(communes=[CommuneFactory(code="25056", name="Besançon")])
    with pytest.raises(ValidationError) as excinfo:
        services.update_beneficiary(beneficiary=placement.beneficiary, qpv=qpv)
    assert codes(excinfo.value) == {"qpv": ["qpv_outside_commune"]}


def test_a_stale_hours_version_is_told_by_its_code(placement):
    record = HoursRecordFactory(placement=placement, month=datetime.date(2025, 3, 1))
    entry = services.HoursEntry(placement=placement, month=record.month, hours=10, expected_version=0)
    with pytest.raises(services.HoursConflict):
        services.declare_hours(entry=entry, user=None)
    assert services.CONFLICT_REFUSAL.code == "conflict" and services.CONFLICT_REFUSAL == services.CONFLICT_MESSAGE
