"""One shared world for the access matrix and the personal-data tests: two facilitation structures of region 27
(A and B), each with an operation, a market, a lot with its clause, a person with criteria (RQTH included), a
placement, hours (declared through the services, so they have a history) and an outcome; two buyers (X buys A's
market, Y buys B's); a coordination body of region 27 and one of another region; a user for each role. The company
"BTP Commun" holds both lots; its contact company_a reaches lot A only (issue 15), another contact lot B.

People have unusual names, so tests can search response bodies for them.
"""

import datetime
from decimal import Decimal
from types import SimpleNamespace

from api.services import create_token
from beneficiaries import services
from beneficiaries.choices import Criterion, EvidenceType, HoursStatus, Modality, Sex
from companies.services import accept_invitation, invite_contact
from organisations.models import BuyerType, Role, User
from tests.beneficiaries.factories import BeneficiaryFactory, OutcomeFactory
from tests.clauses.factories import ClauseFactory
from tests.markets.factories import LotFactory, MarketFactory, OperationFactory
from tests.organisations.factories import (
    TEST_PASSWORD,
    BuyerFactory,
    CompanyFactory,
    CoordinationFactory,
    FacilitationStructureFactory,
    MembershipFactory,
    UserFactory,
)
from tests.territories.factories import CommuneFactory, DepartmentFactory, EpciFactory, QpvFactory, RegionFactory

NAMES = {
    "a": ("Quenouillard", "Philomène"),
    "b": ("Zabulonski", "Théodorine"),
}
ROLES = (
    "anonymous",
    "fac_a",
    "fac_b",
    "reader_a",
    "buyer_x",
    "buyer_y",
    "coord_27",
    "coord_other",
    "superuser",
    "company_a",
)


def _member(organisation, role, email):
    user = UserFactory(email=email)
    MembershipFactory(user=user, organisation=organisation, role=role)
    return user


def _company_contact(company, lot, inviter, email):
    invitation = invite_contact(company=company, lots=[lot], email=email, invited_by=inviter, last_name="Contact")
    accept_invitation(user=invitation.user, password=TEST_PASSWORD)
    return invitation.accesses[0]


def _tenant(key, *, structure, buyer, company, commune, qpv, validator):
    last_name, first_name = NAMES[key]
    operation = OperationFactory(facilitator=structure, name=f"Opération {key.upper()}")
    market = MarketFactory(
        buyer=buyer, facilitator=structure, operation=operation, execution_commune=commune, reference=f"2025-{key}"
    )
    lot = LotFactory(market=market, number=1, contractor=company)
    clause = ClauseFactory(lot=lot)
    person = BeneficiaryFactory(
        structure=structure,
        last_name=last_name,
        first_name=first_name,
        sex=Sex.FEMALE,
        birth_date=datetime.date(1999, 4, 3),
        address=f"12 rue des Secrets {key.upper()}",
        commune=commune,
        qpv=qpv,
        prescriber_name=f"Agence Confidentielle {key.upper()}",
        notes=f"Observation privée {key.upper()}",
    )
    criteria = {}
    for criterion, evidence in (
        (Criterion.LONG_TERM_JOB_SEEKER, EvidenceType.FRANCE_TRAVAIL_CERTIFICATE),
        (Criterion.RQTH, EvidenceType.MDPH_DECISION),
    ):
        criteria[criterion] = services.add_criterion(
            beneficiary=person,
            criterion=criterion,
            validated_on=datetime.date(2024, 6, 1),
            validated_by=validator,
            evidence_type=evidence,
        )
    placement = services.start_placement(
        beneficiary=person,
        lot=lot,
        employer=company,
        modality=Modality.HIRE_CDD,
        start_date=datetime.date(2025, 1, 1),
        end_date=datetime.date(2025, 12, 31),
    )
    record = services.declare_hours(
        entry=services.HoursEntry(
            placement=placement,
            month=datetime.date(2025, 3, 1),
            hours=Decimal("100"),
            expected_version=services.UNCHECKED,
        ),
        user=validator,
    ).record
    services.validate_hours(records=[record], user=validator, versions=services.UNCHECKED)
    declared = services.declare_hours(
        entry=services.HoursEntry(
            placement=placement,
            month=datetime.date(2025, 4, 1),
            hours=Decimal("60"),
            expected_version=services.UNCHECKED,
        ),
        user=validator,
    ).record
    outcome = OutcomeFactory(placement=placement, observed_on=datetime.date(2026, 1, 5))
    record.refresh_from_db()
    return SimpleNamespace(
        structure=structure,
        operation=operation,
        market=market,
        lot=lot,
        clause=clause,
        person=person,
        criterion=criteria[Criterion.LONG_TERM_JOB_SEEKER],
        rqth=criteria[Criterion.RQTH],
        placement=placement,
        record=record,
        declared=declared,
        outcome=outcome,
        buyer=buyer,
    )


