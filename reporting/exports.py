"""Exports of the reports as declarative tables: one column spec feeds the XLSX, CSV, JSON and PDF writers.

A `Table` is a title, a tuple of `Column`s and an iterable of rows; each column knows its French header, its
JSON key, how to read its value from a row and what kind of value it holds (which picks the number format).
Writers consume rows one at a time, so a long table is never held twice in memory.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from django.urls import reverse
from django.utils import timezone

from clauses.calculations import TargetStatus
from config.formatting import (
    exact_hours,
    french_hours,
    french_number,
    french_percent,
    plain_decimal,
    plain_percent,
    round_half_up,
    rounded_share,
)
from reporting import queries, suppression
from reporting.periods import YearPeriod

TEXT = "text"
INTEGER = "integer"
DECIMAL = "decimal"  # one decimal
HOURS = "hours"  # hours: 0.1 h on pages, PDF and charts, exact to the hundredth in exports
PERCENT = "percent"  # a share between 0 and 1 (or a change), rounded once to 0.1 % in every output
DATE = "date"
MONTH = "month"
NUMBER = "number"  # integer or decimal, decided per value

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def neutralise_formula(text: str) -> str:
    """A text cell starting with a formula trigger gets a leading apostrophe, so no spreadsheet runs it."""
    return f"'{text}" if text.startswith(FORMULA_TRIGGERS) else text


@dataclass(frozen=True)
class Typed:
    """A value whose kind differs from its column's (a rate in a column of counts)."""

    value: Any
    kind: str


def unwrap(value, kind: str) -> tuple[Any, str]:
    return (value.value, value.kind) if isinstance(value, Typed) else (value, kind)


@dataclass(frozen=True)
class Column:
    key: str
    header: str
    value: Callable[[Any], Any]
    kind: str = TEXT
    link: Callable[[Any], str] | None = None  # a URL for the cell on HTML pages


@dataclass(frozen=True)
class Table:
    code: str
    title: str  # also the sheet name (31 characters at most)
    columns: tuple[Column, ...]
    rows: Iterable[Any]
    # (label column key, value column key[, previous value column key]) drawn on pages and in the PDF; with a
    # third key, two series side by side (the year and the previous one).
    chart: tuple[str, ...] | None = None
    note: str = ""  # a sentence printed above the table in the PDF

    def records(self) -> Iterator[list[Any]]:
        for row in self.rows:
            yield [column.value(row) for column in self.columns]


@dataclass(frozen=True)
class ExportMeta:
    title: str
    subtitle: str = ""
    generated_at: datetime = field(default_factory=timezone.now)
    filters: tuple[tuple[str, str], ...] = ()

    @property
    def generated_on(self) -> str:
        return timezone.localtime(self.generated_at).strftime("%d/%m/%Y à %H:%M")


# --- Building the tables of a yearly report ------------------------------------------------------------------


@dataclass(frozen=True)
class Line:
    """One row with the figure of the year and of the previous year beside it."""

    label: str
    current: Any
    previous: Any
    key: Any = None
    full: Any = None  # the complete previous year, beside a partial year


def evolution(current, previous) -> Decimal | None:
    """The exact relative change (28 significant digits), rounded once for display by config.formatting;
    None without a previous figure (no change from zero) or when either figure is hidden ("< 5")."""
    if current in (None, "") or previous in (None, "") or isinstance(current, str) or isinstance(previous, str):
        return None
    if not previous:
        return None
    return (Decimal(current) - Decimal(previous)) / Decimal(previous)


def period_of(report: queries.YearlyReport) -> YearPeriod:
    """The counted months of the report's year: partial up to `through`, else complete."""
    return YearPeriod(report.year, report.through_month, report.through)


def summary_lines(report: queries.YearlyReport) -> list[Line]:
    """Figures of the year beside the previous year's over the same months; with the complete previous year too
    (`full`) when the year is partial."""
    now, before, full = report.summary, report.previous_summary, report.previous_full_summary or report.previous_summary
    notified = report.previous_full_notified or report.previous_notified
    return [
        Line("Heures d'insertion", now.hours, before.hours, full=full.hours),
        Line("Équivalents temps plein (ETP)", now.fte, before.fte, full=full.fte),
        Line("Participant·es", now.participants, before.participants, full=full.participants),
        Line("Contrats", now.contracts, before.contracts, full=full.contracts),
        Line("Entreprises", now.companies, before.companies, full=full.companies),
        Line("Marchés", now.markets, before.markets, full=full.markets),
        Line("Acheteurs", now.buyers, before.buyers, full=full.buyers),
        Line(
            "Marchés notifiés dans l'année avec clause",
            report.notified.markets,
            report.previous_notified.markets,
            full=notified.markets,
        ),
        Line(
            "Lots notifiés dans l'année avec clause",
            report.notified.lots,
            report.previous_notified.lots,
            full=notified.lots,
        ),
        Line(
            "Heures cibles des marchés notifiés",
            report.notified.target_hours,
            report.previous_notified.target_hours,
            full=notified.target_hours,
        ),
    ]


