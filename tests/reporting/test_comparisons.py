"""Honest comparisons (issue 13, item 4) and the coordinator's view (item 5): the years offered, a future, unknown
or empty year, the partial current year compared with the same months of the previous year (figures computed by
hand from the reporting world of conftest.py plus a few 2026 records), the five-year trend and the map."""

import datetime
import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from markets.models import Market
from reporting import exports, maps, queries, trends
from reporting.forms import ReportFilterForm, YearForm
from reporting.models import PlacementYear
from reporting.periods import year_period
from tests.beneficiaries.factories import HoursRecordFactory
from tests.organisations.factories import FacilitationStructureFactory, MembershipFactory, UserFactory
from tests.territories.factories import DepartmentFactory

D = Decimal
TODAY = datetime.date(2026, 11, 26)  # cutoff of the current year: 31/10/2026
REPORT = reverse("reporting:yearly_report")


@pytest.fixture
def today(monkeypatch):
    monkeypatch.setattr(timezone, "localdate", lambda *args, **kwargs: TODAY)
    return TODAY


@pytest.fixture
def world_2026(world):
    """The conftest world (2024: Alice 25 h in December; 2025: Alice 100 h in March and 50 h + 20 h of counted
    training in April, Bernard 80 h in December) plus 2026: Alice 30 h in February, Bernard 10 h in October and
    60 h in November (after the cutoff of 26/11/2026)."""
    alice1 = PlacementYear.objects.get(year=2025, lot=world["lot1"], is_woman=True).placement
    bernard1 = PlacementYear.objects.get(year=2025, lot=world["lot1"], is_senior=True).placement
    HoursRecordFactory(placement=alice1, month=datetime.date(2026, 2, 1), hours=D("30"))
    HoursRecordFactory(placement=bernard1, month=datetime.date(2026, 10, 1), hours=D("10"))
    HoursRecordFactory(placement=bernard1, month=datetime.date(2026, 11, 1), hours=D("60"))
    return world


def get(client, user, url=REPORT, **params):
    client.force_login(user)
    return client.get(url, params)


# --- Periods ---------------------------------------------------------------------------------------------------


def test_the_current_year_is_partial_up_to_the_end_of_the_previous_month():
    period = year_period(2026, today=TODAY)
    assert (period.through_month, period.cutoff) == (10, datetime.date(2026, 10, 31))
    assert period.label == "2026 (au 31/10/2026)"
    assert period.previous_label == "2025 même période"
    assert period.previous_full_label == "2025 complète"
    assert year_period(2025, today=TODAY).label == "2025"
    assert not year_period(2025, today=TODAY).is_partial
    january = year_period(2026, today=datetime.date(2026, 1, 12))
    assert (january.through_month, january.label) == (1, "2026 (au 12/01/2026)")
    assert year_period(2027, today=TODAY).through_month == 0


# --- Years offered, future, unknown and empty years -------------------------------------------------------------


def test_years_offered_are_those_with_data_up_to_the_current_one(world, today):
    form = ReportFilterForm(user=world["coordinator"])
    assert form.fields["year"].widget.choices == [(2026, "2026 (au 31/10/2026)"), (2025, "2025"), (2024, "2024")]
    # Without any data in the perimeter: the current year only.
    lonely = UserFactory()
    MembershipFactory(user=lonely, organisation=FacilitationStructureFactory(name="PLIE vide"))
    assert YearForm(user=lonely).fields["year"].widget.choices == [(2026, "2026 (au 31/10/2026)")]


