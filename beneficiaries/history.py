"""Import of a facilitation structure's history (markets and lots, participants, contracts, monthly hours, outcomes)
from one XLSX workbook or a few CSV files, one per sheet.

The same three steps as the hours import (beneficiaries.imports), on the same bounded reader
(beneficiaries.spreadsheets: size, rows, cells, zip and XML capped; CSV in UTF-8 or Windows-1252; formulas refused
on their cell):

1. `parse_workbook` / `parse_csv_files` read each sheet into `HistoryRow`s (plain values, a French refusal on the
   column at fault);
2. `process` resolves every row in a fixed few queries (SIRETs, communes, QPVs, the markets, lots, people,
   contracts, hours and outcomes already known), checks the rules that span rows (duplicates, dates, hours
   within their contract, criteria the age contradicts), compares each row with what exists on its natural key
   (market reference per buyer, lot number, SIRET, person by name + birth date within the structure, contract
   by person + lot + start date, hours by contract + month, outcome by contract + stage) and writes through the
   services (markets.services, clauses.services, beneficiaries.services), so the publics are frozen at the start,
   the journal and the hours history follow, and the summary is refreshed in bulk by the hours validation.
   All or nothing: a preview, or any refused row, rolls everything back.
3. The report gives, by sheet and row, "à créer", "à mettre à jour" (with "avant → après"), "inchangé" or
   "refusé" with the French reason and its column.

A contract's employer, a lot's contractor and a market's buyer must already be in the directory (found by SIRET):
the import never creates an organisation from a spreadsheet line (its kind, insertion type and name are checked
there, not guessed here).
"""

import csv
import functools
import hashlib
import io
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import connection, transaction

from beneficiaries import services
from beneficiaries.calculations import first_of_month
from beneficiaries.choices import (
    Criterion,
    EvidenceType,
    HoursSource,
    HoursStatus,
    Modality,
    OutcomeResult,
    OutcomeStage,
    PrescriberType,
    Sex,
)
from beneficiaries.duplicates import DuplicateFinder
from beneficiaries.imports import _is_formula, _parse_decimal, _shown, _text, normalise_header
from beneficiaries.models import Beneficiary, BeneficiaryCriterion, HoursRecord, Outcome, Placement
from beneficiaries.spreadsheets import FileRefused, ReadStats, table_rows, workbook_sheets
from clauses.models import Clause, Mechanism
from clauses.services import save_clause
from config.formatting import french_date, french_figure, french_month
from markets.models import Lot, Market, MarketType
from markets.services import create_lot, create_market, update_lot, update_market
from organisations.choices import OrganisationKind
from organisations.models import Organisation
from territories.models import Commune, Qpv

MAX_HISTORY_FILE_SIZE = 25 * 1024 * 1024  # five years of a structure: ~150,000 monthly rows
CRITERIA_SLOTS = 3
VALIDATION_CHUNK = 5000  # hours records validated per call of services.validate_hours
HISTORY_TARGET_REASON = "Objectif repris de l'historique de la structure (import)."

CREATED, UPDATED, UNCHANGED, REFUSED = "created", "updated", "unchanged", "refused"
STATUS_LABELS = {CREATED: "à créer", UPDATED: "à mettre à jour", UNCHANGED: "inchangé", REFUSED: "refusé"}
DONE_LABELS = {CREATED: "créé", UPDATED: "mis à jour", UNCHANGED: "inchangé", REFUSED: "refusé"}
STATUSES = (CREATED, UPDATED, UNCHANGED, REFUSED)


def likely_duplicate_notes(structure, people: list[tuple[int, str, str, str]]) -> dict[int, list[str]]:
    """Close spellings (beneficiaries.duplicates, issue 20 item 2) of the participants rows « à créer »: people are
    (row number, last name, first name, birth date ISO or ""); each row that looks like a person the structure
    already follows gets a French note naming that person and the rule. A note never refuses the row (the exact
    natural key, name + birth date, already makes a row « à mettre à jour »)."""
    finder = DuplicateFinder(structure)
    notes: dict[int, list[str]] = {}
    for number, last_name, first_name, birth in people:
        try:
            birth_date = date.fromisoformat(birth) if birth else None
        except ValueError:
            birth_date = None
        for match in finder.find(last_name=last_name, first_name=first_name, birth_date=birth_date):
            person = match.person
            born = f", né·e le {person.birth_date:%d/%m/%Y}" if person.birth_date else ""
            notes.setdefault(number, []).append(
                f"Doublon probable de {person.last_name.upper()} {person.first_name} (n° {person.pk}{born}) : "
                f"{match.reason}. Vérifiez avant de créer ; une fois créées, les deux fiches peuvent être fusionnées."
            )
    return notes


# Close spellings of the rows « à créer », at the preview (a callable (structure, people) -> {row number: [French
# note]}); replaceable in tests.
close_spellings: Callable[[object, list[tuple[int, str, str, str]]], dict[int, list[str]]] | None = (
    likely_duplicate_notes
)


@dataclass(frozen=True)
class Column:
    label: str  # what it holds, in French (the « Lisez-moi » sheet, messages)
    required: bool = False
    example: str = ""


def _choices(enum, extra: dict[str, str] | None = None) -> dict[str, str]:
    mapping = {}
    for code, label in enum.choices:
        mapping[normalise_header(code)] = code
        mapping[normalise_header(label)] = code
    for text, code in (extra or {}).items():
        mapping[normalise_header(text)] = code
    return mapping


MARKET_TYPES = _choices(MarketType)
MECHANISMS = _choices(Mechanism)
MODALITIES = _choices(Modality)
CRITERIA = _choices(Criterion, {"jeune": Criterion.YOUTH_LOW_QUALIFICATION, "qpv": Criterion.QPV_RESIDENT})
EVIDENCES = _choices(EvidenceType)
PRESCRIBERS = _choices(PrescriberType)
SEXES = _choices(Sex, {"f": Sex.FEMALE, "m": Sex.MALE, "h": Sex.MALE})
HOURS_STATUSES = _choices(
    HoursStatus, {"valide": HoursStatus.VALIDATED, "validee": HoursStatus.VALIDATED, "declare": HoursStatus.DECLARED}
)
STAGES = _choices(OutcomeStage, {"fin": OutcomeStage.AT_END, "6_mois": OutcomeStage.AFTER_6_MONTHS})
RESULTS = _choices(OutcomeResult)


def _codes(enum) -> str:
    return ", ".join(str(code) for code in enum.values)


