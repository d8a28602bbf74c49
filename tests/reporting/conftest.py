"""A small reporting world: two buyers, a facilitation structure, a coordination body, people with unique
names (to assert they never leak to buyers), and users of each kind."""

import datetime
from decimal import Decimal

import pytest

from beneficiaries.choices import HoursStatus, Modality, Sex
from markets.models import MarketType
from organisations.models import BuyerType, Role
from tests.beneficiaries.factories import BeneficiaryFactory, HoursRecordFactory, PlacementFactory
from tests.clauses.factories import ClauseFactory
from tests.markets.factories import LotFactory, MarketFactory
from tests.organisations.factories import (
    BuyerFactory,
    CoordinationFactory,
    FacilitationStructureFactory,
    MembershipFactory,
    UserFactory,
)
from tests.territories.factories import CommuneFactory, DepartmentFactory, EpciFactory, RegionFactory

D = Decimal
SECRET_NAMES = ("Quintanilla", "Zéphyrine", "Wojciechowski")


def add_hours(lot, *, people: int, month=datetime.date(2025, 5, 1), hours="10", structure=None):
    """`people` new people on `lot`, each with one validated record."""
    for _ in range(people):
        extra = {"structure": structure} if structure else {}
        placement = PlacementFactory(lot=lot, beneficiary=BeneficiaryFactory(**extra))
        HoursRecordFactory(placement=placement, month=month, hours=D(hours))


@pytest.fixture
def world(db):
    return build_world()


def build_world() -> dict:
    """The reporting world (also used by the browser tests, under a transactional database)."""
    region = RegionFactory()
    dijon = CommuneFactory()
    besancon = CommuneFactory(
        code="25056",
        name="Besançon",
        department=DepartmentFactory(code="25", name="Doubs", region=region),
        epci=EpciFactory(code="242500361", name="Grand Besançon Métropole"),
    )
    facilitator = FacilitationStructureFactory(name="PLIE du Grand Dijon", region=region)
    coordination = CoordinationFactory(name="Coordination BFC", region=region)
    city = BuyerFactory(name="Ville de Dijon", buyer_type=BuyerType.MUNICIPALITY)
    landlord = BuyerFactory(name="Habitat 25", buyer_type=BuyerType.SOCIAL_LANDLORD)
    stranger = BuyerFactory(name="Commune sans marché", buyer_type=BuyerType.MUNICIPALITY)
    market1 = MarketFactory(
        buyer=city,
        facilitator=facilitator,
        reference="DIJ-2025-01",
        market_type=MarketType.WORKS,
        execution_commune=dijon,
        notified_on=datetime.date(2025, 1, 10),
    )
    market2 = MarketFactory(
        buyer=landlord,
        facilitator=facilitator,
        reference="H25-2025-07",
        market_type=MarketType.SERVICES,
        execution_commune=besancon,
        notified_on=datetime.date(2025, 2, 1),
        amount_excl_vat=D("200000"),
    )
    lot1 = ClauseFactory(lot=LotFactory(market=market1, number=1)).lot
    lot2 = ClauseFactory(
        lot=LotFactory(market=market2, number=1, amount_excl_vat=D("200000")), counts_training_hours=True
    ).lot
    alice = BeneficiaryFactory(structure=facilitator, last_name="Quintanilla", first_name="Zéphyrine", sex=Sex.FEMALE)
    bernard = BeneficiaryFactory(structure=facilitator, last_name="Wojciechowski", first_name="Bernard")
    alice1 = PlacementFactory(beneficiary=alice, lot=lot1, is_woman=True, is_youth=True)
    alice2 = PlacementFactory(beneficiary=alice, lot=lot2, is_woman=True, is_youth=True, modality=Modality.ETTI_MISSION)
    bernard1 = PlacementFactory(beneficiary=bernard, lot=lot1, is_senior=True)
    HoursRecordFactory(placement=alice1, month=datetime.date(2025, 3, 1), hours=D("100"))
    HoursRecordFactory(placement=alice2, month=datetime.date(2025, 4, 1), hours=D("50"), training_hours=D("20"))
    HoursRecordFactory(placement=bernard1, month=datetime.date(2025, 12, 1), hours=D("80"))
    HoursRecordFactory(placement=bernard1, month=datetime.date(2025, 11, 1), hours=D("40"), status=HoursStatus.DECLARED)
    HoursRecordFactory(placement=alice1, month=datetime.date(2024, 12, 1), hours=D("25"))

    def member(organisation, role=Role.MEMBER):
        return MembershipFactory(organisation=organisation, role=role, user=UserFactory()).user

    return {
        "region": region,
        "facilitator": facilitator,
        "coordination": coordination,
        "city": city,
        "landlord": landlord,
        "market1": market1,
        "market2": market2,
        "lot1": lot1,
        "lot2": lot2,
        "city_admin": member(city, Role.ADMIN),
        "city_reader": member(city, Role.READER),
        "landlord_member": member(landlord),
        "stranger": member(stranger),
        "facilitator_member": member(facilitator),
        "facilitator_reader": member(facilitator, Role.READER),
        "coordinator": member(coordination),
        "coordination_reader": member(coordination, Role.READER),
    }
