"""A participant's QPV computed from the address's coordinates, in a real browser: typed in the form (French
decimal commas), shown on the person's page with its source, at 390 px and 1,366 px."""

import pytest
from playwright.sync_api import expect

from beneficiaries.models import Beneficiary
from territories.loaders import load_official_qpv
from tests.beneficiaries.factories import BeneficiaryFactory
from tests.browser.conftest import log_in
from tests.browser.test_buyer_dashboard import no_sideways_overflow
from tests.territories.factories import CommuneFactory, DepartmentFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_qpv_computed_from_the_address_is_shown_with_its_source(page, live_server, owner, structure, results_dir):
    chenove = CommuneFactory(code="21166", name="Chenôve", department=DepartmentFactory(code="21"))
    load_official_qpv(commune_codes={"21166"})
    person = BeneficiaryFactory(structure=structure, last_name="Roux", first_name="Inès", commune=chenove)
    base = live_server.url
    page.set_default_timeout(10_000)
    log_in(page, base, owner)

    page.goto(f"{base}/participants/{person.pk}/modifier/")
    page.get_by_label("Adresse", exact=True).fill("12 rue du Mail")
    page.get_by_label("Latitude").fill("47,2972")
    page.get_by_label("Longitude").fill("5,0079")
    page.set_viewport_size({"width": 390, "height": 900})
    page.get_by_label("Latitude").scroll_into_view_if_needed()
    page.screenshot(path=str(results_dir / "participant-coordinates-form-390.png"), full_page=True)
    assert no_sideways_overflow(page), "Le formulaire déborde sur le côté à 390 px."
    page.get_by_role("button", name="Enregistrer").click()

    expect(page).to_have_url(f"{base}/participants/{person.pk}/")
    details = page.locator("dl.details")
    expect(details).to_contain_text("Le Mail (QN02101M)")
    expect(details.locator("[data-qpv-source]")).to_have_text("calculé depuis l'adresse")
    expect(details).to_contain_text("latitude 47,29720, longitude 5,00790")
    assert Beneficiary.objects.get(pk=person.pk).qpv_id == "QN02101M"
    for width in (1366, 390):
        page.set_viewport_size({"width": width, "height": 900})
        page.reload(wait_until="networkidle")
        page.screenshot(path=str(results_dir / f"participant-qpv-source-{width}.png"), full_page=True)
        assert no_sideways_overflow(page), f"La fiche déborde sur le côté à {width} px."
