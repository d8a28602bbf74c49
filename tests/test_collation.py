"""Names in French order wherever people are listed (config.collation): « Élie » and « eluard » between « Dupont »
and « Fabre », never after « Zola » (byte order, the order of a database created with the C locale, puts every
accented or lower-case initial after Z). Runs on SQLite here and on PostgreSQL in CI."""

from datetime import timedelta

import pytest
from django.utils import timezone

from beneficiaries.models import Beneficiary
from config.collation import French, sort_key
from tests.beneficiaries.factories import BeneficiaryFactory, PlacementFactory

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate()
# Created in this order; French order: Dupont, Élie, eluard, Fabre, Zola.
CREATED = ("Zola", "eluard", "Fabre", "Élie", "Dupont")
FRENCH = ["Dupont", "Élie", "eluard", "Fabre", "Zola"]


def test_the_sort_key_ignores_accents_and_case_first():
    assert sorted(CREATED, key=sort_key) == FRENCH
    assert sorted(CREATED) != FRENCH  # byte order: « Zola » before « eluard » and « Élie »
    assert sort_key("Éric") < sort_key("Eric ") and sort_key("Eric") < sort_key("éric")


def test_the_database_orders_names_in_french(structure):
    for name in CREATED:
        BeneficiaryFactory(structure=structure, last_name=name, first_name="Camille")
    names = list(Beneficiary.objects.order_by(French("last_name"), "pk").values_list("last_name", flat=True))
    assert names == FRENCH
    descending = Beneficiary.objects.order_by(French("last_name").desc(), "pk").values_list("last_name", flat=True)
    assert list(descending) == FRENCH[::-1]


@pytest.fixture
def people(structure, market):
    lot = market.lots.get()
    return {
        name: PlacementFactory(
            beneficiary=BeneficiaryFactory(structure=structure, last_name=name, first_name="Camille"),
            lot=lot,
            start_date=TODAY - timedelta(days=90),
            end_date=TODAY + timedelta(days=90),
        )
        for name in CREATED
    }


def order_in(page: str) -> list[str]:
    """The surnames in the order the page first shows them (upper-cased or not)."""
    found = {}
    for name in CREATED:
        positions = [at for at in (page.find(name), page.find(name.upper())) if at >= 0]
        assert positions, name
        found[name] = min(positions)
    return sorted(found, key=found.get)


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        (f"/heures/?month={TODAY:%Y-%m}", FRENCH),
        ("/contrats/?ordering=name", FRENCH),
        ("/contrats/?ordering=-name", FRENCH[::-1]),
    ],
)
def test_the_grid_and_the_contract_list_show_people_in_french_order(owner_client, people, url, expected):
    response = owner_client.get(url)
    assert response.status_code == 200
    assert order_in(response.text) == expected


@pytest.mark.parametrize(
    ("query", "expected"),
    [("", FRENCH), ("?ordering=last_name", FRENCH), ("?ordering=-last_name", FRENCH[::-1])],
)
def test_the_api_sorts_people_in_french_order_too(owner_client, people, query, expected):
    """The default order of the people's API and its `ordering` parameter (api.ordering.FrenchOrderingFilter)."""
    response = owner_client.get(f"/api/v1/beneficiaries/{query}")
    assert response.status_code == 200, response.content
    assert [item["last_name"] for item in response.json()["results"]] == expected
    by_date = owner_client.get("/api/v1/beneficiaries/?ordering=-created_at").json()["results"]
    assert [item["last_name"] for item in by_date] == list(CREATED[::-1])  # other fields: the database's order
