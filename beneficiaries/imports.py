"""Import of company hour statements from a spreadsheet (CSV or XLSX), one row per person and month.

Three steps, shared by the web flow (beneficiaries.import_views) and `manage.py import_hours`:

1. `parse_file` reads the bytes through `beneficiaries.spreadsheets` (format and encoding detection, every
   cost capped: size, rows, columns, cells, zip and XML; any unreadable file a French `FileRefused`), matches
   headers without case or accents, refuses formulas and numbers out of range on their row, and returns
   `ParsedRow`s, plain values that can be kept in a session;
2. `process` resolves each row to a placement the user may declare hours on (market by reference among
   the user's markets, lot number, contractor SIRET, person, placement active that month), builds
   `HoursEntry`s and hands them to `beneficiaries.services.declare_month`, the same all-or-nothing
   service as the monthly grid: in a preview the transaction is rolled back, on confirmation it is kept
   only if no row is refused. No rule of the grid is repeated here.
3. The report tells, per row, what would be (or was) created, updated ("avant → après") or left unchanged,
   the status of the record it finds, and every refusal with its row number, in French. A validated record
   that a row would change goes back to "déclaré" (and out of the lot's progress until validated again): the
   preview counts them, and the confirmation says whether to replace them (`REPLACE_VALIDATED`) or to leave
   them validated and skip their rows (`KEEP_VALIDATED`, the service's `keep_validated`).
"""

import csv
import io
import unicodedata
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.db.models import Q

from beneficiaries.calculations import MONTHLY_CEILING_HOURS, first_of_month
from beneficiaries.choices import HoursSource, HoursStatus
from beneficiaries.models import Beneficiary, HoursRecord, Placement
from beneficiaries.services import (
    UNCHECKED,
    HoursBatchError,
    HoursEntry,
    HoursValues,
    VersionCheck,
    declare_month,
    format_date,
    format_month,
    format_number,
)
from beneficiaries.spreadsheets import (  # noqa: F401 - the import's reading API, re-exported for its callers
    MAX_FILE_SIZE,
    MAX_FILE_SIZE_LABEL,
    FileRefused,
    ReadStats,
    read_upload,
    table_rows,
)
from config.formatting import french_figure
from markets.models import Lot
from organisations.permissions import can_edit_hours

PROGRESS_EVERY = 1000
# What a number cell may be before the service's rules apply: below what the hours column can hold (999,99),
# without more digits or decimals than anybody types. Beyond, the row is refused here with a French message.
_HOURS_FIELD = HoursRecord._meta.get_field("hours")
MAX_HOURS_VALUE = Decimal(10) ** (_HOURS_FIELD.max_digits - _HOURS_FIELD.decimal_places)
MAX_DIGITS_READ = 20
MAX_DECIMALS_READ = 10
SHOWN_LENGTH = 30

# Column code -> what it holds (for messages and the README).
COLUMNS: dict[str, str] = {
    "reference_marche": "référence du marché",
    "numero_lot": "numéro du lot",
    "siret_titulaire": "SIRET du titulaire du lot",
    "identifiant_participant": "identifiant Clausier de la personne",
    "nom": "nom de la personne",
    "prenom": "prénom de la personne",
    "date_naissance": "date de naissance (JJ/MM/AAAA)",
    "mois": "mois (MM/AAAA)",
    "heures": "heures d'insertion du mois",
    "heures_formation": "heures de formation du mois",
}
COLUMN_LABELS = {"heures": "Heures", "heures_formation": "Heures de formation"}
REQUIRED_COLUMNS = ("reference_marche", "numero_lot", "siret_titulaire", "mois", "heures")
NAME_COLUMNS = ("nom", "prenom", "date_naissance")
# A few spellings met in the wild, after normalisation.
ALIASES = {
    "reference_du_marche": "reference_marche",
    "ref_marche": "reference_marche",
    "numero_de_lot": "numero_lot",
    "lot": "numero_lot",
    "siret": "siret_titulaire",
    "identifiant": "identifiant_participant",
    "date_de_naissance": "date_naissance",
    "heures_de_formation": "heures_formation",
}
TEMPLATE_EXAMPLE = {
    "reference_marche": "2025-0001",
    "numero_lot": "1",
    "siret_titulaire": "73282932000074",
    "identifiant_participant": "",
    "nom": "DUPONT",
    "prenom": "Marie",
    "date_naissance": "01/02/1990",
    "mois": "03/2025",
    "heures": "120,5",
    "heures_formation": "0",
}


