from decimal import Decimal

from tests.markets.factories import TradeFactory

URL = "/clauses/calibrage/"


def _params(**overrides):
    params = {
        "lot-amount_excl_vat": "1 000 000",
        "lot-trade": "",
        "calibration-trade": "",
        "calibration-method": "general",
        "clause-calibration_method": "general",
        "clause-labour_share": "50",
        "clause-insertion_rate": "5",
        "clause-hourly_cost": "30",
    }
    params.update(overrides)
    return params


def test_live_calibration_general_formula(owner_client):
    response = owner_client.get(URL, _params(), headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert "1\xa0000\xa0000\xa0€ × 50\xa0% × 5\xa0% ÷ 30\xa0€/h = 833\xa0h" in response.text
    assert "<html" not in response.text


def test_live_calibration_reader_may_preview(reader_client):
    assert "833\xa0h" in reader_client.get(URL, _params()).text


def test_live_calibration_asks_for_missing_inputs(owner_client):
    response = owner_client.get(URL, _params(**{"lot-amount_excl_vat": ""}))
    assert "Pour calculer l'objectif, indiquez le montant HT du lot" in response.text


def test_trade_change_fills_its_default_labour_share(owner_client, db):
    trade = TradeFactory(name="Peinture", default_labour_share=Decimal("0.70"))
    response = owner_client.get(URL, _params(**{"lot-trade": str(trade.pk)}))
    # 1 000 000 × 70 % × 5 % ÷ 30 = 1 167 h, and the share field is swapped out of band.
    assert "× 70\xa0% ×" in response.text
    assert "1\xa0167\xa0h" in response.text
    assert 'id="field-clause-labour_share" hx-swap-oob="true"' in response.text
    assert 'value="70"' in response.text
    # Same trade as last computation: the share typed by hand is kept.
    response = owner_client.get(
        URL, _params(**{"lot-trade": str(trade.pk), "calibration-trade": str(trade.pk), "clause-labour_share": "40"})
    )
    assert "× 40\xa0% ×" in response.text
    assert "hx-swap-oob" not in response.text


def test_switch_to_cleaning_shows_s_and_n_and_the_branch_cost(owner_client):
    response = owner_client.get(URL, _params(**{"clause-calibration_method": "cleaning"}))
    assert 'id="cleaning-fields" hx-swap-oob="true"' in response.text
    assert "Heures mensuelles du personnel repris (S)" in response.text
    assert 'name="clause-hourly_cost" value="25"' in response.text


def test_cleaning_calibration_shows_p_and_i(owner_client):
    response = owner_client.get(
        URL,
        _params(
            **{
                "lot-amount_excl_vat": "600000",
                "calibration-method": "cleaning",
                "clause-calibration_method": "cleaning",
                "clause-hourly_cost": "25",
                "clause-cleaning_taken_over_monthly_hours": "120",
                "clause-cleaning_duration_months": "24",
            }
        ),
    )
    # P = 1 − (120 × 25) ÷ (600 000 ÷ 24) = 0,88 ; I = 0,88 × 600 000 ÷ 25 × 5 % = 1 056 h
    assert "= 0,88" in response.text
    assert "1\xa0056\xa0h" in response.text


def test_cleaning_with_p_not_positive_is_an_error(owner_client):
    response = owner_client.get(
        URL,
        _params(
            **{
                "lot-amount_excl_vat": "600000",
                "calibration-method": "cleaning",
                "clause-calibration_method": "cleaning",
                "clause-hourly_cost": "25",
                "clause-cleaning_taken_over_monthly_hours": "1000",
                "clause-cleaning_duration_months": "24",
            }
        ),
    )
    assert 'role="alert"' in response.text
    assert "Aucune clause possible" in response.text


def test_cleaning_below_150_hours_warns(owner_client):
    response = owner_client.get(
        URL,
        _params(
            **{
                "lot-amount_excl_vat": "50000",
                "calibration-method": "cleaning",
                "clause-calibration_method": "cleaning",
                "clause-hourly_cost": "25",
                "clause-cleaning_taken_over_monthly_hours": "10",
                "clause-cleaning_duration_months": "12",
            }
        ),
    )
    assert "Moins de 150 heures" in response.text


def test_override_is_shown_next_to_the_calibrated_target(owner_client):
    response = owner_client.get(URL, _params(**{"clause-override_hours": "1000", "clause-override_reason": "Avenant"}))
    assert "Objectif retenu : 1\xa0000\xa0h" in response.text
    assert "833\xa0h" in response.text


def test_calibration_requires_login(client, db):
    assert client.get(URL, _params()).status_code == 302
