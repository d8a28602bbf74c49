"""Tasks used by the tests of the real worker (importable by the worker subprocess)."""

from datetime import timedelta

from django.tasks import task

from notifications.models import RecurringRun
from notifications.retry import retried_task


@retried_task(attempts=3, backoff=timedelta(minutes=10))
def fails_once(key: str) -> str:
    """Fails on its first run (recording it), succeeds on the next."""
    _, first = RecurringRun.objects.get_or_create(job="fails_once", period=key)
    if first:
        raise RuntimeError("Serveur de courriel injoignable (essai 1)")
    return "ok"


@retried_task(attempts=2, backoff=timedelta(seconds=60))
def always_fails(key: str) -> None:
    RecurringRun.objects.get_or_create(job="always_fails", period=key)
    raise RuntimeError("Toujours en échec")


@task()
def write_row(number: int) -> int:
    """A write of the worker, beside the writes of the test process."""
    RecurringRun.objects.create(job="worker", period=str(number))
    return number
