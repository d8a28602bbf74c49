"""The reporting summary table (issue 6): one row per placement and calendar year.

Reports at national volume cannot aggregate the detailed monthly records within a second (PostgreSQL alone
needs about 6 s for the two years of the yearly report). This table holds, for each placement and year with
at least one validated record, the validated hours and training hours of every month, plus every attribute
reports group, count or filter by, copied from the placement (person, modality, publics frozen at the start),
its lot (contractor, market, clause mechanism, whether training hours count), the market (buyer, type,
execution territory) and the buyer (type): a report reads this one table, without joins.

Hours count only on a lot that carries a clause (DOMAIN.md §5): a placement on a lot without clause has no
row. Only `reporting.summary` writes it: the services that write records and placements refresh their rows, and
every write path of markets, lots, clauses and organisations refreshes the rows that copy them
(`summary.refresh_lots`, `refresh_markets`, `refresh_organisations`). `reporting.summary.differences`
compares the table with the detailed data, column by column.
"""

import uuid

from django.conf import settings
from django.db import models

MONTHS = range(1, 13)

# Columns every report query reads, besides the year (see the covering index below).
REPORT_COLUMNS = [
    "placement_id",
    "beneficiary_id",
    "contractor_id",
    "market_id",
    "buyer_id",
    "buyer_type",
    "market_type",
    "region_id",
    "department_id",
    "epci_id",
    "mechanism",
    "counts_training_hours",
    "modality",
    "is_woman",
    "is_youth",
    "is_senior",
    "is_qpv_resident",
    "is_rqth",
    "is_long_term_job_seeker",
    "is_rsa",
    "qpv_at_start_id",
    "end_date",
    "hours",
    "training_hours",
]


def hours_column(month: int) -> str:
    return f"hours_{month:02d}"


def training_column(month: int) -> str:
    return f"training_{month:02d}"


class PlacementYearQuerySet(models.QuerySet):
    def visible_to(self, user):
        """The rows of the placements the user sees (same perimeter as HoursRecord.visible_to), from copied
        columns only: each perimeter is an index look-up of its own rows (see Meta.indexes)."""
        from organisations.scoping import scope_of

        scope = scope_of(user)
        if scope.is_empty:
            return self.none()
        if scope.is_superuser:
            return self.all()
        # Placement.visible_to: a market the user sees (its structure, buyer or region), or a person their
        # structure follows.
        condition = models.Q(pk__in=[])
        if scope.facilitation_ids:
            condition |= models.Q(facilitator__in=scope.facilitation_ids) | models.Q(
                structure__in=scope.facilitation_ids
            )
        if scope.buyer_ids:
            condition |= models.Q(buyer__in=scope.buyer_ids)
        if scope.region_codes:
            condition |= models.Q(region__in=scope.region_codes)
        return self.filter(condition)


