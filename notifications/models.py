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


class Frequency(models.TextChoices):
    WEEKLY = "weekly", "Chaque semaine"
    MONTHLY = "monthly", "Chaque mois, la première semaine"


class NotificationSetting(models.Model):
    """What a user chose for one kind of message (notifications.preferences.KINDS); no row means the default: on,
    weekly for a digest."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_settings")
    kind = models.CharField("messages", max_length=40)
    enabled = models.BooleanField("recevoir ces messages", default=True)
    frequency = models.CharField("fréquence", max_length=10, choices=Frequency.choices, blank=True)
    updated_at = models.DateTimeField("modifié le", auto_now=True)

    class Meta:
        verbose_name = "réglage de notification"
        verbose_name_plural = "réglages de notification"
        ordering = ["user", "kind"]
        constraints = [models.UniqueConstraint(fields=["user", "kind"], name="notificationsetting_one_per_user_kind")]

    def __str__(self):
        return f"{self.user} – {self.kind} ({'oui' if self.enabled else 'non'})"


class NotificationEvent(models.Model):
    """The journal of notification settings: who changed what, when, and how (the settings page, the signed link
    of an e-mail, or a mail client's one-click unsubscribe, RFC 8058)."""

    class Action(models.TextChoices):
        UNSUBSCRIBED = "unsubscribed", "Désabonnement"
        SUBSCRIBED = "subscribed", "Réabonnement"
        FREQUENCY = "frequency", "Fréquence modifiée"

    class Via(models.TextChoices):
        SETTINGS = "settings", "Page des réglages"
        LINK = "link", "Lien de désabonnement"
        ONE_CLICK = "one_click", "Désabonnement en un clic (messagerie)"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name="utilisateur·rice",
    )
    email = models.EmailField("adresse e-mail")  # kept when the account is deleted
    kind = models.CharField("messages", max_length=40)
    action = models.CharField("action", max_length=20, choices=Action.choices)
    via = models.CharField("par", max_length=20, choices=Via.choices)
    detail = models.CharField("détail", max_length=100, blank=True)
    created_at = models.DateTimeField("le", auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = "changement de réglage de notification"
        verbose_name_plural = "journal des réglages de notification"
        ordering = ["-created_at", "-pk"]

    def __str__(self):
        return f"{self.email} – {self.kind} – {self.get_action_display()}"


class SentNotification(models.Model):
    """A message Clausier has queued, one row per recipient, kind, company, lot and month: its unique constraint,
    written in the same transaction as the task that sends the message, makes a reminder go out once however often
    (or however concurrently) its job runs."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField("message", max_length=40)
    company = models.ForeignKey("organisations.Organisation", on_delete=models.CASCADE, related_name="+")
    lot = models.ForeignKey("markets.Lot", on_delete=models.CASCADE, related_name="+")
    month = models.DateField("mois")
    task_result_id = models.CharField("identifiant de la tâche", max_length=64, blank=True)
    queued_at = models.DateTimeField("mis en file le", auto_now_add=True)

    class Meta:
        verbose_name = "message envoyé"
        verbose_name_plural = "messages envoyés"
        ordering = ["-queued_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "kind", "company", "lot", "month"], name="sentnotification_once_per_lot_and_month"
            )
        ]

    def __str__(self):
        return f"{self.kind} – {self.user} – {self.month:%m/%Y}"


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
