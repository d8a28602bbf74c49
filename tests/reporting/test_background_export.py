"""Long exports in the background (issue 16, point 7): the coordinator's yearly report in XLSX or PDF is prepared by
a task, followed on a status page, downloaded by its requester only, for a day.

Most tests run the task at once (the immediate backend of the test settings); those marked `worker` run the real
worker process against the test database."""

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from notifications.recurring import JOBS, enqueue_due
from organisations.models import Membership
from reporting import background, exports
from reporting.models import ExportRequest, ExportStatus
from tests.notifications.conftest import run_worker, smtp_server  # noqa: F401 (fixtures of the real worker)
from tests.organisations.factories import MembershipFactory, UserFactory
from tests.reporting.conftest import build_world
from tests.reporting.outputs import pdf_text, xlsx_tables

PREPARE = reverse("reporting:yearly_report_background")


def body(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


def prepare(client, user, fmt="xlsx", **params):
    client.force_login(user)
    response = client.post(PREPARE, {"year": 2025, "format": fmt, **params})
    assert response.status_code == 302
    export = ExportRequest.objects.get(user=user)
    assert response["Location"] == reverse("reporting:export_status", args=[export.pk])
    return export


def synchronous(client, user, fmt, **params) -> bytes:
    client.force_login(user)
    response = client.get(reverse("reporting:yearly_report_export", args=[fmt]), {"year": 2025, **params})
    assert response.status_code == 200
    return body(response)


def download(client, export):
    return client.get(reverse("reporting:export_download", args=[export.pk]))


def cell_values(content: bytes) -> dict:
    """The figures of every sheet (values only: the generation time differs between two exports)."""
    return {title: [[cell.value for cell in row] for row in rows] for title, rows in xlsx_tables(content).items()}


def without_generation_time(text: str) -> str:
    return re.sub(r"Généré le .*", "", text)


def coordinator_colleague(world):
    return MembershipFactory(organisation=world["coordination"], user=UserFactory()).user


def test_the_rule_background_for_regional_and_national_xlsx_and_pdf(world, admin_user):
    coordinator, facilitator = world["coordinator"], world["facilitator_member"]
    assert [fmt for fmt in background.FORMATS if background.runs_in_background(coordinator, fmt)] == ["xlsx", "pdf"]
    assert [fmt for fmt in background.FORMATS if background.runs_in_background(admin_user, fmt)] == ["xlsx", "pdf"]
    assert not any(background.runs_in_background(facilitator, fmt) for fmt in background.FORMATS)


def test_the_coordinator_page_offers_to_prepare_xlsx_and_pdf(client, world):
    client.force_login(world["coordinator"])
    page = client.get(reverse("reporting:yearly_report"), {"year": 2025, "market_type": "works"}).text
    assert "Préparer l'export XLSX" in page and "Préparer l'export PDF" in page
    assert 'name="market_type" value="works"' in page  # the filters of the page go with the request
    assert reverse("reporting:yearly_report_export", args=["csv"]) in page  # CSV stays a direct download
    client.force_login(world["facilitator_member"])
    page = client.get(reverse("reporting:yearly_report"), {"year": 2025}).text
    assert "Préparer l'export" not in page
    assert reverse("reporting:yearly_report_export", args=["xlsx"]) in page


@pytest.mark.parametrize("fmt", ["xlsx", "pdf", "csv", "json"])
def test_the_prepared_file_holds_the_figures_of_the_synchronous_export(client, world, fmt):
    coordinator = world["coordinator"]
    export = prepare(client, coordinator, fmt, department="21")
    export.refresh_from_db()
    assert export.status == ExportStatus.READY
    assert export.steps_done == export.steps_total == len(exports.report_tables(_report(world))) + 2
    assert export.parameters["department"] == "21"
    response = download(client, export)
    assert response.status_code == 200
    assert response["Content-Disposition"] == f'attachment; filename="bilan-annuel-2025.{fmt}"'
    assert {"private", "no-store"} <= set(response["Cache-Control"].replace(" ", "").split(","))
    content = body(response)
    assert len(content) == export.size
    expected = synchronous(client, coordinator, fmt, department="21")
    if fmt == "xlsx":
        assert cell_values(content) == cell_values(expected)
        assert "Heures d'insertion" in str(cell_values(content)["Synthèse"])
    elif fmt == "pdf":
        assert without_generation_time(pdf_text(content)) == without_generation_time(pdf_text(expected))
        assert "Côte-d'Or" in pdf_text(content) or "21" in pdf_text(content)
    else:
        strip = re.compile(r"(Généré le;.*|\"genere_le\": \".*\")")
        assert strip.sub("", content.decode()) == strip.sub("", expected.decode())


def _report(world):
    from markets.models import Market
    from reporting import queries
    from reporting.models import PlacementYear

    return queries.yearly_report(records=PlacementYear.objects.all(), markets=Market.objects.all(), year=2025)


def test_the_status_page_and_its_fragment(client, world):
    export = prepare(client, world["coordinator"])
    page = client.get(reverse("reporting:export_status", args=[export.pk]))
    assert page.status_code == 200
    assert "Prête." in page.text and "Télécharger bilan-annuel-2025.xlsx" in page.text
    assert "hx-trigger" not in page.text  # finished: no more polling
    ExportRequest.objects.filter(pk=export.pk).update(status=ExportStatus.RUNNING, steps_done=3, steps_total=12)
    fragment = client.get(reverse("reporting:export_status", args=[export.pk]), headers={"HX-Request": "true"})
    assert "<html" not in fragment.text
    assert 'hx-trigger="every 1s"' in fragment.text
    assert "étape 3 sur 12" in fragment.text and 'value="25"' in fragment.text
    # Not downloadable before it is ready.
    assert download(client, export).status_code == 404


def test_another_user_gets_404_even_a_coordinator_of_the_same_region(client, world, admin_user):
    export = prepare(client, world["coordinator"])
    for other in (coordinator_colleague(world), world["facilitator_member"], admin_user):
        client.force_login(other)
        assert client.get(reverse("reporting:export_status", args=[export.pk])).status_code == 404
        assert download(client, export).status_code == 404
        assert client.post(reverse("reporting:export_retry", args=[export.pk])).status_code == 404
    client.force_login(world["coordinator"])
    assert download(client, export).status_code == 200


def test_a_buyer_cannot_prepare_the_yearly_report(client, world):
    client.force_login(world["city_admin"])
    assert client.post(PREPARE, {"year": 2025, "format": "xlsx"}).status_code == 404
    assert not ExportRequest.objects.exists()


def test_the_scope_is_checked_again_at_download(client, world):
    export = prepare(client, world["coordinator"])
    Membership.objects.filter(user=world["coordinator"], organisation=world["coordination"]).delete()
    assert download(client, export).status_code == 404


def test_the_scope_is_checked_again_when_the_task_runs(client, world):
    coordinator = world["coordinator"]
    export = ExportRequest.objects.create(
        user=coordinator,
        organisation=world["coordination"],
        kind="yearly_report",
        format="xlsx",
        parameters={"year": 2025, "title": "Bilan annuel 2025"},
        expires_at=timezone.now() + timedelta(days=1),
    )
    Membership.objects.filter(user=coordinator).delete()
    assert background.produce_export.call(str(export.pk)) == "refused"
    export.refresh_from_db()
    assert export.status == ExportStatus.FAILED and export.error == background.GONE
    assert not export.file_name


def test_a_failed_export_says_so_and_can_be_started_again(client, world, monkeypatch):
    real = exports.write_xlsx

    def broken(*args, **kwargs):
        raise OSError("disque plein")

    monkeypatch.setattr(exports, "write_xlsx", broken)
    export = prepare(client, world["coordinator"])
    export.refresh_from_db()
    assert export.status == ExportStatus.FAILED
    page = client.get(reverse("reporting:export_status", args=[export.pk])).text
    assert "Échouée." in page and "La préparation du fichier a échoué." in page
    assert "disque plein" not in page  # no technical detail shown
    assert "Relancer l'export" in page
    monkeypatch.setattr(exports, "write_xlsx", real)
    response = client.post(reverse("reporting:export_retry", args=[export.pk]))
    assert response.status_code == 302
    export.refresh_from_db()
    assert export.status == ExportStatus.READY and export.attempts == 1
    assert download(client, export).status_code == 200


def test_expired_exports_are_refused_then_pruned_with_their_file(client, world):
    old = prepare(client, world["coordinator"])
    fresh = prepare(client, world["facilitator_member"], "xlsx")
    old.refresh_from_db()
    path = background.storage().path(old.file_name)
    ExportRequest.objects.filter(pk=old.pk).update(expires_at=timezone.now() - timedelta(minutes=1))
    client.force_login(world["coordinator"])
    assert download(client, old).status_code == 404
    assert "Cet export a expiré" in client.get(reverse("reporting:export_status", args=[old.pk])).text
    [job] = [job for job in JOBS if job.name == "prune_exports"]
    [run] = enqueue_due(jobs=(job,))
    assert run.period.count("T") == 1  # hourly
    assert not ExportRequest.objects.filter(pk=old.pk).exists()
    assert not background.storage().exists(old.file_name)
    assert not __import__("os").path.exists(path)
    fresh.refresh_from_db()
    assert background.storage().exists(fresh.file_name)
    assert background.prune_expired() == 0  # a second run deletes nothing more


# --- The real worker -------------------------------------------------------------------------------------------


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("fmt", ["xlsx", "pdf"])
def test_the_worker_prepares_the_export_with_the_figures_of_the_synchronous_one(client, run_worker, fmt):  # noqa: F811
    world = build_world()
    coordinator = world["coordinator"]
    export = prepare(client, coordinator, fmt)
    export.refresh_from_db()
    assert export.status == ExportStatus.PENDING  # not produced inside the request
    [task] = DBTaskResult.objects.all()
    assert task.task_path == "reporting.background.produce_export"
    page = client.get(reverse("reporting:export_status", args=[export.pk])).text
    assert "En attente" in page and 'hx-trigger="every 1s"' in page
    run_worker()
    export.refresh_from_db()
    assert export.status == ExportStatus.READY, export.error
    assert export.steps_done == export.steps_total > 2
    content = body(download(client, export))
    expected = synchronous(client, coordinator, fmt)
    if fmt == "xlsx":
        assert cell_values(content) == cell_values(expected)
    else:
        assert without_generation_time(pdf_text(content)) == without_generation_time(pdf_text(expected))
    client.force_login(coordinator_colleague(world))
    assert download(client, export).status_code == 404


def test_a_failed_attempt_waits_for_the_automatic_retry_which_succeeds(client, world, monkeypatch):
    """With a worker (a backend that can defer), a failed attempt leaves the export waiting for the task's next
    attempt (notifications.retry), which writes the file; only the last attempt fails the export."""
    export = ExportRequest.objects.create(
        user=world["coordinator"],
        organisation=world["coordination"],
        kind="yearly_report",
        format="xlsx",
        parameters={"year": 2025, "title": "Bilan annuel 2025"},
        expires_at=timezone.now() + timedelta(days=1),
    )
    real = exports.write_xlsx

    def broken(*args, **kwargs):
        raise OSError("disque plein")

    monkeypatch.setattr(exports, "write_xlsx", broken)
    with pytest.raises(OSError):
        background.produce(str(export.pk), can_retry=True)
    export.refresh_from_db()
    assert export.status == ExportStatus.PENDING
    assert "nouvel essai automatique" in export.error
    monkeypatch.setattr(exports, "write_xlsx", real)
    assert background.produce(str(export.pk), can_retry=True) == "ready"
    export.refresh_from_db()
    assert (export.status, export.attempts, export.error) == (ExportStatus.READY, 2, "")
    assert background.produce(str(export.pk)) == "ready"  # run again: nothing more is written
    ExportRequest.objects.filter(pk=export.pk).update(status=ExportStatus.PENDING, attempts=background.ATTEMPTS - 1)
    monkeypatch.setattr(exports, "write_xlsx", broken)
    with pytest.raises(OSError):
        background.produce(str(export.pk), can_retry=True)
    export.refresh_from_db()
    assert export.status == ExportStatus.FAILED  # the last attempt
