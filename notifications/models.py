from django.conf import settings
from django.db import models


class RecurringRun(models.Model):
    """A recurring job enqueued for one period ("2026-11-26", "2026-W48", "2026-11"): the scheduler enqueues a
    job for a period once, however often it runs (notifications.recurring)."""

    job = models.CharField("tâche", max_length=100)
    period = models.CharField("période", max_length=20)
    task_result_id = models.CharField("identifiant de la tâche", max_length=64, blank=True)
    enqueued_at = models.DateTimeField("mise en file le", auto_now_add=True)

    class Meta:
        verbose_name = "tâche périodique mise en file"
        verbose_name_plural = "tâches périodiques mises en file"
        ordering = ["-enqueued_at"]
        constraints = [models.UniqueConstraint(fields=["job", "period"], name="recurring_run_once_per_period")]

    def __str__(self):
        return f"{self.job} ({self.period})"


class LotRiskState(models.Model):
    """The last known "risque" flag of a lot (clauses.calculations.RISK_RULE), kept by the weekly at-risk digest
    (notifications.digests) so that a digest lists only the lots that became at risk since the previous one."""

    lot = models.OneToOneField("markets.Lot", on_delete=models.CASCADE, related_name="+", verbose_name="lot")
    at_risk = models.BooleanField("à risque")
    since = models.DateField("depuis le")
    # The digest period ("2026-W48") in which the lot last became at risk: a retried digest of the same period
    # lists it again (to the recipients not yet served), the next period does not.
    became_at_risk_in = models.CharField("devenu à risque pendant", max_length=20, blank=True)
    updated_at = models.DateTimeField("mis à jour le", auto_now=True)

    class Meta:
        verbose_name = "état de risque d'un lot"
        verbose_name_plural = "états de risque des lots"

    def __str__(self):
        return f"lot {self.lot_id} : {'à risque' if self.at_risk else 'sans risque'} depuis le {self.since:%d/%m/%Y}"


class DigestDelivery(models.Model):
    """A digest sent to a user for a period: a digest task run again for the same period (retry after a partial
    success, the scheduler run twice) does not send it twice."""

    kind = models.CharField("type", max_length=40)
    period = models.CharField("période", max_length=20)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", verbose_name="destinataire"
    )
    items = models.PositiveIntegerField("éléments", default=0)
    sent_at = models.DateTimeField("envoyé le", auto_now_add=True)

    class Meta:
        verbose_name = "récapitulatif envoyé"
        verbose_name_plural = "récapitulatifs envoyés"
        constraints = [models.UniqueConstraint(fields=["kind", "period", "user"], name="digest_delivery_once")]

    def __str__(self):
        return f"{self.kind} {self.period} → {self.user_id}"
