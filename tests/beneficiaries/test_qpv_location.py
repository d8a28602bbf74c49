"""A participant's QPV computed from the address's coordinates (issue 17, point 2), with real coordinates around
real QPV of the demo region, and the optional geocoder served by a local fake HTTP server (no network)."""

import json
import threading
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from beneficiaries.choices import Criterion, PrescriberType, QpvSource, Sex
from beneficiaries.models import Beneficiary
from beneficiaries.services import add_criterion, create_beneficiary, update_beneficiary
from territories.loaders import load_official_qpv
from territories.models import Qpv
from tests.beneficiaries.factories import BeneficiaryFactory
from tests.territories.factories import CommuneFactory, DepartmentFactory, QpvFactory

# Real points (1e-4 degree) read from the official outline of « Le Mail » (QN02101M, Chenôve, 21166).
MAIL_INSIDE = (Decimal("47.2972"), Decimal("5.0079"))  # latitude, longitude
MAIL_EDGE = (Decimal("47.3020"), Decimal("5.0118"))  # on its edge from (5.0118, 47.3021) to (5.0118, 47.3019)
MAIL_OUTSIDE = (Decimal("47.3020"), Decimal("5.0119"))  # 7.5 m east of that edge, in no QPV
DIJON_CENTRE = (Decimal("47.3226"), Decimal("5.0343"))  # place Darcy, in no QPV


@pytest.fixture
def communes(db):
    cote_dor = DepartmentFactory(code="21")
    chenove = CommuneFactory(code="21166", name="Chenôve", department=cote_dor)
    dijon = CommuneFactory(code="21231", name="Dijon", department=cote_dor)
    load_official_qpv(commune_codes={"21166", "21231"})
    return {"chenove": chenove, "dijon": dijon, "mail": Qpv.objects.get(code="QN02101M")}


def person(structure, **fields):
    values = {
        "last_name": "Martin",
        "first_name": "Lou",
        "sex": Sex.FEMALE,
        "prescriber_type": PrescriberType.FRANCE_TRAVAIL,
        **fields,
    }
    return create_beneficiary(structure=structure, **values)


@pytest.mark.parametrize(
    ("point", "expected"),
    [
        pytest.param(MAIL_INSIDE, "QN02101M", id="inside"),
        pytest.param(MAIL_EDGE, "QN02101M", id="on-the-edge"),
        pytest.param(MAIL_OUTSIDE, None, id="just-outside"),
    ],
)
def test_qpv_is_computed_from_coordinates(structure, communes, point, expected):
    latitude, longitude = point
    beneficiary = person(structure, commune=communes["chenove"], latitude=latitude, longitude=longitude)

    beneficiary.refresh_from_db()
    assert beneficiary.qpv_id == expected
    assert beneficiary.qpv_source == QpvSource.COMPUTED


def test_computed_qpv_replaces_a_wrong_pick_and_says_so(structure, communes):
    beneficiary = person(structure, commune=communes["chenove"], qpv=communes["mail"])
    assert (beneficiary.qpv_id, beneficiary.qpv_source) == ("QN02101M", QpvSource.ENTERED)

    latitude, longitude = MAIL_OUTSIDE
    update_beneficiary(beneficiary=beneficiary, latitude=latitude, longitude=longitude)
    beneficiary.refresh_from_db()
    assert (beneficiary.qpv_id, beneficiary.qpv_source) == (None, QpvSource.COMPUTED)

    update_beneficiary(beneficiary=beneficiary, latitude=None, longitude=None, qpv=communes["mail"])
    beneficiary.refresh_from_db()
    assert (beneficiary.qpv_id, beneficiary.qpv_source) == ("QN02101M", QpvSource.ENTERED)


def test_commune_left_empty_is_the_computed_qpvs(structure, communes):
    latitude, longitude = MAIL_INSIDE
    beneficiary = person(structure, latitude=latitude, longitude=longitude)
    assert (beneficiary.commune_id, beneficiary.qpv_id) == ("21166", "QN02101M")


