"""Pure calibration arithmetic (DOMAIN.md §4). Decimal in, Decimal or int out; no ORM."""

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from beneficiaries.calculations import add_months, first_of_month

CLEANING_HOURLY_COST = Decimal("25")
CLEANING_MINIMUM_HOURS = 150


def round_hours(value: Decimal) -> int:
    """Round a number of hours to the nearest hour (half up)."""
    return int(value.quantize(Decimal("1"), rounding=ROUND_HALF_UP))


def general_target_hours(
    *, amount_excl_vat: Decimal, labour_share: Decimal, insertion_rate: Decimal, hourly_cost: Decimal
) -> int:
    """target = amount × labour share × insertion rate ÷ loaded hourly cost, rounded to the hour."""
    if hourly_cost <= 0:
        raise ValueError("Le coût horaire chargé doit être strictement positif.")
    return round_hours(amount_excl_vat * labour_share * insertion_rate / hourly_cost)


@dataclass(frozen=True)
class CleaningCalibration:
    """Result of the cleaning-sector formula: P (share left after taken-over staff) and I (hours)."""

    remaining_share: Decimal
    target_hours: int
    possible: bool
    below_advised_minimum: bool

    @property
    def warning(self) -> str:
        if not self.possible:
            return (
                "Aucune clause possible : le personnel repris absorbe déjà le marché "
                "(part disponible P inférieure ou égale à zéro)."
            )
        if self.below_advised_minimum:
            return (
                f"Moins de {CLEANING_MINIMUM_HOURS} heures : l'accord de branche de la propreté "
                "déconseille la clause pour ce lot."
            )
        return ""


def cleaning_calibration(
    *,
    turnover_excl_vat: Decimal,
    insertion_rate: Decimal,
    taken_over_monthly_hours: Decimal,
    duration_months: int,
    hourly_cost: Decimal = CLEANING_HOURLY_COST,
) -> CleaningCalibration:
    """Cleaning branch formula: P = 1 − (S × C) ÷ (A ÷ N), I = P × A ÷ C × T."""
    if duration_months <= 0:
        raise ValueError("La durée du marché doit être d'au moins un mois.")
    if turnover_excl_vat <= 0:
        return CleaningCalibration(Decimal("0"), 0, False, True)
    monthly_turnover = turnover_excl_vat / Decimal(duration_months)
    remaining_share = Decimal("1") - (taken_over_monthly_hours * hourly_cost) / monthly_turnover
    if remaining_share <= 0:
        return CleaningCalibration(remaining_share, 0, False, True)
    hours = round_hours(remaining_share * turnover_excl_vat / hourly_cost * insertion_rate)
    return CleaningCalibration(remaining_share, hours, True, hours < CLEANING_MINIMUM_HOURS)


def months_between(start, end) -> int:
    """Number of calendar months touched from start to end inclusive (Jan 15 → Mar 2 = 3)."""
    return (end.year - start.year) * 12 + end.month - start.month + 1


def achievement_rate(*, achieved_hours: Decimal, target_hours: int) -> Decimal | None:
    """Validated hours to date ÷ target, exact (rounded once for display by config.formatting: rounding it here
    too would show 1,445 % as 1,5 %); None without a target. May exceed 1 (targets can be exceeded)."""
    if not target_hours:
        return None
    return Decimal(achieved_hours) / Decimal(target_hours)


def elapsed_share(*, start, end, today) -> Decimal:
    """Share of the execution period elapsed on `today`, between 0 and 1."""
    total = (end - start).days + 1
    if total <= 0:
        return Decimal("1")
    elapsed = min(max((today - start).days + 1, 0), total)
    return Decimal(elapsed) / Decimal(total)


def projected_hours(*, achieved_hours: Decimal, start, end, today) -> Decimal:
    """Hours expected at the end date if the current monthly pace goes on."""
    if today >= end:
        return Decimal(achieved_hours)
    elapsed_months = Decimal(max((today - start).days, 0)) / Decimal("30.4375")
    if elapsed_months <= 0:
        return Decimal(achieved_hours)
    total_months = Decimal((end - start).days) / Decimal("30.4375")
    pace = Decimal(achieved_hours) / elapsed_months
    return (pace * total_months).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


# A running lot is "on track" while its validated hours reach the hours expected by today less this share
# (DOMAIN.md §8 "Status of a lot"). Stated in the legend and the README.
STATUS_TOLERANCE = Decimal("0.10")


class TargetStatus:
    """Status of a lot (DOMAIN.md §8), one definition for every page, export and home."""

    NOT_STARTED = "not_started"
    ON_TRACK = "on_track"
    BEHIND = "behind"
    ACHIEVED = "achieved"
    ENDED_BELOW = "ended_below"
    NO_TARGET = "no_target"

    LABELS = {
        NOT_STARTED: "Pas commencé",
        ON_TRACK: "Dans les temps",
        BEHIND: "En retard",
        ACHIEVED: "Objectif atteint",
        ENDED_BELOW: "Objectif non atteint",
        NO_TARGET: "Sans objectif",
    }
    # Lots someone should look at: running behind, or ended short of their target.
    NEEDS_ATTENTION = (BEHIND, ENDED_BELOW)
    CHOICES = tuple(LABELS.items())


