"""Dashboards, market bilans and the yearly report: who sees what, small counts, fixed query counts."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.clauses.factories import ClauseFactory
from tests.markets.factories import LotFactory, MarketFactory
from tests.reporting.conftest import SECRET_NAMES, add_hours
from tests.territories.factories import CommuneFactory, DepartmentFactory, RegionFactory

DASHBOARD = reverse("reporting:dashboard")
REPORT = reverse("reporting:yearly_report")


def get(client, user, url, **params):
    client.force_login(user)
    return client.get(url, params)


def text(response):
    return response.content.decode()


# --- Buyer dashboard ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["city_admin", "city_reader"])
def test_buyer_sees_its_markets_only_with_small_counts_suppressed(client, world, role):
    response = get(client, world[role], DASHBOARD, year=2025)
    assert response.status_code == 200
    body = text(response)
    assert "DIJ-2025-01" in body
    assert "H25-2025-07" not in body  # the other buyer's market
    assert "180\u00a0h" in body  # 100 (Alice) + 80 (Bernard) validated in 2025
    assert "205\u00a0h" in body  # since the start: + 25 in 2024
    assert "&lt; 5" in body  # two participants shown as "< 5"
    board = response.context["board"]
    assert board.suppress is True
    assert board.summary.participants == "< 5"  # suppressed in the data itself: every output shows the same
    for name in SECRET_NAMES:
        assert name not in body


def test_buyer_dashboard_shows_rates_above_100_percent(client, world):
    # Lot 2's target is 167 h; 200 more hours take it to 270 h, i.e. 161,7 %.
    add_hours(world["lot2"], people=1, hours="200")
    body = text(get(client, world["landlord_member"], DASHBOARD, year=2025))
    assert "161,7\u00a0%" in body
    assert "Objectif atteint" in body


def test_buyer_dashboard_counts_five_people_and_more_as_they_are(client, world):
    add_hours(world["lot1"], people=4)  # 2 + 4 = 6 participants in 2025
    response = get(client, world["city_admin"], DASHBOARD, year=2025)
    tables = {table.code: table for table in response.context["tables"]}
    synthesis = {row[0].text: row[1].text for row in tables["synthese"].rows}
    assert synthesis["Participant·es"] == "6"
    publics = {row[0].text: row[2].text for row in tables["publics"].rows}
    assert publics["Femmes"] == "< 5"
    assert publics["Allocataires du RSA"] == "0"  # zero is not suppressed


def test_facilitator_dashboard_sees_counts_and_lots_at_risk_first(client, world):
    response = get(client, world["facilitator_member"], DASHBOARD, year=2025)
    assert response.status_code == 200
    board = response.context["board"]
    assert board.suppress is False
    assert board.summary.hours == 250
    statuses = [item.status for item in board.progress]
    assert statuses == sorted(statuses, key=lambda status: {"behind": 0, "on_track": 1, "achieved": 2}[status])
    assert "H25-2025-07" in text(response) and "DIJ-2025-01" in text(response)


def test_outsider_sees_an_empty_dashboard(client, world):
    response = get(client, world["stranger"], DASHBOARD, year=2025)
    assert response.status_code == 200
    assert response.context["board"].summary.hours == 0
    assert "DIJ-2025-01" not in text(response)


def test_dashboard_requires_login(client, world):
    response = client.get(DASHBOARD)
    assert response.status_code == 302


# --- Market bilan ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["city_admin", "city_reader", "facilitator_member", "coordinator"])
def test_market_bilan_for_those_who_see_the_market(client, world, role):
    url = reverse("reporting:market_bilan", args=[world["market1"].pk])
    response = get(client, world[role], url)
    assert response.status_code == 200
    assert response.context["bilan"].total.hours == 205


@pytest.mark.parametrize("role", ["landlord_member", "stranger"])
def test_another_buyers_market_bilan_is_404(client, world, role):
    for name in ("reporting:market_bilan", "reporting:market_bilan_pdf"):
        response = get(client, world[role], reverse(name, args=[world["market1"].pk]))
        assert response.status_code == 404


def test_buyer_market_bilan_hides_names_and_small_counts(client, world):
    body = text(get(client, world["city_admin"], reverse("reporting:market_bilan", args=[world["market1"].pk])))
    assert "&lt; 5" in body
    for name in SECRET_NAMES:
        assert name not in body


# --- Yearly report ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["coordinator", "coordination_reader", "facilitator_member"])
def test_yearly_report_for_coordination_and_facilitation(client, world, role):
    response = get(client, world[role], REPORT, year=2025)
    assert response.status_code == 200
    report = response.context["report"]
    assert (report.summary.hours, report.previous_summary.hours) == (250, 25)
    assert report.notified.markets == 2
    body = text(response)
    assert "250\u00a0h" in body
    for title in ("Par public", "Par département", "Par EPCI", "Par QPV de résidence", "Par type de marché"):
        assert title in body
    for name in SECRET_NAMES:
        assert name not in body


@pytest.mark.parametrize("role", ["city_admin", "stranger"])
def test_buyers_do_not_get_the_yearly_report(client, world, role):
    assert get(client, world[role], REPORT, year=2025).status_code == 404
    assert get(client, world[role], reverse("reporting:yearly_report_export", args=["csv"])).status_code == 404


def test_yearly_report_filters(client, world):
    response = get(client, world["coordinator"], REPORT, year=2025, department="25")
    assert response.context["report"].summary.hours == 70
    response = get(client, world["coordinator"], REPORT, year=2025, market_type="works")
    assert response.context["report"].summary.hours == 180
    response = get(client, world["coordinator"], REPORT, year=2025, buyer_type="social_landlord")
    assert response.context["report"].summary.hours == 70


def test_coordinator_sees_only_its_region(client, world):
    paris = DepartmentFactory(code="75", name="Paris", region=RegionFactory(code="11", name="Île-de-France"))
    elsewhere = CommuneFactory(code="75056", name="Paris", department=paris)
    lot = ClauseFactory(lot=LotFactory(market=MarketFactory(execution_commune=elsewhere))).lot
    add_hours(lot, people=2)
    response = get(client, world["coordinator"], REPORT, year=2025)
    assert response.context["report"].summary.hours == 250
    choices = [code for code, _label in response.context["form"].fields["department"].choices]
    assert "75" not in choices and "25" in choices


# --- Query counts do not grow with the data -----------------------------------------------------------------------


def count_queries(client, user, url, **params):
    client.force_login(user)
    with CaptureQueriesContext(connection) as context:
        response = client.get(url, params)
    assert response.status_code == 200
    return len(context.captured_queries)


@pytest.mark.parametrize(
    ("role", "url_name", "with_pk"),
    [
        ("city_admin", "reporting:dashboard", False),
        ("facilitator_member", "reporting:dashboard", False),
        ("city_admin", "reporting:market_bilan", True),
        ("coordinator", "reporting:yearly_report", False),
    ],
)
def test_page_query_count_does_not_grow_with_data(client, world, role, url_name, with_pk):
    url = reverse(url_name, args=[world["market1"].pk]) if with_pk else reverse(url_name)
    before = count_queries(client, world[role], url, year=2025)
    for month in range(1, 13):
        add_hours(world["lot1"], people=2, month=datetime.date(2025, month, 1), structure=world["facilitator"])
    extra_lot = ClauseFactory(lot=LotFactory(market=world["market1"], number=2)).lot
    add_hours(extra_lot, people=3)
    after = count_queries(client, world[role], url, year=2025)
    assert after == before