MARKETS, PARTICIPANTS, CONTRACTS, HOURS, OUTCOMES = "marches", "participants", "contrats", "heures", "sorties"
SHEET_TITLES = {
    MARKETS: "Marchés et lots",
    PARTICIPANTS: "Participants",
    CONTRACTS: "Contrats",
    HOURS: "Heures mensuelles",
    OUTCOMES: "Sorties",
}
SHEET_HELP = {
    MARKETS: "Une ligne par lot ; les colonnes du marché sont répétées à l'identique sur chacun de ses lots.",
    PARTICIPANTS: "Une ligne par personne suivie (reconnue par nom, prénom et date de naissance).",
    CONTRACTS: "Une ligne par contrat (reconnu par personne, lot et date de début).",
    HOURS: (
        "Une ligne par contrat et par mois. Au-delà de 100 000 lignes, répartissez-les sur plusieurs feuilles dont "
        "le nom commence par « Heures » (par exemple « Heures 2021 »)."
    ),
    OUTCOMES: "Facultative : une ligne par contrat et par moment (fin du contrat, six mois après).",
}
COLUMNS: dict[str, dict[str, Column]] = {
    MARKETS: {
        "siret_acheteur": Column("SIRET de l'acheteur (déjà dans l'annuaire)", True, "21750001600019"),
        "reference_marche": Column("référence du marché chez cet acheteur", True, "2021-0042"),
        "objet_marche": Column("objet du marché", True, "Réhabilitation du groupe scolaire"),
        "type_marche": Column(f"type de marché ({_codes(MarketType)}, ou son libellé)", True, "Travaux"),
        "commune_execution": Column("code INSEE de la commune d'exécution", True, "75056"),
        "debut_marche": Column("début d'exécution du marché (JJ/MM/AAAA)", True, "01/01/2021"),
        "fin_marche": Column("fin d'exécution du marché (JJ/MM/AAAA)", True, "31/12/2023"),
        "montant_marche": Column("montant HT du marché, en euros", True, "1200000"),
        "numero_lot": Column("numéro du lot (1, 2…)", True, "1"),
        "intitule_lot": Column("intitulé du lot", True, "Gros œuvre"),
        "siret_titulaire": Column("SIRET du titulaire du lot (déjà dans l'annuaire)", True, "73282932000074"),
        "montant_lot": Column("montant HT du lot, en euros", True, "600000"),
        "debut_lot": Column("début d'exécution du lot (JJ/MM/AAAA)", True, "01/01/2021"),
        "fin_lot": Column("fin d'exécution du lot (JJ/MM/AAAA)", True, "31/12/2023"),
        "mecanisme": Column(
            f"mécanisme de la clause ({_codes(Mechanism)}, ou son libellé)", True, "Condition d'exécution (L2112-2)"
        ),
        "objectif_heures": Column(
            "objectif d'heures de la clause (vide : calculé par la méthode générale)", False, "2500"
        ),
        "part_main_oeuvre": Column("part de main-d'œuvre pour le calibrage (0 à 1, par exemple 0,45)", False, "0,45"),
        "taux_insertion": Column("taux d'insertion pour le calibrage (0 à 1, par exemple 0,05)", False, "0,05"),
    },
    PARTICIPANTS: {
        "ref_participant": Column("repère de la personne dans ce classeur (repris dans « Contrats »)", True, "P1"),
        "nom": Column("nom", True, "DUPONT"),
        "prenom": Column("prénom", True, "Marie"),
        "date_naissance": Column("date de naissance (JJ/MM/AAAA)", True, "01/02/1990"),
        "sexe": Column("sexe (F ou M)", True, "F"),
        "commune": Column("code INSEE de la commune de résidence", True, "75056"),
        "qpv": Column("code du quartier prioritaire de résidence (vide : hors QPV)", False, ""),
        "prescripteur": Column(
            f"type de prescripteur ({_codes(PrescriberType)}, ou son libellé ; vide : autre)", False, "France Travail"
        ),
        **{
            name: column
            for slot in range(1, CRITERIA_SLOTS + 1)
            for name, column in (
                (
                    f"critere_{slot}",
                    Column(
                        f"critère d'éligibilité n° {slot} ({_codes(Criterion)}, ou son libellé)",
                        False,
                        "rsa" if slot == 1 else "",
                    ),
                ),
                (
                    f"validation_{slot}",
                    Column(
                        f"date de validation du critère n° {slot} (JJ/MM/AAAA)",
                        False,
                        "15/01/2021" if slot == 1 else "",
                    ),
                ),
                (
                    f"justificatif_{slot}",
                    Column(
                        f"type de justificatif du critère n° {slot} ({_codes(EvidenceType)})",
                        False,
                        "Attestation CAF ou MSA" if slot == 1 else "",
                    ),
                ),
            )
        },
    },
    CONTRACTS: {
        "ref_contrat": Column("repère du contrat dans ce classeur (repris dans « Heures » et « Sorties »)", True, "C1"),
        "ref_participant": Column(
            "repère de la personne (colonne « ref_participant » de « Participants »)", True, "P1"
        ),
        "siret_acheteur": Column("SIRET de l'acheteur du marché", True, "21750001600019"),
        "reference_marche": Column("référence du marché", True, "2021-0042"),
        "numero_lot": Column("numéro du lot", True, "1"),
        "siret_employeur": Column("SIRET de l'employeur (déjà dans l'annuaire)", True, "73282932000074"),
        "modalite": Column(f"modalité ({_codes(Modality)}, ou son libellé)", True, "Embauche directe en CDD"),
        "debut": Column("début du contrat (JJ/MM/AAAA)", True, "01/02/2021"),
        "fin": Column("fin du contrat (JJ/MM/AAAA)", True, "31/07/2021"),
        "poste": Column("poste occupé", False, "Maçon"),
    },
    HOURS: {
        "ref_contrat": Column("repère du contrat (colonne « ref_contrat » de « Contrats »)", True, "C1"),
        "mois": Column("mois (MM/AAAA)", True, "03/2021"),
        "heures": Column("heures d'insertion du mois", True, "120,5"),
        "heures_formation": Column("heures de formation du mois (vide : 0)", False, "0"),
        "statut": Column("statut : validé ou déclaré (vide : validé)", False, "validé"),
    },
    OUTCOMES: {
        "ref_contrat": Column("repère du contrat", True, "C1"),
        "moment": Column("moment : fin (fin du contrat) ou 6 mois (six mois après)", True, "fin"),
        "situation": Column(f"situation ({_codes(OutcomeResult)}, ou son libellé)", True, "Formation qualifiante"),
        "date_constat": Column("date du constat (JJ/MM/AAAA)", True, "31/07/2021"),
    },
}
REQUIRED_SHEETS = (MARKETS, PARTICIPANTS, CONTRACTS, HOURS)


def sheet_of(title: str) -> str | None:
    """The sheet a worksheet or CSV file holds, from its name ("Marchés et lots", "heures_2021.csv"…)."""
    name = normalise_header(title.rsplit(".", 1)[0] if title.lower().endswith(".csv") else title)
    for sheet, prefix in (
        (MARKETS, "marche"),
        (PARTICIPANTS, "participant"),
        (CONTRACTS, "contrat"),
        (HOURS, "heure"),
        (OUTCOMES, "sortie"),
    ):
        if name.startswith(prefix):
            return sheet
    return None


# --- Rows ------------------------------------------------------------------------------------------------------


@dataclass
class HistoryRow:
    sheet: str
    number: int
    source: str  # the worksheet or file it comes from
    values: dict = field(default_factory=dict)
    errors: list[tuple[str, str]] = field(default_factory=list)  # (column, French message)
    status: str = ""
    changes: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def refuse(self, column: str, message: str) -> None:
        self.errors.append((column, message))

    @property
    def label(self) -> str:
        values = self.values
        if self.sheet == MARKETS:
            return f"Marché {values.get('reference_marche', '')}, lot {values.get('numero_lot', '')}"
        if self.sheet == PARTICIPANTS:
            birth = values.get("date_naissance")
            born = f", né·e le {french_date(birth)}" if isinstance(birth, date) else ""
            return f"{str(values.get('nom', '')).upper()} {values.get('prenom', '')}{born}"
        if self.sheet == CONTRACTS:
            return f"Contrat {values.get('ref_contrat', '')} ({values.get('ref_participant', '')})"
        if self.sheet == HOURS:
            month = values.get("mois")
            return f"Contrat {values.get('ref_contrat', '')}, {french_month(month) if month else ''}"
        return f"Contrat {values.get('ref_contrat', '')}, {values.get('moment', '')}"


