"""The facilitator home: a work queue (records to validate, rejected records to correct, company declarations to
check, companies late with theirs, last month's missing hours, placements ending soon), running lots behind and ended
lots below their target."""

from dataclasses import dataclass
from datetime import date, timedelta
from urllib.parse import urlencode

from django.db.models import Count, Exists, OuterRef, Q
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone

from audit.services import log_views
from beneficiaries.calculations import add_months, first_of_month
from beneficiaries.choices import HoursStatus, OutcomeStage
from beneficiaries.due_dates import (
    CRITERIA_EXPIRING_DAYS,
    ENDING_SOON_DAYS,
    count_each,
    criteria_expiring,
    ending_within_q,
    outcome_due_q,
)
from beneficiaries.models import BeneficiaryCriterion, HoursRecord, Placement
from clauses.calculations import TargetStatus
from companies import declarations as company_declarations
from companies.choices import DeclarationStatus
from companies.models import Declaration
from config.collation import French
from markets.models import Lot, Market
from organisations import permissions, scoping
from reporting.queries import lots_progress

HOME_LIST_SIZE = 10


@dataclass(frozen=True)
class QueueGroup:
    """Records of one month and one lot awaiting an action: validation (declared) or correction (rejected)."""

    month: date
    lot_id: int
    market_reference: str
    lot_number: int
    count: int

    @property
    def grid_url(self) -> str:
        query = urlencode({"month": self.month.strftime("%Y-%m"), "lot": self.lot_id})
        return f"{reverse('hours:grid')}?{query}"


def review_queue(user) -> dict[str, list[QueueGroup]]:
    """Declared and rejected records the user sees, counted per month and lot, in one query (most recent month
    first, then market and lot). The records of a month in a company's declaration workflow (transmitted, sent back
    for correction, validated) are left to « Déclarations à vérifier »: the grid cannot review them."""
    in_workflow = Declaration.objects.filter(
        lot=OuterRef("placement__lot"), company=OuterRef("placement__employer"), month=OuterRef("month")
    ).exclude(status=DeclarationStatus.TO_DECLARE)
    rows = (
        HoursRecord.objects.visible_to(user)
        .filter(status__in=[HoursStatus.DECLARED, HoursStatus.REJECTED])
        .exclude(Exists(in_workflow))
        .values("month", "placement__lot", "placement__lot__market__reference", "placement__lot__number")
        .annotate(
            declared=Count("pk", filter=Q(status=HoursStatus.DECLARED)),
            rejected=Count("pk", filter=Q(status=HoursStatus.REJECTED)),
        )
        .order_by("-month", "placement__lot__market__reference", "placement__lot__number", "placement__lot")
    )
    queue: dict[str, list[QueueGroup]] = {"declared": [], "rejected": []}
    for row in rows:
        for status in ("declared", "rejected"):
            if row[status]:
                queue[status].append(
                    QueueGroup(
                        month=row["month"],
                        lot_id=row["placement__lot"],
                        market_reference=row["placement__lot__market__reference"],
                        lot_number=row["placement__lot__number"],
                        count=row[status],
                    )
                )
    return queue


def declarations_queue(user, today: date) -> dict:
    """The company declarations of the lots the user's facilitation structures follow: those to check (transmitted
    or retransmitted) and the companies late with last month's (companies.declarations.late_declarations)."""
    scope = scoping.scope_of(user)
    lots = Lot.objects.visible_to(user)
    if not scope.is_superuser:
        lots = lots.filter(market__facilitator__in=scope.facilitation_ids)
    to_review = list(company_declarations.to_review(lots)[: HOME_LIST_SIZE + 1])
    return {
        "declarations_to_review": to_review[:HOME_LIST_SIZE],
        "declarations_to_review_total": (
            company_declarations.to_review(lots).count() if len(to_review) > HOME_LIST_SIZE else len(to_review)
        ),
        "late_declarations": company_declarations.late_declarations(lots, today),
        "declaration_deadline_day": company_declarations.DEFAULT_DECLARATION_DEADLINE_DAY,
    }


