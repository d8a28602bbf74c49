"""Bounded reading of uploaded tables (CSV and XLSX): rows of plain values, or a French refusal.

An upload is hostile until proven otherwise: a 5 KB XLSX can declare a million rows, a shared-strings table
can decompress to gigabytes, an XML part can carry a DTD with entities. Every cost here is capped before it
is paid, and every failure, whatever library raised it, becomes `FileRefused` with a message saying which
limit was hit and what to do:

- the file: at most `MAX_FILE_SIZE` bytes (read no further than that);
- CSV: at most `MAX_ROWS` data rows, `MAX_LINE_LENGTH` characters per line, `MAX_COLUMNS` cells per row;
- XLSX, before any XML is parsed, from the zip's central directory: at most `MAX_MEMBERS` parts, none larger
  than `MAX_MEMBER_SIZE` decompressed, `MAX_TOTAL_SIZE` in all, no part compressed more than `MAX_RATIO` to
  one, no encrypted part; the small parts that openpyxl parses whole (manifest, workbook, styles) at most
  `MAX_SMALL_PART_SIZE`, the shared-strings table at most `MAX_SHARED_STRINGS_SIZE`;
- XLSX while streaming (never a whole part in memory): no DTD and no entity (defusedxml), at most
  `MAX_SHARED_STRINGS` shared strings, a declared dimension within `MAX_ROWS` + 1 rows and
  `MAX_DECLARED_COLUMNS` columns, at most `MAX_ROWS` + 1 row elements, none numbered beyond, at most
  `MAX_CELLS_PER_ROW` cells in a row and `MAX_CELLS` in the sheet, values only in the first `MAX_COLUMNS`
  columns, no cell longer than `MAX_CELL_LENGTH` characters. Empty rows are never materialised: only the
  rows present in the file are read, and reading stops at the end of the sheet's data.

openpyxl does the XLSX plumbing (manifest, workbook, relationships, styles for dates, cell conversion); this
module drives its worksheet parser itself instead of `iter_rows`, which pads every row to the declared width
and walks every missing row up to the declared height.
"""

import csv
import io
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from xml.etree.ElementTree import ParseError

import defusedxml
from defusedxml.ElementTree import iterparse
from django.core.exceptions import ValidationError

from config.formatting import french_number

MAX_FILE_SIZE = 5 * 1024 * 1024
MAX_FILE_SIZE_LABEL = "5 Mo"
MAX_ROWS = 100_000  # data rows, the header row not counted
MAX_COLUMNS = 64
MAX_CELL_LENGTH = 1_000
MAX_LINE_LENGTH = 4_096
MAX_MEMBERS = 256
MAX_MEMBER_SIZE = 64 * 1024 * 1024
MAX_TOTAL_SIZE = 80 * 1024 * 1024
MAX_RATIO = 100
MAX_SMALL_PART_SIZE = 4 * 1024 * 1024
MAX_SHARED_STRINGS_SIZE = 16 * 1024 * 1024
MAX_SHARED_STRINGS = 500_000
MAX_DECLARED_COLUMNS = 1_024  # AMJ, LibreOffice's former last column: a whole row selected there still passes
MAX_CELLS_PER_ROW = 1_024
MAX_CELLS = 1_200_000
MAX_ELEMENTS_OUTSIDE_ROWS = 10_000  # column widths, views, merged cells... everything but the rows
MAX_ELEMENTS_PER_CELL = 64  # a value, a formula, a rich text of a few runs

NOT_A_TABLE = "Ce fichier n'est pas un tableau lisible : envoyez un fichier CSV (UTF-8 ou Windows-1252) ou XLSX."
NOT_XLSX = "Ce fichier n'est pas un classeur XLSX lisible : enregistrez-le au format XLSX ou CSV."
RESAVE = "ouvrez-le dans votre tableur et enregistrez-le de nouveau au format XLSX, ou en CSV."
SPLIT = "découpez-le par mois ou par marché."

OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # legacy XLS, and any password-protected Office file
ZIP_MAGIC = b"PK\x03\x04"
CENTRAL_DIRECTORY_ENTRY = b"PK\x01\x02"
CONTROL_CHARACTERS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffd]")

