"""The facilitator's work queue on the home page, in a real browser: its counts lead to the grid filtered on the
lot and month where the records wait, and the page fits from 390 px to 1,366 px."""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from beneficiaries.choices import HoursStatus
from tests.beneficiaries.factories import BeneficiaryFactory, HoursRecordFactory, PlacementFactory
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
    for index, last_name in enumerate(("Arnaud", "Bernard", "Carpentier")):
        person = BeneficiaryFactory(structure=world["facilitator"], last_name=last_name, first_name="Zoé")
        placement = PlacementFactory(
            beneficiary=person,
            lot=lot,
            employer=lot.contractor,
            start_date=datetime.date(2025, 10, 1),
            end_date=datetime.date(2026, 12, 31),
        )
        if index < 2:
            HoursRecordFactory(
                placement=placement, month=datetime.date(2026, 2, 1), hours=Decimal("35"), status=HoursStatus.DECLARED
            )
    return world


def test_the_work_queue_leads_to_the_records_to_validate(page, live_server, world, results_dir):
    base = live_server.url
    page.set_default_timeout(10_000)
    log_in(page, base, world["facilitator_member"])
    page.goto(f"{base}/")
    queue = page.locator("li.card", has=page.get_by_role("heading", name="Relevés à valider"))
    lot = world["lot1"]
    line = f"Février 2026 – {lot.market.reference} lot {lot.number}"
    expect(queue.locator("li", has_text=line)).to_have_text(f"{line} : 2 relevés")
    for width in (1366, 390):
        page.set_viewport_size({"width": width, "height": 900})
        page.reload(wait_until="networkidle")
        page.screenshot(path=str(results_dir / f"home-queue-{width}.png"), full_page=True)
        assert no_sideways_overflow(page), f"L'accueil déborde sur le côté à {width} px."
    page.set_viewport_size({"width": 1366, "height": 900})
    queue.get_by_role("link", name=line).click()
    expect(page).to_have_url(f"{base}/heures/?month=2026-02&lot={lot.pk}")
    expect(page.locator("body")).to_contain_text("ARNAUD Zoé")
    expect(page.locator("body")).to_contain_text("BERNARD Zoé")