def paired(current: Iterable, previous: Iterable, *, key: Callable[[Any], Any]) -> Iterator[tuple[Any, Any]]:
    """(current, previous) pairs matched by key, in the order of the current rows, then previous-only rows."""
    previous_by_key = {key(row): row for row in previous}
    seen = set()
    for row in current:
        seen.add(key(row))
        yield row, previous_by_key.get(key(row))
    for row_key, row in previous_by_key.items():
        if row_key not in seen:
            yield None, row


def _get(row, attribute, default=0):
    return getattr(row, attribute) if row is not None else default


def report_tables(report: queries.YearlyReport) -> list[Table]:
    """The tables of a yearly report. A partial year (the current one) is labelled with its cutoff ("2026 (au
    31/10/2026)") and compared with the same months of the previous year ("2025 même période"); the synthesis
    also gives the complete previous year ("2025 complète")."""
    period = period_of(report)
    year, last = report.year, report.year - 1
    now_label, before_label = period.label, period.previous_label
    before_key = f"{last}_meme_periode" if period.is_partial else str(last)
    full_column = (
        (Column(f"annee_{last}_complete", period.previous_full_label, lambda line: line.full, NUMBER),)
        if period.is_partial
        else ()
    )
    tables = [
        Table(
            "synthese",
            "Synthèse",
            (
                Column("indicateur", "Indicateur", lambda line: line.label),
                Column(f"annee_{year}", now_label, lambda line: line.current, NUMBER),
                Column(f"annee_{before_key}", before_label, lambda line: line.previous, NUMBER),
                Column("evolution", "Évolution", lambda line: evolution(line.current, line.previous), PERCENT),
                *full_column,
            ),
            summary_lines(report),
        ),
        Table(
            "publics",
            "Par public",
            (
                Column("public", "Public", lambda pair: (pair[0] or pair[1]).label),
                Column(f"heures_{year}", f"Heures {now_label}", lambda pair: _get(pair[0], "hours"), HOURS),
                Column(f"heures_{before_key}", f"Heures {before_label}", lambda pair: _get(pair[1], "hours"), HOURS),
                Column(
                    f"part_heures_{year}",
                    f"Part des heures {now_label}",
                    lambda p: _get(p[0], "hours_share", None),
                    PERCENT,
                ),
                Column(
                    f"participants_{year}",
                    f"Participant·es {now_label}",
                    lambda p: _get(p[0], "participants"),
                    INTEGER,
                ),
                Column(
                    f"participants_{before_key}",
                    f"Participant·es {before_label}",
                    lambda p: _get(p[1], "participants"),
                    INTEGER,
                ),
                Column(
                    f"part_participants_{year}",
                    f"Part des participant·es {now_label}",
                    lambda pair: _get(pair[0], "participants_share", None),
                    PERCENT,
                ),
            ),
            list(paired(report.publics, report.previous_publics, key=lambda row: row.code)),
            chart=("public", f"heures_{year}", f"heures_{before_key}"),
        ),
    ]
    for dimension in queries.DIMENSIONS:
        tables.append(
            Table(
                dimension.code,
                dimension_title(dimension),
                dimension_columns(dimension, period),
                list(
                    paired(
                        report.breakdowns[dimension.code],
                        report.previous_breakdowns[dimension.code],
                        key=lambda row: row.key,
                    )
                ),
                chart=("libelle", f"heures_{year}", f"heures_{before_key}"),
            )
        )
    tables.append(
        Table(
            "mensuel",
            "Par mois",
            (
                Column("mois", "Mois", lambda line: line.key, MONTH),
                Column(f"heures_{year}", f"Heures {now_label}", lambda line: line.current, HOURS),
                Column(f"heures_{last}", f"Heures {last} (même mois)", lambda line: line.previous, HOURS),
            ),
            monthly_lines(report),
            chart=("mois", f"heures_{year}", f"heures_{last}"),
        )
    )
    return tables


