"""Retry with back-off (notifications.retry) and the recurring-job scheduler (notifications.recurring), with the
database backend in this process (the real worker is in test_worker.py)."""

from datetime import UTC, datetime, timedelta

import pytest
from django.core.management import call_command
from django.tasks import TaskResultStatus
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from notifications.models import RecurringRun
from notifications.recurring import DAILY, JOBS, MONTHLY, WEEKLY, RecurringJob, enqueue_due, period_key
from notifications.retry import retry_delay
from notifications.tasks import prune_task_results
from tests.notifications.worker_tasks import always_fails, fails_once

DATABASE_TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}


@pytest.fixture
def database_tasks(settings, db):
    settings.TASKS = DATABASE_TASKS


def test_the_delay_doubles_at_each_attempt():
    minute = timedelta(minutes=1)
    assert [retry_delay(minute, attempt) for attempt in (1, 2, 3, 4)] == [minute, 2 * minute, 4 * minute, 8 * minute]


def test_a_failed_attempt_enqueues_the_next_one_after_the_backoff(database_tasks):
    before = timezone.now()
    with pytest.raises(RuntimeError, match="essai 1"):
        fails_once.call("a")
    [retry] = DBTaskResult.objects.all()
    assert retry.task_path == "tests.notifications.worker_tasks.fails_once"
    assert retry.args_kwargs == {"args": ["a"], "kwargs": {"_attempt": 2}}
    assert before + timedelta(seconds=2) <= retry.run_after <= timezone.now() + timedelta(seconds=2)
    assert retry.status == TaskResultStatus.READY
    assert not DBTaskResult.objects.ready().exists()  # not before its time
    assert fails_once.call("a", _attempt=2) == "ok"


def test_the_last_attempt_gives_up(database_tasks):
    with pytest.raises(RuntimeError):
        always_fails.call("b")
    assert DBTaskResult.objects.count() == 1
    with pytest.raises(RuntimeError):
        always_fails.call("b", _attempt=2)
    assert DBTaskResult.objects.count() == 1  # no third attempt


@pytest.mark.django_db
def test_an_immediate_backend_does_not_retry():
    with pytest.raises(RuntimeError):
        fails_once.call("c")
    assert not DBTaskResult.objects.exists()


def test_period_keys():
    moment = datetime(2026, 11, 26, 10, tzinfo=UTC)
    assert period_key(DAILY, moment) == "2026-11-26"
    assert period_key(WEEKLY, moment) == "2026-W48"
    assert period_key(MONTHLY, moment) == "2026-11"
    # Paris time decides the day: 23:30 UTC on 31 December is already 1 January.
    assert period_key(DAILY, datetime(2026, 12, 31, 23, 30, tzinfo=UTC)) == "2027-01-01"


def test_a_recurring_job_is_enqueued_once_per_period(database_tasks):
    now = datetime(2026, 11, 26, 10, tzinfo=UTC)
    daily = tuple(job for job in JOBS if job.name == "prune_task_results")
    [run] = enqueue_due(now=now, jobs=daily)
    assert (run.job, run.period) == ("prune_task_results", "2026-11-26")
    assert enqueue_due(now=now + timedelta(hours=3), jobs=daily) == []
    [task] = DBTaskResult.objects.all()
    assert str(task.id) == run.task_result_id
    assert task.task_path == "notifications.tasks.prune_task_results"
    assert task.args_kwargs == {"args": ["2026-11-26"], "kwargs": {}}
    [next_day] = enqueue_due(now=now + timedelta(days=1), jobs=daily)
    assert next_day.period == "2026-11-27"
    assert DBTaskResult.objects.count() == 2


def test_a_failed_enqueue_records_nothing(database_tasks):
    broken = (RecurringJob("broken", "notifications.tasks.does_not_exist", WEEKLY),)
    with pytest.raises(ImportError):
        enqueue_due(jobs=broken)
    assert not RecurringRun.objects.exists()


def test_the_command_enqueues_then_does_nothing(database_tasks, capsys):
    call_command("enqueue_recurring")
    assert "Mise en file : prune_task_results" in capsys.readouterr().out
    call_command("enqueue_recurring")
    assert f"0 tâche(s) mise(s) en file sur {len(JOBS)}" in capsys.readouterr().out
    assert DBTaskResult.objects.count() == len(JOBS)


def test_pruning_keeps_recent_and_failed_tasks(database_tasks):
    now = timezone.now()

    def finished(status, days):
        result = fails_once.enqueue("x")
        DBTaskResult.objects.filter(id=result.id).update(status=status, finished_at=now - timedelta(days=days))
        return str(result.id)

    old_success = finished(TaskResultStatus.SUCCESSFUL, 15)
    recent_success = finished(TaskResultStatus.SUCCESSFUL, 13)
    failed = finished(TaskResultStatus.FAILED, 30)
    old_failed = finished(TaskResultStatus.FAILED, 91)
    assert prune_task_results.call("2026-11-26") == 2
    kept = {str(pk) for pk in DBTaskResult.objects.values_list("id", flat=True)}
    assert kept == {recent_success, failed}
    assert old_success not in kept and old_failed not in kept
    assert prune_task_results.call("2026-11-26") == 0
