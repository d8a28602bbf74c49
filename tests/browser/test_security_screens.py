"""The screens changed by the adversarial probe's fixes (issue 11), used as a facilitator would, at a phone's
and a laptop's width: an organisation's history, an import confirmed after a colleague's change, a validation
of a value changed since it was shown, a hostile spreadsheet."""

from datetime import date
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from beneficiaries import services
from beneficiaries.models import HoursRecord
from organisations.models import Organisation
from tests.api.conftest import build_world
from tests.organisations.factories import TEST_PASSWORD
from tests.security import hostile_files

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WIDTHS = {"mobile": {"width": 390, "height": 844}, "bureau": {"width": 1366, "height": 900}}


def log_in(page, base, user, path):
    page.goto(f"{base}{path}")
    page.get_by_label("Adresse e-mail").fill(user.email)
    page.get_by_label("Mot de passe").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Se connecter").click()


def shoot(page, results_dir, name, *, scrolls_sideways_on_phones=False):
    """A full-page screenshot at each width; the page must not scroll sideways at either (the hours grid still
    does on a phone: its layout is issue 14's)."""
    for label, size in WIDTHS.items():
        page.set_viewport_size(size)
        page.screenshot(path=str(results_dir / f"{name}-{label}.png"), full_page=True)
        overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
        if not (scrolls_sideways_on_phones and label == "mobile"):
            assert overflow <= 0, f"{name} ({label}) déborde de {overflow} px"


def test_an_admin_renames_the_structure_and_reads_its_history(page, live_server, results_dir):
    world = build_world()
    log_in(page, live_server.url, world.admin, f"/organisations/{world.structure.pk}/modifier/")
    # Its nature is shown but cannot be changed: the only choice offered is the current one.
    kind = page.locator("#id_kind")
    expect(kind.locator("option")).to_have_count(1)
    page.locator("#id_name").fill("PLIE de la Métropole de Dijon")
    page.get_by_role("button", name="Enregistrer").click()
    expect(page.get_by_role("heading", name="PLIE de la Métropole de Dijon")).to_be_visible()
    history = page.get_by_role("table").filter(has_text="Avant")
    expect(history).to_contain_text("PLIE de Dijon")
    expect(history).to_contain_text("PLIE de la Métropole de Dijon")
    expect(history).to_contain_text(world.admin.email)
    shoot(page, results_dir, "organisation-historique")
    assert Organisation.objects.get(pk=world.structure.pk).kind == world.structure.kind


def test_an_import_confirmed_after_a_colleagues_change_writes_nothing(page, live_server, results_dir):
    world = build_world()
    statement = (
        "reference_marche;numero_lot;siret_titulaire;identifiant_participant;mois;heures\r\n"
        f"2025-DIJ-01;1;{world.company.siret};{world.person.pk};04/2025;12,5\r\n"
    ).encode()
    log_in(page, live_server.url, world.owner, "/imports/heures/")
    page.get_by_label("Relevé d'heures").set_input_files(
        files=[{"name": "releve.csv", "mimeType": "text/csv", "buffer": statement}]
    )
    page.get_by_role("button", name="Voir l'aperçu").click()
    expect(page.locator("table tbody tr").first).to_contain_text("nouveau")
    # Meanwhile a colleague types the same month in the grid.
    services.declare_hours(
        entry=services.HoursEntry(
            placement=world.placement, month=date(2025, 4, 1), hours=Decimal("30"), expected_version=0
        ),
        user=world.admin,
    )
    page.get_by_role("button", name="Confirmer l'import").click()
    expect(page.get_by_text("modifié par quelqu'un d'autre entre-temps").first).to_be_visible()
    shoot(page, results_dir, "import-conflit")
    assert HoursRecord.objects.get(placement=world.placement, month=date(2025, 4, 1)).hours == Decimal("30")


def test_a_value_changed_since_it_was_shown_is_not_validated(page, live_server, results_dir):
    world = build_world()  # its March record (100 h) is declared
    log_in(page, live_server.url, world.owner, f"/heures/?month=2025-03&lot={world.lot.pk}")
    page.get_by_label("Sélectionner le relevé de DUPONT Marie").check()
    record = world.record
    services.declare_hours(
        entry=services.HoursEntry(
            placement=world.placement, month=record.month, hours=Decimal("219"), expected_version=record.version
        ),
        user=world.admin,
    )
    page.get_by_role("button", name="Valider les relevés cochés").click()
    # Told at the top, where the eye lands, not under the rejection reason; the save banner stays away.
    expect(page.locator("#review-errors")).to_contain_text("depuis que vous l'avez affiché")
    expect(page.locator("#grid-errors")).to_have_count(0)
    expect(page.locator("#reject-reason-error")).to_have_count(0)
    shoot(page, results_dir, "grille-validation-conflit", scrolls_sideways_on_phones=True)
    record.refresh_from_db()
    assert (record.hours, record.status) == (Decimal("219"), "declared")


def test_a_hostile_workbook_gets_a_french_refusal(page, live_server, results_dir):
    world = build_world()
    log_in(page, live_server.url, world.owner, "/imports/heures/")
    name, workbook = hostile_files.far_cell()  # A1:XFD1048576 with one cell in the last row, 2 KB
    page.get_by_label("Relevé d'heures").set_input_files(
        files=[
            {
                "name": name,
                "mimeType": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                "buffer": workbook,
            }
        ]
    )
    page.get_by_role("button", name="Voir l'aperçu").click()
    expect(page.get_by_role("heading", name="Importer un relevé d'heures")).to_be_visible()
    expect(page.get_by_text("lignes").first).to_be_visible()
    shoot(page, results_dir, "import-classeur-piege")
    assert not HoursRecord.objects.filter(month=date(2025, 4, 1)).exists()