class PlacementYear(models.Model):
    """Validated hours of one placement in one calendar year, month by month (summary of HoursRecord)."""

    # No single-column index on the foreign keys (db_index=False): the indexes the queries use are listed in Meta,
    # each with the query it serves. A key of a parent the database checks (placement, beneficiary, lot, QPV)
    # leads an index there or is never deleted (see Meta.indexes).
    placement = models.ForeignKey(
        "beneficiaries.Placement",
        on_delete=models.CASCADE,
        db_index=False,
        related_name="+",
        verbose_name="contrat / mission",
    )
    year = models.PositiveSmallIntegerField("année")
    # Copied from the placement (kept in step by reporting.summary.refresh when a placement changes).
    beneficiary = models.ForeignKey(
        "beneficiaries.Beneficiary",
        on_delete=models.CASCADE,
        db_index=False,
        related_name="+",
        verbose_name="participant·e",
    )
    lot = models.ForeignKey(
        "markets.Lot", on_delete=models.CASCADE, db_index=False, related_name="+", verbose_name="lot"
    )
    # Copied from the lot, its clause, its market and the buyer (kept in step by reporting.summary). No
    # database constraint: these rows only exist for placements, which protect their lot, market and buyer.
    contractor = models.ForeignKey(
        "organisations.Organisation",
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        db_index=False,
        related_name="+",
        verbose_name="titulaire",
    )
    market = models.ForeignKey(
        "markets.Market",
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        db_index=False,
        related_name="+",
        verbose_name="marché",
    )
    buyer = models.ForeignKey(
        "organisations.Organisation",
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        db_index=False,
        related_name="+",
        verbose_name="acheteur",
    )
    # The two facilitation structures that see the row (Placement.visible_to): the market's, and the one that
    # follows the person (copied from the market and the person, so that a structure's perimeter is two index
    # look-ups instead of a UNION of placement ids joined to the table).
    facilitator = models.ForeignKey(
        "organisations.Organisation",
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        db_index=False,
        related_name="+",
        verbose_name="structure de facilitation du marché",
    )
    structure = models.ForeignKey(
        "organisations.Organisation",
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        db_index=False,
        related_name="+",
        verbose_name="structure qui accompagne la personne",
    )
    buyer_type = models.CharField("type d'acheteur", max_length=30, blank=True)
    market_type = models.CharField("type de marché", max_length=20)
    region = models.ForeignKey(
        "territories.Region", on_delete=models.DO_NOTHING, db_constraint=False, db_index=False, related_name="+"
    )
    department = models.ForeignKey(
        "territories.Department", on_delete=models.DO_NOTHING, db_constraint=False, db_index=False, related_name="+"
    )
    epci = models.ForeignKey(
        "territories.Epci",
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        db_index=False,
        null=True,
        related_name="+",
    )
    mechanism = models.CharField("mécanisme juridique", max_length=30, blank=True)
    counts_training_hours = models.BooleanField("heures de formation comptées")
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
        db_index=False,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="QPV de résidence au début",
    )
    # For the European Social Fund bands (issue 18): the age frozen at the placement's start, and the person's
    # qualification level (refreshed by beneficiaries.services when it changes).
    age_at_start = models.PositiveSmallIntegerField("âge au début", null=True, blank=True)
    qualification_level = models.CharField("niveau de qualification", max_length=15, blank=True, default="")
    # The placement's end (issue 19): the outcomes of the yearly report (contracts ended in the year) are then
    # found among the perimeter's own rows, instead of among every placement of the country that ended that year.
    end_date = models.DateField("fin du contrat")
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
        constraints = [
            # Also the index of: refresh (its INSERT … ON CONFLICT and the DELETE of the years left without
            # record, by placement), compare (ranges of placement ids), the cascade from a deleted placement,
            # markets.lot_views (the rows of a placement).
            models.UniqueConstraint(fields=["placement", "year"], name="placement_year_unique"),
        ]
        # Each index names the queries that use it (issue 19: 22 indexes, several duplicated, made every
        # refresh slow). A perimeter leads its index, so that a report reads only the rows of its perimeter.
        indexes = [
            # The whole country (superuser, export_report without --region): reporting.queries over
            # `year IN (y, y - 1)`, index-only on PostgreSQL (other databases ignore INCLUDE).
            models.Index(fields=["year"], include=REPORT_COLUMNS, name="placement_year_report_idx"),
            # A region (coordination bodies: PlacementYearQuerySet.visible_to, ReportFilters.region): the
            # yearly report and the coordinator dashboard, index-only over the region's rows alone.
            models.Index(
                fields=["region", "year"],
                include=[name for name in REPORT_COLUMNS if name != "region_id"],
                name="placement_year_region_idx",
            ),
            # A département (ReportFilters.department, export_report --department, within a region or the
            # country): covering too, or PostgreSQL prefers the region's index-only scan and filters it.
            models.Index(
                fields=["department", "year"],
                include=[name for name in REPORT_COLUMNS if name != "department_id"],
                name="placement_year_department_idx",
            ),
            # A buyer (visible_to of a buyer: its dashboard, all years and one year), refresh_organisations.
            models.Index(fields=["buyer", "year"], name="placement_year_buyer_idx"),
            # A facilitation structure (visible_to: the market's structure OR the person's, a BitmapOr of the
            # next two): the structure dashboard and its yearly report.
            models.Index(fields=["facilitator", "year"], name="placement_year_facilitator_idx"),
            models.Index(fields=["structure", "year"], name="placement_year_structure_idx"),
            # A market: dashboards.market_bilan, refresh_markets.
            models.Index(fields=["market"], name="placement_year_market_idx"),
            # A lot: queries.achieved_hours_subquery and lots_hours (lots tables), markets.lot_views,
            # companies.views_home (`lot=…, year=…`), refresh_lots, the cascade from a deleted lot.
            models.Index(fields=["lot", "year"], name="placement_year_lot_idx"),
            # The foreign key checks of PostgreSQL when a person or a QPV is deleted (person purge, reference
            # QPV reload): without it, a scan of the whole table per deleted row.
            models.Index(fields=["beneficiary"], name="placement_year_beneficiary_idx"),
            models.Index(fields=["qpv_at_start"], name="placement_year_qpv_idx"),
        ]

    def __str__(self):
        return f"{self.placement_id} – {self.year} : {self.hours} h"


class ExportStatus(models.TextChoices):
    PENDING = "pending", "En attente"
    RUNNING = "running", "En cours"
    READY = "ready", "Prête"
    FAILED = "failed", "Échouée"


