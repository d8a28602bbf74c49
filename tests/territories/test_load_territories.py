"""Full national load: loaded once for the module (a couple of seconds), rolled back at the end."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.db import transaction

from territories.geometry import read_official_qpv
from territories.loaders import read_territories
from territories.models import Commune, Department, Epci, Qpv, Region


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
    first_line, *warnings = national.strip().splitlines()
    assert first_line == (
        f"18 régions, 101 départements, 1\u202f{len(data['epcis']) - 1000:03d} EPCI, "
        f"{len(data['communes']) // 1000}\u202f{len(data['communes']) % 1000:03d} communes chargées, "
        "1\u202f584 QPV officiels (liste 2024)."
    )
    # Saint-Martin (3) and French Polynesia (88) are overseas collectivities, outside the communes' split.
    assert warnings == [
        "91 QPV chargé(s) sans commune : leurs communes (collectivités d'outre-mer : Saint-Martin, "
        "Polynésie française) ne sont pas dans le référentiel."
    ]


@pytest.mark.django_db
def test_all_official_qpv_are_loaded_with_their_communes(national):
    """Done when of issue 17: 1,584 QPV on an empty database, QN02101M is « Le Mail » on Chenôve (21166), and 62
    QPV lie in Bourgogne-Franche-Comté."""
    assert Qpv.objects.count() == Qpv.objects.filter(official=True).count() == 1_584
    mail = Qpv.objects.get(code="QN02101M")
    assert mail.name == "Le Mail"
    assert list(mail.communes.values_list("code", flat=True)) == ["21166"]
    assert Qpv.objects.filter(communes__department__region="27").distinct().count() == 62
    # Every QPV of the split carries its official communes, and an outline whose box holds it.
    _source, rows = read_official_qpv()
    links = set(Qpv.communes.through.objects.values_list("qpv_id", "commune_id"))
    expected = {
        (row.code, code) for row in rows for code in row.commune_codes if not code.startswith(("977", "978", "98"))
    }
    assert links == expected
    assert not Qpv.objects.filter(outline__isnull=True).exists()
    assert not Qpv.objects.filter(min_longitude__gt=5.0079).filter(code="QN02101M").exists()
    # Saint-Denis absorbed Pierrefitte-sur-Seine (93059) in 2025: its QPV follow the merged commune.
    assert set(Qpv.objects.get(code="QN09342M").communes.values_list("code", flat=True)) == {"93066"}


@pytest.mark.django_db
def test_second_run_updates_without_duplicates(national):
    counts = (Region.objects.count(), Department.objects.count(), Epci.objects.count(), Commune.objects.count())
    Commune.objects.filter(code="21231").update(name="Divio", epci=None, population=1)
    Epci.objects.filter(code="242100410").update(name="Ancien nom")
    Department.objects.filter(code="21").update(name="Côte d'Or (ancien)")

    Qpv.objects.filter(code="QN02101M").update(name="Grésilles")
    Qpv.communes.through.objects.filter(qpv_id="QN02101M").delete()
    qpv_links = Qpv.communes.through.objects.count()

    out = StringIO()
    call_command("load_territories", stdout=out)

    assert "18 régions, 101 départements" in out.getvalue()
    assert Qpv.objects.count() == 1_584
    assert Qpv.objects.get(code="QN02101M").name == "Le Mail"
    assert Qpv.communes.through.objects.count() == qpv_links + 1
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
