"""Writes go through the services, with their French refusals; readers, buyers and outsiders cannot write."""

from datetime import date
from decimal import Decimal

import pytest

from beneficiaries.choices import DURABLE_OUTCOMES, HoursSource, HoursStatus
from beneficiaries.models import HoursRecord, Placement
from clauses.models import Clause
from markets.models import Lot, Market
from tests.beneficiaries.factories import BeneficiaryFactory
from tests.markets.factories import LotFactory

pytestmark = pytest.mark.django_db

V1 = "/api/v1"


def market_payload(world, **changes):
    return {
        "reference": "2025-NEW",
        "title": "Voirie",
        "buyer": world.buyer.pk,
        "facilitator": world.structure.pk,
        "market_type": "works",
        "execution_commune": "21231",
        "start_date": "2025-01-01",
        "end_date": "2025-12-31",
        "amount_excl_vat": "500000.00",
        **changes,
    }


def test_facilitator_creates_and_updates_a_market(world, api):
    api.as_user(world.owner)
    response = api.post(f"{V1}/markets/", market_payload(world), format="json")
    assert response.status_code == 201, response.content
    market = Market.objects.get(pk=response.json()["id"])
    response = api.patch(f"{V1}/markets/{market.pk}/", {"title": "Voirie 2"}, format="json")
    assert response.status_code == 200
    market.refresh_from_db()
    assert market.title == "Voirie 2"


def test_market_refusals_are_french(world, api):
    api.as_user(world.owner)
    response = api.post(f"{V1}/markets/", market_payload(world, end_date="2024-01-01"), format="json")
    assert response.status_code == 400
    assert "La fin d'exécution ne peut pas précéder son début." in str(response.json())
    response = api.post(f"{V1}/markets/", market_payload(world, facilitator=world.other.pk), format="json")
    assert response.status_code == 400  # the other structure is not even visible


@pytest.mark.parametrize("who", ["reader", "buyer_user", "coordinator"])
def test_readers_buyers_and_coordinators_cannot_write(world, api, who):
    api.as_user(getattr(world, who))
    before = Market.objects.count()
    assert api.post(f"{V1}/markets/", market_payload(world), format="json").status_code == 403
    assert Market.objects.count() == before
    assert api.patch(f"{V1}/markets/{world.market.pk}/", {"title": "X"}, format="json").status_code == 403
    response = api.post(f"{V1}/hours/{world.record.pk}/validate/")
    assert response.status_code == 403
    assert HoursRecord.objects.get(pk=world.record.pk).status == HoursStatus.DECLARED


def test_outsider_cannot_touch_another_tenant_object(world, api):
    api.as_user(world.outsider)
    assert api.patch(f"{V1}/markets/{world.market.pk}/", {"title": "X"}, format="json").status_code == 404
    assert api.patch(f"{V1}/hours/{world.record.pk}/", {"hours": "1"}, format="json").status_code == 404
    response = api.post(f"{V1}/hours/", {"placement": world.placement.pk, "month": "2025-04-01", "hours": "5"})
    assert response.status_code == 400
    assert not HoursRecord.objects.filter(placement=world.placement, month=date(2025, 4, 1)).exists()


def test_lot_and_clause_through_save_clause(world, api):
    api.as_user(world.owner)
    lot = {
        "market": world.market.pk,
        "number": 2,
        "title": "Peinture",
        "contractor": world.company.pk,
        "amount_excl_vat": "1000000",
        "start_date": "2025-01-01",
        "end_date": "2025-12-31",
    }
    response = api.post(f"{V1}/lots/", lot, format="json")
    assert response.status_code == 201, response.content
    lot_id = response.json()["id"]
    assert response.json()["has_clause"] is False
    clause = {"lot": lot_id, "labour_share": "0.5", "insertion_rate": "0.05", "hourly_cost": "30"}
    response = api.post(f"{V1}/clauses/", clause, format="json")
    assert response.status_code == 201, response.content
    assert response.json()["target_hours"] == 833  # DOMAIN.md §4 worked example
    assert Clause.objects.get(lot_id=lot_id).calibrated_hours == 833
    response = api.post(f"{V1}/clauses/", clause, format="json")
    assert response.status_code == 400
    assert "Ce lot porte déjà une clause : modifiez-la." in str(response.json())
    clause_id = Clause.objects.get(lot_id=lot_id).pk
    response = api.patch(f"{V1}/clauses/{clause_id}/", {"override_hours": 1000}, format="json")
    assert response.status_code == 400
    assert "Un objectif saisi à la main doit être accompagné de son motif." in str(response.json())
    response = api.patch(
        f"{V1}/clauses/{clause_id}/", {"override_hours": 1000, "override_reason": "Accord"}, format="json"
    )
    assert response.json()["target_hours"] == 1000
    assert api.get(f"{V1}/lots/{lot_id}/").json()["has_clause"] is True


