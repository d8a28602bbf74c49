"""Hostile spreadsheets (issue 11, items 5 and 7): each is refused in French, nothing is written, and reading
it costs a bounded amount of memory (tracemalloc peak) and rows visited (ReadStats), never wall-clock time.

The files are built in tests/security/hostile_files.py; bench/hostile_spreadsheets.py runs the same files
through the reader before the fix for comparison.
"""

import io
import tracemalloc
from datetime import date

import openpyxl.xml
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from beneficiaries import imports, spreadsheets
from beneficiaries.models import HoursRecord
from beneficiaries.spreadsheets import MAX_ROWS, ReadStats
from tests.api.conftest import build_world
from tests.security import hostile_files
from tests.security.hostile_files import HOSTILE_FILES, header_row, inline, package, sheet

pytestmark = pytest.mark.django_db
MB = 1024 * 1024

# What each refusal must say (French, naming the limit or the fault), the most memory its reading may take
# on top of the file itself, and the most row elements it may visit.
EXPECTED = {
    "far_cell": ("déclare la plage A1:XFD1048576", 4 * MB, 0),
    "far_cell_undeclared": ("au-delà de la ligne 100 001 (ligne 1 048 576)", 4 * MB, 2),
    "wide_rows": ("déclare la plage A1:XFD20000", 4 * MB, 0),
    "many_empty_rows": ("au-delà de la ligne 100 001", 24 * MB, MAX_ROWS + 2),
    "many_cells_in_a_row": ("compte plus de 1 024 cellules", 4 * MB, 2),
    "huge_row": ("démesurée (plus de 256 Ko de XML)", 16 * MB, 1),
    "huge_cell": ("la cellule compte 100 000 caractères, au plus 1 000", 16 * MB, 2),
    "shared_strings_bomb": ("« xl/sharedStrings.xml » : 64,8 Mo", 1 * MB, 0),
    "many_shared_strings": ("au plus 300 000 textes différents", 48 * MB, 0),
    "styles_bomb": ("(feuille de styles, « xl/styles.xml ») dépasse 1,0 Mo", 1 * MB, 0),
    "zip_bomb": ("« xl/media/image1.png » : 128,0 Mo", 1 * MB, 0),
    "lying_sizes": ("n'est pas un classeur XLSX lisible", 4 * MB, 0),
    "too_many_members": ("plus de 256 fichiers internes", 1 * MB, 0),
    "malformed_xml": ("endommagé (XML invalide dans « xl/worksheets/sheet1.xml », ligne 1)", 4 * MB, 1),
    "undefined_entity": ("endommagé (XML invalide dans « xl/worksheets/sheet1.xml »", 4 * MB, 1),
    "external_entity": ("déclarations XML interdites dans « xl/worksheets/sheet1.xml »", 4 * MB, 0),
    "external_entity_in_shared_strings": ("déclarations XML interdites dans « xl/sharedStrings.xml »", 4 * MB, 0),
    "billion_laughs": ("déclarations XML interdites dans « xl/worksheets/sheet1.xml »", 4 * MB, 0),
    "billion_laughs_in_workbook": ("déclarations XML interdites dans « xl/workbook.xml »", 4 * MB, 0),
    "not_a_zip": ("n'est pas un classeur XLSX lisible", 1 * MB, 0),
    "encrypted_office_file": ("protégé par un mot de passe", 1 * MB, 0),
    "encrypted_zip": ("protégé par un mot de passe", 1 * MB, 0),
    "opendocument": ("OpenDocument (ODS) ne sont pas lus", 1 * MB, 0),
    "word_document": ("n'est pas un classeur XLSX lisible", 1 * MB, 0),
    "csv_huge_line": ("La ligne 2 compte 4 000 001 caractères : au plus 4 096", 24 * MB, 0),
    "csv_too_many_rows": ("Le fichier compte 150 001 lignes : au plus 100 000", 24 * MB, 0),
    "csv_blank_lines": ("Le fichier compte 5 000 001 lignes", 24 * MB, 0),
    "csv_many_columns": ("valeurs au-delà de la colonne 64", 1 * MB, 1),
}


@pytest.fixture
def world(db):
    return build_world()


@pytest.fixture(autouse=True, scope="module")
def warm_up():
    """Import what reading an XLSX imports, so that the first measured file is not charged with it."""
    list(spreadsheets.table_rows(imports.template_xlsx(), "modele.xlsx"))