def dimension_title(dimension: queries.Dimension) -> str:
    """ "Par département", "Par type de marché", "Par EPCI", "Par QPV de résidence"."""
    title = dimension.title if dimension.title[:2].isupper() else dimension.title[0].lower() + dimension.title[1:]
    return f"Par {title}"


def dimension_columns(dimension: queries.Dimension, period: YearPeriod) -> tuple[Column, ...]:
    """Label, official code where there is one (département, EPCI, QPV), figures of both years (over the same
    months when the year is partial)."""
    year, now, before = period.year, period.label, period.previous_label
    last = f"{year - 1}_meme_periode" if period.is_partial else str(year - 1)
    code = (Column("code", "Code", lambda pair: (pair[0] or pair[1]).key or ""),) if dimension.names else ()
    return (
        Column("libelle", dimension.title, lambda pair: (pair[0] or pair[1]).label),
        *code,
        Column(f"heures_{year}", f"Heures {now}", lambda pair: _get(pair[0], "hours"), HOURS),
        Column(f"heures_{last}", f"Heures {before}", lambda pair: _get(pair[1], "hours"), HOURS),
        Column(f"participants_{year}", f"Participant·es {now}", lambda p: _get(p[0], "participants"), INTEGER),
        Column(f"participants_{last}", f"Participant·es {before}", lambda p: _get(p[1], "participants"), INTEGER),
        Column(f"contrats_{year}", f"Contrats {now}", lambda pair: _get(pair[0], "contracts"), INTEGER),
        Column(f"contrats_{last}", f"Contrats {before}", lambda pair: _get(pair[1], "contracts"), INTEGER),
    )


MONTH_NAMES = (
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
)


def month_label(month: date) -> str:
    return f"{MONTH_NAMES[month.month - 1]} {month.year}"


def monthly_lines(report: queries.YearlyReport) -> list[Line]:
    """Twelve months of the year, with the same month of the previous year beside; the months of a partial year
    after its cutoff are left blank."""
    current = {point.month.month: point.hours for point in report.monthly}
    previous = {point.month.month: point.hours for point in report.previous_monthly}
    return [
        Line(
            month_label(date(report.year, month, 1)),
            current.get(month, queries.ZERO) if month <= report.through_month else None,
            previous.get(month, queries.ZERO),
            key=date(report.year, month, 1),
        )
        for month in range(1, 13)
    ]


# --- Tables of a dashboard (buyer or facilitation structure) -------------------------------------------------


def dashboard_tables(board) -> list[Table]:
    """Tables of a reporting.dashboards.Dashboard, whose figures are already suppressed for buyers
    (reporting.suppression)."""
    year = board.year
    return [
        Table(
            "synthese",
            "Synthèse",
            (
                Column("indicateur", "Indicateur", lambda line: line.label),
                Column(f"annee_{year}", str(year), lambda line: line.current, NUMBER),
                Column("depuis_le_debut", "Depuis le début", lambda line: line.previous, NUMBER),
            ),
            [
                Line("Heures d'insertion", board.summary.hours, board.total.hours),
                Line("Équivalents temps plein (ETP)", board.summary.fte, board.total.fte),
                Line("Participant·es", board.summary.participants, board.total.participants),
                Line("Contrats", board.summary.contracts, board.total.contracts),
                Line("Entreprises", board.summary.companies, board.total.companies),
                Line("Marchés", board.summary.markets, board.total.markets),
            ],
        ),
        Table("lots", "Lots", LOT_COLUMNS, board.progress),
        Table(
            "publics",
            "Par public",
            (
                Column("public", "Public", lambda row: row.label),
                Column("heures", f"Heures {year}", lambda row: row.hours, HOURS),
                Column("participants", f"Participant·es {year}", lambda row: row.participants, INTEGER),
            ),
            board.publics,
            chart=("public", "heures"),
        ),
        Table(
            "modalites",
            "Par modalité",
            (
                Column("modalite", "Modalité", lambda row: row.label),
                Column("heures", f"Heures {year}", lambda row: row.hours, HOURS),
                Column("participants", f"Participant·es {year}", lambda row: row.participants, INTEGER),
                Column("contrats", f"Contrats {year}", lambda row: row.contracts, INTEGER),
            ),
            board.modalities,
            chart=("modalite", "heures"),
        ),
        Table(
            "mensuel",
            "Par mois",
            (
                Column("mois", "Mois", lambda point: point.month, MONTH),
                Column("heures", "Heures", lambda point: point.hours, HOURS),
            ),
            board.monthly,
            chart=("mois", "heures"),
        ),
    ]


