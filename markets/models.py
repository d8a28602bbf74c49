"""Operations, public markets, their lots, and the reference table of trades."""

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q

SHARE_VALIDATORS = [MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("1"))]

# Shares are stored as fractions (0.5) and typed as percentages (50) in the forms. A share out of its bounds is
# refused with a message naming them, in the reading of the caller: percentages (forms) or fractions (API).
SHARE_SUBJECTS: dict[str, tuple[str, str]] = {
    "labour_share": ("La part de main-d'œuvre", "comprise"),
    "default_labour_share": ("La part de main-d'œuvre par défaut", "comprise"),
    "insertion_rate": ("Le taux d'insertion", "compris"),
}


def share_bounds_message(field: str, *, percent: bool) -> str:
    """ "La part de main-d'œuvre doit être comprise entre 0 et 100 %." (or "entre 0 et 1 (soit …)" for a fraction)."""
    subject, agreed = SHARE_SUBJECTS[field]
    bounds = "entre 0 et 100 %" if percent else "entre 0 et 1 (soit entre 0 et 100 %)"
    return f"{subject} doit être {agreed} {bounds}."


def share_out_of_bounds(value) -> bool:
    return value is not None and not (Decimal("0") <= value <= Decimal("1"))


class Trade(models.Model):
    """A trade (corps d'état) with its default labour share, editable by administrators."""

    name = models.CharField("corps d'état", max_length=120, unique=True)
    default_labour_share = models.DecimalField(
        "part de main-d'œuvre par défaut", max_digits=4, decimal_places=3, validators=SHARE_VALIDATORS
    )

    class Meta:
        verbose_name = "corps d'état"
        verbose_name_plural = "corps d'état"
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(default_labour_share__gte=0) & Q(default_labour_share__lte=1),
                name="trade_labour_share_between_0_and_1",
                violation_error_message="La part de main-d'œuvre doit être comprise entre 0 et 1.",
            )
        ]

    def __str__(self):
        return self.name


class OperationQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Operations run by the user's facilitation structure, or holding a market the user sees."""
        from organisations.scoping import scope_of

        scope = scope_of(user)
        if scope.is_superuser:
            return self.all()
        if scope.is_empty:
            return self.none()
        return self.filter(
            Q(facilitator__in=scope.facilitation_ids)
            | Q(pk__in=Market.objects.filter(scope.market_q()).exclude(operation=None).values("operation"))
        )


class MarketQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Markets followed by the user's facilitation structure, bought by their buyer organisation, or
        executed in their coordination body's region (organisations.scoping.Scope.market_q)."""
        from organisations.scoping import scope_of

        scope = scope_of(user)
        return self.none() if scope.is_empty else self.filter(scope.market_q())


class LotQuerySet(models.QuerySet):
    def visible_to(self, user):
        from organisations.scoping import scope_of

        scope = scope_of(user)
        return self.none() if scope.is_empty else self.filter(scope.market_q("market__"))


class OperationKind(models.TextChoices):
    ANRU = "anru", "Renouvellement urbain (ANRU)"
    GUP = "gup", "Gestion urbaine de proximité (GUP)"
    OTHER = "other", "Autre opération"


class Operation(models.Model):
    """Optional grouping of markets, e.g. an urban-renewal project."""

    name = models.CharField("nom", max_length=200)
    kind = models.CharField("nature", max_length=10, choices=OperationKind.choices, default=OperationKind.OTHER)
    facilitator = models.ForeignKey(
        "organisations.Organisation",
        on_delete=models.PROTECT,
        related_name="operations",
        verbose_name="structure de facilitation",
        limit_choices_to={"kind": "facilitation"},
    )
    commune = models.ForeignKey(
        "territories.Commune", on_delete=models.PROTECT, null=True, blank=True, verbose_name="commune"
    )
    description = models.TextField("description", blank=True)

    objects = OperationQuerySet.as_manager()

    class Meta:
        verbose_name = "opération"
        ordering = ["name"]

    def __str__(self):
        return self.name

    def owning_structure_ids(self) -> set[int]:
        """Facilitation structures that own this object (organisations.permissions)."""
        return {self.facilitator_id}


class MarketType(models.TextChoices):
    WORKS = "works", "Travaux"
    SERVICES = "services", "Services"
    SUPPLIES = "supplies", "Fournitures"
    INTELLECTUAL = "intellectual", "Prestations intellectuelles"