@dataclass
class HistoryReport:
    rows: dict[str, list[HistoryRow]]
    committed: bool = False
    digest: str = ""  # of the hours records' versions the rows met: the confirmation expects the preview's
    conflict: bool = False  # hours records changed since the preview: nothing written

    def count(self, sheet: str, status: str) -> int:
        return sum(1 for row in self.rows.get(sheet, []) if row.status == status)

    @property
    def counts(self) -> dict[str, dict[str, int]]:
        return {sheet: {status: self.count(sheet, status) for status in STATUSES} for sheet in SHEET_TITLES}

    @property
    def ok(self) -> bool:
        return not self.conflict and not any(row.errors for rows in self.rows.values() for row in rows)

    def refusals(self) -> list[HistoryRow]:
        return [row for rows in self.rows.values() for row in rows if row.errors]

    def error_lines(self) -> list[str]:
        return [
            f"{row.source}, ligne {row.number}, colonne « {column} » : {message}"
            for row in self.refusals()
            for column, message in row.errors
        ]


# --- Parsing ---------------------------------------------------------------------------------------------------


def _date(value, column: str, row: HistoryRow) -> date | None:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = _text(value)
    if not text:
        return None
    for pattern in ("%d/%m/%Y", "%Y-%m-%d"):
        try:
            return datetime.strptime(text, pattern).date()
        except ValueError:
            continue
    row.refuse(column, f"Date illisible : « {_shown(text)} » (attendu JJ/MM/AAAA).")
    return None


def _month(value, column: str, row: HistoryRow) -> date | None:
    if isinstance(value, datetime | date):
        return first_of_month(value.date() if isinstance(value, datetime) else value)
    text = _text(value)
    for separator in ("/", "-", "."):
        parts = text.split(separator)
        if len(parts) == 2 and all(part.isascii() and part.isdigit() for part in parts):
            month, year = (parts[1], parts[0]) if len(parts[0]) == 4 else (parts[0], parts[1])
            if len(year) == 4 and 1 <= int(month) <= 12 and 2000 <= int(year) <= 2100:
                return date(int(year), int(month), 1)
    row.refuse(column, f"Mois illisible : « {_shown(text)} » (attendu MM/AAAA, par exemple 03/2021).")
    return None


def _siret(value, column: str, row: HistoryRow) -> str:
    text = _text(value).replace(" ", "").replace("\u00a0", "")
    if text.isascii() and text.isdigit() and len(text) < 14:
        text = text.zfill(14)  # a spreadsheet may have turned it into a number
    if not (text.isascii() and text.isdigit() and len(text) == 14):
        row.refuse(column, f"SIRET illisible : « {_shown(text)} » (14 chiffres).")
    return text


def _amount(value, column: str, row: HistoryRow) -> Decimal | None:
    text = _text(value).replace("\u00a0", "").replace("\u202f", "").replace(" ", "").replace(",", ".").replace("€", "")
    try:
        number = Decimal(text)
    except InvalidOperation:
        row.refuse(column, f"Nombre illisible : « {_shown(value)} ».")
        return None
    if not number.is_finite() or number < 0 or number >= Decimal(10) ** 12:
        row.refuse(column, f"Nombre hors limites : « {_shown(value)} ».")
        return None
    return number.quantize(Decimal("0.001")) if number != number.to_integral_value() else number.quantize(Decimal(1))


def _integer(value, column: str, row: HistoryRow) -> int | None:
    text = _text(value)
    if text.isascii() and text.isdigit() and len(text) <= 6:
        return int(text)
    row.refuse(column, f"Nombre entier illisible : « {_shown(text)} ».")
    return None


@functools.lru_cache(maxsize=4096)
def _normalised(text: str) -> str:
    return normalise_header(text)


@functools.lru_cache(maxsize=4096)
def _cached_month(text: str) -> date | None:
    return _month(text, "mois", HistoryRow(sheet="", number=0, source=""))


@functools.lru_cache(maxsize=8192)
def _cached_hours(value, name: str) -> tuple[str | None, tuple[str, ...]]:
    errors: list[str] = []
    parsed = _parse_decimal(value, name, errors)
    return parsed, tuple(errors)


def _choice(value, mapping: dict[str, str], column: str, row: HistoryRow, what: str) -> str | None:
    text = _text(value)
    code = mapping.get(_normalised(text))
    if code is None:
        row.refuse(column, f"{what} inconnu·e : « {_shown(text)} » (voir la feuille « Lisez-moi »).")
    return code


def _parse(sheet: str, row: HistoryRow) -> None:
    """Turn the texts of a row into values, each refusal on its column. Empty optional cells stay absent."""
    raw = row.values
    values: dict = {}
    for name, column in COLUMNS[sheet].items():
        value = raw.get(name)
        if _is_formula(value):
            row.refuse(name, "Formule refusée : enregistrez des valeurs, pas des formules.")
            continue
        if _text(value) == "":
            if column.required:
                row.refuse(name, f"Valeur manquante ({column.label}).")
            continue
        if name.startswith(("siret_",)):
            values[name] = _siret(value, name, row)
        elif name.startswith(("debut", "fin", "date_", "validation_")):
            values[name] = _date(value, name, row)
        elif name == "mois":
            month = _cached_month(value) if isinstance(value, str) else None
            values[name] = month if month is not None else _month(value, name, row)
        elif name in ("heures", "heures_formation"):
            cacheable = isinstance(value, str | int | float) and not isinstance(value, bool)
            parsed, errors = _cached_hours(value, name) if cacheable else (None, ())
            if parsed is None and not errors:
                messages: list[str] = []
                parsed = _parse_decimal(value, name, messages)
                errors = tuple(messages)
            for message in errors:
                row.refuse(name, message)
            values[name] = Decimal(parsed) if parsed is not None else None
        elif name.startswith(("montant_", "part_", "taux_")):
            values[name] = _amount(value, name, row)
        elif name in ("numero_lot", "objectif_heures"):
            values[name] = _integer(value, name, row)
        elif name == "type_marche":
            values[name] = _choice(value, MARKET_TYPES, name, row, "Type de marché")
        elif name == "mecanisme":
            values[name] = _choice(value, MECHANISMS, name, row, "Mécanisme")
        elif name == "modalite":
            values[name] = _choice(value, MODALITIES, name, row, "Modalité")
        elif name.startswith("critere_"):
            values[name] = _choice(value, CRITERIA, name, row, "Critère")
        elif name.startswith("justificatif_"):
            values[name] = _choice(value, EVIDENCES, name, row, "Justificatif")
        elif name == "prescripteur":
            values[name] = _choice(value, PRESCRIBERS, name, row, "Prescripteur")
        elif name == "sexe":
            values[name] = _choice(value, SEXES, name, row, "Sexe")
        elif name == "statut":
            values[name] = _choice(value, HOURS_STATUSES, name, row, "Statut")
        elif name == "moment":
            values[name] = _choice(value, STAGES, name, row, "Moment")
        elif name == "situation":
            values[name] = _choice(value, RESULTS, name, row, "Situation")
        elif name in ("commune", "commune_execution"):
            text = _text(value)
            values[name] = text.zfill(5) if text.isdigit() and len(text) < 5 else text.upper()
        else:
            values[name] = _text(value)
    if sheet == PARTICIPANTS:
        for slot in range(1, CRITERIA_SLOTS + 1):
            given = [
                name
                for name in (f"critere_{slot}", f"validation_{slot}", f"justificatif_{slot}")
                if name in raw and _text(raw[name])
            ]
            if given and len(given) < 3:
                missing = next(
                    name
                    for name in (f"critere_{slot}", f"validation_{slot}", f"justificatif_{slot}")
                    if name not in given
                )
                row.refuse(
                    missing, f"Le critère n° {slot} demande le critère, sa date de validation et son justificatif."
                )
    row.values = values


