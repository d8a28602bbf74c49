"""The facilitator's side of the company declarations in a real browser (issue 15, point 5): the home's work queue
(« Déclarations à vérifier », « Entreprises en retard ») leads to the review of a transmitted month, where the rows
that differ from the previous month and the warnings of the hours rules stand out. Screenshots at 390 and 1,366 px of
both pages."""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from beneficiaries import services as people
from beneficiaries.choices import Modality
from companies import declarations
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
    InsertionStructureFactory,
    MembershipFactory,
    UserFactory,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

FEBRUARY, MARCH = datetime.date(2026, 2, 1), datetime.date(2026, 3, 1)


def test_home_queue_and_review_of_a_transmitted_month(page, live_server, results_dir):
    structure = FacilitationStructureFactory(name="PLIE du Beaunois")
    facilitator = UserFactory(email="facilitatrice@plie.fr", first_name="Maëlle", last_name="Fontaine")
    MembershipFactory(user=facilitator, organisation=structure, role="member")
    holder = CompanyFactory(name="Maçonnerie Dupuis")
    temp_agency = InsertionStructureFactory(name="ETTI Bourgogne Intérim")
    market = MarketFactory(facilitator=structure, reference="2026-CHANTIER-07")
    lot = ClauseFactory(
        lot=LotFactory(
            market=market,
            number=1,
            title="Gros œuvre",
            contractor=holder,
            start_date=datetime.date(2026, 1, 1),
            end_date=datetime.date(2027, 6, 30),
        )
    ).lot

    def person(employer, last_name, first_name, start, end, modality=Modality.HIRE_CDD):
        return people.start_placement(
            beneficiary=BeneficiaryFactory(structure=structure, last_name=last_name, first_name=first_name),
            lot=lot,
            employer=employer,
            modality=modality,
            start_date=start,
            end_date=end,
        )

    ravignac = person(holder, "Ravignac", "Hermeline", datetime.date(2026, 1, 5), datetime.date(2026, 6, 30))
    bellerose = person(holder, "Bellerose", "Anatole", datetime.date(2026, 2, 1), datetime.date(2026, 8, 31))
    leaving = person(holder, "Partant", "Jules", datetime.date(2026, 1, 5), datetime.date(2026, 2, 27))
    newcomer = person(holder, "Arrivant", "Inès", datetime.date(2026, 3, 2), datetime.date(2026, 9, 30))
    # The temp agency has people on the lot last month and declared nothing: late after the 5th.
    today = timezone.localdate()
    last_month = (today.replace(day=1) - datetime.timedelta(days=1)).replace(day=1)
    person(temp_agency, "Intérimaire", "Noé", last_month, today + datetime.timedelta(days=90), Modality.ETTI_MISSION)
    contact = invite_contact(company=holder, lots=[lot], email="chef@dupuis.fr", invited_by=facilitator).user
    accept_invitation(user=contact, password=TEST_PASSWORD)
    invite_contact(company=temp_agency, lots=[lot], email="paie@etti.fr", invited_by=facilitator)
    for month, figures in (
        (FEBRUARY, ((ravignac, "100"), (bellerose, "35"), (leaving, "50"))),
        (MARCH, ((ravignac, "160"), (bellerose, "70"), (newcomer, "20"))),
    ):
        entries = [
            people.HoursEntry(placement=placement, month=month, hours=Decimal(hours), expected_version=0)
            for placement, hours in figures
        ]
        declarations.save_rows(lot=lot, company=holder, month=month, entries=entries, user=contact)
        declarations.submit(lot=lot, company=holder, month=month, user=contact)

    base = live_server.url
    page.set_default_timeout(10_000)
    log_in(page, base, facilitator)
    page.goto(f"{base}/")
    queue = page.locator("#declarations-title").locator("xpath=..")
    expect(queue).to_contain_text("2 déclarations d'entreprise transmises à vérifier.")
    if today.day > declarations.DEFAULT_DECLARATION_DEADLINE_DAY:
        expect(page.locator("#late-title").locator("xpath=..")).to_contain_text(
            "ETTI Bourgogne Intérim – 2026-CHANTIER-07 lot 1"
        )
    _screens(page, results_dir, "home-declarations-queue", "L'accueil de la facilitatrice")

    queue.get_by_role("link", name="Mars 2026 – 2026-CHANTIER-07 lot 1").click()
    expect(page.get_by_role("heading", name="Déclarations des entreprises : mars 2026")).to_be_visible()
    section = page.locator(f"#declaration-{holder.pk}")
    expect(section).to_contain_text("3 lignes à vérifier")
    flagged = section.locator("tr.row--flagged")
    expect(flagged).to_have_count(3)
    expect(section).to_contain_text("Heures en hausse de 60 h par rapport au mois précédent.")
    expect(section).to_contain_text("160 h dépasse un temps plein")
    expect(section).to_contain_text("Nouvelle personne : aucun relevé le mois précédent.")
    expect(section).to_contain_text("Plus de contrat ce mois-ci : 50 h le mois précédent.")
    _screens(page, results_dir, "declaration-review-differences", "La vérification d'un mois transmis")

    # The hours grid of that month: the transmitted rows are read-only (figures, reason, link to the review), not
    # inputs whose save the service would refuse.
    page.goto(f"{base}/heures/?month=2026-03&lot={lot.pk}")
    row = page.locator(f"#row-{ravignac.pk}")
    expect(row).to_contain_text("160")
    expect(row).to_contain_text("Lecture seule : mois déclaré par l'entreprise.")
    expect(page.locator("#grid-locked")).to_contain_text(
        "La déclaration de Maçonnerie Dupuis pour 03/2026 est « transmise »"
    )
    expect(row.locator("input")).to_have_count(0)
    expect(row.get_by_role("button", name="Aucune activité ce mois-ci")).to_have_count(0)
    _screens(page, results_dir, "grid-transmitted-month", "La grille d'un mois transmis")
    row.get_by_role("link", name="Vérifier la déclaration").click()
    expect(page.get_by_role("heading", name="Déclarations des entreprises : mars 2026")).to_be_visible()
