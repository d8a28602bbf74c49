"""Stricter input (issue 14, item 4): each refusal with its exact French message on the field at fault, through
the service and through the API, which share the same service."""

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from beneficiaries import services
from beneficiaries.models import HoursRecord, Placement
from beneficiaries.services import HoursEntry
from clauses.models import Clause
from clauses.services import save_clause
from tests.beneficiaries import strict_cases as cases
from tests.clauses.factories import ClauseFactory
from tests.markets.factories import LotFactory

pytestmark = pytest.mark.django_db

V1 = "/api/v1"
TODAY = date(2026, 11, 26)
FUTURE_MONTH = "Le mois 12/2026 n'est pas encore commencé : on ne peut pas saisir d'heures pour un mois futur."


@pytest.fixture
def today(monkeypatch):
    monkeypatch.setattr(timezone, "localdate", lambda *args, **kwargs: TODAY)
    return TODAY


@pytest.fixture
def open_placement(world):
    """The world's placement, stretched so that its contract covers the current and the next month."""
    world.placement.end_date = date(2027, 6, 30)
    world.placement.save(update_fields=["end_date"])
    world.lot.end_date = date(2027, 12, 31)
    world.lot.save(update_fields=["end_date"])
    return world.placement


def entry(placement, month, hours="10"):
    return HoursEntry(placement=placement, month=month, hours=Decimal(hours), expected_version=0)


def test_service_refuses_hours_for_a_future_month_on_the_month_field(today, open_placement, world):
    with pytest.raises(ValidationError) as caught:
        services.declare_hours(entry=entry(open_placement, date(2026, 12, 1)), user=world.owner)
    assert caught.value.message_dict == {"month": [FUTURE_MONTH]}
    assert caught.value.error_dict["month"][0].code == "future_month"
    assert not HoursRecord.objects.filter(placement=open_placement, month=date(2026, 12, 1)).exists()
    # The current month is open.
    result = services.declare_hours(entry=entry(open_placement, date(2026, 11, 1)), user=world.owner)
    assert result.created


def test_batch_and_import_checks_refuse_a_future_month(today, open_placement, world):
    entries = [entry(open_placement, date(2026, 11, 1)), entry(open_placement, date(2027, 1, 1))]
    future = "Le mois 01/2027 n'est pas encore commencé : on ne peut pas saisir d'heures pour un mois futur."
    assert services.check_hours_entries(entries) == {1: [future]}
    with pytest.raises(services.HoursBatchError) as caught:
        services.declare_month(entries=entries, user=world.owner)
    assert caught.value.messages == [f"Ligne 2 : {future}"]
    assert not HoursRecord.objects.filter(placement=open_placement, month__gte=date(2026, 11, 1)).exists()


def test_api_refuses_hours_for_a_future_month_on_the_month_field(today, open_placement, world, api):
    api.as_user(world.owner)
    payload = {"placement": open_placement.pk, "month": "2026-12-01", "hours": "10"}
    response = api.post(f"{V1}/hours/", payload, format="json")
    assert response.status_code == 400
    assert response.json() == {"month": [FUTURE_MONTH]}
    response = api.post(f"{V1}/hours/", {**payload, "month": "2026-11-01"}, format="json")
    assert response.status_code == 201, response.content


SIX_MONTHS_BEFORE_END = (
    "La situation « six mois après » ne peut pas être constatée avant la fin du contrat (31/12/2025)."
)
AT_END_BEFORE_START = "Une sortie ne peut pas être constatée avant le début du contrat (01/01/2025)."


def test_service_refuses_outcome_dates_out_of_order_with_the_contract(world):
    with pytest.raises(ValidationError) as caught:
        services.record_outcome(
            placement=world.placement, stage="after_6_months", result="training", observed_on=date(2025, 12, 30)
        )
    assert caught.value.message_dict == {"observed_on": [SIX_MONTHS_BEFORE_END]}
    assert caught.value.error_dict["observed_on"][0].code == "before_end"
    with pytest.raises(ValidationError) as caught:
        services.record_outcome(
            placement=world.placement, stage="at_end", result="training", observed_on=date(2024, 12, 31)
        )
    assert caught.value.message_dict == {"observed_on": [AT_END_BEFORE_START]}
    assert not world.placement.outcomes.filter(stage="after_6_months").exists()
    # The day the contract ends is accepted once no outcome at the end was observed later.
    world.outcome.delete()
    services.record_outcome(
        placement=world.placement, stage="after_6_months", result="training", observed_on=date(2025, 12, 31)
    )


