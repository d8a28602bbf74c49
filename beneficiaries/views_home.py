"""The facilitator home: last month's missing hours, placements ending soon, running lots behind and ended
lots below their target."""

from datetime import timedelta

from django.db.models import Exists, OuterRef
from django.shortcuts import redirect, render
from django.utils import timezone

from audit.services import log_views
from beneficiaries.calculations import add_months, first_of_month
from beneficiaries.filters import ENDING_SOON_DAYS, ending_within
from beneficiaries.models import HoursRecord, Placement
from clauses.calculations import TargetStatus
from markets.models import Lot, Market
from organisations import permissions, scoping
from reporting.queries import lots_progress

HOME_LIST_SIZE = 10


def home(request):
    """Facilitators get their working home; buyers and coordinators, who see aggregates only, their dashboard."""
    user = request.user
    scope = scoping.scope_of(user)
    if not scope.is_superuser and not scope.facilitation_ids and (scope.buyer_ids or scope.region_codes):
        return redirect("reporting:dashboard")
    today = timezone.localdate()
    last_month = add_months(first_of_month(today), -1)
    last_month_end = first_of_month(today) - timedelta(days=1)
    placements = Placement.objects.visible_to(user).select_related("beneficiary", "lot__market", "employer")
    missing = (
        placements.filter(start_date__lte=last_month_end, end_date__gte=last_month)
        .filter(~Exists(HoursRecord.objects.filter(placement=OuterRef("pk"), month=last_month)))
        .with_visible_name(user)
        .order_by("lot__market__reference", "lot__number", "visible_last_name", "visible_first_name", "pk")
    )
    ending = ending_within(placements, today).order_by("end_date", "pk")
    progress = lots_progress(Lot.objects.visible_to(user), today=today)
    # Running lots behind the hours expected by today, apart from ended lots short of their target.
    behind = [item for item in progress if item.status == TargetStatus.BEHIND]
    ended_below = sorted(
        (item for item in progress if item.status == TargetStatus.ENDED_BELOW),
        key=lambda item: (-item.lot.end_date.toordinal(), item.lot.pk),
    )
    missing_list, ending_list = list(missing[: HOME_LIST_SIZE + 1]), list(ending[: HOME_LIST_SIZE + 1])

    def labelled(items):
        return [{"placement": p, "identified": permissions.can_see_identity(user, p.beneficiary)} for p in items]

    missing_rows, ending_rows = labelled(missing_list[:HOME_LIST_SIZE]), labelled(ending_list[:HOME_LIST_SIZE])
    shown = [row["placement"].beneficiary for row in missing_rows + ending_rows if row["identified"]]
    log_views(user=user, beneficiaries=shown, detail="Accueil : heures manquantes et contrats qui se terminent")
    context = {
        "last_month": last_month,
        "missing": missing_rows,
        "missing_more": missing.count() if len(missing_list) > HOME_LIST_SIZE else None,
        "ending": ending_rows,
        "ending_more": ending.count() if len(ending_list) > HOME_LIST_SIZE else None,
        "ending_days": ENDING_SOON_DAYS,
        "behind": behind[:HOME_LIST_SIZE],
        "behind_more": len(behind) if len(behind) > HOME_LIST_SIZE else None,
        "ended_below": ended_below[:HOME_LIST_SIZE],
        "ended_below_more": len(ended_below) if len(ended_below) > HOME_LIST_SIZE else None,
        "memberships": scoping.user_memberships(user),
        "market_count": Market.objects.visible_to(user).count(),
        "is_facilitator": permissions.is_facilitator(user),
    }
    return render(request, "home.html", context)
