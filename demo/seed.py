"""Deterministic demo data for Bourgogne-Franche-Comté (region 27), written with bulk_create.

`seed_demo()` builds, from a fixed random seed and the current month only, a realistic region: facilitation
structures and their facilitators, buyers of every type, companies and insertion structures with valid SIRET
numbers, a regional coordination body, 400 markets with their lots and clauses, and about 2,600
participants a year totalling about 1,000,000 validated insertion hours a year (DOMAIN.md §1).

Rows are created in bulk, but every derived figure comes from the functions the services use:
`Clause.compute_calibration()` for targets, `beneficiaries.calculations.frozen_publics` for the publics frozen
on a placement, `convert_invoiced_amount` for SIAE subcontracts declared as an amount.

Idempotence: the demo is detected by its organisations (contact e-mail on the demo domain); when it is there,
`seed_demo()` writes nothing. The whole seed runs in one transaction, so a failed run leaves nothing behind.

`scale` repeats the per-territory part (structures, facilitators, markets, participants, hours) with a
different random stream per repetition; buyers, companies and insertion structures are shared. Each
repetition is generated and written before the next starts, so memory stays bounded.
"""

import heapq
import math
import random
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

from django.contrib.auth.hashers import make_password
from django.db import connection, transaction
from django.utils import timezone
from stdnum import luhn

from beneficiaries.calculations import add_months, convert_invoiced_amount, frozen_publics, month_index
from beneficiaries.choices import (
    Criterion,
    EvidenceType,
    HoursSource,
    HoursStatus,
    Modality,
    OutcomeResult,
    OutcomeStage,
    QpvSource,
    QualificationLevel,
    Sex,
)
from beneficiaries.models import Beneficiary, BeneficiaryCriterion, HoursRecord, Outcome, Placement
from clauses.models import CalibrationMethod, Clause, Mechanism
from demo import reference as ref
from demo.companies import seed_company_portal
from demo.titles import SECTORS, SOLIDARITY_SECTORS, TEMPLATES
from markets.models import Lot, Market, MarketType, Operation, OperationKind, Trade
from organisations.models import (
    BuyerType,
    InsertionType,
    Membership,
    Organisation,
    OrganisationKind,
    Role,
    User,
)
from reporting import publication, summary
from reporting.models import PlacementYear
from territories.models import Commune, Qpv

SEED = 272026
DEMO_DOMAIN = "demo.clausier.fr"
DEMO_PASSWORD = "clausier-demo-2026"  # noqa: S105 - documented demo password, printed by the command
HOURS_PER_YEAR = 1_000_000
PARTICIPANTS_PER_YEAR = 2_600
MARKETS = 400
FULL_YEARS = 3
BATCH_SIZE = 2_000

DEMO_ACCOUNTS = [
    ("facilitateur@demo.clausier.fr", "Facilitateur·rice (membre d'une structure de facilitation)"),
    ("admin.structure@demo.clausier.fr", "Administrateur·rice d'une structure de facilitation"),
    ("lecteur@demo.clausier.fr", "Lecteur·rice d'une structure de facilitation"),
    ("acheteur@demo.clausier.fr", "Acheteur (Ville de Dijon)"),
    ("coordination@demo.clausier.fr", "Coordination régionale"),
    ("admin@demo.clausier.fr", "Super-administrateur·rice (accès à l'administration)"),
    ("entreprise@demo.clausier.fr", "Contact d'une entreprise titulaire (portail entreprise)"),
]

TWO = Decimal("0.01")
CLEANING_COST = Decimal("25")


def q2(value) -> Decimal:
    return Decimal(str(value)).quantize(TWO, rounding=ROUND_HALF_UP)


def fr_number(value) -> str:
    """1 234 567 (narrow no-break space as thousands separator)."""
    return f"{round(value):,}".replace(",", "\u202f")


def insert_rows(model, rows: list[dict]) -> list[int]:
    """Insert plain rows (attribute name -> value) in bulk: COPY on PostgreSQL, bulk_create elsewhere.

    Returns the primary keys, in the order of the rows (on PostgreSQL, taken from the table's sequence
    beforehand). Fields a row leaves out take their default (auto_now and auto_now_add: now).
    """
    if not rows:
        return []
    if connection.vendor != "postgresql":
        objects = model.objects.bulk_create([model(**row) for row in rows], batch_size=BATCH_SIZE)
        return [obj.pk for obj in objects]
    table_name = model._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
            [connection.ops.quote_name(table_name), model._meta.pk.column, len(rows)],
        )
        ids = [row[0] for row in cursor.fetchall()]
    now = timezone.now()
    fields = list(model._meta.concrete_fields)
    pk_name = model._meta.pk.attname
    defaults = {}
    for f in fields:
        if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
            defaults[f.attname] = now
        else:
            defaults[f.attname] = f.get_default()  # "" for text fields without a default, None if nullable
    columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    names = [f.attname for f in fields]
    table = connection.ops.quote_name(table_name)
    with connection.cursor() as cursor, cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
        for pk, row in zip(ids, rows, strict=True):
            copy.write_row([pk if name == pk_name else row[name] if name in row else defaults[name] for name in names])
    return ids


def demo_is_present() -> bool:
    return Organisation.objects.filter(email__iendswith=f"@{DEMO_DOMAIN}").exists()


@dataclass(frozen=True)
class SeedSummary:
    created: bool
    organisations: int = 0
    markets: int = 0
    lots: int = 0
    beneficiaries: int = 0
    placements: int = 0
    hours_records: int = 0
    validated_hours_by_year: dict = field(default_factory=dict)


# --------------------------------------------------------------------------------------------------------------
# Small helpers


# Outcomes in the demo, (weight at the end of a contract, weight six months later): every result has its weights, a
# new one must be given some.
R = OutcomeResult
OUTCOME_WEIGHTS = {
    R.DURABLE_CDI: (10, 16),
    R.DURABLE_CDD: (12, 14),
    R.DURABLE_TEMP: (4, 3),
    R.DURABLE_BUSINESS: (1, 2),
    R.TRAINING: (8, 6),
    R.TRANSITIONAL_SHORT_CDD: (12, 10),
    R.TRANSITIONAL_TEMP: (8, 7),
    R.TRANSITIONAL_SUBSIDISED: (5, 5),
    R.TRANSITIONAL_SIAE: (12, 8),
    R.JOB_SEEKING: (20, 22),
    R.DROPPED_OUT: (3, 2),
    R.UNKNOWN: (5, 5),
}
assert set(OUTCOME_WEIGHTS) == set(OutcomeResult), "every outcome result needs a weight in the demo"


def weighted(rng: random.Random, items, weights):
    return rng.choices(items, weights=weights, k=1)[0]


def make_siret(rng: random.Random, used: set[str]) -> str:
    """A valid SIRET: SIREN (8 digits + Luhn key) then NIC (4 digits + Luhn key over the 13 digits)."""
    while True:
        body = f"{rng.randrange(30_000_000, 99_999_999):08d}"
        siren = body + luhn.calc_check_digit(body)
        nic = f"{rng.randrange(1, 999):04d}"
        siret = siren + nic + luhn.calc_check_digit(siren + nic)
        if siret not in used:
            used.add(siret)
            return siret


def slug(text: str) -> str:
    table = str.maketrans("àâäéèêëîïôöùûüçœ'’ ", "aaaeeeeiioouuuco---")
    return "".join(ch for ch in text.lower().translate(table) if ch.isalnum() or ch == "-").strip("-")


def month_end(month: date) -> date:
    return add_months(month, 1) - timedelta(days=1)


def aware(day: date, hour: int = 10) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=UTC)


class Territory:
    """Communes of the region, with populations, EPCI and QPV, for weighted draws."""

    def __init__(self, region: str = ref.REGION_CODE):
        self.region = region
        rows = list(
            Commune.objects.filter(department__region_id=region).values_list(
                "code", "name", "department_id", "epci_id", "population"
            )
        )
        self.name = {code: name for code, name, _, _, _ in rows}
        self.department = {code: dep for code, _, dep, _, _ in rows}
        self.epci = {code: epci for code, _, _, epci, _ in rows}
        self.population = {code: pop or 50 for code, _, _, _, pop in rows}
        self.by_department = defaultdict(list)
        self.by_epci = defaultdict(list)
        for code, _, dep, epci, _ in rows:
            self.by_department[dep].append(code)
            if epci:
                self.by_epci[epci].append(code)
        self.all = [code for code, *_ in rows]
        self.qpvs_of = defaultdict(list)
        for qpv_code, qpv_name, commune in Qpv.objects.filter(communes__code__in=self.all).values_list(
            "code", "name", "communes__code"
        ):
            self.qpvs_of[commune].append((qpv_code, qpv_name))
        self.qpv_communes_by_department = defaultdict(list)
        for commune in sorted(self.qpvs_of):
            self.qpv_communes_by_department[self.department[commune]].append(commune)
        self._cumulative = {}

    def pick(self, rng: random.Random, codes: list[str], exponent: float = 1.0) -> str:
        """A commune among `codes`, weighted by population (raised to `exponent` to favour big towns)."""
        key = (id(codes), exponent)
        if key not in self._cumulative:
            weights = [self.population[c] ** exponent for c in codes]
            total, cumulative = 0.0, []
            for weight in weights:
                total += weight
                cumulative.append(total)
            self._cumulative[key] = cumulative
        return rng.choices(codes, cum_weights=self._cumulative[key], k=1)[0]