def _map_headers(cells: list, sheet: str, source: str) -> dict[int, str]:
    headers = [_plain(cell) for cell in cells]
    while headers and not headers[-1]:
        headers.pop()
    errors = []
    unknown = [str(cells[index]).strip() for index, name in enumerate(headers) if name and name not in COLUMNS[sheet]]
    if unknown:
        errors.append("Colonnes inconnues : " + ", ".join(f"« {name} »" for name in unknown) + ".")
    duplicated = sorted({name for name in headers if name and headers.count(name) > 1})
    if duplicated:
        errors.append("Colonnes en double : " + ", ".join(f"« {name} »" for name in duplicated) + ".")
    missing = [name for name, column in COLUMNS[sheet].items() if column.required and name not in headers]
    if missing:
        errors.append("Colonnes manquantes : " + ", ".join(f"« {name} »" for name in missing) + ".")
    if errors:
        raise FileRefused(
            [f"Feuille « {source} » : {message}" for message in errors]
            + [f"Colonnes attendues : {', '.join(COLUMNS[sheet])} (voir le modèle et sa feuille « Lisez-moi »)."]
        )
    return {index: name for index, name in enumerate(headers) if name}


def _plain(cell) -> str:
    import unicodedata

    text = unicodedata.normalize("NFKD", str(cell or "")).encode("ascii", "ignore").decode()
    text = "".join(char if char.isalnum() else "_" for char in text.strip().lower())
    return "_".join(filter(None, text.split("_")))


def _read_sheet(sheet: str, source: str, rows: Iterator[tuple[int, list]], into: list[HistoryRow]) -> None:
    columns = None
    for number, cells in rows:
        if not any(_text(cell) for cell in cells):
            continue
        if columns is None:
            columns = _map_headers(cells, sheet, source)
            continue
        row = HistoryRow(sheet=sheet, number=number, source=source)
        row.values = {name: cells[index] if index < len(cells) else None for index, name in columns.items()}
        if any(_text(cell) for cell in cells[len(columns) :]):
            row.refuse("", "Cette ligne a plus de cellules que d'en-têtes de colonnes.")
        _parse(sheet, row)
        into.append(row)


def _check_sheets(found: dict[str, list[str]]) -> None:
    missing = [SHEET_TITLES[sheet] for sheet in REQUIRED_SHEETS if not found.get(sheet)]
    if missing:
        raise FileRefused(
            "Feuilles manquantes : "
            + ", ".join(f"« {title} »" for title in missing)
            + ". Le classeur compte les feuilles « Marchés et lots », « Participants », « Contrats », "
            "« Heures mensuelles » et, si vous le souhaitez, « Sorties » (voir le modèle)."
        )


def parse_workbook(data: bytes) -> dict[str, list[HistoryRow]]:
    """Rows of each sheet of an XLSX history workbook. FileRefused when a sheet or the file cannot be read."""
    rows: dict[str, list[HistoryRow]] = {sheet: [] for sheet in SHEET_TITLES}
    found: dict[str, list[str]] = defaultdict(list)
    unknown = []
    for title, sheet_rows in workbook_sheets(data, limit=MAX_HISTORY_FILE_SIZE):
        sheet = sheet_of(title)
        if sheet is None:
            if not normalise_header(title).startswith("lisez"):
                unknown.append(title)
            continue
        if found[sheet] and sheet != HOURS:
            raise FileRefused(
                f"Deux feuilles tiennent les {SHEET_TITLES[sheet].lower()} : « {found[sheet][0]} » et « {title} »."
            )
        found[sheet].append(title)
        _read_sheet(sheet, title, sheet_rows, rows[sheet])
    if unknown:
        raise FileRefused(
            "Feuilles inconnues : "
            + ", ".join(f"« {title} »" for title in unknown)
            + " (supprimez-les ou renommez-les)."
        )
    _check_sheets(found)
    return rows


def parse_csv_files(files: Iterable[tuple[str, bytes]]) -> dict[str, list[HistoryRow]]:
    """Rows of each sheet given as CSV files named after it (marches.csv, participants.csv, contrats.csv,
    heures.csv — or heures_2021.csv… —, sorties.csv), each read as the hours import reads its file."""
    rows: dict[str, list[HistoryRow]] = {sheet: [] for sheet in SHEET_TITLES}
    found: dict[str, list[str]] = defaultdict(list)
    for filename, data in files:
        sheet = sheet_of(filename)
        if sheet is None:
            raise FileRefused(
                f"Fichier « {filename} » : nommez chaque fichier CSV d'après sa feuille (marches.csv, "
                "participants.csv, contrats.csv, heures.csv, sorties.csv)."
            )
        if found[sheet] and sheet != HOURS:
            raise FileRefused(
                f"Deux fichiers tiennent les {SHEET_TITLES[sheet].lower()} : « {found[sheet][0]} » et « {filename} »."
            )
        found[sheet].append(filename)
        if not filename.lower().endswith(".csv"):
            raise FileRefused(f"Fichier « {filename} » : envoyez un classeur XLSX, ou des fichiers CSV.")
        _read_sheet(sheet, filename, table_rows(data, filename, stats=ReadStats()), rows[sheet])
    _check_sheets(found)
    return rows


# --- Resolving and writing -------------------------------------------------------------------------------------


def _person_key(last_name: str, first_name: str, birth_date) -> tuple[str, str, str]:
    return (_plain(last_name), _plain(first_name), str(birth_date))


def _change(label: str, before, after) -> str:
    def shown(value):
        if isinstance(value, date):
            return french_date(value)
        if isinstance(value, Decimal | int | float) and not isinstance(value, bool):
            return french_figure(value)
        return str(value) if value not in (None, "") else "—"

    return f"{label} : {shown(before)} → {shown(after)}"


class _Context:
    """What the rows refer to, loaded in a fixed few queries."""

    def __init__(self, rows: dict[str, list[HistoryRow]], structure):
        self.structure = structure
        sirets = {
            row.values.get(name)
            for sheet in (MARKETS, CONTRACTS)
            for row in rows[sheet]
            for name in ("siret_acheteur", "siret_titulaire", "siret_employeur")
            if row.values.get(name)
        }
        self.organisations = {org.siret: org for org in Organisation.objects.filter(siret__in=sorted(sirets))}
        codes = {row.values.get("commune_execution") for row in rows[MARKETS]} | {
            row.values.get("commune") for row in rows[PARTICIPANTS]
        }
        self.communes = {
            commune.code: commune for commune in Commune.objects.filter(code__in=sorted(c for c in codes if c))
        }
        qpv_codes = sorted({row.values["qpv"] for row in rows[PARTICIPANTS] if row.values.get("qpv")})
        self.qpvs = {qpv.code: qpv for qpv in Qpv.objects.filter(code__in=qpv_codes)}
        self.qpv_communes = defaultdict(set)
        for code, commune in Qpv.communes.through.objects.filter(qpv_id__in=qpv_codes).values_list(
            "qpv_id", "commune_id"
        ):
            self.qpv_communes[code].add(commune)
        buyers = {org.pk for siret, org in self.organisations.items()}
        references = {row.values.get("reference_marche") for sheet in (MARKETS, CONTRACTS) for row in rows[sheet]}
        self.markets = {
            (market.buyer.siret, market.reference): market
            for market in Market.objects.filter(
                buyer__in=buyers, reference__in=sorted(r for r in references if r)
            ).select_related("buyer", "execution_commune")
        }
        self.lots = {
            (lot.market.buyer.siret, lot.market.reference, lot.number): lot
            for lot in Lot.objects.filter(market__in=[market.pk for market in self.markets.values()]).select_related(
                "market__buyer", "contractor", "clause"
            )
        }
        births = sorted(
            {row.values["date_naissance"] for row in rows[PARTICIPANTS] if row.values.get("date_naissance")}
        )
        self.people = {}
        for person in Beneficiary.objects.filter(
            structure=structure, birth_date__in=births, anonymised_at__isnull=True
        ):
            self.people.setdefault(_person_key(person.last_name, person.first_name, person.birth_date), person)
        person_ids = [person.pk for person in self.people.values()]
        self.criteria = defaultdict(dict)
        for criterion in BeneficiaryCriterion.objects.filter(beneficiary__in=person_ids):
            self.criteria[criterion.beneficiary_id][criterion.criterion] = criterion
        lot_ids = [lot.pk for lot in self.lots.values()]
        self.placements = {}
        for placement in Placement.objects.filter(beneficiary__in=person_ids, lot__in=lot_ids).select_related(
            "employer"
        ):
            self.placements.setdefault((placement.beneficiary_id, placement.lot_id, placement.start_date), placement)
        placement_ids = [placement.pk for placement in self.placements.values()]
        self.records = {}
        for start in range(0, len(placement_ids), 2000):
            for record in HoursRecord.objects.filter(placement__in=placement_ids[start : start + 2000]).only(
                "pk", "placement_id", "month", "hours", "training_hours", "status", "version"
            ):
                self.records[(record.placement_id, record.month)] = record
        digest = hashlib.sha256()
        for key in sorted((p, m.isoformat(), r.version) for (p, m), r in self.records.items()):
            digest.update(repr(key).encode())
        self.digest = digest.hexdigest()  # the versions of the hours records seen (the preview's, for the confirmation)
        self.outcomes = {
            (outcome.placement_id, outcome.stage): outcome
            for outcome in Outcome.objects.filter(placement__in=placement_ids)
        }


