"""A long export in a real browser with the real worker (issue 16, point 7): the coordinator asks for the yearly
report in XLSX or PDF, watches its progress (htmx polling), then downloads the file, which opens.

The live server runs in this process and the worker (`manage.py db_worker`) in a subprocess: both use the test
database, a file on SQLite (tests/conftest.py, marker `worker`), and the same private folder of exports
(EXPORTS_ROOT). Each step of the export waits EXPORT_STEP_DELAY seconds so that the progress can be seen."""

import io
import re
import subprocess
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
from playwright.sync_api import expect

from reporting.models import ExportRequest, ExportStatus
from tests.browser.test_reporting import log_in
from tests.notifications.conftest import ROOT, worker_command, worker_environment
from tests.reporting.conftest import build_world
from tests.reporting.outputs import pdf_text

pytestmark = [pytest.mark.browser, pytest.mark.worker, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def worker():
    """The real worker, polling every 0.2 s, each export step slowed down; started by the test when it wants."""
    processes = []

    def start():
        process = subprocess.Popen(  # noqa: S603 (our own command)
            worker_command("--interval", "0.2"),
            cwd=ROOT,
            env={**worker_environment(), "EXPORT_STEP_DELAY": "0.6"},
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        processes.append(process)
        return process

    yield start
    for process in processes:
        process.terminate()
        output, _ = process.communicate(timeout=20)
        assert "Traceback" not in output, output


def no_horizontal_overflow(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


@pytest.mark.parametrize(("width", "fmt"), [(390, "pdf"), (1366, "xlsx")])
def test_coordinator_prepares_the_yearly_report_watches_it_and_downloads_it(
    page, live_server, results_dir, worker, width, fmt
):
    world = build_world()
    base = live_server.url
    page.set_default_timeout(15_000)
    page.set_viewport_size({"width": width, "height": 900})
    log_in(page, base, world["coordinator"])
    page.goto(f"{base}/bilan-annuel/?year=2025")
    buttons = page.get_by_role("button", name=re.compile("Préparer l'export"))
    expect(buttons).to_have_count(2)  # XLSX and PDF; CSV and JSON stay direct downloads
    buttons.first.scroll_into_view_if_needed()
    assert no_horizontal_overflow(page)
    page.screenshot(path=str(results_dir / f"background-export-report-{width}.png"))
    page.get_by_role("button", name=f"Préparer l'export {fmt.upper()}").click()

    # The request is recorded, nothing runs yet: the page says it waits.
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Export du bilan annuel 2025 ({fmt.upper()})")
    expect(page.locator("#export-etape")).to_contain_text("En attente")
    export = ExportRequest.objects.get(user=world["coordinator"])
    assert export.status == ExportStatus.PENDING
    assert no_horizontal_overflow(page)

    # The worker starts: the page follows the steps by itself (htmx), then offers the file.
    worker()
    expect(page.locator("#export-etape")).to_contain_text("En cours : étape", timeout=20_000)
    expect(page.locator("#export-progression")).to_be_visible()
    assert no_horizontal_overflow(page)
    page.screenshot(path=str(results_dir / f"background-export-progress-{width}.png"), full_page=True)
    expect(page.locator("#export-pret")).to_contain_text("Prête.", timeout=30_000)
    link = page.get_by_role("link", name=f"Télécharger bilan-annuel-2025.{fmt}")
    expect(link).to_be_visible()
    assert no_horizontal_overflow(page)
    page.screenshot(path=str(results_dir / f"background-export-ready-{width}.png"), full_page=True)

    with page.expect_download() as info:
        link.click()
    download = info.value
    assert download.suggested_filename == f"bilan-annuel-2025.{fmt}"
    content = Path(download.path()).read_bytes()
    # 2025 in the région: 100 h + 50 h + 20 h of training (counted on that lot) + 80 h validated; the 40 h still
    # declared do not count.
    if fmt == "xlsx":
        sheet = openpyxl.load_workbook(io.BytesIO(content))["Synthèse"]
        [hours] = [row for row in sheet.iter_rows(values_only=True) if row[0] == "Heures d'insertion"]
        assert Decimal(str(hours[1])) == Decimal("250")
    else:
        text = pdf_text(content)
        assert "Bilan annuel 2025" in text and re.search(r"Heures d'insertion +250 ", text)
