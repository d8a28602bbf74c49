"""Searchable selects in a real browser (issue 14, point 5): on the placement form, a facilitator picks a person
among same-name people, a lot and an employer among same-name companies with the KEYBOARD ONLY (type in the
search, Enter to reach the select, arrow keys to choose), then saves. Screenshots at 390 and 1 366 px; the
accessibility tree names every search input and select."""

import datetime

import pytest
from playwright.sync_api import expect

from beneficiaries.models import Placement
from tests.beneficiaries.factories import BeneficiaryFactory
from tests.browser.conftest import log_in
from tests.browser.test_buyer_dashboard import no_sideways_overflow
from tests.organisations.factories import CompanyFactory
from tests.reporting.conftest import build_world

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def focused_id(page) -> str:
    return page.evaluate("document.activeElement && document.activeElement.id")


def tab_to(page, element_id: str, limit: int = 60) -> None:
    """Press Tab until the element has the focus, as a keyboard user would."""
    for _ in range(limit):
        if focused_id(page) == element_id:
            return
        page.keyboard.press("Tab")
    raise AssertionError(f"#{element_id} jamais atteint au clavier")


def arrow_to(page, select_id: str, value: str, limit: int = 40) -> None:
    """ArrowDown on the focused select until the wanted option is chosen."""
    select = page.locator(f"#{select_id}")
    for _ in range(limit):
        if select.input_value() == value:
            return
        page.keyboard.press("ArrowDown")
    raise AssertionError(f"option {value} jamais atteinte dans #{select_id}")


def search_and_pick(page, name: str, query: str, value: str, expected_status: str, status: str = "") -> None:
    """`name`: the select's name with its form prefix; `status`: its name without (the live region's id)."""
    tab_to(page, f"id_{name}_search")
    page.keyboard.type(query)
    page.keyboard.press("Enter")  # to the select, not a submission of the form
    expect(page.locator(f"#{status or name}-search-status")).to_have_text(expected_status)
    assert focused_id(page) == f"id_{name}"
    arrow_to(page, f"id_{name}", value)


def test_placement_form_with_the_keyboard_only(page, live_server, results_dir):
    world = build_world()
    structure, lot = world["facilitator"], world["lot2"]
    older = BeneficiaryFactory(
        structure=structure, last_name="Martin", first_name="Léa", birth_date=datetime.date(1990, 3, 1)
    )
    younger = BeneficiaryFactory(
        structure=structure, last_name="Martin", first_name="Léa", birth_date=datetime.date(2001, 7, 9)
    )
    contractor = lot.contractor
    contractor.name = "Bâtir Ensemble"
    contractor.save()
    namesake = CompanyFactory(name="Bâtir Ensemble")
    base = live_server.url
    page.set_default_timeout(10_000)
    log_in(page, base, world["facilitator_member"])
    page.goto(f"{base}/contrats/nouveau/")

    # The accessibility tree: each search input and each select has its own name.
    form = page.locator("form[novalidate]")
    for name in ("Rechercher le ou la participant·e", "Rechercher le lot", "Rechercher l'employeur"):
        expect(form.get_by_role("searchbox", name=name)).to_have_count(1)
    for name in ("Participant·e", "Lot", "Employeur"):
        expect(form.get_by_role("combobox", name=name, exact=True)).to_have_count(1)
    expect(page.locator("#id_beneficiary option")).to_have_count(1)  # the people are searched, never all sent

    page.locator("body").focus()
    search_and_pick(page, "beneficiary", "martin", str(younger.pk), "2 résultats : choisissez dans la liste")
    options = page.locator("#id_beneficiary option")
    expect(options).to_have_text(
        [
            "2 résultats : choisissez dans la liste",
            f"MARTIN Léa – né·e en 1990 – n° {older.pk}",
            f"MARTIN Léa – né·e en 2001 – n° {younger.pk}",
        ]
    )
    snapshot = form.aria_snapshot()  # the options as a screen reader gets them, with the live status
    assert f"MARTIN Léa – né·e en 1990 – n° {older.pk}" in snapshot
    assert f"MARTIN Léa – né·e en 2001 – n° {younger.pk}" in snapshot
    search_and_pick(page, "lot", "H25", str(lot.pk), "1 résultat : choisissez dans la liste")
    expect(page.locator("#id_lot option:checked")).to_have_text(f"H25-2025-07 – lot 1 : {lot.title}")
    search_and_pick(page, "employer", "bâtir", str(contractor.pk), "2 résultats : choisissez dans la liste")
    expect(page.locator("#id_employer option")).to_contain_text(
        [f"SIRET {contractor.siret}", f"SIRET {namesake.siret}"]
    )
    tab_to(page, "id_modality")
    arrow_to(page, "id_modality", "hire_cdd")
    tab_to(page, "id_start_date")
    page.keyboard.type("01/02/2025")
    tab_to(page, "id_end_date")
    page.keyboard.type("31/07/2025")
    for width in (1366, 390):
        page.set_viewport_size({"width": width, "height": 900})
        page.screenshot(path=str(results_dir / f"search-select-placement-{width}.png"), full_page=True)
        assert no_sideways_overflow(page), f"Le formulaire de contrat déborde sur le côté à {width} px."
    page.set_viewport_size({"width": 1366, "height": 900})
    tab_to(page, "id_job_title")
    page.keyboard.type("Maçon")
    page.keyboard.press("Enter")  # submits the form from a text input

    expect(page.get_by_role("heading", level=1)).to_contain_text("MARTIN Léa")
    placement = Placement.objects.get(beneficiary=younger)
    assert (placement.lot, placement.employer, placement.job_title) == (lot, contractor, "Maçon")
    assert placement.start_date == datetime.date(2025, 2, 1)