def _organisation(context, siret, kinds, column, row, what) -> Organisation | None:
    organisation = context.organisations.get(siret)
    if siret and (organisation is None or organisation.kind not in kinds):
        row.refuse(
            column,
            f"SIRET inconnu : aucun·e {what} de l'annuaire n'a le SIRET {siret}. Ajoutez-le à l'annuaire avant "
            "l'import (l'import ne crée pas d'organisation).",
        )
        return None
    return organisation


def _check_rows(rows: dict[str, list[HistoryRow]], context: _Context) -> dict:
    """Rules across rows and against the directory; returns what the writes need, keyed by the file's keys."""
    companies = (OrganisationKind.COMPANY, OrganisationKind.INSERTION)
    # Markets and lots.
    markets: dict[tuple[str, str], HistoryRow] = {}
    lots: dict[tuple[str, str, int], HistoryRow] = {}
    market_fields = ("objet_marche", "type_marche", "commune_execution", "debut_marche", "fin_marche", "montant_marche")
    for row in rows[MARKETS]:
        values = row.values
        _organisation(
            context, values.get("siret_acheteur"), (OrganisationKind.BUYER,), "siret_acheteur", row, "acheteur"
        )
        _organisation(context, values.get("siret_titulaire"), companies, "siret_titulaire", row, "entreprise")
        for name in ("commune_execution",):
            if values.get(name) and values[name] not in context.communes:
                row.refuse(name, f"Commune inconnue : aucun code INSEE « {values[name]} ».")
        for start, end in (("debut_marche", "fin_marche"), ("debut_lot", "fin_lot")):
            if values.get(start) and values.get(end) and values[end] < values[start]:
                row.refuse(
                    end,
                    f"Dates incohérentes : la fin ({french_date(values[end])}) précède le début "
                    f"({french_date(values[start])}).",
                )
        market_key = (values.get("siret_acheteur"), values.get("reference_marche"))
        first = markets.setdefault(market_key, row)
        if first is not row:
            differing = [name for name in market_fields if first.values.get(name) != values.get(name)]
            for name in differing:
                row.refuse(
                    name,
                    f"Ce marché est décrit autrement à la ligne {first.number} : répétez-le à l'identique sur chacun "
                    "de ses lots.",
                )
        existing = context.markets.get(market_key)
        if existing is not None and existing.facilitator_id != context.structure.pk:
            row.refuse(
                "reference_marche",
                "Ce marché de cet acheteur est suivi par une autre structure : il n'est pas importé ici.",
            )
        lot_key = (*market_key, values.get("numero_lot"))
        first_lot = lots.setdefault(lot_key, row)
        if first_lot is not row:
            row.refuse("numero_lot", f"Ligne en double : ce lot figure déjà à la ligne {first_lot.number}.")
    # Participants.
    people: dict[str, HistoryRow] = {}
    by_key: dict[tuple, HistoryRow] = {}
    for row in rows[PARTICIPANTS]:
        values = row.values
        if values.get("commune") and values["commune"] not in context.communes:
            row.refuse("commune", f"Commune inconnue : aucun code INSEE « {values['commune']} ».")
        qpv = values.get("qpv")
        if qpv:
            if qpv not in context.qpvs:
                row.refuse("qpv", f"Quartier prioritaire inconnu : « {qpv} ».")
            elif values.get("commune") and values["commune"] not in context.qpv_communes[qpv]:
                row.refuse("qpv", f"Le quartier {qpv} n'est pas dans la commune {values['commune']}.")
        reference = values.get("ref_participant")
        first = people.setdefault(reference, row) if reference else row
        if first is not row:
            row.refuse(
                "ref_participant", f"Ligne en double : le repère « {reference} » figure déjà à la ligne {first.number}."
            )
        key = _person_key(values.get("nom", ""), values.get("prenom", ""), values.get("date_naissance"))
        first_key = by_key.setdefault(key, row)
        if first_key is not row:
            row.refuse(
                "nom",
                "Ligne en double : cette personne (nom, prénom, date de naissance) figure déjà à la ligne "
                f"{first_key.number}.",
            )
        seen = set()
        for slot in range(1, CRITERIA_SLOTS + 1):
            code = values.get(f"critere_{slot}")
            if code and code in seen:
                row.refuse(f"critere_{slot}", "Ce critère figure deux fois sur la ligne.")
            seen.add(code)
            validated_on = values.get(f"validation_{slot}")
            if code and validated_on and validated_on > date.today():
                row.refuse(f"validation_{slot}", "La date de validation ne peut pas être dans le futur.")
            if code and validated_on and values.get("date_naissance"):
                refusal = services._age_refusal(
                    code,
                    values["date_naissance"],
                    validated_on,
                    "date de validation",
                    f"Le critère « {Criterion(code).label} »",
                )
                if refusal:
                    row.refuse(f"critere_{slot}", refusal)
            if code == Criterion.QPV_RESIDENT and not qpv:
                row.refuse(f"critere_{slot}", services.QPV_CRITERION_WITHOUT_QPV)
    # Contracts.
    contracts: dict[str, HistoryRow] = {}
    contract_keys: dict[tuple, HistoryRow] = {}
    for row in rows[CONTRACTS]:
        values = row.values
        person_row = people.get(values.get("ref_participant"))
        if values.get("ref_participant") and person_row is None:
            row.refuse(
                "ref_participant",
                f"Personne inconnue : aucun repère « {values['ref_participant']} » dans la feuille « Participants ».",
            )
        lot_key = (values.get("siret_acheteur"), values.get("reference_marche"), values.get("numero_lot"))
        if values.get("numero_lot") is not None and lot_key not in lots and lot_key not in context.lots:
            row.refuse(
                "numero_lot",
                f"Lot inconnu : le marché « {values.get('reference_marche')} » de cet acheteur n'a pas de lot "
                f"n° {values.get('numero_lot')} (ni dans ce classeur, ni dans Clausier).",
            )
        elif lot_key not in lots and context.lots[lot_key].market.facilitator_id != context.structure.pk:
            row.refuse("reference_marche", "Ce marché est suivi par une autre structure.")
        _organisation(context, values.get("siret_employeur"), companies, "siret_employeur", row, "employeur")
        start, end = values.get("debut"), values.get("fin")
        if start and end and end < start:
            row.refuse(
                "fin",
                f"Dates incohérentes : la fin du contrat ({french_date(end)}) précède son début "
                f"({french_date(start)}).",
            )
        reference = values.get("ref_contrat")
        first = contracts.setdefault(reference, row) if reference else row
        if first is not row:
            row.refuse(
                "ref_contrat", f"Ligne en double : le repère « {reference} » figure déjà à la ligne {first.number}."
            )
        key = (values.get("ref_participant"), lot_key, start)
        first_key = contract_keys.setdefault(key, row)
        if first_key is not row:
            row.refuse(
                "debut",
                f"Ligne en double : ce contrat (personne, lot, début) figure déjà à la ligne {first_key.number}.",
            )
        # A criterion the age contradicts at the start of a contract it serves (DOMAIN.md §6).
        if person_row is not None and start and person_row.values.get("date_naissance"):
            for slot in range(1, CRITERIA_SLOTS + 1):
                code = person_row.values.get(f"critere_{slot}")
                validated_on = person_row.values.get(f"validation_{slot}")
                if code and validated_on and validated_on <= start:
                    refusal = services._age_refusal(
                        code,
                        person_row.values["date_naissance"],
                        start,
                        f"début du contrat {reference}",
                        f"Le critère « {Criterion(code).label} »",
                    )
                    if refusal:
                        person_row.refuse(f"critere_{slot}", refusal)
    # Hours.
    seen_months: dict[tuple, HistoryRow] = {}
    for row in rows[HOURS]:
        values = row.values
        contract = contracts.get(values.get("ref_contrat"))
        if values.get("ref_contrat") and contract is None:
            row.refuse(
                "ref_contrat",
                f"Contrat inconnu : aucun repère « {values['ref_contrat']} » dans la feuille « Contrats ».",
            )
        month = values.get("mois")
        if contract is not None and month and contract.values.get("debut") and contract.values.get("fin"):
            start, end = contract.values["debut"], contract.values["fin"]
            if not first_of_month(start) <= month <= end:
                row.refuse(
                    "mois",
                    f"Heures hors du contrat : le contrat {values['ref_contrat']} court du {french_date(start)} "
                    f"au {french_date(end)}.",
                )
        if month:
            first = seen_months.setdefault((values.get("ref_contrat"), month), row)
            if first is not row:
                row.refuse(
                    "mois",
                    f"Ligne en double : ce contrat et ce mois figurent déjà ({first.source}, ligne {first.number}).",
                )
    # Outcomes.
    seen_outcomes: dict[tuple, HistoryRow] = {}
    for row in rows[OUTCOMES]:
        values = row.values
        if values.get("ref_contrat") and values["ref_contrat"] not in contracts:
            row.refuse(
                "ref_contrat",
                f"Contrat inconnu : aucun repère « {values['ref_contrat']} » dans la feuille « Contrats ».",
            )
        first = seen_outcomes.setdefault((values.get("ref_contrat"), values.get("moment")), row)
        if first is not row:
            row.refuse("moment", f"Ligne en double : cette sortie figure déjà à la ligne {first.number}.")
    return {"markets": markets, "lots": lots, "people": people, "contracts": contracts}


