from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from territories.loaders import load_territories, read_territories
from territories.models import Commune, Department, Epci, Region

BFC_DEPARTMENTS = {"21", "25", "39", "58", "70", "71", "89", "90"}


@pytest.mark.django_db
def test_region_option_loads_only_that_region():
    out = StringIO()
    call_command("load_territories", "--region", "27", stdout=out)

    data = read_territories()
    bfc_communes = [row for row in data["communes"] if row[2] in BFC_DEPARTMENTS]
    bfc_epcis = {row[3] for row in bfc_communes if row[3]}
    assert list(Region.objects.values_list("code", flat=True)) == ["27"]
    assert set(Department.objects.values_list("code", flat=True)) == BFC_DEPARTMENTS
    assert Commune.objects.count() == len(bfc_communes) > 3_000
    assert set(Epci.objects.values_list("code", flat=True)) == bfc_epcis
    assert not Commune.objects.exclude(department__region="27").exists()
    # Every EPCI loaded touches the region.
    assert not Epci.objects.exclude(communes__department__region="27").exists()
    assert out.getvalue().strip() == (
        f"1 région, 8 départements, {len(bfc_epcis)} EPCI, "
        f"{len(bfc_communes) // 1000}\u202f{len(bfc_communes) % 1000:03d} communes chargées, "
        "62 QPV officiels (liste 2024)."
    )


@pytest.mark.django_db
def test_region_epci_spanning_two_regions_is_loaded():
    data = read_territories()
    region_of_department = {row[0]: row[2] for row in data["departments"]}
    regions_of_epci: dict[str, set[str]] = {}
    for _code, _name, department, epci, _population in data["communes"]:
        if epci:
            regions_of_epci.setdefault(epci, set()).add(region_of_department[department])
    spanning = sorted(epci for epci, regions in regions_of_epci.items() if "27" in regions and len(regions) > 1)
    # The committed data file holds such EPCI; this case must be exercised, not skipped.
    assert spanning

    load_territories(region="27")

    assert Epci.objects.filter(code__in=spanning).count() == len(spanning)
    # Only the region's own member communes are loaded.
    assert not Commune.objects.filter(epci__in=spanning).exclude(department__region="27").exists()


@pytest.mark.django_db
def test_region_load_is_idempotent():
    load_territories(region="27")
    first = Commune.objects.count()
    counts = load_territories(region="27")
    assert Commune.objects.count() == first == counts.communes


@pytest.mark.django_db
def test_unknown_region_is_refused():
    with pytest.raises(CommandError, match="Région « 99 » inconnue"):
        call_command("load_territories", "--region", "99")
    assert not Region.objects.exists()
