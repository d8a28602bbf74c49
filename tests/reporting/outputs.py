"""Every output of a report, read back as a person or a program would: the HTML page (its tables and chart data),
the CSV, the XLSX (values and number formats), the JSON and the PDF (text through `pdftotext -layout`).

Shared by the cross-format test (tests/reporting/test_cross_format.py) and usable by any test that must search
every buyer-visible output (e.g. for a suppressed value): `all_outputs(client, user, "dashboard", year=2025)`
returns the decoded outputs of one report, `texts_of(outputs)` one text per format to search in.

Report kinds: "report" (yearly report), "dashboard", "bilan" (a market bilan: pass `market=<pk>`).
"""

from __future__ import annotations

import csv
import io
import json
import re
import shutil
import subprocess
from dataclasses import dataclass, field
from decimal import Decimal
from html.parser import HTMLParser
from typing import Any

import openpyxl
from django.urls import reverse

FORMATS = ("csv", "xlsx", "json", "pdf")
SPACES = re.compile(r"[\u00a0\u202f\u2009\u2007 ]+")
# More decimals than any figure has (hours: 2, shares in XLSX and JSON: 3): the mark of a float printed raw.
FLOAT_NOISE = re.compile(r"\d[.,]\d{5,}")


def same_spaces(text: str) -> str:
    """Ordinary, no-break, narrow no-break and figure spaces read alike (French figures use the no-break ones)."""
    return SPACES.sub(" ", text).strip()


# --- Fetching --------------------------------------------------------------------------------------------------


def urls(kind: str, *, market: int | None = None) -> dict[str, str]:
    """{"page": url, "csv": url, ...} of a report kind."""
    if kind == "report":
        page, export = reverse("reporting:yearly_report"), "reporting:yearly_report_export"
        return {"page": page, **{fmt: reverse(export, args=[fmt]) for fmt in FORMATS}}
    if kind == "dashboard":
        page, export = reverse("reporting:dashboard"), "reporting:dashboard_export"
        return {"page": page, **{fmt: reverse(export, args=[fmt]) for fmt in FORMATS}}
    if kind == "bilan":
        return {
            "page": reverse("reporting:market_bilan", args=[market]),
            "pdf": reverse("reporting:market_bilan_pdf", args=[market]),
            **{fmt: reverse("reporting:market_bilan_export", args=[market, fmt]) for fmt in ("csv", "xlsx", "json")},
        }
    raise ValueError(kind)


def fetch(client, url: str, **params) -> bytes:
    response = client.get(url, params)
    assert response.status_code == 200, (url, response.status_code)
    return b"".join(response.streaming_content) if response.streaming else response.content


@dataclass
class Outputs:
    """One report in every format, decoded."""

    html: str
    page: dict[str, list[list[str]]]  # table code → rows of cell texts (header row excluded)
    charts: dict[str, dict]  # table code → chart data of the page (json_script)
    csv: dict[str, list[list[str]]]  # table title → rows (header row excluded)
    xlsx: dict[str, list[list[Any]]]  # sheet title → rows of openpyxl cells (header row excluded)
    json: dict[str, Any]  # JSON numbers with a fraction read as Decimal, exactly as written
    pdf: str  # pdftotext -layout
    raw: dict[str, bytes] = field(default_factory=dict)


def all_outputs(client, user, kind: str, *, market: int | None = None, **params) -> Outputs:
    """Log `user` in and fetch the page and every export of a report kind, with the same query parameters."""
    client.force_login(user)
    addresses = urls(kind, market=market)
    raw = {name: fetch(client, url, **params) for name, url in addresses.items()}
    html = raw["page"].decode()
    return Outputs(
        html=html,
        page=html_tables(html),
        charts=html_charts(html),
        csv=csv_tables(raw["csv"]),
        xlsx=xlsx_tables(raw["xlsx"]),
        json=json.loads(raw["json"], parse_float=Decimal),  # numbers read exactly as written
        pdf=pdf_text(raw["pdf"]),
        raw=raw,
    )


