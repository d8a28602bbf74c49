"""A company contact reaches its API tokens from the account menu (issue 15, point 6), creates one and reads what it
opens; its payroll software then lists its lots through the company API with it. Screenshots at 390 and 1,366 px of
the tokens page as a company account."""

import datetime

import pytest
from playwright.sync_api import expect
from rest_framework.test import APIClient

from beneficiaries import services as people
from beneficiaries.choices import Modality
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


def test_a_company_creates_a_token_and_its_software_lists_its_lots(page, live_server, results_dir):
    structure = FacilitationStructureFactory(name="PLIE du Beaunois")
    facilitator = UserFactory(email="facilitatrice@plie.fr")
    MembershipFactory(user=facilitator, organisation=structure, role="member")
    holder = CompanyFactory(name="Maçonnerie Dupuis")
    lot = ClauseFactory(
        lot=LotFactory(
            market=MarketFactory(facilitator=structure, reference="2026-CHANTIER-07"),
            number=1,
            title="Gros œuvre",
            contractor=holder,
        )
    ).lot
    people.start_placement(
        beneficiary=BeneficiaryFactory(structure=structure, last_name="Ravignac", first_name="Hermeline"),
        lot=lot,
        employer=holder,
        modality=Modality.HIRE_CDD,
        start_date=datetime.date(2026, 1, 5),
        end_date=datetime.date(2026, 6, 30),
    )
    invitation = invite_contact(company=holder, lots=[lot], email="paie@dupuis.fr", invited_by=facilitator)
    contact = accept_invitation(user=invitation.user, password=TEST_PASSWORD)
    base = live_server.url

    log_in(page, base, contact)
    page.get_by_text("Mon compte").click()
    page.get_by_role("link", name="Jetons d'API").click()
    expect(page.get_by_role("heading", name="Mes jetons d'API")).to_be_visible()
    expect(page.get_by_text("/api/v1/company/")).to_be_visible()
    page.get_by_label("Nom du jeton").fill("Logiciel de paie")
    page.get_by_role("button", name="Créer le jeton").click()
    key = page.get_by_test_id("new-token").inner_text()
    page.screenshot(path=str(results_dir / "company-api-token-new-1280.png"), full_page=True)
    _screens(page, results_dir, "company-api-tokens", "La page des jetons d'une entreprise")
    expect(page.get_by_role("cell", name="Logiciel de paie", exact=True)).to_be_visible()

    software = APIClient()
    software.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    response = software.get("/api/v1/company/lots/")
    assert response.status_code == 200
    assert [item["market_reference"] for item in response.json()] == ["2026-CHANTIER-07"]
    assert software.get("/api/v1/markets/").status_code == 403
