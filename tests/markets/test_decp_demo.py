"""The demo's published markets: valid against the official DECP schema, imported by the demo seed."""

import json
from datetime import date
from pathlib import Path

import jsonschema
import pytest

from demo.seed import DEMO_DECP, load_demo_decp
from markets.models import DecpMarket
from tests.organisations.factories import BuyerFactory, make_siret
from tests.territories.factories import DepartmentFactory

SCHEMA = Path(__file__).resolve().parent / "data" / "decp" / "schema_decp_v2.0.3.json"


def validator():
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    return jsonschema.validators.validator_for(schema)(schema)


def test_the_demo_file_is_valid_against_the_official_schema():
    errors = list(validator().iter_errors(json.loads(DEMO_DECP.read_text(encoding="utf-8"))))
    assert errors == []


def test_the_schema_check_can_fail():
    data = json.loads(DEMO_DECP.read_text(encoding="utf-8"))
    del data["marches"]["marche"][0]["montant"]
    data["marches"]["marche"][1]["considerationsSociales"]["considerationSociale"] = ["Clause solidaire"]
    assert len(list(validator().iter_errors(data))) == 2


@pytest.mark.django_db
def test_the_demo_seed_loads_markets_to_follow():
    for code in ("21", "25", "71", "89"):
        DepartmentFactory(code=code, name=f"Département {code}")
    dijon = BuyerFactory(name="Ville de Dijon", siret=make_siret(777))  # a demo buyer, its SIRET drawn by the seed
    report = load_demo_decp(today=date(2026, 1, 1), log=lambda _: None)
    assert (report.created, report.refused, report.ignored) == (10, 0, 0)
    assert DecpMarket.objects.filter(buyer=dijon).count() == 2
    assert DecpMarket.objects.to_follow().count() == 7
    assert load_demo_decp(today=date(2026, 1, 1), log=lambda _: None).changes == 0