# --- Reading (bounded: beneficiaries.spreadsheets) -------------------------------------------------------


def normalise_header(text) -> str:
    text = unicodedata.normalize("NFKD", str(text or "")).encode("ascii", "ignore").decode()
    text = "".join(char if char.isalnum() else "_" for char in text.strip().lower())
    while "__" in text:
        text = text.replace("__", "_")
    text = text.strip("_")
    return ALIASES.get(text, text)


# --- Parsing cells -------------------------------------------------------------------------------------------


@dataclass
class ParsedRow:
    """One data row, as plain values (JSON-serialisable through `as_dict`)."""

    number: int
    reference: str = ""
    lot_number: int | None = None
    siret: str = ""
    beneficiary_id: int | None = None
    last_name: str = ""
    first_name: str = ""
    birth_date: str | None = None  # ISO
    month: str | None = None  # ISO, first day
    hours: str | None = None  # Decimal as text
    training_hours: str = "0"
    errors: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, values: dict) -> "ParsedRow":
        return cls(**values)

    @property
    def month_label(self) -> str:
        return format_month(date.fromisoformat(self.month)) if self.month else ""

    @property
    def hours_label(self) -> str:
        return format_number(Decimal(self.hours)) if self.hours is not None else ""

    @property
    def training_label(self) -> str:
        return format_number(Decimal(self.training_hours))

    @property
    def person_label(self) -> str:
        if self.beneficiary_id is not None:
            # The name, when a resolver filled it in from the person found (companies.uploads), else the number.
            name = f"{self.last_name.upper()} {self.first_name} " if self.last_name else ""
            return f"{name}n° {self.beneficiary_id}" if not name else f"{name}(n° {self.beneficiary_id})"
        birth = f", né·e le {format_date(date.fromisoformat(self.birth_date))}" if self.birth_date else ""
        return f"{self.last_name.upper()} {self.first_name}{birth}".strip()


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        value = int(value)
    return str(value).strip()


def _is_digits(text: str) -> bool:
    """ASCII digits only: "²".isdigit() is true, and int("²") raises."""
    return text.isascii() and text.isdigit()


def _shown(value) -> str:
    """A cell as quoted in a message: a 200-digit number is not repeated whole."""
    text = _text(value)
    return text if len(text) <= SHOWN_LENGTH else text[:SHOWN_LENGTH] + "…"


def _parse_decimal(value, column: str, errors: list[str]) -> str | None:
    """Hours as the text of a finite Decimal the hours column can hold, or None with a message naming the column.

    What is out of range (1E+26, a 200-digit number, 1E+400, NaN, Infinity) is refused here, on its row: the
    grid's rules (negative, two decimals, 220 h) stay the service's, for what a column of hours can hold."""
    label = COLUMN_LABELS[column]
    if isinstance(value, bool):
        value = str(value)
    if isinstance(value, int | float):
        text = repr(value) if isinstance(value, float) else str(value)
    else:
        text = _text(value).replace("\u00a0", "").replace("\u202f", "").replace(" ", "").replace(",", ".")
        if not text:
            return None
    try:
        number = Decimal(text)
    except InvalidOperation:
        errors.append(f"{label} illisibles : « {_shown(value)} » (colonne « {column} » : un nombre, par exemple 12,5).")
        return None
    _sign, digits, exponent = number.as_tuple()
    if not number.is_finite():
        errors.append(f"{label} illisibles : « {_shown(value)} » (colonne « {column} » : un nombre, par exemple 12,5).")
        return None
    if abs(number) >= MAX_HOURS_VALUE:
        errors.append(
            f"{label} hors limites : « {_shown(value)} » (colonne « {column} » : au plus "
            f"{format_number(MONTHLY_CEILING_HOURS)} h par mois)."
        )
        return None
    if exponent < -MAX_DECIMALS_READ or len(digits) > MAX_DIGITS_READ:
        errors.append(f"{label} illisibles : « {_shown(value)} » (colonne « {column} » : au plus deux décimales).")
        return None
    number += 0  # -0 becomes 0
    if number == number.to_integral_value():
        number = number.quantize(Decimal(1))  # 1E+2 becomes 100
    return str(number)


