"""Due dates of the people a facilitator follows: placements ending soon, outcomes due, criteria expiring.

The queries of the facilitator home's work queue (beneficiaries.views_home), of the placements list filters
(beneficiaries.filters) and of the weekly due-dates digest (notifications.digests): one definition for all.
"""

from dataclasses import dataclass
from datetime import date, timedelta

from django.conf import settings
from django.db.models import Count, Exists, OuterRef, Q

from beneficiaries.calculations import criterion_expires_on, months_before
from beneficiaries.choices import OutcomeStage
from beneficiaries.models import BeneficiaryCriterion, Outcome, Placement

ENDING_SOON_DAYS = 30


def active_on(queryset, day):
    """Placements running on a given day (start and end included)."""
    return queryset.filter(start_date__lte=day, end_date__gte=day)


def ending_within_q(today, days: int = ENDING_SOON_DAYS) -> Q:
    return Q(end_date__gte=today, end_date__lte=today + timedelta(days=days))


def ending_within(queryset, today, days: int = ENDING_SOON_DAYS):
    return queryset.filter(ending_within_q(today, days))


def outcome_due_q(stage: str, today) -> Q:
    """Placements whose outcome at `stage` is due and not recorded: the one at the end once the placement has
    ended, the one six months later once six months have passed since its end."""
    ended_by = today - timedelta(days=1) if stage == OutcomeStage.AT_END else months_before(today, 6)
    recorded = Outcome.objects.filter(placement=OuterRef("pk"), stage=stage)
    return Q(end_date__lte=ended_by) & ~Exists(recorded)


def outcome_due(queryset, stage: str, today):
    return queryset.filter(outcome_due_q(stage, today))


def count_each(queryset, **conditions: Q) -> dict[str, int]:
    """How many rows of `queryset` meet each condition, in one query: the visibility subquery of the placements
    (beneficiaries.models._placement_q) is computed once instead of once per count (issue 19)."""
    return queryset.order_by().aggregate(**{name: Count("pk", filter=q) for name, q in conditions.items()})


CRITERIA_EXPIRING_DAYS = 30


@dataclass(frozen=True)
class ExpiringCriterion:
    criterion: BeneficiaryCriterion
    expires_on: date


def criteria_expiring(criteria, today, days: int = CRITERIA_EXPIRING_DAYS) -> list[ExpiringCriterion]:
    """Criteria of people with a running or future placement that stop holding within `days` from `today`
    (calculations.criterion_expires_on), soonest first, in one query."""
    end = today + timedelta(days=days)
    validity = settings.CLAUSIER_CRITERION_VALIDITY_MONTHS
    candidates = (
        criteria.expiry_candidates(today, end, validity_months=validity)
        .filter(Exists(Placement.objects.filter(beneficiary=OuterRef("beneficiary"), end_date__gte=today)))
        .select_related("beneficiary")
    )
    found = []
    for criterion in candidates:
        expires_on = criterion_expires_on(
            criterion=criterion.criterion,
            validated_on=criterion.validated_on,
            birth_date=criterion.beneficiary.birth_date,
            validity_months=validity,
        )
        if today <= expires_on <= end:
            found.append(ExpiringCriterion(criterion, expires_on))
    return sorted(found, key=lambda item: (item.expires_on, str(item.criterion.beneficiary), item.criterion.pk))
