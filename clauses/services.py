"""Writes on clauses: create, update or remove the clause of a lot with its calibration (DOMAIN.md §3–§5)."""

from django.core.exceptions import ObjectDoesNotExist, ValidationError
from django.db import IntegrityError, transaction

from clauses import calculations
from clauses.models import CalibrationMethod, Clause
from config.hooks import summary
from markets.models import share_bounds_message, share_out_of_bounds

OVERRIDE_WITHOUT_REASON = "Un objectif saisi à la main doit être accompagné de son motif."
CLEANING_INPUTS = "La méthode propreté demande les heures mensuelles du personnel repris et la durée en mois."

CLAUSE_FIELDS = frozenset(
    field.name
    for field in Clause._meta.get_fields()
    if getattr(field, "concrete", False) and field.name not in {"id", "lot", "calibrated_hours", "target_hours"}
)


@transaction.atomic
def save_clause(*, lot, **fields) -> tuple[Clause, str]:
    """Create or update the clause of `lot`. Returns (clause, warning); the warning is "" when none.

    The cleaning-sector formula refuses a lot whose taken-over staff already absorbs the market (P ≤ 0) and
    warns below 150 h. A cleaning clause uses the branch hourly cost (25 €) unless another one is given.
    """
    unknown = set(fields) - CLAUSE_FIELDS
    if unknown:
        raise TypeError(f"Champs inconnus : {', '.join(sorted(unknown))}")
    try:
        clause = Clause.objects.select_for_update().get(lot=lot)
    except ObjectDoesNotExist:
        clause = Clause(lot=lot)
    switching_to_cleaning = (
        fields.get("calibration_method") == CalibrationMethod.CLEANING
        and clause.calibration_method != CalibrationMethod.CLEANING
    ) or (clause.pk is None and fields.get("calibration_method") == CalibrationMethod.CLEANING)
    for name, value in fields.items():
        setattr(clause, name, value)
    if switching_to_cleaning and "hourly_cost" not in fields:
        clause.hourly_cost = calculations.CLEANING_HOURLY_COST
    clause.override_reason = (clause.override_reason or "").strip()

    errors = {}
    if clause.override_hours is not None and not clause.override_reason:
        errors["override_reason"] = ValidationError(OVERRIDE_WITHOUT_REASON, code="override_without_reason")
    if clause.calibration_method == CalibrationMethod.CLEANING and (
        clause.cleaning_taken_over_monthly_hours is None or not clause.cleaning_duration_months
    ):
        errors["cleaning_taken_over_monthly_hours"] = ValidationError(CLEANING_INPUTS, code="cleaning_inputs_required")
    if errors:
        raise ValidationError(errors)
    try:
        clause.full_clean(exclude=["lot", "calibrated_hours"])
    except ValidationError as error:
        # A share out of its bounds is refused with a message naming them (the validators' says "≤ 1").
        for name in ("labour_share", "insertion_rate"):
            if share_out_of_bounds(getattr(clause, name)):
                error.error_dict[name] = [
                    ValidationError(share_bounds_message(name, percent=False), code="out_of_bounds")
                ]
        raise

    if clause.calibration_method == CalibrationMethod.CLEANING:
        result = calculations.cleaning_calibration(
            turnover_excl_vat=lot.amount_excl_vat,
            insertion_rate=clause.insertion_rate,
            taken_over_monthly_hours=clause.cleaning_taken_over_monthly_hours,
            duration_months=clause.cleaning_duration_months,
            hourly_cost=clause.hourly_cost,
        )
        if not result.possible:
            raise ValidationError(
                {"cleaning_taken_over_monthly_hours": ValidationError(result.warning, code="cleaning_absorbed")}
            )
        warning = result.warning
    else:
        warning = ""
    try:
        with transaction.atomic():
            clause.save()
    except IntegrityError as error:
        raise ValidationError(
            "La clause n'a pas pu être enregistrée : ses données sont incohérentes.", code="integrity"
        ) from error
    _refresh_lot(lot)  # reports copy the mechanism and whether training hours count
    return clause, warning


@transaction.atomic
def remove_clause(*, clause: Clause) -> None:
    """Remove the clause of a lot (DOMAIN §5: hours count only on a lot that carries a clause).

    The lot's placements and hours records are kept as they are (the facilitator may add a clause again, e.g. by
    amendment); they simply stop counting: the summary rows of the lot's placements are recomputed, and a lot
    without a clause contributes nothing to the reports."""
    lot = clause.lot
    Clause.objects.filter(pk=clause.pk).delete()
    _refresh_lot(lot)


def _refresh_lot(lot) -> None:
    """Recompute the summary rows of every placement of the lot. Not only the rows already stored
    (summary.refresh_lots): a lot that just got its clause may have no row yet."""
    summary.refresh(lot.placements.values_list("pk", flat=True))
