"""Situations and exact French refusals of the stricter input (issue 14, item 4), shared by the web form tests
(tests/beneficiaries/test_strict_forms.py) and the API tests (tests/api/test_strict_input.py). Today is pinned to
26/11/2026 by the tests."""

from datetime import date

from beneficiaries import services
from beneficiaries.choices import Criterion, EvidenceType, Modality, OutcomeStage
from tests.territories.factories import CommuneFactory, QpvFactory

TODAY = date(2026, 11, 26)
YOUTH_LABEL = Criterion.YOUTH_LOW_QUALIFICATION.label
# Born 15/06/2000: 23 on 01/01/2024, 26 on 01/07/2026 and 01/01/2027.
BIRTH = date(2000, 6, 15)


def young_person(world):
    world.person.birth_date = BIRTH
    world.person.save(update_fields=["birth_date"])
    return world.person


def running_placement(world, start=date(2026, 7, 1)):
    return services.start_placement(
        beneficiary=world.person,
        lot=world.lot,
        employer=world.company,
        modality=Modality.HIRE_CDD,
        start_date=start,
        end_date=date(2027, 6, 30),
    )


def youth_criterion(world, validated_on=date(2024, 1, 1)):
    return services.add_criterion(
        beneficiary=world.person,
        criterion=Criterion.YOUTH_LOW_QUALIFICATION,
        validated_on=validated_on,
        validated_by=None,
        evidence_type=EvidenceType.SCHOOL_CERTIFICATE,
    )


def youth_refused_at_start(placement_pk):
    return (
        "Ce critère est réservé aux personnes de moins de 26 ans : cette personne avait 26 ans le 01/07/2026 "
        f"(début du contrat n° {placement_pk})."
    )


PLACEMENT_AT_26 = (
    f"Le critère « {YOUTH_LABEL} » est réservé aux personnes de moins de 26 ans : cette personne aura 26 ans "
    "le 01/01/2027 (début du contrat)."
)
BIRTH_DATE_BREAKS_YOUTH = (
    f"Avec cette date de naissance, le critère « {YOUTH_LABEL} » ne tient plus. Ce critère est réservé aux "
    "personnes de moins de 26 ans : cette personne avait 34 ans le 01/01/2024 (date de validation)."
)
QPV_CRITERION_WITHOUT_QPV = (
    "Ce critère suppose un quartier prioritaire de résidence : indiquez d'abord le QPV dans l'adresse de la personne."
)
QPV_REMOVED = (
    "Cette personne a le critère « Habitant·e d'un quartier prioritaire (QPV) » : indiquez son quartier "
    "prioritaire, ou retirez d'abord ce critère."
)
OUTCOME_IN_FUTURE = "Une sortie ne peut pas être constatée dans le futur (nous sommes le 26/11/2026)."
SIX_MONTHS_BEFORE_AT_END = (
    "La situation « six mois après » ne peut pas être constatée avant la sortie en fin de contrat (05/01/2026)."
)
SIX_MONTHS_BEFORE_END = (
    "La situation « six mois après » ne peut pas être constatée avant la fin du contrat (31/12/2025)."
)
AT_END_BEFORE_START = "Une sortie ne peut pas être constatée avant le début du contrat (01/01/2025)."
END_AFTER_SIX_MONTHS = (
    "La situation « six mois après » est constatée le 01/07/2026 : le contrat ne peut pas finir après."
)


def qpv_resident(world):
    """The world's person living in a QPV of Dijon, with the QPV criterion."""
    commune = CommuneFactory()
    qpv = QpvFactory(communes=[commune])
    world.person.commune, world.person.qpv = commune, qpv
    world.person.save(update_fields=["commune", "qpv"])
    services.add_criterion(
        beneficiary=world.person,
        criterion=Criterion.QPV_RESIDENT,
        validated_on=date(2024, 6, 1),
        validated_by=None,
        evidence_type=EvidenceType.ID_AND_ADDRESS,
    )
    return world.person


def six_month_outcome(world):
    return services.record_outcome(
        placement=world.placement,
        stage=OutcomeStage.AFTER_6_MONTHS,
        result="training",
        observed_on=date(2026, 7, 1),
    )
