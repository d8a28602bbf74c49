"""Hostile spreadsheets, built byte by byte: each one a way to make a naive reader hang, swell or crash.

Shared by tests/security/test_hostile_spreadsheets.py and bench/hostile_spreadsheets.py (old reader vs new).
Each builder returns (file name, bytes). The XLSX ones are minimal packages written by hand, so that the XML
is exactly the hostile one (openpyxl would refuse to write most of them).
"""

import io
import struct
import zipfile

NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
HEADER = ["reference_marche", "numero_lot", "siret_titulaire", "identifiant_participant", "mois", "heures"]

CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
    "{shared}</Types>"
)
SHARED_OVERRIDE = (
    '<Override PartName="/xl/sharedStrings.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>'
)
PACKAGE_RELS = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
    'officeDocument" Target="xl/workbook.xml"/></Relationships>'
)
WORKBOOK = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    f'<workbook xmlns="{NS}" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
    '<sheets><sheet name="Relevé" sheetId="1" r:id="rId1"/></sheets></workbook>'
)
WORKBOOK_RELS = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" '
    'Target="worksheets/sheet1.xml"/>{shared}</Relationships>'
)
SHARED_REL = (
    '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
    'sharedStrings" Target="sharedStrings.xml"/>'
)
LAUGHS = (
    '<!DOCTYPE lolz [<!ENTITY lol "lol">'
    + "".join(f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10 if i > 1 else "&lol;" * 10}">' for i in range(1, 10))
    + "]>"
)


def column_letter(index: int) -> str:
    letters = ""
    while index:
        index, remainder = divmod(index - 1, 26)
        letters = chr(65 + remainder) + letters
    return letters


def inline(reference: str, text: str) -> str:
    return f'<c r="{reference}" t="inlineStr"><is><t>{text}</t></is></c>'


def header_row() -> str:
    cells = "".join(inline(f"{column_letter(index)}1", name) for index, name in enumerate(HEADER, start=1))
    return f'<row r="1">{cells}</row>'


def sheet(rows: str, *, dimension: str | None = None, prolog: str = "") -> str:
    declared = f'<dimension ref="{dimension}"/>' if dimension else ""
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>{prolog}<worksheet xmlns="{NS}">{declared}'
        f"<sheetData>{rows}</sheetData></worksheet>"
    )


