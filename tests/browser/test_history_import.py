"""A new structure imports five years of history from one workbook (issue 20, "done when"): the preview's counts,
the import, a second sending that changes nothing, and the yearly report of each year equal to the figures the
workbook makes. Screenshots at 390 and 1,366 px."""

from decimal import Decimal

import pytest
from playwright.sync_api import expect

from beneficiaries import history
from beneficiaries.history_fixture import generate, to_xlsx
from beneficiaries.models import Beneficiary, HoursRecord, Placement
from reporting import queries
from reporting.models import PlacementYear
from reporting.templatetags.reporting_format import fr_hours, fr_number
from tests.browser.conftest import log_in
from tests.organisations.factories import BuyerFactory, CompanyFactory
from tests.territories.factories import CommuneFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

FIRST_YEAR, YEARS = 2020, 5
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def counts_of(page, sheet: str) -> dict[str, int]:
    row = page.locator(f"#history-counts tr[data-sheet='{sheet}']")
    return {
        status: int(row.locator(f"td[data-status='{status}']").inner_text().replace("\u202f", ""))
        for status in history.STATUSES
    }


def send(page, base, data: bytes):
    page.goto(f"{base}/imports/historique/")
    expect(page.get_by_role("heading", name="Importer l'historique de la structure")).to_be_visible()
    page.get_by_label("Classeur de l'historique").set_input_files(
        files=[{"name": "historique.xlsx", "mimeType": XLSX, "buffer": data}]
    )
    page.get_by_role("button", name="Voir l'aperçu").click()
    expect(page.get_by_role("heading", name="Aperçu de l'import de l'historique")).to_be_visible(timeout=60_000)


def test_a_new_structure_imports_five_years(page, live_server, results_dir, structure, structure_admin):
    BuyerFactory(siret="21750001600019")
    CompanyFactory(siret="73282932000074")
    CommuneFactory(code="21231")
    generated = generate(
        buyer_siret="21750001600019",
        company_siret="73282932000074",
        commune="21231",
        people=30,
        contracts=60,
        first_year=FIRST_YEAR,
        years=YEARS,
        monthly_records=480,
    )
    data = to_xlsx(generated)
    base = live_server.url
    log_in(page, base, structure_admin)

    page.set_viewport_size({"width": 1366, "height": 900})
    send(page, base, data)
    for sheet, rows in generated.sheets.items():
        assert counts_of(page, sheet) == {"created": len(rows), "updated": 0, "unchanged": 0, "refused": 0}, sheet
    page.screenshot(path=str(results_dir / "history-import-preview-1366.png"), full_page=True)
    page.set_viewport_size({"width": 390, "height": 844})
    page.screenshot(path=str(results_dir / "history-import-preview-390.png"), full_page=True)
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    assert not Beneficiary.objects.exists()  # the preview wrote nothing

    page.get_by_role("button", name="Confirmer l'import").click()
    expect(page.get_by_role("heading", name="Historique importé")).to_be_visible(timeout=60_000)
    page.screenshot(path=str(results_dir / "history-import-done-390.png"), full_page=True)
    assert Beneficiary.objects.filter(structure=structure).count() == 30
    assert Placement.objects.count() == 60
    records = sorted(HoursRecord.objects.values_list("pk", "hours", "status", "version"))
    assert len(records) == len(generated.sheets[history.HOURS])

    # The same workbook again: every row « inchangé », and confirming it changes nothing.
    page.set_viewport_size({"width": 1366, "height": 900})
    send(page, base, data)
    for sheet, rows in generated.sheets.items():
        assert counts_of(page, sheet) == {"created": 0, "updated": 0, "unchanged": len(rows), "refused": 0}, sheet
    page.get_by_role("button", name="Confirmer l'import").click()
    expect(page.get_by_role("heading", name="Historique importé")).to_be_visible(timeout=60_000)
    page.screenshot(path=str(results_dir / "history-import-rerun-1366.png"), full_page=True)
    assert sorted(HoursRecord.objects.values_list("pk", "hours", "status", "version")) == records

    # The yearly report of the structure, year by year, equals the figures computed from the workbook.
    for year in range(FIRST_YEAR, FIRST_YEAR + YEARS):
        page.goto(f"{base}/bilan-annuel/?year={year}")
        expect(page.locator("#heures-annee")).to_have_text(fr_hours(generated.hours_by_year[year]))
        participants = page.locator(".card", has_text="Participant·es").locator(".key-figure")
        expect(participants).to_have_text(fr_number(generated.participants_by_year[year]))
        report = queries.yearly_report(
            records=PlacementYear.objects.visible_to(structure_admin),
            markets=structure.followed_markets.all(),
            year=year,
        )
        assert report.summary.hours == generated.hours_by_year[year].quantize(Decimal("0.01"))
        assert report.summary.participants == generated.participants_by_year[year]
        assert report.summary.contracts == generated.contracts_by_year[year]
    page.set_viewport_size({"width": 390, "height": 844})
    page.screenshot(path=str(results_dir / f"history-import-yearly-report-{year}-390.png"), full_page=False)

    # A refused row: its French reason on its column, nothing to confirm.
    generated.sheets[history.PARTICIPANTS][0]["commune"] = "99999"
    send(page, base, to_xlsx(generated))
    expect(page.get_by_text("Commune inconnue : aucun code INSEE « 99999 ».")).to_be_visible()
    expect(page.get_by_role("button", name="Confirmer l'import")).to_have_count(0)
    page.screenshot(path=str(results_dir / "history-import-refused-390.png"), full_page=True)
    page.goto(f"{base}/imports/historique/")
    page.screenshot(path=str(results_dir / "history-import-upload-390.png"), full_page=False)
    page.set_viewport_size({"width": 1366, "height": 900})
    page.screenshot(path=str(results_dir / "history-import-upload-1366.png"), full_page=False)