def test_api_refuses_outcome_dates_out_of_order_with_the_contract(world, api):
    api.as_user(world.owner)
    payload = {"placement": world.placement.pk, "stage": "after_6_months", "result": "training"}
    response = api.post(f"{V1}/outcomes/", {**payload, "observed_on": "2025-06-30"}, format="json")
    assert response.status_code == 400
    assert response.json() == {"observed_on": [SIX_MONTHS_BEFORE_END]}
    response = api.post(f"{V1}/outcomes/", {**payload, "stage": "at_end", "observed_on": "2024-12-31"}, format="json")
    assert response.status_code == 400
    assert response.json() == {"observed_on": [AT_END_BEFORE_START]}
    response = api.post(f"{V1}/outcomes/", {**payload, "observed_on": "2026-07-01"}, format="json")
    assert response.status_code == 201, response.content


YOUTH_REFUSED = (
    "Ce critère est réservé aux personnes de moins de 26 ans : cette personne avait 28 ans le 01/06/2018 "
    "(date de validation)."
)


def test_service_checks_age_based_criteria_against_the_birth_date(world, today):
    # Born on 01/02/1990: 28 on 01/06/2018, 25 on 01/01/2016.
    world.person.birth_date = date(1990, 2, 1)
    world.person.save(update_fields=["birth_date"])
    with pytest.raises(ValidationError) as caught:
        services.add_criterion(
            beneficiary=world.person,
            criterion="youth_low_qualification",
            validated_on=date(2018, 6, 1),
            validated_by=None,
            evidence_type="caf_certificate",
        )
    assert caught.value.message_dict == {"criterion": [YOUTH_REFUSED]}
    assert caught.value.error_dict["criterion"][0].code == "age"
    assert not world.person.criteria.filter(criterion="youth_low_qualification").exists()
    # 25 on 01/01/2016: accepted.
    services.add_criterion(
        beneficiary=world.person,
        criterion="youth_low_qualification",
        validated_on=date(2016, 1, 1),
        validated_by=None,
        evidence_type="caf_certificate",
    )


def test_api_refuses_age_based_criteria_with_the_age(world, api):
    api.as_user(world.owner)
    url = f"{V1}/beneficiaries/{world.person.pk}/criteria/"
    payload = {"criterion": "youth_low_qualification", "validated_on": "2018-06-01", "evidence_type": "caf_certificate"}
    response = api.post(url, payload, format="json")
    assert response.status_code == 400
    assert response.json() == {"criterion": [YOUTH_REFUSED]}
    response = api.post(url, {**payload, "criterion": "senior_job_seeker", "validated_on": "2026-06-01"}, format="json")
    assert response.status_code == 400
    assert response.json() == {
        "criterion": [
            "Ce critère est réservé aux personnes de 50 ans et plus : cette personne avait 36 ans le 01/06/2026 "
            "(date de validation)."
        ]
    }


# Every percentage bounded, with a message naming the bounds (the API reads shares as fractions: 0.5 for 50 %).

LABOUR_SHARE_FRACTION = "La part de main-d'œuvre doit être comprise entre 0 et 1 (soit entre 0 et 100 %)."
INSERTION_RATE_FRACTION = "Le taux d'insertion doit être compris entre 0 et 1 (soit entre 0 et 100 %)."


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("labour_share", "1.5", LABOUR_SHARE_FRACTION),
        ("labour_share", "150", LABOUR_SHARE_FRACTION),
        ("labour_share", "-0.1", LABOUR_SHARE_FRACTION),
        ("insertion_rate", "1.01", INSERTION_RATE_FRACTION),
        ("insertion_rate", "-0.05", INSERTION_RATE_FRACTION),
    ],
)
def test_api_refuses_a_share_out_of_bounds_on_its_field(world, api, field, value, message):
    api.as_user(world.owner)
    lot = LotFactory(market=world.market, number=7, contractor=world.company)
    payload = {"lot": lot.pk, "labour_share": "0.5", "insertion_rate": "0.05", "hourly_cost": "30", field: value}
    response = api.post(f"{V1}/clauses/", payload, format="json")
    assert response.status_code == 400
    assert response.json() == {field: [message]}
    assert not Clause.objects.filter(lot=lot).exists()
    response = api.patch(f"{V1}/clauses/{world.clause.pk}/", {field: value}, format="json")
    assert response.status_code == 400
    assert response.json() == {field: [message]}
    world.clause.refresh_from_db()
    assert getattr(world.clause, field) == getattr(ClauseFactory.build(), field)


def test_save_clause_refuses_a_share_out_of_bounds_on_its_field(world):
    with pytest.raises(ValidationError) as caught:
        save_clause(lot=world.lot, labour_share=Decimal("1.5"), insertion_rate=Decimal("-0.01"))
    assert caught.value.message_dict == {
        "labour_share": [LABOUR_SHARE_FRACTION],
        "insertion_rate": [INSERTION_RATE_FRACTION],
    }
    assert caught.value.error_dict["labour_share"][0].code == "out_of_bounds"


# The same refusals as the web forms (tests/beneficiaries/test_strict_forms.py), through the API.


