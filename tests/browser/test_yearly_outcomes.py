"""The outcomes, the national headline set and the ESF bands on the coordinator's yearly report (issue 18, items 4
and 5), at 390 and 1,366 px: the tables read, with their legend, and nothing is wider than the screen."""

import datetime

import pytest
from django.db.models import Q
from django.utils import timezone
from playwright.sync_api import expect

from beneficiaries.choices import OutcomeResult, OutcomeStage
from beneficiaries.models import Placement
from reporting.models import PlacementYear
from tests.beneficiaries.factories import OutcomeFactory
from tests.browser.test_reporting import log_in
from tests.browser.test_yearly_overview import no_horizontal_overflow
from tests.reporting.conftest import build_world

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
TODAY = datetime.date(2026, 11, 26)


@pytest.fixture
def world(monkeypatch):
    world = build_world()
    # A woman's contract that ended in 2025 and is her last one (on a tie, the last created: the one her outcome counts
    # on, reporting.queries.OUTCOMES_LEGEND), whatever the order
    # the summary's rows were written in (it differs between SQLite and PostgreSQL).
    women = Placement.objects.filter(
        pk__in=PlacementYear.objects.filter(year=2025, is_woman=True).values("placement"), end_date__year=2025
    ).order_by("pk")
    woman = next(
        placement
        for placement in women
        if not Placement.objects.filter(beneficiary=placement.beneficiary)
        .filter(Q(end_date__gt=placement.end_date) | Q(end_date=placement.end_date, pk__gt=placement.pk))
        .exists()
    )
    OutcomeFactory(placement=woman, result=OutcomeResult.DURABLE_TEMP, observed_on=datetime.date(2026, 1, 5))
    OutcomeFactory(
        placement=woman,
        stage=OutcomeStage.AFTER_6_MONTHS,
        result=OutcomeResult.DURABLE_CDI,
        observed_on=datetime.date(2026, 7, 1),
    )
    monkeypatch.setattr(timezone, "localdate", lambda *args, **kwargs: TODAY)
    return world


@pytest.mark.parametrize("width", [390, 1366])
def test_coordinator_reads_outcomes_headline_and_bands(page, live_server, world, results_dir, width):
    base = live_server.url
    page.set_default_timeout(10_000)
    page.set_viewport_size({"width": width, "height": 900})
    log_in(page, base, world["coordinator"])
    page.goto(f"{base}/bilan-annuel/?year=2025")
    outcomes = page.locator("#tableau-sorties")
    expect(outcomes.get_by_role("row", name="Emploi durable")).to_contain_text("1")
    expect(page.locator("#table-sorties ~ .table-note")).to_contain_text("Situation au 26/11/2026")
    expect(page.locator("#tableau-chiffres_cles")).to_contain_text("Facilitateur·rices")
    expect(page.locator("#tableau-tranches_age")).to_contain_text("25 à 54 ans")
    expect(page.locator("#tableau-niveaux_etudes")).to_contain_text("CITE 0 à 2")
    expect(page.locator("#tableau-sorties_six_mois_publics")).to_contain_text("Pas encore dû")
    assert no_horizontal_overflow(page)
    for code in ("chiffres_cles", "sorties", "sorties_six_mois_publics"):
        section = page.locator(f"section[aria-labelledby='table-{code}']")
        section.scroll_into_view_if_needed()
        section.screenshot(path=str(results_dir / f"yearly-{code}-{width}.png"))
