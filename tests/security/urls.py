"""Test-only URLs: the project's URLs plus views that fail on purpose (tests/security/test_errors.py)."""

from datetime import date

from django.core.exceptions import PermissionDenied, SuspiciousOperation
from django.db import OperationalError
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


urlpatterns = [
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
