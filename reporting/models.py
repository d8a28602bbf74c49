"""The reporting summary table (issue 6): one row per placement and calendar year.

Reports at national volume cannot aggregate the detailed monthly records within a second (PostgreSQL alone
needs about 6 s for the two years of the yearly report). This table holds, for each placement and year with
at least one validated record, the validated hours and training hours of every month, plus the placement's
attributes that reports group or count by (person, lot, modality, publics frozen at the start). Market,
buyer, contractor, territory and mechanism are reached through the lot, so editing a market or a lot never
leaves the table stale; whether training hours count is read from the lot's clause at query time.

Only `reporting.summary` writes it, called by the services that write records and placements (and by the
demo seeders); `reporting.summary.differences` compares it with the detailed records.
"""

from django.db import models

MONTHS = range(1, 13)


def hours_column(month: int) -> str:
    return f"hours_{month:02d}"


def training_column(month: int) -> str:
    return f"training_{month:02d}"


class PlacementYearQuerySet(models.QuerySet):
    def visible_to(self, user):
        """The rows of the placements the user sees (same perimeter as HoursRecord.visible_to)."""
        from beneficiaries.models import Placement
        from organisations.scoping import scope_of

        scope = scope_of(user)
        if scope.is_empty:
            return self.none()
        if scope.is_superuser:
            return self.all()
        return self.filter(placement__in=Placement.objects.visible_to(user).order_by().values("pk"))

    def of_year(self, year: int | None):
        return self if year is None else self.filter(year=year)


class PlacementYear(models.Model):
    """Validated hours of one placement in one calendar year, month by month (summary of HoursRecord)."""

    placement = models.ForeignKey(
        "beneficiaries.Placement", on_delete=models.CASCADE, related_name="+", verbose_name="contrat / mission"
    )
    year = models.PositiveSmallIntegerField("année")
    # Copied from the placement (kept in step by reporting.summary.refresh when a placement changes).
    beneficiary = models.ForeignKey(
        "beneficiaries.Beneficiary", on_delete=models.CASCADE, related_name="+", verbose_name="participant·e"
    )
    lot = models.ForeignKey("markets.Lot", on_delete=models.CASCADE, related_name="+", verbose_name="lot")
    modality = models.CharField("modalité", max_length=30)
    is_woman = models.BooleanField("femme")
    is_youth = models.BooleanField("jeune de moins de 26 ans")
    is_senior = models.BooleanField("senior de 50 ans et plus")
    is_qpv_resident = models.BooleanField("habitant·e d'un QPV")
    is_rqth = models.BooleanField("RQTH")
    is_long_term_job_seeker = models.BooleanField("demandeur·se d'emploi de longue durée")
    is_rsa = models.BooleanField("allocataire du RSA")
    qpv_at_start = models.ForeignKey(
        "territories.Qpv",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="QPV de résidence au début",
    )
    # Validated records of the year (a record of 0 h still counts the person).
    records = models.PositiveSmallIntegerField("relevés validés")
    hours = models.DecimalField("heures d'insertion", max_digits=8, decimal_places=2)
    training_hours = models.DecimalField("heures de formation", max_digits=8, decimal_places=2)
    # Month by month (hours_01 is January).
    hours_01 = models.DecimalField("heures du mois 01", max_digits=6, decimal_places=2, default=0)
    hours_02 = models.DecimalField("heures du mois 02", max_digits=6, decimal_places=2, default=0)
    hours_03 = models.DecimalField("heures du mois 03", max_digits=6, decimal_places=2, default=0)
    hours_04 = models.DecimalField("heures du mois 04", max_digits=6, decimal_places=2, default=0)
    hours_05 = models.DecimalField("heures du mois 05", max_digits=6, decimal_places=2, default=0)
    hours_06 = models.DecimalField("heures du mois 06", max_digits=6, decimal_places=2, default=0)
    hours_07 = models.DecimalField("heures du mois 07", max_digits=6, decimal_places=2, default=0)
    hours_08 = models.DecimalField("heures du mois 08", max_digits=6, decimal_places=2, default=0)
    hours_09 = models.DecimalField("heures du mois 09", max_digits=6, decimal_places=2, default=0)
    hours_10 = models.DecimalField("heures du mois 10", max_digits=6, decimal_places=2, default=0)
    hours_11 = models.DecimalField("heures du mois 11", max_digits=6, decimal_places=2, default=0)
    hours_12 = models.DecimalField("heures du mois 12", max_digits=6, decimal_places=2, default=0)
    training_01 = models.DecimalField("formation du mois 01", max_digits=6, decimal_places=2, default=0)
    training_02 = models.DecimalField("formation du mois 02", max_digits=6, decimal_places=2, default=0)
    training_03 = models.DecimalField("formation du mois 03", max_digits=6, decimal_places=2, default=0)
    training_04 = models.DecimalField("formation du mois 04", max_digits=6, decimal_places=2, default=0)
    training_05 = models.DecimalField("formation du mois 05", max_digits=6, decimal_places=2, default=0)
    training_06 = models.DecimalField("formation du mois 06", max_digits=6, decimal_places=2, default=0)
    training_07 = models.DecimalField("formation du mois 07", max_digits=6, decimal_places=2, default=0)
    training_08 = models.DecimalField("formation du mois 08", max_digits=6, decimal_places=2, default=0)
    training_09 = models.DecimalField("formation du mois 09", max_digits=6, decimal_places=2, default=0)
    training_10 = models.DecimalField("formation du mois 10", max_digits=6, decimal_places=2, default=0)
    training_11 = models.DecimalField("formation du mois 11", max_digits=6, decimal_places=2, default=0)
    training_12 = models.DecimalField("formation du mois 12", max_digits=6, decimal_places=2, default=0)

    objects = PlacementYearQuerySet.as_manager()

    class Meta:
        verbose_name = "synthèse annuelle d'un contrat"
        verbose_name_plural = "synthèses annuelles des contrats"
        constraints = [models.UniqueConstraint(fields=["placement", "year"], name="placement_year_unique")]
        indexes = [
            models.Index(fields=["year", "lot"], name="placement_year_year_lot_idx"),
            models.Index(fields=["lot"], name="placement_year_lot_idx"),
        ]

    def __str__(self):
        return f"{self.placement_id} – {self.year} : {self.hours} h"