LOT_COLUMNS = (
    Column(
        "marche",
        "Marché",
        lambda item: item.lot.market.reference,
        link=lambda item: reverse("reporting:market_bilan", args=[item.lot.market_id]),
    ),
    Column("objet", "Objet", lambda item: item.lot.market.title),
    Column("acheteur", "Acheteur", lambda item: item.lot.market.buyer.name),
    Column("lot", "Lot", lambda item: f"{item.lot.number} – {item.lot.title}"),
    Column("titulaire", "Titulaire", lambda item: item.lot.contractor.name if item.lot.contractor else ""),
    Column("objectif", "Objectif (h)", lambda item: item.target_hours, INTEGER),
    Column("realise", "Heures validées", lambda item: item.achieved_hours, HOURS),
    Column("attendu", "Attendu à ce jour (h)", lambda item: item.expected_hours, HOURS),
    Column("taux", "Taux de réalisation", lambda item: item.rate, PERCENT),
    Column("statut", "Statut", lambda item: item.status_label),
    # The "risque" flag beside the status, so that it shows without scrolling the table sideways.
    Column("risque", "Risque", lambda item: "Risque" if item.at_risk else ""),
    Column("manque", "Manque à l'objectif (h)", lambda item: item.shortfall, HOURS),
    Column("projection", "Projection à la fin (h)", lambda item: item.projected_hours, HOURS),
    # The forecast (clauses.calculations.lot_forecast): the same figures on the page, in every export and in the
    # at-risk digest.
    Column(
        "projection_recente",
        "Projection (3 derniers mois) (h)",
        lambda item: item.forecast.projected_recent if item.forecast else None,
        HOURS,
    ),
    Column(
        "besoin_mensuel",
        "Besoin par mois (h)",
        lambda item: item.forecast.needed_per_month if item.forecast else None,
        HOURS,
    ),
    Column(
        "meilleur_mois", "Meilleur mois (h)", lambda item: item.forecast.best_month if item.forecast else None, HOURS
    ),
    Column("fin", "Fin d'exécution", lambda item: item.lot.end_date, DATE),
)


def bilan_tables(bilan) -> list[Table]:
    """Tables of the end-of-contract bilan of a market (reporting.dashboards.MarketBilan), all years; its figures
    are already suppressed for buyers (reporting.suppression)."""
    total = bilan.total
    return [
        Table(
            "synthese",
            "Synthèse",
            (
                Column("indicateur", "Indicateur", lambda line: line.label),
                Column("valeur", "Depuis le début", lambda line: line.current, NUMBER),
            ),
            [
                Line("Heures cibles", bilan.target_hours, None),
                Line("Heures validées (tous lots)", bilan.achieved_hours, None),
                Line("Taux de réalisation", Typed(bilan.rate, PERCENT), None),
                Line("Heures d'insertion comptées", total.hours, None),
                Line("Équivalents temps plein (ETP)", total.fte, None),
                Line("Participant·es", total.participants, None),
                Line("Contrats", total.contracts, None),
                Line("Entreprises", total.companies, None),
            ],
        ),
        Table("lots", "Lots", LOT_COLUMNS[3:], bilan.progress),
        Table(
            "annees",
            "Par année",
            (
                Column("annee", "Année", lambda row: str(row.year)),
                Column("heures", "Heures", lambda row: row.hours, HOURS),
            ),
            bilan.yearly,
            chart=("annee", "heures"),
        ),
        Table(
            "publics",
            "Par public",
            (
                Column("public", "Public", lambda row: row.label),
                Column("heures", "Heures", lambda row: row.hours, HOURS),
                Column("participants", "Participant·es", lambda row: row.participants, INTEGER),
            ),
            bilan.publics,
            chart=("public", "heures"),
        ),
        Table(
            "modalites",
            "Par modalité",
            (
                Column("modalite", "Modalité", lambda row: row.label),
                Column("heures", "Heures", lambda row: row.hours, HOURS),
                Column("participants", "Participant·es", lambda row: row.participants, INTEGER),
                Column("contrats", "Contrats", lambda row: row.contracts, INTEGER),
            ),
            bilan.modalities,
            chart=("modalite", "heures"),
        ),
        Table(
            "mensuel",
            "Par mois",
            (
                Column("mois", "Mois", lambda point: point.month, MONTH),
                Column("heures", "Heures", lambda point: point.hours, HOURS),
            ),
            bilan.monthly,
            chart=("mois", "heures"),
        ),
    ]


