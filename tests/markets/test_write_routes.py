"""Every write route of operations, markets, lots, clauses, organisations, memberships and territories goes through
the services: the reporting summary stays equal to the detail (`summary.differences() == []`), and a refusal is a
French message on the field at fault (issue 12, items 1 and 2)."""

from datetime import date
from decimal import Decimal as D

import pytest
from django.core.exceptions import ValidationError
from rest_framework.test import APIClient

from audit.models import OrganisationChange
from clauses.models import Clause
from clauses.services import remove_clause
from markets import services as market_services
from markets.models import Lot, Market
from organisations.models import Membership, Organisation, Role
from reporting import summary
from reporting.models import PlacementYear
from territories import services as territory_services
from territories.models import Commune, Department
from tests.beneficiaries.factories import HoursRecordFactory, PlacementFactory
from tests.clauses.factories import ClauseFactory
from tests.markets.factories import MarketFactory
from tests.organisations.factories import (
    BuyerFactory,
    CompanyFactory,
    FacilitationStructureFactory,
    MembershipFactory,
    UserFactory,
)
from tests.territories.factories import CommuneFactory, EpciFactory, RegionFactory


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def counted(db):
    """100 validated hours on a lot carrying a clause."""
    clause = ClauseFactory()
    record = HoursRecordFactory(placement=PlacementFactory(lot=clause.lot), month=date(2025, 3, 1), hours=D("100"))
    assert PlacementYear.objects.filter(placement=record.placement).exists()
    assert summary.differences() == []
    return record


def superuser_api():
    api = APIClient()
    api.force_authenticate(UserFactory(is_superuser=True, is_staff=True))
    return api


def admin_form_data(response, **changes) -> dict:
    """The POST data of an admin change page as rendered (inline management forms included), with `changes`."""
    form = response.context["adminform"].form
    data = {name: value for name, value in form.initial.items() if value is not None and name in form.fields}
    data.update(changes)
    for formset in response.context["inline_admin_formsets"]:
        management = formset.formset.management_form
        for name, field in management.fields.items():
            data[management.add_prefix(name)] = management.initial.get(name, field.initial)
    return data


# Clauses ------------------------------------------------------------------------------------------------


