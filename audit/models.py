"""Who viewed, exported or changed a person's record (DOMAIN.md §9), and the history of every hours record.

Entries are written explicitly by audit.services, called from the views, the API and beneficiaries.services
(never from signals). They hold no identity of the person: only the record's id and its structure, so that
anonymising a person leaves nothing readable behind.
"""

from django.conf import settings
from django.db import models
from django.utils import timezone

from audit.choices import AccessAction, Channel, CompanyAccessAction


class AccessLogQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Entries about the people followed by the structures the user administers."""
        from organisations.scoping import scope_of

        scope = scope_of(user)
        if scope.is_superuser:
            return self.all()
        return self.filter(structure__in=scope.facilitation_admin_ids)


class AccessLog(models.Model):
    """One access to, or change of, one person's record."""

    at = models.DateTimeField("le", default=timezone.now, db_index=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="par",
    )
    user_email = models.EmailField("e-mail de l'auteur·rice", blank=True)
    beneficiary = models.ForeignKey(
        "beneficiaries.Beneficiary",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="access_logs",
        verbose_name="participant·e",
    )
    structure = models.ForeignKey(
        "organisations.Organisation",
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name="structure qui accompagne",
    )
    action = models.CharField("action", max_length=12, choices=AccessAction.choices, db_index=True)
    channel = models.CharField("par le biais de", max_length=10, choices=Channel.choices, default=Channel.WEB)
    detail = models.CharField("détail", max_length=300, blank=True)

    objects = AccessLogQuerySet.as_manager()

    class Meta:
        verbose_name = "entrée du journal des accès"
        verbose_name_plural = "journal des accès"
        ordering = ["-at", "-pk"]
        indexes = [models.Index(fields=["structure", "beneficiary", "-at"], name="accesslog_structure_person_idx")]

    def __str__(self):
        return f"{self.get_action_display()} de la personne n° {self.beneficiary_id} par {self.user_email or '—'}"


class HoursChange(models.Model):
    """One change of an hours record: who, when, the values before and after."""

    record = models.ForeignKey(
        "beneficiaries.HoursRecord", on_delete=models.CASCADE, related_name="changes", verbose_name="relevé"
    )
    at = models.DateTimeField("le", default=timezone.now, db_index=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="par",
    )
    user_email = models.EmailField("e-mail de l'auteur·rice", blank=True)
    hours_before = models.DecimalField("heures avant", max_digits=5, decimal_places=2, null=True, blank=True)
    hours_after = models.DecimalField("heures après", max_digits=5, decimal_places=2)
    training_hours_before = models.DecimalField(
        "heures de formation avant", max_digits=5, decimal_places=2, null=True, blank=True
    )
    training_hours_after = models.DecimalField("heures de formation après", max_digits=5, decimal_places=2)
    status_before = models.CharField("statut avant", max_length=10, blank=True)
    status_after = models.CharField("statut après", max_length=10)
    reason = models.TextField("motif", blank=True)

    class Meta:
        verbose_name = "modification d'un relevé d'heures"
        verbose_name_plural = "historique des relevés d'heures"
        ordering = ["-at", "-pk"]

    def __str__(self):
        return f"Relevé n° {self.record_id} modifié le {self.at:%d/%m/%Y}"

    @property
    def is_creation(self) -> bool:
        return self.hours_before is None

    @property
    def status_before_label(self) -> str:
        from beneficiaries.choices import HoursStatus

        return HoursStatus(self.status_before).label if self.status_before else ""

    @property
    def status_after_label(self) -> str:
        from beneficiaries.choices import HoursStatus

        return HoursStatus(self.status_after).label


class OrganisationChangeQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Changes of the organisations the user administers."""
        from organisations.scoping import scope_of

        scope = scope_of(user)
        if scope.is_superuser:
            return self.all()
        return self.filter(organisation__in=scope.admin_ids)


class OrganisationChange(models.Model):
    """One change of an organisation's details (a rename, a new type...): who, when, each field before and after.
    Written by organisations.services.update_organisation, whatever the route (web form, API)."""

    organisation = models.ForeignKey(
        "organisations.Organisation", on_delete=models.CASCADE, related_name="changes", verbose_name="organisation"
    )
    at = models.DateTimeField("le", default=timezone.now, db_index=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="par",
    )
    user_email = models.EmailField("e-mail de l'auteur·rice", blank=True)
    # {field name: [value before, value after]}, values as stored (choices as their code).
    fields = models.JSONField("champs modifiés")

    objects = OrganisationChangeQuerySet.as_manager()

    class Meta:
        verbose_name = "modification d'une organisation"
        verbose_name_plural = "historique des organisations"
        ordering = ["-at", "-pk"]

    def __str__(self):
        return f"Organisation n° {self.organisation_id} modifiée le {self.at:%d/%m/%Y}"

    def lines(self) -> list[tuple[str, str, str]]:
        """(field label, before, after) with choices shown by their label, for the organisation's page."""
        from organisations.models import Organisation

        lines = []
        for name, (before, after) in self.fields.items():
            field = Organisation._meta.get_field(name)
            labels = dict(field.choices or ())
            lines.append(
                (str(field.verbose_name), str(labels.get(before, before) or "—"), str(labels.get(after, after) or "—"))
            )
        return lines


class CompanyAccessEventQuerySet(AccessLogQuerySet):
    """Events of the accesses granted by the structures the user administers (the same rule as the access log:
    rows of a `structure` the user administers, everything for a superuser)."""


class CompanyAccessEvent(models.Model):
    """One event of a company contact's access to a lot (issue 15): who invited, granted, accepted or revoked it,
    and when. Written by companies.services through the audit hook."""

    at = models.DateTimeField("le", default=timezone.now, db_index=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="par",
    )
    user_email = models.EmailField("e-mail de l'auteur·rice", blank=True)
    access = models.ForeignKey(
        "companies.CompanyAccess", on_delete=models.CASCADE, related_name="events", verbose_name="accès"
    )
    structure = models.ForeignKey(
        "organisations.Organisation",
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name="structure qui accorde l'accès",
    )
    action = models.CharField("action", max_length=10, choices=CompanyAccessAction.choices)
    contact_email = models.EmailField("contact de l'entreprise")

    objects = CompanyAccessEventQuerySet.as_manager()

    class Meta:
        verbose_name = "événement d'un accès entreprise"
        verbose_name_plural = "journal des accès entreprises"
        ordering = ["-at", "-pk"]

    def __str__(self):
        return f"{self.get_action_display()} : {self.contact_email} le {self.at:%d/%m/%Y}"
