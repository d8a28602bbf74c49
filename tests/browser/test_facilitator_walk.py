"""A new facilitator's first day, from the login page to the lot's progress (issue 3, "done when")."""

import datetime
import re

import pytest
from playwright.sync_api import expect

from beneficiaries.models import HoursRecord, Placement
from markets.models import Lot
from organisations.models import Role
from tests.beneficiaries.factories import BeneficiaryFactory
from tests.markets.factories import TradeFactory
from tests.organisations.factories import (
    TEST_PASSWORD,
    BuyerFactory,
    CompanyFactory,
    FacilitationStructureFactory,
    MembershipFactory,
    UserFactory,
)
from tests.territories.factories import CommuneFactory, QpvFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def world():
    structure = FacilitationStructureFactory(name="PLIE du Grand Dijon")
    user = UserFactory(email="nouvelle@plie.fr", first_name="Nora")
    MembershipFactory(user=user, organisation=structure, role=Role.MEMBER)
    commune = CommuneFactory()
    QpvFactory(communes=[commune], name="Grésilles", code="QN02101M")
    return {
        "structure": structure,
        "user": user,
        "buyer": BuyerFactory(name="Ville de Dijon"),
        "company": CompanyFactory(name="Bâtir Bourgogne"),
        "trade": TradeFactory(),
    }