def _parse_month(value, errors: list[str]) -> str | None:
    if isinstance(value, datetime):
        value = value.date()
    if isinstance(value, date):
        return first_of_month(value).isoformat()
    text = _text(value)
    for separator in ("/", "-", "."):
        parts = text.split(separator)
        if len(parts) == 2 and all(_is_digits(part) for part in parts):
            month, year = (parts[1], parts[0]) if len(parts[0]) == 4 else (parts[0], parts[1])
            if len(year) == 4 and len(month) <= 2 and 1 <= int(month) <= 12 and 2000 <= int(year) <= 2100:
                return date(int(year), int(month), 1).isoformat()
    errors.append(f"Mois illisible : « {_shown(text)} » (attendu MM/AAAA, par exemple 03/2025).")
    return None


def _parse_birth_date(value, errors: list[str]) -> str | None:
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    text = _text(value)
    try:
        return datetime.strptime(text, "%d/%m/%Y").date().isoformat()
    except ValueError:
        errors.append(f"Date de naissance illisible : « {_shown(text)} » (attendu JJ/MM/AAAA).")
        return None


def _parse_integer(value, label: str, errors: list[str]) -> int | None:
    text = _text(value)
    if _is_digits(text) and len(text) <= 9:
        return int(text)
    errors.append(f"{label} illisible : « {_shown(text)} » (un nombre entier)." if text else f"{label} manquant.")
    return None


def _parse_row(number: int, cells: dict[str, object], by_id: bool) -> ParsedRow:
    row = ParsedRow(number=number)
    errors = row.errors
    row.reference = _text(cells.get("reference_marche"))
    if not row.reference:
        errors.append("Référence du marché manquante.")
    row.lot_number = _parse_integer(cells.get("numero_lot"), "Numéro de lot", errors)
    siret = _text(cells.get("siret_titulaire")).replace(" ", "").replace("\u00a0", "")
    if _is_digits(siret) and len(siret) < 14:
        siret = siret.zfill(14)  # a spreadsheet may have turned it into a number
    if not (_is_digits(siret) and len(siret) == 14):
        shown = f"SIRET du titulaire illisible : « {_shown(siret)} » (14 chiffres)."
        errors.append(shown if siret else "SIRET du titulaire manquant.")
    row.siret = siret
    identifier = _text(cells.get("identifiant_participant")) if by_id else ""
    if identifier:
        row.beneficiary_id = _parse_integer(identifier, "Identifiant de la personne", errors)
    else:
        row.last_name = _text(cells.get("nom"))
        row.first_name = _text(cells.get("prenom"))
        if not (row.last_name and row.first_name and _text(cells.get("date_naissance"))):
            errors.append("Indiquez la personne : son identifiant Clausier, ou ses nom, prénom et date de naissance.")
        else:
            row.birth_date = _parse_birth_date(cells.get("date_naissance"), errors)
    row.month = _parse_month(cells.get("mois"), errors)
    row.hours = _parse_decimal(cells.get("heures"), "heures", errors)
    if row.hours is None and not any(message.startswith("Heures ") for message in errors):
        errors.append("Heures manquantes (0 si la personne n'a pas travaillé ce mois-là).")
    training = _parse_decimal(cells.get("heures_formation"), "heures_formation", errors)
    row.training_hours = training if training is not None else "0"
    return row


