"""The lot page: target, validated hours to date, achievement, status, projection, monthly chart, placements."""

from decimal import Decimal

from django.core.exceptions import ObjectDoesNotExist
from django.db.models import DecimalField, OuterRef, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.shortcuts import get_object_or_404, render
from django.utils import timezone

from audit.services import log_views
from beneficiaries.models import Placement
from companies.views_declarations import lot_declarations
from config.formatting import french_hours
from markets.models import Lot
from organisations import permissions
from reporting.models import PlacementYear
from reporting.queries import COUNTED_HOURS, HOURS_FIELD, achieved_hours_subquery, monthly_hours, progress_of


def _cumulative_series(points, target: int | None):
    """Monthly validated hours with their running total and the running achievement rate (exact share, rounded
    once for display by config.formatting)."""
    rows, total = [], Decimal("0")
    for point in points:
        total += point.hours
        rate = (total / Decimal(target)) if target else None
        rows.append({"month": point.month, "hours": point.hours, "cumulative": total, "rate": rate})
    return rows


def _validated_hours_per_placement():
    per_placement = (
        PlacementYear.objects.filter(placement=OuterRef("pk"))
        .order_by()
        .values("placement")
        .annotate(total=Sum(COUNTED_HOURS, output_field=HOURS_FIELD))
        .values("total")
    )
    return Coalesce(
        Subquery(per_placement, output_field=HOURS_FIELD),
        Value(Decimal("0")),
        output_field=DecimalField(max_digits=14, decimal_places=2),
    )


def lot_detail(request, pk):
    user = request.user
    lot = get_object_or_404(
        Lot.objects.visible_to(user)
        .select_related("market__buyer", "market__facilitator", "contractor", "trade", "clause")
        .annotate(achieved=achieved_hours_subquery()),
        pk=pk,
    )
    try:
        clause = lot.clause
    except ObjectDoesNotExist:
        clause = None
    today = timezone.localdate()
    progress = progress_of(lot, today=today) if clause is not None else None
    # The lot is visible: its aggregate figures are too, whoever declared the hours.
    series = _cumulative_series(
        monthly_hours(PlacementYear.objects.filter(lot=lot)), progress.target_hours if progress else None
    )
    # Contracts are person-level rows (even pseudonymised): for the structures that follow the data only; buyers
    # and coordinators see the lot's aggregates (DOMAIN.md §8).
    can_see_people = permissions.can_see_people(user)
    placements = (
        Placement.objects.visible_to(user)
        .filter(lot=lot)
        .select_related("beneficiary", "employer")
        .annotate(validated_hours=_validated_hours_per_placement())
        .order_by("-start_date", "pk")
        if can_see_people
        else Placement.objects.none()
    )
    rows = [
        {"placement": placement, "identified": permissions.can_see_identity(user, placement.beneficiary)}
        for placement in placements
    ]
    log_views(
        user=user,
        beneficiaries=[row["placement"].beneficiary for row in rows if row["identified"]],
        detail=f"Contrats du lot n° {lot.pk}",
    )
    chart = {
        "labels": [row["month"].strftime("%m/%Y") for row in series],
        "hours": [float(row["hours"]) for row in series],
        "cumulative": [float(row["cumulative"]) for row in series],
        # Tooltips show the text of the table cells (0.1 h), rounded once on the server.
        "hours_texts": [french_hours(row["hours"]) for row in series],
        "cumulative_texts": [french_hours(row["cumulative"]) for row in series],
        "target": progress.target_hours if progress else None,
    }
    context = {
        "lot": lot,
        "clause": clause,
        "progress": progress,
        "series": series,
        "chart": chart,
        "rows": rows,
        "can_see_people": can_see_people,
        "can_edit": permissions.can_edit(user, lot),
        "can_add_placement": permissions.is_facilitator(user) and permissions.can_edit(user, lot),
        "today": today,
        # Company declarations (issue 15): their status and next actor, never a person.
        **lot_declarations(user, lot),
    }
    return render(request, "markets/lot_detail.html", context)