# --------------------------------------------------------------------------------------------------------------
# Shared organisations and accounts


@dataclass
class Shared:
    buyers: list  # (Organisation, scope, weight)
    companies: list[Organisation]
    temp_agencies: list[Organisation]
    insertion_by_type: dict
    coordination: Organisation
    password_hash: str
    sirets: set


def org_email(name: str, suffix: str = "") -> str:
    return f"contact+{slug(name)[:40]}{suffix}@{DEMO_DOMAIN}"


def create_shared(rng: random.Random, territory: Territory, log: Callable[[str], None]) -> Shared:
    sirets = set(Organisation.objects.exclude(siret="").values_list("siret", flat=True))
    region_id = ref.REGION_CODE
    coordination = Organisation(
        name=ref.COORDINATION_NAME,
        kind=OrganisationKind.COORDINATION,
        region_id=region_id,
        commune_id="21231",
        email=org_email(ref.COORDINATION_NAME),
    )
    buyers = [
        Organisation(
            name=name,
            kind=OrganisationKind.BUYER,
            buyer_type=buyer_type,
            siret=make_siret(rng, sirets),
            commune_id=seat,
            email=org_email(name),
        )
        for name, buyer_type, seat, _, _ in ref.BUYERS
    ]
    companies = [
        Organisation(
            name=f"{name} SAS" if index % 3 else f"{name} SARL",
            kind=OrganisationKind.COMPANY,
            siret=make_siret(rng, sirets),
            commune_id=seat,
            email=org_email(name),
        )
        for index, (name, seat) in enumerate(ref.COMPANY_NAMES)
    ]
    agencies = [
        Organisation(
            name=name,
            kind=OrganisationKind.COMPANY,
            siret=make_siret(rng, sirets),
            commune_id=seat,
            email=org_email(name),
        )
        for name, seat in ref.TEMP_AGENCY_NAMES
    ]
    insertion = [
        Organisation(
            name=name,
            kind=OrganisationKind.INSERTION,
            insertion_type=insertion_type,
            siret=make_siret(rng, sirets),
            commune_id=seat,
            email=org_email(name),
        )
        for name, insertion_type, seat in ref.INSERTION_STRUCTURES
    ]
    Organisation.objects.bulk_create([coordination, *buyers, *companies, *agencies, *insertion])
    insertion_by_type = defaultdict(list)
    for org in insertion:
        insertion_by_type[org.insertion_type].append(org)
    log(
        f"Organisations communes : {len(buyers)} acheteurs, {len(companies) + len(agencies)} entreprises, "
        f"{len(insertion)} structures d'insertion, 1 coordination régionale."
    )
    return Shared(
        buyers=[(org, scope, weight) for org, (_, _, _, scope, weight) in zip(buyers, ref.BUYERS, strict=True)],
        companies=companies,
        temp_agencies=agencies,
        insertion_by_type=insertion_by_type,
        coordination=coordination,
        password_hash=make_password(DEMO_PASSWORD),
        sirets=sirets,
    )


# --------------------------------------------------------------------------------------------------------------
# Per-territory plan


@dataclass
class LotPlan:
    lot: Lot
    clause: Clause | None
    sector: str
    market_type: str
    structure_index: int
    commune: str
    months: list[date]  # months of the lot period up to the last elapsed month
    total_months: int
    factor: float  # achievement factor of the lot (1 = exactly on target at the end)
    reserved_qpv: bool


@dataclass(slots=True)
class PlacementPlan:
    lot_plan: LotPlan
    modality: str
    employer: Organisation
    months: list[date]
    monthly_hours: list[float]
    start_date: date
    end_date: date
    end_index: int  # month index of the intended end (may lie in the future)
    beneficiary: int = -1  # index into the people list


@dataclass(slots=True)
class Person:
    structure_index: int
    sex: str
    birth_date: date
    commune: str
    qpv: str | None
    first_start: date
    counted_years: set
    ai_pairs: set
    trade_sector: str


MODALITY_PROFILES = {
    # modality: (monthly hours min, max, duration months min, max)
    Modality.HIRE_CDI: (110, 151.67, 4, 14),
    Modality.HIRE_CDD: (80, 151.67, 1, 6),
    Modality.HIRE_APPRENTICESHIP: (80, 130, 4, 12),
    Modality.HIRE_PROFESSIONALISATION: (90, 135, 4, 10),
    Modality.HIRE_OTHER: (60, 140, 1, 5),
    Modality.ETTI_MISSION: (50, 151.67, 1, 5),
    Modality.AI_PROVISION: (25, 75, 1, 5),
    Modality.GEIQ_PROVISION: (90, 151.67, 3, 10),
    Modality.TEMP_AGENCY: (50, 151.67, 1, 4),
    Modality.SIAE_SUBCONTRACT: (40, 130, 1, 6),
    Modality.EA_ESAT_SUBCONTRACT: (50, 120, 2, 8),
    Modality.RESERVED_MARKET: (50, 120, 1, 5),
    Modality.INSERTION_MARKET: (60, 112.67, 1, 6),
}

CLASSIC_MODALITY_WEIGHTS = {
    Modality.HIRE_CDI: 4,
    Modality.HIRE_CDD: 16,
    Modality.HIRE_APPRENTICESHIP: 4,
    Modality.HIRE_PROFESSIONALISATION: 4,
    Modality.HIRE_OTHER: 2,
    Modality.ETTI_MISSION: 22,
    Modality.AI_PROVISION: 10,
    Modality.GEIQ_PROVISION: 7,
    Modality.TEMP_AGENCY: 9,
    Modality.SIAE_SUBCONTRACT: 14,
    Modality.EA_ESAT_SUBCONTRACT: 4,
}

# Share of women by sector (one metropolis: 25 % overall; building trades far below, services above).
WOMEN_SHARE = {
    "building": 0.09,
    "road": 0.08,
    "steel": 0.06,
    "cleaning": 0.45,
    "green": 0.16,
    "waste": 0.14,
    "catering": 0.45,
    "laundry": 0.5,
    "security": 0.2,
    "moving": 0.1,
    "supplies": 0.35,
    "studies": 0.45,
    "it": 0.35,
}

BASE_AMOUNT = {
    # market type: (median € excl. VAT, log-normal sigma, min, max, months min, max)
    MarketType.WORKS: (650_000, 0.9, 60_000, 8_000_000, 8, 30),
    MarketType.SERVICES: (600_000, 0.8, 50_000, 4_000_000, 24, 48),
    MarketType.SUPPLIES: (250_000, 0.8, 20_000, 2_000_000, 12, 48),
    MarketType.INTELLECTUAL: (150_000, 0.7, 20_000, 1_000_000, 8, 36),
}
MARKET_TYPE_WEIGHTS = {
    MarketType.SERVICES: 50,
    MarketType.WORKS: 32,
    MarketType.SUPPLIES: 9,
    MarketType.INTELLECTUAL: 9,
}


