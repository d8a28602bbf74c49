"""A generated history for the history import (beneficiaries.history): the browser test and bench/history_import.py.

`generate` returns the rows of each sheet (plain texts, as a structure would type them) and the yearly figures
they make (validated hours, participants and contracts with hours, per year), computed from the rows alone so a
test can compare them with the yearly report after the import. Deterministic for a given seed.
"""

import csv
import io
import random
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from beneficiaries.calculations import add_months
from beneficiaries.history import COLUMNS, CONTRACTS, HOURS, MARKETS, OUTCOMES, PARTICIPANTS, SHEET_TITLES

LAST_NAMES = [
    "MARTIN",
    "BERNARD",
    "DUBOIS",
    "THOMAS",
    "ROBERT",
    "RICHARD",
    "PETIT",
    "DURAND",
    "LEROY",
    "MOREAU",
    "SIMON",
    "LAURENT",
    "LEFEBVRE",
    "MICHEL",
    "GARCIA",
    "DAVID",
    "BERTRAND",
    "ROUX",
    "VINCENT",
    "FOURNIER",
]
FIRST_NAMES = [
    "Marie",
    "Karim",
    "Lucie",
    "Mamadou",
    "Sophie",
    "Nicolas",
    "Fatou",
    "Julien",
    "Inès",
    "Thomas",
    "Aïcha",
    "Hugo",
    "Léa",
    "Yanis",
    "Chloé",
    "Omar",
    "Emma",
    "Lucas",
    "Sarah",
    "Mehdi",
]


@dataclass
class History:
    sheets: dict[str, list[dict]]
    hours_by_year: dict[int, Decimal] = field(default_factory=dict)
    participants_by_year: dict[int, int] = field(default_factory=dict)
    contracts_by_year: dict[int, int] = field(default_factory=dict)

    @property
    def counts(self) -> dict[str, int]:
        return {sheet: len(rows) for sheet, rows in self.sheets.items()}


def _day(value: date) -> str:
    return value.strftime("%d/%m/%Y")


