"""Test-only URLs: the project's URLs plus views that fail on purpose (tests/security/test_errors.py)."""

from datetime import date

from django.core.exceptions import PermissionDenied, SuspiciousOperation
from django.db import OperationalError, connection
from django.http import HttpResponse
from django.urls import include, path

from beneficiaries.models import HoursRecord
from config.urls import handler400, handler403, handler404, handler500  # noqa: F401 (the project's error views)


def duplicate_record(request, placement_id):
    """Write the same placement and month twice, skipping the services: a real unique-constraint violation."""
    for _ in range(2):
        HoursRecord.objects.create(placement_id=placement_id, month=date(2025, 3, 1), hours=10)


def locked(request):
    raise OperationalError("database is locked")


def crash(request):
    raise RuntimeError("panne simulée")


def bad_request(request):
    raise SuspiciousOperation("requête suspecte simulée")


def forbidden(request):
    raise PermissionDenied


def _sleep_and_show(milliseconds: int) -> HttpResponse:
    """Sleep in the database (PostgreSQL), then answer the statement timeout in force."""
    if connection.vendor != "postgresql":
        return HttpResponse("sans limite (SQLite)")
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_sleep(%s)", [milliseconds / 1000])
        cursor.execute("SHOW statement_timeout")
        return HttpResponse(cursor.fetchone()[0])


def slow(request, milliseconds):
    return _sleep_and_show(milliseconds)


def slow_report(request, milliseconds):
    from config.routers import reporting_database

    with reporting_database():
        return _sleep_and_show(milliseconds)


urlpatterns = [
    path("test/lent/<int:milliseconds>/", slow),
    path("api/test/lent/<int:milliseconds>/", slow),
    path("test/bilan-lent/<int:milliseconds>/", slow_report),
    path("test/doublon/<int:placement_id>/", duplicate_record),
    path("api/test/doublon/<int:placement_id>/", duplicate_record),
    path("test/panne/", crash),
    path("test/verrou/", locked),
    path("test/requete-invalide/", bad_request),
    path("api/test/panne/", crash),
    path("api/test/verrou/", locked),
    path("api/test/requete-invalide/", bad_request),
    path("api/test/interdit/", forbidden),
    path("", include("config.urls")),
]
