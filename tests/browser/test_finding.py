"""Finding things in a real browser (issue 14, item 5): the buyer goes from the market page to its bilan in one
click; the facilitator reads the participant number on the person's page. Screenshots at 390 and 1 366 px."""

import pytest
from playwright.sync_api import expect

from tests.audit.world import build_world
from tests.browser.test_buyer_privacy import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WIDTHS = (390, 1366)


def shoot(page, results_dir, name):
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        page.reload()
        page.wait_for_load_state("networkidle")
        page.screenshot(path=str(results_dir / f"finding-{name}-{width}.png"), full_page=True)
    page.set_viewport_size({"width": 1280, "height": 900})


def test_buyer_reaches_the_bilan_from_the_market_page(page, live_server, results_dir):
    world = build_world()
    log_in(page, live_server.url, world.users["buyer_x"])
    page.goto(f"{live_server.url}/marches/{world.a.market.pk}/")
    shoot(page, results_dir, "buyer-market")
    page.get_by_role("link", name="Bilan du marché").click()
    expect(page).to_have_url(f"{live_server.url}/tableau-de-bord/marches/{world.a.market.pk}/")
    expect(page.get_by_role("heading", level=1)).to_contain_text(world.a.market.reference)


def test_reader_sees_the_participant_number_and_no_import_link(page, live_server, results_dir):
    world = build_world()
    log_in(page, live_server.url, world.users["reader_a"])
    nav = page.get_by_role("navigation", name="Navigation principale")
    expect(nav.get_by_role("link", name="Saisie des heures")).to_be_visible()
    expect(nav.get_by_role("link", name="Importer un relevé")).to_have_count(0)
    page.goto(f"{live_server.url}/participants/{world.a.person.pk}/")
    expect(page.locator("dl.details")).to_contain_text(f"n° {world.a.person.pk}")
    shoot(page, results_dir, "reader-person")