def test_clause_deleted_in_the_admin_goes_through_the_removal_service(admin_client, counted):
    lot = counted.placement.lot
    response = admin_client.post(f"/admin/clauses/clause/{lot.clause.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    assert not Clause.objects.filter(lot=lot).exists()
    # DOMAIN §5: the placement and its hours stay; the summary follows the lot that no longer carries a clause.
    assert counted.placement.lot.placements.count() == 1
    assert summary.differences() == []


def test_clauses_bulk_deleted_in_the_admin_go_through_the_removal_service(admin_client, counted):
    other = HoursRecordFactory(
        placement=PlacementFactory(lot=ClauseFactory().lot), month=date(2025, 4, 1), hours=D("50")
    )
    pks = [counted.placement.lot.clause.pk, other.placement.lot.clause.pk]
    response = admin_client.post(
        "/admin/clauses/clause/", {"action": "delete_selected", "_selected_action": pks, "post": "yes"}
    )
    assert response.status_code == 302
    assert not Clause.objects.filter(pk__in=pks).exists()
    assert summary.differences() == []


def test_clauses_are_not_edited_in_the_admin(admin_client, counted):
    clause = counted.placement.lot.clause
    response = admin_client.post(f"/admin/clauses/clause/{clause.pk}/change/", {"counts_training_hours": "on"})
    assert response.status_code == 403
    assert admin_client.get("/admin/clauses/clause/add/").status_code == 403


def test_remove_clause_keeps_the_placements_and_hours(db):
    clause = ClauseFactory()
    record = HoursRecordFactory(placement=PlacementFactory(lot=clause.lot), month=date(2025, 3, 1), hours=D("80"))
    remove_clause(clause=clause)
    record.refresh_from_db()
    assert record.placement.lot_id == clause.lot_id
    assert summary.differences() == []


# Lots ---------------------------------------------------------------------------------------------------


def test_a_lot_with_placements_cannot_be_deleted(admin_client, counted):
    lot = counted.placement.lot
    with pytest.raises(ValidationError) as excinfo:
        market_services.delete_lot(lot=lot)
    assert excinfo.value.error_dict["lot"][0].code == "has_placements"
    assert excinfo.value.message_dict["lot"] == [market_services.LOT_HAS_PLACEMENTS]
    response = admin_client.post(f"/admin/markets/lot/{lot.pk}/delete/", {"post": "yes"})
    assert response.status_code == 403
    assert Lot.objects.filter(pk=lot.pk).exists()
    assert summary.differences() == []


def test_a_lot_without_placements_is_deleted_in_the_admin_with_its_clause(admin_client):
    lot = ClauseFactory().lot
    response = admin_client.post(f"/admin/markets/lot/{lot.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    assert not Lot.objects.filter(pk=lot.pk).exists()
    assert not Clause.objects.filter(lot_id=lot.pk).exists()


def test_the_admin_lot_form_refuses_an_end_before_the_start_on_the_field(admin_client, counted):
    lot = counted.placement.lot
    response = admin_client.get(f"/admin/markets/lot/{lot.pk}/change/")
    data = admin_form_data(response, start_date="01/01/2025", end_date="31/12/2024")
    response = admin_client.post(f"/admin/markets/lot/{lot.pk}/change/", data)
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert errors["end_date"] == ["La fin d'exécution du lot ne peut pas précéder son début."]


def test_the_api_refuses_moving_a_lot_to_another_market(counted):
    lot = counted.placement.lot
    other = MarketFactory(facilitator=lot.market.facilitator)
    response = superuser_api().patch(f"/api/v1/lots/{lot.pk}/", {"market": other.pk}, format="json")
    assert response.status_code == 400, response.content
    assert response.json()["market"] == [market_services.LOT_CHANGES_MARKET]
    lot.refresh_from_db()
    assert lot.market_id != other.pk
    assert summary.differences() == []


def test_the_api_lot_contractor_change_follows_in_the_summary(counted):
    lot = counted.placement.lot
    other = CompanyFactory()
    response = superuser_api().patch(f"/api/v1/lots/{lot.pk}/", {"contractor": other.pk}, format="json")
    assert response.status_code == 200, response.content
    assert PlacementYear.objects.get(placement=counted.placement).contractor_id == other.pk
    assert summary.differences() == []


# Markets ------------------------------------------------------------------------------------------------


def test_the_api_places_a_market_ending_before_its_start_on_end_date(counted):
    market = counted.placement.lot.market
    response = superuser_api().patch(
        f"/api/v1/markets/{market.pk}/", {"start_date": "2025-06-01", "end_date": "2025-01-01"}, format="json"
    )
    assert response.status_code == 400, response.content
    assert response.json() == {"end_date": ["La fin d'exécution ne peut pas précéder son début."]}


def test_a_market_changed_in_the_admin_goes_through_the_service(admin_client, counted):
    market = counted.placement.lot.market
    commune = CommuneFactory(code="21166", name="Chenôve", epci=EpciFactory(code="200070308", name="Beaune"))
    response = admin_client.get(f"/admin/markets/market/{market.pk}/change/")
    data = admin_form_data(
        response,
        execution_commune=commune.pk,
        market_type="supplies",
        start_date=market.start_date.strftime("%d/%m/%Y"),
        end_date=market.end_date.strftime("%d/%m/%Y"),
        notified_on="",
    )
    response = admin_client.post(f"/admin/markets/market/{market.pk}/change/", data)
    assert response.status_code == 302, response.content.decode()[:3000]
    row = PlacementYear.objects.get(placement=counted.placement)
    assert (row.market_type, row.epci_id) == ("supplies", commune.epci_id)
    assert summary.differences() == []


def test_a_market_whose_lots_have_placements_cannot_be_deleted(admin_client, counted):
    market = counted.placement.lot.market
    with pytest.raises(ValidationError) as excinfo:
        market_services.delete_market(market=market)
    assert excinfo.value.error_dict["lots"][0].code == "has_placements"
    assert admin_client.post(f"/admin/markets/market/{market.pk}/delete/", {"post": "yes"}).status_code == 403
    assert Market.objects.filter(pk=market.pk).exists()


# Organisations and memberships --------------------------------------------------------------------------


def test_the_api_refuses_a_company_without_siret(db):
    response = superuser_api().post(
        "/api/v1/organisations/", {"name": "BTP sans SIRET", "kind": "company"}, format="json"
    )
    assert response.status_code == 400, response.content
    assert response.json() == {"siret": ["Le SIRET est obligatoire pour une entreprise ou une structure d'insertion."]}
    assert not Organisation.objects.filter(name="BTP sans SIRET").exists()


def test_the_api_refuses_removing_a_company_siret(db):
    company = CompanyFactory()
    response = superuser_api().patch(f"/api/v1/organisations/{company.pk}/", {"siret": ""}, format="json")
    assert response.status_code == 400, response.content
    assert list(response.json()) == ["siret"]
    company.refresh_from_db()
    assert company.siret


def test_the_api_creates_a_company_with_its_siret(db):
    response = superuser_api().post(
        "/api/v1/organisations/",
        {"name": "BTP Bourgogne", "kind": "company", "siret": "73282932000074"},
        format="json",
    )
    assert response.status_code == 201, response.content
    assert Organisation.objects.get(pk=response.json()["id"]).siret == "73282932000074"


def test_a_buyer_type_changed_in_the_admin_keeps_its_history_and_the_summary(admin_client, counted):
    buyer = counted.placement.lot.market.buyer
    response = admin_client.get(f"/admin/organisations/organisation/{buyer.pk}/change/")
    data = admin_form_data(response, buyer_type="state")
    response = admin_client.post(f"/admin/organisations/organisation/{buyer.pk}/change/", data)
    assert response.status_code == 302, response.content.decode()[:3000]
    assert PlacementYear.objects.get(placement=counted.placement).buyer_type == "state"
    assert summary.differences() == []
    assert OrganisationChange.objects.filter(organisation=buyer).exists()  # through update_organisation


def test_an_organisation_in_use_cannot_be_deleted_in_the_admin(admin_client, counted):
    buyer = counted.placement.lot.market.buyer
    assert (
        admin_client.post(f"/admin/organisations/organisation/{buyer.pk}/delete/", {"post": "yes"}).status_code == 403
    )
    unused = BuyerFactory()
    assert (
        admin_client.post(f"/admin/organisations/organisation/{unused.pk}/delete/", {"post": "yes"}).status_code == 302
    )
    assert not Organisation.objects.filter(pk=unused.pk).exists()


def test_the_last_admin_of_an_organisation_is_not_removed_in_the_admin(admin_client):
    structure = FacilitationStructureFactory()
    membership = MembershipFactory(organisation=structure, role=Role.ADMIN, user=UserFactory())
    response = admin_client.post(f"/admin/organisations/membership/{membership.pk}/delete/", {"post": "yes"})
    assert response.status_code == 403
    assert Membership.objects.filter(pk=membership.pk).exists()


# Territories --------------------------------------------------------------------------------------------


def test_reference_data_is_read_only_in_the_admin(admin_client, counted):
    commune = counted.placement.lot.market.execution_commune
    new_epci = EpciFactory(code="200070308", name="Beaune Côte et Sud")
    response = admin_client.post(
        f"/admin/territories/commune/{commune.code}/change/",
        {"code": commune.code, "name": commune.name, "department": commune.department_id, "epci": new_epci.pk},
    )
    assert response.status_code == 403
    assert Commune.objects.get(pk=commune.pk).epci_id != new_epci.pk
    department = commune.department
    response = admin_client.post(f"/admin/territories/department/{department.pk}/delete/", {"post": "yes"})
    assert response.status_code == 403
    assert summary.differences() == []


def test_territory_corrections_keep_the_summary_in_step(counted):
    commune = counted.placement.lot.market.execution_commune
    new_epci = EpciFactory(code="200070308", name="Beaune Côte et Sud")
    territory_services.correct_commune(commune=commune, epci=new_epci)
    assert PlacementYear.objects.get(placement=counted.placement).epci_id == new_epci.pk
    assert summary.differences() == []
    region = RegionFactory(code="84", name="Auvergne-Rhône-Alpes")
    territory_services.correct_department(department=Department.objects.get(pk=commune.department_id), region=region)
    assert PlacementYear.objects.get(placement=counted.placement).region_id == region.pk
    assert summary.differences() == []
