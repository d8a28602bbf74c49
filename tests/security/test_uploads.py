"""Request size limits: a 200-row hours grid still saves, oversized or field-stuffed bodies get a French 400."""

import datetime
from html.parser import HTMLParser

import pytest
from django.conf import settings

from beneficiaries.models import HoursRecord
from tests.beneficiaries.factories import BeneficiaryFactory, PlacementFactory
from tests.territories.factories import CommuneFactory

pytestmark = pytest.mark.django_db
GRID = "/heures/?month=2025-03"
ROWS = 200


def form_values(html: str) -> dict[str, str]:
    data = {}

    class Inputs(HTMLParser):
        def handle_starttag(self, tag, attrs):
            attrs = dict(attrs)
            if tag == "input" and attrs.get("name") and attrs.get("type") not in ("checkbox", "search"):
                data[attrs["name"]] = attrs.get("value") or ""

    Inputs().feed(html)
    return data


def test_a_200_row_grid_saves_in_one_post(owner_client, structure, market):
    lot = market.lots.get()
    commune = CommuneFactory()
    placements = [
        PlacementFactory(
            beneficiary=BeneficiaryFactory(structure=structure, commune=commune),
            lot=lot,
            start_date=datetime.date(2025, 1, 1),
            end_date=datetime.date(2025, 12, 31),
        )
        for _ in range(ROWS)
    ]
    data = form_values(owner_client.get(GRID).text)
    for placement in placements:
        data[f"p{placement.pk}-hours"] = "35,5"
        data[f"p{placement.pk}-training_hours"] = "0"
    data["action"] = "save"
    # More fields than Django's default limit (1 000): the setting is what lets this grid through.
    assert len(data) > 1000
    assert len(data) < settings.DATA_UPLOAD_MAX_NUMBER_FIELDS
    response = owner_client.post(GRID, data)
    assert response.status_code == 302, response.text[:500]
    assert HoursRecord.objects.filter(month=datetime.date(2025, 3, 1)).count() == ROWS


def test_an_oversized_body_is_refused_with_a_french_400(client):
    big = "x" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1)
    response = client.post("/compte/connexion/", {"username": "a@exemple.fr", "password": big})
    assert response.status_code == 400
    assert "<h1>Requête invalide</h1>" in response.text


def test_too_many_fields_are_refused_with_a_french_400(client):
    data = {f"champ{index}": "1" for index in range(settings.DATA_UPLOAD_MAX_NUMBER_FIELDS + 1)}
    response = client.post("/compte/connexion/", data)
    assert response.status_code == 400
    assert "<h1>Requête invalide</h1>" in response.text


def test_limits():
    assert settings.DATA_UPLOAD_MAX_MEMORY_SIZE == 5 * 1024 * 1024
    assert int(2.5 * 1024 * 1024) == settings.FILE_UPLOAD_MAX_MEMORY_SIZE
    assert settings.DATA_UPLOAD_MAX_NUMBER_FILES == 10
