"""The buyer dashboard at a glance: market progress, truthful lot statuses, and a lots table that is sorted,
filtered and paginated the same way on screen and in its exports."""

import datetime
import json
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from clauses.calculations import TargetStatus
from markets.models import MarketType
from tests.clauses.factories import ClauseFactory
from tests.markets.factories import LotFactory, MarketFactory
from tests.reporting.conftest import add_hours

DASHBOARD = reverse("reporting:dashboard")
ALL = ["DIJ-2025-01", "OLD-2023-01", "OK-2025-02", "NEW-2026-03"]
TODAY = datetime.date(2026, 3, 1)


@pytest.fixture
def today(monkeypatch):
    monkeypatch.setattr(timezone, "localdate", lambda *args, **kwargs: TODAY)
    return TODAY


def market_with_lot(world, reference, *, start, end, market_type=MarketType.SERVICES, amount=Decimal("1000000")):
    market = MarketFactory(
        buyer=world["city"],
        facilitator=world["facilitator"],
        reference=reference,
        market_type=market_type,
        start_date=start,
        end_date=end,
        notified_on=start,
    )
    return ClauseFactory(lot=LotFactory(market=market, number=1, amount_excl_vat=amount)).lot


@pytest.fixture
def lots(world, today):
    """The city's four statuses on 01/03/2026 (833 h targets):
    - DIJ-2025-01 (works, 2025–2026, 205 h): running behind (485 h expected by today);
    - OLD (services, 2023–2024, 0 h): ended below target, 833 h short;
    - OK (services, 06/2025–2026, 420 h): running on track (394,2 h expected);
    - NEW (works, from 06/2026): not started."""
    ended = market_with_lot(world, "OLD-2023-01", start=datetime.date(2023, 1, 1), end=datetime.date(2024, 12, 31))
    on_track = market_with_lot(world, "OK-2025-02", start=datetime.date(2025, 6, 1), end=datetime.date(2026, 12, 31))
    add_hours(on_track, people=3, hours="140", month=datetime.date(2025, 7, 1))
    future = market_with_lot(
        world,
        "NEW-2026-03",
        start=datetime.date(2026, 6, 1),
        end=datetime.date(2027, 12, 31),
        market_type=MarketType.WORKS,
    )
    return {"behind": world["lot1"], "ended": ended, "on_track": on_track, "future": future}


def get(client, user, url=DASHBOARD, **params):
    client.force_login(user)
    return client.get(url, params)


def references(response):
    return [item.lot.market.reference for item in response.context["page_obj"].object_list]


def test_each_lot_has_its_truthful_status(client, world, lots):
    response = get(client, world["city_admin"], year=2026)
    statuses = {item.lot.market.reference: item for item in response.context["page_obj"].object_list}
    assert statuses["DIJ-2025-01"].status == TargetStatus.BEHIND
    assert statuses["DIJ-2025-01"].expected_hours == Decimal("484.97")  # 833 × 425 ÷ 730 days
    assert statuses["OLD-2023-01"].status == TargetStatus.ENDED_BELOW
    assert statuses["OLD-2023-01"].shortfall == 833
    assert statuses["OK-2025-02"].status == TargetStatus.ON_TRACK
    assert statuses["NEW-2026-03"].status == TargetStatus.NOT_STARTED
    # Default order: at risk first (behind, then ended below).
    assert references(response) == ["DIJ-2025-01", "OLD-2023-01", "OK-2025-02", "NEW-2026-03"]


def test_key_figures_count_running_lots_behind_apart_from_ended_lots(client, world, lots):
    response = get(client, world["city_admin"], year=2026)
    body = response.content.decode()
    board = response.context["board"]
    assert (board.lots_behind, board.lots_running) == (1, 2)
    assert (board.lots_ended_below, board.lots_ended) == (1, 1)
    assert 'id="lots-en-retard">1 sur 2<' in body
    assert 'id="lots-non-atteints">1 sur 1<' in body
    assert "Légende des statuts des lots (tolérance de 10\u00a0%)" in body


