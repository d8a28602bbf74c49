from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django import forms

from beneficiaries.choices import Criterion, Modality
from clauses import calculations
from clauses.models import CalibrationMethod, Clause
from config.formatting import french_number
from markets.models import Lot, share_bounds_message

CALIBRATION_FIELDS = (
    "calibration_method",
    "labour_share",
    "insertion_rate",
    "hourly_cost",
    "cleaning_taken_over_monthly_hours",
    "cleaning_duration_months",
    "override_hours",
    "override_reason",
)


def _plain(value: Decimal) -> str:
    """Decimal → "7,5" (no exponent, no trailing zeros, French decimal comma)."""
    text = format(value.normalize(), "f")
    return text.replace(".", ",")


class PercentField(forms.DecimalField):
    """Typed as a percentage (50 or 7,5), stored as a fraction (0.5, 0.075) rounded to 0.1 %."""

    widget = forms.TextInput

    def __init__(self, *, bounds_message: str, **kwargs):
        kwargs.setdefault("localize", True)
        super().__init__(min_value=Decimal("0"), max_value=Decimal("100"), **kwargs)
        self.widget.attrs.update({"inputmode": "decimal", "autocomplete": "off"})
        # Django formats these messages with the limit ("%(limit_value)s"): a literal "%" is doubled.
        self.error_messages["min_value"] = self.error_messages["max_value"] = bounds_message.replace("%", "%%")

    def widget_attrs(self, widget):
        attrs = super().widget_attrs(widget)
        attrs.pop("max", None), attrs.pop("min", None), attrs.pop("step", None)
        return attrs

    def prepare_value(self, value):
        if isinstance(value, Decimal | float | int) and not isinstance(value, bool):
            return _plain(Decimal(str(value)) * 100)
        return value

    def clean(self, value):
        percent = super().clean(value)
        if percent is None:
            return None
        return (percent / 100).quantize(Decimal("0.001"), rounding=ROUND_HALF_UP)


