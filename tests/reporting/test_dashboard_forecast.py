"""The forecast and the "risque" flag on the dashboards (buyer, structure, coordinator) and in the lots exports:
the same figures everywhere, from clauses.calculations.lot_forecast through reporting.queries.lots_progress."""

import datetime
import json
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from clauses.calculations import RISK_RULE
from reporting import queries
from tests.beneficiaries.factories import HoursRecordFactory, PlacementFactory
from tests.clauses.factories import ClauseFactory
from tests.markets.factories import LotFactory, MarketFactory
from tests.reporting.conftest import add_hours

DASHBOARD = reverse("reporting:dashboard")
TODAY = datetime.date(2026, 3, 1)


@pytest.fixture
def today(monkeypatch):
    monkeypatch.setattr(timezone, "localdate", lambda *args, **kwargs: TODAY)
    return TODAY


@pytest.fixture
def risky(world, today):
    """RISK-2025-09: 833 h to do from 01/09/2025 to 30/06/2026, 60 h validated (3 × 20 h in October 2025): the
    773 h missing over 4 months (122 days) need 192.85 h a month, far above its best month of 60 h."""
    market = MarketFactory(
        buyer=world["city"],
        facilitator=world["facilitator"],
        reference="RISK-2025-09",
        start_date=datetime.date(2025, 9, 1),
        end_date=datetime.date(2026, 6, 30),
        notified_on=datetime.date(2025, 8, 1),
    )
    lot = ClauseFactory(lot=LotFactory(market=market, number=1, amount_excl_vat=Decimal("1000000"))).lot
    add_hours(lot, people=3, hours="20", month=datetime.date(2025, 10, 1))
    return lot


def test_lots_progress_carries_the_forecast_of_each_lot(world, risky, today):
    from markets.models import Lot

    progress = {item.lot.pk: item for item in queries.lots_progress(Lot.objects.all(), today=today)}
    item = progress[risky.pk]
    assert item.target_hours == 833
    assert item.forecast.best_month == Decimal("60.00")
    assert item.forecast.needed_per_month == Decimal("192.85")  # 773 h ÷ (122 ÷ 30.4375) months
    assert item.forecast.recent_pace == Decimal("0.00")  # nothing in December, January, February
    assert item.forecast.projected_recent == Decimal("60.0")
    assert item.at_risk is True
    # DIJ-2025-01 (world): 205 h of 833 h over 2025–2026, best month 100 h, needs 628 h over 306 days: not at risk.
    lot1 = progress[world["lot1"].pk]
    assert lot1.forecast.best_month == Decimal("100.00")
    assert lot1.forecast.needed_per_month == Decimal("62.47")
    assert lot1.at_risk is False


def test_the_database_computed_forecast_equals_the_one_from_every_month(world, risky, today):
    """lots_hours sends Python the best month and the recent months only (Dec. 2025 to Feb. 2026 here, across
    two years); every lot's forecast equals lot_forecast over all of its validated months read from the records
    (training hours counted where the clause says so, declared records left out)."""
    from beneficiaries.choices import HoursStatus
    from beneficiaries.models import HoursRecord
    from clauses.calculations import lot_forecast
    from markets.models import Lot

    add_hours(risky, people=2, hours="35.5", month=datetime.date(2025, 12, 1))
    add_hours(risky, people=1, hours="12.25", month=datetime.date(2026, 2, 1))
    HoursRecordFactory(
        placement=PlacementFactory(lot=risky),
        month=datetime.date(2026, 1, 1),
        hours=Decimal("200"),
        status=HoursStatus.DECLARED,
    )
    progress = queries.lots_progress(Lot.objects.all(), today=today)
    assert len(progress) >= 3
    for item in progress:
        monthly: dict = {}
        records = HoursRecord.objects.filter(placement__lot=item.lot.pk, status=HoursStatus.VALIDATED)
        counts_training = Lot.objects.get(pk=item.lot.pk).clause.counts_training_hours
        for record in records:
            hours = record.hours + (record.training_hours if counts_training else 0)
            monthly[record.month] = monthly.get(record.month, Decimal("0")) + hours
        expected = lot_forecast(
            target_hours=item.target_hours,
            achieved_hours=sum(monthly.values(), Decimal("0")),
            monthly_hours=monthly,
            start=item.lot.start_date,
            end=item.lot.end_date,
            today=today,
        )
        assert item.forecast == expected, item.lot.market.reference
        assert item.achieved_hours == sum(monthly.values(), Decimal("0"))
    risk = next(item for item in progress if item.lot.pk == risky.pk)
    assert risk.forecast.recent_pace == Decimal("27.75")  # (71 + 0 + 12.25) ÷ 3: the declared January is not counted
    assert risk.forecast.best_month == Decimal("71.00")


@pytest.mark.parametrize("role", ["city_admin", "facilitator_member", "coordinator"])
def test_every_dashboard_shows_the_flag_and_its_rule(client, world, risky, role):
    client.force_login(world[role])
    response = client.get(DASHBOARD, {"year": 2026})
    body = response.content.decode()
    rows = {item.lot.market.reference: item for item in response.context["page_obj"].object_list}
    assert rows["RISK-2025-09"].at_risk
    assert '<span class="status status--at_risk">Risque</span>' in body
    assert 'id="lots-a-risque">1 sur ' in body
    assert RISK_RULE.replace("'", "&#x27;") in body  # the legend states the rule of the code
    assert "Besoin par mois (h)" in body
    assert 'data-label="Besoin par mois (h)">192,9</td>' in body  # 192.85 h rounded once


def test_the_export_holds_the_same_figures_as_the_page(client, world, risky):
    client.force_login(world["city_admin"])
    response = client.get(reverse("reporting:dashboard_export", args=["json"]), {"year": 2026})
    lots = next(table for table in json.loads(response.content)["tableaux"] if table["code"] == "lots")
    row = next(row for row in lots["lignes"] if row["marche"] == "RISK-2025-09")
    assert row["risque"] == "Risque"
    assert Decimal(str(row["besoin_mensuel"])) == Decimal("192.85")  # exact to the hundredth in exports
    assert Decimal(str(row["meilleur_mois"])) == Decimal("60")
    assert Decimal(str(row["projection_recente"])) == Decimal("60")
    other = next(row for row in lots["lignes"] if row["marche"] == "DIJ-2025-01")
    assert other["risque"] == ""
    csv = client.get(reverse("reporting:dashboard_export", args=["csv"]), {"year": 2026})
    text = b"".join(csv.streaming_content).decode("utf-8-sig")
    assert "Besoin par mois (h)" in text and "192,85" in text


def test_the_lots_table_sorts_by_need_per_month(client, world, risky):
    client.force_login(world["city_admin"])
    response = client.get(DASHBOARD, {"year": 2026, "sort": "-besoin_mensuel"})
    assert response.context["page_obj"].object_list[0].lot.market.reference == "RISK-2025-09"