def test_placement_created_through_start_placement_with_frozen_publics(world, api):
    api.as_user(world.owner)
    person = BeneficiaryFactory(structure=world.structure, sex="F", birth_date=date(2003, 5, 1))
    payload = {
        "beneficiary": person.pk,
        "lot": world.lot.pk,
        "employer": world.company.pk,
        "modality": "hire_cdd",
        "start_date": "2025-02-01",
        "end_date": "2025-06-30",
    }
    response = api.post(f"{V1}/placements/", payload, format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["is_woman"] is True and body["is_youth"] is True and body["age_at_start"] == 21
    response = api.patch(f"{V1}/placements/{body['id']}/", {"end_date": "2025-01-01"}, format="json")
    assert response.status_code == 400
    assert "La fin du contrat ne peut pas précéder son début." in str(response.json())
    no_clause = LotFactory(market=world.market, number=9, contractor=world.company)
    response = api.post(f"{V1}/placements/", {**payload, "lot": no_clause.pk}, format="json")
    assert response.status_code == 400
    assert "Ce lot ne porte pas de clause sociale" in str(response.json())
    assert Placement.objects.filter(lot=no_clause).count() == 0


def test_hours_declared_validated_and_rejected_through_the_services(world, api):
    api.as_user(world.owner)
    response = api.post(
        f"{V1}/hours/", {"placement": world.placement.pk, "month": "2025-04-01", "hours": "12.5"}, format="json"
    )
    assert response.status_code == 201, response.content
    record = HoursRecord.objects.get(pk=response.json()["id"])
    assert record.hours == Decimal("12.5") and record.source == HoursSource.API and record.declared_by == world.owner
    # Same month again, with the version read: an update, not a duplicate.
    response = api.post(
        f"{V1}/hours/",
        {"placement": world.placement.pk, "month": "2025-04-15", "hours": "13", "version": record.version},
        format="json",
    )
    assert response.status_code == 200
    assert HoursRecord.objects.filter(placement=world.placement, month=date(2025, 4, 1)).count() == 1
    # The grid's rules.
    response = api.post(
        f"{V1}/hours/", {"placement": world.placement.pk, "month": "2025-05-01", "hours": "300"}, format="json"
    )
    assert response.status_code == 400
    assert "maximum légal de 220 h" in str(response.json())
    response = api.post(
        f"{V1}/hours/", {"placement": world.placement.pk, "month": "2026-05-01", "hours": "10"}, format="json"
    )
    assert "hors de la période du contrat" in str(response.json())
    # Validation and rejection.
    record.refresh_from_db()
    response = api.post(f"{V1}/hours/{record.pk}/validate/", {"version": record.version}, format="json")
    assert response.status_code == 200 and response.json()["status"] == "validated"
    version = response.json()["version"]
    assert api.post(f"{V1}/hours/{record.pk}/validate/", {"version": version}, format="json").status_code == 400
    response = api.patch(f"{V1}/hours/{record.pk}/", {"hours": "20", "version": version}, format="json")
    assert response.json()["status"] == "declared" and response.json()["hours"] == "20.00"
    version = response.json()["version"]
    response = api.post(f"{V1}/hours/{record.pk}/reject/", {"reason": " ", "version": version}, format="json")
    assert response.status_code == 400
    response = api.post(
        f"{V1}/hours/{record.pk}/reject/", {"reason": "Feuille non signée", "version": version}, format="json"
    )
    assert response.json()["status"] == "rejected"
    assert response.json()["rejection_reason"] == "Feuille non signée"


def test_outcome_and_criterion_through_the_services(world, api):
    api.as_user(world.owner)
    payload = {
        "placement": world.placement.pk,
        "stage": "after_6_months",
        "result": "training",
        "observed_on": "2026-07-01",
    }
    response = api.post(f"{V1}/outcomes/", payload, format="json")
    assert response.status_code == 201, response.content
    response = api.post(f"{V1}/outcomes/", {**payload, "observed_on": "2024-01-01"}, format="json")
    assert response.status_code == 400
    assert "Une sortie ne peut pas être constatée avant le début du contrat" in str(response.json())
    response = api.post(
        f"{V1}/beneficiaries/{world.person.pk}/criteria/",
        {"criterion": "rsa", "validated_on": "2024-01-01", "evidence_type": "caf_certificate"},
        format="json",
    )
    assert response.status_code == 201, response.content
    response = api.post(
        f"{V1}/beneficiaries/{world.person.pk}/criteria/",
        {"criterion": "rsa", "validated_on": "2024-01-01", "evidence_type": "caf_certificate"},
        format="json",
    )
    assert "Ce critère est déjà enregistré pour cette personne." in str(response.json())
    api.as_user(world.reader)
    response = api.post(
        f"{V1}/beneficiaries/{world.person.pk}/criteria/",
        {"criterion": "ass", "validated_on": "2024-01-01", "evidence_type": "caf_certificate"},
        format="json",
    )
    assert response.status_code == 403


def test_beneficiary_created_in_own_structure_only(world, api):
    api.as_user(world.owner)
    payload = {
        "structure": world.structure.pk,
        "last_name": "Martin",
        "first_name": "Léa",
        "sex": "F",
        "prescriber_type": "mission_locale",
    }
    response = api.post(f"{V1}/beneficiaries/", payload, format="json")
    assert response.status_code == 201, response.content
    response = api.post(f"{V1}/beneficiaries/", {**payload, "structure": world.other.pk}, format="json")
    assert response.status_code == 400


def test_lots_of_visible_markets_only_may_be_created(world, api):
    api.as_user(world.owner)
    payload = {
        "market": world.other_market.pk,
        "number": 5,
        "title": "X",
        "amount_excl_vat": "1",
        "start_date": "2025-01-01",
        "end_date": "2025-02-01",
    }
    assert api.post(f"{V1}/lots/", payload, format="json").status_code == 400
    assert not Lot.objects.filter(market=world.other_market, number=5).exists()


def test_api_accepts_a_temp_mission_of_six_months_or_more_as_durable_employment(world, api):
    """The national definition of durable employment holds temp missions of 6 months or more (issue 18, item 4)."""
    api.as_user(world.owner)
    payload = {
        "placement": world.placement.pk,
        "stage": "after_6_months",
        "result": "durable_temp",
        "observed_on": "2026-07-01",
    }
    response = api.post(f"{V1}/outcomes/", payload, format="json")
    assert response.status_code == 201, response.content
    outcome = world.placement.outcomes.get(stage="after_6_months")
    assert outcome.result == "durable_temp"
    assert outcome.result in DURABLE_OUTCOMES
