"""The company's own spreadsheet in a real browser (issue 15, point 2): from its declaration page it downloads the
template pre-filled with its people, uploads it with the hours, sees the preview (« avant → après »), confirms, and
the grid shows the hours saved; then it proposes a new person. Screenshots at 390 and 1,366 px of the preview, of
the declaration page with its upload form, and of the proposal form."""

import datetime

import pytest
from playwright.sync_api import expect

from beneficiaries import services as people
from beneficiaries.choices import HoursSource, Modality
from beneficiaries.models import HoursRecord
from companies.models import PersonProposal
from companies.services import accept_invitation, invite_contact
from tests.beneficiaries.factories import BeneficiaryFactory
from tests.browser.conftest import log_in
from tests.browser.test_company_declaration import _screens
from tests.clauses.factories import ClauseFactory
from tests.markets.factories import LotFactory, MarketFactory
from tests.organisations.factories import (
    TEST_PASSWORD,
    CompanyFactory,
    FacilitationStructureFactory,
    MembershipFactory,
    UserFactory,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_company_uploads_its_spreadsheet_sees_the_preview_and_confirms(page, live_server, results_dir, tmp_path):
    structure = FacilitationStructureFactory(name="PLIE du Beaunois")
    facilitator = UserFactory(email="facilitatrice@plie.fr", first_name="Maëlle", last_name="Fontaine")
    MembershipFactory(user=facilitator, organisation=structure, role="member")
    holder = CompanyFactory(name="Maçonnerie Dupuis")
    market = MarketFactory(facilitator=structure, reference="2026-CHANTIER-07")
    lot = ClauseFactory(
        lot=LotFactory(
            market=market,
            number=1,
            title="Gros œuvre",
            contractor=holder,
            start_date=datetime.date(2026, 1, 1),
            end_date=datetime.date(2026, 12, 31),
        )
    ).lot
    for last_name, first_name in (("Ravignac", "Hermeline"), ("Bellerose", "Anatole")):
        people.start_placement(
            beneficiary=BeneficiaryFactory(structure=structure, last_name=last_name, first_name=first_name),
            lot=lot,
            employer=holder,
            modality=Modality.HIRE_CDD,
            start_date=datetime.date(2026, 1, 5),
            end_date=datetime.date(2026, 6, 30),
        )
    invitation = invite_contact(
        company=holder,
        lots=[lot],
        email="chef@dupuis.fr",
        invited_by=facilitator,
        first_name="Alix",
        last_name="Dupuis",
    )
    accept_invitation(user=invitation.user, password=TEST_PASSWORD)
    base = live_server.url
    page.set_default_timeout(10_000)
    log_in(page, base, invitation.user)
    page.goto(f"{base}/entreprise/lots/{lot.pk}/declaration/2026-03/")
    expect(page.locator("#upload-title")).to_be_visible()
    _screens(page, results_dir, "company-upload-form", "La déclaration avec le dépôt de tableur")

    # The template, pre-filled with its people: the company fills in the hours.
    with page.expect_download() as download:
        page.get_by_role("link", name="modèle CSV").click()
    template = tmp_path / "modele.csv"
    download.value.save_as(template)
    text = template.read_text(encoding="utf-8-sig")
    assert "RAVIGNAC;Hermeline;03/2026;;0" in text and "BELLEROSE;Anatole;03/2026;;0" in text
    filled = tmp_path / "heures-mars.csv"
    filled.write_text(
        text.replace("RAVIGNAC;Hermeline;03/2026;;0", "RAVIGNAC;Hermeline;03/2026;121,5;3").replace(
            "BELLEROSE;Anatole;03/2026;;0", "BELLEROSE;Anatole;03/2026;0;0"
        ),
        encoding="utf-8-sig",
    )
    page.get_by_label("Tableur des heures (CSV ou XLSX)").set_input_files(str(filled))
    page.get_by_role("button", name="Voir l'aperçu").click()
    expect(page.get_by_role("heading", name="Aperçu de votre tableur de mars 2026")).to_be_visible()
    expect(page.locator("#upload-summary")).to_contain_text("2 nouveaux relevés")
    expect(page.locator("table.import-preview")).to_contain_text("121,5 h + 3 h de formation")
    expect(page.locator("table.import-preview")).to_contain_text("aucune activité")
    expect(page.locator("table.import-preview")).to_contain_text("RAVIGNAC Hermeline")
    assert not HoursRecord.objects.exists()  # the preview wrote nothing
    for width in (1366, 390):  # the preview is a POST answer: screenshot it as it is, without reloading
        page.set_viewport_size({"width": width, "height": 900})
        page.screenshot(path=str(results_dir / f"company-upload-preview-{width}.png"), full_page=True)
    page.set_viewport_size({"width": 1280, "height": 900})

    page.get_by_role("button", name="Confirmer et enregistrer").click()
    expect(page.locator("body")).to_contain_text("2 relevé(s) créé(s)")
    expect(page.get_by_label("Heures d'insertion de RAVIGNAC Hermeline")).to_have_value("121,50")
    expect(page.locator(".timeline__step").first).to_contain_text("Heures enregistrées")
    assert {record.source for record in HoursRecord.objects.all()} == {HoursSource.COMPANY}

    # A row for another month is refused with its row number.
    wrong = tmp_path / "heures-avril.csv"
    wrong.write_text(filled.read_text(encoding="utf-8-sig").replace("03/2026;121,5", "04/2026;121,5"), "utf-8-sig")
    page.get_by_label("Tableur des heures (CSV ou XLSX)").set_input_files(str(wrong))
    page.get_by_role("button", name="Voir l'aperçu").click()
    expect(page.locator("#erreurs")).to_contain_text("Ligne 3 : Ligne du mois 04/2026")
    expect(page.get_by_role("button", name="Confirmer et enregistrer")).to_have_count(0)

    # It proposes a new person, and sees the proposal on its lot page.
    page.goto(f"{base}/entreprise/lots/{lot.pk}/")
    page.get_by_role("link", name="Proposer une nouvelle personne").click()
    page.locator("#id_last_name").fill("Vasquerel")
    page.locator("#id_first_name").fill("Ombeline")
    page.locator("#id_birth_date").fill("14/07/1991")
    page.locator("#id_modality").select_option(Modality.HIRE_CDD)
    page.locator("#id_start_date").fill("01/04/2026")
    _screens(page, results_dir, "company-propose", "La proposition d'une personne")
    page.locator("#id_last_name").fill("Vasquerel")
    page.locator("#id_first_name").fill("Ombeline")
    page.locator("#id_birth_date").fill("14/07/1991")
    page.locator("#id_modality").select_option(Modality.HIRE_CDD)
    page.locator("#id_start_date").fill("01/04/2026")
    page.get_by_role("button", name="Envoyer la proposition").click()
    expect(page.locator("#proposals")).to_contain_text("VASQUEREL Ombeline")
    expect(page.locator("#proposals")).to_contain_text("À la facilitatrice de vérifier")
    assert PersonProposal.objects.get().company == holder

    # The facilitator sees it on the lot page, opens it and accepts: the company then declares the person's hours.
    facilitation = page.context.browser.new_context(locale="fr-FR", timezone_id="Europe/Paris")
    checker = facilitation.new_page()
    checker.set_default_timeout(10_000)
    log_in(checker, base, facilitator)
    checker.goto(f"{base}/lots/{lot.pk}/")
    checker.locator("#pending-proposals").get_by_role("link", name="VASQUEREL Ombeline").click()
    expect(checker.locator("#new-person")).to_be_visible()
    _screens(checker, results_dir, "proposal-review", "La proposition vue par la facilitatrice")
    checker.locator("#id_end_date").fill("30/09/2026")
    checker.locator("#id_sex").select_option("F")
    checker.locator("#id_prescriber_type").select_option("plie")
    checker.get_by_role("button", name="Accepter et créer le contrat").click()
    expect(checker.locator("body")).to_contain_text("Proposition acceptée")
    expect(checker.locator("#proposal-status")).to_contain_text("Acceptée")
    page.goto(f"{base}/entreprise/lots/{lot.pk}/declaration/2026-04/")
    expect(page.get_by_label("Heures d'insertion de VASQUEREL Ombeline")).to_be_visible()
    facilitation.close()
