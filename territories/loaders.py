"""Load the reference territories and the official QPV 2024 (committed data files), and QPV updates from CSV.

The loaders are idempotent: rows are keyed on their official code, re-running updates names and links and
never duplicates. Each load runs in one transaction. Rows absent from the source are left in place (they
may be referenced by markets or placements): a QPV code absent from the official list stays, flagged
`official=False`, and is reported.
"""

import csv
import gzip
import io
import json
import re
from dataclasses import dataclass
from pathlib import Path

from django.core.exceptions import ValidationError
from django.db import transaction

from territories.geometry import QPV_FILE, bounding_box, official_codes, read_official_qpv
from territories.models import Commune, Department, Epci, Qpv, Region
from territories.services import reference_data_changed

DATA_DIR = Path(__file__).resolve().parent / "data"
TERRITORIES_FILE = DATA_DIR / "territories.json.gz"

QPV_COLUMNS = ("code_qpv", "nom_qpv", "codes_insee")
# The ANCT's official list (« Liste des QPV 2024 », CSV) names them otherwise.
ANCT_COLUMNS = {"code_qp": "code_qpv", "lib_qp": "nom_qpv", "insee_com": "codes_insee"}


def format_count(value: int) -> str:
    """French thousands grouping with a narrow no-break space, as Django's fr locale does: 34 875."""
    return f"{value:,}".replace(",", "\u202f")


def _count(value: int, singular: str, plural: str) -> str:
    return f"{format_count(value)} {singular if value < 2 else plural}"


@dataclass(frozen=True)
class TerritoryCounts:
    regions: int
    departments: int
    epcis: int
    communes: int
    refreshed_placements: int = 0  # contracts whose report rows followed a territory change
    qpvs: "QpvLoad | None" = None

    def __str__(self):
        text = (
            f"{_count(self.regions, 'région', 'régions')}, "
            f"{_count(self.departments, 'département', 'départements')}, {format_count(self.epcis)} EPCI, "
            f"{_count(self.communes, 'commune chargée', 'communes chargées')}"
        )
        return f"{text}, {self.qpvs}." if self.qpvs else f"{text}."


def read_territories(path: Path = TERRITORIES_FILE) -> dict:
    """The data file written by scripts/build_territories.py, as a dict of row lists."""
    with gzip.open(path, "rt", encoding="utf-8") as handle:
        return json.load(handle)


def _upsert(model, objects: list, update_fields: list[str]) -> None:
    model.objects.bulk_create(
        objects,
        batch_size=2000,
        update_conflicts=True,
        unique_fields=["code"],
        update_fields=update_fields,
    )


def load_territories(*, region: str | None = None, path: Path = TERRITORIES_FILE) -> TerritoryCounts:
    """Create or update regions, départements, EPCI and communes from the data file.

    With `region`, load only that region, its départements and communes, and the EPCI having at least one
    member commune in it (an EPCI spanning two regions is loaded whole, but only this region's communes).
    """
    data = read_territories(path)
    regions = data["regions"]
    departments = data["departments"]
    communes = data["communes"]
    epcis = data["epcis"]

    if region is not None:
        regions = [row for row in regions if row[0] == region]
        if not regions:
            known = ", ".join(row[0] for row in data["regions"])
            raise ValidationError(f"Région « {region} » inconnue. Codes possibles : {known}.")
        departments = [row for row in departments if row[2] == region]
        department_codes = {row[0] for row in departments}
        communes = [row for row in communes if row[2] in department_codes]
        epci_codes = {row[3] for row in communes if row[3]}
        epcis = [row for row in epcis if row[0] in epci_codes]

    with transaction.atomic():
        _upsert(Region, [Region(code=code, name=name) for code, name in regions], ["name"])
        _upsert(
            Department,
            [Department(code=code, name=name, region_id=region_code) for code, name, region_code in departments],
            ["name", "region"],
        )
        _upsert(Epci, [Epci(code=code, name=name) for code, name in epcis], ["name"])
        _upsert(
            Commune,
            [
                Commune(code=code, name=name, department_id=dep, epci_id=epci, population=population)
                for code, name, dep, epci, population in communes
            ],
            ["name", "department", "epci", "population"],
        )
        qpvs = load_official_qpv(commune_codes={row[0] for row in communes} if region is not None else None)
        # A commune may have moved to another EPCI, a département to another region: the report rows that copy
        # them follow, in the same transaction.
        refreshed = reference_data_changed()
    return TerritoryCounts(
        regions=len(regions),
        departments=len(departments),
        epcis=len(epcis),
        communes=len(communes),
        refreshed_placements=refreshed,
        qpvs=qpvs,
    )


