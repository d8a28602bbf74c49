"""One number everywhere, in a real browser: a chart's tooltip reads the text of its table cell, and the lot
page shows its validated hours to 0.1 h in the card and in the table alike (screenshots at 390 and 1,366 px)."""

import datetime
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from tests.beneficiaries.factories import BeneficiaryFactory, HoursRecordFactory, PlacementFactory
from tests.browser.test_reporting import log_in
from tests.reporting.conftest import build_world

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

TOOLTIP = """canvas => {
  const chart = window.Chart.getChart(canvas);
  const dataset = chart.data.datasets[0];
  const index = chart.data.labels.indexOf("mai 2025");
  return chart.options.plugins.tooltip.callbacks.label({dataset, dataIndex: index, datasetIndex: 0,
                                                         parsed: {x: dataset.data[index], y: dataset.data[index]}});
}"""


@pytest.fixture
def world():
    world = build_world()
    placement = PlacementFactory(lot=world["lot1"], beneficiary=BeneficiaryFactory(structure=world["facilitator"]))
    HoursRecordFactory(placement=placement, month=datetime.date(2025, 5, 1), hours=Decimal("120.45"))
    return world


def test_chart_tooltip_and_lot_page_show_the_table_figures(page, live_server, world, results_dir):
    base = live_server.url
    page.set_default_timeout(10_000)
    log_in(page, base, world["city_admin"])
    page.goto(f"{base}/tableau-de-bord/?year=2025")
    canvas = page.locator("canvas[data-chart='chart-data-mensuel']")
    expect(canvas).to_have_attribute("data-drawn", "1")
    row = page.locator("#tableau-mensuel").get_by_role("row", name="mai 2025")
    expect(row).to_contain_text("120,5")
    assert canvas.evaluate(TOOLTIP) == "Heures : 120,5"  # the cell's text, not 120,45 nor "121"

    page.goto(f"{base}/tableau-de-bord/marches/{world['market1'].pk}/")
    for width in (390, 1366):
        page.set_viewport_size({"width": width, "height": 900})
        page.screenshot(path=str(results_dir / f"figures-bilan-{width}.png"), full_page=True)

    page.context.clear_cookies()
    log_in(page, base, world["facilitator_member"])
    page.goto(f"{base}/lots/{world['lot1'].pk}/")
    expect(page.locator("#kpi-achieved")).to_have_text("325,5\u00a0h")  # 25 + 100 + 80 + 120,45
    monthly = page.get_by_role("table", name="Heures validées par mois (les chiffres du graphique)")
    expect(monthly.get_by_role("row", name="mai 2025")).to_contain_text("120,5")
    expect(monthly.locator("tbody tr").last).to_contain_text("325,5")
    expect(monthly).not_to_contain_text("120,45")
    for width in (390, 1366):
        page.set_viewport_size({"width": width, "height": 900})
        page.screenshot(path=str(results_dir / f"figures-lot-{width}.png"), full_page=True)