def package(sheet_xml: str | bytes, *, shared: str | bytes | None = None, extra=(), **overrides) -> bytes:
    """A minimal XLSX; `overrides` replace a part by its name with dots for slashes (xl_workbook_xml=...)."""
    parts = {
        "[Content_Types].xml": CONTENT_TYPES.format(shared=SHARED_OVERRIDE if shared is not None else ""),
        "_rels/.rels": PACKAGE_RELS,
        "xl/workbook.xml": WORKBOOK,
        "xl/_rels/workbook.xml.rels": WORKBOOK_RELS.format(shared=SHARED_REL if shared is not None else ""),
        "xl/worksheets/sheet1.xml": sheet_xml,
    }
    if shared is not None:
        parts["xl/sharedStrings.xml"] = shared
    for key, value in overrides.items():
        parts[key.replace("__", "/").replace("_xml", ".xml")] = value
    output = io.BytesIO()
    with zipfile.ZipFile(output, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        for name, content in [*parts.items(), *extra]:
            archive.writestr(name, content.encode() if isinstance(content, str) else content)
    return output.getvalue()


# --- XLSX: cost ------------------------------------------------------------------------------------------------


def far_cell() -> tuple[str, bytes]:
    """The issue's file: A1:XFD1048576 declared, one cell in the last row (openpyxl pads 16,384 columns)."""
    rows = header_row() + f'<row r="1048576">{inline("XFD1048576", "x")}</row>'
    return "far-cell.xlsx", package(sheet(rows, dimension="A1:XFD1048576"))


def far_cell_undeclared() -> tuple[str, bytes]:
    """The same without a dimension: only the row number gives it away."""
    rows = header_row() + f'<row r="1048576">{inline("A1048576", "x")}</row>'
    return "far-cell-undeclared.xlsx", package(sheet(rows))


def wide_rows() -> tuple[str, bytes]:
    """The issue's 19-second file: 20,000 rows declared over 16,384 columns."""
    rows = header_row() + "".join(f'<row r="{index}"><c r="A{index}"><v>1</v></c></row>' for index in range(2, 20_001))
    return "wide-rows.xlsx", package(sheet(rows, dimension="A1:XFD20000"))


def many_empty_rows() -> tuple[str, bytes]:
    """300,000 empty row elements under the header, no dimension."""
    rows = header_row() + "".join(f'<row r="{index}"/>' for index in range(2, 300_002))
    return "many-empty-rows.xlsx", package(sheet(rows))


def many_cells_in_a_row() -> tuple[str, bytes]:
    """One row of 5,000 empty cells, without references (each one the next column)."""
    return "many-cells.xlsx", package(sheet(header_row() + f'<row r="2">{"<c/>" * 5_000}</row>'))


def huge_row() -> tuple[str, bytes]:
    """One row of 200,000 cells (3 MB of XML): a naive parser builds them all before looking at the row."""
    cells = "".join(f'<c r="{column_letter(index % 16384 + 1)}2" s="0"/>' for index in range(200_000))
    return "huge-row.xlsx", package(sheet(header_row() + f'<row r="2">{cells}</row>'))


def huge_cell() -> tuple[str, bytes]:
    """One cell holding 100,000 characters (counting, so that the compression ratio stays ordinary)."""
    text = "".join(str(index) for index in range(30_000))[:100_000]
    rows = header_row() + f'<row r="2">{inline("A2", text)}</row>'
    return "huge-cell.xlsx", package(sheet(rows))


def shared_strings_bomb() -> tuple[str, bytes]:
    """A 68 MB shared-strings table (4 million one-letter strings) that compresses to about 70 KB."""
    body = "<si><t>a</t></si>" * 4_000_000
    shared = f'<?xml version="1.0" encoding="UTF-8"?><sst xmlns="{NS}">{body}</sst>'
    rows = header_row() + '<row r="2"><c r="A2" t="s"><v>0</v></c></row>'
    return "shared-strings-bomb.xlsx", package(sheet(rows), shared=shared)


def many_shared_strings() -> tuple[str, bytes]:
    """400,000 distinct shared strings, no declared count, within the size and ratio caps: the count stops it."""
    body = "".join(f"<si><t>{index:x}</t></si>" for index in range(400_000))
    shared = f'<?xml version="1.0" encoding="UTF-8"?><sst xmlns="{NS}">{body}</sst>'
    rows = header_row() + '<row r="2"><c r="A2" t="s"><v>0</v></c></row>'
    return "many-shared-strings.xlsx", package(sheet(rows), shared=shared)


def styles_bomb() -> tuple[str, bytes]:
    """200,000 cell formats (7 MB of styles, ordinary compression): openpyxl builds an object for each."""
    formats = "".join(f'<xf numFmtId="{index * 7919 % 100_003}" xfId="{index}"/>' for index in range(200_000))
    styles = (
        f'<?xml version="1.0" encoding="UTF-8"?><styleSheet xmlns="{NS}"><fonts count="1"><font/></fonts>'
        '<fills count="1"><fill/></fills><borders count="1"><border/></borders>'
        f'<cellXfs count="200000">{formats}</cellXfs></styleSheet>'
    )
    return "styles-bomb.xlsx", package(sheet(header_row()), xl__styles_xml=styles)


def zip_bomb() -> tuple[str, bytes]:
    """A 128 MB part of zeros in a 130 KB file (the central directory tells its size)."""
    output = io.BytesIO()
    with zipfile.ZipFile(output, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        base = zipfile.ZipFile(io.BytesIO(package(sheet(header_row()))))
        for name in base.namelist():
            archive.writestr(name, base.read(name))
        with archive.open("xl/media/image1.png", "w", force_zip64=True) as member:
            chunk = b"\0" * (16 * 1024 * 1024)
            for _ in range(8):
                member.write(chunk)
    return "zip-bomb.xlsx", output.getvalue()


def lying_sizes() -> tuple[str, bytes]:
    """A 16 MB sheet whose central directory claims 2 KB: the decompression must stop at the claimed size."""
    rows = header_row() + "<row r='2'>" + "<c/>" * 4_000_000 + "</row>"
    data = bytearray(package(sheet(rows)))
    name = b"xl/worksheets/sheet1.xml"
    start = data.rfind(b"PK\x01\x02")
    while start != -1:
        name_length = struct.unpack_from("<H", data, start + 28)[0]
        if bytes(data[start + 46 : start + 46 + name_length]) == name:
            struct.pack_into("<I", data, start + 24, 2048)  # uncompressed size
            break
        start = data.rfind(b"PK\x01\x02", 0, start)
    return "lying-sizes.xlsx", bytes(data)


def too_many_members() -> tuple[str, bytes]:
    extra = [(f"xl/media/image{index}.png", b"") for index in range(1_000)]
    return "too-many-members.xlsx", package(sheet(header_row()), extra=extra)


# --- XLSX: XML ---------------------------------------------------------------------------------------------------


def malformed_xml() -> tuple[str, bytes]:
    """Cut in the middle of a cell, after a valid dimension (what openpyxl checks when opening)."""
    body = f'<?xml version="1.0"?><worksheet xmlns="{NS}"><dimension ref="A1:F2"/><sheetData>{header_row()}'
    return "malformed.xlsx", package(body + '<row r="2"><c r="A2"><v>1</v></c')


def undefined_entity() -> tuple[str, bytes]:
    rows = header_row() + f'<row r="2">{inline("A2", "&nowhere;")}</row>'
    return "undefined-entity.xlsx", package(sheet(rows, dimension="A1:F2"))


def external_entity() -> tuple[str, bytes]:
    """XXE: an entity that reads a file of the server, shown in a cell if resolved."""
    prolog = '<!DOCTYPE worksheet [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
    rows = header_row() + f'<row r="2">{inline("A2", "&xxe;")}</row>'
    return "xxe.xlsx", package(sheet(rows, dimension="A1:F2", prolog=prolog))


def external_entity_in_shared_strings() -> tuple[str, bytes]:
    prolog = '<!DOCTYPE sst [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
    shared = f'<?xml version="1.0" encoding="UTF-8"?>{prolog}<sst xmlns="{NS}"><si><t>&xxe;</t></si></sst>'
    rows = header_row() + '<row r="2"><c r="A2" t="s"><v>0</v></c></row>'
    return "xxe-shared-strings.xlsx", package(sheet(rows), shared=shared)


def billion_laughs() -> tuple[str, bytes]:
    rows = header_row() + f'<row r="2">{inline("A2", "&lol9;")}</row>'
    return "billion-laughs.xlsx", package(sheet(rows, dimension="A1:F2", prolog=LAUGHS))


def billion_laughs_in_workbook() -> tuple[str, bytes]:
    """The same in a part that openpyxl parses itself (through defusedxml)."""
    workbook = WORKBOOK.replace("<workbook ", LAUGHS.replace("lolz", "workbook") + "<workbook ", 1)
    workbook = workbook.replace('name="Relevé"', 'name="&lol9;"')
    return "billion-laughs-workbook.xlsx", package(sheet(header_row()), xl__workbook_xml=workbook)


# --- Not a spreadsheet ------------------------------------------------------------------------------------------


def not_a_zip() -> tuple[str, bytes]:
    return "not-a-zip.xlsx", b"PK\x03\x04" + bytes(range(256)) * 64


def encrypted_office_file() -> tuple[str, bytes]:
    """A password-protected XLSX (or an old XLS) is an OLE2 compound file, not a zip."""
    return "encrypted.xlsx", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 4096


def encrypted_zip() -> tuple[str, bytes]:
    """A zip whose parts carry the encryption flag."""
    data = bytearray(package(sheet(header_row())))
    for signature, offset in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        start = data.find(signature)
        while start != -1:
            flags = struct.unpack_from("<H", data, start + offset)[0]
            struct.pack_into("<H", data, start + offset, flags | 0x1)
            start = data.find(signature, start + 4)
    return "encrypted-zip.xlsx", bytes(data)


def opendocument() -> tuple[str, bytes]:
    output = io.BytesIO()
    with zipfile.ZipFile(output, "w") as archive:
        archive.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet")
        archive.writestr("content.xml", "<office:document-content/>")
    return "releve.ods", output.getvalue()


def word_document() -> tuple[str, bytes]:
    """A zip that is an Office package, but not a workbook."""
    return "releve.xlsx", package(
        sheet(header_row()),
        **{"[Content_Types].xml": CONTENT_TYPES.format(shared="").replace("spreadsheetml.sheet.main", "wordml.x")},
    )


# --- CSV ----------------------------------------------------------------------------------------------------------


def csv_huge_line() -> tuple[str, bytes]:
    """A header, then one line of 4 MB."""
    return "huge-line.csv", (";".join(HEADER) + "\r\n" + "1;" * 2_000_000 + "\r\n").encode()


def csv_too_many_rows() -> tuple[str, bytes]:
    """150,000 short rows under 5 MB."""
    row = "M;1;1;1;01/2025;1\r\n"
    return "too-many-rows.csv", (";".join(HEADER) + "\r\n" + row * 150_000).encode()


def csv_blank_lines() -> tuple[str, bytes]:
    """Five million line breaks: as many rows for a reader that skips blank ones one by one."""
    return "blank-lines.csv", (";".join(HEADER) + "\n").encode() + b"\n" * 5_000_000


def csv_many_columns() -> tuple[str, bytes]:
    """A header of 500 columns within the line cap."""
    return "many-columns.csv", (";".join(f"c{index}" for index in range(500)) + "\r\n1;2\r\n").encode()


HOSTILE_FILES = {
    builder.__name__: builder
    for builder in (
        far_cell,
        far_cell_undeclared,
        wide_rows,
        many_empty_rows,
        many_cells_in_a_row,
        huge_row,
        huge_cell,
        shared_strings_bomb,
        many_shared_strings,
        styles_bomb,
        zip_bomb,
        lying_sizes,
        too_many_members,
        malformed_xml,
        undefined_entity,
        external_entity,
        external_entity_in_shared_strings,
        billion_laughs,
        billion_laughs_in_workbook,
        not_a_zip,
        encrypted_office_file,
        encrypted_zip,
        opendocument,
        word_document,
        csv_huge_line,
        csv_too_many_rows,
        csv_blank_lines,
        csv_many_columns,
    )
}
