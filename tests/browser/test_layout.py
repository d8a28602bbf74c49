"""The layout from 390 px to 1 366 px, as a facilitator: a menu button on a phone that opens the navigation,
the whole menu on one line at 1 366 px, button variants that look distinct (the bare <button> rule used to
override them), a red border on an input in error, and no page wider than its viewport."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from beneficiaries.models import Beneficiary
from organisations.models import Role
from tests.browser.test_reporting import log_in
from tests.organisations.factories import MembershipFactory, UserFactory
from tests.reporting.conftest import build_world

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
TODAY = datetime.date(2026, 3, 1)
PHONE, LAPTOP = 390, 1366
TABLET, WIDE = 768, 1920


@pytest.fixture
def world(monkeypatch):
    monkeypatch.setattr(timezone, "localdate", lambda *args, **kwargs: TODAY)
    world = build_world()
    # An administrator of the facilitation structure sees every entry of the menu (the journal included).
    world["facilitator_admin"] = MembershipFactory(
        organisation=world["facilitator"], role=Role.ADMIN, user=UserFactory()
    ).user
    return world


def load_at(page, url, width):
    """Load the page afresh at this width, so nothing measured comes from a previous width."""
    page.set_viewport_size({"width": width, "height": 900})
    page.goto(url)
    page.reload()


def page_width(page) -> int:
    return page.evaluate("document.documentElement.scrollWidth")


def background(locator) -> str:
    return locator.evaluate("element => getComputedStyle(element).backgroundColor")


def test_menu_button_on_a_phone_one_line_menu_on_a_laptop(page, live_server, world, results_dir):
    base = live_server.url
    page.set_default_timeout(10_000)
    log_in(page, base, world["facilitator_admin"])
    nav = page.get_by_role("navigation", name="Navigation principale")
    toggle = nav.get_by_role("button", name="Menu")
    journal = nav.get_by_role("link", name="Journal des accès")

    # Phone: the links are behind a menu button, which opens and closes them.
    load_at(page, f"{base}/", PHONE)
    assert page_width(page) <= PHONE
    expect(toggle).to_be_visible()
    expect(toggle).to_have_attribute("aria-expanded", "false")
    expect(nav.get_by_role("link", name="Saisie des heures")).to_be_hidden()
    page.screenshot(path=str(results_dir / "layout-home-390.png"), full_page=True)
    header_closed = page.locator(".site-header").bounding_box()["height"]
    toggle.click()
    expect(toggle).to_have_attribute("aria-expanded", "true")
    expect(journal).to_be_visible()
    expect(nav.get_by_role("link", name="Saisie des heures")).to_be_visible()
    assert page_width(page) <= PHONE
    page.screenshot(path=str(results_dir / "layout-home-390-menu.png"), full_page=True)
    assert header_closed < 160, f"en-tête fermé de {header_closed} px sur un téléphone"
    page.keyboard.press("Escape")
    expect(toggle).to_have_attribute("aria-expanded", "false")
    expect(journal).to_be_hidden()

    # Laptop: no button, every link on one line.
    load_at(page, f"{base}/", LAPTOP)
    assert page_width(page) <= LAPTOP
    expect(toggle).to_be_hidden()
    links = nav.get_by_role("link")
    assert links.count() >= 10
    tops = {round(box["y"]) for box in (links.nth(i).bounding_box() for i in range(links.count()))}
    assert len(tops) == 1, f"le menu tient sur {len(tops)} lignes à {LAPTOP} px"
    page.screenshot(path=str(results_dir / "layout-home-1366.png"), full_page=True)


def test_button_variants_and_input_errors_look_distinct(page, live_server, world, results_dir):
    base = live_server.url
    page.set_default_timeout(10_000)
    log_in(page, base, world["facilitator_admin"])
    for width in (PHONE, LAPTOP):
        load_at(page, f"{base}/heures/?month=2025-11", width)
        assert page_width(page) <= width, f"grille de {page_width(page)} px à {width} px"
        primary = page.get_by_role("button", name="Valider les relevés cochés")
        secondary = page.get_by_role("button", name="Afficher")
        danger = page.get_by_role("button", name="Rejeter les relevés cochés")
        for button in (primary, secondary, danger):
            expect(button).to_be_visible()
        assert background(secondary) != background(primary)
        assert background(danger) != background(primary)
        assert danger.evaluate("element => getComputedStyle(element).color") == "rgb(164, 20, 27)"
        # Every hours field on screen, not off to the right of a table scrolling sideways.
        hours_fields = page.locator("input[type=text][name$='-hours']")
        assert hours_fields.count() == 3
        for index in range(hours_fields.count()):
            box = hours_fields.nth(index).bounding_box()
            assert box["x"] >= 0 and box["x"] + box["width"] <= width, f"champ d'heures hors écran à {width} px"
        page.screenshot(path=str(results_dir / f"layout-grid-{width}.png"), full_page=True)

    # Rejecting without a reason: the reason field is in error and gets a red border.
    reason = page.get_by_label("Motif du rejet")
    normal_border = reason.evaluate("element => getComputedStyle(element).borderTopColor")
    page.locator("input[type=checkbox][name=review]").first.check()
    page.get_by_role("button", name="Rejeter les relevés cochés").click()
    expect(reason).to_have_attribute("aria-invalid", "true")
    page.wait_for_load_state("load")  # the stylesheet applied before reading computed styles
    page.screenshot(path=str(results_dir / "layout-grid-reject-error.png"), full_page=True)
    assert reason.evaluate("element => getComputedStyle(element).borderTopColor") == "rgb(164, 20, 27)"
    assert normal_border != "rgb(164, 20, 27)"


def table_overflow(page, selector: str) -> int:
    """How many pixels the table's box scrolls sideways (0: it fits)."""
    return page.locator(selector).evaluate(
        "table => table.closest('.table-wrap').scrollWidth - table.closest('.table-wrap').clientWidth"
    )


