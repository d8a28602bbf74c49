"""Indicator queries (DOMAIN.md §8): one function per indicator table.

Every function takes an already scoped queryset (what the viewer may see, e.g.
`HoursRecord.objects.visible_to(user)`) and a period, runs one SQL query (or a fixed few) with conditional
aggregates, and returns frozen dataclasses. Counting rules live here and only here:

- only validated hours records whose month falls in the year count;
- training hours count only where the lot's clause says so;
- people, contracts, companies, markets and buyers are counted distinct.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.conf import settings
from django.db.models import Case, Count, DecimalField, F, OuterRef, Q, QuerySet, Subquery, Sum, Value, When
from django.db.models.functions import Coalesce

from beneficiaries.choices import HoursStatus, Modality
from beneficiaries.models import HoursRecord
from clauses import calculations as clause_calculations
from clauses.models import Clause, Mechanism
from markets.models import Lot, Market, MarketType
from organisations.models import BuyerType
from reporting.calculations import fte

ZERO = Decimal("0")
HOURS_FIELD = DecimalField(max_digits=14, decimal_places=2)

# Hours of one record that count toward the clause: training hours only where the clause says so.
COUNTED_HOURS = F("hours") + Case(
    When(placement__lot__clause__counts_training_hours=True, then=F("training_hours")),
    default=Value(ZERO),
    output_field=HOURS_FIELD,
)


def _sum_hours(condition: Q | None = None):
    return Coalesce(
        Sum(COUNTED_HOURS, filter=condition, output_field=HOURS_FIELD), Value(ZERO), output_field=HOURS_FIELD
    )


def _count_people(condition: Q | None = None):
    return Count("placement__beneficiary", distinct=True, filter=condition)


def year_bounds(year: int) -> tuple[date, date]:
    return date(year, 1, 1), date(year, 12, 1)


def counted_records(records: QuerySet[HoursRecord], *, year: int | None = None) -> QuerySet[HoursRecord]:
    """Validated records, within the year when one is given."""
    records = records.filter(status=HoursStatus.VALIDATED)
    if year is not None:
        first, last = year_bounds(year)
        records = records.filter(month__gte=first, month__lte=last)
    return records


@dataclass(frozen=True)
class ReportFilters:
    """Optional narrowing of a report (coordinator's filters)."""

    department: str | None = None
    buyer_type: str | None = None
    market_type: str | None = None
    region: str | None = None

    def apply_to_records(self, records: QuerySet[HoursRecord]) -> QuerySet[HoursRecord]:
        return records.filter(**self._lookups("placement__lot__market__"))

    def apply_to_markets(self, markets: QuerySet[Market]) -> QuerySet[Market]:
        return markets.filter(**self._lookups(""))

    def _lookups(self, prefix: str) -> dict[str, str]:
        lookups = {}
        if self.department:
            lookups[f"{prefix}execution_commune__department_id"] = self.department
        if self.region:
            lookups[f"{prefix}execution_commune__department__region_id"] = self.region
        if self.buyer_type:
            lookups[f"{prefix}buyer__buyer_type"] = self.buyer_type
        if self.market_type:
            lookups[f"{prefix}market_type"] = self.market_type
        return lookups


# --- Summary -----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Summary:
    hours: Decimal
    fte: Decimal
    participants: int
    contracts: int
    companies: int
    markets: int
    buyers: int


def summary(records: QuerySet[HoursRecord], *, year: int | None) -> Summary:
    """Hours, FTE and distinct participants, contracts, companies, markets and buyers (one query)."""
    row = counted_records(records, year=year).aggregate(
        hours=_sum_hours(),
        participants=_count_people(),
        contracts=Count("placement", distinct=True),
        companies=Count("placement__lot__contractor", distinct=True),
        markets=Count("placement__lot__market", distinct=True),
        buyers=Count("placement__lot__market__buyer", distinct=True),
    )
    hours = row["hours"] or ZERO
    return Summary(
        hours=hours,
        fte=fte(hours, hours_per_fte=settings.CLAUSIER_FTE_HOURS),
        participants=row["participants"],
        contracts=row["contracts"],
        companies=row["companies"],
        markets=row["markets"],
        buyers=row["buyers"],
    )


# --- Publics -----------------------------------------------------------------------------------------------

PUBLICS: tuple[tuple[str, str, str], ...] = (
    ("women", "Femmes", "placement__is_woman"),
    ("youth", "Jeunes de moins de 26 ans", "placement__is_youth"),
    ("seniors", "Seniors de 50 ans et plus", "placement__is_senior"),
    ("qpv", "Habitant·es des QPV", "placement__is_qpv_resident"),
    ("rqth", "Travailleur·ses handicapé·es (RQTH)", "placement__is_rqth"),
    ("long_term", "Demandeur·ses d'emploi de longue durée", "placement__is_long_term_job_seeker"),
    ("rsa", "Allocataires du RSA", "placement__is_rsa"),
)


@dataclass(frozen=True)
class PublicRow:
    code: str
    label: str
    hours: Decimal
    participants: int
    hours_share: Decimal | None  # share of all counted hours, 0–1
    participants_share: Decimal | None


def by_public(records: QuerySet[HoursRecord], *, year: int | None) -> list[PublicRow]:
    """Hours and participants per public, frozen at placement start (one query)."""
    aggregates = {"total_hours": _sum_hours(), "total_people": _count_people()}
    for code, _label, flag in PUBLICS:
        condition = Q(**{flag: True})
        aggregates[f"{code}_hours"] = _sum_hours(condition)
        aggregates[f"{code}_people"] = _count_people(condition)
    row = counted_records(records, year=year).aggregate(**aggregates)
    total_hours, total_people = row["total_hours"] or ZERO, row["total_people"]
    return [
        PublicRow(
            code=code,
            label=label,
            hours=row[f"{code}_hours"] or ZERO,
            participants=row[f"{code}_people"],
            hours_share=_share(row[f"{code}_hours"] or ZERO, total_hours),
            participants_share=_share(Decimal(row[f"{code}_people"]), Decimal(total_people)),
        )
        for code, label, _flag in PUBLICS
    ]


def _share(part: Decimal, whole: Decimal) -> Decimal | None:
    if not whole:
        return None
    return (Decimal(part) / Decimal(whole)).quantize(Decimal("0.0001"))


# --- Dimensions --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Dimension:
    code: str
    title: str
    key: str  # lookup from HoursRecord
    label: str | None = None  # lookup of a name column, or None to use `choices`
    choices: dict[str, str] = field(default_factory=dict)


DIMENSIONS: tuple[Dimension, ...] = (
    Dimension(
        "department",
        "Département",
        "placement__lot__market__execution_commune__department_id",
        "placement__lot__market__execution_commune__department__name",
    ),
    Dimension(
        "epci",
        "EPCI",
        "placement__lot__market__execution_commune__epci_id",
        "placement__lot__market__execution_commune__epci__name",
    ),
    Dimension("qpv", "QPV de résidence", "placement__qpv_at_start_id", "placement__qpv_at_start__name"),
    Dimension("market_type", "Type de marché", "placement__lot__market__market_type", choices=dict(MarketType.choices)),
    Dimension(
        "buyer_type", "Type d'acheteur", "placement__lot__market__buyer__buyer_type", choices=dict(BuyerType.choices)
    ),
    Dimension("modality", "Modalité", "placement__modality", choices=dict(Modality.choices)),
    Dimension("mechanism", "Mécanisme juridique", "placement__lot__clause__mechanism", choices=dict(Mechanism.choices)),
)
DIMENSIONS_BY_CODE = {dimension.code: dimension for dimension in DIMENSIONS}
UNKNOWN_LABEL = "Non renseigné"


@dataclass(frozen=True)
class DimensionRow:
    key: str | None
    label: str
    hours: Decimal
    participants: int
    contracts: int


def by_dimension(records: QuerySet[HoursRecord], *, year: int | None, dimension: str) -> list[DimensionRow]:
    """Hours, participants and contracts per value of one dimension, most hours first (one query)."""
    spec = DIMENSIONS_BY_CODE[dimension]
    columns = [spec.key] + ([spec.label] if spec.label else [])
    rows = (
        counted_records(records, year=year)
        .values(*columns)
        .annotate(hours=_sum_hours(), participants=_count_people(), contracts=Count("placement", distinct=True))
        .order_by("-hours", spec.key)
    )
    result = []
    for row in rows:
        key = row[spec.key]
        if key is None:
            label = UNKNOWN_LABEL
        elif spec.label:
            label = row[spec.label]
        else:
            label = spec.choices.get(key, key)
        result.append(DimensionRow(key, label, row["hours"], row["participants"], row["contracts"]))
    return result


# --- Markets notified in the year ----------------------------------------------------------------------------


@dataclass(frozen=True)
class NotifiedMarkets:
    markets: int
    lots: int
    target_hours: int


def notified_markets(markets: QuerySet[Market], *, year: int) -> NotifiedMarkets:
    """Markets notified in the year that carry at least one clause, and their total target hours."""
    clauses = Clause.objects.filter(lot__market__in=markets, lot__market__notified_on__year=year)
    row = clauses.aggregate(
        markets=Count("lot__market", distinct=True),
        lots=Count("lot", distinct=True),
        target_hours=Coalesce(Sum("target_hours"), Value(0)),
    )
    return NotifiedMarkets(markets=row["markets"], lots=row["lots"], target_hours=row["target_hours"])


# --- Monthly series ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class MonthPoint:
    month: date
    hours: Decimal


def monthly_hours(records: QuerySet[HoursRecord], *, year: int | None = None) -> list[MonthPoint]:
    rows = counted_records(records, year=year).values("month").annotate(hours=_sum_hours()).order_by("month")
    return [MonthPoint(row["month"], row["hours"]) for row in rows]


# --- Progress of lots toward their targets -----------------------------------------------------------------


@dataclass(frozen=True)
class LotProgress:
    lot: Lot
    target_hours: int
    achieved_hours: Decimal
    rate: Decimal | None
    status: str
    projected_hours: Decimal

    @property
    def status_label(self) -> str:
        return clause_calculations.TargetStatus.LABELS[self.status]


def achieved_hours_subquery():
    """Validated counted hours of a lot, all years (to annotate a Lot queryset)."""
    per_lot = (
        HoursRecord.objects.filter(placement__lot=OuterRef("pk"), status=HoursStatus.VALIDATED)
        .order_by()
        .values("placement__lot")
        .annotate(total=Sum(COUNTED_HOURS, output_field=HOURS_FIELD))
        .values("total")
    )
    return Coalesce(Subquery(per_lot, output_field=HOURS_FIELD), Value(ZERO), output_field=HOURS_FIELD)


def lots_progress(lots: QuerySet[Lot], *, today: date) -> list[LotProgress]:
    """Target, validated hours to date, rate, status and projection of each lot carrying a clause.

    One query. Lots at risk (behind) come first, then by rate.
    """
    rows = (
        lots.filter(clause__isnull=False)
        .select_related("market", "market__buyer", "contractor", "clause")
        .annotate(achieved=achieved_hours_subquery())
    )
    return sort_at_risk_first(progress_of(lot, today=today) for lot in rows)


def progress_of(lot: Lot, *, today: date) -> LotProgress:
    """Progress of a lot annotated with `achieved` (see achieved_hours_subquery)."""
    target = lot.clause.target_hours or 0
    achieved = lot.achieved
    return LotProgress(
        lot=lot,
        target_hours=target,
        achieved_hours=achieved,
        rate=clause_calculations.achievement_rate(achieved_hours=achieved, target_hours=target),
        status=clause_calculations.target_status(
            achieved_hours=achieved, target_hours=target, start=lot.start_date, end=lot.end_date, today=today
        ),
        projected_hours=clause_calculations.projected_hours(
            achieved_hours=achieved, start=lot.start_date, end=lot.end_date, today=today
        ),
    )


STATUS_ORDER = {
    clause_calculations.TargetStatus.BEHIND: 0,
    clause_calculations.TargetStatus.ON_TRACK: 1,
    clause_calculations.TargetStatus.ACHIEVED: 2,
    clause_calculations.TargetStatus.NO_TARGET: 3,
}


def sort_at_risk_first(progress: Iterable[LotProgress]) -> list[LotProgress]:
    return sorted(progress, key=lambda item: (STATUS_ORDER[item.status], item.rate or ZERO, item.lot.pk))


# --- The yearly report ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class YearlyReport:
    year: int
    summary: Summary
    previous_summary: Summary
    publics: list[PublicRow]
    previous_publics: list[PublicRow]
    breakdowns: dict[str, list[DimensionRow]]
    previous_breakdowns: dict[str, list[DimensionRow]]
    notified: NotifiedMarkets
    previous_notified: NotifiedMarkets
    monthly: list[MonthPoint]
    previous_monthly: list[MonthPoint]


def yearly_report(
    *,
    records: QuerySet[HoursRecord],
    markets: QuerySet[Market],
    year: int,
    filters: ReportFilters | None = None,
) -> YearlyReport:
    """Every indicator of DOMAIN.md §8 for a year and the previous one, over a perimeter. Fixed query count."""
    if filters is not None:
        records = filters.apply_to_records(records)
        markets = filters.apply_to_markets(markets)
    return YearlyReport(
        year=year,
        summary=summary(records, year=year),
        previous_summary=summary(records, year=year - 1),
        publics=by_public(records, year=year),
        previous_publics=by_public(records, year=year - 1),
        breakdowns={
            dimension.code: by_dimension(records, year=year, dimension=dimension.code) for dimension in DIMENSIONS
        },
        previous_breakdowns={
            dimension.code: by_dimension(records, year=year - 1, dimension=dimension.code) for dimension in DIMENSIONS
        },
        notified=notified_markets(markets, year=year),
        previous_notified=notified_markets(markets, year=year - 1),
        monthly=monthly_hours(records, year=year),
        previous_monthly=monthly_hours(records, year=year - 1),
    )