# Imported by name so that a missing package fails at start-up rather than on a hostile file; openpyxl then
# parses its own parts through defusedxml too (openpyxl.xml.DEFUSEDXML).
assert defusedxml


class FileRefused(ValidationError):
    """The file as a whole cannot be read: nothing is analysed further."""


@dataclass
class ReadStats:
    """What a read cost, for tests and benchmarks: rows and cells actually visited, not declared."""

    rows: int = 0
    cells: int = 0
    shared_strings: int = 0


def n(value: int) -> str:
    return french_number(value)


def mebibytes(size: int) -> str:
    return f"{french_number(size / 1024 / 1024, 1)} Mo"


# --- Whole file -----------------------------------------------------------------------------------------------


def read_upload(fileobj, *, size: int | None = None) -> bytes:
    """Read at most the size limit from an uploaded file or an open binary file; refuse a larger one at once."""
    if size is not None and size > MAX_FILE_SIZE:
        raise FileRefused(too_large(size))
    data = fileobj.read(MAX_FILE_SIZE + 1)
    if len(data) > MAX_FILE_SIZE:
        raise FileRefused(too_large(None))
    return data


def too_large(size: int | None) -> str:
    shown = f" ({size / 1024 / 1024:.1f} Mo)".replace(".", ",") if size else ""
    return f"Le fichier est trop volumineux{shown} : {MAX_FILE_SIZE_LABEL} au plus. Découpez-le par mois ou par marché."


def table_rows(data: bytes, filename: str = "", *, stats: ReadStats | None = None) -> Iterator[tuple[int, list]]:
    """(row number, cells) of the first worksheet or of the CSV text, row 1 being the headers.

    Rows without any cell may be skipped; numbers are those of the file. FileRefused when a limit is hit, at
    once for what can be checked up front, during the iteration for the rest."""
    stats = stats if stats is not None else ReadStats()
    if len(data) > MAX_FILE_SIZE:
        raise FileRefused(too_large(len(data)))
    if not data.strip():
        raise FileRefused("Le fichier est vide.")
    if data.startswith(OLE2_MAGIC):
        raise FileRefused(
            "Ce fichier est un classeur Excel ancien (XLS) ou protégé par un mot de passe : enregistrez-le au "
            "format XLSX sans mot de passe, ou en CSV."
        )
    if data.startswith(ZIP_MAGIC):
        return xlsx_rows(data, stats)
    if filename.lower().endswith((".xlsx", ".xlsm", ".xls", ".ods")):
        raise FileRefused(NOT_XLSX)
    return csv_rows(data, stats)


# --- CSV ------------------------------------------------------------------------------------------------------


def csv_rows(data: bytes, stats: ReadStats) -> Iterator[tuple[int, list]]:
    if b"\x00" in data:
        raise FileRefused(NOT_A_TABLE)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            text = data.decode("cp1252")
        except UnicodeDecodeError as error:
            raise FileRefused(NOT_A_TABLE) from error
    if CONTROL_CHARACTERS.search(text):
        raise FileRefused(NOT_A_TABLE)
    lines = max(text.count("\n"), text.count("\r")) + (0 if text.endswith(("\n", "\r")) else 1)
    if lines > MAX_ROWS + 1:
        raise FileRefused(
            f"Le fichier compte {n(lines)} lignes : au plus {n(MAX_ROWS)} lignes de relevé sous la ligne "
            f"d'en-têtes. Supprimez les lignes vides ou {SPLIT}"
        )
    _check_line_lengths(text)
    first_line = text.lstrip("\r\n").split("\n", 1)[0]
    if ";" not in first_line and "," not in first_line:
        raise FileRefused(
            "La première ligne doit contenir les noms des colonnes, séparés par des points-virgules ou des virgules."
        )
    delimiter = ";" if first_line.count(";") >= first_line.count(",") else ","
    return _csv_records(text, delimiter, stats)