class Market(models.Model):
    buyer = models.ForeignKey(
        "organisations.Organisation",
        on_delete=models.PROTECT,
        related_name="markets",
        verbose_name="acheteur",
        limit_choices_to={"kind": "buyer"},
    )
    facilitator = models.ForeignKey(
        "organisations.Organisation",
        on_delete=models.PROTECT,
        related_name="followed_markets",
        verbose_name="structure de facilitation",
        limit_choices_to={"kind": "facilitation"},
    )
    operation = models.ForeignKey(
        Operation, on_delete=models.SET_NULL, null=True, blank=True, related_name="markets", verbose_name="opération"
    )
    reference = models.CharField("référence", max_length=50)
    title = models.CharField("objet", max_length=300)
    market_type = models.CharField("type de marché", max_length=20, choices=MarketType.choices, db_index=True)
    execution_commune = models.ForeignKey(
        "territories.Commune",
        on_delete=models.PROTECT,
        related_name="markets",
        verbose_name="commune d'exécution",
    )
    notified_on = models.DateField("notifié le", null=True, blank=True, db_index=True)
    start_date = models.DateField("début d'exécution")
    end_date = models.DateField("fin d'exécution")
    amount_excl_vat = models.DecimalField(
        "montant HT (€)", max_digits=14, decimal_places=2, validators=[MinValueValidator(Decimal("0"))]
    )
    created_at = models.DateTimeField("créé le", auto_now_add=True)

    objects = MarketQuerySet.as_manager()

    class Meta:
        verbose_name = "marché"
        ordering = ["-start_date", "reference"]
        constraints = [
            models.UniqueConstraint(
                fields=["buyer", "reference"],
                name="market_unique_reference_per_buyer",
                violation_error_message="Cet acheteur a déjà un marché avec cette référence.",
            ),
            models.CheckConstraint(
                condition=Q(end_date__gte=F("start_date")),
                name="market_end_after_start",
                violation_error_message="La fin d'exécution ne peut pas précéder son début.",
            ),
            models.CheckConstraint(
                condition=Q(amount_excl_vat__gte=0),
                name="market_amount_non_negative",
                violation_error_message="Le montant ne peut pas être négatif.",
            ),
        ]

    def __str__(self):
        return f"{self.reference} – {self.title}"

    def clean(self):
        super().clean()
        if self.start_date and self.end_date and self.end_date < self.start_date:
            raise ValidationError(
                {
                    "end_date": ValidationError(
                        "La fin d'exécution ne peut pas précéder son début.", code="ends_before_start"
                    )
                }
            )

    def owning_structure_ids(self) -> set[int]:
        """Facilitation structures that own this object (organisations.permissions)."""
        return {self.facilitator_id}


class Lot(models.Model):
    market = models.ForeignKey(Market, on_delete=models.CASCADE, related_name="lots", verbose_name="marché")
    number = models.PositiveSmallIntegerField("numéro de lot")
    title = models.CharField("intitulé", max_length=300)
    trade = models.ForeignKey(
        Trade, on_delete=models.PROTECT, null=True, blank=True, related_name="lots", verbose_name="corps d'état"
    )
    contractor = models.ForeignKey(
        "organisations.Organisation",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="held_lots",
        verbose_name="titulaire",
        limit_choices_to={"kind__in": ["company", "insertion"]},
    )
    amount_excl_vat = models.DecimalField(
        "montant HT (€)", max_digits=14, decimal_places=2, validators=[MinValueValidator(Decimal("0"))]
    )
    start_date = models.DateField("début d'exécution")
    end_date = models.DateField("fin d'exécution")

    objects = LotQuerySet.as_manager()

    class Meta:
        verbose_name = "lot"
        ordering = ["market", "number"]
        constraints = [
            models.UniqueConstraint(
                fields=["market", "number"],
                name="lot_unique_number_per_market",
                violation_error_message="Ce marché a déjà un lot portant ce numéro.",
            ),
            models.CheckConstraint(
                condition=Q(end_date__gte=F("start_date")),
                name="lot_end_after_start",
                violation_error_message="La fin d'exécution du lot ne peut pas précéder son début.",
            ),
            models.CheckConstraint(
                condition=Q(amount_excl_vat__gte=0),
                name="lot_amount_non_negative",
                violation_error_message="Le montant du lot ne peut pas être négatif.",
            ),
            models.CheckConstraint(
                condition=Q(number__gte=1),
                name="lot_number_positive",
                violation_error_message="Le numéro de lot commence à 1.",
            ),
        ]

    def __str__(self):
        return f"{self.market.reference} – lot {self.number} : {self.title}"

    def save(self, *args, **kwargs):
        super().save(*args, **kwargs)
        # Keep the clause's cached calibration in step with the lot amount.
        clause = getattr(self, "clause", None) if self.pk else None
        if clause is not None:
            clause.lot = self
            clause.save(update_fields=["calibrated_hours"])

    def clean(self):
        super().clean()
        if self.start_date and self.end_date and self.end_date < self.start_date:
            raise ValidationError(
                {
                    "end_date": ValidationError(
                        "La fin d'exécution du lot ne peut pas précéder son début.", code="ends_before_start"
                    )
                }
            )

    def owning_structure_ids(self) -> set[int]:
        """Facilitation structures that own this object (organisations.permissions)."""
        return {self.market.facilitator_id}


