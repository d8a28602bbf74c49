from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Sum
from django.shortcuts import get_object_or_404, redirect, render

from clauses.forms import ClauseForm
from clauses.models import CalibrationMethod
from clauses.services import save_clause
from clauses.views import calibration_context, parse_amount
from markets import services
from markets.filters import MarketFilter, OperationFilter
from markets.forms import LotForm, MarketForm, OperationForm
from markets.models import Lot, Market, Operation
from markets.views_decp import can_list as can_list_published
from markets.views_decp import holder_initial
from organisations import permissions
from organisations.web import add_errors, paginate, render_list, require

CREATE_REFUSED = "Seuls les membres d'une structure de facilitation peuvent créer cet élément."


# Operations --------------------------------------------------------------------------------------------


def operation_list(request):
    queryset = (
        Operation.objects.visible_to(request.user)
        .select_related("facilitator", "commune")
        .annotate(market_count=Count("markets"))
    )
    filterset = OperationFilter(request.GET or None, queryset=queryset)
    context = {
        "filter": filterset,
        "page_obj": paginate(request, filterset.qs),
        "can_create": permissions.is_facilitator(request.user),
    }
    return render_list(request, "markets/operation_list.html", context)


def operation_detail(request, pk):
    operation = get_object_or_404(
        Operation.objects.visible_to(request.user).select_related("facilitator", "commune"), pk=pk
    )
    markets = Market.objects.visible_to(request.user).filter(operation=operation).select_related("buyer")
    context = {"operation": operation, "markets": markets, "can_edit": permissions.can_edit(request.user, operation)}
    return render(request, "markets/operation_detail.html", context)


def operation_create(request):
    require(permissions.is_facilitator(request.user), CREATE_REFUSED)
    form = OperationForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            operation = services.create_operation(**form.cleaned_data)
        except ValidationError as error:
            add_errors(form, error)
            return render(request, "markets/operation_form.html", {"form": form})
        messages.success(request, f"L'opération « {operation} » a été créée.")
        return redirect("markets:operation_detail", pk=operation.pk)
    return render(request, "markets/operation_form.html", {"form": form})