def generate(
    *,
    buyer_siret: str,
    company_siret: str,
    commune: str,
    people: int = 60,
    contracts: int = 150,
    first_year: int = 2020,
    years: int = 5,
    markets: int = 4,
    lots_per_market: int = 3,
    monthly_records: int | None = None,
    seed: int = 20,
) -> History:
    """About `contracts` contracts of `people` people over `years` years from `first_year`, each with its monthly
    hours (all validated, within the contract); `monthly_records` caps the total of monthly rows (the contracts'
    lengths are drawn to approach it)."""
    rng = random.Random(seed)  # noqa: S311 - test data, not secrets
    sheets: dict[str, list[dict]] = {sheet: [] for sheet in SHEET_TITLES}
    start_all, end_all = date(first_year, 1, 1), date(first_year + years - 1, 12, 31)
    lots = []
    for m in range(1, markets + 1):
        reference = f"H{first_year}-{m:03d}"
        for number in range(1, lots_per_market + 1):
            sheets[MARKETS].append(
                {
                    "siret_acheteur": buyer_siret,
                    "reference_marche": reference,
                    "objet_marche": f"Travaux historiques n° {m}",
                    "type_marche": "Travaux",
                    "commune_execution": commune,
                    "debut_marche": _day(start_all),
                    "fin_marche": _day(end_all),
                    "montant_marche": "2000000",
                    "numero_lot": str(number),
                    "intitule_lot": f"Lot {number}",
                    "siret_titulaire": company_siret,
                    "montant_lot": "500000",
                    "debut_lot": _day(start_all),
                    "fin_lot": _day(end_all),
                    "mecanisme": "Condition d'exécution (L2112-2)",
                    "objectif_heures": str(rng.randint(2000, 8000)),
                    "part_main_oeuvre": "",
                    "taux_insertion": "",
                }
            )
            lots.append((reference, number))
    births = set()
    for p in range(1, people + 1):
        while True:
            birth = date(1960, 1, 1) + timedelta(days=rng.randint(0, 365 * 40))
            key = (LAST_NAMES[p % len(LAST_NAMES)], FIRST_NAMES[(p // len(LAST_NAMES)) % len(FIRST_NAMES)], birth)
            if key not in births:
                births.add(key)
                break
        row = {
            "ref_participant": f"P{p}",
            "nom": key[0],
            "prenom": key[1],
            "date_naissance": _day(birth),
            "sexe": "F" if p % 2 else "M",
            "commune": commune,
            "qpv": "",
            "prescripteur": "France Travail",
            "critere_1": "rsa",
            "validation_1": _day(start_all - timedelta(days=30)),
            "justificatif_1": "Attestation CAF ou MSA",
        }
        sheets[PARTICIPANTS].append(row)
    months_total = add_months(date(first_year + years, 1, 1), 0)
    target = monthly_records or contracts * 8
    average = max(1, round(target / contracts))
    hours_by_year: dict[int, Decimal] = defaultdict(Decimal)
    people_by_year: dict[int, set] = defaultdict(set)
    contracts_by_year: dict[int, set] = defaultdict(set)
    starts_seen = set()
    for c in range(1, contracts + 1):
        person = f"P{(c - 1) % people + 1}"
        reference, number = lots[rng.randrange(len(lots))]
        length = max(1, min(24, int(rng.gauss(average, average / 3))))
        while True:
            first_month = add_months(start_all, rng.randrange(0, years * 12 - length + 1))
            start = first_month + timedelta(days=rng.randint(0, 20))
            if (person, reference, number, start) not in starts_seen:
                starts_seen.add((person, reference, number, start))
                break
        last_month = add_months(first_month, length - 1)
        end = min(add_months(last_month, 1) - timedelta(days=1), end_all, months_total)
        sheets[CONTRACTS].append(
            {
                "ref_contrat": f"C{c}",
                "ref_participant": person,
                "siret_acheteur": buyer_siret,
                "reference_marche": reference,
                "numero_lot": str(number),
                "siret_employeur": company_siret,
                "modalite": "Embauche directe en CDD",
                "debut": _day(start),
                "fin": _day(end),
                "poste": "Ouvrier·e polyvalent·e",
            }
        )
        month = first_month
        while month <= end:
            hours = Decimal(rng.randint(20, 150)) + (Decimal("0.5") if rng.random() < 0.3 else 0)
            sheets[HOURS].append(
                {
                    "ref_contrat": f"C{c}",
                    "mois": month.strftime("%m/%Y"),
                    "heures": str(hours).replace(".", ","),
                    "heures_formation": "",
                    "statut": "validé",
                }
            )
            hours_by_year[month.year] += hours
            people_by_year[month.year].add(person)
            contracts_by_year[month.year].add(c)
            month = add_months(month, 1)
        if c % 3 == 0:
            sheets[OUTCOMES].append(
                {
                    "ref_contrat": f"C{c}",
                    "moment": "fin",
                    "situation": "Formation qualifiante",
                    "date_constat": _day(end),
                }
            )
    return History(
        sheets=sheets,
        hours_by_year=dict(hours_by_year),
        participants_by_year={year: len(values) for year, values in people_by_year.items()},
        contracts_by_year={year: len(values) for year, values in contracts_by_year.items()},
    )


def to_xlsx(history: History, *, hours_per_sheet: int = 60_000) -> bytes:
    """The workbook, its hours split over sheets « Heures 1 », « Heures 2 »… beyond `hours_per_sheet` rows."""
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    for sheet, title in SHEET_TITLES.items():
        rows = history.sheets[sheet]
        chunks = (
            [rows[i : i + hours_per_sheet] for i in range(0, len(rows), hours_per_sheet)] if sheet == HOURS else [rows]
        )
        for index, chunk in enumerate(chunks or [[]], start=1):
            worksheet = workbook.create_sheet(title if len(chunks) <= 1 else f"{title} {index}")
            columns = list(COLUMNS[sheet])
            worksheet.append(columns)
            for row in chunk:
                worksheet.append([row.get(name, "") for name in columns])
    output = io.BytesIO()
    workbook.save(output)
    return output.getvalue()


def to_csv_files(history: History) -> list[tuple[str, bytes]]:
    files = []
    for sheet, name in (
        (MARKETS, "marches.csv"),
        (PARTICIPANTS, "participants.csv"),
        (CONTRACTS, "contrats.csv"),
        (HOURS, "heures.csv"),
        (OUTCOMES, "sorties.csv"),
    ):
        output = io.StringIO()
        writer = csv.writer(output, delimiter=";", lineterminator="\r\n")
        writer.writerow(COLUMNS[sheet])
        for row in history.sheets[sheet]:
            writer.writerow(row.get(name, "") for name in COLUMNS[sheet])
        files.append((name, output.getvalue().encode("utf-8")))
    return files


def of_placement(placement, hours: list[tuple[date, str, str]]) -> History:
    """The sheets describing an existing contract as it is (its market, lot, clause, person and contract: all
    « inchangé »), with the given monthly rows (month, hours, status « validé » or « déclaré »)."""
    lot, person = placement.lot, placement.beneficiary
    market, clause = lot.market, getattr(lot, "clause", None)
    sheets: dict[str, list[dict]] = {sheet: [] for sheet in SHEET_TITLES}
    sheets[MARKETS].append(
        {
            "siret_acheteur": market.buyer.siret,
            "reference_marche": market.reference,
            "objet_marche": market.title,
            "type_marche": market.market_type,
            "commune_execution": market.execution_commune_id,
            "debut_marche": _day(market.start_date),
            "fin_marche": _day(market.end_date),
            "montant_marche": str(market.amount_excl_vat),
            "numero_lot": str(lot.number),
            "intitule_lot": lot.title,
            "siret_titulaire": lot.contractor.siret,
            "montant_lot": str(lot.amount_excl_vat),
            "debut_lot": _day(lot.start_date),
            "fin_lot": _day(lot.end_date),
            "mecanisme": clause.mechanism if clause else "execution_condition",
            "objectif_heures": str(clause.override_hours) if clause and clause.override_hours is not None else "",
        }
    )
    sheets[PARTICIPANTS].append(
        {
            "ref_participant": "P1",
            "nom": person.last_name,
            "prenom": person.first_name,
            "date_naissance": _day(person.birth_date),
            "sexe": person.sex,
            "commune": person.commune_id,
            "qpv": person.qpv_id or "",
        }
    )
    sheets[CONTRACTS].append(
        {
            "ref_contrat": "C1",
            "ref_participant": "P1",
            "siret_acheteur": market.buyer.siret,
            "reference_marche": market.reference,
            "numero_lot": str(lot.number),
            "siret_employeur": placement.employer.siret,
            "modalite": placement.modality,
            "debut": _day(placement.start_date),
            "fin": _day(placement.end_date),
            "poste": placement.job_title,
        }
    )
    for month, value, status in hours:
        sheets[HOURS].append({"ref_contrat": "C1", "mois": month.strftime("%m/%Y"), "heures": value, "statut": status})
    return History(sheets=sheets)