def _map_headers(cells: list) -> dict[int, str]:
    headers = [normalise_header(cell) for cell in cells]
    while headers and not headers[-1]:
        headers.pop()
    errors = []
    unknown = [str(cells[index]).strip() for index, name in enumerate(headers) if name and name not in COLUMNS]
    if unknown:
        listed = ", ".join(f"« {name} »" for name in unknown)
        errors.append(f"Colonne{'s' if len(unknown) > 1 else ''} inconnue{'s' if len(unknown) > 1 else ''} : {listed}.")
    if any(not name for name in headers):
        errors.append("Une colonne n'a pas de nom dans la première ligne.")
    duplicated = sorted({name for name in headers if name and headers.count(name) > 1})
    if duplicated:
        errors.append("Colonne en double : " + ", ".join(f"« {name} »" for name in duplicated) + ".")
    missing = [name for name in REQUIRED_COLUMNS if name not in headers]
    if missing:
        listed = ", ".join(f"« {name} »" for name in missing)
        errors.append(
            f"Colonne{'s' if len(missing) > 1 else ''} manquante{'s' if len(missing) > 1 else ''} : {listed}."
        )
    if "identifiant_participant" not in headers and not all(name in headers for name in NAME_COLUMNS):
        errors.append(
            "Il faut identifier les personnes : une colonne « identifiant_participant », ou les colonnes "
            "« nom », « prenom » et « date_naissance »."
        )
    if errors:
        errors.append("Colonnes attendues : " + ", ".join(COLUMNS) + " (voir le modèle à télécharger).")
        raise FileRefused(errors)
    return dict(enumerate(headers))


def _is_formula(value) -> bool:
    return isinstance(value, str) and value.startswith("=")


def parse_file(
    data: bytes,
    *,
    filename: str = "",
    progress: Callable[[int], None] | None = None,
    stats: ReadStats | None = None,
) -> list[ParsedRow]:
    """Read a statement into rows. FileRefused when the file as a whole is unreadable or beyond a limit."""
    table = table_rows(data, filename, stats=stats)
    columns = None
    rows: list[ParsedRow] = []
    for number, cells in table:
        if columns is None:
            if not any(_text(cell) for cell in cells):
                continue
            columns = _map_headers(cells)
            by_id = "identifiant_participant" in columns.values()
            continue
        if not any(_text(cell) for cell in cells):
            continue
        values = {name: cells[index] if index < len(cells) else None for index, name in columns.items()}
        formulas = [name for name, value in values.items() if _is_formula(value)]
        extra = [cell for cell in cells[len(columns) :] if _text(cell)]
        row = _parse_row(number, {name: (None if name in formulas else value) for name, value in values.items()}, by_id)
        if formulas:
            row.errors.insert(
                0,
                "Formule refusée dans la colonne "
                + ", ".join(f"« {name} »" for name in formulas)
                + " : enregistrez des valeurs, pas des formules.",
            )
        if extra:
            row.errors.insert(0, "Cette ligne a plus de cellules que d'en-têtes de colonnes.")
        rows.append(row)
        if progress and len(rows) % PROGRESS_EVERY == 0:
            progress(len(rows))
    if columns is None:
        raise FileRefused("Le fichier est vide.")
    if not rows:
        raise FileRefused("Le fichier ne contient aucune ligne de relevé sous les en-têtes.")
    return rows


# --- Resolving rows and declaring ----------------------------------------------------------------------------

CREATED, UPDATED, UNCHANGED, SKIPPED, REFUSED = "created", "updated", "unchanged", "skipped", "refused"
STATUS_LABELS = {
    CREATED: "nouveau",
    UPDATED: "modifié",
    UNCHANGED: "inchangé",
    SKIPPED: "validé, non modifié",
    REFUSED: "refusé",
}
DONE_LABELS = {
    CREATED: "créé",
    UPDATED: "mis à jour",
    UNCHANGED: "inchangé",
    SKIPPED: "validé, laissé tel quel",
    REFUSED: "refusé",
}
RECORD_STATUS_LABELS = {
    HoursStatus.DECLARED: "déclaré",
    HoursStatus.VALIDATED: "validé",
    HoursStatus.REJECTED: "rejeté",
}