def texts_of(outputs: Outputs) -> dict[str, str]:
    """One searchable text per format (XLSX: every cell value), spaces made alike."""
    sheet_text = "\n".join(
        "\t".join("" if cell.value is None else str(cell.value) for cell in row)
        for rows in outputs.xlsx.values()
        for row in rows
    )
    return {
        "page": same_spaces(outputs.html),
        "csv": same_spaces(outputs.raw["csv"].decode("utf-8-sig")),
        "xlsx": same_spaces(sheet_text),
        "json": same_spaces(outputs.raw["json"].decode()),
        "pdf": same_spaces(outputs.pdf),
    }


# --- Parsers ---------------------------------------------------------------------------------------------------


class _TableParser(HTMLParser):
    """Tables with an id "tableau-<code>" (reporting/_tables.html): the text of each body cell."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tables: dict[str, list[list[str]]] = {}
        self.scripts: dict[str, str] = {}
        self._table = self._row = self._cell = self._script = None
        self._in_body = False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "table" and (attrs.get("id") or "").startswith("tableau-"):
            self._table = self.tables.setdefault(attrs["id"].removeprefix("tableau-"), [])
        elif tag == "tbody" and self._table is not None:
            self._in_body = True
        elif tag == "tr" and self._in_body:
            self._row = []
        elif tag in ("td", "th") and self._row is not None:
            self._cell = []
        elif tag == "script" and attrs.get("type") == "application/json" and attrs.get("id"):
            self._script = attrs["id"]
            self.scripts[self._script] = ""

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._cell is not None:
            self._row.append("".join(self._cell).strip())
            self._cell = None
        elif tag == "tr" and self._row is not None:
            if not (len(self._row) == 1 and self._row[0].startswith("Aucune donnée")):
                self._table.append(self._row)
            self._row = None
        elif tag == "tbody":
            self._in_body = False
        elif tag == "table":
            self._table = None
        elif tag == "script":
            self._script = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)
        elif self._script is not None:
            self.scripts[self._script] += data


def html_tables(html: str) -> dict[str, list[list[str]]]:
    parser = _TableParser()
    parser.feed(html)
    return parser.tables


def html_charts(html: str) -> dict[str, dict]:
    """Chart data of the page: table code → {"label", "labels", "values", "texts"}."""
    parser = _TableParser()
    parser.feed(html)
    return {
        key.removeprefix("chart-data-"): json.loads(value)
        for key, value in parser.scripts.items()
        if key.startswith("chart-data-")
    }


def csv_tables(content: bytes) -> dict[str, list[list[str]]]:
    """Sections of an exported CSV: table title → rows (the header row dropped)."""
    assert content.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(content.decode("utf-8-sig")), delimiter=";"))
    sections: dict[str, list[list[str]]] = {}
    current = None
    for index, row in enumerate(rows):
        if not row:
            current = None
        elif current is None and index > 0 and not rows[index - 1]:
            current = sections.setdefault(row[0], [])
        elif current is not None:
            current.append(row)
    return {title: rows[1:] for title, rows in sections.items()}


def xlsx_tables(content: bytes) -> dict[str, list[list[Any]]]:
    """Sheets of an exported workbook: sheet title → data rows of cells, below the row of column headers (the
    first row whose every cell is filled and bold)."""
    workbook = openpyxl.load_workbook(io.BytesIO(content))
    tables = {}
    for sheet in workbook.worksheets:
        rows = list(sheet.iter_rows())
        start = next(
            index for index, row in enumerate(rows) if all(cell.value is not None and cell.font.b for cell in row)
        )
        tables[sheet.title] = [list(row) for row in rows[start + 1 :]]
    return tables


def pdf_text(content: bytes) -> str:
    """The text of a PDF as laid out on its pages (poppler's pdftotext -layout)."""
    assert content.startswith(b"%PDF")
    assert shutil.which("pdftotext"), "poppler-utils (pdftotext) is required"
    command = [shutil.which("pdftotext"), "-layout", "-", "-"]
    done = subprocess.run(command, input=content, capture_output=True, check=True)  # noqa: S603 (our own bytes)
    return done.stdout.decode()
