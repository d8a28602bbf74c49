"""The social insertion clause carried by a lot, with its calibration (DOMAIN.md §3–§4)."""

from decimal import Decimal

from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.db.models.functions import Coalesce

from beneficiaries.choices import Criterion, Modality
from clauses import calculations
from markets.models import SHARE_VALIDATORS


class Mechanism(models.TextChoices):
    EXECUTION_CONDITION = "execution_condition", "Condition d'exécution (L2112-2)"
    AWARD_CRITERION = "award_criterion", "Critère d'attribution (L2152-7)"
    RESERVED_EA_ESAT = "reserved_ea_esat", "Marché réservé EA/ESAT (L2113-12)"
    RESERVED_SIAE = "reserved_siae", "Marché réservé SIAE (L2113-13)"
    INSERTION_MARKET = "insertion_market", "Marché d'insertion et de qualification (R2123-1)"


class CalibrationMethod(models.TextChoices):
    GENERAL = "general", "Méthode générale"
    CLEANING = "cleaning", "Méthode de la branche propreté"


class ClauseQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Clauses of the lots the user sees (organisations.scoping)."""
        from organisations.scoping import scope_of

        scope = scope_of(user)
        return self.none() if scope.is_empty else self.filter(scope.market_q("lot__market__"))


class Clause(models.Model):
    lot = models.OneToOneField("markets.Lot", on_delete=models.CASCADE, related_name="clause", verbose_name="lot")
    mechanism = models.CharField(
        "mécanisme juridique",
        max_length=30,
        choices=Mechanism.choices,
        default=Mechanism.EXECUTION_CONDITION,
        db_index=True,
    )
    calibration_method = models.CharField(
        "méthode de calibrage", max_length=10, choices=CalibrationMethod.choices, default=CalibrationMethod.GENERAL
    )
    labour_share = models.DecimalField(
        "part de main-d'œuvre", max_digits=4, decimal_places=3, validators=SHARE_VALIDATORS, default=Decimal("0.5")
    )
    insertion_rate = models.DecimalField(
        "taux d'insertion", max_digits=4, decimal_places=3, validators=SHARE_VALIDATORS, default=Decimal("0.05")
    )
    hourly_cost = models.DecimalField(
        "coût horaire chargé (€)",
        max_digits=6,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0.01"))],
        default=Decimal("30"),
    )
    cleaning_taken_over_monthly_hours = models.DecimalField(
        "heures mensuelles du personnel repris",
        max_digits=9,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0"))],
    )
    cleaning_duration_months = models.PositiveSmallIntegerField(
        "durée en mois (propreté)", null=True, blank=True, validators=[MinValueValidator(1)]
    )
    calibrated_hours = models.PositiveIntegerField("objectif calibré (heures)", default=0, editable=False)
    override_hours = models.PositiveIntegerField("objectif saisi à la main (heures)", null=True, blank=True)
    override_reason = models.TextField("motif de la saisie à la main", blank=True)
    target_hours = models.GeneratedField(
        expression=Coalesce("override_hours", "calibrated_hours"),
        output_field=models.PositiveIntegerField(),
        db_persist=True,
        verbose_name="objectif retenu (heures)",
    )
    eligible_criteria = models.JSONField(
        "publics éligibles", default=list, blank=True, help_text="Codes de critères ; vide = tous les publics."
    )
    allowed_modalities = models.JSONField(
        "modalités admises", default=list, blank=True, help_text="Codes de modalités ; vide = toutes."
    )
    reserved_to_qpv_residents = models.BooleanField("réservée aux habitant·es des QPV", default=False)
    counts_training_hours = models.BooleanField("les heures de formation comptent", default=False)
    counts_outside_period = models.BooleanField("les heures hors période d'exécution comptent", default=False)
    penalty_per_missing_hour = models.DecimalField(
        "pénalité par heure manquante (€)",
        max_digits=8,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0"))],
    )
    added_by_amendment = models.BooleanField("ajoutée par avenant", default=False)
    notes = models.TextField("observations", blank=True)

    objects = ClauseQuerySet.as_manager()

    class Meta:
        verbose_name = "clause sociale"
        verbose_name_plural = "clauses sociales"
        ordering = ["lot"]
        constraints = [
            models.CheckConstraint(
                condition=Q(labour_share__gte=0) & Q(labour_share__lte=1),
                name="clause_labour_share_between_0_and_1",
                violation_error_message="La part de main-d'œuvre doit être comprise entre 0 et 1.",
            ),
            models.CheckConstraint(
                condition=Q(insertion_rate__gte=0) & Q(insertion_rate__lte=1),
                name="clause_insertion_rate_between_0_and_1",
                violation_error_message="Le taux d'insertion doit être compris entre 0 et 1.",
            ),
            models.CheckConstraint(
                condition=Q(hourly_cost__gt=0),
                name="clause_hourly_cost_positive",
                violation_error_message="Le coût horaire chargé doit être strictement positif.",
            ),
            models.CheckConstraint(
                condition=Q(penalty_per_missing_hour__isnull=True) | Q(penalty_per_missing_hour__gte=0),
                name="clause_penalty_non_negative",
                violation_error_message="La pénalité ne peut pas être négative.",
            ),
            models.CheckConstraint(
                condition=Q(override_hours__isnull=True) | ~Q(override_reason=""),
                name="clause_override_requires_reason",
                violation_error_message="Un objectif saisi à la main doit être accompagné de son motif.",
            ),
            models.CheckConstraint(
                condition=~Q(calibration_method="cleaning")
                | (
                    Q(cleaning_taken_over_monthly_hours__isnull=False)
                    & Q(cleaning_duration_months__isnull=False)
                    & Q(cleaning_duration_months__gte=1)
                ),
                name="clause_cleaning_inputs_required",
                violation_error_message=(
                    "La méthode propreté demande les heures mensuelles du personnel repris et la durée en mois."
                ),
            ),
        ]

    def __str__(self):
        return f"Clause du {self.lot}"

    def save(self, *args, **kwargs):
        # The calibrated target is a cache of the formula over this row and its lot's amount,
        # refreshed on every save so that reports can sum it in SQL.
        self.calibrated_hours, _ = self.compute_calibration()
        update_fields = kwargs.get("update_fields")
        if update_fields is not None:
            kwargs["update_fields"] = {*update_fields, "calibrated_hours"}
        super().save(*args, **kwargs)

    def compute_calibration(self):
        """Return (hours, warning) from the current inputs and the lot amount."""
        amount = self.lot.amount_excl_vat
        if self.calibration_method == CalibrationMethod.CLEANING:
            result = calculations.cleaning_calibration(
                turnover_excl_vat=amount,
                insertion_rate=self.insertion_rate,
                taken_over_monthly_hours=self.cleaning_taken_over_monthly_hours or Decimal("0"),
                duration_months=self.cleaning_duration_months or 1,
                hourly_cost=self.hourly_cost,
            )
            return result.target_hours, result.warning
        hours = calculations.general_target_hours(
            amount_excl_vat=amount,
            labour_share=self.labour_share,
            insertion_rate=self.insertion_rate,
            hourly_cost=self.hourly_cost,
        )
        return hours, ""

    @property
    def effective_target_hours(self) -> int:
        return self.override_hours if self.override_hours is not None else self.calibrated_hours

    @property
    def eligible_criteria_labels(self) -> list[str]:
        return [Criterion(code).label for code in self.eligible_criteria if code in Criterion.values]

    @property
    def allowed_modalities_labels(self) -> list[str]:
        return [Modality(code).label for code in self.allowed_modalities if code in Modality.values]

    def owning_structure_ids(self) -> set[int]:
        """Facilitation structures that own this object (organisations.permissions)."""
        return {self.lot.market.facilitator_id}
