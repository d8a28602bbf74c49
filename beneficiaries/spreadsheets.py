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
- XLSX while streaming (never a whole part in memory): no DTD, hence no entity (checked in each part's prolog
  before ElementTree's C parser reads it; openpyxl parses its few small parts through defusedxml), at most
  `MAX_SHARED_STRINGS` shared strings, a declared dimension within `MAX_ROWS` + 1 rows and
  `MAX_DECLARED_COLUMNS` columns, at most `MAX_ROWS` + 1 row elements, none numbered beyond, at most
  `MAX_CELLS_PER_ROW` cells and `MAX_ROW_BYTES` of XML in a row and `MAX_CELLS` in the sheet, values only in
  the first `MAX_COLUMNS` columns, no cell longer than `MAX_CELL_LENGTH` characters. Empty rows are never
  materialised: only the rows present in the file are read, and reading stops at the end of the sheet's data.

openpyxl does the XLSX plumbing (manifest, workbook, relationships, styles that mark dates); this module
streams the first worksheet and the shared strings itself rather than through `iter_rows`, which pads every
row to the declared width, walks every missing row up to the declared height, loads every shared string
first, and parses through defusedxml's pure-Python parser (about ten times slower) when it is installed.
"""

import csv
import io
import re
import xml.parsers.expat
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from xml.etree import ElementTree

from defusedxml import DefusedXmlException, DTDForbidden
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
MAX_SMALL_PART_SIZE = 1024 * 1024  # openpyxl builds an object per style: 1 Mo is about 50,000 of them
MAX_SHARED_STRINGS_SIZE = 16 * 1024 * 1024
MAX_SHARED_STRINGS = 300_000  # three distinct texts a row (names, reference) for the largest file
MAX_DECLARED_COLUMNS = 1_024  # AMJ, LibreOffice's former last column: a whole row selected there still passes
MAX_CELLS_PER_ROW = 1_024
MAX_CELLS = 1_200_000
MAX_ELEMENTS_OUTSIDE_ROWS = 10_000  # column widths, views, selections... everything before the data but rows
MAX_ROW_BYTES = 256 * 1024  # of XML for one row: 64 cells of 1,000 characters fit four times over
MAX_ELEMENTS_PER_STRING = 256  # a shared string: its text, or rich-text runs with their formatting
CHUNK_SIZE = 64 * 1024

NOT_A_TABLE = "Ce fichier n'est pas un tableau lisible : envoyez un fichier CSV (UTF-8 ou Windows-1252) ou XLSX."
NOT_XLSX = "Ce fichier n'est pas un classeur XLSX lisible : enregistrez-le au format XLSX ou CSV."
RESAVE = "ouvrez-le dans votre tableur et enregistrez-le de nouveau au format XLSX, ou en CSV."
SPLIT = "découpez-le par mois ou par marché."
COPY = "copiez les seules données utiles dans un nouveau classeur, ou enregistrez-le en CSV."

OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # legacy XLS, and any password-protected Office file
ZIP_MAGIC = b"PK\x03\x04"
CENTRAL_DIRECTORY_ENTRY = b"PK\x01\x02"
CONTROL_CHARACTERS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffd]")

MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
ROW_TAG, CELL_TAG, VALUE_TAG, FORMULA_TAG = f"{MAIN}row", f"{MAIN}c", f"{MAIN}v", f"{MAIN}f"
INLINE_TAG, STRING_TAG, T_TAG, RUN_TAG = f"{MAIN}is", f"{MAIN}si", f"{MAIN}t", f"{MAIN}r"
DATA_TAG, DIMENSION_TAG = f"{MAIN}sheetData", f"{MAIN}dimension"


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


def read_upload(fileobj, *, size: int | None = None, limit: int = MAX_FILE_SIZE) -> bytes:
    """Read at most the size limit from an uploaded file or an open binary file; refuse a larger one at once."""
    if size is not None and size > limit:
        raise FileRefused(too_large(size, limit))
    data = fileobj.read(limit + 1)
    if len(data) > limit:
        raise FileRefused(too_large(None, limit))
    return data


def too_large(size: int | None, limit: int = MAX_FILE_SIZE) -> str:
    shown = f" ({size / 1024 / 1024:.1f} Mo)".replace(".", ",") if size else ""
    label = MAX_FILE_SIZE_LABEL if limit == MAX_FILE_SIZE else mebibytes(limit)
    return f"Le fichier est trop volumineux{shown} : {label} au plus. Découpez-le par mois ou par marché."


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
        workbook = _open_workbook(data, archive, stats)
    except FileRefused:
        raise
    except Exception as error:  # openpyxl raises anything on a damaged file
        raise _xml_refusal(error, "") from error
    return _sheet_rows(archive, workbook, stats)


def workbook_sheets(
    data: bytes, *, limit: int = MAX_FILE_SIZE, stats_factory=ReadStats
) -> list[tuple[str, Iterator[tuple[int, list]]]]:
    """(title, rows) of every worksheet of an XLSX workbook, in order, with the guarantees of `table_rows`: the
    whole-file checks once, then each sheet streamed and bounded as the first one is (its own `ReadStats`, so the
    per-sheet limits hold for each). The shared strings are read once."""
    if len(data) > limit:
        raise FileRefused(too_large(len(data), limit))
    if not data.strip():
        raise FileRefused("Le fichier est vide.")
    if data.startswith(OLE2_MAGIC):
        raise FileRefused(
            "Ce fichier est un classeur Excel ancien (XLS) ou protégé par un mot de passe : enregistrez-le au "
            "format XLSX sans mot de passe, ou en CSV."
        )
    if not data.startswith(ZIP_MAGIC):
        raise FileRefused(NOT_XLSX)
    archive = _open_archive(data)
    stats = stats_factory()
    try:
        workbook = _open_workbook(data, archive, stats)
    except FileRefused:
        raise
    except Exception as error:  # openpyxl raises anything on a damaged file
        raise _xml_refusal(error, "") from error
    sheets = []
    for title, path in workbook.sheets:
        one = _Workbook(path, workbook.strings, workbook.epoch, workbook.date_styles, workbook.timedelta_styles)
        sheets.append((title, _sheet_rows(archive, one, stats_factory())))
    return sheets


def _open_archive(data: bytes) -> zipfile.ZipFile:
    """The zip checked from its central directory alone, before anything is decompressed."""
    if data.count(CENTRAL_DIRECTORY_ENTRY) > MAX_MEMBERS:  # counted before zipfile builds one object per entry
        raise FileRefused(
            f"Ce classeur contient plus de {MAX_MEMBERS} fichiers internes : ce n'est pas un relevé ordinaire ; {COPY}"
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
                f"{mebibytes(MAX_TOTAL_SIZE)} en tout) : {COPY}"
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


def _check_part(archive: zipfile.ZipFile, name: str, limit: int, what: str, advice: str = COPY) -> bool:
    try:
        size = archive.getinfo(name).file_size
    except KeyError:
        return False
    if size > limit:
        raise FileRefused(
            f"Une partie de ce classeur ({what}, « {name} ») dépasse {mebibytes(limit)} une fois décompressée "
            f"({mebibytes(size)}) : {advice}"
        )
    try:
        _check_prolog(archive, name)
    except FileRefused:
        raise
    except Exception as error:
        raise _xml_refusal(error, name) from error
    return True


@dataclass
class _Workbook:
    """What reading the first worksheet needs: its part, the shared strings, the styles that hold dates."""

    sheet_path: str
    strings: list[str]
    epoch: datetime
    date_styles: set[int]
    timedelta_styles: set[int]
    sheets: tuple[tuple[str, str], ...] = ()  # (title, part) of every worksheet, in order


def _open_workbook(data: bytes, archive: zipfile.ZipFile, stats: ReadStats) -> _Workbook:
    from openpyxl.packaging.relationship import get_rels_path
    from openpyxl.reader.excel import ARC_CONTENT_TYPES, ExcelReader, _find_workbook_part
    from openpyxl.styles.stylesheet import apply_stylesheet
    from openpyxl.xml.constants import ARC_STYLE, SHARED_STRINGS

    # The small parts that openpyxl parses whole (through defusedxml, pinned): size and prolog checked first.
    if not _check_part(archive, ARC_CONTENT_TYPES, MAX_SMALL_PART_SIZE, "liste des parties"):
        raise FileRefused(NOT_XLSX)
    reader = ExcelReader(io.BytesIO(data), read_only=True, keep_links=False)
    reader.read_manifest()
    workbook_part = _find_workbook_part(reader.package).PartName[1:]
    for name in (workbook_part, get_rels_path(workbook_part)):
        _check_part(archive, name, MAX_SMALL_PART_SIZE, "description du classeur")
    _check_part(archive, ARC_STYLE, MAX_SMALL_PART_SIZE, "feuille de styles")
    reader.read_workbook()
    apply_stylesheet(reader.archive, reader.wb)
    worksheets = [
        (sheet.name, rel.target) for sheet, rel in reader.parser.find_sheets() if rel.Type.endswith("/worksheet")
    ]
    sheet_path = worksheets[0][1] if worksheets else None
    sheets = tuple((name, target) for name, target in worksheets if target in reader.valid_files)[:MAX_COLUMNS]
    if sheet_path is None or sheet_path not in reader.valid_files:
        raise FileRefused("Ce classeur n'a aucune feuille de calcul : enregistrez-le au format XLSX ou CSV.")
    strings: list[str] = []
    part = reader.package.find(SHARED_STRINGS)
    if part is not None and _check_part(archive, part.PartName[1:], MAX_SHARED_STRINGS_SIZE, "table des textes", SPLIT):
        strings = _shared_strings(archive, part.PartName[1:], stats)
    workbook = reader.wb
    return _Workbook(
        sheet_path=sheet_path,
        strings=strings,
        epoch=workbook.epoch,
        date_styles=set(workbook._date_formats),  # filled by apply_stylesheet
        timedelta_styles=set(workbook._timedelta_formats),
        sheets=sheets,
    )


class _RootReached(Exception):
    pass


def _check_prolog(archive: zipfile.ZipFile, name: str) -> None:
    """Refuse a part whose prolog declares a DTD: the only way to declare entities (billion laughs, XXE).

    Read up to the root element only, by expat itself, so any encoding it accepts is covered. The part is then
    parsed by ElementTree's C parser, many times faster than defusedxml's pure-Python one."""
    parser = xml.parsers.expat.ParserCreate()

    def doctype(*_args):
        raise DTDForbidden(None, None, None)

    def root(*_args):
        raise _RootReached

    parser.StartDoctypeDeclHandler = doctype
    parser.StartElementHandler = root
    try:
        with archive.open(name) as source:
            while chunk := source.read(4096):
                parser.Parse(chunk, False)
            parser.Parse(b"", True)
    except _RootReached:
        return


def _events(archive: zipfile.ZipFile, name: str):
    """Start and end events of an XML part without a DTD, decompressed and parsed a chunk at a time."""
    _check_prolog(archive, name)
    with archive.open(name) as source:
        # No DTD (checked just above), hence no entity to expand or fetch: the C parser is safe here.
        yield from ElementTree.iterparse(source, events=("start", "end"))  # noqa: S314


def _text_of(element) -> str:
    """The text of a shared or inline string: its plain text, or its rich-text runs joined (phonetics left out)."""
    parts = []
    for child in element:
        if child.tag == T_TAG:
            parts.append(child.text or "")
        elif child.tag == RUN_TAG:
            text = child.find(T_TAG)
            parts.append(text.text or "" if text is not None else "")
    return "".join(parts).replace("x005F_", "")


def _shared_strings(archive: zipfile.ZipFile, name: str, stats: ReadStats) -> list[str]:
    strings: list[str] = []
    root = None
    depth = inside = 0
    try:
        for event, element in _events(archive, name):
            if event == "start":
                depth += 1
                if root is None:
                    root = element
                    declared = element.get("uniqueCount") or ""
                    if declared.isdigit() and int(declared) > MAX_SHARED_STRINGS:
                        raise FileRefused(_too_many_strings(int(declared)))
                elif depth == 2:
                    inside = 0
                else:
                    inside += 1
                    if inside > MAX_ELEMENTS_PER_STRING:
                        raise FileRefused(_too_many_strings(None))
                continue
            depth -= 1
            if depth == 1:
                if element.tag == STRING_TAG:
                    strings.append(_text_of(element))
                    stats.shared_strings += 1
                    if len(strings) > MAX_SHARED_STRINGS:
                        raise FileRefused(_too_many_strings(len(strings)))
                root.clear()
    except FileRefused:
        raise
    except Exception as error:  # XML and zip errors alike
        raise _xml_refusal(error, name) from error
    return strings


def _too_many_strings(count: int | None) -> str:
    shown = f" ({n(count)})" if count else ""
    return (
        f"La table des textes de ce classeur est démesurée{shown} : au plus {n(MAX_SHARED_STRINGS)} textes "
        f"différents. {SPLIT.capitalize()}"
    )


def _sheet_rows(archive: zipfile.ZipFile, workbook: _Workbook, stats: ReadStats) -> Iterator[tuple[int, list]]:
    """Rows present in the sheet, cells placed by their reference, stopping at the end of the sheet's data.

    Only end events are listened to (half the cost of start and end): an element is whole when seen, so what
    it may hold is bounded by the bytes read since the previous row (`MAX_ROW_BYTES`), and the elements left
    between rows, which stay attached to the sheet, by their count (`MAX_ELEMENTS_OUTSIDE_ROWS`)."""
    parser = ElementTree.XMLPullParser(events=("end",))  # no DTD (checked below), hence no entity
    row_number = since_row = elements = outside = 0
    try:
        _check_prolog(archive, workbook.sheet_path)
        with archive.open(workbook.sheet_path) as source:
            while chunk := source.read(CHUNK_SIZE):
                parser.feed(chunk)
                since_row += len(chunk)
                for _event, element in parser.read_events():
                    elements += 1
                    tag = element.tag
                    if tag == ROW_TAG:
                        inside = sum(1 for _ in element.iter())
                        outside += elements - inside
                        elements = since_row = 0
                        if outside > MAX_ELEMENTS_OUTSIDE_ROWS:
                            raise FileRefused(f"La feuille contient trop d'éléments hors des lignes : {RESAVE}")
                        row_number, values = _row(element, row_number, workbook, stats)
                        element.clear()  # its cells are freed; the empty row stays attached, counted by MAX_ROWS
                        if values:
                            yield row_number, values
                    elif tag == DIMENSION_TAG:
                        _check_dimension(element.get("ref") or "")
                    elif tag == DATA_TAG:
                        return  # what follows the data (merged cells, validations, drawings) is never parsed
                if since_row > MAX_ROW_BYTES:
                    raise FileRefused(
                        f"La ligne {n(row_number + 1)} de la feuille est démesurée (plus de "
                        f"{n(MAX_ROW_BYTES // 1024)} Ko de XML) : {RESAVE}"
                    )
            parser.close()
    except FileRefused:
        raise
    except Exception as error:  # XML, zip and conversion errors alike
        raise _xml_refusal(error, workbook.sheet_path) from error


def _row(element, previous: int, workbook: _Workbook, stats: ReadStats) -> tuple[int, list]:
    """Number and values of a row element, checked against the limits."""
    stats.rows += 1
    attribute = element.get("r")
    number = int(attribute) if attribute and _is_digits(attribute) else previous + 1
    if number > MAX_ROWS + 1 or stats.rows > MAX_ROWS + 1:
        raise FileRefused(
            f"La feuille va au-delà de la ligne {n(MAX_ROWS + 1)} (ligne {n(number)}) : au plus {n(MAX_ROWS)} "
            f"lignes de relevé sous les en-têtes. Supprimez les lignes vides en fin de feuille ou {SPLIT}"
        )
    if len(element) > MAX_CELLS_PER_ROW:
        raise FileRefused(
            f"La ligne {n(number)} compte plus de {n(MAX_CELLS_PER_ROW)} cellules : supprimez les colonnes "
            "inutiles, ou enregistrez le classeur en CSV."
        )
    stats.cells += len(element)
    if stats.cells > MAX_CELLS:
        raise FileRefused(
            f"La feuille compte plus de {n(MAX_CELLS)} cellules : supprimez les colonnes inutiles ou {SPLIT}"
        )
    values: list = []
    column = 0
    for cell in element:
        if cell.tag != CELL_TAG:
            continue
        column, value = _cell(cell, column, workbook)
        if value is None or value == "":
            continue
        if column > MAX_COLUMNS:
            raise FileRefused(
                f"La ligne {n(number)} a des valeurs au-delà de la colonne {MAX_COLUMNS} : l'import lit au plus "
                f"{MAX_COLUMNS} colonnes. Supprimez les colonnes inutiles."
            )
        if isinstance(value, str) and len(value) > MAX_CELL_LENGTH:
            raise FileRefused(
                f"Ligne {n(number)}, colonne {column} : la cellule compte {n(len(value))} caractères, au plus "
                f"{n(MAX_CELL_LENGTH)}. Ce n'est pas une valeur de relevé d'heures."
            )
        if column > len(values):
            values.extend([None] * (column - len(values)))
        values[column - 1] = value
    return number, values


def _cell(element, previous_column: int, workbook: _Workbook) -> tuple[int, object]:
    """Column and value of a cell, as openpyxl would give them: numbers, dates by their style, texts.

    A formula comes back as its text ("=..."), refused by the import; a number too long to convert, or a date
    out of range, as the raw text, refused on its row and column."""
    from openpyxl.utils.cell import coordinate_to_tuple
    from openpyxl.utils.datetime import from_excel, from_ISO8601

    reference = element.get("r")
    column = coordinate_to_tuple(reference)[1] if reference else previous_column + 1
    kind = element.get("t", "n")
    formula = element.find(FORMULA_TAG)
    if formula is not None:
        return column, "=" + (formula.text or "")
    if kind == "inlineStr":
        inline = element.find(INLINE_TAG)
        return column, _text_of(inline) if inline is not None else None
    raw = element.findtext(VALUE_TAG)
    if not raw:
        return column, None
    if len(raw) > MAX_CELL_LENGTH:
        return column, raw
    if kind == "s":
        if not _is_digits(raw) or int(raw) >= len(workbook.strings):
            raise FileRefused(f"Ce classeur XLSX est endommagé (texte partagé n° {raw[:20]} absent) : {RESAVE}")
        return column, workbook.strings[int(raw)]
    if kind == "n":
        if len(raw) > 30:
            return column, raw  # int() of thousands of digits raises; the row parser refuses it as a number
        try:
            number = int(raw) if raw.lstrip("-").isdigit() else float(raw)
        except ValueError:
            return column, raw
        style = element.get("s")
        style = int(style) if style and _is_digits(style) else 0
        if style in workbook.date_styles:
            try:
                return column, from_excel(number, workbook.epoch, timedelta=style in workbook.timedelta_styles)
            except (OverflowError, ValueError):
                return column, raw
        return column, number
    if kind == "b":
        return column, raw == "1"
    if kind == "d":
        try:
            return column, from_ISO8601(raw)
        except ValueError:
            return column, raw
    return column, raw  # "str" (a formula's text result) and "e" (an error such as #N/A)


def _is_digits(text: str) -> bool:
    return text.isascii() and text.isdigit()


def _check_dimension(reference: str) -> None:
    from openpyxl.utils.cell import range_boundaries

    try:
        _min_column, _min_row, max_column, max_row = range_boundaries(reference.upper())
    except (ValueError, TypeError):
        return  # a missing or odd dimension is harmless: nothing relies on it
    if (max_row or 0) > MAX_ROWS + 1 or (max_column or 0) > MAX_DECLARED_COLUMNS:
        raise FileRefused(
            f"La feuille déclare la plage {reference} ({n(max_row or 0)} lignes, {n(max_column or 0)} colonnes), "
            f"au-delà des limites de l'import ({n(MAX_ROWS + 1)} lignes, {n(MAX_DECLARED_COLUMNS)} colonnes) : {COPY}"
        )


def _xml_refusal(error: Exception, part: str) -> FileRefused:
    where = f" dans « {part} »" if part else ""
    if isinstance(error, DefusedXmlException):
        return FileRefused(
            f"Ce classeur contient des déclarations XML interdites{where} (DTD, entités ou références "
            f"externes) : {RESAVE}"
        )
    if isinstance(error, ElementTree.ParseError | xml.parsers.expat.ExpatError):
        line = getattr(error, "lineno", None) or (getattr(error, "position", None) or (None,))[0]
        shown = f", ligne {n(line)}" if line else ""
        return FileRefused(f"Ce classeur XLSX est endommagé (XML invalide{where}{shown}) : {RESAVE}")
    if isinstance(error, zipfile.BadZipFile | KeyError | OSError | EOFError):
        return FileRefused(NOT_XLSX)
    return FileRefused(f"Ce classeur XLSX est endommagé ou illisible : {RESAVE}")