def test_coordinates_in_a_qpv_of_another_commune_are_refused_on_the_field(structure, communes):
    latitude, longitude = MAIL_INSIDE
    with pytest.raises(ValidationError) as raised:
        person(structure, commune=communes["dijon"], latitude=latitude, longitude=longitude)
    assert raised.value.error_dict["latitude"][0].code == "qpv_outside_commune"
    assert "Le Mail" in raised.value.error_dict["latitude"][0].message
    assert not Beneficiary.objects.exists()


def test_half_coordinates_are_refused(structure, communes):
    with pytest.raises(ValidationError) as raised:
        person(structure, commune=communes["chenove"], latitude=Decimal("47.2972"))
    assert raised.value.error_dict["longitude"][0].code == "coordinates_incomplete"


def test_computing_no_qpv_keeps_the_qpv_criterion_rule(structure, communes, owner):
    beneficiary = person(structure, commune=communes["chenove"], qpv=communes["mail"])
    add_criterion(
        beneficiary=beneficiary,
        criterion=Criterion.QPV_RESIDENT,
        validated_on=beneficiary.created_at.date(),
        validated_by=owner,
        evidence_type="id_and_address",
    )
    latitude, longitude = MAIL_OUTSIDE
    with pytest.raises(ValidationError) as raised:
        update_beneficiary(beneficiary=beneficiary, latitude=latitude, longitude=longitude)
    assert "qpv" in raised.value.error_dict
    beneficiary.refresh_from_db()
    assert (beneficiary.qpv_id, beneficiary.latitude) == ("QN02101M", None)


def test_a_qpv_without_outline_is_not_overridden(structure, communes):
    older = QpvFactory(code="QN02199Z", name="Ancien quartier", communes=[communes["dijon"]])
    latitude, longitude = DIJON_CENTRE
    beneficiary = person(structure, commune=communes["dijon"], qpv=older, latitude=latitude, longitude=longitude)
    assert (beneficiary.qpv_id, beneficiary.qpv_source) == ("QN02199Z", QpvSource.ENTERED)


def test_without_outlines_loaded_the_entered_qpv_stands(structure, db):
    dijon = CommuneFactory(code="21231")
    qpv = QpvFactory(code="QN02101M", communes=[dijon])
    beneficiary = person(structure, commune=dijon, qpv=qpv, latitude=DIJON_CENTRE[0], longitude=DIJON_CENTRE[1])
    assert (beneficiary.qpv_id, beneficiary.qpv_source) == ("QN02101M", QpvSource.ENTERED)


def test_detail_page_shows_the_qpv_source(owner_client, structure, communes):
    latitude, longitude = MAIL_INSIDE
    computed = person(structure, commune=communes["chenove"], latitude=latitude, longitude=longitude)
    entered = person(structure, commune=communes["chenove"], qpv=communes["mail"])

    page = owner_client.get(reverse("beneficiaries:detail", args=[computed.pk])).content.decode()
    assert "Le Mail (QN02101M)" in page
    assert "calculé depuis l&#x27;adresse" in page
    assert "latitude 47,29720, longitude 5,00790" in page
    page = owner_client.get(reverse("beneficiaries:detail", args=[entered.pk])).content.decode()
    assert 'data-qpv-source="entered">saisi</span>' in page


def test_form_accepts_french_decimal_coordinates(owner_client, structure, communes):
    response = owner_client.post(
        reverse("beneficiaries:create"),
        {
            "last_name": "Petit",
            "first_name": "Sam",
            "sex": Sex.MALE,
            "address": "3 rue du Mail",
            "commune": "21166",
            "qpv": "",
            "latitude": "47,2972",
            "longitude": "5,0079",
            "prescriber_type": PrescriberType.FRANCE_TRAVAIL,
        },
    )
    assert response.status_code == 302
    beneficiary = Beneficiary.objects.get(last_name="Petit")
    assert (beneficiary.qpv_id, beneficiary.qpv_source) == ("QN02101M", QpvSource.COMPUTED)


# Geocoding, against a local fake of the national address API.


