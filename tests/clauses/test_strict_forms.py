"""Stricter input (issue 14, item 4) through the web forms of lots and clauses: every percentage bounded, refused on
its field with a message naming the bounds, nothing saved. The same refusals through the API are in
tests/api/test_strict_input.py."""

from decimal import Decimal

import pytest

from clauses.models import Clause
from markets.models import Lot, Trade
from tests.clauses.factories import ClauseFactory
from tests.markets.factories import LotFactory, TradeFactory
from tests.markets.test_views_markets import _lot_payload

pytestmark = pytest.mark.django_db

LABOUR_SHARE = "La part de main-d'œuvre doit être comprise entre 0 et 100 %."
INSERTION_RATE = "Le taux d'insertion doit être compris entre 0 et 100 %."


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("labour_share", "150", LABOUR_SHARE),
        ("labour_share", "-5", LABOUR_SHARE),
        ("insertion_rate", "100,5", INSERTION_RATE),
        ("insertion_rate", "-1", INSERTION_RATE),
    ],
)
def test_lot_form_refuses_a_share_out_of_bounds_on_its_field(owner_client, market, field, value, message):
    response = owner_client.post(f"/marches/{market.pk}/lots/nouveau/", _lot_payload(**{f"clause-{field}": value}))
    assert response.status_code == 200
    assert response.context["clause_form"].errors == {field: [message]}
    assert not Lot.objects.filter(market=market, number=2).exists()


def test_lot_update_refuses_a_labour_share_of_150_and_keeps_the_clause(owner_client, market):
    lot = LotFactory(market=market, number=3)
    clause = ClauseFactory(lot=lot, labour_share=Decimal("0.5"))
    payload = _lot_payload(**{"lot-number": "3", "clause-labour_share": "150"})
    response = owner_client.post(f"/lots/{lot.pk}/modifier/", payload)
    assert response.status_code == 200
    assert response.context["clause_form"].errors == {"labour_share": [LABOUR_SHARE]}
    clause.refresh_from_db()
    assert clause.labour_share == Decimal("0.5")
    # The calibration beside the inputs names the bounds instead of asking for the share.
    assert "indiquez la part" not in response.text
    assert response.text.count(LABOUR_SHARE.replace("'", "&#x27;")) == 2


def test_live_calibration_names_the_bounds_of_a_share_typed_out_of_them(owner_client):
    params = {
        "lot-amount_excl_vat": "1 000 000",
        "clause-calibration_method": "general",
        "clause-labour_share": "150",
        "clause-insertion_rate": "5",
        "clause-hourly_cost": "30",
    }
    response = owner_client.get("/clauses/calibrage/", params)
    assert response.context["preview"].error == LABOUR_SHARE
    assert "indiquez" not in response.text
    # An empty share is still asked for.
    response = owner_client.get("/clauses/calibrage/", {**params, "clause-labour_share": ""})
    assert response.context["preview"].missing == ("la part de main-d'œuvre",)


def test_trade_admin_refuses_a_default_share_above_1(admin_client):
    trade = TradeFactory(name="Maçonnerie", default_labour_share=Decimal("0.5"))
    response = admin_client.post(
        f"/admin/markets/trade/{trade.pk}/change/", {"name": "Maçonnerie", "default_labour_share": "1.5"}
    )
    assert response.status_code == 200
    assert response.context["adminform"].form.errors == {
        "default_labour_share": [
            "La part de main-d'œuvre par défaut doit être comprise entre 0 et 1 (soit entre 0 et 100 %)."
        ]
    }
    assert Trade.objects.get(pk=trade.pk).default_labour_share == Decimal("0.5")
    assert Clause.objects.count() == 0
