"""Issue 11, item 7: absurd figures and months get a French refusal, never a server error, and nothing is written.

Figures: hours of 1E+26 or of 200 digits typed in the grid (the service rounded them to cents and overflowed) and
sent to the API. Query parameters: a month or a lot that cannot be (`?month=9999-12` computed the month after
December 9999), on the grid and, as a sweep, on every page that takes no URL argument.
"""

from datetime import date
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import NoReverseMatch, reverse

from audit.models import HoursChange
from beneficiaries import services
from beneficiaries.models import HoursRecord
from tests.api.conftest import build_world
from tests.security.test_hours_versions import _patterns, grid_form

pytestmark = pytest.mark.django_db

GRID = "/heures/?month=2025-03"
ABSURD_FIGURES = ["1E+26", "1" + "0" * 200, "-1E+26", "1E+400", "0," + "0" * 199 + "1"]


@pytest.fixture
def world(db):
    return build_world()


@pytest.fixture
def owner(world):
    client = Client(raise_request_exception=False)
    client.force_login(world.owner)
    return client


def state():
    return sorted(
        HoursRecord.objects.values_list("pk", "hours", "training_hours", "version")
    ), HoursChange.objects.count()


@pytest.mark.parametrize("field", ["hours", "training_hours"])
@pytest.mark.parametrize("figure", ABSURD_FIGURES)
def test_grid_refuses_absurd_figures_in_french(world, owner, field, figure):
    page = grid_form(owner)
    page.pop("_checkboxes", None)
    before = state()
    page.update({f"p{world.placement.pk}-{field}": figure, "action": "save"})
    response = owner.post(GRID, page)
    assert response.status_code == 422, response.status_code
    text = response.content.decode().replace("&#x27;", "'")
    assert "Rien n'a été enregistré." in text
    assert "hors des limites" in text or "deux décimales" in text
    assert state() == before


@pytest.mark.parametrize("figure", ["1E+26", "1" + "0" * 200, "-1E+26", "99999999999.99"])
def test_the_service_refuses_absurd_figures_before_computing(world, figure):
    """The rule lives in the service: every caller (grid, import, API) gets the same French refusal."""
    placement = world.placement
    entry = services.HoursEntry(
        placement=placement, month=date(2025, 4, 1), hours=Decimal(figure), expected_version=services.UNCHECKED
    )
    assert services.check_hours_entry(entry) == [
        "Les heures saisies sont hors des limites : au plus 220 h par mois pour un contrat."
    ]
    amount = services.HoursEntry(
        placement=placement,
        month=date(2025, 4, 1),
        hours=Decimal("1"),
        invoiced_amount_excl_vat=Decimal(figure),
        expected_version=services.UNCHECKED,
    )
    errors = services.check_hours_entry(amount)
    assert len(errors) == 1 and "montant facturé" in errors[0]


@pytest.mark.parametrize("figure", ABSURD_FIGURES[:4])
@pytest.mark.parametrize("field", ["hours", "training_hours", "invoiced_amount_excl_vat"])
def test_api_refuses_absurd_figures_on_the_field(world, field, figure):
    from rest_framework.test import APIClient

    client = APIClient()
    client.force_login(world.owner)
    before = state()
    body = {"placement": world.placement.pk, "month": "2025-04-01", "hours": "1", field: figure}
    response = client.post("/api/v1/hours/", body, format="json")
    assert response.status_code == 400
    assert "chiffres" in " ".join(response.json()[field])
    body = {field: figure, "version": world.record.version}
    response = client.patch(f"/api/v1/hours/{world.record.pk}/", body, format="json")
    assert response.status_code == 400 and field in response.json()
    assert state() == before


@pytest.mark.parametrize(
    "query",
    ["month=9999-12", "month=0000-01", "month=2025-13", "month=99999-01", "month=2025-1-1", "month=-2025-03"],
)
def test_grid_refuses_an_impossible_month_in_french(owner, world, query):
    response = owner.get(f"/heures/?{query}")
    assert response.status_code == 400
    assert "Le mois demandé" in response.content.decode() and "AAAA-MM" in response.content.decode()
    # A post to such an address writes nothing either.
    before = state()
    page = {f"p{world.placement.pk}-hours": "12", f"p{world.placement.pk}-version": "0", "action": "save"}
    assert owner.post(f"/heures/?{query}", page).status_code == 400
    assert state() == before


@pytest.mark.parametrize("lot", ["abc", "1e5", "9" * 30, "-1"])
def test_grid_refuses_an_impossible_lot_in_french(owner, lot):
    response = owner.get(f"/heures/?month=2025-03&lot={lot}")
    assert response.status_code == 400
    assert "Le lot demandé n&#x27;est pas valide" in response.content.decode()


ABSURD_QUERIES = [
    "month=9999-12",
    "month=0000-00",
    "year=99999999999999999999",
    "year=9999",
    "active_on=31/12/9999",
    "active_on=9999-12-31",
    "month_from=9999-12-31",
    "month_to=0001-01-01",
    "page=99999999999999999999",
    "lot=abc",
    "lot=99999999999999999999999",
    "market=abc",
    "beneficiary=99999999999999999999999",
]


def test_no_page_fails_on_absurd_months_years_or_ids(world, owner):
    """Every page without URL argument (web and API), as a facilitator, with each absurd query parameter."""
    from rest_framework.test import APIClient

    api = APIClient(raise_request_exception=False)
    api.force_login(world.owner)
    failures, cases = [], 0
    for name, _callback in _patterns():
        if name.startswith("admin:"):
            continue
        try:
            url = reverse(name)
        except NoReverseMatch:
            continue
        client = api if url.startswith("/api/v1/") else owner
        for query in ABSURD_QUERIES:
            cases += 1
            response = client.get(f"{url}?{query}")
            if response.status_code >= 500:
                failures.append(f"{url}?{query}: {response.status_code}")
    print(f"\nParamètres absurdes : {cases} requêtes sans erreur serveur.")
    assert cases > 200
    assert not failures, failures
