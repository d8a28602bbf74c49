"""Indicator queries (DOMAIN.md §8): one function per indicator table.

Every function takes an already scoped queryset of the summary table (what the viewer may see, e.g.
`PlacementYear.objects.visible_to(user)`: one row per placement and year holding its validated hours month by
month, see reporting.models) and a period, runs one SQL query (or a fixed few) with conditional aggregates,
and returns frozen dataclasses. Counting rules live here and only here:

- only validated hours records whose month falls in the year count (the summary holds nothing else);
- training hours count only where the lot's clause says so;
- people, contracts, companies, markets and buyers are counted distinct.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from django.conf import settings
from django.db.models import Case, Count, DecimalField, F, OuterRef, Q, QuerySet, Subquery, Sum, Value, When
from django.db.models.functions import Coalesce, Greatest
from django.utils import timezone

from beneficiaries.calculations import months_before
from beneficiaries.choices import (
    DURABLE_OUTCOMES,
    HoursStatus,
    Modality,
    OutcomeResult,
    OutcomeStage,
    QualificationLevel,
)
from beneficiaries.models import HoursRecord, Outcome
from clauses import calculations as clause_calculations
from clauses.models import Clause, Mechanism
from config.formatting import exact_hours
from markets.models import Lot, Market, MarketType
from organisations.models import BuyerType
from reporting.calculations import fte
from reporting.models import MONTHS, PlacementYear, hours_column, training_column
from territories.models import Department, Epci, Qpv

ZERO = Decimal("0")
HOURS_FIELD = DecimalField(max_digits=14, decimal_places=2)
TRAINING_COUNTS = Q(counts_training_hours=True)  # copied from the lot's clause


def counted(hours: str = "hours", training: str = "training_hours"):
    """Hours of a summary row that count toward the clause: training hours only where the clause says so."""
    return counted_with(TRAINING_COUNTS, hours, training)


def counted_with(training_counts: Q, hours: str = "hours", training: str = "training_hours"):
    """`counted` where `training_counts` tells whether the clause counts training hours (for a detailed record,
    which reaches its clause through its placement's lot)."""
    return F(hours) + Case(When(training_counts, then=F(training)), default=Value(ZERO), output_field=HOURS_FIELD)


COUNTED_HOURS = counted()


def counted_through(month: int):
    """Counted hours of months 1 to `month` of a summary row (the whole year's column when `month` is 12)."""
    if month >= 12:
        return COUNTED_HOURS
    # As few terms as possible (numeric arithmetic is what costs on PostgreSQL): the first months added up, or,
    # past June, the year's total less the last months; one CASE for the training hours.
    if month <= 6:
        hours, training = F(hours_column(1)), F(training_column(1))
        for number in range(2, month + 1):
            hours, training = hours + F(hours_column(number)), training + F(training_column(number))
    else:
        hours, training = F("hours"), F("training_hours")
        for number in range(month + 1, 13):
            hours, training = hours - F(hours_column(number)), training - F(training_column(number))
    return hours + Case(When(TRAINING_COUNTS, then=training), default=Value(ZERO), output_field=HOURS_FIELD)


def rows_through(records: QuerySet[PlacementYear], month: int) -> QuerySet[PlacementYear]:
    """The rows that count over January to `month`: those with counted hours in these months (a partial year;
    the whole year keeps every row, a validated record of 0 h counting its person)."""
    if month >= 12:
        return records
    return records.alias(hours_through=counted_through(month)).filter(hours_through__gt=0)


def _sum_hours(condition: Q | None = None, hours=COUNTED_HOURS):
    return Coalesce(Sum(hours, filter=condition, output_field=HOURS_FIELD), Value(ZERO), output_field=HOURS_FIELD)


def _count_people(condition: Q | None = None):
    return Count("beneficiary", distinct=True, filter=condition)


def _aggregate_by_year(rows: QuerySet[PlacementYear], years: Sequence[int] | None, **aggregates) -> dict:
    """{year: aggregates} for each year asked (one query; a year without rows gets the aggregates of nothing),
    or {None: aggregates} over every year when `years` is None."""
    if years is None:
        return {None: rows.aggregate(**aggregates)}
    grouped = {
        row["year"]: row
        for row in rows.filter(year__in=years).order_by().values("year").annotate(**aggregates).order_by("year")
    }
    empty = None
    for year in years:
        if year not in grouped:
            empty = empty or rows.none().aggregate(**aggregates)
            grouped[year] = empty
    return grouped


@dataclass(frozen=True)
class ReportFilters:
    """Optional narrowing of a report (coordinator's filters)."""

    department: str | None = None
    buyer_type: str | None = None
    market_type: str | None = None
    region: str | None = None

    # Lookup of each filter on the summary rows (territory and types are copied there) and on markets.
    ROW_LOOKUPS = {
        "department": "department_id",
        "region": "region_id",
        "buyer_type": "buyer_type",
        "market_type": "market_type",
    }
    MARKET_LOOKUPS = {
        "department": "execution_commune__department_id",
        "region": "execution_commune__department__region_id",
        "buyer_type": "buyer__buyer_type",
        "market_type": "market_type",
    }

    def apply_to_records(self, rows: QuerySet[PlacementYear]) -> QuerySet[PlacementYear]:
        return rows.filter(**self._lookups(self.ROW_LOOKUPS))

    def apply_to_markets(self, markets: QuerySet[Market]) -> QuerySet[Market]:
        return markets.filter(**self._lookups(self.MARKET_LOOKUPS))

    def _lookups(self, names: dict[str, str]) -> dict[str, str]:
        return {lookup: getattr(self, name) for name, lookup in names.items() if getattr(self, name)}


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


def _summary_aggregates(years: Sequence[int] | None, hours=COUNTED_HOURS) -> dict:
    return {
        "all_hours": _sum_hours(hours=hours),  # not "hours": an annotation of that name would hide the column
        "participants": _count_people(),
        # Within a year a placement has one row.
        "contracts": Count("placement") if years is not None else Count("placement", distinct=True),
        "companies": Count("contractor", distinct=True),
        "markets": Count("market", distinct=True),
        "buyers": Count("buyer", distinct=True),
    }


def _summary_of(row: dict) -> Summary:
    hours = exact_hours(row["all_hours"])
    return Summary(
        hours=hours,
        fte=fte(hours, hours_per_fte=settings.CLAUSIER_FTE_HOURS),
        participants=row["participants"],
        contracts=row["contracts"],
        companies=row["companies"],
        markets=row["markets"],
        buyers=row["buyers"],
    )


def summaries(records: QuerySet[PlacementYear], *, years: Sequence[int] | None) -> dict[int | None, Summary]:
    """Hours, FTE and distinct participants, contracts, companies, markets and buyers of each year (one query);
    `years=None` gives {None: summary of every year}."""
    rows = _aggregate_by_year(records, years, **_summary_aggregates(years))
    return {year: _summary_of(row) for year, row in rows.items()}


def summary(records: QuerySet[PlacementYear], *, year: int | None) -> Summary:
    """The summary of one year, or of every year when `year` is None (one query)."""
    return summaries(records, years=None if year is None else [year])[year]


# --- Publics -----------------------------------------------------------------------------------------------

PUBLICS: tuple[tuple[str, str, str], ...] = (
    ("women", "Femmes", "is_woman"),
    ("youth", "Jeunes de moins de 26 ans", "is_youth"),
    ("seniors", "Seniors de 50 ans et plus", "is_senior"),
    ("qpv", "Habitant·es des QPV", "is_qpv_resident"),
    ("rqth", "Travailleur·ses handicapé·es (RQTH)", "is_rqth"),
    ("long_term", "Demandeur·ses d'emploi de longue durée", "is_long_term_job_seeker"),
    ("rsa", "Allocataires du RSA", "is_rsa"),
)


@dataclass(frozen=True)
class PublicRow:
    code: str
    label: str
    hours: Decimal
    participants: int
    hours_share: Decimal | None  # share of all counted hours, 0–1
    participants_share: Decimal | None


def _public_aggregates(hours=COUNTED_HOURS) -> dict:
    aggregates = {"total_hours": _sum_hours(hours=hours), "total_people": _count_people()}
    for code, _label, flag in PUBLICS:
        condition = Q(**{flag: True})
        aggregates[f"{code}_hours"] = _sum_hours(condition, hours=hours)
        aggregates[f"{code}_people"] = _count_people(condition)
    return aggregates


def _publics_of(row: dict) -> list[PublicRow]:
    total_hours, total_people = exact_hours(row["total_hours"]), row["total_people"]
    return [
        PublicRow(
            code=code,
            label=label,
            hours=exact_hours(row[f"{code}_hours"]),
            participants=row[f"{code}_people"],
            hours_share=_share(exact_hours(row[f"{code}_hours"]), total_hours),
            participants_share=_share(Decimal(row[f"{code}_people"]), Decimal(total_people)),
        )
        for code, label, _flag in PUBLICS
    ]


def publics_by_year(
    records: QuerySet[PlacementYear], *, years: Sequence[int] | None
) -> dict[int | None, list[PublicRow]]:
    """Hours and participants per public, frozen at placement start, for each year (one query)."""
    return {year: _publics_of(row) for year, row in _aggregate_by_year(records, years, **_public_aggregates()).items()}


def summary_and_publics(
    records: QuerySet[PlacementYear], *, years: Sequence[int], through_month: int = 12
) -> tuple[dict[int, Summary], dict[int, list[PublicRow]]]:
    """`summaries` and `publics_by_year` of the same years in one pass over the rows (one query), over January to
    `through_month` of each year (see rows_through)."""
    hours = counted_through(through_month)
    rows = _aggregate_by_year(
        rows_through(records, through_month),
        years,
        **_summary_aggregates(years, hours),
        **_public_aggregates(hours),
    )
    return {year: _summary_of(row) for year, row in rows.items()}, {
        year: _publics_of(row) for year, row in rows.items()
    }


def by_public(records: QuerySet[PlacementYear], *, year: int | None) -> list[PublicRow]:
    """Hours and participants per public of one year, or of every year when `year` is None (one query)."""
    return publics_by_year(records, years=None if year is None else [year])[year]


def _share(part: Decimal, whole: Decimal) -> Decimal | None:
    """The exact share (28 significant digits): rounded once, for display, by config.formatting."""
    if not whole:
        return None
    return Decimal(part) / Decimal(whole)


# --- Trend over several years -------------------------------------------------------------------------------


@dataclass(frozen=True)
class TrendPoint:
    year: int
    hours: Decimal
    participants: int
    publics: list[PublicRow]


def trend(records: QuerySet[PlacementYear], *, years: Sequence[int], through_month: int = 12) -> dict[int, TrendPoint]:
    """Counted hours, distinct participants and the publics of each year asked, over January to `through_month`
    (see rows_through; one query)."""
    hours = counted_through(through_month)
    rows = _aggregate_by_year(rows_through(records, through_month), years, **_public_aggregates(hours))
    return {
        year: TrendPoint(year, row["total_hours"] or ZERO, row["total_people"], _publics_of(row))
        for year, row in rows.items()
    }


# --- Dimensions --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Dimension:
    code: str
    title: str
    key: str  # column of PlacementYear
    names: type | None = None  # model whose primary key is the key and which has a `name`, or None: `choices`
    choices: dict[str, str] = field(default_factory=dict)


DIMENSIONS: tuple[Dimension, ...] = (
    Dimension("department", "Département", "department_id", Department),
    Dimension("epci", "EPCI", "epci_id", Epci),
    Dimension("qpv", "QPV de résidence", "qpv_at_start_id", Qpv),
    Dimension("market_type", "Type de marché", "market_type", choices=dict(MarketType.choices)),
    Dimension("buyer_type", "Type d'acheteur", "buyer_type", choices=dict(BuyerType.choices)),
    Dimension("modality", "Modalité", "modality", choices=dict(Modality.choices)),
    Dimension("mechanism", "Mécanisme juridique", "mechanism", choices=dict(Mechanism.choices)),
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


def dimension_by_year(
    records: QuerySet[PlacementYear], *, years: Sequence[int] | None, dimension: str, through_month: int = 12
) -> dict[int | None, list[DimensionRow]]:
    """Hours, participants and contracts per value of one dimension, most hours first, for each year asked
    (one query), over January to `through_month` (see rows_through); `years=None` gives {None: rows over every
    year}."""
    return dimensions_by_year(records, years=years, dimensions=[dimension], through_month=through_month)[dimension]


def dimensions_by_year(
    records: QuerySet[PlacementYear], *, years: Sequence[int] | None, dimensions: Sequence[str], through_month: int = 12
) -> dict[str, dict[int | None, list[DimensionRow]]]:
    """`dimension_by_year` of several dimensions in one query (a UNION ALL of one grouping per dimension, each
    row tagged with its dimension's code), plus one query for the names of each named dimension that has rows."""
    records = rows_through(records, through_month)
    hours = _sum_hours(hours=counted_through(through_month))
    parts = []
    for code in dimensions:
        spec = DIMENSIONS_BY_CODE[code]
        # Names are read apart: grouping by the key alone is faster than joining the names.
        tagged = records.annotate(dimension_code=Value(code), dimension_key=F(spec.key))
        if years is None:
            grouped, contracts = tagged.values("dimension_code", "dimension_key"), Count("placement", distinct=True)
        else:
            # Within a year a placement has one row: no DISTINCT needed for contracts.
            grouped = tagged.filter(year__in=years).values("dimension_code", "year", "dimension_key")
            contracts = Count("placement")
        parts.append(grouped.annotate(hours=hours, participants=_count_people(), contracts=contracts).order_by())
    rows = list(parts[0].union(*parts[1:], all=True)) if len(parts) > 1 else list(parts[0])
    # Most hours first, then by key (NULL last, as PostgreSQL orders it).
    rows.sort(key=lambda row: (-row["hours"], row["dimension_key"] is None, row["dimension_key"] or ""))
    result: dict[str, dict[int | None, list[DimensionRow]]] = {
        code: {year: [] for year in (years or [None])} for code in dimensions
    }
    names_of: dict[str, dict] = {}
    for code in dimensions:
        spec = DIMENSIONS_BY_CODE[code]
        names_of[code] = spec.choices
        if spec.names is not None:
            keys = {row["dimension_key"] for row in rows if row["dimension_code"] == code} - {None}
            names_of[code] = dict(spec.names.objects.filter(pk__in=keys).values_list("pk", "name")) if keys else {}
    for row in rows:
        code = row["dimension_code"]
        key = row["dimension_key"] or None  # "" is an unknown value too (a lot whose clause was removed)
        label = UNKNOWN_LABEL if key is None else names_of[code].get(key, key)
        year = row["year"] if years is not None else None
        result[code][year].append(
            DimensionRow(key, label, exact_hours(row["hours"]), row["participants"], row["contracts"])
        )
    return result


def by_dimension(records: QuerySet[PlacementYear], *, year: int | None, dimension: str) -> list[DimensionRow]:
    """Rows of one dimension for one year, or over every year when `year` is None (one query)."""
    return dimension_by_year(records, years=None if year is None else [year], dimension=dimension)[year]


# --- Markets notified in the year ----------------------------------------------------------------------------


@dataclass(frozen=True)
class NotifiedMarkets:
    markets: int
    lots: int
    target_hours: int


def notified_markets(markets: QuerySet[Market], *, year: int, through_month: int = 12) -> NotifiedMarkets:
    """Markets notified in the year (from January to `through_month`) that carry at least one clause, and their
    total target hours."""
    clauses = Clause.objects.filter(lot__market__in=markets, lot__market__notified_on__year=year)
    if through_month < 12:
        clauses = clauses.filter(lot__market__notified_on__month__lte=through_month)
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


def monthly_hours(
    records: QuerySet[PlacementYear], *, year: int | None = None, years: Sequence[int] | None = None
) -> list[MonthPoint]:
    """Counted hours of each month that has some, in order (one query), within `year`, or `years`, or all."""
    months = {
        f"m{month:02d}": _sum_hours(hours=counted(hours_column(month), training_column(month))) for month in MONTHS
    }
    if year is not None:
        records = records.filter(year=year)
    if years is not None:
        records = records.filter(year__in=years)
    rows = records.order_by().values("year").annotate(**months).order_by("year")
    return [
        MonthPoint(date(row["year"], month, 1), exact_hours(row[f"m{month:02d}"]))
        for row in rows
        for month in MONTHS
        if row[f"m{month:02d}"]
    ]


# --- Progress of lots toward their targets -----------------------------------------------------------------


@dataclass(frozen=True)
class LotProgress:
    lot: Lot | LotRef
    target_hours: int
    achieved_hours: Decimal
    rate: Decimal | None
    status: str
    projected_hours: Decimal
    expected_hours: Decimal = ZERO  # by today, at a linear pace from start to end
    shortfall: Decimal | None = None  # target − achieved, for a lot that ended below its target
    # Recent pace, need per month, best month and the "risque" flag (clauses.calculations.lot_forecast); None
    # when the lot's hours month by month were not read (progress_of without `monthly`).
    forecast: clause_calculations.Forecast | None = None

    @property
    def at_risk(self) -> bool:
        return bool(self.forecast and self.forecast.at_risk)

    @property
    def status_label(self) -> str:
        return clause_calculations.TargetStatus.LABELS[self.status]

    @property
    def needs_attention(self) -> bool:
        return self.status in clause_calculations.TargetStatus.NEEDS_ATTENTION


def achieved_hours_subquery():
    """Validated counted hours of a lot, all years (to annotate a Lot queryset)."""
    per_lot = (
        PlacementYear.objects.filter(lot=OuterRef("pk"))
        .order_by()
        .values("lot")
        .annotate(total=Sum(COUNTED_HOURS, output_field=HOURS_FIELD))
        .values("total")
    )
    return Coalesce(Subquery(per_lot, output_field=HOURS_FIELD), Value(ZERO), output_field=HOURS_FIELD)


@dataclass(frozen=True)
class Named:
    """A buyer or a contractor as the lots tables show it."""

    pk: int
    name: str


@dataclass(frozen=True)
class MarketRef:
    """The fields of a market the dashboards show (read as plain values, not as model instances)."""

    pk: int
    reference: str
    title: str
    market_type: str
    buyer: Named

    @property
    def buyer_id(self) -> int:
        return self.buyer.pk


@dataclass(frozen=True)
class ClauseRef:
    target_hours: int | None


@dataclass(frozen=True)
class LotRef:
    """The fields of a lot the dashboards show, with `achieved` (its validated counted hours, all years)."""

    pk: int
    number: int
    title: str
    start_date: date
    end_date: date
    market: MarketRef
    contractor: Named | None
    clause: ClauseRef
    achieved: Decimal

    @property
    def market_id(self) -> int:
        return self.market.pk


LOT_FIELDS = (
    "pk",
    "number",
    "title",
    "start_date",
    "end_date",
    "market_id",
    "market__reference",
    "market__title",
    "market__market_type",
    "market__buyer_id",
    "market__buyer__name",
    "contractor_id",
    "contractor__name",
    "clause__target_hours",
)


def lots_progress(lots: QuerySet[Lot], *, today: date) -> list[LotProgress]:
    """Target, validated hours to date, rate, status, projection and forecast of each lot carrying a clause.

    Two queries: the lots' fields as plain values, and the validated hours of those lots grouped by lot and year,
    month by month (a region holds thousands of lots: model instances and a subquery per lot cost several times
    more). Lots at risk come first, then by rate.
    """
    lots = lots.filter(clause__isnull=False)
    hours = lots_hours(lots, months=clause_calculations.recent_months(start=date.min, end=date.max, today=today))
    markets: dict[int, MarketRef] = {}
    companies: dict[int, Named] = {}
    items = []
    for row in lots.order_by().values_list(*LOT_FIELDS):
        (pk, number, title, start, end, market_id, reference, market_title, market_type) = row[:9]
        buyer_id, buyer_name, contractor_id, contractor_name, target = row[9:]
        market = markets.get(market_id)
        if market is None:
            buyer = Named(buyer_id, buyer_name)
            market = markets[market_id] = MarketRef(market_id, reference, market_title, market_type, buyer)
        contractor = None
        if contractor_id is not None:
            contractor = companies.setdefault(contractor_id, Named(contractor_id, contractor_name))
        lot = LotRef(pk, number, title, start, end, market, contractor, ClauseRef(target), hours.achieved.get(pk, ZERO))
        items.append(
            progress_of(lot, today=today, monthly=hours.monthly.get(pk, {}), best_month=hours.best_month.get(pk, ZERO))
        )
    return sort_at_risk_first(items)


@dataclass(frozen=True)
class LotsHours:
    """Validated counted hours of lots, as their progress and forecast need them (see lots_hours)."""

    achieved: dict[int, Decimal]  # all years
    best_month: dict[int, Decimal]  # the largest monthly total ever (clauses.calculations.Forecast.best_month)
    monthly: dict[int, dict[date, Decimal]]  # hours of the asked months (first day → hours; none absent)


def lots_hours(lots: QuerySet[Lot], *, months: Sequence[date]) -> LotsHours:
    """Validated counted hours of each lot: in all, its best calendar month, and the hours of `months` (the
    recent months of the forecast), in one query grouped by lot and year. The database compares the twelve
    months of each year and sums the asked ones: at most five values per lot and year reach Python (the total,
    the best month and the recent months), not thirteen (a région holds thousands of lots)."""
    by_month = [Sum(counted(hours_column(month), training_column(month)), output_field=HOURS_FIELD) for month in MONTHS]
    asked = {
        f"asked_{index}": Sum(
            counted(hours_column(month.month), training_column(month.month)),
            filter=Q(year=month.year),
            output_field=HOURS_FIELD,
        )
        for index, month in enumerate(months)
    }
    rows = (
        PlacementYear.objects.filter(lot__in=lots.values("pk"))
        .order_by()
        .values("lot", "year")
        .annotate(
            total=Sum(COUNTED_HOURS, output_field=HOURS_FIELD),
            best=Greatest(*by_month, output_field=HOURS_FIELD),
            **asked,
        )
    )
    hours = LotsHours(achieved={}, best_month={}, monthly={})
    for row in rows:
        lot = row["lot"]
        hours.achieved[lot] = hours.achieved.get(lot, ZERO) + exact_hours(row["total"])
        hours.best_month[lot] = max(hours.best_month.get(lot, ZERO), exact_hours(row["best"]))
        for index, month in enumerate(months):
            if row["year"] == month.year and row[f"asked_{index}"]:
                hours.monthly.setdefault(lot, {})[month] = exact_hours(row[f"asked_{index}"])
    return hours


def progress_of(
    lot: Lot | LotRef,
    *,
    today: date,
    monthly: dict[date, Decimal] | None = None,
    best_month: Decimal | None = None,
) -> LotProgress:
    """Progress of a lot annotated with `achieved` (see achieved_hours_subquery), or of a LotRef; with its hours
    month by month (`monthly`, and `best_month` when it holds only the recent months: see lots_hours), its
    forecast too."""
    target = lot.clause.target_hours or 0
    achieved = exact_hours(lot.achieved)
    status = clause_calculations.target_status(
        achieved_hours=achieved, target_hours=target, start=lot.start_date, end=lot.end_date, today=today
    )
    return LotProgress(
        lot=lot,
        target_hours=target,
        achieved_hours=achieved,
        rate=clause_calculations.achievement_rate(achieved_hours=achieved, target_hours=target),
        status=status,
        projected_hours=clause_calculations.projected_hours(
            achieved_hours=achieved, start=lot.start_date, end=lot.end_date, today=today
        ),
        expected_hours=clause_calculations.expected_hours(
            target_hours=target, start=lot.start_date, end=lot.end_date, today=today
        ),
        shortfall=(
            clause_calculations.shortfall_hours(achieved_hours=achieved, target_hours=target)
            if status == clause_calculations.TargetStatus.ENDED_BELOW
            else None
        ),
        forecast=(
            clause_calculations.lot_forecast(
                target_hours=target,
                achieved_hours=achieved,
                monthly_hours=monthly,
                best_month=best_month,
                start=lot.start_date,
                end=lot.end_date,
                today=today,
            )
            if monthly is not None
            else None
        ),
    )


def declared_hours_by_lot(lots: QuerySet[Lot]) -> dict[int, Decimal]:
    """Counted hours of the declared records (awaiting validation) of each lot, all months, in one query; a lot
    without any is absent. The same counting rule as the validated hours (`counted`): training hours only where
    the lot's clause says so."""
    counted_declared = counted_with(Q(placement__lot__clause__counts_training_hours=True))
    return dict(
        HoursRecord.objects.filter(placement__lot__in=lots.values("pk"), status=HoursStatus.DECLARED)
        .order_by()
        .values("placement__lot")
        .annotate(total=Sum(counted_declared, output_field=HOURS_FIELD))
        .values_list("placement__lot", "total")
    )


# Lots at risk first: running behind, then ended below target, then the others.
STATUS_ORDER = {
    clause_calculations.TargetStatus.BEHIND: 0,
    clause_calculations.TargetStatus.ENDED_BELOW: 1,
    clause_calculations.TargetStatus.ON_TRACK: 2,
    clause_calculations.TargetStatus.NOT_STARTED: 3,
    clause_calculations.TargetStatus.ACHIEVED: 4,
    clause_calculations.TargetStatus.NO_TARGET: 5,
}


def sort_at_risk_first(progress: Iterable[LotProgress]) -> list[LotProgress]:
    return sorted(progress, key=lambda item: (STATUS_ORDER[item.status], item.rate or ZERO, item.lot.pk))


def _forecast_key(item: LotProgress, name: str) -> Decimal:
    value = getattr(item.forecast, name) if item.forecast else None
    return value if value is not None else Decimal("-1")


# Sort keys of the lots table, by column key of reporting.exports.LOT_COLUMNS.
LOT_SORT_KEYS = {
    "marche": lambda item: item.lot.market.reference.lower(),
    "objet": lambda item: item.lot.market.title.lower(),
    "acheteur": lambda item: item.lot.market.buyer.name.lower(),
    "lot": lambda item: (item.lot.market.reference.lower(), item.lot.number),
    "titulaire": lambda item: item.lot.contractor.name.lower() if item.lot.contractor else "",
    "objectif": lambda item: item.target_hours,
    "attendu": lambda item: item.expected_hours,
    "realise": lambda item: item.achieved_hours,
    "taux": lambda item: item.rate if item.rate is not None else Decimal("-1"),
    "statut": lambda item: STATUS_ORDER[item.status],
    "manque": lambda item: item.shortfall if item.shortfall is not None else Decimal("-1"),
    "projection": lambda item: item.projected_hours,
    "projection_recente": lambda item: _forecast_key(item, "projected_recent"),
    "besoin_mensuel": lambda item: _forecast_key(item, "needed_per_month"),
    "meilleur_mois": lambda item: _forecast_key(item, "best_month"),
    "risque": lambda item: item.at_risk,
    "fin": lambda item: item.lot.end_date,
}


def sort_lots(progress: Iterable[LotProgress], *, key: str = "", descending: bool = False) -> list[LotProgress]:
    """Lots sorted by a column of the lots table (ties: at risk first); at risk first without a known key."""
    ordered = sort_at_risk_first(progress)
    if key not in LOT_SORT_KEYS:
        return ordered
    return sorted(ordered, key=LOT_SORT_KEYS[key], reverse=descending)  # stable: ties keep the risk order


def filter_lots(
    progress: Iterable[LotProgress], *, status: str = "", year: int | None = None, market_type: str = ""
) -> list[LotProgress]:
    """Lots of a status, running during a year (some day of it between their start and end dates), of a market
    type; an empty criterion keeps every lot."""
    result = []
    for item in progress:
        lot = item.lot
        if status and item.status != status:
            continue
        if year and not (lot.start_date <= date(year, 12, 31) and lot.end_date >= date(year, 1, 1)):
            continue
        if market_type and lot.market.market_type != market_type:
            continue
        result.append(item)
    return result


@dataclass(frozen=True)
class MarketProgress:
    """Progress of a market toward its target: the sum of its lots carrying a clause."""

    market: Market
    lots: list[LotProgress]

    @property
    def target_hours(self) -> int:
        return sum(item.target_hours for item in self.lots)

    @property
    def achieved_hours(self) -> Decimal:
        return sum((item.achieved_hours for item in self.lots), ZERO)

    @property
    def expected_hours(self) -> Decimal:
        return sum((item.expected_hours for item in self.lots), ZERO)

    @property
    def rate(self) -> Decimal | None:
        return clause_calculations.achievement_rate(achieved_hours=self.achieved_hours, target_hours=self.target_hours)

    @property
    def expected_rate(self) -> Decimal | None:
        return clause_calculations.achievement_rate(achieved_hours=self.expected_hours, target_hours=self.target_hours)

    @property
    def status(self) -> str:
        """The worst status of its running lots; once none runs, "ended_below" if a lot ended short of its
        target, "not_started" if a lot has yet to start, "achieved" if every lot with a target reached it."""
        status = clause_calculations.TargetStatus
        statuses = {item.status for item in self.lots}
        for candidate in (status.BEHIND, status.ON_TRACK, status.ENDED_BELOW, status.NOT_STARTED, status.ACHIEVED):
            if candidate in statuses:
                return candidate
        return status.NO_TARGET

    @property
    def status_label(self) -> str:
        return clause_calculations.TargetStatus.LABELS[self.status]

    @property
    def needs_attention(self) -> bool:
        return self.status in clause_calculations.TargetStatus.NEEDS_ATTENTION

    @property
    def bar_percent(self) -> Decimal:
        """Width of the progress bar, in % of the target (at most 100)."""
        return min((self.rate or ZERO) * 100, Decimal("100")).quantize(Decimal("0.1"))

    @property
    def marker_percent(self) -> Decimal:
        """Position of the expected-by-today marker, in % of the target (at most 100)."""
        return min((self.expected_rate or ZERO) * 100, Decimal("100")).quantize(Decimal("0.1"))


def markets_progress(progress: Iterable[LotProgress]) -> list[MarketProgress]:
    """Lots grouped by market (no query), markets at risk first, then by rate and reference."""
    by_market: dict[int, list[LotProgress]] = {}
    for item in progress:
        by_market.setdefault(item.lot.market_id, []).append(item)
    markets = [MarketProgress(market=lots[0].lot.market, lots=sort_at_risk_first(lots)) for lots in by_market.values()]
    return sorted(
        markets, key=lambda market: (STATUS_ORDER[market.status], market.rate or ZERO, market.market.reference)
    )


# --- What became of the people (outcomes, DOMAIN.md §7 and §8) -------------------------------------------------

OUTCOME_CATEGORIES: tuple[tuple[str, str], ...] = (
    ("durable", "Emploi durable"),
    ("training", "Formation qualifiante"),
    ("transitional", "Emploi de transition"),
    ("job_seeking", "En recherche d'emploi"),
    ("dropped_out", "Abandon"),
    ("unknown", "Situation inconnue ou non renseignée"),
)
OUTCOME_CATEGORY_LABELS = dict(OUTCOME_CATEGORIES)
# Category of each recorded result; durable employment follows the national definition (DURABLE_OUTCOMES: CDI,
# CDD or temp mission of 6 months or more, business creation).
CATEGORY_OF_RESULT: dict[str, str] = {
    **dict.fromkeys(DURABLE_OUTCOMES, "durable"),
    OutcomeResult.TRAINING: "training",
    OutcomeResult.TRANSITIONAL_SHORT_CDD: "transitional",
    OutcomeResult.TRANSITIONAL_TEMP: "transitional",
    OutcomeResult.TRANSITIONAL_SUBSIDISED: "transitional",
    OutcomeResult.TRANSITIONAL_SIAE: "transitional",
    OutcomeResult.JOB_SEEKING: "job_seeking",
    OutcomeResult.DROPPED_OUT: "dropped_out",
    OutcomeResult.UNKNOWN: "unknown",
}
# Publics of the outcome tables (flags frozen on the placement at its start).
OUTCOME_PUBLICS: tuple[tuple[str, str, str], ...] = tuple(
    public for public in PUBLICS if public[0] in ("women", "youth", "seniors", "qpv")
)

OUTCOMES_LEGEND = (
    "Personnes dont un contrat compté sur le périmètre (au moins un relevé d'heures validé) a pris fin dans "
    "l'année, avant la date du bilan. Une personne dont plusieurs contrats ont pris fin dans l'année compte une "
    "fois, sur le contrat terminé le plus tard (à date égale, le dernier créé) : sa situation, ses publics et "
    "le type de marché sont ceux de ce contrat. Situation à la fin : la sortie « à la fin du contrat » "
    "enregistrée, même saisie après la fin de l'année. Six mois après : la sortie « six mois après », due six "
    "mois après la fin du contrat ; un contrat terminé depuis moins de six mois à la date du bilan est « pas "
    "encore dû » et n'entre ni dans les parts ni dans les situations inconnues. Les parts se rapportent aux "
    "personnes dont la situation est due ; « situation inconnue » réunit les sorties saisies « inconnue » et "
    "celles qui n'ont pas été saisies. Emploi durable : CDI, CDD ou mission d'intérim de 6 mois ou plus, "
    "création d'entreprise (définition nationale)."
)


@dataclass(frozen=True)
class OutcomeCounts:
    """People of a group by outcome category at one stage. `people` are those whose outcome at this stage is due
    (every person at the end; at six months, those whose contract ended six months or more before the report's
    date); `not_due` the others. `counts` maps every category code to people (the categories partition
    `people`); `not_recorded` of the "unknown" ones have no outcome recorded at all."""

    people: int
    counts: dict[str, int]
    not_recorded: int = 0
    not_due: int = 0

    def share(self, code: str) -> Decimal | None:
        count = self.counts[code]
        if isinstance(count, str) or isinstance(self.people, str):
            return None
        return _share(Decimal(count), Decimal(self.people))

    @property
    def unknown_share(self) -> Decimal | None:
        return self.share("unknown")

    @property
    def shares(self) -> dict[str, Decimal | None]:
        return {code: self.share(code) for code in self.counts}


@dataclass(frozen=True)
class OutcomeGroup:
    code: str  # "total", a public's code, or "market_type:<type>"
    label: str
    people: int  # people whose contract ended in the year (counted once, see OUTCOMES_LEGEND)
    at_end: OutcomeCounts
    after_six_months: OutcomeCounts


@dataclass(frozen=True)
class Outcomes:
    """What became of the people whose contract ended in the year (see OUTCOMES_LEGEND), as of `as_of`."""

    year: int
    as_of: date
    total: OutcomeGroup
    publics: list[OutcomeGroup]
    market_types: list[OutcomeGroup]

    @property
    def groups(self) -> list[OutcomeGroup]:
        return [self.total, *self.publics, *self.market_types]


def _outcome_counts(people: list[tuple[int, str | None]], *, due) -> OutcomeCounts:
    """`people`: (placement end day ordinal, recorded result or None) of each person of a group."""
    counts = dict.fromkeys(OUTCOME_CATEGORY_LABELS, 0)
    not_recorded = not_due = 0
    for end_date, result in people:
        if not due(end_date):
            not_due += 1
            continue
        if result is None:
            not_recorded += 1
        counts[CATEGORY_OF_RESULT.get(result, "unknown")] += 1
    return OutcomeCounts(len(people) - not_due, counts, not_recorded, not_due)


def outcomes(records: QuerySet[PlacementYear], *, year: int, as_of: date) -> Outcomes:
    """Outcomes at the end of the contract and six months later of the people whose contract ended in `year`
    (before `as_of`), over the placements of the perimeter (those with a row in `records`), by category, in all,
    by public (women, youth, seniors, QPV: flags frozen at the start) and by market type. One query over the
    perimeter's summary rows (which copy the contract's end): the placements that ended, with their two outcomes
    beside them (each read by the unique index (placement, stage)). Counting rules: OUTCOMES_LEGEND."""
    last_day = min(date(year, 12, 31), as_of - timedelta(days=1))
    # The perimeter's rows of the placements that ended in the year (the end, the person, the market type and the
    # publics are copied on each row: no join), one per placement (a placement has a row per year of hours).
    ended = records.filter(year__lte=year, end_date__gte=date(year, 1, 1), end_date__lte=last_day)
    flags = [flag for _code, _label, flag in OUTCOME_PUBLICS]

    def result_at(stage: str) -> Subquery:
        return Subquery(
            Outcome.objects.filter(placement=OuterRef("placement_id"), stage=stage).order_by().values("result")[:1]
        )

    latest: dict[int, tuple] = {}  # beneficiary → (end_date, pk, market type, flags…)
    results: dict[tuple[int, str], str] = {}
    stages = (OutcomeStage.AT_END, OutcomeStage.AFTER_6_MONTHS)
    rows_read = (
        ended.order_by()
        .values_list("placement_id", "beneficiary_id", "end_date", "market_type", *flags)
        .distinct()
        .annotate(at_end=result_at(stages[0]), after_six_months=result_at(stages[1]))
    )
    for pk, beneficiary, end_date, market_type, *values in rows_read:
        *values, at_end, after_six_months = values
        for stage, result in zip(stages, (at_end, after_six_months), strict=True):
            if result is not None:
                results[(pk, stage)] = result
        row = (end_date, pk, market_type, *values)
        if beneficiary not in latest or row[:2] > latest[beneficiary][:2]:
            latest[beneficiary] = row
    six_months_due_by = months_before(as_of, 6)

    def group(code: str, label: str, rows: list[tuple]) -> OutcomeGroup:
        at_end = [(row[0], results.get((row[1], OutcomeStage.AT_END))) for row in rows]
        later = [(row[0], results.get((row[1], OutcomeStage.AFTER_6_MONTHS))) for row in rows]
        return OutcomeGroup(
            code=code,
            label=label,
            people=len(rows),
            at_end=_outcome_counts(at_end, due=lambda _end: True),
            after_six_months=_outcome_counts(later, due=lambda end: end <= six_months_due_by),
        )

    rows = sorted(latest.values(), key=lambda row: row[1])
    market_type_names = dict(MarketType.choices)
    return Outcomes(
        year=year,
        as_of=as_of,
        total=group("total", "Ensemble", rows),
        publics=[
            group(code, label, [row for row in rows if row[3 + index]])
            for index, (code, label, _flag) in enumerate(OUTCOME_PUBLICS)
        ],
        market_types=[
            group(f"market_type:{value}", name, [row for row in rows if row[2] == value])
            for value, name in market_type_names.items()
            if any(row[2] == value for row in rows)
        ],
    )


# --- The national headline set and the ESF participant bands (issue 18, item 5) ---------------------------------

HEADLINE_LEGEND = (
    "Chiffres clés de la consolidation nationale, sur les relevés validés de l'année (mêmes mois que le bilan "
    "pour une année en cours). Marchés avec clause : marchés distincts dont un lot porteur d'une clause a des "
    "heures comptées. Heures, ETP (heures ÷ 1\u00a0600), contrats (contrats / missions distincts), participant·es "
    "(personnes distinctes) et acheteurs (distincts) : comme la synthèse. Structures porteuses : structures de "
    "facilitation distinctes qui suivent ces marchés (la structure de facilitation du marché). "
    "Facilitateur·rices : personnes distinctes, actives, membres (administrateur·rice ou membre, pas lecteur·rice) "
    "de ces structures porteuses."
)


@dataclass(frozen=True)
class Headline:
    """The headline figures of the national consolidation (HEADLINE_LEGEND)."""

    markets: int
    hours: Decimal
    fte: Decimal
    contracts: int
    participants: int
    buyers: int
    facilitators: int
    host_structures: int


def headline(records: QuerySet[PlacementYear], *, year: int, summary_: Summary, through_month: int = 12) -> Headline:
    """The headline set of a year from its summary and one query: the facilitation structures of the markets with
    counted hours (January to `through_month`) and their facilitators (HEADLINE_LEGEND)."""
    from organisations.choices import OrganisationKind, Role
    from organisations.models import Organisation

    rows = rows_through(records.filter(year=year), through_month)
    structures = Organisation.objects.filter(
        kind=OrganisationKind.FACILITATION,
        pk__in=Market.objects.filter(pk__in=rows.order_by().values("market")).values("facilitator"),
    )
    facilitator = Q(memberships__role__in=[Role.ADMIN, Role.MEMBER], memberships__user__is_active=True)
    counts = structures.aggregate(
        host_structures=Count("pk", distinct=True),
        facilitators=Count("memberships__user", distinct=True, filter=facilitator),
    )
    return Headline(
        markets=summary_.markets,
        hours=summary_.hours,
        fte=summary_.fte,
        contracts=summary_.contracts,
        participants=summary_.participants,
        buyers=summary_.buyers,
        facilitators=counts["facilitators"],
        host_structures=counts["host_structures"],
    )


AGE_AT_START = "age_at_start"  # copied into the summary from the placement (frozen at its start)
QUALIFICATION = "qualification_level"  # copied into the summary from the person
# (code, label, condition on a summary row): bands of the European Social Fund (age at the start of the contract;
# education by ISCED group, from the qualification levels of DOMAIN.md §6) and the clause practice.
ESF_AGE_BANDS: tuple[tuple[str, str, Q], ...] = (
    ("esf_under_25", "Moins de 25 ans", Q(**{f"{AGE_AT_START}__lt": 25})),
    ("esf_25_54", "25 à 54 ans", Q(**{f"{AGE_AT_START}__gte": 25, f"{AGE_AT_START}__lte": 54})),
    ("esf_over_54", "Plus de 54 ans (55 ans et plus)", Q(**{f"{AGE_AT_START}__gte": 55})),
    ("esf_age_unknown", "Âge non renseigné", Q(**{f"{AGE_AT_START}__isnull": True})),
)
CLAUSE_AGE_BANDS: tuple[tuple[str, str, Q], ...] = (
    ("clause_under_26", "Moins de 26 ans", Q(is_youth=True)),
    ("clause_50_and_over", "50 ans et plus", Q(is_senior=True)),
)
ESF_EDUCATION_BANDS: tuple[tuple[str, str, Q], ...] = (
    ("isced_0_2", "CITE 0 à 2 (infra niveau 3)", Q(**{QUALIFICATION: QualificationLevel.BELOW_3})),
    (
        "isced_3_4",
        "CITE 3 et 4 (niveaux 3 et 4 : CAP, BEP, bac)",
        Q(**{f"{QUALIFICATION}__in": [QualificationLevel.LEVEL_3, QualificationLevel.LEVEL_4]}),
    ),
    ("isced_5_8", "CITE 5 à 8 (niveau 5 et plus)", Q(**{QUALIFICATION: QualificationLevel.LEVEL_5_PLUS})),
    ("isced_unknown", "Niveau non renseigné", Q(**{QUALIFICATION: ""})),
)
BANDS_LEGEND = (
    "Âge au début du contrat (figé à son début). Tranches du Fonds social européen : moins de 25 ans, 25 à 54 ans, "
    "plus de 54 ans ; pratique des clauses : moins de 26 ans, 50 ans et plus. Niveau d'études : le niveau de "
    "qualification de la personne, regroupé selon la CITE (classification internationale type de l'éducation) "
    "comme le demande le FSE : infra 3 → CITE 0 à 2 ; niveaux 3 et 4 → CITE 3 et 4 ; niveau 5 et plus → CITE 5 "
    "à 8. Une personne dont deux contrats de l'année ont commencé à des âges de tranches différentes compte dans "
    "chacune (comme les publics)."
)


@dataclass(frozen=True)
class Bands:
    """Hours and participants of the year by ESF band and by the clause practice's age bands (BANDS_LEGEND); rows
    are PublicRow (shares of the year's hours and participants), so that they follow the publics' suppression."""

    esf_ages: list[PublicRow]
    clause_ages: list[PublicRow]
    esf_education: list[PublicRow]


def bands(records: QuerySet[PlacementYear], *, year: int, through_month: int = 12) -> Bands:
    """The ESF and clause-practice bands of a year (one query over the summary rows, which copy the age at start and
    the qualification level)."""
    hours = counted_through(through_month)
    rows = rows_through(records.filter(year=year), through_month)
    specs = (*ESF_AGE_BANDS, *CLAUSE_AGE_BANDS, *ESF_EDUCATION_BANDS)
    aggregates = {"total_hours": _sum_hours(hours=hours), "total_people": _count_people()}
    for code, _label, condition in specs:
        aggregates[f"{code}_hours"] = _sum_hours(condition, hours=hours)
        aggregates[f"{code}_people"] = _count_people(condition)
    row = rows.order_by().aggregate(**aggregates)
    total_hours, total_people = exact_hours(row["total_hours"]), Decimal(row["total_people"])

    def rows_of(group):
        return [
            PublicRow(
                code=code,
                label=label,
                hours=exact_hours(row[f"{code}_hours"]),
                participants=row[f"{code}_people"],
                hours_share=_share(exact_hours(row[f"{code}_hours"]), total_hours),
                participants_share=_share(Decimal(row[f"{code}_people"]), total_people),
            )
            for code, label, _condition in group
        ]

    return Bands(rows_of(ESF_AGE_BANDS), rows_of(CLAUSE_AGE_BANDS), rows_of(ESF_EDUCATION_BANDS))


# --- The yearly report ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class YearlyReport:
    """The figures of a year beside those of the previous year. When the year is partial (`through` is its
    cutoff, the last day counted), both are counted from January to the cutoff's month, and the complete previous
    year is given apart (`previous_full_*`); when it is complete these are the previous year itself."""

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
    previous_monthly: list[MonthPoint]  # every month of the previous year
    through: date | None = None
    previous_full_summary: Summary | None = None
    previous_full_publics: list[PublicRow] | None = None
    previous_full_notified: NotifiedMarkets | None = None
    # Issue 18: what became of the people whose contract ended in the year, the national headline set, the ESF bands.
    outcomes: Outcomes | None = None
    headline: Headline | None = None
    bands: Bands | None = None

    @property
    def through_month(self) -> int:
        return self.through.month if self.through else 12

    @property
    def is_partial(self) -> bool:
        return self.through is not None

    @property
    def is_empty(self) -> bool:
        """No validated hours record in the year (over the perimeter and filters)."""
        return not self.summary.contracts and not any(point.hours for point in self.monthly)


def yearly_report(
    *,
    records: QuerySet[PlacementYear],
    markets: QuerySet[Market],
    year: int,
    filters: ReportFilters | None = None,
    through: date | None = None,
    today: date | None = None,
) -> YearlyReport:
    """Every indicator of DOMAIN.md §8 for a year and the previous one, over a perimeter. Fixed query count.

    `through` (a day of `year`, for the current year: see reporting.periods) makes the year partial: the year and
    the previous one are counted from January to its month, and two more queries give the complete previous year
    (its summary and publics, its notified markets). `today` (default: today) is the date the outcomes are read
    at: contracts ended by the day before, six-month outcomes due six months after the end (see `outcomes`).
    """
    if filters is not None:
        records = filters.apply_to_records(records)
        markets = filters.apply_to_markets(markets)
    if through is not None and (through.year != year or through.month == 12):
        through = None
    month = through.month if through else 12
    # Both years in each query: one pass over the summary rows per indicator table.
    years = [year, year - 1]
    summaries_, publics = summary_and_publics(records, years=years, through_month=month)
    previous_notified = notified_markets(markets, year=year - 1, through_month=month)
    if through is not None:
        full_summaries, full_publics = summary_and_publics(records, years=[year - 1])
        full_notified = notified_markets(markets, year=year - 1)
    else:
        full_summaries, full_publics, full_notified = summaries_, publics, previous_notified
    breakdowns = dimensions_by_year(
        records, years=years, dimensions=[dimension.code for dimension in DIMENSIONS], through_month=month
    )
    monthly = monthly_hours(records, years=years)
    return YearlyReport(
        year=year,
        summary=summaries_[year],
        previous_summary=summaries_[year - 1],
        publics=publics[year],
        previous_publics=publics[year - 1],
        breakdowns={code: rows[year] for code, rows in breakdowns.items()},
        previous_breakdowns={code: rows[year - 1] for code, rows in breakdowns.items()},
        notified=notified_markets(markets, year=year, through_month=month),
        previous_notified=previous_notified,
        monthly=[point for point in monthly if point.month.year == year and point.month.month <= month],
        previous_monthly=[point for point in monthly if point.month.year == year - 1],
        through=through,
        previous_full_summary=full_summaries[year - 1],
        previous_full_publics=full_publics[year - 1],
        previous_full_notified=full_notified,
        outcomes=outcomes(records, year=year, as_of=today or timezone.localdate()),
        headline=headline(records, year=year, summary_=summaries_[year], through_month=month),
        bands=bands(records, year=year, through_month=month),
    )