def test_market_form_finds_the_commune_by_name(page, live_server, results_dir):
    world = build_world()
    base = live_server.url
    page.set_default_timeout(10_000)
    log_in(page, base, world["facilitator_member"])
    page.goto(f"{base}/marches/nouveau/")
    page.locator("body").focus()
    search_and_pick(page, "execution_commune", "besan", "25056", "1 commune : choisissez dans la liste")
    expect(page.locator("#id_execution_commune option:checked")).to_have_text("Besançon (25056, 25)")
    for width in (1366, 390):
        page.set_viewport_size({"width": width, "height": 900})
        page.screenshot(path=str(results_dir / f"search-select-market-{width}.png"), full_page=True)
        assert no_sideways_overflow(page), f"Le formulaire de marché déborde sur le côté à {width} px."


def test_lot_and_operation_forms_search_the_contractor_and_the_commune(page, live_server, results_dir):
    world = build_world()
    contractor = world["lot1"].contractor
    base = live_server.url
    page.set_default_timeout(10_000)
    log_in(page, base, world["facilitator_member"])
    page.goto(f"{base}/marches/{world['market1'].pk}/lots/nouveau/")
    page.locator("body").focus()
    found = "1 résultat : choisissez dans la liste"
    search_and_pick(page, "lot-contractor", contractor.siret[:12], str(contractor.pk), found, status="contractor")
    expect(page.locator("#id_lot-contractor option:checked")).to_contain_text(f"SIRET {contractor.siret}")
    for name, url in (("lot", page.url), ("operation", f"{base}/operations/nouvelle/")):
        page.goto(url)
        for width in (1366, 390):
            page.set_viewport_size({"width": width, "height": 900})
            page.screenshot(path=str(results_dir / f"search-select-{name}-{width}.png"), full_page=True)
            assert no_sideways_overflow(page), f"Le formulaire ({name}) déborde sur le côté à {width} px."
        page.set_viewport_size({"width": 1366, "height": 900})
    expect(page.get_by_role("searchbox", name="Rechercher la commune")).to_have_count(1)
