"""The coordinator's view of a territory: a five-year trend, the year compared with the previous one, and the map
of hours by département of the region (yearly report page, and the coordinator's dashboard).

Composes reporting.queries with a fixed number of queries: reusing the figures of a yearly report when there is
one (two more queries: the three earlier years, the région's départements), else six.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db.models import QuerySet

from reporting import queries
from reporting.exports import HOURS, INTEGER, MONTH, Column, Line, Table, month_label, rendered_tables
from reporting.maps import HoursMap, hours_map, outlines
from reporting.models import PlacementYear
from reporting.periods import YearPeriod
from territories.models import Department

TREND_YEARS = 5


@dataclass(frozen=True)
class TrendYear:
    year: int
    label: str  # "2026 (au 31/10/2026)" for the partial current year
    hours: Decimal
    participants: int
    publics: list[queries.PublicRow]


@dataclass(frozen=True)
class Overview:
    period: YearPeriod
    trend: list[TrendYear]  # oldest first
    tables: list[Table]
    map: HoursMap
    map_title: str

    @property
    def rendered(self):
        return rendered_tables(self.tables)


def overview(
    *,
    records: QuerySet[PlacementYear],
    period: YearPeriod,
    regions: set[str] | None,
    report: queries.YearlyReport | None = None,
    filters: queries.ReportFilters | None = None,
) -> Overview:
    """The trend of the five years up to `period` (the last one partial when it is the current year), the map of
    the départements of `regions` (every département with an outline when None) and, without a yearly report
    (on a dashboard), the months of the year beside those of the previous one."""
    if filters is not None:
        records = filters.apply_to_records(records)
    year, month = period.year, period.through_month
    years = list(range(year - TREND_YEARS + 1, year + 1))
    tables = []
    if report is not None:
        points = queries.trend(records, years=years[:-2])
        points[year - 1] = _point(
            year - 1,
            report.previous_full_summary or report.previous_summary,
            report.previous_full_publics or report.previous_publics,
        )
        points[year] = _point(year, report.summary, report.publics)
        departments = report.breakdowns["department"]
    else:
        if period.is_partial:
            points = queries.trend(records, years=years[:-1])
            points.update(queries.trend(records, years=[year], through_month=month))
        else:
            points = queries.trend(records, years=years)
        departments = queries.dimension_by_year(records, years=[year], dimension="department", through_month=month)[
            year
        ]
        monthly = queries.monthly_hours(records, years=[year, year - 1])
        tables.append(comparison_table(period, monthly))
    trend = [
        TrendYear(
            item,
            period.label if item == year else str(item),
            points[item].hours,
            points[item].participants,
            points[item].publics,
        )
        for item in years
    ]
    tables[:0] = trend_tables(trend)
    names = _departments_of(regions)
    figures = {row.key: (row.hours, row.participants) for row in departments if row.key}
    title = f"Heures par département en {period.label}"
    return Overview(period, trend, tables, hours_map(names, figures, title=title), title)


def _point(year: int, summary: queries.Summary, publics: list[queries.PublicRow]) -> queries.TrendPoint:
    return queries.TrendPoint(year, summary.hours, summary.participants, publics)


def _departments_of(regions: set[str] | None) -> list[tuple[str, str]]:
    """(code, name) of the départements of the regions (one query); every outlined département when None."""
    departments = Department.objects.order_by("code")
    if regions is None:
        departments = departments.filter(code__in=list(outlines()))
    else:
        departments = departments.filter(region__in=regions)
    return list(departments.values_list("code", "name"))


def trend_tables(trend: list[TrendYear]) -> list[Table]:
    """Hours and participants per year (with a chart), then the hours and the participants of each public per
    year."""
    tables = [
        Table(
            "tendance",
            "Évolution sur cinq ans",
            (
                Column("annee", "Année", lambda item: item.label),
                Column("heures", "Heures", lambda item: item.hours, HOURS),
                Column("participants", "Participant·es", lambda item: item.participants, INTEGER),
            ),
            trend,
            chart=("annee", "heures"),
        )
    ]
    codes = [row.code for row in trend[-1].publics] if trend else []
    labels = {row.code: row.label for row in trend[-1].publics} if trend else {}
    for key, title, attribute, kind in (
        ("tendance_publics_heures", "Heures par public sur cinq ans", "hours", HOURS),
        ("tendance_publics_participants", "Participant·es par public sur cinq ans", "participants", INTEGER),
    ):
        columns = [Column("public", "Public", lambda code: labels[code])]
        for item in trend:
            by_code = {row.code: getattr(row, attribute) for row in item.publics}
            columns.append(
                Column(f"{attribute}_{item.year}", item.label, lambda code, by_code=by_code: by_code[code], kind)
            )
        tables.append(Table(key, title, tuple(columns), codes))
    return tables


def comparison_table(period: YearPeriod, monthly: list[queries.MonthPoint]) -> Table:
    """The twelve months of the year (blank after a partial year's cutoff) beside those of the previous year,
    drawn as two series."""
    year = period.year
    current = {point.month.month: point.hours for point in monthly if point.month.year == year}
    previous = {point.month.month: point.hours for point in monthly if point.month.year == year - 1}
    lines = [
        Line(
            month_label(date(year, number, 1)),
            current.get(number, queries.ZERO) if number <= period.through_month else None,
            previous.get(number, queries.ZERO),
            key=date(year, number, 1),
        )
        for number in range(1, 13)
    ]
    return Table(
        "comparaison",
        f"Par mois : {period.label} et {year - 1}",
        (
            Column("mois", "Mois", lambda line: line.key, MONTH),
            Column(f"heures_{year}", f"Heures {period.label}", lambda line: line.current, HOURS),
            Column(f"heures_{year - 1}", f"Heures {year - 1}", lambda line: line.previous, HOURS),
        ),
        lines,
        chart=("mois", f"heures_{year}", f"heures_{year - 1}"),
    )
