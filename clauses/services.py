"""Writes on clauses: create or update the clause of a lot with its calibration (DOMAIN.md §3–§4)."""

from django.core.exceptions import ObjectDoesNotExist, ValidationError
from django.db import IntegrityError, transaction

from clauses import calculations
from clauses.models import CalibrationMethod, Clause
from config.hooks import summary

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

    errors = []
    if clause.override_hours is not None and not clause.override_reason:
        errors.append("Un objectif saisi à la main doit être accompagné de son motif.")
    if clause.calibration_method == CalibrationMethod.CLEANING and (
        clause.cleaning_taken_over_monthly_hours is None or not clause.cleaning_duration_months
    ):
        errors.append("La méthode propreté demande les heures mensuelles du personnel repris et la durée en mois.")
    if errors:
        raise ValidationError(errors)
    clause.full_clean(exclude=["lot", "calibrated_hours"])

    if clause.calibration_method == CalibrationMethod.CLEANING:
        result = calculations.cleaning_calibration(
            turnover_excl_vat=lot.amount_excl_vat,
            insertion_rate=clause.insertion_rate,
            taken_over_monthly_hours=clause.cleaning_taken_over_monthly_hours,
            duration_months=clause.cleaning_duration_months,
            hourly_cost=clause.hourly_cost,
        )
        if not result.possible:
            raise ValidationError(result.warning)
        warning = result.warning
    else:
        warning = ""
    try:
        with transaction.atomic():
            clause.save()
    except IntegrityError as error:
        raise ValidationError("La clause n'a pas pu être enregistrée : ses données sont incohérentes.") from error
    summary.refresh_lots([lot.pk])  # reports copy the mechanism and whether training hours count
    return clause, warning
