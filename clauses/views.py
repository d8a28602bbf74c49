from django import forms
from django.core.exceptions import ValidationError
from django.shortcuts import render

from clauses.forms import ClauseForm, _plain, clause_from_form, preview_calibration, typed_input_errors
from clauses.models import CalibrationMethod
from markets.models import Trade

_amount_field = forms.DecimalField(localize=True, required=False, min_value=0)


def parse_amount(raw):
    try:
        return _amount_field.clean(raw)
    except ValidationError:
        return None


def calibration_context(*, clause_form, amount, trade_id="", method="", fill_share=False, method_changed=False):
    return {
        "clause_form": clause_form,
        "preview": preview_calibration(
            amount=amount, clause=clause_from_form(clause_form), refused=typed_input_errors(clause_form)
        ),
        "calibration_trade": trade_id or "",
        "calibration_method": method or "",
        "fill_share": fill_share,
        "method_changed": method_changed,
        "is_cleaning": method == CalibrationMethod.CLEANING,
    }


def calibration(request):
    """htmx fragment of the lot/clause form: the calibrated target and its formula, from the inputs typed so far.

    The fragment carries the trade and method it was computed with (hidden inputs), so that a change of trade
    fills the labour share with the trade's default, and a switch to the cleaning method shows S and N and the
    branch hourly cost (out-of-band swaps)."""
    data = request.GET.copy()
    trade_id = data.get("lot-trade", "")
    method = data.get("clause-calibration_method") or CalibrationMethod.GENERAL
    fill_share = False
    if trade_id and trade_id != data.get("calibration-trade", ""):
        trade = Trade.objects.filter(pk=trade_id).first() if trade_id.isdigit() else None
        if trade is not None:
            data["clause-labour_share"] = _plain(trade.default_labour_share * 100)
            fill_share = True
    previous_method = data.get("calibration-method") or CalibrationMethod.GENERAL
    method_changed = method != previous_method
    if method_changed and method == CalibrationMethod.CLEANING:
        from clauses.calculations import CLEANING_HOURLY_COST

        data["clause-hourly_cost"] = _plain(CLEANING_HOURLY_COST)
    clause_form = ClauseForm(data, prefix="clause")
    context = calibration_context(
        clause_form=clause_form,
        amount=parse_amount(data.get("lot-amount_excl_vat")),
        trade_id=trade_id,
        method=method,
        fill_share=fill_share,
        method_changed=method_changed,
    )
    return render(request, "clauses/calibration.html", context)