def expected_hours(*, target_hours: int, start, end, today) -> Decimal:
    """Hours a lot should have reached by `today` at a linear pace from its start to its end date (both days
    included), to the hundredth: 0 before the start, the whole target from the end date on."""
    if not target_hours:
        return Decimal("0.00")
    share = elapsed_share(start=start, end=end, today=today)
    return (Decimal(target_hours) * share).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def shortfall_hours(*, achieved_hours: Decimal, target_hours: int) -> Decimal:
    """Hours missing to reach the target (0 when reached)."""
    return max(Decimal(target_hours or 0) - Decimal(achieved_hours), Decimal("0"))


def target_status(
    *, achieved_hours: Decimal, target_hours: int, start, end, today, tolerance: Decimal = STATUS_TOLERANCE
) -> str:
    """Status of a lot on `today` (DOMAIN.md §8).

    - no target: "no_target";
    - validated hours ≥ target, at any time: "achieved";
    - before the start date: "not_started";
    - from the start date to the end date included: "on_track" when the validated hours reach the hours
      expected by today less the tolerance (≥ 90 % of them with a 10 % tolerance), "behind" otherwise;
    - after the end date, short of the target: "ended_below" (never on track nor behind once ended).
    """
    if not target_hours:
        return TargetStatus.NO_TARGET
    achieved = Decimal(achieved_hours)
    if achieved >= target_hours:
        return TargetStatus.ACHIEVED
    if today < start:
        return TargetStatus.NOT_STARTED
    if today > end:
        return TargetStatus.ENDED_BELOW
    expected = expected_hours(target_hours=target_hours, start=start, end=end, today=today)
    return TargetStatus.ON_TRACK if achieved >= expected * (1 - tolerance) else TargetStatus.BEHIND


# --- Forecast of a lot and the "risque" flag (issue 16 point 4) ------------------------------------------------

DAYS_PER_MONTH = Decimal("30.4375")  # an average month, as projected_hours counts them
RECENT_MONTHS = 3  # the recent pace is the average of the last 3 complete months of execution
RISK_RULE = (
    "À risque : lot en cours dont le premier mois d'exécution est terminé, encore sous son objectif, et dont les "
    "heures à réaliser chaque mois d'ici la fin dépassent son meilleur mois jamais réalisé."
)


@dataclass(frozen=True)
class Forecast:
    """Where a lot is heading (figures exact to the hundredth, rounded once for display)."""

    projected_current: Decimal  # at the end date, at the pace since the start (projected_hours)
    recent_pace: Decimal | None  # hours per month over the last 3 complete months of execution
    projected_recent: Decimal | None  # at the end date, at that recent pace
    needed_per_month: Decimal | None  # hours per month from today to the end date to reach the target
    best_month: Decimal  # the most hours the lot ever achieved in one calendar month (0 without hours)
    at_risk: bool  # RISK_RULE


def recent_months(*, start, end, today, count: int = RECENT_MONTHS) -> list:
    """First days of the last `count` complete calendar months (before today's month) within the execution
    period (the months of the start and end dates included); fewer, or none, for a lot that started lately."""
    current = first_of_month(today)
    months = [add_months(current, -shift) for shift in range(count, 0, -1)]
    return [month for month in months if first_of_month(start) <= month <= first_of_month(end)]


def lot_forecast(
    *, target_hours: int, achieved_hours: Decimal, monthly_hours, start, end, today, best_month: Decimal | None = None
) -> Forecast:
    """Forecast of a lot on `today` from its validated hours month by month (`monthly_hours`: first day of a
    month → hours of that month; months without hours may be absent). `best_month`, when the database computed
    it (reporting.queries.lots_hours), lets `monthly_hours` hold only the recent months.

    - recent pace: the hours of the last 3 complete months of execution (recent_months) ÷ their number; None
      before a first complete month;
    - projection at that pace: validated hours + recent pace × months left until the end date (the validated
      hours once the lot has ended);
    - need per month: hours still missing ÷ months from today (or the start date, later) to the end date
      included; 0 once the target is reached; None without a target or once the lot has ended;
    - best month: the largest monthly total ever validated;
    - at risk (RISK_RULE): running (start ≤ today ≤ end), its first month of execution over, under its target,
      and a need per month above its best month.
    """
    achieved = Decimal(achieved_hours)
    target = Decimal(target_hours or 0)
    if best_month is None:
        best = max((Decimal(hours) for hours in monthly_hours.values()), default=Decimal("0"))
    else:
        best = Decimal(best_month)
    months = recent_months(start=start, end=end, today=today)
    recent = None
    if months:
        recent = (sum((Decimal(monthly_hours.get(month, 0)) for month in months), Decimal("0")) / len(months)).quantize(
            Decimal("0.01"), rounding=ROUND_HALF_UP
        )
    ended = today > end
    projected_recent = None
    if ended:
        projected_recent = achieved
    elif recent is not None:
        months_left = Decimal((end - today).days) / DAYS_PER_MONTH
        projected_recent = (achieved + recent * months_left).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
    needed = None
    if target and not ended:
        if achieved >= target:
            needed = Decimal("0.00")
        else:
            months_left = Decimal((end - max(today, start)).days + 1) / DAYS_PER_MONTH
            needed = ((target - achieved) / months_left).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    first_month_over = first_of_month(today) > first_of_month(start)
    running = start <= today <= end and first_month_over
    at_risk = bool(running and target and achieved < target and needed is not None and needed > best)
    return Forecast(
        projected_current=projected_hours(achieved_hours=achieved, start=start, end=end, today=today),
        recent_pace=recent,
        projected_recent=projected_recent,
        needed_per_month=needed,
        best_month=best,
        at_risk=at_risk,
    )
