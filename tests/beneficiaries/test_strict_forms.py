"""Stricter input (issue 14, item 4) through the web forms: each refusal on the field at fault with its exact French
message, nothing saved. The same refusals through the API: tests/api/test_strict_input.py."""

from datetime import date
from html.parser import HTMLParser

import pytest
from django.utils import timezone

from beneficiaries.choices import Criterion, OutcomeStage
from beneficiaries.models import Beneficiary, Placement
from tests.api.conftest import build_world
from tests.beneficiaries import strict_cases as cases

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(db, monkeypatch):
    monkeypatch.setattr(timezone, "localdate", lambda *args, **kwargs: cases.TODAY)
    return build_world()


@pytest.fixture
def web(client, world):
    client.force_login(world.owner)
    return client


def person_payload(person, **changes):
    values = {
        "last_name": person.last_name,
        "first_name": person.first_name,
        "sex": person.sex,
        "birth_date": person.birth_date.strftime("%d/%m/%Y") if person.birth_date else "",
        "address": person.address,
        "commune": person.commune_id or "",
        "qpv": person.qpv_id or "",
        "prescriber_type": person.prescriber_type,
        "prescriber_name": person.prescriber_name,
        "qualification_level": person.qualification_level,
        "job_seeker_since": "",
        "notes": person.notes,
    }
    return {**values, **changes}


def post_criterion(web, person, criterion, validated_on):
    return web.post(
        f"/participants/{person.pk}/criteres/",
        {"criterion": criterion, "validated_on": validated_on, "evidence_type": "school_certificate"},
    )


def test_criterion_form_refuses_youth_not_holding_at_the_start_of_a_running_placement(web, world):
    cases.young_person(world)
    placement = cases.running_placement(world)
    response = post_criterion(web, world.person, Criterion.YOUTH_LOW_QUALIFICATION, "01/01/2024")
    assert response.status_code == 422
    assert response.context["criterion_form"].errors == {"criterion": [cases.youth_refused_at_start(placement.pk)]}
    assert not world.person.criteria.filter(criterion=Criterion.YOUTH_LOW_QUALIFICATION).exists()


def test_criterion_form_refuses_youth_at_28_on_the_validation_date(web, world):
    response = post_criterion(web, world.person, Criterion.YOUTH_LOW_QUALIFICATION, "01/06/2018")
    assert response.status_code == 422
    assert response.context["criterion_form"].errors == {
        "criterion": [
            "Ce critère est réservé aux personnes de moins de 26 ans : cette personne avait 28 ans le 01/06/2018 "
            "(date de validation)."
        ]
    }
    assert not world.person.criteria.filter(criterion=Criterion.YOUTH_LOW_QUALIFICATION).exists()


def test_criterion_form_refuses_the_qpv_criterion_without_a_qpv(web, world):
    response = post_criterion(web, world.person, Criterion.QPV_RESIDENT, "01/06/2026")
    assert response.status_code == 422
    assert response.context["criterion_form"].errors == {"criterion": [cases.QPV_CRITERION_WITHOUT_QPV]}
    assert not world.person.criteria.filter(criterion=Criterion.QPV_RESIDENT).exists()


def test_person_form_refuses_removing_the_qpv_of_a_person_with_the_qpv_criterion(web, world):
    person = cases.qpv_resident(world)
    response = web.post(f"/participants/{person.pk}/modifier/", person_payload(person, qpv=""))
    assert response.status_code == 200
    assert response.context["form"].errors == {"qpv": [cases.QPV_REMOVED]}
    assert Beneficiary.objects.get(pk=person.pk).qpv_id == person.qpv_id


def test_person_form_refuses_a_birth_date_that_breaks_an_age_criterion(web, world):
    person = cases.young_person(world)
    cases.youth_criterion(world)
    response = web.post(f"/participants/{person.pk}/modifier/", person_payload(person, birth_date="01/01/1990"))
    assert response.status_code == 200
    assert response.context["form"].errors == {"birth_date": [cases.BIRTH_DATE_BREAKS_YOUTH]}
    assert Beneficiary.objects.get(pk=person.pk).birth_date == cases.BIRTH


