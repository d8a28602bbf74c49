"""The company's home in a real browser (issue 15, point 4): its own hours and the lot's progress (the holder), what
it owes this month with a link to the month, its declarations, and the yearly statement downloaded as a PDF.
Screenshots at 390 and 1,366 px."""

from pathlib import Path

import pytest
from playwright.sync_api import expect

from companies import declarations
from tests.browser.conftest import log_in
from tests.browser.test_buyer_dashboard import no_sideways_overflow
from tests.companies.test_home import _months_ago, build_world
from tests.organisations.factories import FacilitationStructureFactory, MembershipFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _screens(page, results_dir, name, label):
    for width in (1366, 390):
        page.set_viewport_size({"width": width, "height": 900})
        page.reload(wait_until="networkidle")
        page.screenshot(path=str(results_dir / f"{name}-{width}.png"), full_page=True)
        assert no_sideways_overflow(page), f"{label} déborde à {width} px."
    page.set_viewport_size({"width": 1280, "height": 900})


def test_company_home_and_statement(page, live_server, results_dir):
    structure = FacilitationStructureFactory(name="PLIE du Beaunois")
    facilitator = UserFactory(email="facilitatrice@plie.fr", first_name="Maëlle", last_name="Fontaine")
    MembershipFactory(user=facilitator, organisation=structure, role="member")
    world = build_world(structure, facilitator)
    corrected = _months_ago(3)
    world.hours(world.basile, corrected, "0", validate=False)
    declarations.submit(lot=world.lot, company=world.holder, month=corrected, user=world.holder_contact)
    declarations.request_correction(
        declaration=declarations.current(lot=world.lot, company=world.holder, month=corrected),
        placements=[world.alix],
        comment="Les heures d'Hermeline dépassent son temps partiel.",
        user=facilitator,
    )
    base = live_server.url
    page.set_default_timeout(10_000)
    log_in(page, base, world.holder_contact)
    page.goto(f"{base}/entreprise/")
    expect(page.get_by_role("heading", name="Mes lots", level=1)).to_be_visible()
    expect(page.get_by_role("heading", name="Avancement du lot (toutes entreprises)")).to_be_visible()
    expect(page.locator('[data-figure="own-validated"]')).to_have_text("254,8\u00a0h")
    owed = page.locator(".owed-list")
    expect(owed).to_contain_text("Correction demandée")
    expect(owed).to_contain_text("dépassent son temps partiel")

    _screens(page, results_dir, "company-home", "L'accueil de l'entreprise")

    # The yearly statement of the current year, downloaded.
    year = _months_ago(0).year
    with page.expect_download() as download:
        page.get_by_role("link", name=str(year), exact=True).first.click()
    path = download.value.path()
    assert Path(path).read_bytes().startswith(b"%PDF")
    assert download.value.suggested_filename.startswith(f"attestation-heures-insertion-{year}-2026-CHANTIER-07")

    # The month to correct opens its declaration page.
    owed.get_by_role("link", name="2026-CHANTIER-07 lot 1").last.click()
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    assert f"/declaration/{corrected:%Y-%m}/" in page.url

    # The lot page links the statement of each year of the lot.
    page.goto(f"{base}/entreprise/lots/{world.lot.pk}/")
    expect(page.get_by_text("Attestation des heures d'insertion")).to_be_visible()
    expect(page.get_by_role("link", name=f"{year} (PDF)")).to_be_visible()
    _screens(page, results_dir, "company-lot", "La page du lot de l'entreprise")