def test_new_facilitator_records_a_month_and_sees_the_lot_progress(page, live_server, world, results_dir):
    base = live_server.url
    page.set_default_timeout(10_000)

    # Log in.
    page.goto(f"{base}/")
    expect(page).to_have_url(re.compile(r"/compte/connexion/"))
    page.get_by_label("Adresse e-mail").fill("nouvelle@plie.fr")
    page.get_by_label("Mot de passe").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Bonjour Nora")

    # A market, then its lot with a clause; the calibration updates while typing.
    page.goto(f"{base}/marches/nouveau/")
    page.get_by_label("Référence").fill("2025-TRX-01")
    page.get_by_label("Objet").fill("Rénovation du groupe scolaire Champollion")
    page.get_by_label("Acheteur").select_option(label="Ville de Dijon")
    page.get_by_label("Type de marché").select_option(label="Travaux")
    page.get_by_label("Rechercher la commune d'exécution").fill("21231")
    expect(page.locator("#id_execution_commune")).to_have_value("21231")
    page.get_by_label("Début d'exécution").fill("2025-01-01")
    page.get_by_label("Fin d'exécution").fill("2026-12-31")
    page.get_by_label("Montant HT (€)").fill("1000000")
    page.get_by_role("button", name="Enregistrer").click()
    expect(page).to_have_url(re.compile(r"/marches/\d+/lots/nouveau/$"))  # straight on to the first lot
    page.get_by_label("Intitulé").fill("Gros œuvre")
    company = world["company"]
    page.get_by_role("combobox", name="Titulaire", exact=True).select_option(
        label=f"Bâtir Bourgogne – SIRET {company.siret} (Entreprise)"
    )
    page.get_by_label("Montant HT (€)").fill("1000000")
    page.get_by_label("Ce lot porte une clause sociale").check()
    page.get_by_label("Part de main-d'œuvre (%)").fill("50")
    page.get_by_label("Taux d'insertion (%)").fill("5")
    page.get_by_label("Coût horaire chargé (€/h)").fill("30")
    expect(page.locator("#calibration .calibration__result")).to_have_text(re.compile(r"^833\s*h$"))
    page.get_by_role("button", name="Enregistrer le lot").click()
    lot = Lot.objects.get(title="Gros œuvre")
    assert lot.clause.target_hours == 833

    # A beneficiary: the commune is searched, the QPV offered are the commune's.
    page.goto(f"{base}/participants/nouveau/")
    page.locator("#id_last_name").fill("Benali")
    page.get_by_label("Prénom").fill("Samira")
    page.get_by_label("Sexe").select_option(label="Femme")
    page.get_by_label("Date de naissance").fill("12/05/2001")
    page.get_by_label("Rechercher la commune de résidence").fill("Dijo")
    expect(page.locator("#id_commune")).to_have_value("21231")
    expect(page.locator("#id_qpv option", has_text="Grésilles")).to_have_count(1)
    page.get_by_label("Quartier prioritaire de résidence").select_option(label="Grésilles (QN02101M)")
    page.get_by_label("Type de prescripteur").select_option(label="Mission locale")
    page.get_by_role("button", name="Enregistrer").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("BENALI Samira")

    # Her placement on the lot.
    page.get_by_role("link", name="Nouveau contrat").click()
    page.get_by_role("combobox", name="Lot", exact=True).select_option(label="2025-TRX-01 – lot 1 : Gros œuvre")
    page.get_by_role("combobox", name="Employeur", exact=True).select_option(
        label=f"Bâtir Bourgogne – SIRET {company.siret} (Entreprise)"
    )
    page.get_by_label("Modalité").select_option(label="Embauche directe en CDD")
    page.get_by_label("Début du contrat").fill("01/02/2025")
    page.get_by_label("Fin du contrat").fill("31/07/2025")
    page.get_by_role("button", name="Enregistrer le contrat").click()
    expect(page.locator(".message--success")).to_contain_text("Le contrat est enregistré")
    placement = Placement.objects.get(beneficiary__last_name="Benali")
    assert placement.is_woman and placement.is_youth and placement.is_qpv_resident

    # A colleague's placement on the same lot, so the grid has two rows.
    colleague = BeneficiaryFactory(structure=world["structure"], last_name="Durand", first_name="Marc")
    other = Placement.objects.create(
        beneficiary=colleague,
        lot=lot,
        employer=world["company"],
        modality="hire_cdi",
        start_date=datetime.date(2025, 1, 1),
        end_date=datetime.date(2025, 12, 31),
    )

    # The lot page before any hours.
    page.goto(f"{base}/lots/{lot.pk}/")
    expect(page.locator("#kpi-achieved")).to_have_text(re.compile(r"^0\s*h$"))

    # March 2025 in the grid: one invalid row, nothing saved.
    page.goto(f"{base}/heures/?month=2025-03")
    page.get_by_label("Heures d'insertion de BENALI Samira").fill("35,5")
    page.get_by_label("Heures d'insertion de DURAND Marc").fill("300")
    page.get_by_role("button", name="Enregistrer la saisie").first.click()
    expect(page.locator(f"#row-{other.pk}-errors")).to_contain_text("300 h dépasse le maximum légal de 220 h")
    expect(page.get_by_label("Heures d'insertion de DURAND Marc")).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_label("Heures d'insertion de BENALI Samira")).to_have_value("35,5")
    expect(page.get_by_role("alert")).to_contain_text("Rien n'a été enregistré")
    assert not HoursRecord.objects.exists()

    # Corrected and saved.
    page.get_by_label("Heures d'insertion de DURAND Marc").fill("120")
    page.get_by_role("button", name="Enregistrer la saisie").first.click()
    expect(page.locator(".message--success")).to_contain_text("2 relevés enregistrés")
    assert HoursRecord.objects.count() == 2

    # Only validated hours count: validate both records.
    page.get_by_label("Sélectionner le relevé de BENALI Samira").check()
    page.get_by_label("Sélectionner le relevé de DURAND Marc").check()
    page.get_by_role("button", name="Valider les relevés cochés").click()
    expect(page.locator(".message--success")).to_contain_text("2 relevés validés")

    # The lot's achievement has changed: 155.5 h of 833 h.
    page.goto(f"{base}/lots/{lot.pk}/")
    expect(page.locator("#kpi-achieved")).to_have_text(re.compile(r"^155,5\s*h$"))
    expect(page.locator("#kpi-rate")).to_have_text(re.compile(r"^18,7\s*%$"))
    expect(page.get_by_role("table", name="Heures validées par mois (les chiffres du graphique)")).to_contain_text(
        "155,5"
    )
    page.wait_for_function("() => document.querySelector('#lot-chart')?.width > 0")
    page.screenshot(path=str(results_dir / "facilitator_walk_lot_page.png"), full_page=True)
