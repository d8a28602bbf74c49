"""Corrections of the official reference data (a commune's EPCI or département, a département's region).

Reference data is changed only by its loaders (territories.loaders) and these services, never in the admin
(read-only there) nor through the API (read-only). The reporting summary copies the département, region and
EPCI of each market's execution commune: every change here refreshes the rows that no longer match, in the
same transaction, through the `summary` hook (config.hooks)."""

from django.core.exceptions import ValidationError
from django.db import transaction

from config.hooks import summary
from territories.models import Commune, Department, Epci, Region


def reference_data_changed() -> int:
    """Bring the summary in step after territories changed (a reload, a correction); returns how many
    placements were refreshed. One query over the summary: for loaders and corrections, not for requests."""
    return summary.refresh_stale()


@transaction.atomic
def correct_commune(*, commune: Commune, epci: Epci | None = None, department: Department | None = None) -> Commune:
    """Move a commune to another EPCI and/or département (a merger, a boundary change)."""
    if epci is None and department is None:
        raise ValidationError(
            {"epci": ValidationError("Indiquez le nouvel EPCI ou le nouveau département.", code="nothing_to_do")}
        )
    commune = Commune.objects.select_for_update().get(pk=commune.pk)
    if epci is not None:
        commune.epci = epci
    if department is not None:
        commune.department = department
    commune.full_clean()
    commune.save()
    reference_data_changed()
    return commune


@transaction.atomic
def correct_department(*, department: Department, region: Region) -> Department:
    """Attach a département to another region."""
    department = Department.objects.select_for_update().get(pk=department.pk)
    department.region = region
    department.full_clean()
    department.save()
    reference_data_changed()
    return department
