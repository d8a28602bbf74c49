"""The participant number (the person's id, column « identifiant_participant » of the hours import) is shown
wherever a facilitator sees a person, and finds the person in the searches (issue 14, item 5)."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.beneficiaries.factories import BeneficiaryFactory, PlacementFactory

pytestmark = pytest.mark.django_db

NUMBER = 12345  # above 999: a localized number would read "12 345"


@pytest.fixture
def placement(structure, market):
    person = BeneficiaryFactory(pk=NUMBER, structure=structure, last_name="Numérotée", first_name="Inès")
    return PlacementFactory(beneficiary=person, lot=market.lots.get())


@pytest.mark.parametrize(
    "page",
    [
        lambda p: reverse("beneficiaries:detail", args=[p.beneficiary_id]),
        lambda p: reverse("beneficiaries:list"),
        lambda p: reverse("placements:detail", args=[p.pk]),
        lambda p: reverse("placements:list"),
        lambda p: reverse("lot_detail", args=[p.lot_id]),
    ],
    ids=["person", "person_list", "contract", "contract_list", "lot"],
)
def test_the_participant_number_is_shown_beside_the_name(owner_client, placement, page):
    html = owner_client.get(page(placement)).content.decode()
    assert "NUMÉROTÉE Inès" in html
    assert f"n° {NUMBER}" in html


def test_the_person_page_says_which_import_column_takes_it(owner_client, placement):
    html = owner_client.get(reverse("beneficiaries:detail", args=[NUMBER])).content.decode()
    column = "(colonne « identifiant_participant » des imports d'heures)"
    assert f'<dd>n° {NUMBER} <span class="muted">{column}</span></dd>' in html


@pytest.mark.parametrize("query", [str(NUMBER), f"n° {NUMBER}", f"n°{NUMBER}"])
def test_searching_the_number_finds_the_person_and_their_contracts(owner_client, structure, placement, query):
    BeneficiaryFactory(structure=structure, last_name="Autre")
    people = owner_client.get(reverse("beneficiaries:list"), {"q": query}).content.decode()
    assert "NUMÉROTÉE Inès" in people and "AUTRE" not in people
    contracts = owner_client.get(reverse("placements:list"), {"q": query}).content.decode()
    assert "NUMÉROTÉE Inès" in contracts
    nobody = owner_client.get(reverse("beneficiaries:list"), {"q": str(NUMBER + 1)}).content.decode()
    assert "NUMÉROTÉE" not in nobody


def test_the_number_is_beside_the_name_in_the_grid_and_the_home_queue(owner_client, structure, market):
    today = timezone.localdate()
    person = BeneficiaryFactory(pk=NUMBER, structure=structure, last_name="Numérotée", first_name="Inès")
    lot = market.lots.get()
    running = {"start_date": today - datetime.timedelta(days=60), "end_date": today + datetime.timedelta(days=10)}
    PlacementFactory(beneficiary=person, lot=lot, employer=lot.contractor, **running)
    grid = owner_client.get(reverse("hours:grid"), {"lot": lot.pk}).content.decode()
    assert f'NUMÉROTÉE Inès</a> <span class="muted">n° {NUMBER}</span>' in grid
    home = owner_client.get("/").content.decode()
    assert home.count(f"NUMÉROTÉE Inès (n° {NUMBER})</a>") == 2  # hours missing last month, contract ending soon
