"""The home's « Critères qui expirent dans les 30 jours » in a real browser: its line leads to the person's page,
and the page fits from 390 px to 1,366 px."""

import datetime

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from beneficiaries.choices import Criterion
from tests.beneficiaries.factories import BeneficiaryCriterionFactory, BeneficiaryFactory, PlacementFactory
from tests.browser.test_buyer_dashboard import no_sideways_overflow
from tests.browser.test_reporting import log_in
from tests.reporting.conftest import build_world

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
TODAY = datetime.date(2026, 3, 10)


@pytest.fixture
def world(monkeypatch):
    monkeypatch.setattr(timezone, "localdate", lambda *args, **kwargs: TODAY)
    world = build_world()
    lot = world["lot1"]
    # 26 on 20/03/2026: « moins de 26 ans » ends within 30 days.
    person = BeneficiaryFactory(
        structure=world["facilitator"], last_name="Arnaud", first_name="Zoé", birth_date=datetime.date(2000, 3, 20)
    )
    BeneficiaryCriterionFactory(
        beneficiary=person, criterion=Criterion.YOUTH_LOW_QUALIFICATION, validated_on=datetime.date(2025, 9, 1)
    )
    PlacementFactory(
        beneficiary=person,
        lot=lot,
        employer=lot.contractor,
        start_date=datetime.date(2025, 10, 1),
        end_date=datetime.date(2026, 12, 31),
    )
    world["person"] = person
    return world


def test_expiring_criteria_lead_to_the_person(page, live_server, world, results_dir):
    base = live_server.url
    page.set_default_timeout(10_000)
    log_in(page, base, world["facilitator_member"])
    page.goto(f"{base}/")
    card = page.locator("li.card", has=page.get_by_role("heading", name="Critères qui expirent dans les 30 jours"))
    expect(card.locator("#expiring-total")).to_have_text("1")
    expect(card).to_contain_text("expire le 20/03/2026")
    for width in (1366, 390):
        page.set_viewport_size({"width": width, "height": 900})
        page.reload(wait_until="networkidle")
        card.scroll_into_view_if_needed()
        page.screenshot(path=str(results_dir / f"home-expiring-{width}.png"), full_page=True)
        assert no_sideways_overflow(page), f"L'accueil déborde sur le côté à {width} px."
    page.set_viewport_size({"width": 1366, "height": 900})
    card.get_by_role("link", name="ARNAUD Zoé").click()
    expect(page).to_have_url(f"{base}/participants/{world['person'].pk}/")