@pytest.fixture
def owner_api(today, world, api):
    return api.as_user(world.owner)


def test_api_refuses_youth_not_holding_at_the_start_of_a_running_placement(owner_api, world):
    cases.young_person(world)
    placement = cases.running_placement(world)
    payload = {"criterion": "youth_low_qualification", "validated_on": "2024-01-01", "evidence_type": "caf_certificate"}
    response = owner_api.post(f"{V1}/beneficiaries/{world.person.pk}/criteria/", payload, format="json")
    assert response.status_code == 400
    assert response.json() == {"criterion": [cases.youth_refused_at_start(placement.pk)]}
    assert not world.person.criteria.filter(criterion="youth_low_qualification").exists()


def test_api_refuses_the_qpv_criterion_without_a_qpv(owner_api, world):
    payload = {"criterion": "qpv_resident", "validated_on": "2026-06-01", "evidence_type": "id_and_address"}
    response = owner_api.post(f"{V1}/beneficiaries/{world.person.pk}/criteria/", payload, format="json")
    assert response.status_code == 400
    assert response.json() == {"criterion": [cases.QPV_CRITERION_WITHOUT_QPV]}
    assert not world.person.criteria.filter(criterion="qpv_resident").exists()


def test_api_refuses_removing_the_qpv_of_a_person_with_the_qpv_criterion(owner_api, world):
    person = cases.qpv_resident(world)
    response = owner_api.patch(f"{V1}/beneficiaries/{person.pk}/", {"qpv": None}, format="json")
    assert response.status_code == 400
    assert response.json() == {"qpv": [cases.QPV_REMOVED]}
    person.refresh_from_db()
    assert person.qpv_id is not None


def test_api_refuses_a_birth_date_that_breaks_an_age_criterion(owner_api, world):
    person = cases.young_person(world)
    cases.youth_criterion(world)
    response = owner_api.patch(f"{V1}/beneficiaries/{person.pk}/", {"birth_date": "1990-01-01"}, format="json")
    assert response.status_code == 400
    assert response.json() == {"birth_date": [cases.BIRTH_DATE_BREAKS_YOUTH]}
    person.refresh_from_db()
    assert person.birth_date == cases.BIRTH


def test_api_refuses_a_placement_start_where_a_held_age_criterion_no_longer_holds(owner_api, world):
    cases.young_person(world)
    cases.youth_criterion(world)
    payload = {
        "beneficiary": world.person.pk,
        "lot": world.lot.pk,
        "employer": world.company.pk,
        "modality": "hire_cdd",
        "start_date": "2027-01-01",
        "end_date": "2027-06-30",
    }
    response = owner_api.post(f"{V1}/placements/", payload, format="json")
    assert response.status_code == 400
    assert response.json() == {"start_date": [cases.PLACEMENT_AT_26]}
    assert not Placement.objects.filter(beneficiary=world.person, start_date=date(2027, 1, 1)).exists()
    # The running placement moved to a start where the person is 26: refused the same way.
    placement = cases.running_placement(world, start=date(2026, 6, 1))
    response = owner_api.patch(f"{V1}/placements/{placement.pk}/", {"start_date": "2027-01-01"}, format="json")
    assert response.status_code == 400
    assert response.json() == {"start_date": [cases.PLACEMENT_AT_26]}


def test_api_refuses_a_placement_end_after_the_six_month_outcome(owner_api, world):
    cases.six_month_outcome(world)
    response = owner_api.patch(f"{V1}/placements/{world.placement.pk}/", {"end_date": "2026-08-31"}, format="json")
    assert response.status_code == 400
    assert response.json() == {"end_date": [cases.END_AFTER_SIX_MONTHS]}
    world.placement.refresh_from_db()
    assert world.placement.end_date == date(2025, 12, 31)


@pytest.mark.parametrize(
    ("stage", "observed_on", "message"),
    [
        ("at_end", "2026-11-27", cases.OUTCOME_IN_FUTURE),
        ("after_6_months", "2026-01-02", cases.SIX_MONTHS_BEFORE_AT_END),
    ],
)
def test_api_refuses_outcomes_in_the_future_or_before_the_outcome_at_the_end(
    owner_api, world, stage, observed_on, message
):
    before = list(world.placement.outcomes.values_list("stage", "observed_on"))
    payload = {"placement": world.placement.pk, "stage": stage, "result": "training", "observed_on": observed_on}
    if stage == "at_end":
        response = owner_api.patch(f"{V1}/outcomes/{world.outcome.pk}/", payload, format="json")
    else:
        response = owner_api.post(f"{V1}/outcomes/", payload, format="json")
    assert response.status_code == 400
    assert response.json() == {"observed_on": [message]}
    assert list(world.placement.outcomes.values_list("stage", "observed_on")) == before