def test_no_page_wider_than_the_viewport(page, live_server, world, results_dir):
    """The facilitator's main pages, each loaded afresh at 390, 768, 1 366 and 1 920 px, none wider than the
    viewport; screenshots at 390 and 1 366 px of the home, the grid, a
    participant, the lot page and the dashboard (test-results/layout-<page>-<width>.png). The dashboard's lots
    table fits at 1 366 px without scrolling sideways; at 390 px the contract tables of the person's page and of
    the lot page are cards (one per contract), not tables scrolling sideways."""
    person = Beneficiary.objects.get(last_name="Quintanilla")
    pages = {
        "home": reverse("home"),
        "grid": reverse("hours:grid") + "?month=2025-11",
        "participant": reverse("beneficiaries:detail", args=[person.pk]),
        "lot": reverse("lot_detail", args=[world["lot1"].pk]),
        "dashboard": reverse("reporting:dashboard"),
        "yearly": reverse("reporting:yearly_report"),
        "markets": reverse("markets:market_list"),
        "participants": reverse("beneficiaries:list"),
        "contracts": reverse("placements:list"),
    }
    base = live_server.url
    page.set_default_timeout(10_000)
    log_in(page, base, world["facilitator_admin"])
    too_wide = []
    for width in (PHONE, TABLET, LAPTOP, WIDE):
        for name, url in pages.items():
            load_at(page, base + url, width)
            expect(page.get_by_role("heading", level=1)).to_be_visible()
            if page_width(page) > width:
                too_wide.append(f"{name} : {page_width(page)} px à {width} px")
            if name in ("home", "grid", "participant", "lot", "dashboard") and width in (PHONE, LAPTOP):
                page.screenshot(path=str(results_dir / f"layout-page-{name}-{width}.png"), full_page=True)
            if name == "dashboard" and width == LAPTOP:
                overflow = table_overflow(page, "#tableau-lots")
                if overflow > 0:
                    too_wide.append(f"tableau des lots du tableau de bord : défile de {overflow} px à {width} px")
            if name in ("participant", "lot") and width == PHONE:
                contracts = page.locator("section[aria-labelledby=placements-title] table")
                if table_overflow(page, "section[aria-labelledby=placements-title] table") > 0:
                    too_wide.append(f"{name} : le tableau des contrats défile à {width} px")
                first_row = contracts.locator("tbody tr").first
                if first_row.evaluate("row => getComputedStyle(row).display") != "block":
                    too_wide.append(f"{name} : les contrats ne sont pas des cartes à {width} px")
    assert not too_wide, too_wide