def _check_line_lengths(text: str) -> None:
    """Refuse a line longer than MAX_LINE_LENGTH; the caller has bounded the number of lines."""
    position, number = 0, 1
    for separator in ("\n", "\r"):
        if separator in text:
            break
    while position <= len(text):
        end = text.find(separator, position)
        end = len(text) if end == -1 else end
        if end - position > MAX_LINE_LENGTH:
            raise FileRefused(
                f"La ligne {n(number)} compte {n(end - position)} caractères : au plus {n(MAX_LINE_LENGTH)}. "
                "Un relevé compte une ligne par personne et par mois ; vérifiez le séparateur et les guillemets."
            )
        position, number = end + 1, number + 1


def _csv_records(text: str, delimiter: str, stats: ReadStats) -> Iterator[tuple[int, list]]:
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    number = 0
    try:
        for number, cells in enumerate(reader, start=1):
            stats.rows += 1
            stats.cells += len(cells)
            _check_cells(number, cells)
            yield number, cells
    except csv.Error as error:
        raise FileRefused(f"Ce fichier CSV est mal formé (ligne {n(reader.line_num)}).") from error


def _check_cells(number: int, cells: list) -> None:
    if len(cells) > MAX_COLUMNS and any(str(cell or "").strip() for cell in cells[MAX_COLUMNS:]):
        raise FileRefused(
            f"La ligne {n(number)} a des valeurs au-delà de la colonne {MAX_COLUMNS} : l'import lit au plus "
            f"{MAX_COLUMNS} colonnes. Supprimez les colonnes inutiles."
        )
    for column, cell in enumerate(cells, start=1):
        if isinstance(cell, str) and len(cell) > MAX_CELL_LENGTH:
            raise FileRefused(
                f"Ligne {n(number)}, colonne {column} : la cellule compte {n(len(cell))} caractères, au plus "
                f"{n(MAX_CELL_LENGTH)}. Ce n'est pas une valeur de relevé d'heures."
            )


# --- XLSX -----------------------------------------------------------------------------------------------------


def xlsx_rows(data: bytes, stats: ReadStats) -> Iterator[tuple[int, list]]:
    archive = _open_archive(data)
    try:
        sheet_path, cell_parser = _open_workbook(data, archive, stats)
    except FileRefused:
        raise
    except Exception as error:  # openpyxl raises anything on a damaged file
        raise _xml_refusal(error, "") from error
    return _sheet_rows(archive, sheet_path, cell_parser, stats)


def _open_archive(data: bytes) -> zipfile.ZipFile:
    """The zip checked from its central directory alone, before anything is decompressed."""
    if data.count(CENTRAL_DIRECTORY_ENTRY) > MAX_MEMBERS:  # counted before zipfile builds one object per entry
        raise FileRefused(
            f"Ce classeur contient plus de {MAX_MEMBERS} fichiers internes : ce n'est pas un relevé ordinaire. "
            f"Copiez les données dans un nouveau classeur, ou enregistrez-le en CSV."
        )
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        members = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, OSError, EOFError) as error:
        raise FileRefused(NOT_XLSX) from error
    if len(members) > MAX_MEMBERS:
        raise FileRefused(f"Ce classeur contient plus de {MAX_MEMBERS} fichiers internes : enregistrez-le en CSV.")
    total = 0
    for member in members:
        if member.flag_bits & 0x1:
            raise FileRefused(
                "Ce classeur est protégé par un mot de passe : enregistrez-en une copie sans mot de passe, au "
                "format XLSX ou CSV."
            )
        total += member.file_size
        if member.file_size > MAX_MEMBER_SIZE or total > MAX_TOTAL_SIZE:
            raise FileRefused(
                f"Ce classeur décompressé dépasse les limites de l'import (« {member.filename} » : "
                f"{mebibytes(member.file_size)} ; au plus {mebibytes(MAX_MEMBER_SIZE)} par partie et "
                f"{mebibytes(MAX_TOTAL_SIZE)} en tout) : {SPLIT}"
            )
        if member.file_size > 1024 * 1024 and member.file_size > MAX_RATIO * max(member.compress_size, 1):
            ratio = member.file_size // max(member.compress_size, 1)
            raise FileRefused(
                f"Ce classeur est anormalement compressé (« {member.filename} » : {n(ratio)} pour 1, au plus "
                f"{MAX_RATIO} pour 1) : ce n'est pas un classeur ordinaire. Enregistrez-le en CSV."
            )
    if "mimetype" in archive.namelist():
        with archive.open("mimetype") as mimetype:
            if b"opendocument" in mimetype.read(100):
                raise FileRefused(
                    "Les classeurs OpenDocument (ODS) ne sont pas lus : enregistrez-le au format XLSX ou CSV."
                )
    return archive