def test_markets_at_risk_first_with_a_text_equivalent_of_their_bar(client, world, lots):
    response = get(client, world["city_admin"], year=2026)
    markets = response.context["markets_page"].object_list
    assert [item.market.reference for item in markets] == ["DIJ-2025-01", "OLD-2023-01", "OK-2025-02", "NEW-2026-03"]
    assert [item.status for item in markets] == ["behind", "ended_below", "on_track", "not_started"]
    body = response.content.decode()
    assert "205\u00a0h sur 833\u00a0h (24,6\u00a0%), attendu à ce jour : 485\u00a0h" in body
    assert "420\u00a0h sur 833\u00a0h (50,4\u00a0%), attendu à ce jour : 394,2\u00a0h" in body
    # The bar is drawn by the server, in % of the target, with the expected marker (no inline style: CSP).
    assert 'width="24.6%"' in body and 'x1="58.2%"' in body


def test_a_market_takes_the_worst_status_of_its_running_lots(world, today):
    from reporting import queries

    lot_a = world["lot1"]  # running, 205 h of 833 h: behind
    ClauseFactory(lot=LotFactory(market=lot_a.market, number=2, amount_excl_vat=Decimal("12000")))  # 10 h target
    lot_c = ClauseFactory(
        lot=LotFactory(
            market=lot_a.market,
            number=3,
            start_date=datetime.date(2025, 1, 1),
            end_date=datetime.date(2025, 6, 30),
            amount_excl_vat=Decimal("12000"),
        )
    ).lot  # ended, 0 h of 10 h: ended below
    progress = queries.lots_progress(lot_a.market.lots.all(), today=today)
    market = queries.markets_progress(progress)[0]
    assert sorted(item.status for item in market.lots) == ["behind", "behind", "ended_below"]
    assert market.status == TargetStatus.BEHIND
    assert market.target_hours == 853
    # Once none runs: ended below if a lot ended short.
    ended = queries.markets_progress([item for item in progress if item.lot.pk == lot_c.pk])[0]
    assert ended.status == TargetStatus.ENDED_BELOW


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"status": "ended_below"}, ["OLD-2023-01"]),
        ({"status": "on_track"}, ["OK-2025-02"]),
        ({"lot_year": "2024"}, ["OLD-2023-01"]),  # the 2025–2026 lots did not run in 2024
        ({"lot_year": "2025"}, ["DIJ-2025-01", "OK-2025-02"]),
        ({"lot_year": "2027"}, ["NEW-2026-03"]),
        ({"market_type": "works"}, ["DIJ-2025-01", "NEW-2026-03"]),
        ({"market_type": "works", "status": "behind"}, ["DIJ-2025-01"]),
        # Unknown values are ignored, never an error.
        (
            {"status": "bogus", "lot_year": "1789", "sort": "nope"},
            ["DIJ-2025-01", "OLD-2023-01", "OK-2025-02", "NEW-2026-03"],
        ),
    ],
)
def test_lots_filtered_by_status_year_and_market_type(client, world, lots, params, expected):
    response = get(client, world["city_admin"], year=2026, **params)
    assert response.status_code == 200
    assert references(response) == expected
    assert response.context["board"].year == 2026


def test_lots_sorted_by_a_column_and_reversed_by_a_second_click(client, world, lots):
    response = get(client, world["city_admin"], year=2026, sort="realise")
    assert references(response) == ["OLD-2023-01", "NEW-2026-03", "DIJ-2025-01", "OK-2025-02"]
    body = response.content.decode()
    # The active header offers the reverse order and says which order is applied.
    assert 'aria-sort="ascending"><a href="?year=2026&amp;sort=-realise#table-lots">Heures validées' in body
    assert '<a href="?year=2026&amp;sort=fin#table-lots">Fin d' in body
    response = get(client, world["city_admin"], year=2026, sort="-realise")
    assert references(response) == ["OK-2025-02", "DIJ-2025-01", "OLD-2023-01", "NEW-2026-03"]
    response = get(client, world["city_admin"], year=2026, sort="-fin")
    # Ties (both end on 31/12/2026) keep the at-risk order.
    assert references(response) == ["NEW-2026-03", "DIJ-2025-01", "OK-2025-02", "OLD-2023-01"]


