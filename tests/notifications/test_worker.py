"""The real worker (`manage.py db_worker` in a subprocess) against the test database: a file on SQLite
(tests/conftest.py), the test database itself on PostgreSQL."""

import subprocess
import time
from datetime import timedelta

import pytest
from django.db import transaction
from django.tasks import TaskResultStatus
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from notifications.models import RecurringRun
from tests.notifications.conftest import ROOT, worker_command, worker_environment
from tests.notifications.worker_tasks import fails_once, write_row

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def test_the_worker_sends_the_member_invitation_once(admin_client_of_structure, structure, smtp_inbox, run_worker):
    response = admin_client_of_structure.post(
        f"/organisations/{structure.pk}/membres/", {"email": "nouvelle@exemple.fr", "role": "member"}
    )
    assert response.status_code == 302
    assert smtp_inbox == []  # not sent inside the request
    [queued] = DBTaskResult.objects.all()
    assert queued.status == TaskResultStatus.READY
    run_worker()
    [message] = smtp_inbox
    assert message["To"] == "nouvelle@exemple.fr"
    assert message["Subject"] == "Clausier : votre compte a été créé"
    text = message.get_body(preferencelist=("plain",)).get_content()
    html = message.get_body(preferencelist=("html",)).get_content()
    assert "/compte/mot-de-passe/nouveau/" in text and "/compte/mot-de-passe/nouveau/" in html
    queued.refresh_from_db()
    assert queued.status == TaskResultStatus.SUCCESSFUL
    assert queued.return_value == "sent"
    run_worker()
    assert len(smtp_inbox) == 1  # a finished task is not run again


def test_a_task_that_fails_is_retried_after_its_backoff_and_succeeds(run_worker, admin_client):
    fails_once.enqueue("courriel")
    run_worker()
    failed = DBTaskResult.objects.get(status=TaskResultStatus.FAILED)
    assert "Serveur de courriel injoignable" in failed.traceback
    retry = DBTaskResult.objects.get(status=TaskResultStatus.READY)
    assert retry.args_kwargs["kwargs"] == {"_attempt": 2}
    assert retry.run_after > failed.finished_at
    # The superuser sees the failure in the admin.
    page = admin_client.get("/admin/django_tasks_database/dbtaskresult/?status__exact=FAILED")
    assert page.status_code == 200 and "fails_once" in page.text
    # The back-off is ten minutes, so that a slow machine cannot reach it while the test runs.
    assert retry.run_after - failed.finished_at >= timedelta(minutes=9)
    run_worker()  # too early: the retry waits for its back-off
    retry.refresh_from_db()
    assert retry.status == TaskResultStatus.READY
    # Ten minutes pass.
    DBTaskResult.objects.filter(pk=retry.pk).update(run_after=timezone.now() - timedelta(seconds=1))
    run_worker()
    retry.refresh_from_db()
    assert retry.status == TaskResultStatus.SUCCESSFUL
    assert retry.return_value == "ok"


def test_the_server_and_the_worker_write_at_once(smtp_server):
    """The test process (standing for the web server) writes while the worker claims and runs tasks that write to
    the same database: every write succeeds, none meets "database is locked"."""
    worker = subprocess.Popen(  # noqa: S603 (our own command)
        worker_command("--interval", "0.05"),
        cwd=ROOT,
        env=worker_environment(smtp_server),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    count = 40
    try:
        for number in range(count):
            with transaction.atomic():
                write_row.enqueue(number)
                RecurringRun.objects.create(job="web", period=str(number))
            time.sleep(0.02)
        deadline = time.monotonic() + 25
        while time.monotonic() < deadline:
            if not DBTaskResult.objects.exclude(status=TaskResultStatus.SUCCESSFUL).exists():
                break
            assert worker.poll() is None, worker.stdout.read()
            time.sleep(0.1)
    finally:
        worker.terminate()
        output, _ = worker.communicate(timeout=20)
    assert DBTaskResult.objects.filter(status=TaskResultStatus.SUCCESSFUL).count() == count, output
    assert RecurringRun.objects.filter(job="worker").count() == count
    assert RecurringRun.objects.filter(job="web").count() == count
    assert "locked" not in output.lower()
    assert "Traceback" not in output