def _refuse_from(row: HistoryRow, error: ValidationError, columns: dict[str, str]) -> None:
    if hasattr(error, "error_dict"):
        for name, errors in error.error_dict.items():
            for item in errors:
                for message in item.messages:
                    row.refuse(columns.get(name, ""), message)
    else:
        for message in error.messages:
            row.refuse("", message)


MARKET_COLUMNS = {
    "reference": "reference_marche",
    "title": "objet_marche",
    "market_type": "type_marche",
    "execution_commune": "commune_execution",
    "start_date": "debut_marche",
    "end_date": "fin_marche",
    "amount_excl_vat": "montant_marche",
}
LOT_COLUMNS = {
    "number": "numero_lot",
    "title": "intitule_lot",
    "contractor": "siret_titulaire",
    "amount_excl_vat": "montant_lot",
    "start_date": "debut_lot",
    "end_date": "fin_lot",
}
CLAUSE_COLUMNS = {
    "mechanism": "mecanisme",
    "override_hours": "objectif_heures",
    "labour_share": "part_main_oeuvre",
    "insertion_rate": "taux_insertion",
}
PERSON_COLUMNS = {
    "last_name": "nom",
    "first_name": "prenom",
    "birth_date": "date_naissance",
    "sex": "sexe",
    "commune": "commune",
    "qpv": "qpv",
    "prescriber_type": "prescripteur",
}
PLACEMENT_COLUMNS = {
    "lot": "numero_lot",
    "employer": "siret_employeur",
    "modality": "modalite",
    "start_date": "debut",
    "end_date": "fin",
    "job_title": "poste",
    "beneficiary": "ref_participant",
}
OUTCOME_COLUMNS = {"stage": "moment", "result": "situation", "observed_on": "date_constat"}
LABELS = {
    "title": "objet",
    "market_type": "type",
    "execution_commune": "commune d'exécution",
    "start_date": "début",
    "end_date": "fin",
    "amount_excl_vat": "montant",
    "contractor": "titulaire",
    "mechanism": "mécanisme",
    "override_hours": "objectif",
    "labour_share": "part de main-d'œuvre",
    "insertion_rate": "taux d'insertion",
    "sex": "sexe",
    "commune": "commune",
    "qpv": "QPV",
    "prescriber_type": "prescripteur",
    "employer": "employeur",
    "modality": "modalité",
    "job_title": "poste",
    "result": "situation",
    "observed_on": "constatée le",
}


def _diff(instance, wanted: dict) -> tuple[dict, list[str]]:
    changes, lines = {}, []
    for name, value in wanted.items():
        before = getattr(instance, name)
        if before != value:
            changes[name] = value
            lines.append(_change(LABELS.get(name, name), before, value))
    return changes, lines


def _analyse(*models) -> None:
    """PostgreSQL plans the validation's and the summary's queries from the tables' statistics, which do not know
    the thousands of rows this transaction just wrote (they would be planned as scans of tiny tables): ANALYZE them
    (it counts the rows of the running transaction; the documented step after a bulk load)."""
    if connection.vendor == "postgresql":
        tables = ", ".join(connection.ops.quote_name(model._meta.db_table) for model in models)
        with connection.cursor() as cursor:
            cursor.execute(f"ANALYZE {tables}")


def _batch(items: list, write, refuse) -> list[tuple]:
    """`write(items)` through a bulk service (all or nothing): when it refuses rows, each is refused with its
    reasons and the others are written again without them, so the preview checks every row. Returns the (item,
    result) pairs written."""
    while items:
        try:
            return list(zip(items, write(items), strict=True))
        except services.BatchRefused as error:
            for index, row_error in error.row_errors.items():
                refuse(items[index], row_error)
            items = [item for index, item in enumerate(items) if index not in error.row_errors]
    return []