class ExportRequest(models.Model):
    """A report export produced in the background (reporting.background, task reporting.tasks.produce_export).

    The file lives in the private storage `storages["exports"]` (never served by the web server): only the person
    who asked downloads it, through a view that checks again that their perimeter still allows it, until
    `expires_at` (a day); the recurring job `prune_exports` then deletes the file and the row.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", verbose_name="demandé par"
    )
    # The organisation the person worked as (the perimeter); none for a superuser without organisation.
    organisation = models.ForeignKey(
        "organisations.Organisation",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="organisation",
    )
    kind = models.CharField("export", max_length=30, choices=[("yearly_report", "Bilan annuel")])
    format = models.CharField("format", max_length=10)
    # The filters as cleaned by the page's form: year, cutoff, département, types, title and described filters.
    parameters = models.JSONField("paramètres", default=dict)
    status = models.CharField("état", max_length=10, choices=ExportStatus.choices, default=ExportStatus.PENDING)
    steps_done = models.PositiveSmallIntegerField("étapes faites", default=0)
    steps_total = models.PositiveSmallIntegerField("étapes", default=0)
    step_label = models.CharField("étape en cours", max_length=200, blank=True)
    attempts = models.PositiveSmallIntegerField("essais", default=0)
    error = models.CharField("erreur", max_length=300, blank=True)
    file_name = models.CharField("fichier", max_length=200, blank=True)  # a name in storages["exports"]
    size = models.PositiveBigIntegerField("taille (octets)", default=0)
    created_at = models.DateTimeField("demandé le", auto_now_add=True)
    finished_at = models.DateTimeField("terminé le", null=True, blank=True)
    expires_at = models.DateTimeField("expire le")

    class Meta:
        verbose_name = "export en arrière-plan"
        verbose_name_plural = "exports en arrière-plan"
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["expires_at"], name="export_request_expires_idx")]

    def __str__(self):
        return f"{self.get_kind_display()} {self.format.upper()} ({self.get_status_display()})"

    @property
    def is_finished(self) -> bool:
        return self.status in (ExportStatus.READY, ExportStatus.FAILED)

    @property
    def percent(self) -> int:
        if self.status == ExportStatus.READY:
            return 100
        return int(100 * self.steps_done / self.steps_total) if self.steps_total else 0


class PublishedReportQuerySet(models.QuerySet):
    def of_perimeter(self, *, region=None, organisation=None):
        """The versions of one perimeter: a région (coordination) or an organisation (a structure's own)."""
        if (region is None) == (organisation is None):
            raise ValueError("Give a region or an organisation, not both.")
        if region is not None:
            return self.filter(region=region, organisation__isnull=True)
        return self.filter(organisation=organisation, region__isnull=True)


class PublishedReport(models.Model):
    """A yearly report as it was published (issue 18, item 1): frozen, never changed afterwards.

    `payload` holds every figure of the reporting.queries.YearlyReport (reporting.publication.freeze: exact figures,
    Decimals as strings, dates in ISO), computed over the perimeter with the page's code; `content_hash` is the
    sha256 of its canonical JSON, so a version is checked byte for byte. Pages and downloads of a version apply the
    public small-count rule to the thawed report (reporting.publication.public_report). Only
    reporting.publication.publish writes rows; a correction is a new version (`version` + 1 per perimeter, year and
    filters), the earlier ones stay as they are.
    """

    region = models.ForeignKey(
        "territories.Region",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="published_reports",
        verbose_name="région",
    )
    # A facilitation structure publishing its own perimeter.
    organisation = models.ForeignKey(
        "organisations.Organisation",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="published_reports",
        verbose_name="organisation",
    )
    year = models.PositiveSmallIntegerField("année")
    version = models.PositiveIntegerField("version")
    # The filters of the page ({"department": "21"}: only those given), and their canonical text for the constraint.
    filters = models.JSONField("filtres", default=dict, blank=True)
    filters_key = models.CharField("clé des filtres", max_length=200, blank=True, default="")
    payload = models.JSONField("bilan figé")
    content_hash = models.CharField("empreinte SHA-256", max_length=64)
    # The header of the downloads as published (title, perimeter name, filters as described on the page).
    meta = models.JSONField("en-tête", default=dict, blank=True)
    # SET_NULL: deleting or anonymising a publisher's account keeps the version (shown "compte supprimé").
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="publié par",
    )
    published_at = models.DateTimeField("publié le")

    objects = PublishedReportQuerySet.as_manager()

    class Meta:
        verbose_name = "bilan publié"
        verbose_name_plural = "bilans publiés"
        ordering = ["year", "filters_key", "-version"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(region__isnull=False, organisation__isnull=True)
                | models.Q(region__isnull=True, organisation__isnull=False),
                name="published_report_one_perimeter",
            ),
            models.UniqueConstraint(
                fields=["region", "year", "filters_key", "version"],
                condition=models.Q(region__isnull=False),
                name="published_report_region_version_unique",
            ),
            models.UniqueConstraint(
                fields=["organisation", "year", "filters_key", "version"],
                condition=models.Q(organisation__isnull=False),
                name="published_report_organisation_version_unique",
            ),
            models.CheckConstraint(condition=models.Q(version__gte=1), name="published_report_version_positive"),
        ]

    def __str__(self):
        return f"Bilan {self.year} publié (version {self.version})"

    @property
    def short_hash(self) -> str:
        return self.content_hash[:12]

    @property
    def filters_label(self) -> str:
        """The filters as the page described them ("Département : Côte-d'Or"), or "Aucun"."""
        described = [f"{label} : {value}" for label, value in self.meta.get("filters", ()) if label != "Année"]
        return " ; ".join(described) or ("Aucun" if not self.filters else self.filters_key)
