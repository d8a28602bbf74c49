"""Background tasks (run by `manage.py db_worker`). Each takes ids, is idempotent and safe to retry."""

from datetime import timedelta

from django.contrib.auth import get_user_model
from django.contrib.auth.tokens import default_token_generator
from django.db import transaction
from django.tasks import TaskResultStatus, task
from django.urls import reverse
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django_tasks_db.models import DBTaskResult

from clauses.calculations import RISK_RULE
from notifications import digests
from notifications.mail import send_templated
from notifications.models import DigestDelivery, RecurringRun
from notifications.retry import retried_task

# Finished tasks are kept to be read in the admin: succeeded ones 14 days, failed ones 90 days.
KEEP_SUCCESSFUL = timedelta(days=14)
KEEP_FAILED = timedelta(days=90)


@retried_task(attempts=5)
def send_member_invitation(user_id: int) -> str:
    """The e-mail of a new member of a structure: a link to choose a password. Nothing is sent to an account
    that no longer exists, is inactive or already logged in (a retry after the person set a password)."""
    user = get_user_model().objects.filter(pk=user_id, is_active=True).first()
    if user is None or user.last_login is not None:
        return "skipped"
    path = reverse(
        "password_reset_confirm",
        kwargs={
            "uidb64": urlsafe_base64_encode(force_bytes(user.pk)),
            "token": default_token_generator.make_token(user),
        },
    )
    send_templated(user.email, "member_invitation", {"email": user.email}, path=path)
    return "sent"


@task()
def prune_task_results(period: str) -> int:
    """Daily: forget old finished tasks and scheduler records. Deleting twice deletes nothing more."""
    now = timezone.now()
    finished = DBTaskResult.objects.filter(
        status=TaskResultStatus.SUCCESSFUL, finished_at__lt=now - KEEP_SUCCESSFUL
    ) | DBTaskResult.objects.filter(status=TaskResultStatus.FAILED, finished_at__lt=now - KEEP_FAILED)
    deleted, _ = finished.delete()
    RecurringRun.objects.filter(enqueued_at__lt=now - KEEP_FAILED).delete()
    return deleted


def send_digests(batch, *, period: str) -> int:
    """Send each digest once per recipient and period: the delivery is recorded in the transaction that sends it
    (an SMTP error rolls it back, so the retry sends it), and a recipient already served is skipped."""
    sent = 0
    for digest in batch:
        if DigestDelivery.objects.filter(kind=digest.kind, period=period, user=digest.user).exists():
            continue
        with transaction.atomic():
            DigestDelivery.objects.create(kind=digest.kind, period=period, user=digest.user, items=digest.items)
            sent += send_templated(
                digest.user,
                digest.kind,
                {**digest.sections, **digests.WINDOWS, "period": period, "rule": RISK_RULE},
                path=digests.path_of(digest.kind),
                kind=digest.kind,
            )
    return sent


@retried_task(attempts=5)
def send_at_risk_digests(period: str) -> int:
    """Weekly: to each buyer contact and facilitator, the lots they follow that became at risk since the previous
    digest (notifications.digests). Idempotent: run again for its period, it sends nothing more."""
    return send_digests(digests.at_risk_digests(today=timezone.localdate(), period=period), period=period)


@retried_task(attempts=5)
def send_due_dates_digests(period: str) -> int:
    """Weekly: to each facilitator, the due dates of the people their structure follows (notifications.digests).
    Idempotent: run again for its period, it sends nothing more."""
    return send_digests(digests.due_dates_digests(today=timezone.localdate()), period=period)


@task()
def ping(number: int) -> int:
    """Does nothing: bench/digests.py measures the worker's own throughput with it."""
    return number