# What the confirmation does with the validated records the file changes (required when there are some).
REPLACE_VALIDATED, KEEP_VALIDATED = "replace", "keep"
VALIDATED_CHOICES = {
    REPLACE_VALIDATED: "Remplacer aussi les relevés validés (ils devront être revalidés)",
    KEEP_VALIDATED: "Ne pas modifier les relevés validés (ces lignes sont ignorées)",
}
NO_ACTIVITY = "aucune activité"


def _hours_text(value: Decimal) -> str:
    return french_figure(value)


def _amount_text(value: Decimal | None) -> str:
    return "—" if value is None else f"{french_figure(value)}\u00a0€"


def _is_no_activity(values: HoursValues) -> bool:
    return values.hours == 0 and values.training_hours == 0 and not values.invoiced_amount_excl_vat


def _activity_text(values: HoursValues) -> str:
    return NO_ACTIVITY if _is_no_activity(values) else f"{_hours_text(values.hours)} h"


@dataclass(frozen=True)
class Change:
    """One value a row changes: "Heures : 140,25 → 142"."""

    label: str
    before: str
    after: str


def changes_between(before: HoursValues, after: HoursValues) -> list[Change]:
    """The values that differ, French-formatted; a month without activity (0 h, no training, no amount) reads
    "aucune activité" instead of its zeros."""
    changes = []
    if _is_no_activity(before) != _is_no_activity(after):
        changes.append(Change("Heures", _activity_text(before), _activity_text(after)))
    elif before.hours != after.hours:
        changes.append(Change("Heures", _hours_text(before.hours), _hours_text(after.hours)))
    if before.training_hours != after.training_hours:
        changes.append(Change("Formation", _hours_text(before.training_hours), _hours_text(after.training_hours)))
    if before.invoiced_amount_excl_vat != after.invoiced_amount_excl_vat:
        changes.append(
            Change(
                "Montant facturé HT",
                _amount_text(before.invoiced_amount_excl_vat),
                _amount_text(after.invoiced_amount_excl_vat),
            )
        )
    return changes


@dataclass
class RowResult:
    row: ParsedRow
    status: str = REFUSED
    errors: list[str] = field(default_factory=list)
    version_seen: int | None = None  # the version of the row's record found (0: none, "à créer"); None: refused
    previous: HoursValues | None = None  # the record found (None: none)
    after: HoursValues | None = None  # what the row declares
    lot: Lot | None = None

    @property
    def status_label(self) -> str:
        return STATUS_LABELS[self.status]

    @property
    def record_status_label(self) -> str:
        """The current status of the row's record ("" when there is none)."""
        return RECORD_STATUS_LABELS.get(self.previous.status, "") if self.previous else ""

    @property
    def changes(self) -> list[Change]:
        if self.previous is None or self.after is None:
            return []
        return changes_between(self.previous, self.after)

    @property
    def new_values_label(self) -> str:
        """What a new record holds: "12,5 h", "12,5 h dont 4 h de formation"… or "aucune activité"."""
        if self.after is None:
            return ""
        if _is_no_activity(self.after):
            return NO_ACTIVITY
        training = self.after.training_hours
        extra = f" + {_hours_text(training)} h de formation" if training else ""
        return f"{_hours_text(self.after.hours)} h{extra}"

    @property
    def reverts_validated(self) -> bool:
        """The row changes a validated record, which would go back to "déclaré"."""
        return self.status == UPDATED and self.previous is not None and self.previous.status == HoursStatus.VALIDATED


