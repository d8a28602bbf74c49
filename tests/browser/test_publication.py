"""Publishing the yearly report in a real browser (issue 18, item 1): publish, a correction shows as « depuis,
+12,5 h » with its differences per table, republish, read and download version 1; at 390 and 1,366 px."""

from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from reporting.models import PublishedReport
from tests.browser.test_reporting import log_in
from tests.reporting.conftest import build_world
from tests.reporting.test_publication_views import HOURS_DIFFERENCES, correct_bernard_december

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def no_horizontal_overflow(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


@pytest.mark.parametrize("width", [390, 1366])
def test_coordinator_publishes_corrects_and_republishes(page, live_server, results_dir, width):
    world = build_world()
    base = live_server.url
    today = timezone.localdate().strftime("%d/%m/%Y")
    page.set_default_timeout(10_000)
    page.set_viewport_size({"width": width, "height": 900})
    log_in(page, base, world["coordinator"])
    page.goto(f"{base}/bilan-annuel/?year=2025")
    block = page.locator("#publication")
    expect(block.locator("#publication-etat")).to_contain_text("n'a pas encore été publié")

    # The browser asks for the confirmation first (required checkbox); then the version is published.
    block.get_by_role("button", name="Publier ce bilan").click()
    assert PublishedReport.objects.count() == 0
    block.get_by_label("Je confirme la publication de ces chiffres").check()
    block.get_by_role("button", name="Publier ce bilan").click()
    expect(page.locator(".messages")).to_contain_text("Bilan 2025 publié (version 1, empreinte")
    expect(page.locator("#publication-etat")).to_have_text(
        f"Publié le {today} (version 1) ; aucun chiffre n'a changé depuis."
    )
    first = PublishedReport.objects.get()

    # A facilitator corrects December: the page shows the change and each figure that moved.
    correct_bernard_december(world, "92.5")
    page.reload()
    expect(page.locator("#publication-etat")).to_have_text(f"Publié le {today} (version 1) ; depuis, +12,5\u00a0h.")
    rows = page.locator("#tableau-differences tbody tr")
    expect(rows).to_have_count(len(HOURS_DIFFERENCES))
    expect(rows.nth(2)).to_contain_text("Par département")
    expect(rows.nth(2)).to_contain_text("Côte-d'Or")
    expect(rows.nth(2)).to_contain_text("192,5")
    expect(rows.nth(2)).to_contain_text("+12,5")
    page.locator("#publication").scroll_into_view_if_needed()
    assert no_horizontal_overflow(page)
    page.screenshot(path=str(results_dir / f"publication-differences-{width}.png"), full_page=True)

    block.get_by_label("Je confirme la publication de ces chiffres").check()
    block.get_by_role("button", name="Publier une nouvelle version").click()
    expect(page.locator("#publication-etat")).to_have_text(
        f"Publié le {today} (version 2) ; aucun chiffre n'a changé depuis."
    )
    expect(page.locator("#tableau-versions tbody tr")).to_have_count(2)
    assert no_horizontal_overflow(page)
    page.screenshot(path=str(results_dir / f"publication-versions-{width}.png"), full_page=True)

    # Version 1 as published: 250 h, marked, small counts hidden; its CSV downloaded.
    page.locator("#tableau-versions").get_by_role("link", name="Version 1").click()
    expect(page.locator("#version-publiee")).to_contain_text(f"Version publiée le {today} par")
    expect(page.locator("#heures-annee")).to_have_text("250\u00a0h")
    expect(page.locator("#tableau-synthese").get_by_role("row", name="Participant·es")).to_contain_text("< 5")
    assert no_horizontal_overflow(page)
    page.screenshot(path=str(results_dir / f"publication-version-1-{width}.png"), full_page=True)
    with page.expect_download() as download:
        page.get_by_role("link", name="CSV", exact=True).click()
    text = Path(download.value.path()).read_text(encoding="utf-8-sig")
    assert download.value.suggested_filename == "bilan-annuel-2025-version-1.csv"
    assert "Heures d'insertion;250" in text and first.short_hash in text