@pytest.mark.parametrize(
    ("asked", "message"),
    [
        ("2027", "L&#x27;année 2027 n&#x27;est pas encore commencée : l&#x27;année en cours (2026) est affichée."),
        ("1990", "Année inconnue : choisissez une année de 2024 à 2026. L&#x27;année en cours est affichée."),
        ("deux-mille", "Année inconnue : choisissez une année de 2024 à 2026. L&#x27;année en cours est affichée."),
    ],
)
def test_a_future_or_unknown_year_gets_a_message_and_the_current_year(client, world_2026, today, asked, message):
    response = get(client, world_2026["coordinator"], year=asked, department="21")
    assert response.status_code == 200
    body = response.content.decode()
    assert message in body
    assert response.context["report"].year == 2026
    assert response.context["report"].through == datetime.date(2026, 10, 31)
    assert "-60,0" in body  # Côte-d'Or: 40 h against 100 h from January to October, not against 2027's nothing
    # The other filters are kept.
    assert response.context["form"].value_of("department") == "21"


def test_a_year_without_data_shows_an_empty_state_not_zeros(client, world, today):
    response = get(client, world["coordinator"], year=2015)
    body = response.content.decode()
    assert response.status_code == 200
    assert "Aucune heure validée en 2015 dans votre périmètre." in body
    assert 'id="tableau-synthese"' not in body
    assert 'class="key-figure"' not in body
    # The dashboard too.
    response = get(client, world["facilitator_member"], reverse("reporting:dashboard"), year=2015)
    assert "Aucune heure validée en 2015 dans votre périmètre." in response.content.decode()


def test_a_year_with_data_has_no_empty_state(client, world, today):
    body = get(client, world["coordinator"], year=2025).content.decode()
    assert "Aucune heure validée" not in body
    assert 'id="tableau-synthese"' in body


# --- The partial current year ----------------------------------------------------------------------------------


def report_2026(**kwargs):
    return queries.yearly_report(
        records=PlacementYear.objects.all(),
        markets=Market.objects.all(),
        year=2026,
        through=datetime.date(2026, 10, 31),
        **kwargs,
    )


def test_the_partial_year_is_compared_with_the_same_months(world_2026):
    report = report_2026()
    # January to October 2026: Alice 30 h (February), Bernard 10 h (October); November is after the cutoff.
    assert (report.summary.hours, report.summary.participants, report.summary.contracts) == (D("40"), 2, 2)
    # January to October 2025: Alice 100 h + 50 h + 20 h of counted training; Bernard's hours are in December.
    before = report.previous_summary
    assert (before.hours, before.participants, before.contracts) == (D("170"), 1, 2)
    # The whole of 2025 beside.
    full = report.previous_full_summary
    assert (full.hours, full.participants, full.contracts) == (D("250"), 2, 3)
    publics = {row.code: row for row in report.publics}
    previous = {row.code: row for row in report.previous_publics}
    assert (publics["women"].hours, publics["women"].participants) == (D("30"), 1)
    assert (publics["seniors"].hours, publics["seniors"].participants) == (D("10"), 1)
    assert (previous["women"].hours, previous["seniors"].hours, previous["seniors"].participants) == (D("170"), 0, 0)
    months = {point.month.month: point.hours for point in report.monthly}
    assert months == {2: D("30"), 10: D("10")}
    departments = {row.key: row.hours for row in report.breakdowns["department"]}
    assert departments == {"21": D("40")}
    assert {row.key: row.hours for row in report.previous_breakdowns["department"]} == {"21": D("100"), "25": D("70")}


@pytest.mark.parametrize(
    ("cutoff", "now", "before", "before_people"),
    [
        # The first months added up (cutoff before July): January to March.
        (datetime.date(2026, 3, 31), (D("30"), 1, 1), D("100"), 1),
        # The year less its last months (cutoff from July): January to September.
        (datetime.date(2026, 9, 30), (D("30"), 1, 1), D("170"), 1),
        # Every month but December: Bernard's October hours count, his December 2025 ones do not.
        (datetime.date(2026, 11, 30), (D("100"), 2, 2), D("170"), 1),
    ],
)
def test_the_months_counted_follow_the_cutoff(world_2026, cutoff, now, before, before_people):
    report = queries.yearly_report(
        records=PlacementYear.objects.all(), markets=Market.objects.all(), year=2026, through=cutoff
    )
    assert (report.summary.hours, report.summary.participants, report.summary.contracts) == now
    assert (report.previous_summary.hours, report.previous_summary.participants) == (before, before_people)
    assert report.previous_full_summary.hours == D("250")


