"""The official QPV 2024 (territories/data/qpv2024.json.gz): loading, codes absent from the list, point location
with real coordinates of the demo region's QPV (taken from their outlines)."""

import importlib
from io import StringIO

import pytest
from django.apps import apps
from django.core.management import call_command
from django.urls import reverse

from territories.geometry import QpvLocator, covers, official_codes, read_official_qpv
from territories.loaders import load_official_qpv, load_territories
from territories.models import Qpv

from .factories import CommuneFactory, QpvFactory

# Real points around « Le Mail » (QN02101M, Chenôve), read from its outline (1e-4 degree).
MAIL_INSIDE = (5.0079, 47.2972)  # near its centroid
MAIL_VERTEX = (5.0092, 47.3025)  # a corner of the outline
MAIL_EDGE = (5.0118, 47.3020)  # the middle of its edge from (5.0118, 47.3021) to (5.0118, 47.3019)
MAIL_WEST_OF_EDGE = (5.0117, 47.3020)  # 7.5 m inside that edge
MAIL_EAST_OF_EDGE = (5.0119, 47.3020)  # 7.5 m outside that edge
DIJON_PLACE_DARCY = (5.0343, 47.3226)  # city centre, in no QPV
BESANCON_PLANOISE = (5.9713, 47.2199)  # inside « Planoise » (QN02503M)


@pytest.fixture(scope="module")
def locator():
    _source, rows = read_official_qpv()
    return QpvLocator((row.code, row.outline) for row in rows)


@pytest.mark.parametrize(
    ("point", "expected"),
    [
        pytest.param(MAIL_INSIDE, "QN02101M", id="inside"),
        pytest.param(MAIL_VERTEX, "QN02101M", id="on-a-corner"),
        pytest.param(MAIL_EDGE, "QN02101M", id="on-an-edge"),
        pytest.param(MAIL_WEST_OF_EDGE, "QN02101M", id="just-inside-the-edge"),
        pytest.param(MAIL_EAST_OF_EDGE, None, id="just-outside-the-edge"),
        pytest.param(DIJON_PLACE_DARCY, None, id="outside"),
        pytest.param(BESANCON_PLANOISE, "QN02503M", id="another-qpv"),
    ],
)
def test_real_points_of_the_demo_region(locator, point, expected):
    longitude, latitude = point
    assert locator.locate(longitude=longitude, latitude=latitude) == expected
    assert locator.locate_many([longitude], [latitude]) == [expected]


def test_covers_uses_the_outline_not_its_box():
    _source, rows = read_official_qpv()
    mail = next(row for row in rows if row.code == "QN02101M")
    # (5.0176, 47.3026) is the box's north-east corner, outside the outline itself.
    assert not covers(mail.outline, longitude=5.0176, latitude=47.3026)
    assert covers(mail.outline, longitude=MAIL_INSIDE[0], latitude=MAIL_INSIDE[1])


def test_official_file_holds_the_2024_list():
    source, rows = read_official_qpv()
    assert len(rows) == len(official_codes()) == 1_584
    assert "Licence Ouverte" in source["licence"]
    assert all(row.outline and row.commune_codes for row in rows)


@pytest.mark.django_db
def test_region_load_brings_its_62_qpv_with_outlines():
    load_territories(region="27")

    assert Qpv.objects.count() == 62
    assert not Qpv.objects.exclude(communes__department__region="27").exists()
    mail = Qpv.objects.get(code="QN02101M")
    assert (mail.name, list(mail.communes.values_list("code", flat=True))) == ("Le Mail", ["21166"])
    assert (mail.min_longitude, mail.min_latitude, mail.max_longitude, mail.max_latitude) == (
        5.0017,
        47.2908,
        5.0176,
        47.3026,
    )
    assert list(Qpv.objects.around(longitude=MAIL_INSIDE[0], latitude=MAIL_INSIDE[1])) == [mail]


@pytest.mark.django_db
def test_code_absent_from_official_list_is_kept_and_reported(admin_client):
    dijon = CommuneFactory(code="21231")
    made_up = QpvFactory(code="QN02199Z", name="Quartier inventé", communes=[dijon])

    out = StringIO()
    call_command("load_territories", region="27", stdout=out)

    assert Qpv.objects.filter(pk=made_up.pk, official=False).exists()
    assert (
        "1 QPV absent(s) de la liste officielle 2024, conservé(s) et signalé(s) dans l'administration : QN02199Z."
        in (out.getvalue())
    )
    listed = admin_client.get(reverse("admin:territories_qpv_changelist"), {"official__exact": "0"})
    assert [qpv.code for qpv in listed.context["cl"].result_list] == ["QN02199Z"]


@pytest.mark.django_db
def test_migration_flags_official_codes_and_reports_the_others(capsys):
    dijon = CommuneFactory(code="21231")
    QpvFactory(code="QN02101M", name="Grésilles", communes=[dijon])
    QpvFactory(code="QN02199Z", name="Quartier inventé", communes=[dijon])
    migration = importlib.import_module("territories.migrations.0002_qpv_official_outline")

    migration.flag_official_qpv(apps, None)

    assert dict(Qpv.objects.values_list("code", "official")) == {"QN02101M": True, "QN02199Z": False}
    output = capsys.readouterr().out
    assert "1 QPV absent(s) de la liste officielle 2024" in output
    assert output.rstrip().endswith(": QN02199Z")


@pytest.mark.django_db
def test_reload_is_idempotent():
    load_territories(region="27")
    links = Qpv.communes.through.objects.count()
    result = load_official_qpv(commune_codes={"21166"})
    assert result.loaded == 1
    assert (Qpv.objects.count(), Qpv.communes.through.objects.count()) == (62, links)