def snapshot():
    return sorted(HoursRecord.objects.values_list("placement_id", "month", "hours", "training_hours", "version"))


def import_measured(world, name, data):
    """Import as the web flow and the command do (parse, then check and write); return the refusal and costs."""
    stats = ReadStats()
    before = snapshot()
    tracemalloc.start()
    try:
        with pytest.raises(imports.FileRefused) as excinfo:
            rows = imports.parse_file(data, filename=name, stats=stats)
            imports.process(rows, user=world.owner, commit=True)
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert snapshot() == before
    return " ".join(excinfo.value.messages).replace("\u00a0", " "), peak, stats


def test_every_hostile_file_has_an_expectation():
    assert set(EXPECTED) == set(HOSTILE_FILES)


@pytest.mark.parametrize("builder", sorted(HOSTILE_FILES))
def test_hostile_file_is_refused_in_french_at_bounded_cost(world, builder):
    name, data = HOSTILE_FILES[builder]()
    expected, memory, rows = EXPECTED[builder]
    message, peak, stats = import_measured(world, name, data)
    assert expected in message
    assert message.endswith(".") and "Error" not in message and "root:" not in message
    assert peak < memory, f"{peak / MB:.1f} Mo"
    assert stats.rows <= rows
    assert stats.shared_strings <= spreadsheets.MAX_SHARED_STRINGS + 1


def test_reading_skips_missing_rows_instead_of_walking_them(world):
    """A header, then one row at line 90,000 (within the limit): two rows visited, not 90,000."""
    row = "".join(
        [
            inline("A90000", "2025-DIJ-01"),
            '<c r="B90000"><v>1</v></c>',
            inline("C90000", world.company.siret),
            f'<c r="D90000"><v>{world.person.pk}</v></c>',
            inline("E90000", "04/2025"),
            '<c r="F90000"><v>12.5</v></c>',
        ]
    )
    data = package(sheet(header_row() + f'<row r="90000">{row}</row>', dimension="A1:F90000"))
    stats = ReadStats()
    rows = imports.parse_file(data, filename="releve.xlsx", stats=stats)
    assert stats.rows == 2
    assert [(row.number, row.hours, row.errors) for row in rows] == [(90000, "12.5", [])]
    assert imports.process(rows, user=world.owner, commit=True, expected_versions=[0]).committed
    assert HoursRecord.objects.get(placement=world.placement, month=date(2025, 4, 1)).hours == 12.5


def test_openpyxl_parses_its_own_parts_through_defusedxml():
    assert openpyxl.xml.DEFUSEDXML is True


def test_the_web_upload_answers_a_french_message(world, client):
    client.force_login(world.owner)
    for builder in ("far_cell", "billion_laughs", "csv_huge_line"):
        name, data = HOSTILE_FILES[builder]()
        upload = io.BytesIO(data)
        upload.name = name
        response = client.post("/imports/heures/", {"file": upload})
        assert response.status_code == 400, builder
        assert EXPECTED[builder][0] in response.content.decode().replace("\u00a0", " "), builder
    assert not HoursRecord.objects.filter(month=date(2025, 4, 1)).exists()


def test_the_command_applies_the_same_limits(world, tmp_path):
    name, data = hostile_files.zip_bomb()
    path = tmp_path / name
    path.write_bytes(data)
    before = snapshot()
    with pytest.raises(CommandError) as excinfo:
        call_command("import_hours", str(path))
    assert str(excinfo.value).startswith("Fichier refusé : Ce classeur décompressé dépasse les limites de l'import")
    assert snapshot() == before


# Item 7: numbers that no column of hours can hold ------------------------------------------------------------

BAD_NUMBERS = {
    "1E+26": "Heures hors limites : « 1E+26 » (colonne « heures » : au plus 220 h par mois).",
    "9" * 200: f"Heures hors limites : « {'9' * 30}… » (colonne « heures » : au plus 220 h par mois).",
    "1E+400": "Heures hors limites : « 1E+400 » (colonne « heures » : au plus 220 h par mois).",
    "NaN": "Heures illisibles : « NaN » (colonne « heures » : un nombre, par exemple 12,5).",
    "Infinity": "Heures illisibles : « Infinity » (colonne « heures » : un nombre, par exemple 12,5).",
    "-1E-30": "Heures illisibles : « -1E-30 » (colonne « heures » : au plus deux décimales).",
    "1²": "Heures illisibles : « 1² » (colonne « heures » : un nombre, par exemple 12,5).",
}


