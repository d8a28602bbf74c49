"""The facilitator's monthly loop for 10 people on one lot, keyboard only (issue 14, "done when"): the work queue
leads to the grid (one click), the 10 hours are typed moving with Enter, saved, ticked with "Tout cocher" and
validated with the keyboard; at most 2 clicks in all; the queue is empty afterwards and the lot's validated total
is exactly the sum typed."""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from beneficiaries.choices import HoursStatus
from beneficiaries.models import HoursRecord
from config.formatting import french_figure, french_hours
from markets.models import Lot
from organisations.models import Role
from reporting.queries import lots_progress
from tests.beneficiaries.factories import BeneficiaryFactory, PlacementFactory
from tests.browser.conftest import log_in
from tests.browser.test_buyer_dashboard import no_sideways_overflow
from tests.clauses.factories import ClauseFactory
from tests.markets.factories import MarketFactory
from tests.organisations.factories import FacilitationStructureFactory, MembershipFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
TODAY = datetime.date(2026, 3, 10)  # last month: February 2026
HOURS = ["35,25", "12,5", "7,75", "151,67", "0,5", "80", "20,25", "45,5", "60,75", "99,99"]
MAX_TABS = 200

# Trusted mouse clicks reported to the test (a click by the keyboard, Enter or Space, has `detail` 0).
COUNT_CLICKS = """
document.addEventListener("click", function (event) {
  if (event.isTrusted && event.detail > 0) { window.reportClick(); }
}, true);
"""


@pytest.fixture
def world(monkeypatch):
    monkeypatch.setattr(timezone, "localdate", lambda *args, **kwargs: TODAY)
    structure = FacilitationStructureFactory(name="PLIE de la Vallée")
    user = UserFactory(email="mois@plie.fr", first_name="Maëlle")
    MembershipFactory(user=user, organisation=structure, role=Role.MEMBER)
    market = MarketFactory(facilitator=structure, reference="2025-VAL-01")
    lot = ClauseFactory(lot__market=market).lot
    names = ["Aubert", "Blanc", "Caron", "Dupuis", "Étienne", "Faure", "Girard", "Henry", "Jacob", "Klein"]
    for name in names:
        PlacementFactory(
            beneficiary=BeneficiaryFactory(structure=structure, last_name=name, first_name="Sam"),
            lot=lot,
            employer=lot.contractor,
            start_date=datetime.date(2025, 10, 1),
            end_date=datetime.date(2026, 12, 31),
        )
    return {"user": user, "lot": lot}


def _focused(page) -> dict:
    return page.evaluate(
        "({id: document.activeElement.id, name: document.activeElement.name || '',"
        " text: (document.activeElement.textContent || '').trim()})"
    )


def _tab_to(page, matches, what: str) -> int:
    """Press Tab until the focused element matches; returns the number of presses."""
    for presses in range(1, MAX_TABS + 1):
        page.keyboard.press("Tab")
        if matches(_focused(page)):
            return presses
    raise AssertionError(f"{what} : introuvable au clavier après {MAX_TABS} tabulations.")