class FakeAddressApi(BaseHTTPRequestHandler):
    answers: dict = {}
    requests: list = []

    def do_GET(self):
        query = parse_qs(urlparse(self.path).query)
        type(self).requests.append(query)
        answer = type(self).answers.get(query.get("q", [""])[0])
        if answer == "error":
            self.send_response(500)
            self.end_headers()
            return
        if answer == "slow":
            threading.Event().wait(2)
            answer = None
        body = json.dumps({"type": "FeatureCollection", "features": [answer] if answer else []}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def feature(latitude, longitude, kind="housenumber", score=0.93):
    return {
        "type": "Feature",
        "geometry": {"type": "Point", "coordinates": [float(longitude), float(latitude)]},
        "properties": {"type": kind, "score": score, "label": "adresse"},
    }


@pytest.fixture
def address_api(settings):
    FakeAddressApi.answers = {
        "12 rue du Mail": feature(*MAIL_INSIDE),
        "1 place Darcy": feature(*DIJON_CENTRE),
        "Chenôve": feature(*MAIL_INSIDE, kind="municipality"),
        "panne": "error",
        "lent": "slow",
    }
    FakeAddressApi.requests = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeAddressApi)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    settings.GEOCODER_URL = f"http://127.0.0.1:{server.server_address[1]}/search/"
    settings.GEOCODER_TIMEOUT_SECONDS = 0.5
    yield FakeAddressApi
    server.shutdown()
    server.server_close()


def test_address_is_geocoded_on_save_and_the_qpv_computed(structure, communes, address_api):
    beneficiary = person(structure, address="12 rue du Mail", commune=communes["chenove"])

    assert (beneficiary.latitude, beneficiary.longitude) == MAIL_INSIDE
    assert (beneficiary.qpv_id, beneficiary.qpv_source) == ("QN02101M", QpvSource.COMPUTED)
    assert address_api.requests == [{"q": ["12 rue du Mail"], "limit": ["1"], "citycode": ["21166"]}]

    update_beneficiary(beneficiary=beneficiary, address="1 place Darcy", commune=communes["dijon"])
    beneficiary.refresh_from_db()
    assert (beneficiary.latitude, beneficiary.longitude, beneficiary.qpv_id) == (*DIJON_CENTRE, None)
    # An unchanged address is not sent again.
    update_beneficiary(beneficiary=beneficiary, notes="RAS")
    assert len(address_api.requests) == 2


@pytest.mark.parametrize("address", ["panne", "lent", "Chenôve", "inconnue"])
def test_geocoder_failure_saves_the_person_as_typed(structure, communes, address_api, address, caplog):
    beneficiary = person(structure, address=address, commune=communes["chenove"], qpv=communes["mail"])

    assert (beneficiary.latitude, beneficiary.qpv_id, beneficiary.qpv_source) == (None, "QN02101M", QpvSource.ENTERED)
    assert len(address_api.requests) == 1


def test_typed_coordinates_win_over_the_geocoder(structure, communes, address_api):
    latitude, longitude = MAIL_OUTSIDE
    beneficiary = person(
        structure, address="12 rue du Mail", commune=communes["chenove"], latitude=latitude, longitude=longitude
    )
    assert (beneficiary.latitude, beneficiary.qpv_id) == (latitude, None)
    assert address_api.requests == []


def test_without_geocoder_url_nothing_is_sent(structure, communes, settings):
    settings.GEOCODER_URL = ""
    beneficiary = person(structure, address="12 rue du Mail", commune=communes["chenove"])
    assert (beneficiary.latitude, beneficiary.qpv_id, beneficiary.qpv_source) == (None, None, "")


def test_anonymisation_forgets_the_coordinates(structure, communes):
    from beneficiaries.anonymisation import anonymise_inactive

    old = BeneficiaryFactory(
        structure=structure, commune=communes["chenove"], latitude=MAIL_INSIDE[0], longitude=MAIL_INSIDE[1]
    )
    Beneficiary.objects.filter(pk=old.pk).update(created_at="2015-01-01T00:00:00Z", updated_at="2015-01-01T00:00:00Z")
    anonymise_inactive()
    old.refresh_from_db()
    assert old.anonymised_at is not None
    assert (old.latitude, old.longitude) == (None, None)
