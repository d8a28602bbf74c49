"""One number everywhere (issue 13, DOMAIN.md §8): the yearly report, a buyer's dashboard and a market bilan
are rendered as a page, CSV, XLSX, JSON and PDF, and every figure is compared, cell by cell, with one
canonical rounding of its exact value, computed here independently of config.formatting:

- page, PDF and charts: hours to 0.1 h (half up), rates and changes to 0.1 %, "< 5" as it is;
- CSV: hours exact to the hundredth with a decimal comma, rates and changes to 0.1 % ("1,5 %");
- XLSX: real numbers (hours exact, shares rounded to 0.1 %) with their number format;
- JSON: exact numbers (hours exact, shares rounded to 0.1 %).

The world has awkward values: halves at the hundredth (120,45 h, 0,35 h, 210,75 h), hundredths (10,01 h), a
year-on-year change of exactly 1,45 % (2 029 h against 2 000 h), a figure whose previous year is zero and
counts of people shown "< 5". No output may carry float noise ("792281,789999999").
"""

from __future__ import annotations

import dataclasses
import datetime
import html
import re
from decimal import ROUND_HALF_UP, Decimal

import pytest

from beneficiaries.choices import OutcomeResult
from reporting import exports
from reporting.calculations import SECRET_LABEL, SMALL_COUNT_LABEL
from reporting.views import EXPORT_ONLY_LOT_COLUMNS
from tests.beneficiaries.factories import BeneficiaryFactory, HoursRecordFactory, OutcomeFactory, PlacementFactory
from tests.reporting.outputs import FLOAT_NOISE, all_outputs, same_spaces, texts_of

D = Decimal
MONTHS = ("janvier", "février", "mars", "avril", "mai", "juin")
MONTHS += ("juillet", "août", "septembre", "octobre", "novembre", "décembre")


# --- The world ---------------------------------------------------------------------------------------------------


@pytest.fixture
def awkward(world):
    """The reporting world (tests/reporting/conftest.py) plus validated hours with awkward values on lot 1 of the
    city's market: 2025 totals 2 029 h and 2024 totals 2 000 h (a change of exactly +1,45 %)."""
    placements = {}

    def record(person, month: tuple[int, int], hours: str):
        if person not in placements:
            placements[person] = PlacementFactory(lot=awkward_lot, beneficiary=person)
        HoursRecordFactory(placement=placements[person], month=datetime.date(*month, 1), hours=D(hours))

    awkward_lot = world["lot1"]
    p3, p4, p5, p6, p7 = (BeneficiaryFactory(structure=world["facilitator"]) for _ in range(5))
    for month in range(1, 10):
        record(p5, (2024, month), "200")
    record(p5, (2024, 10), "175")  # 2024: 25 + 1 975 = 2 000 h
    record(p3, (2025, 5), "120.45")  # a half at the hundredth: 120,5 on pages
    record(p4, (2025, 6), "0.35")  # 0.35 is below the half as a float
    record(p3, (2025, 7), "10.01")
    record(p3, (2025, 8), "210.75")
    for month in (9, 10, 11):
        record(p6, (2025, month), "200")
        record(p7, (2025, month), "200")
    record(p7, (2025, 1), "200")
    record(p7, (2025, 2), "37.44")  # 2025: 250 + 1 779 = 2 029 h
    # What became of the people (issue 18): of the 7 people whose contract ended on 31/12/2025, one is in durable
    # employment at the end (a temp mission of 6 months or more): 1/7 = 14,285… % → "14,3 %" everywhere.
    OutcomeFactory(placement=placements[p3], result=OutcomeResult.DURABLE_TEMP, observed_on=datetime.date(2026, 1, 5))
    return world


# --- Canonical rounding (independent of config.formatting) -------------------------------------------------------


def half_up(value, places: int) -> Decimal:
    rounded = D(value).quantize(D(1).scaleb(-places), rounding=ROUND_HALF_UP)
    return abs(rounded) if rounded == 0 else rounded


def grouped(number: Decimal, places: int) -> str:
    """French digits: thousands grouped by a space, decimal comma."""
    sign, digits = ("-", -number) if number < 0 else ("", number)
    whole, _, fraction = f"{digits:.{places}f}".partition(".")
    groups = []
    while whole:
        groups.insert(0, whole[-3:])
        whole = whole[:-3]
    return sign + " ".join(groups) + ("," + fraction if fraction else "")


