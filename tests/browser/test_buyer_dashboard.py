"""The buyer's dashboard at a glance, in a real browser: each market's progress toward its target with the
hours expected by today, truthful statuses with their legend, and a lots table sorted, filtered and paginated
by links (no script), readable at 390 px without sideways scrolling."""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from markets.models import MarketType
from tests.browser.test_reporting import log_in
from tests.clauses.factories import ClauseFactory
from tests.markets.factories import LotFactory, MarketFactory
from tests.reporting.conftest import SECRET_NAMES, add_hours, build_world

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
TODAY = datetime.date(2026, 3, 1)


@pytest.fixture
def world(monkeypatch):
    monkeypatch.setattr(timezone, "localdate", lambda *args, **kwargs: TODAY)
    world = build_world()

    def market(reference, start, end, market_type=MarketType.SERVICES, title="Entretien des espaces verts"):
        return MarketFactory(
            buyer=world["city"],
            facilitator=world["facilitator"],
            reference=reference,
            title=title,
            market_type=market_type,
            start_date=start,
            end_date=end,
            notified_on=start,
        )

    ended = market("OLD-2023-01", datetime.date(2023, 1, 1), datetime.date(2024, 12, 31))
    ClauseFactory(lot=LotFactory(market=ended, number=1))  # 833 h, none done: ended below target
    on_track = market("OK-2025-02", datetime.date(2025, 6, 1), datetime.date(2026, 12, 31))
    add_hours(
        ClauseFactory(lot=LotFactory(market=on_track, number=1)).lot,
        people=3,
        hours="140",
        month=datetime.date(2025, 7, 1),
    )
    future = market(
        "NEW-2026-03",
        datetime.date(2026, 6, 1),
        datetime.date(2027, 12, 31),
        MarketType.WORKS,
        title="Réhabilitation thermique du groupe scolaire Jean-Jaurès et de ses annexes sportives",
    )
    ClauseFactory(lot=LotFactory(market=future, number=1))
    # 30 more running lots on the first market (10 h to 300 h, none done): two pages of lots.
    for index in range(30):
        ClauseFactory(
            lot=LotFactory(market=world["market1"], number=index + 2, amount_excl_vat=Decimal(12000 * (index + 1)))
        )
    return world