@dataclass(frozen=True)
class QpvLoad:
    loaded: int
    without_commune: tuple[str, ...]  # on communes outside the split (overseas collectivities)
    unofficial: tuple[str, ...]  # codes in the database absent from the official list, kept

    def __str__(self):
        return _count(self.loaded, "QPV officiel (liste 2024)", "QPV officiels (liste 2024)")

    def warnings(self) -> list[str]:
        messages = []
        if self.without_commune:
            messages.append(
                f"{format_count(len(self.without_commune))} QPV chargé(s) sans commune : leurs communes "
                f"(collectivités d'outre-mer : Saint-Martin, Polynésie française) ne sont pas dans le référentiel."
            )
        if self.unofficial:
            messages.append(
                f"{format_count(len(self.unofficial))} QPV absent(s) de la liste officielle 2024, conservé(s) et "
                f"signalé(s) dans l'administration : {', '.join(self.unofficial)}."
            )
        return messages


def load_official_qpv(*, commune_codes: set[str] | None = None, path: Path = QPV_FILE) -> QpvLoad:
    """Create or update the QPV of the official 2024 list with their communes and outlines.

    With `commune_codes` (a region's load), only the QPV lying on one of those communes. A QPV's communes are
    replaced by the official ones present in the database; codes of the database absent from the list are
    kept (a person or a placement may point to them) and reported.
    """
    _source, rows = read_official_qpv(path)
    if commune_codes is not None:
        rows = [row for row in rows if commune_codes.intersection(row.commune_codes)]
    wanted = {code for row in rows for code in row.commune_codes}
    known = set(Commune.objects.filter(code__in=wanted).values_list("code", flat=True))
    through = Qpv.communes.through
    with transaction.atomic():
        qpvs = []
        for row in rows:
            min_lon, min_lat, max_lon, max_lat = bounding_box(row.outline)
            qpvs.append(
                Qpv(
                    code=row.code,
                    name=row.name,
                    official=True,
                    outline=row.outline,
                    min_longitude=min_lon,
                    min_latitude=min_lat,
                    max_longitude=max_lon,
                    max_latitude=max_lat,
                )
            )
        fields = ["name", "official", "outline", "min_longitude", "min_latitude", "max_longitude", "max_latitude"]
        Qpv.objects.bulk_create(
            qpvs, batch_size=200, update_conflicts=True, unique_fields=["code"], update_fields=fields
        )
        codes = [row.code for row in rows]
        for start in range(0, len(codes), 500):
            through.objects.filter(qpv_id__in=codes[start : start + 500]).delete()
        through.objects.bulk_create(
            [through(qpv_id=row.code, commune_id=code) for row in rows for code in row.commune_codes if code in known],
            batch_size=2000,
        )
    unofficial = tuple(Qpv.objects.filter(official=False).order_by("code").values_list("code", flat=True))
    return QpvLoad(
        loaded=len(rows),
        without_commune=tuple(row.code for row in rows if not known.intersection(row.commune_codes)),
        unofficial=unofficial,
    )


@dataclass(frozen=True)
class QpvRow:
    line: int
    code: str
    name: str
    commune_codes: tuple[str, ...]


def _decode(content: bytes) -> str:
    try:
        return content.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise ValidationError(
            f"Le fichier n'est pas encodé en UTF-8 (octet invalide en position {error.start})."
        ) from error


def _delimiter(text: str) -> str:
    """The CSV delimiter, `;` or `,`, read from the header line (column names contain neither)."""
    header = text.split("\n", 1)[0]
    return ";" if header.count(";") >= header.count(",") else ","


def _commune_codes(cell: str) -> tuple[str, ...]:
    """INSEE codes of a cell: `21231`, `21231, 21166`, the ANCT's `="13055;13070"` (a spreadsheet formula that
    keeps leading zeros), or a code whose leading zero a spreadsheet dropped (`1053` for 01053)."""
    cell = cell.strip()
    if cell.startswith("="):
        cell = cell[1:].strip().strip('"')
    codes = (part.strip().strip('"').upper() for part in re.split(r"[;,\s]+", cell))
    return tuple(dict.fromkeys(code.zfill(5) if code.isdigit() and len(code) == 4 else code for code in codes if code))