def test_a_complete_year_is_unchanged_by_the_cutoff(world_2026):
    complete = queries.yearly_report(records=PlacementYear.objects.all(), markets=Market.objects.all(), year=2025)
    assert complete.through is None
    assert complete.summary.hours == D("250")
    assert complete.previous_full_summary == complete.previous_summary


def test_the_synthesis_labels_the_partial_year_and_gives_the_full_previous_year(world_2026):
    tables = exports.report_tables(report_2026())
    synthese = tables[0]
    assert [column.header for column in synthese.columns] == [
        "Indicateur",
        "2026 (au 31/10/2026)",
        "2025 même période",
        "Évolution",
        "2025 complète",
    ]
    hours = next(synthese.records())
    assert hours == ["Heures d'insertion", D("40"), D("170"), exports.evolution(D("40"), D("170")), D("250")]
    assert exports.evolution(D("40"), D("170")) == (D("40") - D("170")) / D("170")  # exact, rounded once on display
    lines = {values[0]: values[1:] for values in synthese.records()}
    # Both markets were notified in January and February 2025: in the same period and in the whole year.
    assert lines["Marchés notifiés dans l'année avec clause"] == [0, 2, D("-1"), 2]
    headers = [column.header for table in tables for column in table.columns]
    assert "Heures 2026 (au 31/10/2026)" in headers and "Heures 2025 même période" in headers
    monthly = next(table for table in tables if table.code == "mensuel")
    november = list(monthly.records())[10]
    assert november[1] is None and november[2] == D("0")  # after the cutoff: blank, not zero


def test_the_page_labels_the_partial_year(client, world_2026, today):
    response = get(client, world_2026["coordinator"])
    body = response.content.decode()
    assert "<h1>Bilan annuel 2026 (au 31/10/2026)</h1>" in body
    assert "comparés aux mêmes mois de 2025" in body
    assert "250\u00a0h en 2025 complète" in body
    csv = b"".join(
        get(
            client, world_2026["coordinator"], reverse("reporting:yearly_report_export", args=["csv"])
        ).streaming_content
    ).decode()
    assert "Bilan annuel 2026 (au 31/10/2026)" in csv
    assert "Heures d'insertion;40;170;-76,5 %;250" in csv


def test_the_partial_year_costs_two_queries_more_whatever_the_data(world_2026):
    def count(**kwargs):
        with CaptureQueriesContext(connection) as captured:
            queries.yearly_report(records=PlacementYear.objects.all(), markets=Market.objects.all(), **kwargs)
        return len(captured)

    complete = count(year=2025)
    partial = count(year=2026, through=datetime.date(2026, 10, 31))
    assert partial == complete + 2  # the complete previous year: summary and publics, notified markets
    HoursRecordFactory(
        placement=PlacementYear.objects.filter(year=2026).first().placement, month=datetime.date(2026, 3, 1)
    )
    assert count(year=2026, through=datetime.date(2026, 10, 31)) == partial


# --- Coordinator's view: trend and map ---------------------------------------------------------------------------


def overview_2026(regions=("27",), report=True):
    period = year_period(2026, today=TODAY)
    return trends.overview(
        records=PlacementYear.objects.all(),
        period=period,
        regions=set(regions),
        report=report_2026() if report else None,
    )


