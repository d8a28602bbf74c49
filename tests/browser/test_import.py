"""A facilitator imports a company's hour statement through the preview (issue 5, "done when")."""

from datetime import date
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from beneficiaries import services
from beneficiaries.choices import HoursStatus
from beneficiaries.models import HoursRecord
from tests.api.conftest import build_world
from tests.browser.conftest import log_in
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
    expect(rows.nth(0)).to_contain_text("nouveau")
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


def page_width(page) -> int:
    return page.evaluate("document.documentElement.scrollWidth")


def test_an_import_changing_a_validated_record_asks_then_links_to_validation(page, live_server, results_dir):
    world = build_world()
    february = services.declare_month(
        entries=[
            services.HoursEntry(
                placement=world.placement,
                month=date(2025, 2, 1),
                hours=Decimal("140.25"),
                expected_version=services.UNCHECKED,
            )
        ],
        user=world.owner,
    )[0].record
    services.validate_hours(records=[february, world.record], versions=services.UNCHECKED, user=world.owner)
    statement = (
        "reference_marche;numero_lot;siret_titulaire;identifiant_participant;mois;heures;heures_formation\r\n"
        f"2025-DIJ-01;1;{world.company.siret};{world.person.pk};02/2025;142;0\r\n"
        f"2025-DIJ-01;1;{world.company.siret};{world.person.pk};03/2025;100;0\r\n"
        f"2025-DIJ-01;1;{world.company.siret};{world.person.pk};04/2025;12,5;2\r\n"
    ).encode()
    page.set_viewport_size({"width": 1366, "height": 900})
    log_in(page, live_server.url, world.owner)
    page.goto(f"{live_server.url}/imports/heures/")
    page.get_by_label("Relevé d'heures").set_input_files(
        files=[{"name": "releve-fevrier.csv", "mimeType": "text/csv", "buffer": statement}]
    )
    page.get_by_role("button", name="Voir l'aperçu").click()
    expect(page.get_by_role("heading", name="Aperçu de l'import")).to_be_visible()
    rows = page.locator("table tbody tr")
    expect(rows.nth(0)).to_contain_text("140,25 → 142")
    expect(rows.nth(0)).to_contain_text("validé")
    expect(rows.nth(0)).to_contain_text("repasserait à « déclaré »")
    expect(rows.nth(1)).to_contain_text("inchangé")
    expect(rows.nth(2)).to_contain_text("nouveau")
    expect(rows.nth(2)).to_contain_text("12,5 h + 2 h de formation")
    expect(page.get_by_role("note")).to_contain_text(
        "1 relevé validé repasserait à « déclaré » et ne compterait plus dans l'avancement tant qu'il n'est pas "
        "revalidé"
    )
    for width in (1366, 390):
        page.set_viewport_size({"width": width, "height": 900})
        page.screenshot(path=str(results_dir / f"import-apercu-valides-{width}.png"), full_page=True)
        assert page_width(page) <= width, f"l'aperçu fait {page_width(page)} px de large à {width} px"

    # No silent default: confirming without choosing is refused on the question, nothing written.
    page.get_by_role("button", name="Confirmer l'import").click()
    expect(page.get_by_role("group", name="Relevés déjà validés")).to_contain_text(
        "Choisissez ce que deviennent les relevés validés"
    )
    assert HoursRecord.objects.get(pk=february.pk).status == HoursStatus.VALIDATED
    assert not HoursRecord.objects.filter(month=date(2025, 4, 1)).exists()

    page.get_by_label("Remplacer aussi les relevés validés (ils devront être revalidés)").check()
    page.get_by_role("button", name="Confirmer l'import").click()
    expect(page.get_by_role("heading", name="Import terminé")).to_be_visible()
    expect(page.get_by_role("status").last).to_contain_text("1 relevé créé, 1 mis à jour, 1 inchangé")
    february.refresh_from_db()
    assert (february.hours, february.status) == (Decimal("142"), HoursStatus.DECLARED)
    page.screenshot(path=str(results_dir / "import-termine-390.png"), full_page=True)

    page.get_by_role("link", name="Valider les relevés de 02/2025 · marché 2025-DIJ-01, lot n° 1").click()
    expect(page.get_by_role("heading", name="Saisie des heures de février 2025")).to_be_visible()
    assert f"lot={world.lot.pk}" in page.url and "status=declared" in page.url