def parse_qpv_csv(content: bytes) -> tuple[list[QpvRow], list[tuple[int, str]]]:
    """Parse a QPV CSV (columns code_qpv, nom_qpv, codes_insee, any order, extra columns ignored), or the ANCT's
    official list (code_qp;lib_qp;…;insee_com;…, UTF-8 with BOM, several communes in one cell).

    Returns the well-formed rows and the (line number, French message) of each bad one; raises ValidationError
    for a file-level problem (encoding, empty file, missing column). Commune existence is checked by import_qpv.
    """
    text = _decode(content)
    if not text.strip():
        raise ValidationError("Le fichier est vide.")
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(text))
    header = [column.strip().lower() for column in next(reader)]
    if "code_qp" in header:  # the ANCT's layout
        header = [ANCT_COLUMNS.get(column, column) for column in header]
    missing = [column for column in QPV_COLUMNS if column not in header]
    if missing:
        raise ValidationError(
            f"Colonne(s) manquante(s) dans l'en-tête (ligne 1) : {', '.join(missing)}. "
            f"Colonnes attendues : {', '.join(QPV_COLUMNS)}, séparées par « ; » ou « , », ou celles de la liste "
            f"officielle de l'ANCT ({', '.join(ANCT_COLUMNS)}…)."
        )
    index = {column: header.index(column) for column in QPV_COLUMNS}
    max_code_length = Qpv._meta.get_field("code").max_length
    max_name_length = Qpv._meta.get_field("name").max_length

    errors: list[tuple[int, str]] = []
    rows: list[QpvRow] = []
    first_line_of: dict[str, int] = {}
    for values in reader:
        line = reader.line_num
        if not any(value.strip() for value in values):
            continue
        if len(values) < len(header):
            errors.append((line, f"{len(values)} colonne(s) au lieu de {len(header)}."))
            continue
        code = values[index["code_qpv"]].strip().upper()
        name = values[index["nom_qpv"]].strip()
        commune_codes = _commune_codes(values[index["codes_insee"]])
        line_errors = []
        if not code:
            line_errors.append("code QPV vide.")
        elif len(code) > max_code_length:
            line_errors.append(f"code QPV « {code} » trop long ({max_code_length} caractères au plus).")
        elif code in first_line_of:
            line_errors.append(f"code QPV « {code} » en double (déjà présent ligne {first_line_of[code]}).")
        else:
            first_line_of[code] = line
        if not name:
            line_errors.append("nom du QPV vide.")
        elif len(name) > max_name_length:
            line_errors.append(f"nom du QPV trop long ({max_name_length} caractères au plus).")
        if not commune_codes:
            line_errors.append("aucun code INSEE de commune.")
        errors.extend((line, message) for message in line_errors)
        if code and name and commune_codes:
            rows.append(QpvRow(line=line, code=code, name=name, commune_codes=commune_codes))
    return rows, errors


@dataclass(frozen=True)
class QpvImportResult:
    created: int
    updated: int

    def __str__(self):
        created = "QPV créé" if self.created < 2 else "QPV créés"
        return f"{format_count(self.created)} {created}, {format_count(self.updated)} QPV mis à jour."


def import_qpv(*, content: bytes) -> QpvImportResult:
    """Create or update QPV and their communes from CSV bytes; all or nothing.

    Raises ValidationError (one French message per bad line) and writes nothing when any line is wrong.
    """
    rows, errors = parse_qpv_csv(content)
    wanted = {code for row in rows for code in row.commune_codes}
    known = set(Commune.objects.filter(code__in=wanted).values_list("code", flat=True))
    errors += [
        (row.line, f"commune inconnue « {code} » (code INSEE).")
        for row in rows
        for code in row.commune_codes
        if code not in known
    ]
    if errors:
        raise ValidationError([f"Ligne {line} : {message}" for line, message in sorted(errors, key=lambda e: e[0])])
    if not rows:
        raise ValidationError("Le fichier ne contient aucun QPV.")

    codes = [row.code for row in rows]
    through = Qpv.communes.through
    with transaction.atomic():
        existing = set(Qpv.objects.filter(code__in=codes).values_list("code", flat=True))
        Qpv.objects.bulk_create(
            [Qpv(code=row.code, name=row.name, official=row.code in official_codes()) for row in rows],
            update_conflicts=True,
            unique_fields=["code"],
            update_fields=["name"],
        )
        through.objects.filter(qpv_id__in=codes).delete()
        through.objects.bulk_create(
            [through(qpv_id=row.code, commune_id=commune) for row in rows for commune in row.commune_codes]
        )
    return QpvImportResult(created=len(set(codes) - existing), updated=len(existing))