class DecpMarketQuerySet(models.QuerySet):
    def to_follow(self):
        """Published markets carrying a social clause that no facilitation structure follows yet."""
        return self.filter(social_clause=True, market__isnull=True)

    def visible_to(self, user):
        """Published data (DECP) of the user's territory: the region of their facilitation structures or of their
        coordination body, by the département of the execution place. Buyers and companies see none here."""
        from organisations.models import Organisation
        from organisations.scoping import scope_of

        scope = scope_of(user)
        if scope.is_superuser:
            return self.all()
        regions = set(scope.region_codes) | set(
            Organisation.objects.filter(pk__in=scope.facilitation_ids, region__isnull=False).values_list(
                "region", flat=True
            )
        )
        if not regions:
            return self.none()
        return self.filter(department__region__in=regions)


class DecpMarket(models.Model):
    """A market as published in the national open data (DECP 2.0), imported by markets.decp. Its key is the buyer
    (by SIRET) and the DECP id; a facilitation structure that takes it over creates a followed Market from it."""

    decp_id = models.CharField("identifiant DECP", max_length=50)
    buyer = models.ForeignKey(
        "organisations.Organisation", on_delete=models.PROTECT, related_name="decp_markets", verbose_name="acheteur"
    )
    holders = models.ManyToManyField(
        "organisations.Organisation", related_name="decp_held_markets", blank=True, verbose_name="titulaires"
    )
    title = models.CharField("objet", max_length=1000)
    nature = models.CharField("nature", max_length=60)
    market_type = models.CharField("type de marché", max_length=20, choices=MarketType.choices)
    cpv_code = models.CharField("code CPV", max_length=12)
    procedure = models.CharField("procédure", max_length=120, blank=True)
    amount_excl_vat = models.DecimalField("montant HT (€)", max_digits=14, decimal_places=2)
    notified_on = models.DateField("notifié le")
    duration_months = models.PositiveIntegerField("durée (mois)")
    place_code = models.CharField("code du lieu d'exécution", max_length=10)
    place_kind = models.CharField("type de code du lieu", max_length=30)
    department = models.ForeignKey(
        "territories.Department",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="département d'exécution",
    )
    social_clause = models.BooleanField("clause sociale", default=False, db_index=True)
    social_criterion = models.BooleanField("critère social", default=False)
    reserved = models.BooleanField("marché réservé", default=False)
    published_on = models.DateField("publié le", null=True, blank=True)
    market = models.OneToOneField(
        Market, on_delete=models.SET_NULL, null=True, blank=True, related_name="decp", verbose_name="marché suivi"
    )
    imported_at = models.DateTimeField("importé le", auto_now_add=True)
    updated_at = models.DateTimeField("mis à jour le", auto_now=True)

    objects = DecpMarketQuerySet.as_manager()

    class Meta:
        verbose_name = "marché publié (DECP)"
        verbose_name_plural = "marchés publiés (DECP)"
        ordering = ["-notified_on", "decp_id"]
        constraints = [
            models.UniqueConstraint(fields=["decp_id", "buyer"], name="decp_market_unique_id_per_buyer"),
        ]

    def __str__(self):
        return f"{self.decp_id} – {self.title}"

    @property
    def social_considerations(self) -> list[str]:
        flags = [(self.social_clause, "Clause sociale"), (self.social_criterion, "Critère social")]
        return [label for on, label in [*flags, (self.reserved, "Marché réservé")] if on]