@dataclass
class ImportReport:
    rows: list[RowResult]
    committed: bool = False

    @property
    def errors(self) -> list[tuple[int, str]]:
        return [(result.row.number, message) for result in self.rows for message in result.errors]

    @property
    def ok(self) -> bool:
        return not self.errors

    def count(self, status: str) -> int:
        return sum(1 for result in self.rows if result.status == status)

    @property
    def counts(self) -> dict[str, int]:
        return {status: self.count(status) for status in (CREATED, UPDATED, UNCHANGED, SKIPPED, REFUSED)}

    @property
    def validated_changes(self) -> int:
        """How many validated records the rows change (they would go back to "déclaré")."""
        return sum(1 for result in self.rows if result.reverts_validated)

    @property
    def to_validate(self) -> list[tuple[date, Lot]]:
        """(month, lot) of the records created or changed, by month then lot: where to validate them."""
        pairs = {}
        for result in self.rows:
            if result.status in (CREATED, UPDATED) and result.lot is not None:
                month = date.fromisoformat(result.row.month)
                pairs[(month, result.lot.pk)] = (month, result.lot)
        return [pairs[key] for key in sorted(pairs)]

    def error_lines(self) -> list[str]:
        return [f"Ligne {number} : {message}" for number, message in self.errors]

    @property
    def versions(self) -> list[int | None]:
        """The version each row found, to be expected by the confirmation of this preview (`process`)."""
        return [result.version_seen for result in self.rows]


def _visible(queryset, user):
    return queryset.all() if user is None else queryset.visible_to(user)


def _person_key(last_name: str, first_name: str, birth_date) -> tuple[str, str, str]:
    return (normalise_header(last_name), normalise_header(first_name), str(birth_date))


def _period_distance(placement: Placement, month: date) -> int:
    if first_of_month(placement.start_date) <= month <= first_of_month(placement.end_date):
        return 0
    start, end = first_of_month(placement.start_date), first_of_month(placement.end_date)
    return min(abs((start - month).days), abs((month - end).days))


class _Resolver:
    """Loads, in a fixed few queries, the lots, placements and people the rows refer to."""

    def __init__(self, rows: list[ParsedRow], user):
        self.user = user
        usable = [row for row in rows if not row.errors]
        references = {row.reference for row in usable}
        self.lots_by_key: dict[tuple[str, int], list[Lot]] = defaultdict(list)
        self.references: set[str] = set()
        lots = (
            _visible(Lot.objects, user)
            .filter(market__reference__in=references)
            .select_related("market", "contractor", "clause")
        )
        for lot in lots:
            self.references.add(lot.market.reference)
            self.lots_by_key[(lot.market.reference, lot.number)].append(lot)
        lots_by_id = {lot.pk: lot for group in self.lots_by_key.values() for lot in group}
        ids = {row.beneficiary_id for row in usable if row.beneficiary_id is not None}
        births = {row.birth_date for row in usable if row.birth_date}
        # Only the placements of the people the rows name (by id, or born on a date a row gives), their lot
        # shared with the lots loaded above: a national import names tens of thousands of people.
        self.placements_by_lot: dict[int, list[Placement]] = defaultdict(list)
        self.placements_by_person: dict[tuple[int, int], list[Placement]] = defaultdict(list)
        lot_field = Placement._meta.get_field("lot")
        lot_ids = sorted(lots_by_id)
        for start in range(0, len(lot_ids), 5000):
            placements = (
                _visible(Placement.objects, user)
                .filter(lot__in=lot_ids[start : start + 5000])
                .filter(Q(beneficiary_id__in=sorted(ids)) | Q(beneficiary__birth_date__in=sorted(births)))
                .select_related("beneficiary")
            )
            for placement in placements:
                lot_field.set_cached_value(placement, lots_by_id[placement.lot_id])
                self.placements_by_lot[placement.lot_id].append(placement)
                self.placements_by_person[(placement.lot_id, placement.beneficiary_id)].append(placement)
        people = _visible(Beneficiary.objects, user)
        if user is not None:
            people = Beneficiary.objects.filter(
                Q(pk__in=people.values("pk")) | Q(placements__in=_visible(Placement.objects, user).values("pk"))
            )
        known = (
            people.filter(Q(pk__in=ids) | Q(birth_date__in=births))
            .distinct()
            .values_list("pk", "last_name", "first_name", "birth_date")
        )
        self.known_ids = set()
        self.known_names = set()
        for pk, last_name, first_name, birth_date in known:
            self.known_ids.add(pk)
            self.known_names.add(_person_key(last_name, first_name, birth_date.isoformat() if birth_date else None))

    def resolve(self, row: ParsedRow) -> tuple[Placement | None, list[str]]:
        if row.reference not in self.references:
            return None, [f"Marché inconnu : aucun des marchés que vous suivez n'a la référence « {row.reference} »."]
        lots = self.lots_by_key.get((row.reference, row.lot_number), [])
        if not lots:
            return None, [f"Le marché {row.reference} n'a pas de lot n° {row.lot_number}."]
        lots = [lot for lot in lots if lot.contractor is not None and lot.contractor.siret == row.siret]
        if not lots:
            return None, [
                f"Le SIRET {row.siret} n'est pas celui du titulaire du lot n° {row.lot_number} "
                f"du marché {row.reference}."
            ]
        if len(lots) > 1:
            return None, [f"Plusieurs marchés que vous suivez ont la référence « {row.reference} » et ce titulaire."]
        lot = lots[0]
        candidates = self.placements_by_lot.get(lot.pk, [])
        if row.beneficiary_id is not None:
            mine = self.placements_by_person.get((lot.pk, row.beneficiary_id), [])
            known = row.beneficiary_id in self.known_ids
        else:
            key = _person_key(row.last_name, row.first_name, row.birth_date)
            mine = [
                placement
                for placement in candidates
                if _person_key(
                    placement.beneficiary.last_name,
                    placement.beneficiary.first_name,
                    placement.beneficiary.birth_date.isoformat() if placement.beneficiary.birth_date else None,
                )
                == key
            ]
            known = key in self.known_names
            if len({placement.beneficiary_id for placement in mine}) > 1:
                return None, [
                    "Plusieurs personnes de ce lot ont ces nom, prénom et date de naissance : "
                    "utilisez la colonne « identifiant_participant »."
                ]
        if not mine:
            if not known:
                return None, [f"Participant·e inconnu·e : {row.person_label}."]
            return None, [
                f"Cette personne ({row.person_label}) n'a aucun contrat sur le lot n° {lot.number} "
                f"du marché {row.reference}."
            ]
        month = date.fromisoformat(row.month)
        placement = min(mine, key=lambda item: (_period_distance(item, month), -item.start_date.toordinal()))
        if self.user is not None and not can_edit_hours(self.user, placement):
            return None, ["Votre rôle ne permet pas de déclarer des heures sur ce contrat."]
        return placement, []