def operation_update(request, pk):
    operation = get_object_or_404(Operation.objects.visible_to(request.user), pk=pk)
    require(permissions.can_edit(request.user, operation))
    form = OperationForm(request.POST or None, instance=operation, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            services.update_operation(operation=operation, **form.cleaned_data)
        except ValidationError as error:
            add_errors(form, error)
        else:
            messages.success(request, "Les modifications ont été enregistrées.")
            return redirect("markets:operation_detail", pk=operation.pk)
    return render(request, "markets/operation_form.html", {"form": form, "operation": operation})


# Markets -----------------------------------------------------------------------------------------------


def market_list(request):
    """Markets the user sees; the number of queries does not grow with the markets (tested)."""
    queryset = (
        Market.objects.visible_to(request.user)
        .select_related("buyer", "facilitator", "execution_commune")
        .annotate(lot_count=Count("lots", distinct=True), target_hours=Sum("lots__clause__target_hours"))
    )
    filterset = MarketFilter(request.GET or None, queryset=queryset, request=request)
    context = {
        "filter": filterset,
        "page_obj": paginate(request, filterset.qs),
        "can_create": permissions.is_facilitator(request.user),
        "can_list_published": can_list_published(request.user),
    }
    return render_list(request, "markets/market_list.html", context)


def market_detail(request, pk):
    market = get_object_or_404(
        Market.objects.visible_to(request.user).select_related(
            "buyer", "facilitator", "operation", "execution_commune__department"
        ),
        pk=pk,
    )
    lots = market.lots.select_related("trade", "contractor", "clause").order_by("number")
    context = {
        "market": market,
        "lots": lots,
        "can_edit": permissions.can_edit(request.user, market),
        "total_target": sum((lot.clause.target_hours for lot in lots if hasattr(lot, "clause")), 0),
    }
    return render(request, "markets/market_detail.html", context)


def market_create(request):
    require(permissions.is_facilitator(request.user), CREATE_REFUSED)
    form = MarketForm(request.POST or None, user=request.user, initial={"operation": request.GET.get("operation")})
    if request.method == "POST" and form.is_valid():
        try:
            market = services.create_market(**form.cleaned_data)
        except ValidationError as error:
            add_errors(form, error)
            return render(request, "markets/market_form.html", {"form": form})
        messages.success(request, f"Le marché « {market.reference} » a été créé. Ajoutez maintenant ses lots.")
        return redirect("markets:lot_create", pk=market.pk)
    return render(request, "markets/market_form.html", {"form": form})


def market_update(request, pk):
    market = get_object_or_404(Market.objects.visible_to(request.user), pk=pk)
    require(permissions.can_edit(request.user, market))
    form = MarketForm(request.POST or None, instance=market, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            services.update_market(market=market, **form.cleaned_data)  # refreshes the reports' copies
        except ValidationError as error:
            add_errors(form, error)
        else:
            messages.success(request, "Les modifications ont été enregistrées.")
            return redirect("markets:market_detail", pk=market.pk)
    return render(request, "markets/market_form.html", {"form": form, "market": market})


# Lot and its clause, on one page -------------------------------------------------------------------------


def _lot_and_clause(request, *, market, lot=None, initial=None):
    clause = getattr(lot, "clause", None) if lot is not None else None
    data = request.POST if request.method == "POST" else None
    lot_form = LotForm(data, instance=lot, user=request.user, market=market, prefix="lot", initial=initial)
    clause_form = ClauseForm(data, instance=clause, prefix="clause")
    has_clause = clause is not None or (data.get("has_clause") == "on" if data is not None else True)

    if request.method == "POST" and lot_form.is_valid() and (not has_clause or clause_form.is_valid()):
        failed_form = lot_form
        try:
            with transaction.atomic():  # the lot and its clause together, or neither
                if lot is None:
                    saved_lot = services.create_lot(market=market, **lot_form.cleaned_data)
                else:
                    saved_lot = services.update_lot(lot=lot, **lot_form.cleaned_data)
                warning = ""
                if has_clause:
                    failed_form = clause_form
                    _clause, warning = save_clause(lot=saved_lot, **clause_form.service_fields())
        except ValidationError as error:
            add_errors(failed_form, error)
        else:
            messages.success(request, f"Le lot {saved_lot.number} « {saved_lot.title} » a été enregistré.")
            if warning:
                messages.warning(request, warning)
            return redirect("markets:market_detail", pk=market.pk)

    if clause is None and not clause_form.is_bound and lot is not None and lot.trade is not None:
        clause_form.initial["labour_share"] = lot.trade.default_labour_share
    amount = lot_form["amount_excl_vat"].value()
    trade_id = lot_form["trade"].value()
    method = clause_form["calibration_method"].value() or CalibrationMethod.GENERAL
    context = {
        "market": market,
        "lot": lot,
        "lot_form": lot_form,
        "has_clause": has_clause,
        "clause_exists": clause is not None,
        **calibration_context(
            clause_form=clause_form,
            amount=parse_amount(amount) if isinstance(amount, str) else amount,
            trade_id=str(trade_id or ""),
            method=method,
        ),
    }
    return render(request, "markets/lot_form.html", context)


def lot_create(request, pk):
    market = get_object_or_404(Market.objects.visible_to(request.user), pk=pk)
    require(permissions.can_edit(request.user, market))
    # After taking a published market over (markets.views_decp), its holder is proposed for the first lot.
    return _lot_and_clause(request, market=market, initial=holder_initial(request))


def lot_update(request, pk):
    lot = get_object_or_404(Lot.objects.visible_to(request.user).select_related("market", "trade"), pk=pk)
    require(permissions.can_edit(request.user, lot))
    return _lot_and_clause(request, market=lot.market, lot=lot)