def _check_part(archive: zipfile.ZipFile, name: str, limit: int, what: str) -> bool:
    try:
        size = archive.getinfo(name).file_size
    except KeyError:
        return False
    if size > limit:
        raise FileRefused(
            f"{what} de ce classeur dépasse {mebibytes(limit)} décompressée ({mebibytes(size)}) : {SPLIT}"
        )
    return True


def _open_workbook(data: bytes, archive: zipfile.ZipFile, stats: ReadStats):
    """Path of the first worksheet, the shared strings, and openpyxl's cell parser set up with the styles."""
    from openpyxl.packaging.relationship import get_rels_path
    from openpyxl.reader.excel import ARC_CONTENT_TYPES, ExcelReader, _find_workbook_part
    from openpyxl.styles.stylesheet import apply_stylesheet
    from openpyxl.worksheet._reader import WorkSheetParser
    from openpyxl.xml.constants import ARC_STYLE, SHARED_STRINGS

    if not _check_part(archive, ARC_CONTENT_TYPES, MAX_SMALL_PART_SIZE, "La liste des parties"):
        raise FileRefused(NOT_XLSX)
    reader = ExcelReader(io.BytesIO(data), read_only=True, keep_links=False)
    reader.read_manifest()
    workbook_part = _find_workbook_part(reader.package).PartName[1:]
    for name in (workbook_part, get_rels_path(workbook_part)):
        _check_part(archive, name, MAX_SMALL_PART_SIZE, "Le classeur")
    _check_part(archive, ARC_STYLE, MAX_SMALL_PART_SIZE, "La feuille de styles")
    reader.read_workbook()
    apply_stylesheet(reader.archive, reader.wb)
    sheet_path = next(
        (rel.target for _sheet, rel in reader.parser.find_sheets() if rel.Type.endswith("/worksheet")), None
    )
    if sheet_path is None or sheet_path not in reader.valid_files:
        raise FileRefused("Ce classeur n'a aucune feuille de calcul : enregistrez-le au format XLSX ou CSV.")
    strings: list = []
    part = reader.package.find(SHARED_STRINGS)
    if part is not None and _check_part(archive, part.PartName[1:], MAX_SHARED_STRINGS_SIZE, "La table des textes"):
        strings = _shared_strings(archive, part.PartName[1:], stats)
    workbook = reader.wb
    cell_parser = WorkSheetParser(
        None,
        strings,
        data_only=False,
        epoch=workbook.epoch,
        date_formats=workbook._date_formats,  # filled by apply_stylesheet
        timedelta_formats=workbook._timedelta_formats,
    )
    return sheet_path, cell_parser


def _events(archive: zipfile.ZipFile, name: str):
    """Start and end events of an XML part, decompressed and parsed a chunk at a time; no DTD, no entity."""
    with archive.open(name) as source:
        yield from iterparse(source, events=("start", "end"), forbid_dtd=True)


def _shared_strings(archive: zipfile.ZipFile, name: str, stats: ReadStats) -> list[str]:
    from openpyxl.cell.text import Text
    from openpyxl.xml.constants import SHEET_MAIN_NS

    string_tag = f"{{{SHEET_MAIN_NS}}}si"
    strings: list[str] = []
    root = None
    depth = inside = 0
    for event, element in _events(archive, name):
        if event == "start":
            depth += 1
            if root is None:
                root = element
                declared = element.get("uniqueCount") or ""
                if declared.isdigit() and int(declared) > MAX_SHARED_STRINGS:
                    raise FileRefused(_too_many_strings(int(declared)))
            elif element.tag == string_tag:
                inside = 0
            else:
                inside += 1
                if inside > MAX_ELEMENTS_PER_CELL:
                    raise FileRefused(_too_many_strings(None))
            continue
        depth -= 1
        if element.tag == string_tag and depth == 1:
            text = Text.from_tree(element).content.replace("x005F_", "")
            strings.append(text)
            stats.shared_strings += 1
            if len(strings) > MAX_SHARED_STRINGS:
                raise FileRefused(_too_many_strings(len(strings)))
            root.clear()
    return strings