# --- Cell formatting -------------------------------------------------------------------------------------------
#
# Every figure is rounded once, by config.formatting, from its exact value; each format writes that same
# figure (DOMAIN.md §8; the README's "Arrondis et formats" section):
#
# - page, PDF and charts (`display_text`): hours to 0.1 h ("1 234,5", "250"), rates and changes to 0.1 %
#   ("18,7 %"), counts as integers, "< 5" for a hidden count;
# - CSV (`csv_cell`): hours exact to the hundredth with a decimal comma and no thousands separator
#   ("792281,79", "250"), rates and changes rounded to 0.1 % as text ("18,7 %");
# - XLSX (`_write_xlsx_cell`): real numbers, hours exact to the hundredth shown "# ##0,00", rates and changes
#   as the share rounded to 0.1 % (0.187) shown "0,0 %";
# - JSON (`json_cell`): numbers written exactly (hours with at most two decimals, 792281.79; rates and changes
#   as the share rounded to 0.1 %, 0.187), integers as integers, "< 5" as a string.


def _is_number(value) -> bool:
    return isinstance(value, int | Decimal | float) and not isinstance(value, bool)


def _is_whole(value) -> bool:
    return isinstance(value, int) or Decimal(value) == Decimal(value).to_integral()


def plain_number(value, kind: str) -> str:
    """A number for CSV: decimal comma, no thousands separator (so spreadsheets read it as a number)."""
    if kind == PERCENT:
        return plain_percent(value)
    if kind == DECIMAL:
        return f"{round_half_up(value, 1):f}".replace(".", ",")
    if isinstance(value, int):
        return str(value)
    return plain_decimal(exact_hours(value))


def display_text(value, kind: str) -> str:
    """A cell as a French reader sees it: "1 234,5", "68,0 %", "01/03/2025", "mars 2025"."""
    value, kind = unwrap(value, kind)
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if kind == DATE:
        return value.strftime("%d/%m/%Y")
    if kind == MONTH:
        return month_label(value)
    if kind == PERCENT:
        return french_percent(value)
    if kind == DECIMAL:
        return french_number(value, 1)
    if isinstance(value, int):
        return french_number(value, 0)
    return french_hours(value)


def csv_cell(value, kind: str) -> str:
    value, kind = unwrap(value, kind)
    if value is None:
        return ""
    if isinstance(value, str):
        return neutralise_formula(value)
    if kind == DATE:
        return value.strftime("%d/%m/%Y")
    if kind == MONTH:
        return value.strftime("%m/%Y")
    if _is_number(value):
        return plain_number(value, kind)
    return neutralise_formula(str(value))


def json_number(value: Decimal) -> int | float:
    """An exact decimal as a JSON number written exactly: an integer, or a float whose shortest repr is the
    decimal itself (true of any decimal of at most 15 significant digits: 792281.79, 0.187)."""
    if value == value.to_integral():
        return int(value)
    return float(value)  # hours have at most 14 digits (max_digits), shares a few: repr gives them back


def json_value(value, kind: str):
    """The exact figure an export carries, before its format writes it: hours to the hundredth, a rate or a
    change rounded to 0.1 % (a share), one decimal for DECIMAL, integers as they are."""
    if isinstance(value, int):
        return value
    if kind == PERCENT:
        return rounded_share(value)
    if kind == DECIMAL:
        return round_half_up(value, 1)
    return exact_hours(value)


def json_cell(value, kind: str):
    value, kind = unwrap(value, kind)
    if value is None or isinstance(value, str | bool):
        return value
    if isinstance(value, date):
        return value.isoformat()
    if _is_number(value):
        exact = json_value(value, kind)
        return exact if isinstance(exact, int) else json_number(exact)
    return value


# --- Writers ---------------------------------------------------------------------------------------------------


class _Echo:
    def write(self, value):
        return value


