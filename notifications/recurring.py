"""Recurring jobs and the scheduler that enqueues them (`manage.py enqueue_recurring`, run by cron or a systemd
timer every few minutes: docs/deploiement.md).

Each job has a frequency; its period key ("2026-11-26T14" hourly, "2026-11-26" daily, "2026-W48" weekly, "2026-11"
monthly) is recorded in RecurringRun with the task in one transaction, so a job is enqueued once per period however
often (or from however many hosts) the scheduler runs. Later points of issue 16 add their reminders and digests to JOBS.
"""

from dataclasses import dataclass
from datetime import datetime

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.module_loading import import_string

from notifications.models import RecurringRun

HOURLY, DAILY, WEEKLY, MONTHLY = "hourly", "daily", "weekly", "monthly"


@dataclass(frozen=True)
class RecurringJob:
    name: str
    task_path: str  # dotted path of a django.tasks Task taking the period key as its only argument
    frequency: str


JOBS = (
    RecurringJob("prune_task_results", "notifications.tasks.prune_task_results", DAILY),
    # Declaration reminders to companies, before and after each structure's deadline (notifications.reminders).
    RecurringJob("company_reminders", "notifications.reminders.company_reminders", DAILY),
    # Background exports are kept a day (reporting.background).
    RecurringJob("prune_exports", "reporting.background.prune_exports", HOURLY),
    # The files of a history import previewed and never confirmed (beneficiaries.history_files): people's data.
    RecurringJob("prune_history_uploads", "beneficiaries.history_files.prune_history_uploads", HOURLY),
    # Weekly digests (notifications.digests): lots that became at risk, due dates of facilitators.
    RecurringJob("at_risk_digest", "notifications.tasks.send_at_risk_digests", WEEKLY),
    RecurringJob("due_dates_digest", "notifications.tasks.send_due_dates_digests", WEEKLY),
)


def period_key(frequency: str, moment: datetime) -> str:
    local = timezone.localtime(moment)
    day = local.date()
    if frequency == HOURLY:
        return f"{day.isoformat()}T{local.hour:02d}"
    if frequency == DAILY:
        return day.isoformat()
    if frequency == WEEKLY:
        year, week, _ = day.isocalendar()
        return f"{year}-W{week:02d}"
    if frequency == MONTHLY:
        return f"{day:%Y-%m}"
    raise ValueError(f"Unknown frequency: {frequency}")


def enqueue_due(*, now: datetime | None = None, jobs: tuple[RecurringJob, ...] = JOBS) -> list[RecurringRun]:
    """Enqueue each job not yet enqueued for its current period; returns the runs created now."""
    now = now or timezone.now()
    created = []
    for job in jobs:
        period = period_key(job.frequency, now)
        if RecurringRun.objects.filter(job=job.name, period=period).exists():
            continue
        try:
            with transaction.atomic():
                run = RecurringRun.objects.create(job=job.name, period=period)
                result = import_string(job.task_path).enqueue(period)
                run.task_result_id = str(result.id)
                run.save(update_fields=["task_result_id"])
        except IntegrityError:
            continue  # another scheduler enqueued it in the meantime
        created.append(run)
    return created
