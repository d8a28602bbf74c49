"""Sorting follows what the role sees: an order by surname never places a person the user may not identify among
the names they read (the contract list, the hours grid and the home page).

The names are chosen so that their alphabetical order differs from the creation order, which is what a leak would
show.
"""

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from organisations.models import Role
from tests.beneficiaries.factories import BeneficiaryFactory, PlacementFactory
from tests.organisations.factories import MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate()


@pytest.fixture
def contracts(structure, other_structure, market):
    """On `structure`'s market: three people it follows and three followed by `other_structure`, created in an
    order that is not the alphabetical one."""
    lot = market.lots.get()
    ours = [BeneficiaryFactory(structure=structure, last_name=name) for name in ("Martin", "Bernard", "Roux")]
    theirs = [BeneficiaryFactory(structure=other_structure, last_name=name) for name in ("Zola", "Abel", "Moreau")]
    placements = {}
    for person in ours + theirs:
        placements[person.last_name] = PlacementFactory(
            beneficiary=person, lot=lot, start_date=TODAY - timedelta(days=90), end_date=TODAY + timedelta(days=90)
        ).pk
    return placements


def listed(client, query: str = "") -> list[int]:
    response = client.get(f"/contrats/{query}")
    assert response.status_code == 200
    return [int(pk) for pk in re.findall(r'href="/contrats/(\d+)/"', response.text)]


@pytest.fixture
def buyer_client(client, market):
    buyer = MembershipFactory(organisation=market.buyer, role=Role.MEMBER, user=UserFactory()).user
    client.force_login(buyer)
    return client


def test_a_buyer_cannot_list_contracts_sorted_or_not(buyer_client, contracts):
    """Issue 13: contracts are for the structures that follow the data; a buyer gets a 404 whatever the order."""
    for query in ("", "?ordering=name", "?ordering=-name"):
        response = buyer_client.get(f"/contrats/{query}")
        assert response.status_code == 404
        assert "Zola" not in response.text and "Abel" not in response.text


def test_a_facilitator_sorts_by_the_names_it_reads_only(owner_client, contracts):
    hidden = sorted(contracts[name] for name in ("Zola", "Abel", "Moreau"))  # by creation, not by name
    ascending = listed(owner_client, "?ordering=name")
    assert ascending == hidden + [contracts[name] for name in ("Bernard", "Martin", "Roux")]
    descending = listed(owner_client, "?ordering=-name")
    assert descending == [contracts[name] for name in ("Roux", "Martin", "Bernard")] + hidden


def test_the_hours_grid_and_the_home_page_order_hidden_people_by_creation(owner_client, contracts):
    """Zola, Abel and Moreau were created in this order: by surname they would read Abel, Moreau, Zola."""
    for url in (f"/heures/?month={TODAY:%Y-%m}", "/"):  # the home page lists last month's missing hours
        page = owner_client.get(url).text
        shown = list(dict.fromkeys(int(pk) for pk in re.findall(r"Participant·e n° (\d+)", page)))  # first mentions
        assert len(shown) == 3, url
        assert shown == sorted(shown), url
