"""Full national load: loaded once for the module (a couple of seconds), rolled back at the end."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.db import transaction

from territories.loaders import read_territories
from territories.models import Commune, Department, Epci, Region


@pytest.fixture(scope="module")
def national(django_db_setup, django_db_blocker):
    """Load the whole country once in an outer transaction (each test runs in a savepoint inside it) and
    roll it back after the module, so other test modules start from an empty database."""
    with django_db_blocker.unblock(), transaction.atomic():
        out = StringIO()
        call_command("load_territories", stdout=out)
        yield out.getvalue()
        transaction.set_rollback(True)


@pytest.fixture(scope="module")
def data():
    return read_territories()


@pytest.mark.django_db
def test_database_holds_exactly_the_data_file(national, data):
    assert Region.objects.count() == len(data["regions"])
    assert Department.objects.count() == len(data["departments"])
    assert Epci.objects.count() == len(data["epcis"])
    assert Commune.objects.count() == len(data["communes"])
    assert set(Epci.objects.values_list("code", flat=True)) == {row[0] for row in data["epcis"]}
    assert dict(Commune.objects.values_list("code", "epci_id")) == {row[0]: row[3] for row in data["communes"]}
    assert dict(Commune.objects.values_list("code", "department_id")) == {row[0]: row[2] for row in data["communes"]}
    assert dict(Department.objects.values_list("code", "region_id")) == {row[0]: row[2] for row in data["departments"]}


@pytest.mark.django_db
def test_national_totals_are_plausible(national):
    # 13 metropolitan regions + 5 overseas (Guadeloupe, Martinique, Guyane, La Réunion, Mayotte).
    assert Region.objects.count() == 18
    assert Region.objects.exclude(code__startswith="0").count() == 13
    assert Department.objects.count() == 101
    assert 34_800 <= Commune.objects.count() <= 35_000
    assert 1_200 <= Epci.objects.count() <= 1_300
    # Every EPCI has member communes; only a few island communes belong to none.
    assert not Epci.objects.filter(communes__isnull=True).exists()
    assert Commune.objects.filter(epci__isnull=True).count() < 10
    assert Commune.objects.filter(population__isnull=True).count() < 10


@pytest.mark.django_db
def test_known_communes(national):
    dijon = Commune.objects.select_related("department__region", "epci").get(code="21231")
    assert dijon.name == "Dijon"
    assert dijon.department.name == "Côte-d'Or"
    assert dijon.department.region.name == "Bourgogne-Franche-Comté"
    assert dijon.epci.code == "242100410"
    assert dijon.population > 150_000
    assert Commune.objects.get(code="2A004").name == "Ajaccio"
    assert Commune.objects.get(code="97411").department_id == "974"
    assert Commune.objects.get(code="29155").epci is None  # Ouessant, in no EPCI


@pytest.mark.django_db
def test_command_prints_french_counts(national, data):
    assert national.strip() == (
        f"18 régions, 101 départements, 1\u202f{len(data['epcis']) - 1000:03d} EPCI, "
        f"{len(data['communes']) // 1000}\u202f{len(data['communes']) % 1000:03d} communes chargées."
    )


@pytest.mark.django_db
def test_second_run_updates_without_duplicates(national):
    counts = (Region.objects.count(), Department.objects.count(), Epci.objects.count(), Commune.objects.count())
    Commune.objects.filter(code="21231").update(name="Divio", epci=None, population=1)
    Epci.objects.filter(code="242100410").update(name="Ancien nom")
    Department.objects.filter(code="21").update(name="Côte d'Or (ancien)")

    out = StringIO()
    call_command("load_territories", stdout=out)

    assert "18 régions, 101 départements" in out.getvalue()
    assert (Region.objects.count(), Department.objects.count(), Epci.objects.count(), Commune.objects.count()) == (
        counts
    )
    dijon = Commune.objects.select_related("epci", "department").get(code="21231")
    assert (dijon.name, dijon.epci.name, dijon.department.name) == ("Dijon", "Dijon Métropole", "Côte-d'Or")
    assert dijon.population > 150_000


@pytest.mark.django_db
def test_search_in_admin_finds_communes(national, admin_client):
    response = admin_client.get("/admin/territories/commune/", {"q": "Besançon"})
    assert response.status_code == 200
    assert [c.code for c in response.context["cl"].result_list] == ["25056"]