def _proposal(lot, company, contact):
    from companies.proposals import propose

    return propose(
        lot=lot,
        company=company,
        user=contact,
        last_name="Vasquerel",
        first_name="Ombeline",
        birth_date=datetime.date(1991, 7, 14),
        modality=Modality.HIRE_CDD,
        start_date=lot.start_date,
    )


def build_world() -> SimpleNamespace:
    region = RegionFactory()  # 27, Bourgogne-Franche-Comté
    dijon = CommuneFactory()
    besancon = CommuneFactory(
        code="25056",
        name="Besançon",
        department=DepartmentFactory(code="25", name="Doubs", region=region),
        epci=EpciFactory(code="242500361", name="Grand Besançon Métropole"),
    )
    other_region = RegionFactory(code="84", name="Auvergne-Rhône-Alpes")
    qpv = QpvFactory(communes=[dijon])
    structure_a = FacilitationStructureFactory(name="PLIE A", region=region)
    structure_b = FacilitationStructureFactory(name="PLIE B", region=region)
    buyer_x = BuyerFactory(name="Ville X", buyer_type=BuyerType.MUNICIPALITY)
    buyer_y = BuyerFactory(name="Bailleur Y", buyer_type=BuyerType.SOCIAL_LANDLORD)
    company = CompanyFactory(name="BTP Commun")
    coordination = CoordinationFactory(name="Coordination 27", region=region)
    other_coordination = CoordinationFactory(name="Coordination 84", region=other_region)

    users = {
        "fac_a": _member(structure_a, Role.ADMIN, "fac-a@exemple.fr"),
        "fac_b": _member(structure_b, Role.MEMBER, "fac-b@exemple.fr"),
        "reader_a": _member(structure_a, Role.READER, "lecteur-a@exemple.fr"),
        "buyer_x": _member(buyer_x, Role.ADMIN, "acheteur-x@exemple.fr"),
        "buyer_y": _member(buyer_y, Role.ADMIN, "acheteur-y@exemple.fr"),
        "coord_27": _member(coordination, Role.ADMIN, "coord-27@exemple.fr"),
        "coord_other": _member(other_coordination, Role.ADMIN, "coord-84@exemple.fr"),
        "superuser": User.objects.create_superuser(email="super@exemple.fr", password="mot-de-passe-super-2026"),
    }
    a = _tenant(
        "a", structure=structure_a, buyer=buyer_x, company=company, commune=dijon, qpv=qpv, validator=users["fac_a"]
    )
    b = _tenant(
        "b", structure=structure_b, buyer=buyer_y, company=company, commune=besancon, qpv=None, validator=users["fac_b"]
    )
    # Company accounts (issue 15): "BTP Commun" holds both lots and employs both placements; its contact company_a
    # was invited by A for lot A only, another contact by B for lot B (each tenant has an access to revoke).
    a.access = _company_contact(company, a.lot, users["fac_a"], "contact-a@btp-commun.fr")
    users["company_a"] = User.objects.get(pk=a.access.membership.user_id)  # with the password it chose
    b.access = _company_contact(company, b.lot, users["fac_b"], "contact-b@btp-commun.fr")
    for tenant, contact in ((a, users["company_a"]), (b, User.objects.get(pk=b.access.membership.user_id))):
        tenant.proposal = _proposal(tenant.lot, company, contact)  # a new person the company proposes
    tokens = {name: create_token(user=user, name=f"jeton de {name}") for name, user in users.items()}
    return SimpleNamespace(
        region=region,
        other_region=other_region,
        dijon=dijon,
        qpv=qpv,
        company=company,
        coordination=coordination,
        other_coordination=other_coordination,
        buyer_x=buyer_x,
        buyer_y=buyer_y,
        a=a,
        b=b,
        users=users,
        tokens=tokens,
        status=HoursStatus,
    )