def _write(rows: dict[str, list[HistoryRow]], context: _Context, keys: dict, *, user) -> None:
    structure = context.structure
    # Markets, lots and their clauses.
    market_objects: dict[tuple, Market] = {}
    lot_objects: dict[tuple, Lot] = dict(context.lots)
    for row in rows[MARKETS]:
        values = row.values
        market_key = (values["siret_acheteur"], values["reference_marche"])
        wanted_market = {
            "title": values["objet_marche"],
            "market_type": values["type_marche"],
            "execution_commune": context.communes[values["commune_execution"]],
            "start_date": values["debut_marche"],
            "end_date": values["fin_marche"],
            "amount_excl_vat": values["montant_marche"],
        }
        statuses = []
        try:
            market = market_objects.get(market_key) or context.markets.get(market_key)
            if market is None:
                market = create_market(
                    reference=values["reference_marche"],
                    buyer=context.organisations[values["siret_acheteur"]],
                    facilitator=structure,
                    **wanted_market,
                )
                statuses.append(CREATED)
            elif market_key not in market_objects:
                changes, lines = _diff(market, wanted_market)
                if changes:
                    market = update_market(market=market, **changes)
                    row.changes += lines
                    statuses.append(UPDATED)
            market_objects[market_key] = market
            lot_key = (*market_key, values["numero_lot"])
            wanted_lot = {
                "title": values["intitule_lot"],
                "contractor": context.organisations[values["siret_titulaire"]],
                "amount_excl_vat": values["montant_lot"],
                "start_date": values["debut_lot"],
                "end_date": values["fin_lot"],
            }
            lot = lot_objects.get(lot_key)
            if lot is None:
                lot = create_lot(market=market, number=values["numero_lot"], **wanted_lot)
                statuses.append(CREATED)
            else:
                changes, lines = _diff(lot, wanted_lot)
                if changes:
                    lot = update_lot(lot=lot, **changes)
                    row.changes += lines
                    statuses.append(UPDATED)
            lot_objects[lot_key] = lot
            wanted_clause = {"mechanism": values["mecanisme"]}
            if values.get("objectif_heures") is not None:
                wanted_clause.update(override_hours=values["objectif_heures"], override_reason=HISTORY_TARGET_REASON)
            for name in ("labour_share", "insertion_rate"):
                if values.get(CLAUSE_COLUMNS[name]) is not None:
                    wanted_clause[name] = values[CLAUSE_COLUMNS[name]]
            clause = (
                Clause.objects.filter(lot=lot).first() if lot.pk in {lot.pk for lot in context.lots.values()} else None
            )
            if clause is None:
                save_clause(lot=lot, **wanted_clause)
                statuses.append(CREATED)
            else:
                changes, lines = _diff(
                    clause, {key: value for key, value in wanted_clause.items() if key != "override_reason"}
                )
                if changes:
                    save_clause(lot=lot, **wanted_clause)
                    row.changes += lines
                    statuses.append(UPDATED)
            lot.clause = Clause.objects.get(lot=lot)
        except ValidationError as error:
            _refuse_from(row, error, {**MARKET_COLUMNS, **LOT_COLUMNS, **CLAUSE_COLUMNS})
            continue
        row.status = CREATED if CREATED in statuses else UPDATED if statuses else UNCHANGED
    # People and their criteria: the new ones and every criterion added in batches (services.create_beneficiaries,
    # add_criteria), the people already known changed one by one (a rerun changes none).
    person_objects: dict[str, Beneficiary] = {}
    new_people: list[tuple[HistoryRow, dict]] = []
    criteria: list[tuple[HistoryRow, int, dict]] = []
    for row in rows[PARTICIPANTS]:
        values = row.values
        key = _person_key(values["nom"], values["prenom"], values["date_naissance"])
        wanted = {
            "sex": values["sexe"],
            "commune": context.communes[values["commune"]],
            "qpv": context.qpvs.get(values.get("qpv")) if values.get("qpv") else None,
        }
        if values.get("prescripteur"):
            wanted["prescriber_type"] = values["prescripteur"]
        person = context.people.get(key)
        if person is None:
            new_people.append(
                (
                    row,
                    {
                        "last_name": values["nom"],
                        "first_name": values["prenom"],
                        "birth_date": values["date_naissance"],
                        "prescriber_type": values.get("prescripteur") or PrescriberType.OTHER,
                        **{name: value for name, value in wanted.items() if name != "prescriber_type"},
                    },
                )
            )
            continue
        try:
            changes, lines = _diff(person, wanted)
            if changes:
                person = services.update_beneficiary(beneficiary=person, user=user, **changes)
                row.changes += lines
        except ValidationError as error:
            _refuse_from(row, error, PERSON_COLUMNS)
            continue
        row.status = UPDATED if changes else UNCHANGED
        person_objects[values["ref_participant"]] = person
    for (row, _fields), person in _batch(
        new_people,
        lambda batch: services.create_beneficiaries(
            structure=structure, user=user, rows=[fields for _row, fields in batch]
        ),
        lambda item, error: _refuse_from(item[0], error, PERSON_COLUMNS),
    ):
        row.status = CREATED
        person_objects[row.values["ref_participant"]] = person
    for row in rows[PARTICIPANTS]:
        person = person_objects.get(row.values["ref_participant"])
        if person is None or row.errors:
            continue
        held = context.criteria.get(person.pk, {}) if row.status != CREATED else {}
        for slot in range(1, CRITERIA_SLOTS + 1):
            code = row.values.get(f"critere_{slot}")
            if not code or code in held:
                continue
            criteria.append(
                (
                    row,
                    slot,
                    {
                        "beneficiary": person,
                        "criterion": code,
                        "validated_on": row.values[f"validation_{slot}"],
                        "validated_by": user,
                        "evidence_type": row.values[f"justificatif_{slot}"],
                        "derogation_reason": HISTORY_TARGET_REASON if code == Criterion.DEROGATION else "",
                    },
                )
            )

    def refuse_criterion(item, error):
        row, slot, _fields = item
        _refuse_from(
            row,
            error,
            {
                **PERSON_COLUMNS,
                "criterion": f"critere_{slot}",
                "validated_on": f"validation_{slot}",
                "evidence_type": f"justificatif_{slot}",
            },
        )

    for (row, _slot, fields), _added in _batch(
        criteria, lambda batch: services.add_criteria(rows=[fields for _r, _s, fields in batch]), refuse_criterion
    ):
        if row.status != CREATED:
            row.status = UPDATED
            row.changes.append(_change("critère", "", Criterion(fields["criterion"]).label))
    for row in rows[PARTICIPANTS]:
        if row.errors:  # a refused criterion refuses its person (and the contracts that need it)
            person_objects.pop(row.values["ref_participant"], None)
    # Contracts: the new ones in batches (services.start_placements), the known ones changed one by one.
    placement_objects: dict[str, Placement] = {}
    new_placements: list[tuple[HistoryRow, dict]] = []
    for row in rows[CONTRACTS]:
        values = row.values
        person = person_objects.get(values["ref_participant"])
        lot = lot_objects.get((values["siret_acheteur"], values["reference_marche"], values["numero_lot"]))
        if person is None or lot is None:
            row.refuse("ref_participant" if person is None else "numero_lot", "Ligne liée à une ligne refusée.")
            continue
        wanted = {
            "employer": context.organisations[values["siret_employeur"]],
            "modality": values["modalite"],
            "end_date": values["fin"],
            "job_title": values.get("poste", ""),
        }
        placement = context.placements.get((person.pk, lot.pk, values["debut"]))
        if placement is None:
            new_placements.append((row, {"beneficiary": person, "lot": lot, "start_date": values["debut"], **wanted}))
            continue
        try:
            changes, lines = _diff(placement, wanted)
            if changes:
                placement = services.update_placement(placement=placement, user=user, **changes)
                row.changes += lines
            row.status = UPDATED if changes else UNCHANGED
        except ValidationError as error:
            _refuse_from(row, error, PLACEMENT_COLUMNS)
            continue
        placement.lot = lot
        placement.beneficiary = person
        placement_objects[values["ref_contrat"]] = placement
    for (row, _fields), placement in _batch(
        new_placements,
        lambda batch: services.start_placements(rows=[fields for _row, fields in batch], user=user),
        lambda item, error: _refuse_from(item[0], error, PLACEMENT_COLUMNS),
    ):
        row.status = CREATED
        placement_objects[row.values["ref_contrat"]] = placement
    if any(row.errors for sheet in rows.values() for row in sheet):
        return
    # Hours: one batch through declare_month, then the validation of the rows said "validé" (summary in bulk).
    entries, entry_rows, to_validate = [], [], []
    for row in rows[HOURS]:
        values = row.values
        placement = placement_objects[values["ref_contrat"]]
        hours, training = values["heures"], values.get("heures_formation") or Decimal(0)
        status = values.get("statut") or HoursStatus.VALIDATED
        record = context.records.get((placement.pk, values["mois"]))
        if record is not None and record.hours == hours and record.training_hours == training:
            if status == HoursStatus.VALIDATED and record.status != HoursStatus.VALIDATED:
                to_validate.append(record)
                row.status = UPDATED
                row.changes.append(_change("statut", "déclaré", "validé"))
            else:
                row.status = UNCHANGED
            continue
        entries.append(
            services.HoursEntry(
                placement=placement,
                month=values["mois"],
                hours=hours,
                training_hours=training,
                expected_version=record.version if record is not None else 0,
            )
        )
        entry_rows.append((row, status, record))
    try:
        outcomes = services.declare_month(entries=entries, user=user, source=HoursSource.IMPORT) if entries else []
    except services.HoursBatchError as error:
        for index, messages in error.row_errors.items():
            for message in messages:
                entry_rows[index][0].refuse("heures", str(message))
        return
    _analyse(Beneficiary, Placement, HoursRecord)
    for (row, status, record), outcome in zip(entry_rows, outcomes, strict=True):
        row.status = CREATED if outcome.created else UPDATED
        if record is not None:
            row.changes.append(_change("heures", record.hours, outcome.record.hours))
        if status == HoursStatus.VALIDATED:
            to_validate.append(outcome.record)
    # The versions of the records just read or written: nobody else changed them in this transaction. By chunks
    # of whole contracts, so each contract's summary is refreshed once.
    to_validate.sort(key=lambda record: (record.placement_id, record.month))
    chunk: list[HoursRecord] = []
    for index, record in enumerate(to_validate):
        chunk.append(record)
        last = index + 1 == len(to_validate)
        if last or (len(chunk) >= VALIDATION_CHUNK and to_validate[index + 1].placement_id != record.placement_id):
            services.validate_hours(records=chunk, versions={item.pk: item.version for item in chunk}, user=user)
            chunk = []
    # Outcomes.
    for row in rows[OUTCOMES]:
        values = row.values
        placement = placement_objects[values["ref_contrat"]]
        existing = context.outcomes.get((placement.pk, values["moment"]))
        wanted = {"result": values["situation"], "observed_on": values["date_constat"]}
        changes, lines = _diff(existing, wanted) if existing is not None else (wanted, [])
        if existing is not None and not changes:
            row.status = UNCHANGED
            continue
        try:
            services.record_outcome(placement=placement, stage=values["moment"], user=user, **wanted)
        except ValidationError as error:
            _refuse_from(row, error, OUTCOME_COLUMNS)
            continue
        row.status = UPDATED if existing is not None else CREATED
        row.changes += lines