class ClauseForm(forms.ModelForm):
    labour_share = PercentField(
        label="Part de main-d'œuvre (%)",
        help_text="Remplie selon le corps d'état ; modifiable.",
        bounds_message=share_bounds_message("labour_share", percent=True),
    )
    insertion_rate = PercentField(
        label="Taux d'insertion (%)",
        help_text="Souvent 5, 7 ou 10 %.",
        bounds_message=share_bounds_message("insertion_rate", percent=True),
    )
    eligible_criteria = forms.MultipleChoiceField(
        label="Publics éligibles",
        choices=Criterion.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Aucune case cochée : tous les publics de la clause.",
    )
    allowed_modalities = forms.MultipleChoiceField(
        label="Modalités admises",
        choices=Modality.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Aucune case cochée : toutes les modalités.",
    )

    class Meta:
        model = Clause
        fields = [
            "mechanism",
            "calibration_method",
            "labour_share",
            "insertion_rate",
            "hourly_cost",
            "cleaning_taken_over_monthly_hours",
            "cleaning_duration_months",
            "override_hours",
            "override_reason",
            "eligible_criteria",
            "allowed_modalities",
            "reserved_to_qpv_residents",
            "counts_training_hours",
            "counts_outside_period",
            "penalty_per_missing_hour",
            "added_by_amendment",
            "notes",
        ]
        localized_fields = ["hourly_cost", "cleaning_taken_over_monthly_hours", "penalty_per_missing_hour"]
        labels = {
            "hourly_cost": "Coût horaire chargé (€/h)",
            "cleaning_taken_over_monthly_hours": "Heures mensuelles du personnel repris (S)",
            "cleaning_duration_months": "Durée du marché en mois (N)",
            "override_hours": "Objectif saisi à la main (heures)",
        }
        help_texts = {
            "override_hours": "Laisser vide pour retenir l'objectif calibré.",
            "override_reason": "Obligatoire quand l'objectif est saisi à la main.",
        }
        widgets = {
            "calibration_method": forms.RadioSelect,
            "override_reason": forms.Textarea(attrs={"rows": 2}),
            "notes": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("hourly_cost", "cleaning_taken_over_monthly_hours", "penalty_per_missing_hour"):
            self.fields[name].widget = forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"})

    def clean(self):
        data = super().clean()
        if data.get("override_hours") is not None and not (data.get("override_reason") or "").strip():
            self.add_error("override_reason", "Indiquez le motif de l'objectif saisi à la main.")
        if data.get("calibration_method") == CalibrationMethod.CLEANING:
            if data.get("cleaning_taken_over_monthly_hours") is None:
                self.add_error("cleaning_taken_over_monthly_hours", "Obligatoire pour la méthode propreté.")
            if not data.get("cleaning_duration_months"):
                self.add_error("cleaning_duration_months", "Obligatoire pour la méthode propreté.")
        return data

    def service_fields(self) -> dict:
        """The cleaned values, as keyword arguments of clauses.services.save_clause."""
        return {name: self.cleaned_data[name] for name in self.Meta.fields}


# Live calibration ---------------------------------------------------------------------------------------


def _n(value, decimals=0) -> str:
    return french_number(value, decimals)


@dataclass(frozen=True)
class CalibrationPreview:
    """What the lot/clause form shows next to the inputs: the result, the formula in French, messages."""

    hours: int | None = None
    target_hours: int | None = None
    formula: str = ""
    formula_p: str = ""
    remaining_share: Decimal | None = None
    error: str = ""
    warning: str = ""
    overridden: bool = False
    missing: tuple = ()


def preview_calibration(*, amount, clause: Clause, refused: tuple[str, ...] = ()) -> CalibrationPreview:
    """Compute the calibrated target of an unsaved clause through Clause.compute_calibration, and spell the
    formula out. `amount` is the lot amount excl. VAT (None when not typed yet); `refused` holds the refusals of
    the inputs typed but invalid (`typed_input_errors`), shown instead of asking for them."""
    if refused:
        return CalibrationPreview(error=" ".join(refused))
    missing = []
    if amount is None:
        missing.append("le montant HT du lot")
    if clause.insertion_rate is None:
        missing.append("le taux d'insertion")
    if not clause.hourly_cost:
        missing.append("le coût horaire")
    cleaning = clause.calibration_method == CalibrationMethod.CLEANING
    if cleaning:
        if clause.cleaning_taken_over_monthly_hours is None:
            missing.append("les heures mensuelles du personnel repris (S)")
        if not clause.cleaning_duration_months:
            missing.append("la durée en mois (N)")
    elif clause.labour_share is None:
        missing.append("la part de main-d'œuvre")
    if missing:
        return CalibrationPreview(missing=tuple(missing))

    clause.lot = Lot(amount_excl_vat=amount)
    try:
        hours, warning = clause.compute_calibration()
    except (ValueError, InvalidOperation, ZeroDivisionError) as error:
        return CalibrationPreview(error=str(error))
    overridden = clause.override_hours is not None
    target = clause.override_hours if overridden else hours
    rate = f"{_plain(clause.insertion_rate * 100)}\u00a0%"
    cost = f"{_n(clause.hourly_cost, 2 if clause.hourly_cost % 1 else 0)}\u00a0€/h"
    amount_text = f"{_n(amount)}\u00a0€"
    if not cleaning:
        share = f"{_plain(clause.labour_share * 100)}\u00a0%"
        formula = f"{amount_text} × {share} × {rate} ÷ {cost} = {_n(hours)}\u00a0h"
        return CalibrationPreview(hours=hours, target_hours=target, formula=formula, overridden=overridden)

    result = calculations.cleaning_calibration(
        turnover_excl_vat=amount,
        insertion_rate=clause.insertion_rate,
        taken_over_monthly_hours=clause.cleaning_taken_over_monthly_hours,
        duration_months=clause.cleaning_duration_months,
        hourly_cost=clause.hourly_cost,
    )
    taken_over = clause.cleaning_taken_over_monthly_hours
    s_hours = f"{_n(taken_over, 2 if taken_over % 1 else 0)}\u00a0h"
    p_text = _n(result.remaining_share, 2)
    formula_p = (
        f"P = 1 − (S × C) ÷ (A ÷ N) = 1 − ({s_hours} × {cost}) ÷ ({amount_text} ÷ {clause.cleaning_duration_months}) "
        f"= {p_text}"
    )
    if not result.possible:
        return CalibrationPreview(
            hours=0, formula_p=formula_p, remaining_share=result.remaining_share, error=result.warning
        )
    formula = f"I = P × A ÷ C × T = {p_text} × {amount_text} ÷ {cost} × {rate} = {_n(hours)}\u00a0h"
    return CalibrationPreview(
        hours=hours,
        target_hours=target,
        formula=formula,
        formula_p=formula_p,
        remaining_share=result.remaining_share,
        warning=warning,
        overridden=overridden,
    )


def typed_input_errors(form: ClauseForm) -> tuple[str, ...]:
    """The refusals of the calibration inputs that were typed (a share of 150 %), not of those left empty."""
    if not form.is_bound or form.is_valid():
        return ()
    return tuple(
        message
        for name in CALIBRATION_FIELDS
        if (form.data.get(form.add_prefix(name)) or "").strip()
        for message in form.errors.get(name, ())
    )


def clause_from_form(form: ClauseForm) -> Clause:
    """An unsaved Clause carrying the valid calibration inputs of a bound form, or an unbound form's initial
    values."""
    values = {}
    if form.is_bound:
        form.is_valid()
        for name in CALIBRATION_FIELDS:
            if name in form.cleaned_data:
                values[name] = form.cleaned_data[name]
    else:
        for name in CALIBRATION_FIELDS:
            values[name] = form[name].initial
    values.setdefault("calibration_method", CalibrationMethod.GENERAL)
    for name in ("labour_share", "insertion_rate", "hourly_cost"):
        values.setdefault(name, None)
    return Clause(**values)
