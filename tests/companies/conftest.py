import datetime

import pytest

from beneficiaries import services as people
from beneficiaries.choices import Modality
from tests.beneficiaries.factories import BeneficiaryFactory
from tests.clauses.factories import ClauseFactory
from tests.markets.factories import LotFactory, MarketFactory
from tests.organisations.factories import CompanyFactory, InsertionStructureFactory


@pytest.fixture
def holder(db):
    return CompanyFactory(name="Maçonnerie Dupuis")


@pytest.fixture
def subcontractor(db):
    return InsertionStructureFactory(name="GEIQ BTP 21")


@pytest.fixture
def lot(structure, holder):
    """A lot followed by `structure` and held by `holder`."""
    market = MarketFactory(facilitator=structure, reference="2026-CHANTIER-07")
    return ClauseFactory(lot=LotFactory(market=market, number=1, title="Gros œuvre", contractor=holder)).lot


@pytest.fixture
def employee(structure, lot, holder):
    """A person employed by the holder on the lot."""
    person = BeneficiaryFactory(
        structure=structure,
        last_name="Ravignac",
        first_name="Hermeline",
        birth_date=datetime.date(1987, 11, 23),
        address="7 impasse des Glycines",
        prescriber_name="Mission locale de Beaune",
    )
    return people.start_placement(
        beneficiary=person,
        lot=lot,
        employer=holder,
        modality=Modality.HIRE_CDD,
        start_date=datetime.date(2026, 1, 5),
        end_date=datetime.date(2026, 6, 30),
    )


@pytest.fixture
def contact(owner, lot, holder):
    """The holder's contact on the lot, with the password it chose."""
    from companies.services import accept_invitation, invite_contact

    invitation = invite_contact(company=holder, lots=[lot], email="chef@dupuis.fr", invited_by=owner)
    return accept_invitation(user=invitation.user, password="un-mot-de-passe-solide-2026")


@pytest.fixture
def second_employee(structure, lot, holder):
    """Another person employed by the holder on the lot."""
    person = BeneficiaryFactory(structure=structure, last_name="Bellerose", first_name="Anatole")
    return people.start_placement(
        beneficiary=person,
        lot=lot,
        employer=holder,
        modality=Modality.HIRE_CDD,
        start_date=datetime.date(2026, 2, 1),
        end_date=datetime.date(2026, 8, 31),
    )