def iter_csv(
    tables: Iterable[Table], meta: ExportMeta, *, progress: Callable[[str], None] | None = None
) -> Iterator[str]:
    """CSV lines (";" separator, French decimal comma), the BOM first; one section per table."""
    writer = csv.writer(_Echo(), delimiter=";", lineterminator="\r\n")
    yield "\ufeff"
    yield writer.writerow([neutralise_formula(meta.title)])
    if meta.subtitle:
        yield writer.writerow([neutralise_formula(meta.subtitle)])
    for label, value in meta.filters:
        yield writer.writerow([neutralise_formula(label), neutralise_formula(value)])
    yield writer.writerow(["Généré le", meta.generated_on])
    for table in tables:
        yield writer.writerow([])
        yield writer.writerow([neutralise_formula(table.title)])
        yield writer.writerow([column.header for column in table.columns])
        count = 0
        for values in table.records():
            count += 1
            yield writer.writerow(
                [csv_cell(value, column.kind) for value, column in zip(values, table.columns, strict=True)]
            )
        if progress:
            progress(f"Tableau « {table.title} » : {count} ligne(s) écrite(s).")


def write_csv(tables: Iterable[Table], meta: ExportMeta, stream, *, progress=None) -> None:
    for chunk in iter_csv(tables, meta, progress=progress):
        stream.write(chunk)


XLSX_FORMATS = {
    INTEGER: "#,##0",
    DECIMAL: "#,##0.0",
    HOURS: "#,##0.00",
    PERCENT: '0.0" "%',  # 0.015 shows "1,5 %" in a French spreadsheet
    DATE: "dd/mm/yyyy",
    MONTH: "mm/yyyy",
}


def write_xlsx(tables: Iterable[Table], meta: ExportMeta, target, *, progress: Callable[[str], None] | None = None):
    """Write an XLSX workbook (a path or a binary file) with xlsxwriter in constant-memory mode: a sheet per
    table, numbers as numbers with French display formats, dates as dates."""
    import xlsxwriter

    workbook = xlsxwriter.Workbook(target, {"constant_memory": True, "in_memory": not isinstance(target, str)})
    # Dated by the export's own date, not by the clock: a published version gives the same bytes at every download.
    created = meta.generated_at
    if timezone.is_aware(created):
        created = created.astimezone(UTC).replace(tzinfo=None)
    workbook.set_properties({"title": meta.title, "comments": f"Généré le {meta.generated_on}", "created": created})
    bold = workbook.add_format({"bold": True})
    title_format = workbook.add_format({"bold": True, "font_size": 14})
    header = workbook.add_format({"bold": True, "bottom": 1, "text_wrap": True, "valign": "top"})
    formats = {kind: workbook.add_format({"num_format": code}) for kind, code in XLSX_FORMATS.items()}
    for index, table in enumerate(tables):
        sheet = workbook.add_worksheet(table.title[:31])
        row = 0
        if index == 0:
            sheet.write_string(row, 0, neutralise_formula(meta.title), title_format)
            row += 1
            if meta.subtitle:
                sheet.write_string(row, 0, neutralise_formula(meta.subtitle))
                row += 1
            for label, value in meta.filters:
                sheet.write_string(row, 0, neutralise_formula(label), bold)
                sheet.write_string(row, 1, neutralise_formula(value))
                row += 1
            sheet.write_string(row, 0, "Généré le", bold)
            sheet.write_datetime(row, 1, timezone.localtime(meta.generated_at).replace(tzinfo=None), formats[DATE])
            row += 2
        for col, column in enumerate(table.columns):
            sheet.write_string(row, col, column.header, header)
            sheet.set_column(col, col, 40 if col == 0 else (14 if column.kind != TEXT else 24))
        sheet.set_row(row, 30)  # room for a header on two lines
        sheet.freeze_panes(row + 1, 1)
        # Printed (or turned into PDF by LibreOffice): as wide as the page, the column headers on every page.
        sheet.fit_to_pages(1, 0)
        sheet.repeat_rows(row)
        if len(table.columns) > 6:
            sheet.set_landscape()
        count = 0
        for values in table.records():
            row += 1
            count += 1
            for col, (value, column) in enumerate(zip(values, table.columns, strict=True)):
                _write_xlsx_cell(sheet, row, col, value, column.kind, formats)
        if progress:
            progress(f"Feuille « {table.title} » : {count} ligne(s) écrite(s).")
    workbook.close()


def _number_kind(value) -> str:
    """The format of a figure in a column of mixed figures (NUMBER): a whole number as an integer, a figure
    kept to one decimal (FTE) with one, hours with two."""
    if _is_whole(value):
        return INTEGER
    return DECIMAL if isinstance(value, Decimal) and value.as_tuple().exponent == -1 else HOURS


