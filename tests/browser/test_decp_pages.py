"""Published markets in a real browser (issue 17): a facilitator uploads the demo DECP file, reads the preview,
confirms, lands on « Marchés à suivre » and takes one over; the preview and the list fit from 390 px to 1,366 px."""

import pytest
from playwright.sync_api import expect

from demo.seed import DEMO_DECP
from markets.models import DecpMarket
from tests.browser.conftest import log_in
from tests.browser.test_buyer_dashboard import no_sideways_overflow
from tests.organisations.factories import FacilitationStructureFactory, MembershipFactory, UserFactory
from tests.territories.factories import CommuneFactory, DepartmentFactory, RegionFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_upload_preview_confirm_then_follow(page, live_server, results_dir):
    region = RegionFactory()
    CommuneFactory()  # Dijon, Côte-d'Or
    for code, name in (("25", "Doubs"), ("71", "Saône-et-Loire"), ("89", "Yonne")):
        DepartmentFactory(code=code, name=name, region=region)
    structure = FacilitationStructureFactory(name="PLIE du Dijonnais", region=region)
    facilitator = UserFactory(email="facilitatrice@plie.fr")
    MembershipFactory(user=facilitator, organisation=structure, role="member")
    base = live_server.url
    page.set_default_timeout(10_000)
    log_in(page, base, facilitator)

    page.goto(f"{base}/marches/")
    page.get_by_role("link", name="Marchés à suivre").click()
    page.get_by_role("link", name="Importer des marchés publiés").click()
    page.get_by_label("Fichier DECP (JSON)").set_input_files(str(DEMO_DECP))
    page.get_by_role("button", name="Voir l'aperçu").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Aperçu de l'import DECP")
    expect(page.get_by_role("row", name="Nouveaux 10")).to_be_visible()
    assert not DecpMarket.objects.exists()
    for width in (1366, 390):
        page.set_viewport_size({"width": width, "height": 900})
        assert no_sideways_overflow(page), width
        page.screenshot(path=str(results_dir / f"decp-preview-{width}.png"), full_page=True)

    page.get_by_role("button", name="Confirmer l'import").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Marchés à suivre")
    expect(page.locator("body")).to_contain_text("Import terminé : 10 nouveaux")
    expect(page.locator(".result-count")).to_have_text("7 marchés à suivre")
    for width in (1366, 390):
        page.set_viewport_size({"width": width, "height": 900})
        assert no_sideways_overflow(page), width
        page.screenshot(path=str(results_dir / f"decp-to-follow-{width}.png"), full_page=True)

    page.set_viewport_size({"width": 1366, "height": 900})
    page.get_by_role("link", name="Suivre ce marché : Réhabilitation thermique du groupe scolaire").click()
    expect(page.get_by_label("Référence")).to_have_value("DJ-2025-014")
    page.get_by_role("button", name="Suivre ce marché").click()
    expect(page.locator("body")).to_contain_text("Vous suivez le marché « DJ-2025-014 »")
    assert DecpMarket.objects.get(decp_id="DJ-2025-014").market.facilitator == structure
