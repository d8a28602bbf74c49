"""A région with one published report in which a département and a public count 1–4 people (issue 18, items 2–3).

Bourgogne-Franche-Comté, 2025, 22 people, every record validated in May:
- Côte-d'Or (21): 12 people, 11 × 100 h and one QPV resident with 161,35 h (the only one: the QPV public is hidden,
  its hours too); six of the twelve are women (shown: 6 of 22);
- Doubs (25): 3 people × 37,75 h = 113,25 h: hidden ("< 5", "secret");
- Jura (39): 7 people × 20 h = 140 h: hidden in complement (the next smallest row), else 113,25 would be the total
  less the two others.
Total 1 514,6 h. Every person has a unique last name, which no public output may hold.
"""

from __future__ import annotations

import datetime
from decimal import Decimal

from beneficiaries.choices import Sex
from organisations.models import Role
from reporting import publication
from tests.beneficiaries.factories import BeneficiaryFactory, HoursRecordFactory, OutcomeFactory, PlacementFactory
from tests.clauses.factories import ClauseFactory
from tests.markets.factories import LotFactory, MarketFactory
from tests.organisations.factories import (
    BuyerFactory,
    CoordinationFactory,
    FacilitationStructureFactory,
    MembershipFactory,
    UserFactory,
)
from tests.territories.factories import CommuneFactory, DepartmentFactory, RegionFactory

D = Decimal
YEAR = 2025
SLUG = "bourgogne-franche-comte"
# Figures a small count hides, as any output could write them (exact, page rounding, CSV/JSON).
HIDDEN_HOURS = ("113,25", "113.25", "113,3", "37,75", "37.75", "161,35", "161.35", "161,4")
COMPLEMENT_HOURS = ("140",)  # Jura: checked in the data files (the SVG paths hold any number)


def person_names(index: int) -> str:
    return f"Zyxwvutsrqa{index:02d}"


def build_public_world() -> dict:
    region = RegionFactory(code="27", name="Bourgogne-Franche-Comté")
    facilitator = FacilitationStructureFactory(name="PLIE Public", region=region)
    coordination = CoordinationFactory(name="Coordination BFC", region=region)
    coordinator = MembershipFactory(organisation=coordination, role=Role.MEMBER, user=UserFactory()).user
    buyer = BuyerFactory(name="Acheteur Unique Publicus")
    communes = {
        "21": CommuneFactory(code="21231", name="Dijon", department=DepartmentFactory(code="21", region=region)),
        "25": CommuneFactory(
            code="25056", name="Besançon", department=DepartmentFactory(code="25", name="Doubs", region=region)
        ),
        "39": CommuneFactory(
            code="39300", name="Lons-le-Saunier", department=DepartmentFactory(code="39", name="Jura", region=region)
        ),
    }
    lots = {}
    for code, commune in communes.items():
        market = MarketFactory(buyer=buyer, facilitator=facilitator, reference=f"PUB-{code}", execution_commune=commune)
        lots[code] = ClauseFactory(lot=LotFactory(market=market, number=1)).lot
    index = 0

    def person(code: str, hours: str, **flags):
        nonlocal index
        index += 1
        sex = Sex.FEMALE if flags.get("is_woman") else Sex.MALE
        beneficiary = BeneficiaryFactory(structure=facilitator, last_name=person_names(index), sex=sex)
        placement = PlacementFactory(beneficiary=beneficiary, lot=lots[code], **flags)
        HoursRecordFactory(placement=placement, month=datetime.date(YEAR, 5, 1), hours=D(hours))
        return placement

    for number in range(11):
        person("21", "100", is_woman=number < 6)
    person("21", "161.35", is_qpv_resident=True)
    for _ in range(3):  # in CDI at the end of their contract: 3 people, hidden on the public page
        OutcomeFactory(placement=person("25", "37.75"))
    for _ in range(7):
        person("39", "20")
    published = publication.publish(user=coordinator, year=YEAR, region=region)
    return {"region": region, "coordinator": coordinator, "lots": lots, "published": published, "person": person}