def test_monthly_loop_with_the_keyboard_only(page, live_server, world, results_dir):
    base = live_server.url
    page.set_default_timeout(10_000)
    page.set_viewport_size({"width": 1366, "height": 900})
    log_in(page, base, world["user"])
    clicks = []
    page.expose_binding("reportClick", lambda source: clicks.append(source["page"].url))
    page.add_init_script(COUNT_CLICKS)

    # The work queue before: 10 contracts without a February record, nothing to validate.
    page.goto(f"{base}/")
    expect(page.locator("#missing-total")).to_have_text("10")
    validate_card = page.locator("li.card", has=page.get_by_role("heading", name="Relevés à valider"))
    expect(validate_card).to_contain_text("Aucun relevé déclaré n'attend de validation.")

    # Click 1: the queue's link to the grid of the month.
    page.get_by_role("link", name="Saisir les heures de février 2026").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Saisie des heures de février 2026")
    hours_inputs = page.locator("form.hours-grid input[type=text][name$='-hours']")
    expect(hours_inputs).to_have_count(10)

    # Keyboard only from here: Tab to the first hours field, type, Enter to the next row; Enter after the last
    # row leads to the save button, Enter saves.
    tabs = _tab_to(page, lambda element: element["name"].endswith("-hours"), "Le premier champ des heures")
    first_name = _focused(page)["name"]
    assert first_name == hours_inputs.nth(0).get_attribute("name")
    for index, value in enumerate(HOURS):
        assert _focused(page)["name"] == hours_inputs.nth(index).get_attribute("name")
        page.keyboard.type(value)
        page.keyboard.press("Enter")
    assert _focused(page)["text"] == "Enregistrer la saisie"
    # ArrowUp / ArrowDown move between rows too, and Enter in a field never submits the form.
    hours_inputs.nth(3).focus()
    page.keyboard.press("ArrowDown")
    assert _focused(page)["name"] == hours_inputs.nth(4).get_attribute("name")
    page.keyboard.press("ArrowUp")
    page.keyboard.press("ArrowUp")
    assert _focused(page)["name"] == hours_inputs.nth(2).get_attribute("name")
    assert HoursRecord.objects.count() == 0
    _tab_to(page, lambda element: element["text"] == "Enregistrer la saisie", "Le bouton Enregistrer")
    page.keyboard.press("Enter")
    expect(page.locator(".messages, body").first).to_contain_text("10 relevés enregistrés.")
    expected = sum(Decimal(value.replace(",", ".")) for value in HOURS)
    totals = page.locator(f"#totals-lot-{world['lot'].pk}")
    expect(totals.locator("[data-total=declared]")).to_have_text(f"{french_figure(expected)}\u00a0h")
    expect(totals.locator("[data-total=validated]")).to_have_text("0\u00a0h")

    # Screenshots of the saved grid (checkboxes, totals) at 1,366 px and 390 px: no sideways scrolling.
    for width in (1366, 390):
        page.set_viewport_size({"width": width, "height": 900})
        page.screenshot(path=str(results_dir / f"grid-monthly-loop-{width}.png"), full_page=True)
        assert no_sideways_overflow(page), f"La grille déborde sur le côté à {width} px."
    page.set_viewport_size({"width": 1366, "height": 900})

    # "Tout cocher" with Space, then Tab to "Valider les relevés cochés" and Enter.
    _tab_to(page, lambda element: element["id"] == "review-all", "La case Tout cocher")
    page.keyboard.press("Space")
    checkboxes = page.locator("input[type=checkbox][name=review]")
    expect(checkboxes).to_have_count(10)
    for index in range(10):
        expect(checkboxes.nth(index)).to_be_checked()
    # One unticked: "Tout cocher" shows a mixed state; ticked again: checked.
    checkboxes.nth(0).press("Space")
    assert page.evaluate("document.getElementById('review-all').indeterminate")
    checkboxes.nth(0).press("Space")
    assert page.evaluate("!document.getElementById('review-all').indeterminate")
    expect(page.locator("#review-all")).to_be_checked()
    _tab_to(page, lambda element: element["text"] == "Valider les relevés cochés", "Le bouton Valider")
    page.keyboard.press("Enter")
    expect(page.locator("body")).to_contain_text("10 relevés validés.")
    expect(totals.locator("[data-total=validated]")).to_have_text(f"{french_figure(expected)}\u00a0h")
    expect(totals.locator("[data-total=declared]")).to_have_text("0\u00a0h")

    # At most 2 clicks beyond typing and validating: here 1 (the queue's link).
    assert len(clicks) <= 2, f"{len(clicks)} clics : {clicks}"
    assert len(clicks) == 1
    print(f"Boucle mensuelle : {len(clicks)} clic, {tabs} tabulations jusqu'au premier champ.")

    # The queue after: nothing missing for February, nothing to validate; the lot's validated total is the sum.
    page.goto(f"{base}/")
    expect(page.locator("#missing-total")).to_have_count(0)
    missing_card = page.locator("li.card", has=page.get_by_role("heading", name="Heures manquantes de février 2026"))
    expect(missing_card).to_contain_text("Toutes les heures de février 2026 sont saisies")
    expect(validate_card).to_contain_text("Aucun relevé déclaré n'attend de validation.")
    assert set(HoursRecord.objects.values_list("status", flat=True)) == {HoursStatus.VALIDATED}
    progress = lots_progress(Lot.objects.filter(pk=world["lot"].pk), today=TODAY)[0]
    assert progress.achieved_hours == expected
    behind = page.locator("li.card", has=page.get_by_role("heading", name="Lots en cours en retard"))
    if progress.status == "behind":
        expect(behind).to_contain_text(f"{french_hours(expected)}\u00a0h sur")


def test_the_error_list_links_put_the_focus_on_the_field_at_fault(page, live_server, world, results_dir):
    base = live_server.url
    page.set_default_timeout(10_000)
    page.set_viewport_size({"width": 1366, "height": 900})
    log_in(page, base, world["user"])
    page.goto(f"{base}/heures/?month=2026-02&q=caron")
    hours = page.get_by_label("Heures d'insertion de CARON Sam")
    hours.fill("300")
    hours.press("Enter")  # the only row: Enter leads to the save button, it does not submit
    assert HoursRecord.objects.count() == 0
    page.keyboard.press("Enter")
    alert = page.locator("#grid-errors")
    expect(alert).to_contain_text("Rien n'a été enregistré.")
    link = alert.get_by_role("link", name="CARON Sam")
    expect(link).to_have_attribute("href", f"#{hours.get_attribute('id')}")
    link.click()
    expect(hours).to_be_focused()
    expect(hours).to_have_attribute("aria-invalid", "true")
    expect(page.locator(f"#{hours.get_attribute('aria-describedby')}")).to_contain_text("maximum légal de 220 h")
    page.screenshot(path=str(results_dir / "grid-error-list-1366.png"))
    assert HoursRecord.objects.count() == 0