def process(
    rows: Iterable[ParsedRow],
    *,
    user,
    commit: bool,
    expected_versions: Sequence[int | None] | VersionCheck,
    validated: str = REPLACE_VALIDATED,
    progress: Callable[[int], None] | None = None,
    resolver=None,
    declare: Callable[..., list] | None = None,
) -> ImportReport:
    """Check every row with the grid's service; write only when `commit` and no row is refused.

    `validated` says what becomes of a validated record a row changes: REPLACE_VALIDATED (it goes back to
    "déclaré", as on the grid) or KEEP_VALIDATED (left validated, its row SKIPPED; its version still checked).

    `expected_versions` holds, row by row, the version of the record the preview showed (`ImportReport.versions`
    of the preview: 0 for a row "à créer"): a record created or changed since then makes the row a conflict and
    nothing is written. UNCHECKED only where nobody was shown a preview (the preview itself, the command line).
    `user` None (the command without --user) means every market, with nobody recorded as declarer.

    A caller with its own scope (a company declaring one lot and month, companies.uploads) passes `resolver` (an
    object with `resolve(row) -> (placement | None, [French refusals])`) and `declare(entries, keep_validated)`,
    which must write all or nothing like declare_month (and may raise HoursBatchError).
    """
    rows = list(rows)
    if expected_versions is not UNCHECKED and len(expected_versions) != len(rows):
        raise ValueError("One expected version per row is needed.")
    if validated not in VALIDATED_CHOICES:
        raise ValueError(f"Unknown choice for the validated records: {validated!r}.")
    results = [RowResult(row=row, errors=list(row.errors)) for row in rows]
    resolver = resolver if resolver is not None else _Resolver(rows, user)
    if declare is None:

        def declare(entries, keep_validated):
            return declare_month(entries=entries, user=user, source=HoursSource.IMPORT, keep_validated=keep_validated)

    entries: list[HoursEntry] = []
    entry_rows: list[RowResult] = []
    seen: dict[tuple[int, date], int] = {}
    for position, result in enumerate(results, start=1):
        row = result.row
        if not result.errors:
            placement, errors = resolver.resolve(row)
            result.errors.extend(errors)
            if placement is not None:
                month = date.fromisoformat(row.month)
                first = seen.setdefault((placement.pk, month), row.number)
                if first != row.number:
                    result.errors.append(
                        f"Ce contrat et ce mois ({format_month(month)}) figurent déjà à la ligne {first}."
                    )
                else:
                    entries.append(
                        HoursEntry(
                            placement=placement,
                            month=month,
                            hours=Decimal(row.hours),
                            training_hours=Decimal(row.training_hours),
                            expected_version=(
                                UNCHECKED if expected_versions is UNCHECKED else expected_versions[position - 1]
                            ),
                        )
                    )
                    entry_rows.append(result)
        if progress and position % PROGRESS_EVERY == 0:
            progress(position)
    any_refused = any(result.errors for result in results)
    keep = commit and not any_refused
    try:
        with transaction.atomic():
            outcomes = declare(entries, validated == KEEP_VALIDATED)
            if not keep:
                transaction.set_rollback(True)
    except HoursBatchError as error:
        keep = False
        for index, messages in error.row_errors.items():
            entry_rows[index].errors.extend(messages)
    else:
        for result, entry, outcome in zip(entry_rows, entries, outcomes, strict=True):
            if outcome.kept_validated:
                result.status = SKIPPED
            else:
                result.status = CREATED if outcome.created else UPDATED if outcome.changed else UNCHANGED
            result.version_seen = outcome.version_before
            result.previous = outcome.previous
            result.lot = entry.placement.lot
            record = outcome.record
            result.after = (
                HoursValues(entry.hours, entry.training_hours, None, HoursStatus.DECLARED)
                if outcome.kept_validated
                else HoursValues(
                    record.hours, record.training_hours, record.invoiced_amount_excl_vat, HoursStatus.DECLARED
                )
            )
    for result in results:
        if result.errors:
            result.status = REFUSED
    return ImportReport(rows=results, committed=keep and not any(result.errors for result in results))