@pytest.mark.parametrize("with_report", [True, False])
def test_five_year_trend(world_2026, with_report):
    view = overview_2026(report=with_report)
    assert [(item.label, item.hours, item.participants) for item in view.trend] == [
        ("2022", D("0"), 0),
        ("2023", D("0"), 0),
        ("2024", D("25"), 1),
        ("2025", D("250"), 2),
        ("2026 (au 31/10/2026)", D("40"), 2),
    ]
    women = [next(row for row in item.publics if row.code == "women") for item in view.trend]
    assert [(row.hours, row.participants) for row in women] == [
        (0, 0),
        (0, 0),
        (D("25"), 1),
        (D("170"), 1),
        (D("30"), 1),
    ]
    codes = [table.code for table in view.tables]
    assert codes[:3] == ["tendance", "tendance_publics_heures", "tendance_publics_participants"]
    # On a dashboard (no yearly report) the months of both years are compared too, drawn as two series.
    assert ("comparaison" in codes) is not with_report
    rendered = {table.code: table for table in view.rendered}
    assert rendered["tendance"].chart_data["values"] == [0.0, 0.0, 25.0, 250.0, 40.0]
    if not with_report:
        series = rendered["comparaison"].chart_data["series"]
        assert [item["label"] for item in series] == ["Heures 2026 (au 31/10/2026)", "Heures 2025"]
        assert series[0]["values"][1] == 30.0 and series[0]["values"][10] is None
        assert series[1]["values"][2] == 100.0 and series[1]["values"][11] == 80.0


def test_map_has_one_path_per_departement_coloured_by_hours(world_2026):
    DepartmentFactory(code="39", name="Jura", region=world_2026["region"])
    period = year_period(2025, today=TODAY)
    report = queries.yearly_report(records=PlacementYear.objects.all(), markets=Market.objects.all(), year=2025)
    view = trends.overview(records=PlacementYear.objects.all(), period=period, regions={"27"}, report=report)
    svg = str(view.map.svg)
    paths = re.findall(r'<path d="[^"]+" fill="([^"]+)" stroke="#ffffff" stroke-width="1" data-code="(\w+)">', svg)
    assert sorted(code for _fill, code in paths) == ["21", "25", "39"]
    fills = {code: fill for fill, code in paths}
    # 2025: Côte-d'Or 180 h (the most: darkest), Doubs 70 h (lighter), Jura none (grey).
    assert fills["21"] == maps.SCALE[-1]
    assert fills["25"] == maps.SCALE[1]
    assert fills["39"] == maps.EMPTY_COLOUR
    assert maps.SCALE.index(fills["21"]) > maps.SCALE.index(fills["25"])
    assert "<title>Côte-d&#x27;Or (21) : 180 h, 2 participant·es</title>" in svg
    assert "<title>Jura (39) : 0 h, 0 participant·e</title>" in svg
    assert [(area.code, area.name, area.hours, area.participants) for area in view.map.areas] == [
        ("21", "Côte-d'Or", D("180"), 2),
        ("25", "Doubs", D("70"), 1),
        ("39", "Jura", D("0"), 0),
    ]
    assert [step.colour for step in view.map.legend] == [maps.EMPTY_COLOUR, *maps.SCALE]


def test_the_page_shows_the_map_and_its_table(client, world_2026, today):
    body = get(client, world_2026["coordinator"], year=2025).content.decode()
    table = body[body.index('id="tableau-carte"') :]
    table = table[: table.index("</table>")]
    cell = r'<td class="num">([^<]+)</td>'
    rows = re.findall(rf'<tr><td>(\w+)</td><th scope="row">([^<]+)</th>{cell}{cell}</tr>', table)
    assert rows == [("21", "Côte-d&#x27;Or", "180", "2"), ("25", "Doubs", "70", "1")]
    assert body.count('<path d="') == 2
    assert "Évolution sur cinq ans" in body


def test_the_coordinators_dashboard_has_the_overview_not_the_structures(client, world_2026, today):
    dashboard = reverse("reporting:dashboard")
    assert "Évolution sur cinq ans" in get(client, world_2026["coordinator"], dashboard).content.decode()
    assert "Évolution sur cinq ans" not in get(client, world_2026["facilitator_member"], dashboard).content.decode()
    assert "Évolution sur cinq ans" not in get(client, world_2026["city_admin"], dashboard).content.decode()


def test_outlines_are_read_once(world):
    maps.outlines.cache_clear()
    first = maps.outlines()
    assert maps.outlines() is first
    assert len(first) == 96 and first["21"].name == "Côte-d'Or"
