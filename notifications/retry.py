"""Tasks retried with back-off: `@retried_task(attempts=5, backoff=timedelta(minutes=1))` instead of `@task()`.

django-tasks-db runs a task once: an error marks its row FAILED (with the traceback, in the admin under « Tâches
de fond ») and nothing more. A retried task catches its own error, enqueues itself again to run after a delay
that doubles at each attempt (1, 2, 4, 8… minutes), then lets the error fail this attempt, which stays visible.
The attempt number travels as the keyword argument `_attempt`. A task so wrapped must be idempotent (it may run
again after a partial success) and take ids, not objects.
"""

import functools
import logging
from datetime import timedelta

from django.tasks import task
from django.utils import timezone

logger = logging.getLogger("clausier.tasks")

ATTEMPT = "_attempt"


def retry_delay(backoff: timedelta, attempt: int) -> timedelta:
    """The wait before attempt `attempt + 1`: `backoff`, then doubled at each failed attempt."""
    return backoff * 2 ** (attempt - 1)


def retried_task(*, attempts: int = 5, backoff: timedelta = timedelta(minutes=1), **task_options):
    def decorator(func):
        @functools.wraps(func)
        def run(*args, **kwargs):
            attempt = kwargs.pop(ATTEMPT, 1)
            try:
                return func(*args, **kwargs)
            except Exception:
                if attempt >= attempts:
                    logger.exception("Tâche %s abandonnée après %s essais", wrapped.name, attempt)
                    raise
                if not wrapped.get_backend().supports_defer:
                    raise  # an immediate backend (tests, or a development setting) cannot wait: no retry
                delay = retry_delay(backoff, attempt)
                wrapped.using(run_after=timezone.now() + delay).enqueue(*args, **kwargs, **{ATTEMPT: attempt + 1})
                logger.warning("Tâche %s : essai %s échoué, nouvel essai dans %s", wrapped.name, attempt, delay)
                raise

        wrapped = task(**task_options)(run)
        return wrapped

    return decorator