def is_number(value) -> bool:
    return isinstance(value, int | Decimal) and not isinstance(value, bool)


def page_text(value, kind) -> str:
    """The text of a cell on the page, in the PDF and in the charts (spaces made alike)."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if kind == exports.DATE:
        return value.strftime("%d/%m/%Y")
    if kind == exports.MONTH:
        return f"{MONTHS[value.month - 1]} {value.year}"
    if kind == exports.PERCENT:
        return grouped(half_up(D(value) * 100, 1), 1) + " %"
    if kind == exports.DECIMAL:
        return grouped(half_up(value, 1), 1)
    if isinstance(value, int):
        return grouped(D(value), 0)
    tenth = half_up(value, 1)
    return grouped(tenth, 0 if tenth == tenth.to_integral() else 1)


def exact(value, kind) -> Decimal | int:
    """The figure an export carries: hours exact to the hundredth, shares rounded once to 0.1 %."""
    if isinstance(value, int):
        return value
    if kind == exports.PERCENT:
        return half_up(value, 3)
    if kind == exports.DECIMAL:
        return half_up(value, 1)
    return half_up(value, 2)


def csv_text(value, kind) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if kind == exports.DATE:
        return value.strftime("%d/%m/%Y")
    if kind == exports.MONTH:
        return value.strftime("%m/%Y")
    if kind == exports.PERCENT:
        return f"{half_up(D(value) * 100, 1)} %".replace(".", ",")
    number = exact(value, kind)
    if isinstance(number, int):
        return str(number)
    text = f"{number:f}"
    text = text.rstrip("0").rstrip(".") if "." in text else text
    return text.replace(".", ",")


XLSX_FORMAT = {
    exports.HOURS: "#,##0.00",
    exports.PERCENT: '0.0" "%',
    exports.INTEGER: "#,##0",
    exports.DECIMAL: "#,##0.0",
}


def xlsx_format(value, kind) -> str:
    if kind in XLSX_FORMAT:
        return XLSX_FORMAT[kind]
    if isinstance(value, int) or D(value) == D(value).to_integral():
        return "#,##0"
    return "#,##0.0" if value.as_tuple().exponent == -1 else "#,##0.00"  # FTE (one decimal) or hours


def json_value(value, kind):
    if value is None or isinstance(value, str):
        return value
    if kind in (exports.DATE, exports.MONTH):
        return value.isoformat()
    return exact(value, kind)


# --- Capturing the exact figures the page is built from ---------------------------------------------------------


@pytest.fixture
def captured(monkeypatch):
    """The declarative tables (exact values) each page renders, captured as the view hands them over."""
    seen: list[list[exports.Table]] = []
    original = exports.rendered_tables

    def spy(tables, **kwargs):
        tables = [dataclasses.replace(table, rows=list(table.rows)) for table in tables]
        seen.append(tables)
        return original(tables, **kwargs)

    monkeypatch.setattr(exports, "rendered_tables", spy)
    return seen


def expected_rows(table: exports.Table) -> list[list[tuple]]:
    """(value, kind, column) of every cell, the value unwrapped from exports.Typed."""
    rows = []
    for row in table.rows:
        cells = []
        for column in table.columns:
            value = column.value(row)
            kind = column.kind
            if isinstance(value, exports.Typed):
                value, kind = value.value, value.kind
            assert not isinstance(value, float), f"{table.title} · {column.header}: a float, not an exact decimal"
            cells.append((value, kind, column))
        rows.append(cells)
    return rows


# --- Comparing ---------------------------------------------------------------------------------------------------


def check_page(outputs, table, rows):
    page = outputs.page[table.code]
    assert len(page) == len(rows), table.title
    for shown, cells in zip(page, rows, strict=True):
        if table.code == "lots" and len(shown) < len(cells) - 1:
            # The dashboard's lots table: the « Risque » badge sits in the status cell, and the recent-pace projection
            # is left to the exports (reporting.views.EXPORT_ONLY_LOT_COLUMNS).
            risk = next((value for value, _kind, column in cells if column.key == "risque"), "")
            cells = [
                (f"{value} {risk}" if risk and column.key == "statut" else value, kind, column)
                for value, kind, column in cells
                if column.key not in EXPORT_ONLY_LOT_COLUMNS
            ]
        if len(shown) == len(cells) - 1:  # the buyer's column is left out on screen when there is one buyer
            cells = [cell for cell in cells if cell[2].key != "acheteur"]
        expected = [page_text(value, kind) for value, kind, _column in cells]
        assert [same_spaces(text) for text in shown] == expected, table.title


def check_chart(outputs, table, rows):
    """The Chart.js data of the page labels each bar with the text of its table cell (each series)."""
    if not table.chart or table.code not in outputs.charts:
        return
    keys = [column.key for column in table.columns]
    label_at, value_ats = keys.index(table.chart[0]), [keys.index(key) for key in table.chart[1:]]
    charted = [cells for cells in rows if any(is_number(cells[at][0]) for at in value_ats)]
    chart = outputs.charts[table.code]
    assert [same_spaces(text) for text in chart["labels"]] == [page_text(*cells[label_at][:2]) for cells in charted]
    series = chart.get("series") or [chart]
    assert len(series) == len(value_ats), table.title
    for one, at in zip(series, value_ats, strict=True):
        expected = [page_text(*cells[at][:2]) if is_number(cells[at][0]) else "" for cells in charted]
        assert [same_spaces(text) for text in one["texts"]] == expected, table.title


def check_svg(tables):
    """The server-drawn SVG charts of the PDF carry the text of the table cells (120,45 h → "120,5", not "121")."""
    for rendered in exports.rendered_tables(tables, svg=True):
        if not rendered.svg:
            continue
        texts = [
            same_spaces(html.unescape(text)) for text in re.findall(r"<text[^>]*>([^<]*)</text>", str(rendered.svg))
        ]
        table = next(t for t in tables if t.code == rendered.code)
        keys = [column.key for column in table.columns]
        value_ats = [keys.index(key) for key in table.chart[1:]]
        if len(value_ats) == 1:
            values = texts[1::2]  # label, value, label, value…
            hidden = {SECRET_LABEL, SMALL_COUNT_LABEL}  # not charted
            shown = [
                same_spaces(row[value_ats[0]].text)
                for row in rendered.rows
                if row[value_ats[0]].text and same_spaces(row[value_ats[0]].text) not in hidden
            ]
            assert values == shown[: len(values)], rendered.title
        else:  # two series: a legend, then each label followed by the figures of its bars
            labels = {same_spaces(row[keys.index(table.chart[0])].text) for row in rendered.rows}
            shown = {same_spaces(row[at].text) for row in rendered.rows for at in value_ats}
            figures = [text for text in texts[len(value_ats) :] if text not in labels and not text.endswith("…")]
            assert figures, rendered.title
            assert set(figures) <= shown, rendered.title


def check_csv(outputs, table, rows):
    section = outputs.csv[table.title]
    assert len(section) == len(rows), table.title
    for written, cells in zip(section, rows, strict=True):
        expected = [csv_text(value, kind) for value, kind, _column in cells]
        expected = [exports.neutralise_formula(text) for text in expected]
        assert [same_spaces(text) for text in written] == [same_spaces(text) for text in expected], table.title


def check_xlsx(outputs, table, rows):
    sheet = outputs.xlsx[table.title[:31]]
    assert len(sheet) == len(rows), table.title
    for written, cells in zip(sheet, rows, strict=True):
        for cell, (value, kind, column) in zip(written, cells, strict=True):
            where = f"{table.title} · {column.header} · {cell.coordinate}"
            if value is None:
                assert cell.value is None, where
            elif isinstance(value, str):
                assert cell.value == exports.neutralise_formula(value) and cell.data_type == "s", where
            elif isinstance(value, datetime.date):
                assert cell.is_date and cell.value.date() == value, where
            else:
                assert cell.data_type == "n", where
                assert isinstance(cell.value, int | float), where
                assert D(repr(cell.value)) == exact(value, kind), where  # the number itself, no float noise
                assert cell.number_format == xlsx_format(value, kind), where


def check_json(outputs, table, rows):
    document = next(item for item in outputs.json["tableaux"] if item["code"] == table.code)
    assert len(document["lignes"]) == len(rows), table.title
    for line, cells in zip(document["lignes"], rows, strict=True):
        for value, kind, column in cells:
            written = line[column.key]
            expected = json_value(value, kind)
            assert written == expected, f"{table.title} · {column.key}"
            assert type(written) is type(expected) or isinstance(expected, Decimal), f"{table.title} · {column.key}"


def check_pdf(outputs, table, rows):
    """Each row of the table is a line of the PDF holding its label then its figures, in order, as on the page."""
    lines = [same_spaces(line) for line in outputs.pdf.splitlines()]
    for cells in rows:
        label = page_text(*cells[0][:2])
        figures = [page_text(value, kind) for value, kind, column in cells[1:] if column.kind != exports.TEXT]
        figures = [text for text in figures if text]
        numbers = r" (?:.* )?".join(re.escape(text) for text in figures)
        first_word = label.split(" ")[0]  # a long label wraps: its first line holds the figures
        pattern = re.compile(r"(^| )" + re.escape(first_word) + (r" (.* )?" + numbers if figures else "") + r"( |$)")
        assert any(pattern.search(line) for line in lines), f"{table.title}: {label} {figures} not in the PDF"


def check_no_float_noise(outputs):
    for fmt, text in texts_of(outputs).items():
        if fmt == "json":
            text = re.sub(r'"genere_le": "[^"]*"', "", text)
        if fmt == "page":
            text = " ".join(" ".join(" ".join(row) for row in rows) for rows in outputs.page.values())
            text += " ".join(str(chart) for chart in outputs.charts.values())
        assert not FLOAT_NOISE.search(text), (fmt, FLOAT_NOISE.search(text).group())
        assert "<5" not in text.replace("< 5", ""), fmt  # one spelling: "< 5"


def check_everywhere(outputs, tables, *, pdf_tables=None):
    """`pdf_tables`: what the PDF holds when it differs by design (the dashboard's lots needing attention)."""
    assert {table.code for table in tables} <= set(outputs.page)
    for table in tables:
        rows = expected_rows(table)
        check_page(outputs, table, rows)
        check_chart(outputs, table, rows)
        check_csv(outputs, table, rows)
        check_xlsx(outputs, table, rows)
        check_json(outputs, table, rows)
    for table in pdf_tables or tables:
        check_pdf(outputs, table, expected_rows(table))
    check_svg(tables)
    check_no_float_noise(outputs)


def row_of(rows: list[list[str]], label: str) -> list[str]:
    return [same_spaces(text) for text in next(row for row in rows if same_spaces(row[0]) == label)]


# --- The three reports ---------------------------------------------------------------------------------------------


def test_yearly_report_reads_the_same_in_every_format(client, awkward, captured):
    outputs = all_outputs(client, awkward["coordinator"], "report", year=2025)
    check_everywhere(outputs, captured[0])
    # The awkward values, as a reader sees them.
    assert row_of(outputs.page["synthese"], "Heures d'insertion") == ["Heures d'insertion", "2 029", "2 000", "1,5 %"]
    assert row_of(outputs.csv["Synthèse"], "Heures d'insertion") == ["Heures d'insertion", "2029", "2000", "1,5 %"]
    assert row_of(outputs.page["mensuel"], "mai 2025")[1] == "120,5"
    assert row_of(outputs.csv["Par mois"], "05/2025")[1] == "120,45"
    assert row_of(outputs.page["mensuel"], "juin 2025")[1] == "0,4"
    assert row_of(outputs.csv["Par mois"], "06/2025")[1] == "0,35"
    assert row_of(outputs.page["mensuel"], "août 2025")[1] == "210,8"
    months = next(table for table in outputs.json["tableaux"] if table["code"] == "mensuel")["lignes"]
    assert [line["heures_2025"] for line in months[4:9]] == [D("120.45"), D("0.35"), D("10.01"), D("210.75"), 400]
    synthesis = next(table for table in outputs.json["tableaux"] if table["code"] == "synthese")["lignes"]
    assert synthesis[0]["evolution"] == D("0.015")
    notified_target = next(line for line in synthesis if line["indicateur"] == "Heures cibles des marchés notifiés")
    assert notified_target["annee_2024"] == 0 and notified_target["evolution"] is None  # no change from zero
    assert row_of(outputs.page["synthese"], "Heures cibles des marchés notifiés")[3] == ""
    assert "note_sur_les_nombres" in outputs.json
    # One outcome figure: durable employment at the end, 1 person of 7 (14,285… %).
    durable = ["Emploi durable", "1", "14,3 %"]
    assert row_of(outputs.page["sorties"], "Emploi durable")[:3] == durable
    assert row_of(outputs.csv["Sorties (fin et six mois)"], "Emploi durable")[:3] == durable
    outcomes = {line["situation"]: line for line in table_of(outputs.json, "sorties")["lignes"]}
    assert (outcomes["Emploi durable"]["fin_personnes"], outcomes["Emploi durable"]["fin_part"]) == (1, D("0.143"))
    assert "Emploi durable 1 14,3 %" in same_spaces(outputs.pdf)
    sheet = outputs.xlsx["Sorties (fin et six mois)"]
    cells = next(row for row in sheet if row[0].value == "Emploi durable")
    assert (cells[1].value, D(repr(cells[2].value)), cells[2].number_format) == (1, D("0.143"), '0.0" "%')


def test_buyer_dashboard_reads_the_same_in_every_format(client, awkward, captured):
    outputs = all_outputs(client, awkward["city_admin"], "dashboard", year=2025)
    # The PDF lists only the lots needing attention, with fewer columns (the full list is in the XLSX).
    check_everywhere(outputs, captured[0], pdf_tables=exports.attention_lots_only(captured[0]))
    assert "< 5" in same_spaces(outputs.pdf) and "< 5" in texts_of(outputs)["csv"]
    assert row_of(outputs.page["mensuel"], "mai 2025")[1] == "120,5"


def test_market_bilan_reads_the_same_in_every_format(client, awkward, captured):
    outputs = all_outputs(client, awkward["city_admin"], "bilan", market=awkward["market1"].pk)
    check_everywhere(outputs, captured[0])
    assert "< 5" in same_spaces(outputs.pdf)
    assert row_of(outputs.page["annees"], "2025")[1] == "1 959"


@pytest.mark.parametrize(
    ("value", "kind", "page", "csv"),
    [
        (D("792281.789999999"), exports.HOURS, "792 281,8", "792281,79"),
        (D("82903.0899999999"), exports.HOURS, "82 903,1", "82903,09"),
        (D("0.0145"), exports.PERCENT, "1,5 %", "1,5 %"),
        (D("-0.1465"), exports.PERCENT, "-14,7 %", "-14,7 %"),
        (D("0.01445"), exports.PERCENT, "1,4 %", "1,4 %"),  # rounded once: not 1,45 then 1,5
        (D("-0.0004"), exports.PERCENT, "0,0 %", "0,0 %"),
    ],
)
def test_cells_round_once(value, kind, page, csv):
    """Float noise from SQLite sums and exact halves, through the cell writers of every format."""
    assert same_spaces(exports.display_text(value, kind)) == page == page_text(value, kind)
    assert same_spaces(exports.csv_cell(value, kind)) == csv == csv_text(value, kind)
    assert D(repr(exports.json_cell(value, kind))) == exact(value, kind)


def test_api_yearly_report_carries_the_figures_of_the_json_export(client, awkward):
    """The API's yearly report writes the same exact figures as the report's JSON export, as decimal strings."""
    outputs = all_outputs(client, awkward["coordinator"], "report", year=2025)
    body = client.get("/api/v1/reports/yearly/", {"year": 2025}).json()
    synthesis = {line["indicateur"]: line for line in table_of(outputs.json, "synthese")["lignes"]}
    assert D(body["summary"]["hours"]) == synthesis["Heures d'insertion"]["annee_2025"] == D("2029")
    assert body["summary"]["hours"] == "2029.00" and body["summary"]["fte"] == "1.3"
    publics = {line["public"]: line for line in table_of(outputs.json, "publics")["lignes"]}
    for row in body["publics"]:
        line = publics[row["label"]]
        assert D(row["hours"]) == line["heures_2025"]
        assert D(row["hours_share"]) == line["part_heures_2025"]  # rounded once to 0.1 %, half up
        assert D(row["participants_share"]) == line["part_participants_2025"]
    months = {row["month"]: row["hours"] for row in body["monthly"]}
    assert months["2025-05-01"] == "120.45" and months["2025-06-01"] == "0.35"
    outcomes = {line["situation"]: line for line in table_of(outputs.json, "sorties")["lignes"]}
    at_end = body["outcomes"]["total"]["at_end"]
    assert at_end["counts"]["durable"] == outcomes["Emploi durable"]["fin_personnes"] == 1
    assert D(at_end["shares"]["durable"]) == outcomes["Emploi durable"]["fin_part"] == D("0.143")
    assert at_end["shares"]["durable"] == "0.143"


def table_of(document: dict, code: str) -> dict:
    return next(table for table in document["tableaux"] if table["code"] == code)