def home(request):
    """Facilitators get their working home; buyers and coordinators, who see aggregates only, their dashboard."""
    user = request.user
    scope = scoping.scope_of(user)
    if scope.is_company_only:
        return redirect("companies:home")
    if not scope.is_superuser and not scope.facilitation_ids and (scope.buyer_ids or scope.region_codes):
        return redirect("reporting:dashboard")
    today = timezone.localdate()
    last_month = add_months(first_of_month(today), -1)
    last_month_end = first_of_month(today) - timedelta(days=1)
    visible = Placement.objects.visible_to(user)
    placements = visible.select_related("beneficiary", "lot__market", "employer")
    missing_q = Q(start_date__lte=last_month_end, end_date__gte=last_month) & ~Exists(
        HoursRecord.objects.filter(placement=OuterRef("pk"), month=last_month)
    )
    missing = (
        placements.filter(missing_q)
        .with_visible_name(user)
        .order_by(
            "lot__market__reference", "lot__number", French("visible_last_name"), French("visible_first_name"), "pk"
        )
    )
    ending = placements.filter(ending_within_q(today)).order_by("end_date", "pk")
    # Every count of the queue in one query over the visible placements (their perimeter computed once).
    counts = count_each(
        visible,
        missing=missing_q,
        ending=ending_within_q(today),
        **{f"outcome_{stage.value}": outcome_due_q(stage.value, today) for stage in OutcomeStage},
    )
    progress = lots_progress(Lot.objects.visible_to(user), today=today)
    # Running lots behind the hours expected by today, apart from ended lots short of their target.
    behind = [item for item in progress if item.status == TargetStatus.BEHIND]
    ended_below = sorted(
        (item for item in progress if item.status == TargetStatus.ENDED_BELOW),
        key=lambda item: (-item.lot.end_date.toordinal(), item.lot.pk),
    )
    missing_list, ending_list = list(missing[:HOME_LIST_SIZE]), list(ending[:HOME_LIST_SIZE])
    queue = review_queue(user)
    to_validate, rejected = queue["declared"], queue["rejected"]

    def labelled(items):
        return [{"placement": p, "identified": permissions.can_see_identity(user, p.beneficiary)} for p in items]

    missing_rows, ending_rows = labelled(missing_list), labelled(ending_list)
    # Criteria of the people the user follows (disability-related ones hidden from readers), one query.
    expiring = criteria_expiring(BeneficiaryCriterion.objects.visible_to(user), today)
    shown = [row["placement"].beneficiary for row in missing_rows + ending_rows if row["identified"]]
    shown += [item.criterion.beneficiary for item in expiring[:HOME_LIST_SIZE]]
    log_views(user=user, beneficiaries=shown, detail="Accueil : heures manquantes et contrats qui se terminent")
    context = {
        "last_month": last_month,
        "last_month_value": last_month.strftime("%Y-%m"),
        "to_validate": to_validate[:HOME_LIST_SIZE],
        "to_validate_total": sum(group.count for group in to_validate),
        "to_validate_groups": len(to_validate),
        "rejected": rejected[:HOME_LIST_SIZE],
        "rejected_total": sum(group.count for group in rejected),
        "rejected_groups": len(rejected),
        "missing_total": counts["missing"],
        "ending_total": counts["ending"],
        "outcomes_due": [{"stage": stage, "count": counts[f"outcome_{stage.value}"]} for stage in OutcomeStage],
        "missing": missing_rows,
        "ending": ending_rows,
        "ending_days": ENDING_SOON_DAYS,
        "expiring": expiring[:HOME_LIST_SIZE],
        "expiring_total": len(expiring),
        "expiring_days": CRITERIA_EXPIRING_DAYS,
        "ending_until": today + timedelta(days=ENDING_SOON_DAYS),
        "behind": behind[:HOME_LIST_SIZE],
        "behind_more": len(behind) if len(behind) > HOME_LIST_SIZE else None,
        "ended_below": ended_below[:HOME_LIST_SIZE],
        "ended_below_more": len(ended_below) if len(ended_below) > HOME_LIST_SIZE else None,
        "memberships": scoping.user_memberships(user),
        "market_count": Market.objects.visible_to(user).count(),
        "is_facilitator": permissions.is_facilitator(user),
        **declarations_queue(user, today),
    }
    return render(request, "home.html", context)