def _write_xlsx_cell(sheet, row, col, value, kind, formats):
    value, kind = unwrap(value, kind)
    if value is None:
        sheet.write_blank(row, col, None)
    elif isinstance(value, str):
        sheet.write_string(row, col, neutralise_formula(value))
    elif isinstance(value, datetime | date):
        moment = value if isinstance(value, datetime) else datetime(value.year, value.month, value.day)
        sheet.write_datetime(row, col, moment, formats[kind if kind in (DATE, MONTH) else DATE])
    elif _is_number(value):
        number_kind = kind if kind in formats else _number_kind(value)
        exact = json_value(value, number_kind)
        sheet.write_number(row, col, json_number(Decimal(exact)), formats[number_kind])
    else:
        sheet.write_string(row, col, neutralise_formula(str(value)))


def xlsx_bytes(tables: Iterable[Table], meta: ExportMeta) -> bytes:
    buffer = io.BytesIO()
    write_xlsx(tables, meta, buffer)
    return buffer.getvalue()


JSON_NOTE = (
    "Nombres exacts : heures au centième (792281.79), taux et évolutions en part de 1 arrondie une fois "
    "à 0,1 % (0.187 pour 18,7 %), effectifs entiers ; « < 5 » remplace un effectif de 1 à 4 personnes, "
    "une cellule vide (null) une valeur masquée ou sans objet."
)


def json_document(tables: Iterable[Table], meta: ExportMeta) -> dict:
    return {
        "titre": meta.title,
        "note_sur_les_nombres": JSON_NOTE,
        "sous_titre": meta.subtitle,
        "filtres": dict(meta.filters),
        "genere_le": meta.generated_at.isoformat(),
        "tableaux": [
            {
                "code": table.code,
                "titre": table.title,
                "colonnes": [{"cle": column.key, "intitule": column.header} for column in table.columns],
                "lignes": [
                    {
                        column.key: json_cell(value, column.kind)
                        for value, column in zip(values, table.columns, strict=True)
                    }
                    for values in table.records()
                ],
            }
            for table in tables
        ],
    }


def write_json(tables: Iterable[Table], meta: ExportMeta, stream) -> None:
    json.dump(json_document(tables, meta), stream, ensure_ascii=False, indent=2)


# --- PDF -------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Cell:
    text: str
    numeric: bool
    href: str = ""


@dataclass(frozen=True)
class RenderedTable:
    """A table ready for a template (HTML page or PDF): formatted cells, chart data, an SVG chart."""

    code: str
    title: str
    headers: list[Cell]
    rows: list[list[Cell]]
    chart_data: dict | None  # {"label": ..., "labels": [...], "values": [...]} for Chart.js
    svg: str
    note: str = ""

    @property
    def chart_id(self) -> str:
        return f"chart-data-{self.code}"

    @property
    def suppression_note(self) -> str:
        """The explanation of the hidden values ("< 5", "secret") the table holds, if any."""
        return suppression.note_for(cell.text for row in self.rows for cell in row)


def _figure_text(value, kind: str, in_pdf_figures: bool) -> str:
    """The text of a cell. In a figure column of the PDF, "< 5" is written with a figure space (U+2007): text
    extractors (pdftotext, screen readers) drop a plain or no-break space after "<" and read "<5"."""
    text = display_text(value, kind)
    return text.replace(" ", "\u2007") if in_pdf_figures and isinstance(unwrap(value, kind)[0], str) else text