@pytest.fixture
def many_lots(world, today):
    """31 running lots of the city without hours (all behind), targets 10 h, 20 h, … 300 h and lot 1's 833 h."""
    market = world["market1"]
    for index in range(30):
        ClauseFactory(lot=LotFactory(market=market, number=index + 2, amount_excl_vat=Decimal(12000 * (index + 1))))
    return market


def test_lots_paginated_25_per_page_keeping_filters_and_sort(client, world, many_lots):
    response = get(client, world["city_admin"], year=2026, sort="-objectif")
    page = response.context["page_obj"]
    assert (page.paginator.count, len(page.object_list), page.paginator.num_pages) == (31, 25, 2)
    targets = [item.target_hours for item in page.object_list]
    assert targets[:3] == [833, 300, 290]
    body = response.content.decode()
    assert 'href="?year=2026&amp;sort=-objectif&amp;page=2"' in body
    second = get(client, world["city_admin"], year=2026, sort="-objectif", page=2)
    assert [item.target_hours for item in second.context["page_obj"].object_list] == [60, 50, 40, 30, 20, 10]


def test_exports_hold_every_filtered_row_in_the_same_order(client, world, many_lots):
    response = get(
        client,
        world["city_admin"],
        reverse("reporting:dashboard_export", args=["json"]),
        year=2026,
        sort="objectif",
        status="behind",
    )
    document = json.loads(response.content)
    lots = next(table for table in document["tableaux"] if table["code"] == "lots")
    assert len(lots["lignes"]) == 31  # every filtered row, not one page
    assert [Decimal(str(row["objectif"])) for row in lots["lignes"]][:3] == [10, 20, 30]
    assert {row["statut"] for row in lots["lignes"]} == {"En retard"}
    assert "attendu" in lots["lignes"][0] and "manque" in lots["lignes"][0]
    assert document["filtres"]["Statut"] == "En retard"
    assert document["filtres"]["Tri des lots"] == "Objectif (h) (croissant)"
    csv = get(
        client,
        world["city_admin"],
        reverse("reporting:dashboard_export", args=["csv"]),
        year=2026,
        status="ended_below",
    )
    body = b"".join(csv.streaming_content).decode("utf-8-sig")
    assert "DIJ-2025-01" not in body.split("Lots", 1)[-1].split("Par public", 1)[0]


def test_export_links_carry_the_filters_but_not_the_page(client, world, many_lots):
    body = get(client, world["city_admin"], year=2026, status="behind", page=2).content.decode()
    assert f'{reverse("reporting:dashboard_export", args=["csv"])}?year=2026&amp;status=behind"' in body


def test_facilitator_home_lists_running_lots_behind_apart_from_ended_lots(client, world, lots):
    client.force_login(world["facilitator_member"])
    response = client.get(reverse("home"))
    assert [item.lot.market.reference for item in response.context["behind"]] == ["DIJ-2025-01", "H25-2025-07"]
    assert [item.lot.market.reference for item in response.context["ended_below"]] == ["OLD-2023-01"]
    body = response.content.decode()
    assert "manque 833\u00a0h" in body
    assert "Légende des statuts" in body


def test_lot_filters_hold_even_with_an_unknown_year(client, world, lots):
    response = get(client, world["city_admin"], year=1789, status="ended_below")
    assert response.status_code == 200
    assert references(response) == ["OLD-2023-01"]


def test_the_dashboard_year_reads_to_date_not_partial(client, world, lots):
    """The dashboard counts the current year up to today (no comparison): "2026 (à ce jour)", never the
    "au 28/02/2026" cutoff of the yearly report, which would misdescribe its figures."""
    client.force_login(world["city_admin"])
    form = client.get(DASHBOARD).context["form"]
    labels = dict(form.fields["year"].widget.choices)
    assert labels[2026] == "2026 (à ce jour)"
    assert labels[2025] == "2025"
    assert not any("au " in str(label) for label in labels.values())
