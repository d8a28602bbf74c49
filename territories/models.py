"""French administrative split (INSEE codes as keys) and priority neighbourhoods (QPV)."""

from django.db import models


class Region(models.Model):
    code = models.CharField("code INSEE", max_length=3, primary_key=True)
    name = models.CharField("nom", max_length=100)

    class Meta:
        verbose_name = "région"
        ordering = ["name"]

    def __str__(self):
        return self.name


class Department(models.Model):
    code = models.CharField("code INSEE", max_length=3, primary_key=True)
    name = models.CharField("nom", max_length=100)
    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="departments", verbose_name="région")

    class Meta:
        verbose_name = "département"
        ordering = ["code"]

    def __str__(self):
        return f"{self.code} – {self.name}"


class Epci(models.Model):
    code = models.CharField("SIREN", max_length=9, primary_key=True)
    name = models.CharField("nom", max_length=200)

    class Meta:
        verbose_name = "EPCI"
        verbose_name_plural = "EPCI"
        ordering = ["name"]

    def __str__(self):
        return self.name


class Commune(models.Model):
    code = models.CharField("code INSEE", max_length=5, primary_key=True)
    name = models.CharField("nom", max_length=100, db_index=True)
    department = models.ForeignKey(
        Department, on_delete=models.PROTECT, related_name="communes", verbose_name="département"
    )
    epci = models.ForeignKey(
        Epci, on_delete=models.PROTECT, related_name="communes", null=True, blank=True, verbose_name="EPCI"
    )
    population = models.PositiveIntegerField("population", null=True, blank=True)

    class Meta:
        verbose_name = "commune"
        ordering = ["name"]

    def __str__(self):
        return f"{self.name} ({self.code})"


class QpvQuerySet(models.QuerySet):
    def around(self, *, longitude: float, latitude: float):
        """QPV whose outline's bounding box holds the point (the prefilter of a point location)."""
        return self.filter(
            outline__isnull=False,
            min_longitude__lte=longitude,
            max_longitude__gte=longitude,
            min_latitude__lte=latitude,
            max_latitude__gte=latitude,
        )

    def covering(self, *, longitude: float, latitude: float) -> "Qpv | None":
        """The QPV whose outline holds the point (edges included), the first by code where two touch; None
        when the point lies in none of the outlines loaded. One query on the bounding boxes, then the exact test."""
        from territories.geometry import covers

        for qpv in self.around(longitude=longitude, latitude=latitude).order_by("code"):
            if covers(qpv.outline, longitude=longitude, latitude=latitude):
                return qpv
        return None


class Qpv(models.Model):
    """A priority neighbourhood. Those of the official 2024 list carry their outline (territories.geometry);
    a code absent from it (an older list, a typing error) is kept, flagged `official=False`, never dropped."""

    code = models.CharField("code QPV", max_length=12, primary_key=True)
    name = models.CharField("nom", max_length=200)
    communes = models.ManyToManyField(Commune, related_name="qpvs", verbose_name="communes")
    official = models.BooleanField(
        "dans la liste officielle 2024",
        default=False,
        help_text="Faux pour un code absent de la liste officielle 2024 (décret n° 2023-1314) : à vérifier.",
    )
    outline = models.JSONField("contour (WGS84)", null=True, blank=True, editable=False)
    min_longitude = models.FloatField(null=True, blank=True, editable=False)
    min_latitude = models.FloatField(null=True, blank=True, editable=False)
    max_longitude = models.FloatField(null=True, blank=True, editable=False)
    max_latitude = models.FloatField(null=True, blank=True, editable=False)

    objects = QpvQuerySet.as_manager()

    class Meta:
        verbose_name = "quartier prioritaire (QPV)"
        verbose_name_plural = "quartiers prioritaires (QPV)"
        ordering = ["code"]

    def __str__(self):
        return f"{self.name} ({self.code})"
