"""A facilitator imports a company's hour statement through the preview (issue 5, "done when")."""

from datetime import date
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from beneficiaries.models import HoursRecord
from tests.api.conftest import build_world
from tests.organisations.factories import TEST_PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_import_a_statement_through_the_preview(page, live_server, results_dir):
    world = build_world()
    statement = (
        "reference_marche;numero_lot;siret_titulaire;nom;prenom;date_naissance;mois;heures;heures_formation\r\n"
        f"2025-DIJ-01;1;{world.company.siret};Dupont;Marie;01/02/1990;04/2025;12,5;0\r\n"
        f"2025-DIJ-01;1;{world.company.siret};Dupont;Marie;01/02/1990;03/2025;100;0\r\n"
    ).encode()
    base = live_server.url
    page.goto(f"{base}/imports/heures/")
    page.get_by_label("Adresse e-mail").fill(world.owner.email)
    page.get_by_label("Mot de passe").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    expect(page.get_by_role("heading", name="Importer un relevé d'heures")).to_be_visible()
    expect(page.get_by_role("link", name="modèle XLSX")).to_be_visible()

    page.get_by_label("Relevé d'heures").set_input_files(
        files=[{"name": "releve-avril.csv", "mimeType": "text/csv", "buffer": statement}]
    )
    page.get_by_role("button", name="Voir l'aperçu").click()
    expect(page.get_by_role("heading", name="Aperçu de l'import")).to_be_visible()
    rows = page.locator("table tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.nth(0)).to_contain_text("à créer")
    expect(rows.nth(0)).to_contain_text("12,5")
    expect(rows.nth(1)).to_contain_text("inchangé")
    page.screenshot(path=str(results_dir / "import-apercu.png"), full_page=True)
    assert not HoursRecord.objects.filter(month=date(2025, 4, 1)).exists()

    page.get_by_role("button", name="Confirmer l'import").click()
    expect(page.get_by_role("heading", name="Import terminé")).to_be_visible()
    expect(page.get_by_role("status").last).to_contain_text("1 relevé créé")
    assert HoursRecord.objects.get(placement=world.placement, month=date(2025, 4, 1)).hours == Decimal("12.5")


def test_a_refused_row_blocks_the_import(page, live_server):
    world = build_world()
    statement = (
        "reference_marche;numero_lot;siret_titulaire;identifiant_participant;mois;heures\r\n"
        f"2025-DIJ-01;1;{world.company.siret};{world.person.pk};04/2025;300\r\n"
    ).encode()
    page.goto(f"{live_server.url}/imports/heures/")
    page.get_by_label("Adresse e-mail").fill(world.owner.email)
    page.get_by_label("Mot de passe").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    page.get_by_label("Relevé d'heures").set_input_files(
        files=[{"name": "releve.csv", "mimeType": "text/csv", "buffer": statement}]
    )
    page.get_by_role("button", name="Voir l'aperçu").click()
    expect(page.get_by_role("alert")).to_contain_text(
        "Ligne 2 : 300 h dépasse le maximum légal de 220 h par mois pour un contrat."
    )
    expect(page.get_by_role("button", name="Confirmer l'import")).to_have_count(0)
    assert not HoursRecord.objects.filter(month=date(2025, 4, 1)).exists()
