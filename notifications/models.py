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