class TerritorySeeder:
    """Builds and writes one repetition of the per-territory data.

    The class attributes are what demo.national overrides to seed every region: the facilitation structures,
    the number of full years and how far back markets start.
    """

    structure_specs = ref.FACILITATION_STRUCTURES
    full_year_count = FULL_YEARS
    # Market starts (months from now): 60 % in the first range, the others in the second, earlier one.
    start_offsets = ((-60, 4), (-66, -40))

    def __init__(self, *, shared: Shared, territory: Territory, repetition: int, today: date, size: float, log):
        self.shared = shared
        self.territory = territory
        self.repetition = repetition
        self.rng = random.Random(SEED + 1000 * (repetition + 1))  # noqa: S311 - reproducible demo data
        self.size = size
        self.log = log
        self.reference_month = today.replace(day=1)
        self.last_month = add_months(self.reference_month, -1)
        self.current_year = self.reference_month.year
        self.full_years = [self.current_year - n for n in range(self.full_year_count, 0, -1)]
        self.suffix = "" if repetition == 0 else f" – territoire {repetition + 1}"
        self.reference_prefix = "" if repetition == 0 else f"T{repetition + 1}-"
        self.email_tag = "" if repetition == 0 else f".t{repetition + 1}"
        self.trades = {trade.name: trade for trade in Trade.objects.all()}
        self.validated_by_year: dict[int, Decimal] = defaultdict(Decimal)
        self.counts = defaultdict(int)

    # ---- structures and people who log in

    def create_structures(self):
        rng = self.rng
        structures = [
            Organisation(
                name=f"{name}{self.suffix}",
                kind=OrganisationKind.FACILITATION,
                region_id=self.territory.region,
                commune_id=seat,
                email=org_email(name, f"-{self.repetition + 1}" if self.repetition else ""),
                phone=f"03 {rng.randrange(80, 86)} {rng.randrange(10, 99)} {rng.randrange(10, 99)} "
                f"{rng.randrange(10, 99)}",
            )
            for name, seat, *_ in self.structure_specs
        ]
        Organisation.objects.bulk_create(structures)
        self.structures = structures
        self.structure_epci = [self.territory.epci.get(s.commune_id) for s in structures]
        self.structures_by_department = defaultdict(list)
        for index, org in enumerate(structures):
            self.structures_by_department[self.territory.department[org.commune_id]].append(index)

        users, memberships = [], []
        used_emails = set(User.objects.filter(email__iendswith=f"@{DEMO_DOMAIN}").values_list("email", flat=True))
        self.facilitators = defaultdict(list)
        tag = self.email_tag
        for index, (_, _, count, first_is_admin, has_reader) in enumerate(self.structure_specs):
            for rank in range(count):
                if self.repetition == 0 and index == 0 and rank < 2 and not self.email_tag:
                    email = ["facilitateur", "admin.structure"][rank] + f"@{DEMO_DOMAIN}"
                    first, last = (["Camille", "Dominique"][rank], ["Moreau", "Lambert"][rank])
                    role = [Role.MEMBER, Role.ADMIN][rank]
                else:
                    first = rng.choice(ref.FIRST_NAMES_F + ref.FIRST_NAMES_M)
                    last = rng.choice(ref.LAST_NAMES)
                    email = self._unique_email(f"{slug(first)}.{slug(last)}{tag}", used_emails)
                    role = Role.ADMIN if first_is_admin and rank == 0 else Role.MEMBER
                used_emails.add(email)
                user = User(email=email, first_name=first, last_name=last, password=self.shared.password_hash)
                users.append(user)
                memberships.append((user, index, role))
            if has_reader:
                if self.repetition == 0 and index == 0 and not self.email_tag:
                    email, first, last = f"lecteur@{DEMO_DOMAIN}", "Sacha", "Girard"
                else:
                    first, last = rng.choice(ref.FIRST_NAMES_F + ref.FIRST_NAMES_M), rng.choice(ref.LAST_NAMES)
                    email = self._unique_email(f"{slug(first)}.{slug(last)}{tag}", used_emails)
                used_emails.add(email)
                user = User(email=email, first_name=first, last_name=last, password=self.shared.password_hash)
                users.append(user)
                memberships.append((user, index, Role.READER))
        User.objects.bulk_create(users)
        Membership.objects.bulk_create(
            [Membership(user=user, organisation=structures[index], role=role) for user, index, role in memberships]
        )
        for user, index, role in memberships:
            if role != Role.READER:
                self.facilitators[index].append(user)
        self.counts["facilitators"] = sum(1 for _, _, role in memberships if role != Role.READER)
        self.log(
            f"Territoire {self.repetition + 1} : {len(structures)} structures de facilitation, "
            f"{self.counts['facilitators']} facilitateur·rices, "
            f"{sum(1 for _, _, role in memberships if role == Role.READER)} lecteur·rices."
        )

    @staticmethod
    def _unique_email(local: str, used: set[str]) -> str:
        email, n = f"{local}@{DEMO_DOMAIN}", 2
        while email in used:
            email, n = f"{local}{n}@{DEMO_DOMAIN}", n + 1
        return email

    def structure_for(self, commune: str) -> int:
        candidates = self.structures_by_department.get(self.territory.department[commune])
        if not candidates:
            return self.rng.randrange(len(self.structures))
        same_epci = [i for i in candidates if self.structure_epci[i] == self.territory.epci.get(commune)]
        return self.rng.choice(same_epci or candidates)

    # ---- operations, markets, lots, clauses

    def create_operations(self):
        rng, territory = self.rng, self.territory
        operations, self.anru_by_commune, self.gup_by_commune = [], {}, {}
        qpv_communes = sorted(territory.qpvs_of, key=lambda c: -territory.population[c])
        for commune in qpv_communes[:12]:
            qpv_name = territory.qpvs_of[commune][0][1]
            kind = OperationKind.GUP if commune in qpv_communes[9:12] else OperationKind.ANRU
            prefix = "Gestion urbaine de proximité" if kind == OperationKind.GUP else "NPNRU"
            operations.append(
                Operation(
                    name=f"{prefix} {territory.name[commune]} – {qpv_name}{self.suffix}",
                    kind=kind,
                    facilitator=self.structures[self.structure_for(commune)],
                    commune_id=commune,
                    description="Projet de renouvellement urbain du quartier prioritaire."
                    if kind == OperationKind.ANRU
                    else "Entretien et gestion des espaces du quartier prioritaire.",
                )
            )
        for name, commune in [
            ("Cité internationale de la gastronomie et du vin", "21231"),
            ("Extension du tramway du Grand Besançon", "25056"),
        ]:
            if commune not in territory.name:
                continue
            operations.append(
                Operation(
                    name=f"{name}{self.suffix}",
                    kind=OperationKind.OTHER,
                    facilitator=self.structures[self.structure_for(commune)],
                    commune_id=commune,
                )
            )
        Operation.objects.bulk_create(operations)
        for op in operations:
            target = self.anru_by_commune if op.kind == OperationKind.ANRU else self.gup_by_commune
            if op.kind != OperationKind.OTHER:
                target[op.commune_id] = op
        self.other_operations = {op.commune_id: op for op in operations if op.kind == OperationKind.OTHER}
        _ = rng

    def market_commune(self, buyer: Organisation, scope: str) -> str:
        territory = self.territory
        if scope == "commune":
            return buyer.commune_id
        if scope == "epci":
            return territory.pick(self.rng, territory.by_epci[territory.epci[buyer.commune_id]], 1.0)
        if scope == "department":
            return territory.pick(self.rng, territory.by_department[territory.department[buyer.commune_id]], 1.1)
        return territory.pick(self.rng, territory.all, 1.15)

    def create_markets(self):
        rng, territory, shared = self.rng, self.territory, self.shared
        count = max(4, round(MARKETS * self.size))
        buyer_weights = [weight for _, _, weight in shared.buyers]
        types = list(MARKET_TYPE_WEIGHTS)
        type_weights = list(MARKET_TYPE_WEIGHTS.values())
        markets, lot_specs = [], []
        references = defaultdict(int)
        for number in range(count):
            # Every market type at least once, then the usual mix (about half services).
            market_type = types[number] if number < len(types) else weighted(rng, types, type_weights)
            templates = TEMPLATES[market_type]
            buyer, scope, _ = weighted(rng, shared.buyers, buyer_weights)
            if number < len(BuyerType.values) + len(types):  # every buyer type at least once
                wanted = BuyerType.values[(number - len(types)) % len(BuyerType.values)]
                buyer, scope, _ = rng.choice([b for b in shared.buyers if b[0].buyer_type == wanted])
            fitting = [t for t in templates if t[1] is None or buyer.buyer_type in t[1]]
            pattern, _, sector, lot_choices = rng.choice(fitting)
            commune = self.market_commune(buyer, scope)
            operation = None
            reserved_qpv = False
            if market_type == MarketType.WORKS and commune in self.anru_by_commune and rng.random() < 0.4:
                operation = self.anru_by_commune[commune]
                qpv_name = territory.qpvs_of[commune][0][1]
                pattern = rng.choice(
                    [
                        f"Démolition de {{n}} logements – quartier {qpv_name}",
                        f"Aménagement des espaces publics du quartier {qpv_name}",
                        f"Réhabilitation de {{n}} logements – quartier {qpv_name}",
                    ]
                )
                lot_choices = TEMPLATES[MarketType.WORKS][0][3]
                sector = "building"
                reserved_qpv = rng.random() < 0.4
            elif (
                market_type == MarketType.SERVICES
                and commune in self.gup_by_commune
                and sector
                in (
                    "cleaning",
                    "green",
                )
            ):
                operation = self.gup_by_commune[commune]
                reserved_qpv = True
            elif commune in self.other_operations and market_type == MarketType.WORKS and rng.random() < 0.3:
                operation = self.other_operations[commune]
            title = pattern.format(
                n=rng.choice([12, 24, 36, 48, 60, 72, 96, 120, 150]),
                residence=rng.choice(ref.RESIDENCES),
                commune=territory.name[commune],
                facility=rng.choice(ref.FACILITIES),
                street=rng.choice(ref.STREETS),
                buyer=buyer.name,
            )
            median, sigma, low, high, min_months, max_months = BASE_AMOUNT[market_type]
            amount = min(max(rng.lognormvariate(math.log(median), sigma), low), high)
            if market_type == MarketType.WORKS and rng.random() < 0.04:
                amount = rng.uniform(5_000_000, 12_000_000)  # a few large works
            # Starts spread over the last five years, with more just before the reported years so that
            # the activity is steady over them.
            recent, early = self.start_offsets
            start_offset = rng.randrange(*recent) if rng.random() < 0.6 else rng.randrange(*early)
            start = add_months(self.reference_month, start_offset) + timedelta(days=rng.randrange(0, 27))
            months = rng.randrange(min_months, max_months + 1)
            end = add_months(start.replace(day=1), months) + timedelta(days=start.day - 2)
            notified_on = start - timedelta(days=rng.randrange(20, 90))
            year = notified_on.year
            references[(buyer.pk, year)] += 1
            reference = f"{year}-{'TSFP'[types.index(market_type)]}{references[(buyer.pk, year)]:03d}"
            reference = f"{self.reference_prefix}{reference}"
            structure_index = self.structure_for(commune)
            market = Market(
                buyer=buyer,
                facilitator=self.structures[structure_index],
                operation=operation,
                reference=reference,
                title=title[:300],
                market_type=market_type,
                execution_commune_id=commune,
                notified_on=notified_on,
                start_date=start,
                end_date=end,
                amount_excl_vat=Decimal("0"),
            )
            markets.append(market)
            n_lots = (
                rng.choice([2, 3, 3, 4, 4]) if sector in ("building", "road", "steel") else rng.choice([1, 1, 2, 2, 3])
            )
            n_lots = min(n_lots, len(lot_choices)) if len(lot_choices) > 1 else n_lots
            chosen = rng.sample(lot_choices, n_lots) if len(lot_choices) >= n_lots else [lot_choices[0]] * n_lots
            shares = [rng.uniform(0.5, 1.5) for _ in range(n_lots)]
            total_share = sum(shares)
            lot_specs.append(
                (market, sector, structure_index, commune, reserved_qpv, amount, chosen, shares, total_share)
            )
        # Lots, clauses and their shape (hours per euro), before the amount scale is known.
        plans = []
        for market, sector, structure_index, commune, reserved_qpv, amount, chosen, shares, total in lot_specs:
            sectors = rng.sample(SECTORS, len(chosen))
            for number, ((lot_title, trade_name), share, sector_name) in enumerate(
                zip(chosen, shares, sectors, strict=True), start=1
            ):
                lot_start = market.start_date
                if sector in ("building", "steel") and number > 1 and rng.random() < 0.5:
                    lot_start = min(market.start_date + timedelta(days=rng.randrange(30, 200)), market.end_date)
                lot = Lot(
                    market=market,
                    number=number,
                    title=lot_title.format(sector=sector_name),
                    trade=self.trades.get(trade_name),
                    amount_excl_vat=Decimal(amount * share / total),  # provisional
                    start_date=lot_start,
                    end_date=market.end_date,
                )
                plans.append(self.plan_lot(lot, market, sector, structure_index, commune, reserved_qpv, amount))
        self.scale_amounts(plans)
        Market.objects.bulk_create(markets, batch_size=BATCH_SIZE)
        for plan in plans:
            plan.lot.market = plan.lot.market  # now saved: sets market_id and keeps the cached market
        Lot.objects.bulk_create([p.lot for p in plans], batch_size=BATCH_SIZE)
        clauses = []
        for plan in plans:
            if plan.clause is not None:
                plan.clause.lot = plan.lot
                clauses.append(plan.clause)
        Clause.objects.bulk_create(clauses, batch_size=BATCH_SIZE)
        self.lot_plans = [p for p in plans if p.clause is not None]
        self.counts.update(markets=len(markets), lots=len(plans), clauses=len(clauses))
        self.log(
            f"Territoire {self.repetition + 1} : {fr_number(len(markets))} marchés, {fr_number(len(plans))} lots, "
            f"{fr_number(len(clauses))} clauses sociales."
        )

    def plan_lot(self, lot, market, sector, structure_index, commune, reserved_qpv, market_amount) -> LotPlan:
        rng = self.rng
        mechanism = self.pick_mechanism(sector, market.market_type)
        clause = None
        if rng.random() < 0.95 or reserved_qpv:
            trade_share = lot.trade.default_labour_share if lot.trade else Decimal("0.5")
            rate = Decimal(rng.choice(["0.05", "0.05", "0.07", "0.07", "0.10"]))
            if sector in SOLIDARITY_SECTORS:
                rate = Decimal(rng.choice(["0.07", "0.10", "0.10", "0.12", "0.15"]))
            if mechanism == Mechanism.INSERTION_MARKET:
                rate = Decimal(rng.choice(["0.80", "0.90", "1.00"]))
            elif mechanism in (Mechanism.RESERVED_SIAE, Mechanism.RESERVED_EA_ESAT):
                rate = Decimal(rng.choice(["0.50", "0.60"]))
            if reserved_qpv and market.operation and market.operation.kind == OperationKind.GUP:
                rate = max(rate, Decimal("0.10"))
            clause = Clause(
                lot=lot,
                mechanism=mechanism,
                labour_share=trade_share,
                insertion_rate=rate,
                hourly_cost=Decimal(rng.choice(["25", "26", "28", "28", "30", "30"])),
                reserved_to_qpv_residents=reserved_qpv,
                counts_training_hours=rng.random() < 0.25,
                counts_outside_period=False,
                penalty_per_missing_hour=Decimal(rng.choice([30, 40, 50, 60])) if rng.random() < 0.3 else None,
                added_by_amendment=rng.random() < 0.03,
                eligible_criteria=[Criterion.QPV_RESIDENT] if reserved_qpv else [],
            )
            if sector == "cleaning" and rng.random() < 0.7:
                clause.calibration_method = CalibrationMethod.CLEANING
                clause.hourly_cost = CLEANING_COST
                clause.cleaning_duration_months = max(1, (lot.end_date - lot.start_date).days // 30)
                clause._remaining_share = Decimal(str(round(rng.uniform(0.45, 0.85), 2)))
            if reserved_qpv or (market.market_type == MarketType.WORKS and float(market_amount) > 5e6):
                clause.insertion_rate = max(clause.insertion_rate, Decimal(rng.choice(["0.07", "0.10"])))
            if rng.random() < 0.05:
                clause._override_factor = rng.uniform(0.8, 1.3)
                clause.override_reason = rng.choice(ref.OVERRIDE_REASONS)
        lot.contractor = self.pick_contractor(mechanism, commune)
        roll = rng.random()
        if roll < 0.08:
            factor = rng.uniform(0.3, 0.6)  # behind target
        elif roll < 0.16:
            factor = rng.uniform(1.08, 1.5)  # target exceeded
        else:
            factor = rng.uniform(0.8, 0.97)
        first = lot.start_date.replace(day=1)
        last = min(lot.end_date.replace(day=1), self.last_month)
        months = []
        current = first
        while current <= last:
            months.append(current)
            current = add_months(current, 1)
        total_months = month_index(lot.end_date) - month_index(lot.start_date) + 1
        return LotPlan(
            lot,
            clause,
            sector,
            market.market_type,
            structure_index,
            commune,
            months,
            total_months,
            factor,
            reserved_qpv,
        )

    def pick_mechanism(self, sector: str, market_type: str) -> str:
        if sector in SOLIDARITY_SECTORS:
            weights = {
                "execution_condition": 40,
                "award_criterion": 8,
                "insertion_market": 24,
                "reserved_siae": 16,
                "reserved_ea_esat": 12,
            }
        elif market_type == MarketType.WORKS:
            weights = {"execution_condition": 84, "award_criterion": 13, "insertion_market": 3}
        elif market_type == MarketType.SUPPLIES:
            weights = {"execution_condition": 78, "award_criterion": 12, "reserved_ea_esat": 10}
        elif market_type == MarketType.INTELLECTUAL:
            weights = {"execution_condition": 72, "award_criterion": 22, "reserved_ea_esat": 6}
        else:
            weights = {"execution_condition": 70, "award_criterion": 14, "insertion_market": 6, "reserved_siae": 10}
        return weighted(self.rng, list(weights), list(weights.values()))

    def pick_contractor(self, mechanism: str, commune: str) -> Organisation:
        shared = self.shared
        if mechanism in (Mechanism.INSERTION_MARKET, Mechanism.RESERVED_SIAE):
            pool = shared.insertion_by_type[InsertionType.ACI] + shared.insertion_by_type[InsertionType.EI]
        elif mechanism == Mechanism.RESERVED_EA_ESAT:
            pool = shared.insertion_by_type[InsertionType.EA] + shared.insertion_by_type[InsertionType.ESAT]
        else:
            pool = shared.companies
        return self.near(pool, commune)

    def near(self, pool: list[Organisation], commune: str) -> Organisation:
        department = self.territory.department[commune]
        close = [org for org in pool if self.territory.department.get(org.commune_id) == department]
        return self.rng.choice(close if close and self.rng.random() < 0.7 else pool)

    def scale_amounts(self, plans: list[LotPlan]):
        """Scale lot amounts so that the planned hours of the last full years match the regional volume.

        The hours a lot will log are its target × its achievement factor, spread evenly over its months; the
        target is proportional to the amount. One factor over all amounts keeps the mix of sizes.
        """
        full_year_months = {date(year, month, 1) for year in self.full_years for month in range(1, 13)}
        planned = 0.0
        for plan in plans:
            if plan.clause is None or not plan.months:
                continue
            per_euro = self.hours_per_euro(plan)
            in_window = sum(1 for m in plan.months if m in full_year_months)
            planned += float(plan.lot.amount_excl_vat) * per_euro * plan.factor * in_window / plan.total_months
        wanted = HOURS_PER_YEAR * self.size * len(self.full_years)
        self.amount_scale = wanted / planned if planned else 1.0
        for plan in plans:
            amount = (plan.lot.amount_excl_vat * Decimal(str(self.amount_scale))).quantize(Decimal("100"))
            plan.lot.amount_excl_vat = max(amount, Decimal("5000")).quantize(TWO)
        market_totals = defaultdict(Decimal)
        for plan in plans:
            market_totals[id(plan.lot.market)] += plan.lot.amount_excl_vat
        for plan in plans:
            plan.lot.market.amount_excl_vat = market_totals[id(plan.lot.market)]
            clause = plan.clause
            if clause is None:
                continue
            if clause.calibration_method == CalibrationMethod.CLEANING:
                months = Decimal(clause.cleaning_duration_months)
                clause.cleaning_taken_over_monthly_hours = (
                    (Decimal("1") - clause._remaining_share) * plan.lot.amount_excl_vat / months / CLEANING_COST
                ).quantize(TWO)
            clause.calibrated_hours, _ = clause.compute_calibration()
            if getattr(clause, "_override_factor", None):
                clause.override_hours = max(10, round(clause.calibrated_hours * clause._override_factor, -1))
        scale_text = f"{self.amount_scale:.2f}".replace(".", ",")
        self.log(f"Territoire {self.repetition + 1} : montants des lots calés (facteur {scale_text}).")

    @staticmethod
    def hours_per_euro(plan: LotPlan) -> float:
        clause = plan.clause
        if clause.calibration_method == CalibrationMethod.CLEANING:
            per_euro = float(clause._remaining_share * clause.insertion_rate / CLEANING_COST)
        else:
            per_euro = float(clause.labour_share * clause.insertion_rate / clause.hourly_cost)
        return per_euro * getattr(clause, "_override_factor", 1.0)

    # ---- placements and people

    def plan_placements(self) -> list[PlacementPlan]:
        rng = self.rng
        placements = []
        for plan in self.lot_plans:
            if not plan.months:
                continue
            target = plan.clause.override_hours or plan.clause.calibrated_hours
            budget = target * plan.factor * len(plan.months) / plan.total_months
            remaining = budget
            modalities, weights = self.modalities_for(plan)
            guard = 0
            while remaining > 8 and guard < 10_000:
                guard += 1
                modality = weighted(rng, modalities, weights)
                low, high, dmin, dmax = MODALITY_PROFILES[modality]
                monthly = rng.uniform(low, high)
                if rng.random() < 0.25 and high >= 151:
                    monthly = 151.67
                duration = rng.randint(dmin, dmax)
                start_index = rng.randrange(len(plan.months))
                months = plan.months[start_index : start_index + duration]
                needed = math.ceil(remaining / monthly) if monthly * len(months) > remaining else len(months)
                months = months[:needed]
                hours = [monthly] * len(months)
                if sum(hours) > remaining:
                    hours[-1] = max(remaining - monthly * (len(months) - 1), 7.0)
                remaining -= sum(hours)
                placements.append(self.make_placement(plan, modality, months, hours, duration))
        return placements

    def modalities_for(self, plan: LotPlan):
        mechanism = plan.clause.mechanism
        if mechanism == Mechanism.INSERTION_MARKET:
            return [Modality.INSERTION_MARKET], [1]
        if mechanism in (Mechanism.RESERVED_SIAE, Mechanism.RESERVED_EA_ESAT):
            return [Modality.RESERVED_MARKET], [1]
        weights = dict(CLASSIC_MODALITY_WEIGHTS)
        if plan.market_type in (MarketType.SUPPLIES, MarketType.INTELLECTUAL):
            weights[Modality.HIRE_CDD] *= 2
            weights[Modality.HIRE_APPRENTICESHIP] *= 2
            weights[Modality.EA_ESAT_SUBCONTRACT] *= 2
            weights[Modality.ETTI_MISSION] //= 2
        return list(weights), list(weights.values())

    def employer_for(self, plan: LotPlan, modality: str) -> Organisation:
        by_type = self.shared.insertion_by_type
        pools = {
            Modality.ETTI_MISSION: by_type[InsertionType.ETTI],
            Modality.AI_PROVISION: by_type[InsertionType.AI],
            Modality.GEIQ_PROVISION: by_type[InsertionType.GEIQ],
            Modality.TEMP_AGENCY: self.shared.temp_agencies,
            Modality.SIAE_SUBCONTRACT: by_type[InsertionType.EI] + by_type[InsertionType.ACI],
            Modality.EA_ESAT_SUBCONTRACT: by_type[InsertionType.EA] + by_type[InsertionType.ESAT],
        }
        if modality in pools:
            return self.near(pools[modality], plan.commune)
        return plan.lot.contractor

    def make_placement(self, plan, modality, months, hours, duration) -> PlacementPlan:
        rng = self.rng
        lot = plan.lot
        first, last = months[0], months[-1]
        start = max(first + timedelta(days=rng.choice([0, 0, 0, 2, 5, 9, 14])), lot.start_date)
        start = min(start, lot.end_date)
        intended_last = add_months(first, duration - 1)
        if last == self.last_month and intended_last > last:
            end = min(month_end(intended_last) - timedelta(days=rng.randrange(0, 5)), lot.end_date)
        else:
            end = min(month_end(last) - timedelta(days=rng.choice([0, 0, 0, 1, 3, 8])), lot.end_date)
        end = max(end, start)
        return PlacementPlan(
            lot_plan=plan,
            modality=modality,
            employer=self.employer_for(plan, modality),
            months=months,
            monthly_hours=hours,
            start_date=start,
            end_date=end,
            end_index=month_index(end),
        )

    def assign_people(self, placements: list[PlacementPlan]) -> list[Person]:
        """Give each placement a person, reusing people so that each full year counts about 2,600 participants.

        Placements are processed by start month; a person is free again once their placement has ended. For
        each year, a share of the placements starting that year brings a person not yet counted that year (a
        newcomer or someone returning), the others go to someone already counted that year.
        """
        rng = self.rng
        placements.sort(key=lambda p: (p.months[0], p.lot_plan.lot.market.reference, p.lot_plan.lot.number))
        people: list[Person] = []
        busy: list[tuple[int, int]] = []  # heap of (end month index, person)
        free_counted = defaultdict(list)  # structure -> people free and already counted this year
        free_other = defaultdict(list)
        starts_by_year = defaultdict(int)
        generated_by_year = defaultdict(float)
        for p in placements:
            starts_by_year[p.months[0].year] += 1
            for month, hours in zip(p.months, p.monthly_hours, strict=True):
                generated_by_year[month.year] += hours
        target = {}
        for year in starts_by_year:
            if year in self.full_years:
                target[year] = PARTICIPANTS_PER_YEAR * self.size
            elif year < self.full_years[0]:
                target[year] = generated_by_year[year] * PARTICIPANTS_PER_YEAR / HOURS_PER_YEAR
            elif self.last_month.year == year:  # the current year, up to last month
                target[year] = PARTICIPANTS_PER_YEAR * self.size * (0.3 + 0.7 * self.last_month.month / 12)
        counted = defaultdict(int)
        year, ratio, new_in_year, seen_in_year = None, 1.0, 0, 0

        def take(pool: list[int], accept) -> int | None:
            for _ in range(min(6, len(pool))):
                index = rng.randrange(len(pool))
                person = pool[index]
                if accept(person):
                    pool[index] = pool[-1]
                    pool.pop()
                    return person
            return None

        for p in placements:
            start_index = month_index(p.months[0])
            p_year = p.months[0].year
            if p_year != year:
                for structure, pool in free_counted.items():
                    free_other[structure].extend(pool)
                    pool.clear()
                year, new_in_year, seen_in_year = p_year, 0, 0
                if year in target:
                    ratio = max(0.0, min(1.0, (target[year] - counted[year]) / max(starts_by_year[year], 1)))
            while busy and busy[0][0] < start_index:
                _, person = heapq.heappop(busy)
                pool = free_counted if year in people[person].counted_years else free_other
                pool[people[person].structure_index].append(person)
            seen_in_year += 1
            plan = p.lot_plan
            ai_pair = (p.employer.pk, plan.lot.contractor.pk) if p.modality == Modality.AI_PROVISION else None

            def accept(person, plan=plan, ai_pair=ai_pair):
                candidate = people[person]
                if plan.reserved_qpv and candidate.qpv is None:
                    return False
                return ai_pair is None or ai_pair not in candidate.ai_pairs

            structure = plan.structure_index
            person = None
            if new_in_year < ratio * seen_in_year:
                if free_other[structure] and rng.random() < 0.45:
                    person = take(free_other[structure], accept)
            else:
                person = take(free_counted[structure], accept)
                if person is None:
                    person = take(free_other[structure], accept)
            if person is None:
                person = len(people)
                people.append(self.new_person(p))
            candidate = people[person]
            if year not in candidate.counted_years:
                new_in_year += 1
            p.beneficiary = person
            if ai_pair:
                candidate.ai_pairs.add(ai_pair)
            for month in p.months:
                if month.year not in candidate.counted_years:
                    candidate.counted_years.add(month.year)
                    counted[month.year] += 1
            heapq.heappush(busy, (p.end_index, person))
        return people

    def new_person(self, p: PlacementPlan) -> Person:
        rng, territory = self.rng, self.territory
        plan = p.lot_plan
        sex = Sex.FEMALE if rng.random() < WOMEN_SHARE.get(plan.sector, 0.25) else Sex.MALE
        roll = rng.random()
        if p.modality == Modality.HIRE_APPRENTICESHIP:
            age = rng.randint(17, 25)
        elif roll < 0.27:
            age = rng.randint(18, 25)
        elif roll < 0.83:
            age = rng.randint(26, 49)
        else:
            age = rng.randint(50, 63)
        birth = p.start_date - timedelta(days=age * 365 + rng.randrange(0, 360) + age // 4)
        qpv = None
        if plan.reserved_qpv:
            communes = (
                [plan.commune]
                if plan.commune in territory.qpvs_of
                else (
                    territory.qpv_communes_by_department.get(territory.department[plan.commune])
                    or sorted(territory.qpvs_of)
                )
            )
            commune = rng.choice(communes)
            qpv = rng.choice(territory.qpvs_of[commune])[0]
        else:
            epci = territory.epci.get(plan.commune)
            pool = (
                territory.by_epci[epci]
                if epci and rng.random() < 0.75
                else territory.by_department[territory.department[plan.commune]]
            )
            commune = territory.pick(rng, pool, 1.0)
            if territory.qpvs_of.get(commune) and rng.random() < 0.4:
                qpv = rng.choice(territory.qpvs_of[commune])[0]
        return Person(
            structure_index=plan.structure_index,
            sex=sex,
            birth_date=birth,
            commune=commune,
            qpv=qpv,
            first_start=p.start_date,
            counted_years=set(),
            ai_pairs=set(),
            trade_sector=plan.sector,
        )

    def rescale_hours(self, placements: list[PlacementPlan]):
        """Adjust monthly hours year by year so each full year totals the regional volume exactly enough."""
        totals = defaultdict(float)
        for p in placements:
            for month, hours in zip(p.months, p.monthly_hours, strict=True):
                totals[month.year] += hours
        wanted = dict.fromkeys(self.full_years, HOURS_PER_YEAR * self.size)
        elapsed = self.last_month.month if self.last_month.year == self.current_year else 0
        if elapsed:
            wanted[self.current_year] = HOURS_PER_YEAR * self.size * elapsed / 12
        factors = {year: wanted[year] / totals[year] for year in wanted if totals.get(year)}
        for p in placements:
            cap = 480.0 if p.modality == Modality.AI_PROVISION else None
            scaled = []
            for month, hours in zip(p.months, p.monthly_hours, strict=True):
                value = min(hours * factors.get(month.year, 1.0), 200.0)
                scaled.append(round(value, 2))
            if cap and sum(scaled) > cap:
                ratio = cap / sum(scaled) * 0.999
                scaled = [round(h * ratio, 2) for h in scaled]
            p.monthly_hours = scaled
        self.top_up(placements, wanted)
        self.year_factors = factors
        text = ", ".join(f"{year} : {factor:.2f}".replace(".", ",") for year, factor in sorted(factors.items()))
        self.log(f"Territoire {self.repetition + 1} : ajustement des heures par année ({text}).")

    @staticmethod
    def top_up(placements: list[PlacementPlan], wanted: dict[int, float]):
        """Give back what the 200 h monthly cap and the AI cap took, on the months still below the cap.

        A year whose activity is thin (few lots running) needs a large factor, which the caps clip: the
        missing hours go to the other months of the year (AI provisions left alone), in at most 3 passes.
        """
        for _ in range(3):
            totals, room = defaultdict(float), defaultdict(float)
            for p in placements:
                for month, hours in zip(p.months, p.monthly_hours, strict=True):
                    totals[month.year] += hours
                    if hours < 200 and p.modality != Modality.AI_PROVISION:
                        room[month.year] += hours
            factors = {
                year: 1 + (target - totals[year]) / room[year]
                for year, target in wanted.items()
                if room.get(year) and target - totals[year] > 0.0005 * target
            }
            if not factors:
                return
            for p in placements:
                if p.modality == Modality.AI_PROVISION:
                    continue
                p.monthly_hours = [
                    round(min(hours * factors[month.year], 200.0), 2)
                    if month.year in factors and hours < 200
                    else hours
                    for month, hours in zip(p.months, p.monthly_hours, strict=True)
                ]

    # ---- writing people, placements, hours

    def write(self, placements: list[PlacementPlan], people: list[Person]):
        rng = self.rng
        # Beneficiaries and their criteria.
        beneficiaries = []
        criteria_by_person: list[dict[str, date]] = []
        criteria_rows = []
        for index, person in enumerate(people):
            structure = self.structures[person.structure_index]
            female = person.sex == Sex.FEMALE
            age = (person.first_start - person.birth_date).days // 365
            qualification = weighted(rng, QualificationLevel.values, [38, 34, 18, 10] if age >= 26 else [45, 35, 15, 5])
            prescriber = self.pick_prescriber(age, person)
            job_seeker_since = (
                person.first_start - timedelta(days=rng.randrange(60, 1500)) if rng.random() < 0.85 else None
            )
            beneficiaries.append(
                {
                    "structure_id": structure.pk,
                    "last_name": rng.choice(ref.LAST_NAMES),
                    "first_name": rng.choice(ref.FIRST_NAMES_F if female else ref.FIRST_NAMES_M),
                    "sex": person.sex,
                    "birth_date": person.birth_date,
                    "address": f"{rng.randrange(1, 120)} {rng.choice(ref.STREETS)}",
                    "commune_id": person.commune,
                    "qpv_id": person.qpv,
                    "qpv_source": QpvSource.ENTERED if person.qpv else "",
                    "prescriber_type": prescriber,
                    "prescriber_name": f"{ref.PRESCRIBER_LABELS[prescriber]} {self.territory.name[person.commune]}",
                    "qualification_level": qualification,
                    "job_seeker_since": job_seeker_since,
                }
            )
            held = self.pick_criteria(person, age, qualification, job_seeker_since)
            validated = {}
            facilitators = self.facilitators[person.structure_index]
            for criterion, evidence in held:
                late = rng.random() < 0.04
                day = person.first_start + timedelta(days=rng.randrange(5, 60) if late else -rng.randrange(0, 45))
                validated[criterion] = day
                criteria_rows.append(
                    (
                        index,
                        criterion,
                        day,
                        rng.choice(facilitators),
                        evidence,
                        rng.choice(ref.DEROGATION_REASONS) if criterion == Criterion.DEROGATION else "",
                    )
                )
            criteria_by_person.append(validated)
        beneficiary_ids = []
        for start in range(0, len(beneficiaries), BATCH_SIZE):
            beneficiary_ids += insert_rows(Beneficiary, beneficiaries[start : start + BATCH_SIZE])
        insert_rows(
            BeneficiaryCriterion,
            [
                {
                    "beneficiary_id": beneficiary_ids[index],
                    "criterion": criterion,
                    "validated_on": day,
                    "validated_by_id": user.pk,
                    "evidence_type": evidence,
                    "derogation_reason": reason,
                }
                for index, criterion, day, user, evidence, reason in criteria_rows
            ],
        )
        self.counts.update(beneficiaries=len(beneficiaries), criteria=len(criteria_rows))
        self.log(
            f"Territoire {self.repetition + 1} : {fr_number(len(beneficiaries))} participant·es, "
            f"{fr_number(len(criteria_rows))} critères d'éligibilité validés."
        )
        # Placements with their frozen publics, in batches, then their hours and outcomes.
        written = 0
        for start in range(0, len(placements), BATCH_SIZE):
            batch = placements[start : start + BATCH_SIZE]
            rows = []
            for p in batch:
                person = people[p.beneficiary]
                publics = frozen_publics(
                    start_date=p.start_date,
                    sex=person.sex,
                    birth_date=person.birth_date,
                    lives_in_qpv=person.qpv is not None,
                    criteria_validated_on=criteria_by_person[p.beneficiary],
                )
                rows.append(
                    {
                        "beneficiary_id": beneficiary_ids[p.beneficiary],
                        "lot_id": p.lot_plan.lot.pk,
                        "employer_id": p.employer.pk,
                        "modality": p.modality,
                        "start_date": p.start_date,
                        "end_date": p.end_date,
                        "job_title": self.job_title(p),
                        "age_at_start": publics.age_at_start,
                        "is_woman": publics.is_woman,
                        "is_youth": publics.is_youth,
                        "is_senior": publics.is_senior,
                        "is_qpv_resident": publics.is_qpv_resident,
                        "is_rqth": publics.is_rqth,
                        "is_long_term_job_seeker": publics.is_long_term_job_seeker,
                        "is_rsa": publics.is_rsa,
                        "qpv_at_start_id": person.qpv,  # the residence at the start, frozen like the publics
                    }
                )
            rows = insert_rows(Placement, rows)
            self.write_hours(batch, rows)
            self.write_outcomes(batch, rows)
            written += len(rows)
            self.log(f"Territoire {self.repetition + 1} : {fr_number(written)} contrats / missions écrits.")
        self.counts["placements"] = len(placements)

    def pick_prescriber(self, age: int, person: Person) -> str:
        if age < 26:
            weights = {"mission_locale": 60, "france_travail": 20, "plie": 8, "siae": 5, "justice": 2, "other": 5}
        else:
            weights = {
                "france_travail": 42,
                "plie": 18,
                "cap_emploi": 6,
                "siae": 10,
                "department": 10,
                "ccas": 5,
                "mdph": 2,
                "justice": 2,
                "other": 5,
            }
        return weighted(self.rng, list(weights), list(weights.values()))

    def pick_criteria(self, person: Person, age: int, qualification: str, job_seeker_since) -> list:
        rng = self.rng
        held = []
        if job_seeker_since is not None:
            months = (person.first_start - job_seeker_since).days / 30.44
            if months >= 24:
                held.append((Criterion.VERY_LONG_TERM_JOB_SEEKER, EvidenceType.FRANCE_TRAVAIL_CERTIFICATE))
            elif months >= 12:
                held.append((Criterion.LONG_TERM_JOB_SEEKER, EvidenceType.FRANCE_TRAVAIL_CERTIFICATE))
        if age >= 25 and rng.random() < 0.26:
            held.append((Criterion.RSA, EvidenceType.CAF_CERTIFICATE))
        if rng.random() < 0.05:
            held.append((Criterion.ASS, EvidenceType.FRANCE_TRAVAIL_CERTIFICATE))
        if rng.random() < 0.08:
            held.append((Criterion.RQTH, EvidenceType.MDPH_DECISION))
            if rng.random() < 0.3:
                held.append((Criterion.AAH, EvidenceType.CAF_CERTIFICATE))
        if age >= 30 and rng.random() < 0.01:
            held.append((Criterion.INVALIDITY, EvidenceType.PENSION_CERTIFICATE))
        if age < 26 and qualification in (QualificationLevel.BELOW_3, QualificationLevel.LEVEL_3):
            held.append((Criterion.YOUTH_LOW_QUALIFICATION, EvidenceType.SCHOOL_CERTIFICATE))
            if rng.random() < 0.06:
                held.append((Criterion.EPIDE_E2C, EvidenceType.SCHOOL_CERTIFICATE))
        if age >= 50 and job_seeker_since is not None:
            held.append((Criterion.SENIOR_JOB_SEEKER, EvidenceType.FRANCE_TRAVAIL_CERTIFICATE))
        if person.qpv:
            held.append((Criterion.QPV_RESIDENT, EvidenceType.ID_AND_ADDRESS))
        if rng.random() < 0.1:
            held.append((Criterion.SIAE_GEIQ_EMPLOYEE, EvidenceType.EMPLOYER_CERTIFICATE))
        if rng.random() < 0.02:
            held.append((Criterion.JUSTICE, EvidenceType.JUSTICE_CERTIFICATE))
        if not held or rng.random() < 0.015:
            held.append((Criterion.DEROGATION, EvidenceType.PRESCRIBER_OPINION))
        return held

    JOB_TITLES = {
        "building": [
            "Manœuvre bâtiment",
            "Aide-maçon",
            "Peintre en bâtiment",
            "Ouvrier·e polyvalent·e",
            "Aide-plombier",
            "Aide-électricien·ne",
            "Plaquiste",
        ],
        "road": ["Ouvrier·e VRD", "Manœuvre travaux publics", "Canalisateur·rice"],
        "steel": ["Monteur·se en charpente", "Manœuvre"],
        "cleaning": ["Agent·e de propreté", "Agent·e d'entretien"],
        "green": ["Agent·e d'espaces verts", "Jardinier·e"],
        "waste": ["Ripeur·se", "Agent·e de tri"],
        "catering": ["Commis de cuisine", "Agent·e de restauration"],
        "laundry": ["Agent·e de blanchisserie"],
        "security": ["Agent·e de sécurité"],
        "moving": ["Déménageur·se", "Manutentionnaire"],
        "supplies": ["Préparateur·rice de commandes", "Magasinier·e"],
        "studies": ["Assistant·e d'études", "Dessinateur·rice"],
        "it": ["Technicien·ne de support", "Opérateur·rice de numérisation"],
    }

    def job_title(self, p: PlacementPlan) -> str:
        return self.rng.choice(self.JOB_TITLES.get(p.lot_plan.sector, ["Agent·e polyvalent·e"]))

    def write_hours(self, batch: list[PlacementPlan], rows: list[int]):
        rng = self.rng
        records = []
        last_month = self.last_month
        current_year = self.current_year
        for p, placement in zip(batch, rows, strict=True):
            plan = p.lot_plan
            clause = plan.clause
            facilitators = self.facilitators[plan.structure_index]
            converted = p.modality == Modality.SIAE_SUBCONTRACT and rng.random() < 0.35
            trains = p.modality in (Modality.HIRE_APPRENTICESHIP, Modality.HIRE_PROFESSIONALISATION) or (
                p.modality == Modality.GEIQ_PROVISION and rng.random() < 0.5
            )
            for month, hours in zip(p.months, p.monthly_hours, strict=True):
                value = q2(hours)
                invoiced = None
                if converted:
                    invoiced = q2(value * clause.hourly_cost / clause.labour_share)
                    value = convert_invoiced_amount(
                        invoiced_excl_vat=invoiced, labour_share=clause.labour_share, hourly_cost=clause.hourly_cost
                    )
                training = Decimal("0")
                if trains and rng.random() < 0.6:
                    training = min(q2(rng.choice([7, 14, 21, 28, 35])), Decimal("220") - value)
                status, reviewer, reviewed_at, reason = HoursStatus.VALIDATED, rng.choice(facilitators), None, ""
                if month.year == current_year:
                    roll = rng.random()
                    if month == last_month and roll < 0.35:
                        status, reviewer = HoursStatus.DECLARED, None
                    elif roll < 0.012:
                        status, reason = HoursStatus.REJECTED, rng.choice(ref.REJECTION_REASONS)
                if reviewer is not None:
                    reviewed_at = aware(
                        min(month_end(month) + timedelta(days=rng.randrange(3, 20)), self.reference_month)
                    )
                records.append(
                    {
                        "placement_id": placement,
                        "month": month,
                        "hours": value,
                        "training_hours": training,
                        "invoiced_amount_excl_vat": invoiced,
                        "is_converted": converted,
                        "status": status,
                        "source": HoursSource.DEMO,
                        "declared_by_id": rng.choice(facilitators).pk,
                        "reviewed_by_id": reviewer.pk if reviewer else None,
                        "reviewed_at": reviewed_at,
                        "rejection_reason": reason,
                    }
                )
                if status == HoursStatus.VALIDATED:
                    self.validated_by_year[month.year] += value
        insert_rows(HoursRecord, records)
        self.counts["hours_records"] += len(records)

    def write_outcomes(self, batch: list[PlacementPlan], rows: list[int]):
        rng = self.rng
        results = list(OUTCOME_WEIGHTS)
        weights = [at_end for at_end, _later in OUTCOME_WEIGHTS.values()]
        later_weights = [later for _at_end, later in OUTCOME_WEIGHTS.values()]
        outcomes = []
        today = self.reference_month
        for p, placement in zip(batch, rows, strict=True):
            if p.end_date >= today - timedelta(days=15) or rng.random() > 0.85:
                continue
            outcomes.append(
                {
                    "placement_id": placement,
                    "stage": OutcomeStage.AT_END,
                    "result": weighted(rng, results, weights),
                    "observed_on": min(p.end_date + timedelta(days=rng.randrange(0, 15)), today),
                }
            )
            six_months = add_months(p.end_date.replace(day=1), 6)
            if six_months < today and rng.random() < 0.6:
                outcomes.append(
                    {
                        "placement_id": placement,
                        "stage": OutcomeStage.AFTER_6_MONTHS,
                        "result": weighted(rng, results, later_weights),
                        "observed_on": six_months + timedelta(days=rng.randrange(0, 20)),
                    }
                )
        insert_rows(Outcome, outcomes)
        self.counts["outcomes"] += len(outcomes)

    def run(self):
        self.create_structures()
        self.create_operations()
        self.create_markets()
        placements = self.plan_placements()
        people = self.assign_people(placements)
        self.rescale_hours(placements)
        self.write(placements, people)
        self.log(
            f"Territoire {self.repetition + 1} : {fr_number(self.counts['hours_records'])} relevés d'heures, "
            f"{fr_number(self.counts['outcomes'])} sorties."
        )


# --------------------------------------------------------------------------------------------------------------
# Entry point


def ensure_territories(log: Callable[[str], None] = print) -> None:
    """Load the region's communes and its official QPV 2024 (with their outlines) when they are missing."""
    from django.core.management import call_command

    from territories.loaders import load_official_qpv

    if not Commune.objects.exists():
        log("Chargement des territoires…")
        call_command("load_territories")
    elif not Commune.objects.filter(department__region_id=ref.REGION_CODE).exists():
        log("Chargement des territoires de Bourgogne-Franche-Comté…")
        call_command("load_territories", region=ref.REGION_CODE)
    region_communes = Commune.objects.filter(department__region_id=ref.REGION_CODE)
    if not Qpv.objects.filter(official=True, communes__in=region_communes).exists():
        log("Chargement des quartiers prioritaires officiels 2024…")
        load_official_qpv(commune_codes=set(region_communes.values_list("code", flat=True)))


def create_demo_accounts(shared: Shared):
    """Accounts that are not facilitators of a structure (those are created with the structures)."""
    dijon = next(org for org, *_ in shared.buyers if org.name == "Ville de Dijon")
    buyer_user = User(
        email=f"acheteur@{DEMO_DOMAIN}", first_name="Claude", last_name="Bernard", password=shared.password_hash
    )
    coordination_user = User(
        email=f"coordination@{DEMO_DOMAIN}", first_name="Alix", last_name="Fournier", password=shared.password_hash
    )
    admin = User(
        email=f"admin@{DEMO_DOMAIN}",
        first_name="Morgan",
        last_name="Petit",
        password=shared.password_hash,
        is_staff=True,
        is_superuser=True,
    )
    User.objects.bulk_create([buyer_user, coordination_user, admin])
    Membership.objects.bulk_create(
        [
            Membership(user=buyer_user, organisation=dijon, role=Role.MEMBER),
            Membership(user=coordination_user, organisation=shared.coordination, role=Role.MEMBER),
        ]
    )


DEMO_DECP = Path(__file__).resolve().parent / "data" / "decp_demo.json"


# The buyers of the demo DECP file are demo buyers: their SIRET in the file is replaced by the one the seed drew.
DEMO_DECP_BUYERS = {
    "21210231300013": "Ville de Dijon",
    "21250056500016": "Ville de Besançon",
    "21710076700011": "Ville de Chalon-sur-Saône",
    "22890001500014": "Département de l'Yonne",
}


def load_demo_decp(*, today: date, log: Callable[[str], None] = print):
    """The made-up published markets of the region (DECP 2.0), so that "Marchés à suivre" has content."""
    import io
    import json

    from markets.decp import import_decp

    data = json.loads(DEMO_DECP.read_text(encoding="utf-8"))
    sirets = dict(
        Organisation.objects.filter(kind=OrganisationKind.BUYER, name__in=DEMO_DECP_BUYERS.values())
        .exclude(siret="")
        .values_list("name", "siret")
    )
    for record in data["marches"]["marche"]:
        name = DEMO_DECP_BUYERS.get(record["acheteur"]["id"])
        if name in sirets:
            record["acheteur"]["id"] = sirets[name]
    report = import_decp(io.BytesIO(json.dumps(data).encode()), today=today)
    log(f"Marchés publiés (DECP) de démonstration : {report.summary()}")
    return report


PUBLISHED_YEARS = 5


def publish_demo_reports(*, today: date, log: Callable[[str], None] = print) -> list[int]:
    """The demo coordination publishes the yearly reports of its région's last complete years (at most five),
    through the same service as « Publier ce bilan », so that the public page (/public/<région>/) shows figures
    from the first `make run`; the current year is left for the coordinator to publish."""
    coordinator = User.objects.get(email=f"coordination@{DEMO_DOMAIN}")
    coordination = Organisation.objects.select_related("region").get(
        kind=OrganisationKind.COORDINATION, memberships__user=coordinator
    )
    region = coordination.region
    if connection.vendor == "postgresql":
        # Rows bulk-inserted in this transaction have no statistics yet: the report's joins would be planned blind.
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    years = sorted(
        set(
            PlacementYear.objects.filter(region=region, year__lt=today.year)
            .order_by()
            .values_list("year", flat=True)
            .distinct()
        )
    )[-PUBLISHED_YEARS:]
    for year in years:
        publication.publish(
            user=coordinator,
            year=year,
            region=region,
            meta={
                "title": f"Bilan annuel {year} des clauses sociales d'insertion",
                "subtitle": coordination.name,
                "filters": [],
            },
        )
    if years:
        log(
            f"Bilans publiés par la coordination : {', '.join(map(str, years))} (page publique : /public/{region.pk}/)."
        )
    return years


def seed_demo(
    *, scale: int = 1, today: date | None = None, size: float = 1.0, log: Callable[[str], None] = print
) -> SeedSummary:
    """Write the demo region unless it is already there. `size` shrinks one repetition (tests only)."""
    if scale < 1:
        raise ValueError("L'échelle doit être un entier supérieur ou égal à 1.")
    ensure_territories(log)
    if demo_is_present():
        log("Les données de démonstration sont déjà présentes : rien n'est modifié.")
        return SeedSummary(created=False)
    today = today or date.today()
    with transaction.atomic():
        territory = Territory()
        shared = create_shared(random.Random(SEED), territory, log)  # noqa: S311
        validated = defaultdict(Decimal)
        totals = defaultdict(int)
        for repetition in range(scale):
            seeder = TerritorySeeder(
                shared=shared, territory=territory, repetition=repetition, today=today, size=size, log=log
            )
            seeder.run()
            if repetition == 0:
                create_demo_accounts(shared)
                load_demo_decp(today=today, log=log)
            for year, hours in seeder.validated_by_year.items():
                validated[year] += hours
            for key, value in seeder.counts.items():
                totals[key] += value
        portal = seed_company_portal(today=today, password=DEMO_PASSWORD, log=log)
        for year, hours in (portal.validated_delta_by_year if portal else {}).items():
            validated[year] += hours
        log("Calcul de la synthèse annuelle des contrats (tables des bilans)…")
        summary.rebuild()
        publish_demo_reports(today=today, log=log)
    return SeedSummary(
        created=True,
        organisations=Organisation.objects.count(),
        markets=totals["markets"],
        lots=totals["lots"],
        beneficiaries=totals["beneficiaries"],
        placements=totals["placements"],
        hours_records=totals["hours_records"],
        validated_hours_by_year=dict(sorted(validated.items())),
    )
