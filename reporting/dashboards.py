"""Dashboards of a buyer, of a facilitation structure, and the end-of-contract bilan of a market.

Each composes the indicator queries of reporting.queries over an already scoped perimeter, with a fixed
number of queries whatever the volume of data.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db.models import QuerySet

from clauses.calculations import TargetStatus
from markets.models import Lot, Market
from organisations.scoping import scope_of
from reporting import queries, suppression
from reporting.models import PlacementYear


def must_suppress_small_counts(user) -> bool:
    """Buyers (and anyone who is not a facilitator, coordinator or superuser) see counts of 1 to 4 people as
    "< 5" (DOMAIN.md §8)."""
    scope = scope_of(user)
    return not (scope.is_superuser or scope.facilitation_ids or scope.region_codes)


def can_see_yearly_report(user) -> bool:
    """The yearly report is for coordination bodies and facilitation structures (and superusers)."""
    scope = scope_of(user)
    return bool(scope.is_superuser or scope.facilitation_ids or scope.region_codes)


@dataclass(frozen=True)
class YearHours:
    year: int
    hours: Decimal


@dataclass(frozen=True)
class Dashboard:
    year: int
    today: date
    summary: queries.Summary  # the selected year
    total: queries.Summary  # since the start, all years
    progress: list[queries.LotProgress]  # lots at risk first
    publics: list[queries.PublicRow]
    modalities: list[queries.DimensionRow]
    monthly: list[queries.MonthPoint]
    suppress: bool

    @property
    def target_hours(self) -> int:
        return sum(item.target_hours for item in self.progress)

    @property
    def achieved_hours(self) -> Decimal:
        return sum((item.achieved_hours for item in self.progress), queries.ZERO)

    @property
    def lots_behind(self) -> int:
        """Running lots behind the hours expected by today (ended lots are never "behind")."""
        return sum(1 for item in self.progress if item.status == TargetStatus.BEHIND)

    @property
    def lots_running(self) -> int:
        return sum(1 for item in self.progress if item.status in (TargetStatus.BEHIND, TargetStatus.ON_TRACK))

    @property
    def lots_at_risk(self) -> int:
        """Running lots flagged "risque" (clauses.calculations.RISK_RULE)."""
        return sum(1 for item in self.progress if item.at_risk)

    @property
    def lots_ended_below(self) -> int:
        return sum(1 for item in self.progress if item.status == TargetStatus.ENDED_BELOW)

    @property
    def lots_ended(self) -> int:
        return sum(1 for item in self.progress if item.lot.end_date < self.today)

    @property
    def markets(self) -> list[queries.MarketProgress]:
        return queries.markets_progress(self.progress)


def dashboard(
    *, records: QuerySet[PlacementYear], lots: QuerySet[Lot], year: int, today: date, suppress: bool
) -> Dashboard:
    """Indicators of a dashboard over a perimeter (5 queries); with `suppress`, the figures a buyer may see
    only (reporting.suppression), so that the page and every export show the same hidden values."""
    summaries, publics = queries.summary_and_publics(records, years=[year])
    summary, total = summaries[year], queries.summary(records, year=None)
    publics, modalities = publics[year], queries.by_dimension(records, year=year, dimension="modality")
    if suppress:
        publics = suppression.suppress_publics(publics, total_people=summary.participants)
        modalities = suppression.suppress_partition(modalities)
        summary, total = suppression.suppress_summary(summary), suppression.suppress_summary(total)
    return Dashboard(
        year=year,
        today=today,
        summary=summary,
        total=total,
        progress=queries.lots_progress(lots, today=today),
        publics=publics,
        modalities=modalities,
        monthly=queries.monthly_hours(records, year=year),
        suppress=suppress,
    )


@dataclass(frozen=True)
class MarketBilan:
    market: Market
    today: date
    total: queries.Summary
    progress: list[queries.LotProgress]
    publics: list[queries.PublicRow]
    modalities: list[queries.DimensionRow]
    monthly: list[queries.MonthPoint]
    suppress: bool

    @property
    def target_hours(self) -> int:
        return sum(item.target_hours for item in self.progress)

    @property
    def achieved_hours(self) -> Decimal:
        return sum((item.achieved_hours for item in self.progress), queries.ZERO)

    @property
    def rate(self) -> Decimal | None:
        from clauses.calculations import achievement_rate

        return achievement_rate(achieved_hours=self.achieved_hours, target_hours=self.target_hours)

    @property
    def yearly(self) -> list[YearHours]:
        totals: dict[int, Decimal] = defaultdict(lambda: queries.ZERO)
        for point in self.monthly:
            totals[point.month.year] += point.hours
        return [YearHours(year, hours) for year, hours in sorted(totals.items())]


def market_bilan(*, market: Market, records: QuerySet[PlacementYear], today: date, suppress: bool) -> MarketBilan:
    """End-of-contract bilan of one market, all years (5 queries); with `suppress`, the figures a buyer may see
    only (reporting.suppression)."""
    records = records.filter(market=market)
    total = queries.summary(records, year=None)
    publics = queries.by_public(records, year=None)
    modalities = queries.by_dimension(records, year=None, dimension="modality")
    if suppress:
        publics = suppression.suppress_publics(publics, total_people=total.participants)
        modalities = suppression.suppress_partition(modalities)
        total = suppression.suppress_summary(total)
    return MarketBilan(
        market=market,
        today=today,
        total=total,
        progress=queries.lots_progress(Lot.objects.filter(market=market), today=today),
        publics=publics,
        modalities=modalities,
        monthly=queries.monthly_hours(records),
        suppress=suppress,
    )
