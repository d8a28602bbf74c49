"""The forecast of each lot and its "risque" flag on the dashboard, in a real browser, at 1,366 and 390 px."""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from clauses.calculations import RISK_RULE
from tests.browser.test_buyer_dashboard import no_sideways_overflow
from tests.browser.test_reporting import log_in
from tests.clauses.factories import ClauseFactory
from tests.markets.factories import LotFactory, MarketFactory
from tests.reporting.conftest import add_hours, build_world

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
TODAY = datetime.date(2026, 3, 1)


@pytest.fixture
def world(monkeypatch):
    monkeypatch.setattr(timezone, "localdate", lambda *args, **kwargs: TODAY)
    world = build_world()
    market = MarketFactory(
        buyer=world["city"],
        facilitator=world["facilitator"],
        reference="RISK-2025-09",
        title="Entretien des espaces verts du quartier des Grésilles",
        start_date=datetime.date(2025, 9, 1),
        end_date=datetime.date(2026, 6, 30),
        notified_on=datetime.date(2025, 8, 1),
    )
    lot = ClauseFactory(lot=LotFactory(market=market, number=1, amount_excl_vat=Decimal("1000000"))).lot
    add_hours(lot, people=3, hours="20", month=datetime.date(2025, 10, 1))
    return world


@pytest.mark.parametrize("role", ["city_admin", "facilitator_member"])
def test_dashboard_shows_the_forecast_and_the_risk_flag(page, live_server, world, results_dir, role):
    base = live_server.url
    page.set_default_timeout(10_000)
    log_in(page, base, world[role])
    page.goto(f"{base}/tableau-de-bord/?year=2026&sort=-besoin_mensuel")
    expect(page.locator("#lots-a-risque")).to_have_text("1 sur 3" if role == "facilitator_member" else "1 sur 2")
    first = page.locator("#tableau-lots tbody tr").first
    expect(first).to_contain_text("RISK-2025-09")
    expect(first.locator(".status--at_risk")).to_have_text("Risque")
    expect(first.locator('td[data-label="Besoin par mois (h)"]')).to_have_text("192,9")
    expect(first.locator('td[data-label="Meilleur mois (h)"]')).to_have_text("60")
    legend = page.locator(".status-legend").first
    legend.locator("summary").click()
    expect(legend).to_contain_text(RISK_RULE)
    for width in (1366, 390):
        page.set_viewport_size({"width": width, "height": 900})
        page.reload(wait_until="networkidle")
        page.screenshot(path=str(results_dir / f"dashboard-forecast-{role}-{width}.png"), full_page=True)
        assert no_sideways_overflow(page), f"Le tableau de bord déborde sur le côté à {width} px."