def process(
    rows: dict[str, list[HistoryRow]], *, structure, user, commit: bool, expected_digest: str | None = None
) -> HistoryReport:
    """Check and write every row; keep the writes only when `commit` and no row is refused.

    `expected_digest`: the preview's `HistoryReport.digest`; hours records created or changed since then make the
    whole import a conflict (services.CONFLICT_MESSAGE) and nothing is written. None where nobody was shown a
    preview (the preview itself, the bench)."""
    context = _Context(rows, structure)
    keys = {}
    if not any(row.errors for sheet in rows.values() for row in sheet):
        keys = _check_rows(rows, context)
    report = HistoryReport(rows=rows, digest=context.digest)
    report.conflict = expected_digest is not None and expected_digest != context.digest
    with transaction.atomic():
        if report.ok:
            _write(rows, context, keys, user=user)
        report.committed = commit and report.ok
        if not report.committed:
            transaction.set_rollback(True)
    for sheet in rows.values():
        for row in sheet:
            if row.errors:
                row.status = REFUSED
            elif not row.status and not report.ok:
                row.status = ""  # not reached: a refusal elsewhere stopped the writes before this row
    if close_spellings is not None and not report.committed:  # after the commit, they would find themselves
        candidates = [
            (row.number, row.values.get("nom", ""), row.values.get("prenom", ""), str(row.values.get("date_naissance")))
            for row in rows[PARTICIPANTS]
            if row.status == CREATED
        ]
        for number, notes in close_spellings(structure, candidates).items():
            for row in rows[PARTICIPANTS]:
                if row.number == number:
                    row.notes += notes
    return report


# --- Templates -------------------------------------------------------------------------------------------------


def template_xlsx() -> bytes:
    """The workbook to fill in: a « Lisez-moi » sheet describing every column in French, then one sheet per kind
    of row with its headers and one example row."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    workbook = Workbook()
    readme = workbook.active
    readme.title = "Lisez-moi"
    readme.append(["Import de l'historique d'une structure dans Clausier"])
    readme["A1"].font = Font(bold=True, size=14)
    for line in (
        "Remplissez une feuille par type de données, sans en renommer les colonnes ; supprimez les lignes d'exemple.",
        "Dates au format JJ/MM/AAAA, mois au format MM/AAAA, nombres avec une virgule décimale ; pas de formules.",
        "Les acheteurs, titulaires et employeurs doivent déjà figurer dans l'annuaire de Clausier (par leur SIRET).",
        "Un second envoi du même classeur ne change rien : chaque ligne est reconnue par sa clé naturelle.",
        "",
    ):
        readme.append([line])
    for sheet, title in SHEET_TITLES.items():
        readme.append([f"Feuille « {title} »"])
        readme.cell(readme.max_row, 1).font = Font(bold=True)
        readme.append([SHEET_HELP[sheet]])
        readme.append(["colonne", "contenu", "obligatoire"])
        for name, column in COLUMNS[sheet].items():
            readme.append([name, column.label, "oui" if column.required else "non"])
        readme.append([])
    readme.column_dimensions["A"].width = 24
    readme.column_dimensions["B"].width = 110
    for sheet, title in SHEET_TITLES.items():
        worksheet = workbook.create_sheet(title)
        worksheet.append(list(COLUMNS[sheet]))
        for cell in worksheet[1]:
            cell.font = Font(bold=True)
        worksheet.append([column.example for column in COLUMNS[sheet].values()])
        for cells in worksheet.columns:
            worksheet.column_dimensions[cells[0].column_letter].width = max(14, len(str(cells[0].value)) + 2)
    output = io.BytesIO()
    workbook.save(output)
    return output.getvalue()


def template_csv(sheet: str) -> bytes:
    output = io.StringIO()
    writer = csv.writer(output, delimiter=";", lineterminator="\r\n")
    writer.writerow(COLUMNS[sheet])
    writer.writerow(column.example for column in COLUMNS[sheet].values())
    return ("\ufeff" + output.getvalue()).encode("utf-8")


CSV_FILENAMES = {
    MARKETS: "marches",
    PARTICIPANTS: "participants",
    CONTRACTS: "contrats",
    HOURS: "heures",
    OUTCOMES: "sorties",
}
