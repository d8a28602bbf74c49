"""The coordinator's yearly report in a real browser (issue 13, items 4 and 5): the current year labelled partial
and compared with the same months, the five-year trend, charts of both years and the map of the région, at 390 and
1,366 px (nothing wider than the screen on a phone)."""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from reporting.models import PlacementYear
from tests.beneficiaries.factories import HoursRecordFactory
from tests.browser.test_reporting import log_in
from tests.reporting.conftest import build_world

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
TODAY = datetime.date(2026, 11, 26)


@pytest.fixture
def world(monkeypatch):
    world = build_world()
    alice1 = PlacementYear.objects.get(year=2025, lot=world["lot1"], is_woman=True).placement
    bernard1 = PlacementYear.objects.get(year=2025, lot=world["lot1"], is_senior=True).placement
    HoursRecordFactory(placement=alice1, month=datetime.date(2026, 2, 1), hours=Decimal("30"))
    HoursRecordFactory(placement=bernard1, month=datetime.date(2026, 10, 1), hours=Decimal("10"))
    HoursRecordFactory(placement=bernard1, month=datetime.date(2026, 11, 1), hours=Decimal("60"))
    # The live server runs in this process: it sees the same "today".
    monkeypatch.setattr(timezone, "localdate", lambda *args, **kwargs: TODAY)
    return world


def no_horizontal_overflow(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


@pytest.mark.parametrize("width", [390, 1366])
def test_coordinator_reads_the_partial_year_the_trend_and_the_map(page, live_server, world, results_dir, width):
    base = live_server.url
    page.set_default_timeout(10_000)
    page.set_viewport_size({"width": width, "height": 900})
    log_in(page, base, world["coordinator"])
    nav = page.get_by_role("navigation", name="Navigation principale")
    if width < 960:  # on a phone the links are behind the menu button
        nav.get_by_role("button", name="Menu").click()
    nav.get_by_role("link", name="Bilan annuel").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Bilan annuel 2026 (au 31/10/2026)")
    expect(page.locator("#annee-partielle")).to_contain_text("comparés aux mêmes mois de 2025")
    expect(page.locator("#heures-annee")).to_have_text("40\u00a0h")
    synthesis = page.locator("#tableau-synthese")
    expect(synthesis.locator("thead")).to_contain_text("2025 même période")
    expect(synthesis.locator("thead")).to_contain_text("2025 complète")
    expect(synthesis.get_by_role("row", name="Heures d'insertion")).to_contain_text("-76,5")
    # Both years drawn side by side; the trend drawn too.
    expect(page.locator("canvas[data-chart='chart-data-publics']")).to_have_attribute("data-drawn", "1")
    expect(page.locator("canvas[data-chart='chart-data-tendance']")).to_have_attribute("data-drawn", "1")
    expect(page.locator("#tableau-tendance tbody tr")).to_have_count(5)
    # The map: one outline per département of the région, its table beside.
    expect(page.locator("svg.map path")).to_have_count(2)
    expect(page.locator("#tableau-carte tbody tr")).to_have_count(2)
    expect(page.locator("#tableau-carte")).to_contain_text("Côte-d'Or")
    page.locator("#carte-departements").scroll_into_view_if_needed()
    assert no_horizontal_overflow(page)
    page.screenshot(path=str(results_dir / f"reporting-yearly-overview-{width}.png"), full_page=True)

    # A future year: a message on the field, the current year shown.
    page.goto(f"{base}/bilan-annuel/?year=2027")
    expect(page.get_by_text("L'année 2027 n'est pas encore commencée")).to_be_visible()
    expect(page.get_by_role("heading", level=1)).to_have_text("Bilan annuel 2026 (au 31/10/2026)")
    # A year without data: an empty state, not a page of zeros.
    page.goto(f"{base}/bilan-annuel/?year=2015")
    expect(page.locator("#annee-vide")).to_contain_text("Aucune heure validée en 2015 dans votre périmètre.")
    expect(page.locator("#tableau-synthese")).to_have_count(0)
    assert no_horizontal_overflow(page)

    # The coordinator's dashboard carries the same view: trend, the months of both years, the map.
    page.goto(f"{base}/tableau-de-bord/")
    expect(page.locator("#tableau-tendance tbody tr")).to_have_count(5)
    expect(page.locator("canvas[data-chart='chart-data-comparaison']")).to_have_attribute("data-drawn", "1")
    expect(page.locator("svg.map path")).to_have_count(2)
    assert no_horizontal_overflow(page)
    page.screenshot(path=str(results_dir / f"reporting-coordinator-dashboard-{width}.png"), full_page=True)