def csv_statement(world, hours, training="0"):
    header = "reference_marche;numero_lot;siret_titulaire;identifiant_participant;mois;heures;heures_formation"
    good = f"2025-DIJ-01;1;{world.company.siret};{world.person.pk};05/2025;10;0"
    bad = f"2025-DIJ-01;1;{world.company.siret};{world.person.pk};04/2025;{hours};{training}"
    return f"{header}\r\n{good}\r\n{bad}\r\n".encode()


def xlsx_statement(world, raw_hours):
    def row(number, month, hours):
        return (
            f'<row r="{number}">'
            + inline(f"A{number}", "2025-DIJ-01")
            + f'<c r="B{number}"><v>1</v></c>'
            + inline(f"C{number}", world.company.siret)
            + f'<c r="D{number}"><v>{world.person.pk}</v></c>'
            + inline(f"E{number}", month)
            + f'<c r="F{number}"><v>{hours}</v></c></row>'
        )

    return package(sheet(header_row() + row(2, "05/2025", "10") + row(3, "04/2025", raw_hours)))


@pytest.mark.parametrize("value", sorted(BAD_NUMBERS))
def test_bad_number_in_a_csv_is_refused_on_its_row_and_column(world, value):
    before = snapshot()
    report = imports.import_file(csv_statement(world, value), user=world.owner, filename="releve.csv", commit=True)
    assert report.error_lines() == [f"Ligne 3 : {BAD_NUMBERS[value]}"]
    assert not report.committed and snapshot() == before


def test_bad_training_hours_name_their_column(world):
    report = imports.import_file(csv_statement(world, "10", "1E+26"), user=world.owner, commit=False)
    assert report.error_lines() == [
        "Ligne 3 : Heures de formation hors limites : « 1E+26 » (colonne « heures_formation » : au plus 220 h "
        "par mois)."
    ]


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("1E+26", "Heures hors limites : « 1e+26 »"),
        ("9" * 200, f"Heures hors limites : « {'9' * 30}… »"),
        ("9" * 999, f"Heures hors limites : « {'9' * 30}… »"),  # not converted to an int, not repeated whole
        ("1E+400", "Heures illisibles : « inf »"),
        ("NaN", "Heures illisibles : « nan »"),
    ],
)
def test_bad_number_in_an_xlsx_is_refused_on_its_row_and_column(world, raw, message):
    before = snapshot()
    report = imports.import_file(xlsx_statement(world, raw), user=world.owner, filename="releve.xlsx", commit=True)
    lines = report.error_lines()
    assert len(lines) == 1 and lines[0].startswith(f"Ligne 3 : {message}") and "colonne « heures »" in lines[0]
    assert not report.committed and snapshot() == before


@pytest.mark.parametrize("value", ["-0", "-0,00", "1E+1"])
def test_odd_but_valid_numbers_are_read_plainly(world, value):
    """Negative zero is zero (never stored or shown as "-0"); an exponent within range is the number."""
    report = imports.import_file(csv_statement(world, value), user=world.owner, commit=True)
    assert report.committed, report.error_lines()
    record = HoursRecord.objects.get(placement=world.placement, month=date(2025, 4, 1))
    assert str(record.hours) in {"0.00", "10.00"} and not str(record.hours).startswith("-")
    assert [row.row.hours_label for row in report.rows][1] in {"0", "10"}


def test_digits_that_int_cannot_read_are_refused_on_their_row(world):
    """ "²".isdigit() is true and int("²") raises: a lot number or a month written so was a 500."""
    header = "reference_marche;numero_lot;siret_titulaire;identifiant_participant;mois;heures"
    row = f"2025-DIJ-01;²;{world.company.siret};{world.person.pk};²/2025;10"
    report = imports.import_file(f"{header}\r\n{row}\r\n".encode(), user=world.owner, commit=True)
    assert report.error_lines() == [
        "Ligne 2 : Numéro de lot illisible : « ² » (un nombre entier).",
        "Ligne 2 : Mois illisible : « ²/2025 » (attendu MM/AAAA, par exemple 03/2025).",
    ]
    assert not report.committed
