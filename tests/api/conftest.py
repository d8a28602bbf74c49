"""A small world shared by the API tests: two facilitation structures, a buyer, a coordination body."""

from datetime import date
from types import SimpleNamespace

import pytest
from rest_framework.test import APIClient

from api.services import create_token
from beneficiaries import services
from beneficiaries.choices import Criterion, EvidenceType, HoursStatus, Modality
from organisations.models import Role
from tests.beneficiaries.factories import BeneficiaryFactory, HoursRecordFactory, OutcomeFactory
from tests.clauses.factories import ClauseFactory
from tests.markets.factories import LotFactory, MarketFactory, OperationFactory
from tests.organisations.factories import (
    BuyerFactory,
    CompanyFactory,
    CoordinationFactory,
    FacilitationStructureFactory,
    MembershipFactory,
    UserFactory,
)


def member(organisation, role=Role.MEMBER):
    return MembershipFactory(organisation=organisation, role=role, user=UserFactory()).user


def build_world():
    structure = FacilitationStructureFactory(name="PLIE de Dijon")
    other = FacilitationStructureFactory(name="PLIE d'ailleurs")
    buyer = BuyerFactory(name="Ville de Dijon")
    coordination = CoordinationFactory(region=structure.region)
    company = CompanyFactory(name="BTP Bourgogne")
    operation = OperationFactory(facilitator=structure)
    market = MarketFactory(buyer=buyer, facilitator=structure, operation=operation, reference="2025-DIJ-01")
    lot = LotFactory(market=market, number=1, contractor=company)
    clause = ClauseFactory(lot=lot)
    person = BeneficiaryFactory(
        structure=structure, last_name="Dupont", first_name="Marie", birth_date=date(1990, 2, 1), address="1 rue Haute"
    )
    services.add_criterion(
        beneficiary=person,
        criterion=Criterion.LONG_TERM_JOB_SEEKER,
        validated_on=date(2024, 6, 1),
        validated_by=None,
        evidence_type=EvidenceType.FRANCE_TRAVAIL_CERTIFICATE,
    )
    services.add_criterion(
        beneficiary=person,
        criterion=Criterion.RQTH,
        validated_on=date(2024, 6, 1),
        validated_by=None,
        evidence_type=EvidenceType.MDPH_DECISION,
    )
    placement = services.start_placement(
        beneficiary=person,
        lot=lot,
        employer=company,
        modality=Modality.HIRE_CDD,
        start_date=date(2025, 1, 1),
        end_date=date(2025, 12, 31),
    )
    record = HoursRecordFactory(placement=placement, month=date(2025, 3, 1), hours=100, status=HoursStatus.DECLARED)
    outcome = OutcomeFactory(placement=placement, observed_on=date(2026, 1, 5))
    # The other structure's own market, person, placement and hours: never visible to the first one.
    other_market = MarketFactory(facilitator=other, buyer=BuyerFactory(), reference="2025-AIL-01")
    other_lot = LotFactory(market=other_market, number=1)
    ClauseFactory(lot=other_lot)
    other_person = BeneficiaryFactory(structure=other)
    other_placement = services.start_placement(
        beneficiary=other_person,
        lot=other_lot,
        employer=other_lot.contractor,
        modality=Modality.HIRE_CDD,
        start_date=date(2025, 1, 1),
        end_date=date(2025, 12, 31),
    )
    other_record = HoursRecordFactory(placement=other_placement, month=date(2025, 3, 1))
    return SimpleNamespace(
        structure=structure,
        other=other,
        buyer=buyer,
        coordination=coordination,
        company=company,
        operation=operation,
        market=market,
        lot=lot,
        clause=clause,
        person=person,
        placement=placement,
        record=record,
        outcome=outcome,
        other_market=other_market,
        other_lot=other_lot,
        other_person=other_person,
        other_placement=other_placement,
        other_record=other_record,
        owner=member(structure),
        admin=member(structure, Role.ADMIN),
        reader=member(structure, Role.READER),
        outsider=member(other),
        buyer_user=member(buyer),
        coordinator=member(coordination),
    )


@pytest.fixture
def world(db):
    return build_world()


@pytest.fixture
def api():
    """An API client; `api.as_user(user)` logs in through the session."""

    class Client(APIClient):
        def as_user(self, user):
            self.force_login(user)
            return self

        def with_token(self, user):
            _token, key = create_token(user=user, name="tests")
            self.credentials(HTTP_AUTHORIZATION=f"Token {key}")
            return self

    return Client()
