"""The company loop in a real browser (issue 15, first « done when »): a facilitator invites a company; the company
sets its password from the e-mail, declares March and transmits; the facilitator asks for a correction on one row;
the company corrects and retransmits; the facilitator validates. The lot's progress, the buyer's dashboard and the
yearly report move only then; the timeline shows each step with its actor; the buyer sees the status without names.
Screenshots at 390 and 1,366 px of the company's declaration page and of the facilitator's review page."""

import datetime
import re

import pytest
from django.core import mail
from playwright.sync_api import expect

from beneficiaries import services as people
from beneficiaries.choices import Modality
from tests.beneficiaries.factories import BeneficiaryFactory
from tests.browser.conftest import log_in
from tests.browser.test_buyer_dashboard import no_sideways_overflow
from tests.clauses.factories import ClauseFactory
from tests.markets.factories import LotFactory, MarketFactory
from tests.organisations.factories import (
    BuyerFactory,
    CompanyFactory,
    FacilitationStructureFactory,
    MembershipFactory,
    UserFactory,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _screens(page, results_dir, name, label):
    for width in (1366, 390):
        page.set_viewport_size({"width": width, "height": 900})
        page.reload(wait_until="networkidle")
        page.screenshot(path=str(results_dir / f"{name}-{width}.png"), full_page=True)
        assert no_sideways_overflow(page), f"{label} déborde à {width} px."
    page.set_viewport_size({"width": 1280, "height": 900})


PASSWORD = "un-mot-de-passe-solide-2026"


def test_invite_declare_correct_resubmit_validate(page, live_server, results_dir, settings):
    structure = FacilitationStructureFactory(name="PLIE du Beaunois")
    facilitator = UserFactory(email="facilitatrice@plie.fr", first_name="Maëlle", last_name="Fontaine")
    MembershipFactory(user=facilitator, organisation=structure, role="member")
    buyer = BuyerFactory(name="Ville de Beaune")
    buyer_user = UserFactory(email="acheteur@beaune.fr")
    MembershipFactory(user=buyer_user, organisation=buyer, role="admin")
    holder = CompanyFactory(name="Maçonnerie Dupuis")
    market = MarketFactory(facilitator=structure, buyer=buyer, reference="2026-CHANTIER-07")
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
    base = live_server.url
    settings.SITE_URL = base  # the invitation's link (sent by the task) leads to this server
    page.set_default_timeout(10_000)

    # The buyer's dashboard and the yearly report before anything is declared.
    buyer_context = page.context.browser.new_context(locale="fr-FR")
    buyer_page = buyer_context.new_page()
    buyer_page.set_default_timeout(10_000)
    log_in(buyer_page, base, buyer_user)
    buyer_page.goto(f"{base}/tableau-de-bord/?year=2026")
    dashboard_before = buyer_page.locator("#heures-total").inner_text()
    log_in(page, base, facilitator)
    page.goto(f"{base}/bilan-annuel/?year=2026")
    expect(page.locator("main")).to_contain_text("2026")
    assert "127,5" not in page.locator("main").inner_text()  # the structure has no validated hour yet
    page.goto(f"{base}/lots/{lot.pk}/")
    achieved_before = page.locator("#kpi-achieved").inner_text()

    # The facilitator invites the company's contact; the contact sets its password from the e-mail.
    page.get_by_role("link", name="Comptes des entreprises").click()
    page.get_by_label("Adresse e-mail du contact").fill("chef@dupuis.fr")
    page.get_by_label("Prénom").fill("Alix")
    page.get_by_label("Nom", exact=True).fill("Dupuis")
    page.get_by_role("button", name="Inviter").click()
    expect(page.locator("body")).to_contain_text("Invitation envoyée à chef@dupuis.fr")
    (message,) = mail.outbox
    link = re.search(r"https?://\S+/entreprise/invitation/\S+/", message.body).group(0)
    context = page.context.browser.new_context(locale="fr-FR", timezone_id="Europe/Paris")
    company = context.new_page()
    company.set_default_timeout(10_000)
    company.goto(link)
    company.locator("#id_new_password1").fill(PASSWORD)
    company.locator("#id_new_password2").fill(PASSWORD)
    company.get_by_role("button", name="Enregistrer le mot de passe").click()
    expect(company.locator("body")).to_contain_text("Votre mot de passe est enregistré")
    company.get_by_label("Adresse e-mail").fill("chef@dupuis.fr")
    company.get_by_label("Mot de passe").fill(PASSWORD)
    company.get_by_role("button", name="Se connecter").click()
    expect(company.get_by_role("heading", name="Mes lots", exact=True)).to_be_visible()

    # The company declares March and transmits.
    company.goto(f"{base}/entreprise/lots/{lot.pk}/")
    company.get_by_role("link", name="mars 2026").click()
    expect(company.get_by_role("heading", name="Déclaration de mars 2026")).to_be_visible()
    company.get_by_label("Heures d'insertion de RAVIGNAC Hermeline").fill("120")
    company.get_by_label("Aucune activité pour BELLEROSE Anatole").check()
    company.get_by_role("button", name="Enregistrer et transmettre").click()
    expect(company.locator("body")).to_contain_text("Déclaration transmise : la facilitatrice va la vérifier.")
    expect(company.locator("#next-step")).to_have_text("À la facilitatrice de valider")

    # The facilitator sees it on the lot page and asks for a correction on one row.
    page.goto(f"{base}/lots/{lot.pk}/")
    expect(page.locator("#lot-declarations")).to_contain_text("Transmise")
    page.get_by_role("link", name="Vérifier les déclarations de mars 2026").click()
    section = page.locator(f"#declaration-{holder.pk}")
    expect(section).to_contain_text("À la facilitatrice de valider")
    section.get_by_label("RAVIGNAC Hermeline").check()
    section.get_by_label("Ce qui doit être corrigé").fill("Il manque la semaine du 30 mars.")
    section.get_by_role("button", name="Demander une correction").click()
    expect(page.locator("body")).to_contain_text("Correction demandée à Maçonnerie Dupuis")
    expect(page.locator(f"#declaration-{holder.pk}")).to_contain_text("À l'entreprise de corriger")

    # The company corrects the row and retransmits.
    company.reload()
    expect(company.locator("#correction-request")).to_contain_text("Il manque la semaine du 30 mars.")
    expect(company.locator("#next-step")).to_have_text("À l'entreprise de corriger")
    company.get_by_label("Heures d'insertion de RAVIGNAC Hermeline").fill("127,5")
    company.get_by_role("button", name="Enregistrer et retransmettre").click()
    expect(company.locator("body")).to_contain_text("Déclaration corrigée retransmise")
    _screens(company, results_dir, "company-declaration", "La déclaration de l'entreprise")

    # Not validated yet: the lot's validated hours, the buyer's dashboard and the yearly report have not moved.
    page.goto(f"{base}/lots/{lot.pk}/")
    expect(page.locator("#kpi-achieved")).to_have_text(achieved_before)
    buyer_page.goto(f"{base}/tableau-de-bord/?year=2026")
    expect(buyer_page.locator("#heures-total")).to_have_text(dashboard_before)
    page.goto(f"{base}/bilan-annuel/?year=2026")
    expect(page.locator("main")).to_contain_text("2026")
    assert "127,5" not in page.locator("main").inner_text()
    page.goto(f"{base}/lots/{lot.pk}/")
    page.get_by_role("link", name="Vérifier les déclarations de mars 2026").click()
    expect(page.locator(f"#declaration-{holder.pk}")).to_contain_text("Retransmise")
    _screens(page, results_dir, "declaration-review", "La vérification des déclarations")
    page.get_by_role("button", name="Valider la déclaration").click()
    expect(page.locator("body")).to_contain_text("Déclaration de Maçonnerie Dupuis validée")

    # The timeline: each step with its actor and its date.
    timeline = page.locator(f"#declaration-{holder.pk} .timeline__step")
    expect(timeline).to_have_count(6)
    texts = timeline.all_inner_texts()
    for text, (step, actor) in zip(
        texts,
        (
            ("Heures enregistrées", "Alix Dupuis (Maçonnerie Dupuis)"),
            ("Déclaration transmise", "Alix Dupuis (Maçonnerie Dupuis)"),
            ("Correction demandée", "Maëlle Fontaine (PLIE du Beaunois)"),
            ("Heures enregistrées", "Alix Dupuis (Maçonnerie Dupuis)"),
            ("Déclaration retransmise", "Alix Dupuis (Maçonnerie Dupuis)"),
            ("Déclaration validée", "Maëlle Fontaine (PLIE du Beaunois)"),
        ),
        strict=True,
    ):
        assert text.startswith(step) and f"par {actor}" in text, text
    assert "RAVIGNAC Hermeline : 120 h → 127,5 h" in texts[3]

    # Validated: the lot's validated hours, the buyer's dashboard and the yearly report move; the month is locked.
    page.goto(f"{base}/lots/{lot.pk}/")
    expect(page.locator("#kpi-achieved")).not_to_have_text(achieved_before)
    expect(page.locator("#kpi-achieved")).to_contain_text("127,5")
    buyer_page.goto(f"{base}/tableau-de-bord/?year=2026")
    expect(buyer_page.locator("#heures-total")).to_contain_text("127,5")
    page.goto(f"{base}/bilan-annuel/?year=2026")
    expect(page.locator("#heures-annee")).to_contain_text("127,5")
    company.reload()
    expect(company.locator("body")).to_contain_text("Ce mois est validé : ses heures sont verrouillées.")

    # The buyer: the status, without any name.
    buyer_page.goto(f"{base}/lots/{lot.pk}/")
    expect(buyer_page.locator("#lot-declarations")).to_contain_text("Validée")
    body = buyer_page.locator("body").inner_text()
    assert "Ravignac" not in body and "RAVIGNAC" not in body and "Hermeline" not in body
    for other in (context, buyer_context):  # before the live server stops
        other.close()