def test_placement_form_refuses_a_start_where_a_held_age_criterion_no_longer_holds(web, world):
    cases.young_person(world)
    cases.youth_criterion(world)
    payload = {
        "beneficiary": world.person.pk,
        "lot": world.lot.pk,
        "employer": world.company.pk,
        "modality": "hire_cdd",
        "start_date": "01/01/2027",
        "end_date": "30/06/2027",
    }
    response = web.post("/contrats/nouveau/", payload)
    assert response.status_code == 200
    assert response.context["form"].errors == {"start_date": [cases.PLACEMENT_AT_26]}
    assert not Placement.objects.filter(beneficiary=world.person, start_date=date(2027, 1, 1)).exists()
    # Before the 26th birthday (25 on 01/06/2026... 15/06/2026 is the birthday): accepted.
    response = web.post("/contrats/nouveau/", {**payload, "start_date": "01/06/2026"})
    assert response.status_code == 302, response.context["form"].errors


def test_placement_form_refuses_an_end_after_the_six_month_outcome(web, world):
    cases.six_month_outcome(world)
    payload = {
        "beneficiary": world.person.pk,
        "lot": world.lot.pk,
        "employer": world.company.pk,
        "modality": world.placement.modality,
        "start_date": "01/01/2025",
        "end_date": "31/08/2026",
    }
    response = web.post(f"/contrats/{world.placement.pk}/modifier/", payload)
    assert response.status_code == 200
    assert response.context["form"].errors == {"end_date": [cases.END_AFTER_SIX_MONTHS]}
    assert Placement.objects.get(pk=world.placement.pk).end_date == date(2025, 12, 31)


@pytest.mark.parametrize(
    ("stage", "observed_on", "message"),
    [
        (OutcomeStage.AT_END, "27/11/2026", cases.OUTCOME_IN_FUTURE),
        (OutcomeStage.AT_END, "31/12/2024", cases.AT_END_BEFORE_START),
        (OutcomeStage.AFTER_6_MONTHS, "30/06/2025", cases.SIX_MONTHS_BEFORE_END),
        (OutcomeStage.AFTER_6_MONTHS, "02/01/2026", cases.SIX_MONTHS_BEFORE_AT_END),
    ],
)
def test_outcome_form_refuses_dates_out_of_order(web, world, stage, observed_on, message):
    before = list(world.placement.outcomes.values_list("stage", "observed_on"))
    response = web.post(
        f"/contrats/{world.placement.pk}/sortie/",
        {"stage": stage, f"{stage}-result": "training", f"{stage}-observed_on": observed_on},
    )
    assert response.status_code == 422
    form = next(item["form"] for item in response.context["outcome_forms"] if item["stage"] == stage)
    assert form.errors == {"observed_on": [message]}
    assert list(world.placement.outcomes.values_list("stage", "observed_on")) == before


def test_grid_refuses_hours_for_a_future_month_on_the_row(web, world):
    """The grid offers no future month, but a posted one goes through the same service rule (the import too:
    tests/api/test_strict_input.py::test_batch_and_import_checks_refuse_a_future_month)."""
    world.placement.end_date = date(2027, 6, 30)
    world.placement.save(update_fields=["end_date"])
    url = "/heures/?month=2026-12"
    data = {}

    class Inputs(HTMLParser):
        def handle_starttag(self, tag, attrs):
            attrs = dict(attrs)
            if tag == "input" and attrs.get("name") and attrs.get("type") not in ("checkbox", "search"):
                data[attrs["name"]] = attrs.get("value", "")

    Inputs().feed(web.get(url).text)
    data[f"p{world.placement.pk}-hours"] = "10"
    response = web.post(url, data)
    assert response.status_code == 422
    row = next(row for row in response.context["rows"] if row.placement.pk == world.placement.pk)
    assert row.errors == [
        "Le mois 12/2026 n'est pas encore commencé : on ne peut pas saisir d'heures pour un mois futur."
    ]
    assert not world.placement.hours_records.filter(month=date(2026, 12, 1)).exists()


def test_outcome_form_accepts_a_temp_mission_of_six_months_or_more(web, world):
    response = web.post(
        f"/contrats/{world.placement.pk}/sortie/",
        {"stage": OutcomeStage.AT_END, "at_end-result": "durable_temp", "at_end-observed_on": "05/01/2026"},
    )
    assert response.status_code == 302, response.content
    assert world.placement.outcomes.get(stage=OutcomeStage.AT_END).get_result_display() == (
        "Emploi durable : mission d'intérim de 6 mois ou plus"
    )
