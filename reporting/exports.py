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
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.urls import reverse
from django.utils import timezone

from config.formatting import french_number
from reporting import queries
from reporting.calculations import suppress_small_count

TEXT = "text"
INTEGER = "integer"
DECIMAL = "decimal"  # one decimal
HOURS = "hours"  # hours, up to two decimals
PERCENT = "percent"  # a share between 0 and 1
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
    chart: tuple[str, str] | None = None  # (label column key, value column key) drawn in the PDF
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


def evolution(current, previous) -> Decimal | None:
    if current in (None, "") or previous in (None, "") or isinstance(current, str) or isinstance(previous, str):
        return None
    if not previous:
        return None
    return ((Decimal(current) - Decimal(previous)) / Decimal(previous)).quantize(Decimal("0.0001"))


def summary_lines(report: queries.YearlyReport) -> list[Line]:
    now, before = report.summary, report.previous_summary
    return [
        Line("Heures d'insertion", now.hours, before.hours),
        Line("Équivalents temps plein (ETP)", now.fte, before.fte),
        Line("Participant·es", now.participants, before.participants),
        Line("Contrats", now.contracts, before.contracts),
        Line("Entreprises", now.companies, before.companies),
        Line("Marchés", now.markets, before.markets),
        Line("Acheteurs", now.buyers, before.buyers),
        Line("Marchés notifiés dans l'année avec clause", report.notified.markets, report.previous_notified.markets),
        Line("Lots notifiés dans l'année avec clause", report.notified.lots, report.previous_notified.lots),
        Line(
            "Heures cibles des marchés notifiés",
            report.notified.target_hours,
            report.previous_notified.target_hours,
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
    year, last = report.year, report.year - 1
    tables = [
        Table(
            "synthese",
            "Synthèse",
            (
                Column("indicateur", "Indicateur", lambda line: line.label),
                Column(f"annee_{year}", str(year), lambda line: line.current, NUMBER),
                Column(f"annee_{last}", str(last), lambda line: line.previous, NUMBER),
                Column("evolution", "Évolution", lambda line: evolution(line.current, line.previous), PERCENT),
            ),
            summary_lines(report),
        ),
        Table(
            "publics",
            "Par public",
            (
                Column("public", "Public", lambda pair: (pair[0] or pair[1]).label),
                Column(f"heures_{year}", f"Heures {year}", lambda pair: _get(pair[0], "hours"), HOURS),
                Column(f"heures_{last}", f"Heures {last}", lambda pair: _get(pair[1], "hours"), HOURS),
                Column(
                    f"part_heures_{year}", f"Part des heures {year}", lambda p: _get(p[0], "hours_share", None), PERCENT
                ),
                Column(f"participants_{year}", f"Participant·es {year}", lambda p: _get(p[0], "participants"), INTEGER),
                Column(f"participants_{last}", f"Participant·es {last}", lambda p: _get(p[1], "participants"), INTEGER),
                Column(
                    f"part_participants_{year}",
                    f"Part des participant·es {year}",
                    lambda pair: _get(pair[0], "participants_share", None),
                    PERCENT,
                ),
            ),
            list(paired(report.publics, report.previous_publics, key=lambda row: row.code)),
            chart=("public", f"heures_{year}"),
        ),
    ]
    for dimension in queries.DIMENSIONS:
        tables.append(
            Table(
                dimension.code,
                dimension_title(dimension),
                dimension_columns(dimension, year),
                list(
                    paired(
                        report.breakdowns[dimension.code],
                        report.previous_breakdowns[dimension.code],
                        key=lambda row: row.key,
                    )
                ),
                chart=("libelle", f"heures_{year}"),
            )
        )
    tables.append(
        Table(
            "mensuel",
            "Par mois",
            (
                Column("mois", "Mois", lambda line: line.key, MONTH),
                Column(f"heures_{year}", f"Heures {year}", lambda line: line.current, HOURS),
                Column(f"heures_{last}", f"Heures {last} (même mois)", lambda line: line.previous, HOURS),
            ),
            monthly_lines(report),
            chart=("mois", f"heures_{year}"),
        )
    )
    return tables


def dimension_title(dimension: queries.Dimension) -> str:
    """ "Par département", "Par type de marché", "Par EPCI", "Par QPV de résidence"."""
    title = dimension.title if dimension.title[:2].isupper() else dimension.title[0].lower() + dimension.title[1:]
    return f"Par {title}"


def dimension_columns(dimension: queries.Dimension, year: int) -> tuple[Column, ...]:
    """Label, official code where there is one (département, EPCI, QPV), figures of both years."""
    last = year - 1
    code = (Column("code", "Code", lambda pair: (pair[0] or pair[1]).key or ""),) if dimension.names else ()
    return (
        Column("libelle", dimension.title, lambda pair: (pair[0] or pair[1]).label),
        *code,
        Column(f"heures_{year}", f"Heures {year}", lambda pair: _get(pair[0], "hours"), HOURS),
        Column(f"heures_{last}", f"Heures {last}", lambda pair: _get(pair[1], "hours"), HOURS),
        Column(f"participants_{year}", f"Participant·es {year}", lambda p: _get(p[0], "participants"), INTEGER),
        Column(f"participants_{last}", f"Participant·es {last}", lambda p: _get(p[1], "participants"), INTEGER),
        Column(f"contrats_{year}", f"Contrats {year}", lambda pair: _get(pair[0], "contracts"), INTEGER),
        Column(f"contrats_{last}", f"Contrats {last}", lambda pair: _get(pair[1], "contracts"), INTEGER),
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
    """Twelve months of the year, with the same month of the previous year beside."""
    current = {point.month.month: point.hours for point in report.monthly}
    previous = {point.month.month: point.hours for point in report.previous_monthly}
    return [
        Line(
            month_label(date(report.year, month, 1)),
            current.get(month, queries.ZERO),
            previous.get(month, queries.ZERO),
            key=date(report.year, month, 1),
        )
        for month in range(1, 13)
    ]


# --- Tables of a dashboard (buyer or facilitation structure) -------------------------------------------------


def dashboard_tables(board) -> list[Table]:
    """Tables of a reporting.dashboards.Dashboard; counts of 1 to 4 people become "< 5" when suppressed."""

    def people(value):
        return suppress_small_count(value) if board.suppress else value

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
                Line("Participant·es", people(board.summary.participants), people(board.total.participants)),
                Line("Contrats", people(board.summary.contracts), people(board.total.contracts)),
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
                Column("participants", f"Participant·es {year}", lambda row: people(row.participants), INTEGER),
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
                Column("participants", f"Participant·es {year}", lambda row: people(row.participants), INTEGER),
                Column("contrats", f"Contrats {year}", lambda row: people(row.contracts), INTEGER),
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
    Column("taux", "Taux de réalisation", lambda item: item.rate, PERCENT),
    Column("statut", "Statut", lambda item: item.status_label),
    Column("projection", "Projection à la fin (h)", lambda item: item.projected_hours, HOURS),
    Column("fin", "Fin d'exécution", lambda item: item.lot.end_date, DATE),
)


def bilan_tables(bilan) -> list[Table]:
    """Tables of the end-of-contract bilan of a market (reporting.dashboards.MarketBilan), all years."""

    def people(value):
        return suppress_small_count(value) if bilan.suppress else value

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
                Line("Participant·es", people(total.participants), None),
                Line("Contrats", people(total.contracts), None),
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
                Column("participants", "Participant·es", lambda row: people(row.participants), INTEGER),
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
                Column("participants", "Participant·es", lambda row: people(row.participants), INTEGER),
                Column("contrats", "Contrats", lambda row: people(row.contracts), INTEGER),
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


def _is_number(value) -> bool:
    return isinstance(value, int | Decimal | float) and not isinstance(value, bool)


def plain_number(value, kind: str) -> str:
    """A number for CSV: decimal comma, no thousands separator (so spreadsheets read it as a number)."""
    if kind == PERCENT:
        return f"{Decimal(value) * 100:.1f} %".replace(".", ",")
    if kind == DECIMAL:
        return f"{Decimal(value):.1f}".replace(".", ",")
    if isinstance(value, Decimal):
        text = f"{value.normalize():f}" if value == value.to_integral() else f"{value:f}".rstrip("0")
        return text.replace(".", ",")
    return str(value)


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
        return f"{french_number(Decimal(value) * 100, 1)}\u00a0%"
    if kind == DECIMAL:
        return french_number(value, 1)
    rounded = Decimal(value).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
    return french_number(rounded, 0 if rounded == rounded.to_integral() else 1)


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


def json_cell(value, kind: str):
    value, kind = unwrap(value, kind)
    if value is None or isinstance(value, str | bool):
        return value
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral() and kind != PERCENT else float(value)
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
    HOURS: "#,##0.##",
    PERCENT: "0.0%",
    DATE: "dd/mm/yyyy",
    MONTH: "mm/yyyy",
}


def write_xlsx(tables: Iterable[Table], meta: ExportMeta, target, *, progress: Callable[[str], None] | None = None):
    """Write an XLSX workbook (a path or a binary file) with xlsxwriter in constant-memory mode: a sheet per
    table, numbers as numbers with French display formats, dates as dates."""
    import xlsxwriter

    workbook = xlsxwriter.Workbook(target, {"constant_memory": True, "in_memory": not isinstance(target, str)})
    workbook.set_properties({"title": meta.title, "comments": f"Généré le {meta.generated_on}"})
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
        sheet.freeze_panes(row + 1, 1)
        count = 0
        for values in table.records():
            row += 1
            count += 1
            for col, (value, column) in enumerate(zip(values, table.columns, strict=True)):
                _write_xlsx_cell(sheet, row, col, value, column.kind, formats)
        if progress:
            progress(f"Feuille « {table.title} » : {count} ligne(s) écrite(s).")
    workbook.close()


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
        number_kind = kind if kind in formats else (INTEGER if Decimal(value) == int(value) else DECIMAL)
        if kind == NUMBER and isinstance(value, Decimal) and value != value.to_integral():
            number_kind = DECIMAL
        sheet.write_number(row, col, float(value), formats[number_kind])
    else:
        sheet.write_string(row, col, neutralise_formula(str(value)))


def xlsx_bytes(tables: Iterable[Table], meta: ExportMeta) -> bytes:
    buffer = io.BytesIO()
    write_xlsx(tables, meta, buffer)
    return buffer.getvalue()


def json_document(tables: Iterable[Table], meta: ExportMeta) -> dict:
    return {
        "titre": meta.title,
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


def rendered_tables(tables: Iterable[Table], *, svg: bool = False) -> list[RenderedTable]:
    """Format every cell as a French reader sees it; collect the figures of the chart column."""
    from reporting.charts import svg_bar_chart

    result = []
    for table in tables:
        numeric = [column.kind != TEXT for column in table.columns]
        keys = [column.key for column in table.columns]
        rows, chart_items = [], []
        for item in table.rows:
            values = [column.value(item) for column in table.columns]
            rows.append(
                [
                    Cell(display_text(value, column.kind), is_num, column.link(item) if column.link else "")
                    for value, column, is_num in zip(values, table.columns, numeric, strict=True)
                ]
            )
            if table.chart:
                label_index, value_index = keys.index(table.chart[0]), keys.index(table.chart[1])
                value = values[value_index]
                value, _kind = unwrap(value, NUMBER)
                if _is_number(value):
                    chart_items.append((display_text(values[label_index], table.columns[label_index].kind), value))
        chart_data = None
        if chart_items:
            chart_data = {
                "label": table.columns[keys.index(table.chart[1])].header,
                "labels": [label for label, _value in chart_items],
                "values": [float(value) for _label, value in chart_items],
            }
        result.append(
            RenderedTable(
                code=table.code,
                title=table.title,
                headers=[Cell(column.header, is_num) for column, is_num in zip(table.columns, numeric, strict=True)],
                rows=rows,
                chart_data=chart_data,
                svg=svg_bar_chart([(label, Decimal(value)) for label, value in chart_items], title=table.title)
                if svg and chart_items
                else "",
                note=table.note,
            )
        )
    return result


# The lots a dashboard PDF lists. TODO(merge): clauses.calculations.TargetStatus.NEEDS_ATTENTION.
ATTENTION_STATUSES = ("behind", "ended_below")
PDF_LOTS_LIMIT = 100


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
            table = Table(table.code, "Lots à surveiller", table.columns, shown, table.chart, note)
        result.append(table)
    return result


def pdf_bytes(template_name: str, context: dict) -> bytes:
    """Render a Django template to PDF with WeasyPrint (static files resolved from the finders)."""
    from django.template.loader import render_to_string
    from weasyprint import HTML

    html = render_to_string(template_name, context)
    return HTML(string=html, base_url=None).write_pdf()