def _too_many_strings(count: int | None) -> str:
    shown = f" ({n(count)})" if count else ""
    return (
        f"La table des textes de ce classeur est démesurée{shown} : au plus {n(MAX_SHARED_STRINGS)} textes "
        f"différents. {SPLIT.capitalize()}"
    )


def _sheet_rows(archive: zipfile.ZipFile, name: str, cell_parser, stats: ReadStats) -> Iterator[tuple[int, list]]:
    """Rows present in the sheet, cells placed by their reference, stopping at the end of the sheet's data."""
    from openpyxl.utils.cell import coordinate_to_tuple
    from openpyxl.xml.constants import SHEET_MAIN_NS

    row_tag, cell_tag = f"{{{SHEET_MAIN_NS}}}row", f"{{{SHEET_MAIN_NS}}}c"
    data_tag, dimension_tag = f"{{{SHEET_MAIN_NS}}}sheetData", f"{{{SHEET_MAIN_NS}}}dimension"
    formula_tag = f"{{{SHEET_MAIN_NS}}}f"
    sheet_data = None
    row_number = row_elements = outside = 0
    in_row = in_cell = False
    cell_elements = cells_in_row = 0
    values: list = []
    try:
        for event, element in _events(archive, name):
            tag = element.tag
            if event == "start":
                if tag == cell_tag and in_row:
                    in_cell, cell_elements = True, 0
                    cells_in_row += 1
                    stats.cells += 1
                    if cells_in_row > MAX_CELLS_PER_ROW:
                        raise FileRefused(
                            f"La ligne {n(row_number)} compte plus de {n(MAX_CELLS_PER_ROW)} cellules : supprimez "
                            "les colonnes inutiles, ou enregistrez le classeur en CSV."
                        )
                    if stats.cells > MAX_CELLS:
                        raise FileRefused(
                            f"La feuille compte plus de {n(MAX_CELLS)} cellules : supprimez les colonnes "
                            f"inutiles ou {SPLIT}"
                        )
                elif in_cell:
                    cell_elements += 1
                    if cell_elements > MAX_ELEMENTS_PER_CELL:
                        raise FileRefused(f"Ligne {n(row_number)} : une cellule est démesurée. {RESAVE.capitalize()}")
                elif tag == row_tag:
                    row_elements += 1
                    stats.rows += 1
                    attribute = element.get("r")
                    row_number = int(attribute) if attribute and attribute.isdigit() else row_number + 1
                    if row_number > MAX_ROWS + 1 or row_elements > MAX_ROWS + 1:
                        raise FileRefused(
                            f"La feuille va au-delà de la ligne {n(MAX_ROWS + 1)} (ligne {n(row_number)}) : au "
                            f"plus {n(MAX_ROWS)} lignes de relevé sous les en-têtes. Supprimez les lignes vides "
                            f"en fin de feuille ou {SPLIT}"
                        )
                    in_row, values, cells_in_row = True, [], 0
                    cell_parser.row_counter, cell_parser.col_counter = row_number, 0
                elif tag == data_tag:
                    sheet_data = element
                else:
                    outside += 1
                    if outside > MAX_ELEMENTS_OUTSIDE_ROWS:
                        raise FileRefused(f"La feuille contient trop d'éléments de mise en forme : {RESAVE}")
                continue
            if tag == cell_tag and in_row:
                in_cell = False
                column, value = _cell(element, cell_parser, coordinate_to_tuple, formula_tag)
                element.clear()
                if value is None or value == "":
                    continue
                if column > MAX_COLUMNS:
                    raise FileRefused(
                        f"La ligne {n(row_number)} a des valeurs au-delà de la colonne {MAX_COLUMNS} : l'import "
                        f"lit au plus {MAX_COLUMNS} colonnes. Supprimez les colonnes inutiles."
                    )
                if isinstance(value, str) and len(value) > MAX_CELL_LENGTH:
                    raise FileRefused(
                        f"Ligne {n(row_number)}, colonne {column} : la cellule compte {n(len(value))} caractères, "
                        f"au plus {n(MAX_CELL_LENGTH)}. Ce n'est pas une valeur de relevé d'heures."
                    )
                if column > len(values):
                    values.extend([None] * (column - len(values)))
                values[column - 1] = value
            elif tag == row_tag and in_row:
                in_row = False
                if sheet_data is not None:
                    sheet_data.clear()  # the rows read so far are not kept
                if values:
                    yield row_number, values
            elif tag == data_tag:
                return  # what follows the data (merged cells, validations, drawings) is never parsed
            elif not in_row:
                if tag == dimension_tag:
                    _check_dimension(element.get("ref") or "")
                element.clear()
    except FileRefused:
        raise
    except Exception as error:  # XML, zip, and openpyxl's conversion errors alike
        raise _xml_refusal(error, name) from error


