"""Exports open in their tools and carry the same totals as the pages."""

import csv
import io
import json
from decimal import Decimal

import openpyxl
import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse
from pypdf import PdfReader

from reporting import exports
from tests.reporting.conftest import SECRET_NAMES

D = Decimal


def download(client, user, url, **params):
    client.force_login(user)
    response = client.get(url, params)
    assert response.status_code == 200
    return b"".join(response.streaming_content) if response.streaming else response.content


def report_export(client, world, fmt, **params):
    return download(client, world["coordinator"], reverse("reporting:yearly_report_export", args=[fmt]), **params)


def page_report(client, world, **params):
    client.force_login(world["coordinator"])
    return client.get(reverse("reporting:yearly_report"), params).context["report"]


def csv_sections(content: bytes) -> dict[str, list[list[str]]]:
    """Sections of an exported CSV: title → rows (header first)."""
    assert content.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(content.decode("utf-8-sig")), delimiter=";"))
    sections, current = {}, None
    for index, row in enumerate(rows):
        if not row:
            current = None
        elif current is None and index > 0 and not rows[index - 1]:
            current = sections.setdefault(row[0], [])
        elif current is not None:
            current.append(row)
    return sections


def french_number(text: str) -> Decimal:
    return D(text.replace("\u00a0", "").replace(" ", "").replace(",", "."))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("=SOMME(A1:A2)", "'=SOMME(A1:A2)"),
        ("+33 6", "'+33 6"),
        ("-2", "'-2"),
        ("@cmd", "'@cmd"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("Ville de Dijon", "Ville de Dijon"),
        ("", ""),
    ],
)
def test_formulas_are_neutralised(text, expected):
    assert exports.neutralise_formula(text) == expected


def test_csv_cells_are_french():
    assert exports.csv_cell(D("1234.50"), exports.HOURS) == "1234,5"
    assert exports.csv_cell(D("250.00"), exports.HOURS) == "250"
    assert exports.csv_cell(D("0.68"), exports.PERCENT) == "68,0 %"
    assert exports.display_text(D("1234.56"), exports.HOURS) == "1\u00a0234,6"
    assert exports.display_text(D("1.6168"), exports.PERCENT) == "161,7\u00a0%"


def test_xlsx_report_opens_with_the_page_totals(client, world):
    report = page_report(client, world, year=2025)
    workbook = openpyxl.load_workbook(io.BytesIO(report_export(client, world, "xlsx", year=2025)))
    assert workbook.sheetnames[0] == "Synthèse"
    for title in ("Par public", "Par département", "Par EPCI", "Par QPV de résidence", "Par type de marché"):
        assert title in workbook.sheetnames
    assert {"Par type d'acheteur", "Par modalité", "Par mécanisme juridique", "Par mois"} <= set(workbook.sheetnames)
    synthesis = {row[0]: row[1:] for row in workbook["Synthèse"].iter_rows(values_only=True) if row[0]}
    assert synthesis["Heures d'insertion"][:2] == (float(report.summary.hours), float(report.previous_summary.hours))
    assert synthesis["Heures d'insertion"][:2] == (250, 25)
    assert synthesis["Participant·es"][0] == 2
    assert synthesis["Heures cibles des marchés notifiés"][0] == report.notified.target_hours
    # Numbers are numbers, with a French-friendly display format.
    sheet = workbook["Par département"]
    header = [cell.value for cell in sheet[1]]
    assert header[:4] == ["Département", "Code", "Heures 2025", "Heures 2024"]
    assert [cell.value for cell in sheet[2]][:3] == ["Côte-d'Or", "21", 180]
    assert sheet.cell(row=2, column=3).number_format == "#,##0.00"  # hours exact to the hundredth
    generated = next(row for row in workbook["Synthèse"].iter_rows() if row[0].value == "Généré le")[1]
    assert generated.is_date and generated.number_format == "dd/mm/yyyy"


def test_csv_report_parses_with_semicolons_and_matches_the_page(client, world):
    report = page_report(client, world, year=2025, department="21")
    sections = csv_sections(report_export(client, world, "csv", year=2025, department="21"))
    synthesis = {row[0]: row[1:] for row in sections["Synthèse"][1:]}
    assert sections["Synthèse"][0] == ["Indicateur", "2025", "2024", "Évolution"]
    assert french_number(synthesis["Heures d'insertion"][0]) == report.summary.hours == 180
    assert french_number(synthesis["Heures d'insertion"][1]) == report.previous_summary.hours == 25
    assert synthesis["Heures d'insertion"][2] == "620,0 %"
    publics = {row[0]: row for row in sections["Par public"][1:]}
    assert french_number(publics["Femmes"][1]) == 100


def test_pdf_report_has_the_totals_charts_and_date(client, world):
    content = report_export(client, world, "pdf", year=2025)
    assert content.startswith(b"%PDF")
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)
    assert "Bilan annuel 2025" in text
    assert "Généré le" in text
    assert "Heures d'insertion" in text and "250" in text
    assert "Côte-d'Or" in text