def rendered_tables(tables: Iterable[Table], *, svg: bool = False) -> list[RenderedTable]:
    """Format every cell as a French reader sees it; collect the figures of the chart column."""
    result = []
    for table in tables:
        numeric = [column.kind != TEXT for column in table.columns]
        keys = [column.key for column in table.columns]
        rows, chart_items, previous_items = [], [], []
        for item in table.rows:
            values = [column.value(item) for column in table.columns]
            rows.append(
                [
                    Cell(
                        _figure_text(value, column.kind, svg and is_num),
                        is_num,
                        column.link(item) if column.link else "",
                    )
                    for value, column, is_num in zip(values, table.columns, numeric, strict=True)
                ]
            )
            if table.chart:
                label_index, value_index = keys.index(table.chart[0]), keys.index(table.chart[1])
                value = _chart_number(values[value_index])
                second = _chart_number(values[keys.index(table.chart[2])]) if len(table.chart) > 2 else None
                if value is not None or second is not None:
                    label = display_text(values[label_index], table.columns[label_index].kind)
                    chart_items.append((label, value, _chart_text(values[value_index], table.columns[value_index])))
                    if len(table.chart) > 2:
                        second_column = table.columns[keys.index(table.chart[2])]
                        previous_items.append((second, _chart_text(values[keys.index(table.chart[2])], second_column)))
        chart_data = None
        if chart_items:
            # Bars are drawn from the values; every label (tooltips, SVG) is the text of the table cell.
            chart_data = {
                "label": table.columns[keys.index(table.chart[1])].header,
                "labels": [label for label, _value, _text in chart_items],
                "values": [_chart_value(value) for _label, value, _text in chart_items],
                "texts": [text for _label, _value, text in chart_items],
            }
            if len(table.chart) > 2:  # two series: the year and the previous one
                chart_data["series"] = [
                    {"label": chart_data["label"], "values": chart_data["values"], "texts": chart_data["texts"]},
                    {
                        "label": table.columns[keys.index(table.chart[2])].header,
                        "values": [_chart_value(value) for value, _text in previous_items],
                        "texts": [text for _value, text in previous_items],
                    },
                ]
        result.append(
            RenderedTable(
                code=table.code,
                title=table.title,
                headers=[Cell(column.header, is_num) for column, is_num in zip(table.columns, numeric, strict=True)],
                rows=rows,
                chart_data=chart_data,
                svg=_svg_chart(chart_items, previous_items, chart_data, title=table.title)
                if svg and chart_items
                else "",
                note=table.note,
            )
        )
    return result


def _chart_number(value) -> Decimal | None:
    value, _kind = unwrap(value, NUMBER)
    return Decimal(value) if _is_number(value) else None


def _chart_value(value: Decimal | None) -> int | float | None:
    """A bar's length for Chart.js: the exact figure (its label is the cell text, never this number)."""
    return None if value is None else json_number(exact_hours(value))


def _chart_text(value, column: Column) -> str:
    return display_text(value, column.kind) if _chart_number(value) is not None else ""


def _svg_chart(items: list, previous: list, chart_data: dict, *, title: str) -> str:
    """The server-drawn chart of a table: one series, or two side by side (reporting.charts); every figure
    written on the chart is the text of its table cell."""
    from reporting.charts import svg_bar_chart, svg_grouped_bar_chart

    if "series" in chart_data:
        series = [
            (chart_data["series"][0]["label"], [(value, text) for _label, value, text in items]),
            (chart_data["series"][1]["label"], previous),
        ]
        return svg_grouped_bar_chart([label for label, _value, _text in items], series, title=title)
    return svg_bar_chart([(label, value, text) for label, value, text in items if value is not None], title=title)


# The lots a dashboard PDF lists: running lots behind and ended lots below target.
ATTENTION_STATUSES = TargetStatus.NEEDS_ATTENTION
PDF_LOTS_LIMIT = 100
PDF_LOTS_LEFT_OUT = ("objet", "projection", "projection_recente", "meilleur_mois")  # in the XLSX and on screen


def attention_lots_only(tables: list[Table], *, limit: int = PDF_LOTS_LIMIT) -> list[Table]:
    """The dashboard PDF is short by design: its lots table lists only the lots needing attention (running lots
    behind, ended lots below target), at most `limit` of them, the most at risk first, and says how many lots
    there are in all and that the full list is in the XLSX export."""
    result = []
    for table in tables:
        if table.code == "lots":
            rows = list(table.rows)
            attention = [item for item in rows if item.status in ATTENTION_STATUSES]
            shown = attention[:limit]
            note = (
                f"{french_number(len(attention), 0)} lot(s) à surveiller (en retard ou terminés sous l'objectif) "
                f"sur {french_number(len(rows), 0)} lot(s) en tout"
            )
            if len(shown) < len(attention):
                note += f" ; les {french_number(len(shown), 0)} plus à risque figurent ci-dessous"
            note += ". La liste complète des lots est dans l'export XLSX du tableau de bord."
            # Fewer columns than on screen, so each stays readable on a landscape page.
            columns = tuple(column for column in table.columns if column.key not in PDF_LOTS_LEFT_OUT)
            table = Table(table.code, "Lots à surveiller", columns, shown, table.chart, note)
        result.append(table)
    return result


def pdf_bytes(template_name: str, context: dict) -> bytes:
    """Render a Django template to PDF with WeasyPrint (static files resolved from the finders)."""
    from django.template.loader import render_to_string
    from weasyprint import HTML

    html = render_to_string(template_name, context)
    return HTML(string=html, base_url=None).write_pdf()
