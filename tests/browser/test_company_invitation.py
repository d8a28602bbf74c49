"""Company accounts in a real browser (issue 15, point 1): a facilitator invites a company's contact from the lot's
page; the contact opens the e-mailed link, chooses a password, logs in and lands on « Mes lots » with the person it
employs; both screens fit from 390 px to 1,366 px."""

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
    CompanyFactory,
    FacilitationStructureFactory,
    MembershipFactory,
    UserFactory,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PASSWORD = "un-mot-de-passe-solide-2026"


def test_a_facilitator_invites_a_company_which_sets_its_password_and_sees_its_lot(
    page, live_server, results_dir, settings
):
    structure = FacilitationStructureFactory(name="PLIE du Beaunois")
    facilitator = UserFactory(email="facilitatrice@plie.fr")
    MembershipFactory(user=facilitator, organisation=structure, role="member")
    holder = CompanyFactory(name="Maçonnerie Dupuis")
    market = MarketFactory(facilitator=structure, reference="2026-CHANTIER-07")
    lot = ClauseFactory(lot=LotFactory(market=market, number=1, title="Gros œuvre", contractor=holder)).lot
    person = BeneficiaryFactory(structure=structure, last_name="Ravignac", first_name="Hermeline")
    people.start_placement(
        beneficiary=person,
        lot=lot,
        employer=holder,
        modality=Modality.HIRE_CDD,
        start_date=datetime.date(2025, 3, 1),
        end_date=datetime.date(2025, 12, 31),
    )
    base = live_server.url
    settings.SITE_URL = base  # the e-mail's links (sent by the task, notifications.events) lead to this server
    page.set_default_timeout(10_000)

    log_in(page, base, facilitator)
    page.goto(f"{base}/lots/{lot.pk}/")
    page.get_by_role("link", name="Comptes des entreprises").click()
    page.get_by_label("Adresse e-mail du contact").fill("chef@dupuis.fr")
    page.get_by_label("Prénom").fill("Alix")
    page.get_by_label("Nom", exact=True).fill("Dupuis")
    page.get_by_role("button", name="Inviter").click()
    expect(page.locator("body")).to_contain_text("Invitation envoyée à chef@dupuis.fr")
    expect(page.get_by_role("cell", name="Invitation en attente")).to_be_visible()
    for width in (1366, 390):
        page.set_viewport_size({"width": width, "height": 900})
        page.reload(wait_until="networkidle")
        page.screenshot(path=str(results_dir / f"company-accesses-{width}.png"), full_page=True)
        assert no_sideways_overflow(page), f"La page des comptes d'entreprise déborde à {width} px."

    (message,) = mail.outbox
    link = re.search(r"https?://\S+/entreprise/invitation/\S+/", message.body).group(0)
    context = page.context.browser.new_context(locale="fr-FR")
    contact = context.new_page()
    contact.set_default_timeout(10_000)
    contact.goto(link)
    contact.locator("#id_new_password1").fill(PASSWORD)
    contact.locator("#id_new_password2").fill(PASSWORD)
    contact.get_by_role("button", name="Enregistrer le mot de passe").click()
    expect(contact.locator("body")).to_contain_text("Votre mot de passe est enregistré")
    contact.get_by_label("Adresse e-mail").fill("chef@dupuis.fr")
    contact.get_by_label("Mot de passe").fill(PASSWORD)
    contact.get_by_role("button", name="Se connecter").click()
    expect(contact.get_by_role("heading", name="Mes lots", exact=True)).to_be_visible()
    expect(contact.get_by_role("cell", name="Ravignac")).to_be_visible()
    nav = contact.get_by_role("navigation", name="Navigation principale")
    expect(nav.get_by_role("link")).to_have_text(["Mes lots"])
    for width in (1366, 390):
        contact.set_viewport_size({"width": width, "height": 900})
        contact.reload(wait_until="networkidle")
        contact.screenshot(path=str(results_dir / f"company-first-visit-{width}.png"), full_page=True)
        assert no_sideways_overflow(contact), f"« Mes lots » déborde à {width} px."

    # The link has served: opening it again says so.
    contact.goto(link)
    expect(contact.get_by_role("alert")).to_contain_text("Ce lien d'invitation a déjà servi")
    context.close()
