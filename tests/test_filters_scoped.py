"""Filters list only what the user can see (issue 14, point 5): with two tenants, no choice of a filter form
names the other tenant's market, lot, employer or buyer."""

import pytest

from tests.beneficiaries.factories import BeneficiaryFactory, PlacementFactory
from tests.clauses.factories import ClauseFactory
from tests.markets.factories import LotFactory, MarketFactory
from tests.organisations.factories import BuyerFactory, CompanyFactory

pytestmark = pytest.mark.django_db

PAGES = ("/contrats/", "/marches/", "/operations/", "/heures/", "/participants/", "/tableau-de-bord/", "/bilan-annuel/")


@pytest.fixture
def other_tenant(other_structure):
    """Structure B's market, bought by a buyer of its own, with a lot and a contract at an employer of its own."""
    market = MarketFactory(
        facilitator=other_structure,
        buyer=BuyerFactory(name="Syndicat Zéphyr Acheteur"),
        reference="ZZ-SECRET-01",
        title="Marché secret de B",
    )
    employer = CompanyFactory(name="Entreprise Zéphyr Employeuse")
    lot = ClauseFactory(lot=LotFactory(market=market, title="Lot confidentiel de B", contractor=employer)).lot
    person = BeneficiaryFactory(structure=other_structure)
    PlacementFactory(beneficiary=person, lot=lot, employer=employer)
    return ("Syndicat Zéphyr Acheteur", "ZZ-SECRET-01", "Marché secret de B", "Lot confidentiel de B")


@pytest.mark.parametrize("page", PAGES)
def test_no_filter_names_another_tenant_s_objects(owner_client, market, other_tenant, page):
    response = owner_client.get(page)
    assert response.status_code == 200
    html = response.content.decode()
    assert market.reference in html or page in ("/operations/", "/participants/", "/bilan-annuel/")
    for name in other_tenant:
        assert name not in html, f"{name!r} listed on {page}"


def test_the_market_filter_lists_the_buyers_and_structures_of_the_markets_seen(owner_client, market, other_tenant):
    html = owner_client.get("/marches/").content.decode()
    assert f">{market.buyer.name}</option>" in html
    assert f">{market.facilitator.name}</option>" in html
