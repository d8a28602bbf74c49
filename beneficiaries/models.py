"""People on an insertion path, their eligibility, placements on lots, monthly hours and outcomes."""

from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Case, F, Q, Value, When

from beneficiaries.choices import (
    SENSITIVE_CRITERIA,
    Criterion,
    EvidenceType,
    HoursSource,
    HoursStatus,
    Modality,
    OutcomeResult,
    OutcomeStage,
    PrescriberType,
    QpvSource,
    QualificationLevel,
    Sex,
)

QPV_OUTSIDE_COMMUNE = "Ce quartier prioritaire n'est pas situé dans la commune choisie."
COORDINATES_BOTH = "Indiquez la latitude et la longitude, ou aucune des deux."
MONTHLY_MAX_HOURS = Decimal("220")
HOURS_VALIDATORS = [MinValueValidator(Decimal("0")), MaxValueValidator(MONTHLY_MAX_HOURS)]


def _scope(user):
    from organisations.scoping import scope_of

    return scope_of(user)


def _placement_q(scope, prefix: str = "") -> Q:
    """Placements on a market the user sees, or of a person their facilitation structure follows.

    One subquery of placement ids, the UNION of two index-driven selections, rather than an OR across joined
    tables, which made PostgreSQL join every placement, person and market at national volume (issue 6).
    """
    if scope.is_superuser:
        return Q()  # Q() | Q(...) would keep only the right-hand side and hide everything from a superuser
    if not scope.facilitation_ids:  # buyers and coordinators: markets only, a plain join is best
        return scope.market_q(f"{prefix}lot__market__")
    from markets.models import Market

    markets = Market.objects.filter(scope.market_q()).order_by().values("pk")
    ids = Placement.objects.filter(lot__market__in=markets).order_by().values("pk")
    followed = Placement.objects.filter(beneficiary__structure__in=scope.facilitation_ids).order_by().values("pk")
    ids = ids.union(followed)
    return Q(**{f"{prefix[:-2]}__in" if prefix else "pk__in": ids})


class BeneficiaryQuerySet(models.QuerySet):
    def visible_to(self, user):
        """People followed by the user's facilitation structure. Buyers and coordination bodies never see
        identities (DOMAIN.md §9): for them this is empty; they get counts from placements."""
        scope = _scope(user)
        if scope.is_superuser:
            return self.all()
        return self.filter(structure__in=scope.facilitation_ids)


class BeneficiaryCriterionQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Criteria of the people one follows; disability-related ones only for admins and members, not
        readers (organisations.permissions.can_see_sensitive_criteria)."""
        scope = _scope(user)
        if scope.is_superuser:
            return self.all()
        return self.filter(
            Q(beneficiary__structure__in=scope.facilitation_editor_ids)
            | (Q(beneficiary__structure__in=scope.facilitation_ids) & ~Q(criterion__in=SENSITIVE_CRITERIA))
        )

    def expiry_candidates(self, start, end, *, validity_months: int):
        """Criteria that may stop holding between `start` and `end` (calculations.criterion_expires_on), widened
        by a few days for the month-end arithmetic: `beneficiaries.due_dates.criteria_expiring` keeps the exact
        ones."""
        from beneficiaries.calculations import YOUTH_AGE_LIMIT, months_before

        margin = timedelta(days=4)
        validity = Q(
            validated_on__gte=months_before(start, validity_months) - margin,
            validated_on__lte=months_before(end, validity_months) + margin,
        )
        birthday = Q(
            criterion="youth_low_qualification",
            beneficiary__birth_date__gte=months_before(start, 12 * YOUTH_AGE_LIMIT) - margin,
            beneficiary__birth_date__lte=months_before(end, 12 * YOUTH_AGE_LIMIT) + margin,
        )
        return self.filter(validity | birthday)


class PlacementQuerySet(models.QuerySet):
    def visible_to(self, user):
        scope = _scope(user)
        return self.none() if scope.is_empty else self.filter(_placement_q(scope))

    def with_visible_name(self, user):
        """Annotate `visible_last_name` and `visible_first_name`: the person's names where the user may identify
        them (organisations.permissions.can_see_identity), "" elsewhere. Sort by these, never by the person's
        fields: an order by surname places a person the user may not identify among the names they read."""
        scope = _scope(user)
        if scope.is_superuser:
            return self.annotate(
                visible_last_name=F("beneficiary__last_name"), visible_first_name=F("beneficiary__first_name")
            )
        if not scope.facilitation_ids:
            return self.annotate(visible_last_name=Value(""), visible_first_name=Value(""))
        seen = Q(beneficiary__structure__in=scope.facilitation_ids)
        return self.annotate(
            **{
                f"visible_{name}": Case(
                    When(seen, then=F(f"beneficiary__{name}")), default=Value(""), output_field=models.CharField()
                )
                for name in ("last_name", "first_name")
            }
        )


class HoursRecordQuerySet(models.QuerySet):
    def visible_to(self, user):
        scope = _scope(user)
        return self.none() if scope.is_empty else self.filter(_placement_q(scope, "placement__"))


class OutcomeQuerySet(models.QuerySet):
    def visible_to(self, user):
        scope = _scope(user)
        return self.none() if scope.is_empty else self.filter(_placement_q(scope, "placement__"))


class Beneficiary(models.Model):
    """A person followed by a facilitation structure. Identity fields are personal data (DOMAIN.md §9)."""

    structure = models.ForeignKey(
        "organisations.Organisation",
        on_delete=models.PROTECT,
        related_name="beneficiaries",
        verbose_name="structure qui accompagne",
        limit_choices_to={"kind": "facilitation"},
    )
    last_name = models.CharField("nom", max_length=100, db_index=True)
    first_name = models.CharField("prénom", max_length=100)
    sex = models.CharField("sexe", max_length=1, choices=Sex.choices)
    birth_date = models.DateField("date de naissance", null=True, blank=True)
    address = models.CharField("adresse", max_length=300, blank=True)
    commune = models.ForeignKey(
        "territories.Commune",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="residents",
        verbose_name="commune de résidence",
    )
    qpv = models.ForeignKey(
        "territories.Qpv",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="residents",
        verbose_name="quartier prioritaire de résidence",
    )
    # The address's location (WGS84), typed or geocoded; with it, the QPV is computed (beneficiaries.services).
    latitude = models.DecimalField(
        "latitude",
        max_digits=8,
        decimal_places=6,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("-90")), MaxValueValidator(Decimal("90"))],
    )
    longitude = models.DecimalField(
        "longitude",
        max_digits=9,
        decimal_places=6,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("-180")), MaxValueValidator(Decimal("180"))],
    )
    qpv_source = models.CharField(
        "origine du quartier prioritaire", max_length=10, choices=QpvSource.choices, blank=True, editable=False
    )
    prescriber_type = models.CharField("type de prescripteur", max_length=20, choices=PrescriberType.choices)
    prescriber_name = models.CharField("prescripteur (nom, agence)", max_length=200, blank=True)
    qualification_level = models.CharField(
        "niveau de qualification", max_length=15, choices=QualificationLevel.choices, blank=True
    )
    job_seeker_since = models.DateField("inscrit·e comme demandeur·se d'emploi depuis", null=True, blank=True)
    notes = models.TextField("observations", blank=True)
    created_at = models.DateTimeField("créé le", auto_now_add=True)
    updated_at = models.DateTimeField("modifié le", auto_now=True)
    anonymised_at = models.DateTimeField("anonymisé le", null=True, blank=True)

    objects = BeneficiaryQuerySet.as_manager()

    class Meta:
        verbose_name = "participant·e"
        verbose_name_plural = "participant·es"
        ordering = ["last_name", "first_name"]
        indexes = [models.Index(fields=["last_name", "first_name", "birth_date"], name="beneficiary_identity_idx")]

    def __str__(self):
        if self.anonymised_at:
            return f"Participant·e anonymisé·e n° {self.pk}"
        return f"{self.last_name.upper()} {self.first_name}"

    def clean(self):
        """Cross-field rules, checked by every writer through `full_clean` (beneficiaries.services)."""
        super().clean()
        if self.qpv_id is not None and (
            self.commune_id is None or not self.qpv.communes.filter(pk=self.commune_id).exists()
        ):
            raise ValidationError({"qpv": ValidationError(QPV_OUTSIDE_COMMUNE, code="qpv_outside_commune")})
        if (self.latitude is None) != (self.longitude is None):
            missing = "latitude" if self.latitude is None else "longitude"
            raise ValidationError({missing: ValidationError(COORDINATES_BOTH, code="coordinates_incomplete")})

    def owning_structure_ids(self) -> set[int]:
        """Facilitation structures that own this object (organisations.permissions)."""
        return {self.structure_id}


class BeneficiaryCriterion(models.Model):
    """An eligibility criterion held by a person: who validated it, when, on what kind of evidence."""

    beneficiary = models.ForeignKey(
        Beneficiary, on_delete=models.CASCADE, related_name="criteria", verbose_name="participant·e"
    )
    criterion = models.CharField("critère", max_length=30, choices=Criterion.choices)
    validated_on = models.DateField("validé le")
    validated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="validé par",
    )
    evidence_type = models.CharField("type de justificatif", max_length=30, choices=EvidenceType.choices)
    derogation_reason = models.TextField("motif de la dérogation", blank=True)

    objects = BeneficiaryCriterionQuerySet.as_manager()

    class Meta:
        verbose_name = "critère d'éligibilité"
        verbose_name_plural = "critères d'éligibilité"
        ordering = ["beneficiary", "criterion"]
        constraints = [
            models.UniqueConstraint(
                fields=["beneficiary", "criterion"],
                name="criterion_unique_per_beneficiary",
                violation_error_message="Ce critère est déjà enregistré pour cette personne.",
            ),
            models.CheckConstraint(
                condition=~Q(criterion="derogation") | ~Q(derogation_reason=""),
                name="criterion_derogation_requires_reason",
                violation_error_message="Une dérogation doit être motivée.",
            ),
        ]

    def __str__(self):
        return self.get_criterion_display()

    def owning_structure_ids(self) -> set[int]:
        """Facilitation structures that own this object (organisations.permissions)."""
        return {self.beneficiary.structure_id}


class Placement(models.Model):
    """One person working on one lot through one modality (contrat / mission).

    The publics used by reports are frozen here when the placement starts (DOMAIN.md §6), so that a later
    move or birthday never rewrites past reports.
    """

    beneficiary = models.ForeignKey(
        Beneficiary, on_delete=models.PROTECT, related_name="placements", verbose_name="participant·e"
    )
    lot = models.ForeignKey("markets.Lot", on_delete=models.PROTECT, related_name="placements", verbose_name="lot")
    employer = models.ForeignKey(
        "organisations.Organisation",
        on_delete=models.PROTECT,
        related_name="placements",
        verbose_name="employeur",
        limit_choices_to={"kind__in": ["company", "insertion"]},
    )
    modality = models.CharField("modalité", max_length=30, choices=Modality.choices, db_index=True)
    start_date = models.DateField("début")
    end_date = models.DateField("fin")
    job_title = models.CharField("poste occupé", max_length=200, blank=True)
    # Publics frozen at the start date.
    age_at_start = models.PositiveSmallIntegerField("âge au début", null=True, blank=True, editable=False)
    is_woman = models.BooleanField("femme", default=False, editable=False)
    is_youth = models.BooleanField("jeune de moins de 26 ans", default=False, editable=False)
    is_senior = models.BooleanField("senior de 50 ans et plus", default=False, editable=False)
    is_qpv_resident = models.BooleanField("habitant·e d'un QPV", default=False, editable=False)
    is_rqth = models.BooleanField("RQTH", default=False, editable=False)
    is_long_term_job_seeker = models.BooleanField(
        "demandeur·se d'emploi de longue durée", default=False, editable=False
    )
    is_rsa = models.BooleanField("allocataire du RSA", default=False, editable=False)
    qpv_at_start = models.ForeignKey(
        "territories.Qpv",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
        verbose_name="QPV de résidence au début",
    )
    created_at = models.DateTimeField("créé le", auto_now_add=True)

    objects = PlacementQuerySet.as_manager()

    class Meta:
        verbose_name = "contrat / mission"
        verbose_name_plural = "contrats / missions"
        ordering = ["-start_date"]
        constraints = [
            models.CheckConstraint(
                condition=Q(end_date__gte=F("start_date")),
                name="placement_end_after_start",
                violation_error_message="La fin du contrat ne peut pas précéder son début.",
            ),
        ]
        indexes = [models.Index(fields=["lot", "start_date"], name="placement_lot_start_idx")]

    def __str__(self):
        return f"{self.beneficiary} – {self.lot} ({self.get_modality_display()})"

    def owning_structure_ids(self) -> set[int]:
        """Facilitation structures that own this object (organisations.permissions)."""
        return {self.beneficiary.structure_id, self.lot.market.facilitator_id}


class HoursRecord(models.Model):
    """Hours worked by one placement in one month (relevé d'heures). `month` is the first day of the month."""

    placement = models.ForeignKey(
        Placement, on_delete=models.PROTECT, related_name="hours_records", verbose_name="contrat / mission"
    )
    month = models.DateField("mois")
    hours = models.DecimalField("heures d'insertion", max_digits=5, decimal_places=2, validators=HOURS_VALIDATORS)
    training_hours = models.DecimalField(
        "heures de formation", max_digits=5, decimal_places=2, default=Decimal("0"), validators=HOURS_VALIDATORS
    )
    invoiced_amount_excl_vat = models.DecimalField(
        "montant facturé HT (€)",
        max_digits=12,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0"))],
        help_text="Sous-traitance SIAE déclarée en montant : les heures en sont converties.",
    )
    is_converted = models.BooleanField("heures converties d'un montant", default=False)
    status = models.CharField(
        "statut", max_length=10, choices=HoursStatus.choices, default=HoursStatus.DECLARED, db_index=True
    )
    source = models.CharField("origine", max_length=10, choices=HoursSource.choices, default=HoursSource.GRID)
    declared_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="déclaré par",
    )
    declared_at = models.DateTimeField("déclaré le", auto_now_add=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="validé ou rejeté par",
    )
    reviewed_at = models.DateTimeField("validé ou rejeté le", null=True, blank=True)
    rejection_reason = models.TextField("motif du rejet", blank=True)
    version = models.PositiveIntegerField("version", default=1, editable=False)

    objects = HoursRecordQuerySet.as_manager()

    class Meta:
        verbose_name = "relevé d'heures"
        verbose_name_plural = "relevés d'heures"
        ordering = ["-month"]
        constraints = [
            models.UniqueConstraint(
                fields=["placement", "month"],
                name="hours_unique_placement_month",
                violation_error_message="Un relevé existe déjà pour ce contrat et ce mois.",
            ),
            models.CheckConstraint(
                condition=Q(hours__gte=0) & Q(hours__lte=220),
                name="hours_between_0_and_220",
                violation_error_message="Les heures d'un mois doivent être comprises entre 0 et 220.",
            ),
            models.CheckConstraint(
                condition=Q(training_hours__gte=0) & Q(training_hours__lte=220),
                name="training_hours_between_0_and_220",
                violation_error_message="Les heures de formation d'un mois doivent être comprises entre 0 et 220.",
            ),
            models.CheckConstraint(
                condition=Q(invoiced_amount_excl_vat__isnull=True) | Q(invoiced_amount_excl_vat__gte=0),
                name="hours_invoiced_amount_non_negative",
                violation_error_message="Le montant facturé ne peut pas être négatif.",
            ),
            models.CheckConstraint(
                condition=Q(month__day=1),
                name="hours_month_is_first_day",
                violation_error_message="Le mois d'un relevé est enregistré au premier jour du mois.",
            ),
            models.CheckConstraint(
                condition=~Q(status="rejected") | ~Q(rejection_reason=""),
                name="hours_rejection_requires_reason",
                violation_error_message="Un rejet doit être motivé.",
            ),
        ]
        indexes = [models.Index(fields=["month", "status"], name="hours_month_status_idx")]

    def __str__(self):
        return f"{self.placement} – {self.month:%m/%Y} : {self.hours} h"

    def owning_structure_ids(self) -> set[int]:
        """Facilitation structures that own this object (organisations.permissions)."""
        return self.placement.owning_structure_ids()


class Outcome(models.Model):
    """What became of the person, at the end of the placement and six months later."""

    placement = models.ForeignKey(
        Placement, on_delete=models.CASCADE, related_name="outcomes", verbose_name="contrat / mission"
    )
    stage = models.CharField("moment", max_length=20, choices=OutcomeStage.choices)
    result = models.CharField("situation", max_length=30, choices=OutcomeResult.choices)
    observed_on = models.DateField("constaté le")
    notes = models.TextField("observations", blank=True)

    objects = OutcomeQuerySet.as_manager()

    class Meta:
        verbose_name = "sortie"
        ordering = ["placement", "stage"]
        constraints = [
            models.UniqueConstraint(
                fields=["placement", "stage"],
                name="outcome_unique_per_stage",
                violation_error_message="Une sortie est déjà enregistrée pour ce contrat à ce moment.",
            )
        ]

    def __str__(self):
        return f"{self.get_stage_display()} : {self.get_result_display()}"

    def owning_structure_ids(self) -> set[int]:
        """Facilitation structures that own this object (organisations.permissions)."""
        return self.placement.owning_structure_ids()
