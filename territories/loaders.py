"""Load the reference territories (committed data file) and priority neighbourhoods (QPV, from CSV).

Both loaders are idempotent: rows are keyed on their official code, re-running updates names and links and
never duplicates. Each load runs in one transaction. Rows absent from the source are left in place (they
may be referenced by markets or placements).
"""

import csv
import gzip
import io
import json
from dataclasses import dataclass
from pathlib import Path

from django.core.exceptions import ValidationError
from django.db import transaction

from territories.models import Commune, Department, Epci, Qpv, Region
from territories.services import reference_data_changed

DATA_DIR = Path(__file__).resolve().parent / "data"
TERRITORIES_FILE = DATA_DIR / "territories.json.gz"
DEMO_QPV_CSV = DATA_DIR / "qpv_demo_bfc.csv"

QPV_COLUMNS = ("code_qpv", "nom_qpv", "codes_insee")


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

    def __str__(self):
        return (
            f"{_count(self.regions, 'région', 'régions')}, "
            f"{_count(self.departments, 'département', 'départements')}, {format_count(self.epcis)} EPCI, "
            f"{_count(self.communes, 'commune chargée', 'communes chargées')}."
        )


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
        # A commune may have moved to another EPCI, a département to another region: the report rows that copy
        # them follow, in the same transaction.
        refreshed = reference_data_changed()
    return TerritoryCounts(
        regions=len(regions),
        departments=len(departments),
        epcis=len(epcis),
        communes=len(communes),
        refreshed_placements=refreshed,
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


def parse_qpv_csv(content: bytes) -> tuple[list[QpvRow], list[tuple[int, str]]]:
    """Parse a QPV CSV (columns code_qpv, nom_qpv, codes_insee, any order, extra columns ignored).

    Returns the well-formed rows and the (line number, French message) of each bad one; raises ValidationError
    for a file-level problem (encoding, empty file, missing column). Commune existence is checked by import_qpv.
    """
    text = _decode(content)
    if not text.strip():
        raise ValidationError("Le fichier est vide.")
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(text))
    header = [column.strip().lower() for column in next(reader)]
    missing = [column for column in QPV_COLUMNS if column not in header]
    if missing:
        raise ValidationError(
            f"Colonne(s) manquante(s) dans l'en-tête (ligne 1) : {', '.join(missing)}. "
            f"Colonnes attendues : {', '.join(QPV_COLUMNS)}, séparées par « ; » ou « , »."
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
        commune_codes = tuple(
            dict.fromkeys(part.strip().upper() for part in values[index["codes_insee"]].split(",") if part.strip())
        )
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
            [Qpv(code=row.code, name=row.name) for row in rows],
            update_conflicts=True,
            unique_fields=["code"],
            update_fields=["name"],
        )
        through.objects.filter(qpv_id__in=codes).delete()
        through.objects.bulk_create(
            [through(qpv_id=row.code, commune_id=commune) for row in rows for commune in row.commune_codes]
        )
    return QpvImportResult(created=len(set(codes) - existing), updated=len(existing))
