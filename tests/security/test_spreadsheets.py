"""Spreadsheet-formula neutralisation in every CSV/XLSX the application writes.

A cell starting with = + - @ (or a tab, a carriage return) would run as a formula when the file is opened
in a spreadsheet. Every writer must pass user text through reporting.exports.neutralise_formula.
"""

import csv
import io
import re
from pathlib import Path

import openpyxl
import pytest
from django.conf import settings
from django.urls import reverse

from beneficiaries import imports
from reporting.exports import FORMULA_TRIGGERS
from tests.reporting.conftest import build_world

WRITER = re.compile(r"csv\.writer\(|csv\.DictWriter\(|xlsxwriter\.Workbook\(|\bWorkbook\(\)")
# Writers whose every cell is a constant of the code (checked below), not user data.
# (the import templates: see the tests below; history_fixture generates invented histories for the tests and the bench)
CONSTANT_WRITERS = {"beneficiaries/imports.py", "beneficiaries/history.py", "beneficiaries/history_fixture.py"}
NUMBER = re.compile(r"^-?[\d\u00a0\u202f ]+(,\d+)?(\u00a0%)?$")
HOSTILE = {
    "market1": "=1+2",
    "market2": "@SOMME(A1:A9)",
    "city": "+33 Ville de Dijon",
    "landlord": "-2+3 Habitat",
    "coordination": "@Coordination BFC",
}


def project_modules():
    root = Path(settings.BASE_DIR)
    skipped = {"tests", "bench", ".venv", "static", "var", "templates", "scripts"}
    for path in sorted(root.rglob("*.py")):
        relative = path.relative_to(root)
        if relative.parts[0] in skipped or "migrations" in relative.parts:
            continue
        yield relative.as_posix(), path.read_text(encoding="utf-8")


def test_every_spreadsheet_writer_neutralises_formulas():
    writers = {name for name, text in project_modules() if WRITER.search(text)}
    assert "reporting/exports.py" in writers  # the scan finds the writers it is meant to find
    for name in writers - CONSTANT_WRITERS:
        text = next(text for module, text in project_modules() if module == name)
        assert "neutralise_formula" in text, (
            f"{name} écrit un CSV/XLSX sans reporting.exports.neutralise_formula : "
            "neutralisez chaque texte venant des utilisateurs et ajoutez un test ici."
        )


def test_import_templates_hold_only_constants_and_no_formula():
    rows = list(csv.reader(io.StringIO(imports.template_csv().decode("utf-8-sig")), delimiter=";"))
    workbook = openpyxl.load_workbook(io.BytesIO(imports.template_xlsx()))
    cells = [cell for row in rows for cell in row]
    cells += [str(cell) for sheet in workbook for row in sheet.iter_rows(values_only=True) for cell in row if cell]
    constants = {*imports.COLUMNS, *imports.COLUMNS.values(), *imports.TEMPLATE_EXAMPLE.values(), "colonne", "contenu"}
    assert set(cells) <= constants
    assert not [cell for cell in cells if cell.startswith(FORMULA_TRIGGERS)]


def _rename(world):
    for key, value in HOSTILE.items():
        target = world[key]
        if key.startswith("market"):
            target.reference = value
        else:
            target.name = value
        target.save()
    commune = world["market1"].execution_commune
    commune.name = '=HYPERLINK("http://exemple.invalid")'
    commune.save()
    world["facilitator"].name = "=1+2 PLIE"
    world["facilitator"].save()


def _csv_cells(content: bytes) -> list[str]:
    return [cell for row in csv.reader(io.StringIO(content.decode("utf-8-sig")), delimiter=";") for cell in row]


def _xlsx_cells(content: bytes) -> list[str]:
    workbook = openpyxl.load_workbook(io.BytesIO(content))
    return [
        cell for sheet in workbook for row in sheet.iter_rows(values_only=True) for cell in row if isinstance(cell, str)
    ]


def _download(client, user, url, **params):
    client.force_login(user)
    response = client.get(url, params)
    assert response.status_code == 200, url
    return b"".join(response.streaming_content) if response.streaming else response.content


@pytest.mark.django_db
@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
@pytest.mark.parametrize(
    ("route", "who"),
    [("reporting:yearly_report_export", "coordinator"), ("reporting:dashboard_export", "facilitator_member")],
)
def test_names_starting_with_a_formula_come_out_neutralised(client, fmt, route, who):
    world = build_world()
    _rename(world)
    content = _download(client, world[who], reverse(route, args=[fmt]), year=2025)
    cells = _csv_cells(content) if fmt == "csv" else _xlsx_cells(content)
    dangerous = [cell for cell in cells if cell.startswith(FORMULA_TRIGGERS) and not NUMBER.match(cell)]
    assert dangerous == []
    neutralised = {cell for cell in cells if cell.startswith("'")}
    assert any(
        cell.startswith(("'=1+2", "'@SOMME", "'=HYPERLINK", "'+33", "'-2+3", "'@Coordination")) for cell in neutralised
    ), cells


def test_history_templates_hold_no_formula():
    # The history import's templates (issue 20): the « Lisez-moi » sheet and one sheet or CSV per kind, written from
    # the code's constants; no cell may start like a formula.
    from beneficiaries import history

    workbook = openpyxl.load_workbook(io.BytesIO(history.template_xlsx()))
    cells = [str(cell) for sheet in workbook for row in sheet.iter_rows(values_only=True) for cell in row if cell]
    for sheet in history.COLUMNS:
        cells += [
            cell
            for row in csv.reader(io.StringIO(history.template_csv(sheet).decode("utf-8-sig")), delimiter=";")
            for cell in row
        ]
    assert len(cells) > 20
    assert not [cell for cell in cells if cell and cell[0] in "=+-@\t\r"], "a template cell reads as a formula"