def import_file(data: bytes, *, user, filename: str = "", commit: bool) -> ImportReport:
    """Parse and import in one go, nobody being shown a preview in between (no version to expect)."""
    return process(parse_file(data, filename=filename), user=user, commit=commit, expected_versions=UNCHECKED)


# --- Template files --------------------------------------------------------------------------------------------


def template_csv(columns: Sequence[str] = tuple(COLUMNS), rows: Sequence[dict] | None = None) -> bytes:
    """The template: the given columns, and the given rows (pre-filled) or one example row."""
    output = io.StringIO()
    writer = csv.writer(output, delimiter=";", lineterminator="\r\n")
    writer.writerow(columns)
    for row in rows if rows is not None else [TEMPLATE_EXAMPLE]:
        writer.writerow(row.get(name, "") for name in columns)
    return ("\ufeff" + output.getvalue()).encode("utf-8")


def template_xlsx(columns: Sequence[str] = tuple(COLUMNS), rows: Sequence[dict] | None = None) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "Relevé d'heures"
    sheet.append(list(columns))
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in rows if rows is not None else [TEMPLATE_EXAMPLE]:
        sheet.append([row.get(name, "") for name in columns])
    for column in sheet.columns:
        sheet.column_dimensions[column[0].column_letter].width = max(14, len(str(column[0].value)) + 2)
    notes = workbook.create_sheet("Colonnes")
    notes.append(["colonne", "contenu"])
    for name in columns:
        notes.append([name, COLUMNS[name]])
    output = io.BytesIO()
    workbook.save(output)
    return output.getvalue()
