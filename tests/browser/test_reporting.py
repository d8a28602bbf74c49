"""Reporting in a real browser: a buyer's dashboard and its limits; the coordinator downloads the XLSX."""

import io

import openpyxl
import pytest
from playwright.sync_api import expect

from tests.browser.conftest import log_in
from tests.reporting.conftest import SECRET_NAMES, build_world

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def world():
    return build_world()


def test_buyer_sees_its_dashboard_and_not_another_buyers_market(page, live_server, world, results_dir):
    base = live_server.url
    page.set_default_timeout(10_000)
    log_in(page, base, world["city_admin"])

    nav = page.get_by_role("navigation", name="Navigation principale")
    expect(nav.get_by_role("link", name="Bilan annuel")).to_have_count(0)  # buyers get dashboards only
    nav.get_by_role("link", name="Tableau de bord").click()
    page.get_by_label("Année", exact=True).select_option("2025")
    page.get_by_role("button", name="Afficher").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Tableau de bord 2025")
    expect(page.locator("#heures-annee")).to_have_text("180\u00a0h")
    expect(page.locator("#heures-total")).to_have_text("205\u00a0h")
    lots = page.locator("#tableau-lots")
    expect(lots).to_contain_text("DIJ-2025-01")
    expect(lots).not_to_contain_text("H25-2025-07")
    synthesis = page.locator("#tableau-synthese")
    expect(synthesis.get_by_role("row", name="Participant·es")).to_contain_text("< 5")
    # The monthly chart is drawn by the static script from the json_script data.
    canvas = page.locator("canvas[data-chart='chart-data-mensuel']")
    expect(canvas).to_have_attribute("data-drawn", "1")
    body = page.content()
    for name in SECRET_NAMES:
        assert name not in body
    page.screenshot(path=str(results_dir / "reporting-buyer-dashboard.png"), full_page=True)

    # Its own market's bilan opens; the other buyer's is a 404.
    lots.get_by_role("link", name="DIJ-2025-01").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Bilan du marché DIJ-2025-01")
    response = page.goto(f"{base}/tableau-de-bord/marches/{world['market2'].pk}/")
    assert response.status == 404


def test_coordinator_downloads_the_yearly_report_as_xlsx(page, live_server, world, results_dir):
    base = live_server.url
    page.set_default_timeout(10_000)
    log_in(page, base, world["coordinator"])

    page.get_by_role("navigation", name="Navigation principale").get_by_role("link", name="Bilan annuel").click()
    page.get_by_label("Année", exact=True).select_option("2025")
    page.get_by_label("Département", exact=True).select_option("21")
    page.get_by_role("button", name="Afficher").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Bilan annuel 2025")
    expect(page.locator("#heures-annee")).to_have_text("180\u00a0h")
    page.screenshot(path=str(results_dir / "reporting-yearly-report.png"), full_page=True)

    # A coordinator's XLSX is prepared in the background (reporting.background; the tests' task backend runs it at
    # once), then downloaded from its status page.
    page.get_by_role("button", name="Préparer l'export XLSX").click()
    expect(page.locator("#export-pret")).to_contain_text("Prête.")
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Télécharger bilan-annuel-2025.xlsx").click()
    download = download_info.value
    assert download.suggested_filename == "bilan-annuel-2025.xlsx"
    workbook = openpyxl.load_workbook(io.BytesIO(download.path().read_bytes()))
    synthesis = {row[0]: row[1:] for row in workbook["Synthèse"].iter_rows(values_only=True) if row[0]}
    assert synthesis["Heures d'insertion"][:2] == (180, 25)
    assert synthesis["Département"][0] == "21 – Côte-d'Or"