def test_pdf_context_draws_svg_bars_from_the_table_figures(client, world):
    tables = exports.rendered_tables(exports.report_tables(page_report(client, world, year=2025)), svg=True)
    departments = next(table for table in tables if table.code == "department")
    assert departments.svg.startswith("<svg")
    assert "Côte-d&#x27;Or" in departments.svg or "Côte-d'Or" in departments.svg


def test_json_report(client, world):
    document = json.loads(report_export(client, world, "json", year=2025))
    synthesis = next(table for table in document["tableaux"] if table["code"] == "synthese")
    hours = next(line for line in synthesis["lignes"] if line["indicateur"] == "Heures d'insertion")
    assert (hours["annee_2025"], hours["annee_2024"]) == (250, 25)
    assert document["filtres"]["Année"] == "2025"


def test_unknown_format_is_404(client, world):
    client.force_login(world["coordinator"])
    assert client.get(reverse("reporting:yearly_report_export", args=["exe"])).status_code == 404


def test_buyer_dashboard_exports_hide_names_small_counts_and_formulas(client, world):
    market = world["market1"]
    market.reference = '=HYPERLINK("http://exemple.invalid")'
    market.save()
    url = reverse("reporting:dashboard_export", args=["csv"])
    content = download(client, world["city_admin"], url, year=2025)
    decoded = content.decode("utf-8-sig")
    for name in SECRET_NAMES:
        assert name not in decoded
    sections = csv_sections(content)
    synthesis = {row[0]: row[1:] for row in sections["Synthèse"][1:]}
    assert synthesis["Participant·es"] == ["< 5", "< 5"]
    assert french_number(synthesis["Heures d'insertion"][0]) == 180
    assert sections["Lots"][1][0].startswith("'=HYPERLINK")
    xlsx_url = reverse("reporting:dashboard_export", args=["xlsx"])
    workbook = openpyxl.load_workbook(io.BytesIO(download(client, world["city_admin"], xlsx_url, year=2025)))
    lots = list(workbook["Lots"].iter_rows(values_only=True))
    assert lots[1][0].startswith("'=HYPERLINK")
    assert workbook["Lots"].cell(row=2, column=1).data_type == "s"


def test_market_bilan_pdf(client, world):
    content = download(client, world["city_admin"], reverse("reporting:market_bilan_pdf", args=[world["market1"].pk]))
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)
    assert "Bilan du marché DIJ-2025-01" in text
    assert "205" in text  # validated hours since the start
    assert "< 5" in text.replace("\u2007", " ")  # a figure space in the PDF, so that extractors keep it
    for name in SECRET_NAMES:
        assert name not in text


# --- The command -----------------------------------------------------------------------------------------------


def run_export(*args, stdout=None):
    call_command("export_report", "--year", "2025", *args, stdout=stdout or io.StringIO())


@pytest.mark.parametrize("fmt", ["xlsx", "csv", "pdf", "json"])
def test_export_report_command(world, tmp_path, fmt):
    output = tmp_path / f"bilan.{fmt}"
    stdout = io.StringIO()
    run_export("--region", "27", "--format", fmt, "--output", output, stdout=stdout)
    log = stdout.getvalue()
    assert "Calcul des indicateurs 2025 et 2024" in log
    assert "Export terminé" in log
    content = output.read_bytes()
    if fmt == "xlsx":
        workbook = openpyxl.load_workbook(output)
        synthesis = {row[0]: row[1:] for row in workbook["Synthèse"].iter_rows(values_only=True) if row[0]}
        assert synthesis["Heures d'insertion"][:2] == (250, 25)
        assert "Feuille « Par département » : 2 ligne(s) écrite(s)." in log
    elif fmt == "csv":
        synthesis = {row[0]: row[1:] for row in csv_sections(content)["Synthèse"][1:]}
        assert french_number(synthesis["Heures d'insertion"][0]) == 250
        assert "Tableau « Par mois » : 12 ligne(s) écrite(s)." in log
    elif fmt == "pdf":
        text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)
        assert "250" in text and "Généré le" in text
    else:
        document = json.loads(content)
        assert document["tableaux"][0]["lignes"][0]["annee_2025"] == 250


def test_export_report_command_other_region_is_empty(world, tmp_path):
    from tests.territories.factories import RegionFactory

    RegionFactory(code="11", name="Île-de-France")
    output = tmp_path / "bilan.json"
    run_export("--region", "11", "--format", "json", "--output", output)
    document = json.loads(output.read_text())
    assert document["tableaux"][0]["lignes"][0]["annee_2025"] == 0


def test_export_report_command_refuses_unknown_region(world, tmp_path):
    with pytest.raises(CommandError, match="Région inconnue"):
        run_export("--region", "99", "--format", "csv", "--output", tmp_path / "x.csv")