def no_sideways_overflow(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= document.documentElement.clientWidth")


def test_buyer_dashboard_at_a_glance(page, live_server, world, results_dir):
    base = live_server.url
    page.set_default_timeout(10_000)
    log_in(page, base, world["city_admin"])
    page.goto(f"{base}/tableau-de-bord/?year=2026")
    expect(page.get_by_role("heading", level=1)).to_have_text("Tableau de bord 2026")

    # Key figures: running lots behind apart from ended lots below target.
    expect(page.locator("#lots-en-retard")).to_have_text("31 sur 32")
    expect(page.locator("#lots-non-atteints")).to_have_text("1 sur 1")

    # Markets: at risk first, each with its status and a text equivalent of its bar.
    markets = page.locator("#marches > li")
    expect(markets).to_have_count(4)
    expect(markets.nth(0)).to_contain_text("DIJ-2025-01")
    expect(markets.nth(0)).to_contain_text("En retard")
    expect(markets.nth(1)).to_contain_text("OLD-2023-01")
    expect(markets.nth(1)).to_contain_text("Objectif non atteint")
    expect(markets.nth(1)).to_contain_text("0\u00a0h sur 833\u00a0h (0,0\u00a0%), attendu à ce jour : 833\u00a0h")
    expect(markets.nth(2)).to_contain_text("Dans les temps")
    expect(markets.nth(2)).to_contain_text("420\u00a0h sur 833\u00a0h (50,4\u00a0%), attendu à ce jour : 394,2\u00a0h")
    expect(markets.nth(3)).to_contain_text("Pas commencé")
    expect(markets.locator("svg.progress-bar").first).to_be_visible()

    # The legend states the tolerance.
    legend = page.locator(".status-legend").first
    legend.locator("summary").click()
    expect(legend).to_contain_text("au moins 90\u00a0% des heures attendues à ce jour (tolérance de 10\u00a0%)")

    # The lots table: 25 per page, at risk first.
    lots = page.locator("#tableau-lots tbody tr")
    expect(lots).to_have_count(25)
    expect(page.locator("#lots-count")).to_contain_text("34 lots")
    for width, name in ((1366, "buyer-dashboard-1366.png"), (390, "buyer-dashboard-390.png")):
        page.set_viewport_size({"width": width, "height": 900})
        page.reload(wait_until="networkidle")  # laid out at this width from the start
        page.screenshot(path=str(results_dir / name), full_page=True)
        assert no_sideways_overflow(page), f"La page déborde sur le côté à {width} px."
    page.set_viewport_size({"width": 1366, "height": 900})

    # Sort by a header link, then reverse it with a second click.
    header = page.locator("#tableau-lots thead th", has_text="Heures validées")
    header.get_by_role("link").click()
    expect(header).to_have_attribute("aria-sort", "ascending")
    header = page.locator("#tableau-lots thead th", has_text="Heures validées")
    header.get_by_role("link").click()
    expect(header).to_have_attribute("aria-sort", "descending")
    expect(lots.first).to_contain_text("OK-2025-02")  # 420 h, the most
    assert "sort=-realise" in page.url

    # Filter by status: the sort is kept, the page is reset, the exports follow.
    page.get_by_label("Statut", exact=True).select_option("ended_below")
    page.get_by_role("button", name="Afficher").click()
    expect(lots).to_have_count(1)
    expect(lots.first).to_contain_text("OLD-2023-01")
    expect(lots.first).to_contain_text("Objectif non atteint")
    expect(lots.first).to_contain_text("833")  # the shortfall
    assert "sort=-realise" in page.url
    href = page.get_by_role("link", name="CSV").get_attribute("href")
    assert "status=ended_below" in href and "sort=-realise" in href

    # Filter by market type and year; then page through the running lots.
    page.get_by_label("Statut", exact=True).select_option("")
    page.get_by_label("Type de marché", exact=True).select_option("works")
    page.get_by_label("Lots en cours en", exact=True).select_option("2026")
    page.get_by_role("button", name="Afficher").click()
    expect(page.locator("#lots-count")).to_contain_text("32 lots sur 34")
    expect(lots).to_have_count(25)
    page.get_by_role("link", name="Page suivante").click()
    expect(lots).to_have_count(7)
    expect(page.locator(".pagination").last).to_contain_text("Page 2 sur 2")
    page.set_viewport_size({"width": 390, "height": 900})
    page.reload(wait_until="networkidle")
    page.screenshot(path=str(results_dir / "buyer-dashboard-filtered-390.png"), full_page=True)
    assert no_sideways_overflow(page)

    body = page.content()
    for name in SECRET_NAMES:
        assert name not in body


def test_facilitator_home_and_lot_page_tell_running_lots_behind_from_ended_ones(page, live_server, world, results_dir):
    base = live_server.url
    page.set_default_timeout(10_000)
    log_in(page, base, world["facilitator_member"])
    page.goto(f"{base}/")
    behind = page.locator("li.card", has=page.get_by_role("heading", name="Lots en cours en retard"))
    ended = page.locator("li.card", has=page.get_by_role("heading", name="Lots terminés sous l'objectif"))
    expect(behind).to_contain_text("DIJ-2025-01")
    expect(behind).not_to_contain_text("OLD-2023-01")
    expect(ended).to_contain_text(
        "OLD-2023-01 – lot 1 : fini le 31/12/2024, 0\u00a0h sur 833\u00a0h, manque 833\u00a0h"
    )
    expect(page.locator(".status-legend summary")).to_contain_text("tolérance de 10\u00a0%")
    for width in (1366, 390):
        page.set_viewport_size({"width": width, "height": 900})
        page.reload(wait_until="networkidle")
        page.screenshot(path=str(results_dir / f"facilitator-home-{width}.png"), full_page=True)
        assert no_sideways_overflow(page), f"L'accueil déborde sur le côté à {width} px."

    ended.get_by_role("link", name="OLD-2023-01 – lot 1").click()
    expect(page.locator("#kpi-status")).to_have_text("Objectif non atteint")
    expect(page.locator("#kpi-expected")).to_have_text("Manque à l'objectif : 833\u00a0h")
    for width in (1366, 390):
        page.set_viewport_size({"width": width, "height": 900})
        page.reload(wait_until="networkidle")
        page.screenshot(path=str(results_dir / f"lot-ended-below-{width}.png"), full_page=True)
        assert no_sideways_overflow(page), f"La page du lot déborde sur le côté à {width} px."