def _cell(element, cell_parser, coordinate_to_tuple, formula_tag) -> tuple[int, object]:
    """Column and value of a cell; a formula comes back as its text (refused later), a number too long as text."""
    coordinate = element.get("r")
    if coordinate:
        column = coordinate_to_tuple(coordinate)[1]
        cell_parser.col_counter = column
    else:
        cell_parser.col_counter += 1
        column = cell_parser.col_counter
    formula = element.find(formula_tag)
    if formula is not None:
        return column, "=" + (formula.text or "")
    raw = "".join(element.itertext())
    if len(raw) > MAX_CELL_LENGTH:
        return column, raw
    if element.get("t", "n") == "n" and len(raw) > 30:
        return column, raw  # int() of thousands of digits raises; the row parser refuses it as a number
    try:
        return column, cell_parser.parse_cell(element)["value"]
    except (ValueError, OverflowError, TypeError, IndexError) as error:
        if element.get("t") == "s":
            message = f"Ce classeur XLSX est endommagé (texte partagé n° {raw[:20]} absent) : {RESAVE}"
            raise FileRefused(message) from error
        return column, raw  # an unreadable value is refused by the row parser, on its row and column


def _check_dimension(reference: str) -> None:
    from openpyxl.utils.cell import range_boundaries

    try:
        _min_column, _min_row, max_column, max_row = range_boundaries(reference.upper())
    except (ValueError, TypeError):
        return  # a missing or odd dimension is harmless: nothing relies on it
    if (max_row or 0) > MAX_ROWS + 1 or (max_column or 0) > MAX_DECLARED_COLUMNS:
        raise FileRefused(
            f"La feuille déclare la plage {reference} ({n(max_row or 0)} lignes, {n(max_column or 0)} colonnes), "
            f"au-delà des limites de l'import ({n(MAX_ROWS + 1)} lignes, {n(MAX_DECLARED_COLUMNS)} colonnes) : "
            "copiez les seules données utiles dans un nouveau classeur, ou enregistrez-le en CSV."
        )


def _xml_refusal(error: Exception, part: str) -> FileRefused:
    from defusedxml import DefusedXmlException

    if isinstance(error, DefusedXmlException):
        where = f" (« {part} »)" if part else ""
        return FileRefused(
            f"Ce classeur contient des déclarations XML interdites{where} (DTD, entités ou références "
            f"externes) : {RESAVE}"
        )
    if isinstance(error, ParseError):
        where = f" dans « {part} »" if part else ""
        line = f", ligne {n(error.position[0])}" if getattr(error, "position", None) else ""
        return FileRefused(f"Ce classeur XLSX est endommagé (XML invalide{where}{line}) : {RESAVE}")
    if isinstance(error, zipfile.BadZipFile | KeyError | OSError | EOFError):
        return FileRefused(NOT_XLSX)
    return FileRefused(f"Ce classeur XLSX est endommagé ou illisible : {RESAVE}")
