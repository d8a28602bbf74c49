from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError

from beneficiaries import services
from beneficiaries.choices import (
    Criterion,
    EvidenceType,
    HoursSource,
    HoursStatus,
    Modality,
    OutcomeResult,
    OutcomeStage,
    Sex,
)
from beneficiaries.models import BeneficiaryCriterion, HoursRecord, Outcome
from beneficiaries.services import HoursBatchError, HoursEntry
from organisations.models import InsertionType
from tests.beneficiaries.factories import BeneficiaryCriterionFactory, BeneficiaryFactory, HoursRecordFactory
from tests.clauses.factories import ClauseFactory
from tests.markets.factories import LotFactory
from tests.organisations.factories import BuyerFactory, CompanyFactory, InsertionStructureFactory, UserFactory
from tests.territories.factories import QpvFactory

pytestmark = pytest.mark.django_db

CONFLICT = (
    "Ce relevé a été modifié par quelqu'un d'autre entre-temps : rechargez la page pour voir la dernière "
    "saisie avant de la corriger."
)


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def clause_lot(**clause_fields):
    """A lot (execution 01/01/2025 – 31/12/2026, contractor a company) carrying a clause."""
    return ClauseFactory(**clause_fields).lot


def place(lot=None, beneficiary=None, employer=None, modality=Modality.HIRE_CDD, **dates):
    lot = lot or clause_lot()
    return services.start_placement(
        beneficiary=beneficiary or BeneficiaryFactory(),
        lot=lot,
        employer=employer or lot.contractor,
        modality=modality,
        start_date=dates.get("start_date", date(2025, 1, 1)),
        end_date=dates.get("end_date", date(2025, 12, 31)),
    )


def refusal(excinfo) -> list[str]:
    return excinfo.value.messages


# start_placement: refusals.


def test_start_placement_refuses_a_lot_without_clause():
    lot = LotFactory()
    with pytest.raises(ValidationError) as excinfo:
        place(lot=lot)
    assert refusal(excinfo) == ["Ce lot ne porte pas de clause sociale : les heures n'y seraient pas comptées."]


def test_start_placement_refuses_an_end_before_the_start():
    with pytest.raises(ValidationError) as excinfo:
        place(start_date=date(2025, 6, 1), end_date=date(2025, 5, 31))
    assert refusal(excinfo) == ["La fin du contrat ne peut pas précéder son début."]


def test_start_placement_accepts_a_one_day_placement():
    placement = place(start_date=date(2025, 6, 1), end_date=date(2025, 6, 1))
    assert placement.pk


def test_start_placement_refuses_an_employer_that_is_neither_company_nor_insertion_structure():
    with pytest.raises(ValidationError) as excinfo:
        place(employer=BuyerFactory())
    assert refusal(excinfo) == ["L'employeur doit être une entreprise ou une structure d'insertion."]


def test_start_placement_refuses_a_modality_the_clause_does_not_allow():
    lot = clause_lot(allowed_modalities=[Modality.HIRE_CDI, Modality.HIRE_APPRENTICESHIP])
    with pytest.raises(ValidationError) as excinfo:
        place(lot=lot, modality=Modality.HIRE_CDD)
    assert refusal(excinfo) == [
        "La modalité « Embauche directe en CDD » n'est pas admise par la clause de ce lot "
        "(modalités admises : Embauche directe en CDI, Contrat d'apprentissage)."
    ]
    assert place(lot=lot, modality=Modality.HIRE_CDI).modality == Modality.HIRE_CDI


def test_start_placement_requires_an_eligible_criterion_validated_by_the_start():
    lot = clause_lot(eligible_criteria=[Criterion.RSA, Criterion.RQTH])
    person = BeneficiaryFactory()
    BeneficiaryCriterionFactory(beneficiary=person, criterion=Criterion.LONG_TERM_JOB_SEEKER)
    BeneficiaryCriterionFactory(beneficiary=person, criterion=Criterion.RSA, validated_on=date(2025, 3, 2))
    expected = [
        "Cette personne ne remplit, au 01/03/2025, aucun des critères d'éligibilité de la clause "
        "(publics éligibles : Allocataire du RSA, "
        "Reconnaissance de la qualité de travailleur handicapé (RQTH))."
    ]
    with pytest.raises(ValidationError) as excinfo:
        place(lot=lot, beneficiary=person, start_date=date(2025, 3, 1))
    assert refusal(excinfo) == expected
    # Validated on the start day: eligible.
    placement = place(lot=lot, beneficiary=person, start_date=date(2025, 3, 2))
    assert placement.is_rsa is True


def test_start_placement_refuses_a_clause_reserved_to_qpv_residents_for_someone_outside():
    lot = clause_lot(reserved_to_qpv_residents=True)
    with pytest.raises(ValidationError) as excinfo:
        place(lot=lot)
    assert refusal(excinfo) == ["Cette clause est réservée aux habitant·es d'un quartier prioritaire (QPV)."]
    assert place(lot=lot, beneficiary=BeneficiaryFactory(qpv=QpvFactory())).is_qpv_resident is True


@pytest.mark.parametrize(
    ("modality", "wrong_type", "right_type", "expected"),
    [
        (
            Modality.AI_PROVISION,
            InsertionType.ETTI,
            InsertionType.AI,
            "La modalité « Mise à disposition par une AI » suppose un employeur de type "
            "Association intermédiaire (AI).",
        ),
        (
            Modality.ETTI_MISSION,
            InsertionType.AI,
            InsertionType.ETTI,
            "La modalité « Mission d'intérim via une ETTI » suppose un employeur de type "
            "Entreprise de travail temporaire d'insertion (ETTI).",
        ),
        (
            Modality.GEIQ_PROVISION,
            InsertionType.EI,
            InsertionType.GEIQ,
            "La modalité « Mise à disposition par un GEIQ » suppose un employeur de type "
            "Groupement d'employeurs pour l'insertion et la qualification (GEIQ).",
        ),
        (
            Modality.EA_ESAT_SUBCONTRACT,
            InsertionType.ACI,
            InsertionType.ESAT,
            "La modalité « Sous-traitance ou cotraitance avec une EA ou un ESAT » suppose un employeur de type "
            "Entreprise adaptée (EA) ou Établissement et service d'aide par le travail (ESAT).",
        ),
        (
            Modality.SIAE_SUBCONTRACT,
            InsertionType.GEIQ,
            InsertionType.ACI,
            "La modalité « Sous-traitance ou cotraitance avec une SIAE » suppose un employeur de type "
            "Entreprise d'insertion (EI) ou Entreprise de travail temporaire d'insertion (ETTI) "
            "ou Association intermédiaire (AI) ou Atelier et chantier d'insertion (ACI).",
        ),
    ],
)
def test_start_placement_requires_the_insertion_structure_the_modality_implies(
    modality, wrong_type, right_type, expected
):
    lot = clause_lot()
    for employer in (InsertionStructureFactory(insertion_type=wrong_type), CompanyFactory()):
        with pytest.raises(ValidationError) as excinfo:
            place(lot=lot, employer=employer, modality=modality)
        assert refusal(excinfo) == [expected]
    placement = place(lot=lot, employer=InsertionStructureFactory(insertion_type=right_type), modality=modality)
    assert placement.modality == modality


def test_start_placement_reports_every_refusal_at_once():
    lot = clause_lot(allowed_modalities=[Modality.HIRE_CDI])
    with pytest.raises(ValidationError) as excinfo:
        place(lot=lot, start_date=date(2025, 6, 1), end_date=date(2025, 1, 1), modality=Modality.AI_PROVISION)
    assert len(refusal(excinfo)) == 3


# Publics frozen at the start.


def test_start_placement_freezes_the_publics_at_the_start_date():
    qpv = QpvFactory()
    person = BeneficiaryFactory(sex=Sex.FEMALE, birth_date=date(1999, 3, 2), qpv=qpv)
    BeneficiaryCriterionFactory(beneficiary=person, criterion=Criterion.RQTH, validated_on=date(2025, 3, 1))
    BeneficiaryCriterionFactory(beneficiary=person, criterion=Criterion.RSA, validated_on=date(2025, 3, 2))
    BeneficiaryCriterionFactory(beneficiary=person, criterion=Criterion.VERY_LONG_TERM_JOB_SEEKER)
    placement = place(beneficiary=person, start_date=date(2025, 3, 1))
    placement.refresh_from_db()
    assert placement.age_at_start == 25
    assert placement.is_woman is True
    assert placement.is_youth is True
    assert placement.is_senior is False
    assert placement.is_qpv_resident is True
    assert placement.qpv_at_start == qpv
    assert placement.is_rqth is True
    assert placement.is_rsa is False  # validated the day after the start
    assert placement.is_long_term_job_seeker is True


def test_senior_at_the_start():
    placement = place(beneficiary=BeneficiaryFactory(birth_date=date(1975, 1, 1)), start_date=date(2025, 1, 1))
    assert (placement.age_at_start, placement.is_senior, placement.is_youth) == (50, True, False)


def test_frozen_publics_survive_a_move_a_birthday_and_a_new_criterion():
    qpv = QpvFactory()
    person = BeneficiaryFactory(birth_date=date(1999, 6, 1), qpv=qpv)
    placement = place(beneficiary=person, start_date=date(2025, 1, 1), end_date=date(2025, 6, 30))
    # Later: the person moves out of the QPV, turns 26, gets RSA; the placement is extended.
    person.qpv = None
    person.save()
    services.add_criterion(
        beneficiary=person,
        criterion=Criterion.RSA,
        validated_on=date(2025, 7, 1),
        validated_by=UserFactory(),
        evidence_type=EvidenceType.CAF_CERTIFICATE,
    )
    placement = services.update_placement(placement=placement, end_date=date(2025, 12, 31), job_title="Maçon")
    placement.refresh_from_db()
    assert placement.end_date == date(2025, 12, 31)
    assert placement.job_title == "Maçon"
    assert (placement.is_qpv_resident, placement.is_youth, placement.is_rsa) == (True, True, False)
    assert placement.qpv_at_start == qpv
    assert placement.age_at_start == 25


def test_update_placement_refreezes_publics_when_the_start_date_changes():
    person = BeneficiaryFactory(birth_date=date(1999, 6, 1))
    BeneficiaryCriterionFactory(beneficiary=person, criterion=Criterion.RSA, validated_on=date(2025, 5, 1))
    placement = place(beneficiary=person, start_date=date(2025, 1, 1))
    assert (placement.is_youth, placement.is_rsa) == (True, False)
    placement = services.update_placement(placement=placement, start_date=date(2025, 6, 1))
    placement.refresh_from_db()
    assert (placement.age_at_start, placement.is_youth, placement.is_rsa) == (26, False, True)


def test_update_placement_refreezes_publics_when_the_person_changes():
    placement = place(beneficiary=BeneficiaryFactory(sex=Sex.MALE))
    woman = BeneficiaryFactory(
        sex=Sex.FEMALE, birth_date=date(1970, 1, 1), structure=placement.beneficiary.structure
    )  # a person of the same structure (services.check_person_change)
    placement = services.update_placement(placement=placement, beneficiary=woman)
    placement.refresh_from_db()
    assert placement.beneficiary == woman
    assert (placement.is_woman, placement.is_senior) == (True, True)


def test_update_placement_applies_the_clause_rules():
    placement = place()
    with pytest.raises(ValidationError) as excinfo:
        services.update_placement(placement=placement, end_date=date(2024, 12, 31))
    assert refusal(excinfo) == ["La fin du contrat ne peut pas précéder son début."]
    with pytest.raises(ValidationError) as excinfo:
        services.update_placement(placement=placement, modality=Modality.AI_PROVISION)
    assert len(refusal(excinfo)) == 1
    with pytest.raises(TypeError):
        services.update_placement(placement=placement, is_youth=True)


def test_update_placement_refuses_to_leave_declared_hours_outside_the_period():
    placement = place()
    HoursRecordFactory(placement=placement, month=date(2025, 11, 1))
    with pytest.raises(ValidationError) as excinfo:
        services.update_placement(placement=placement, end_date=date(2025, 10, 31))
    assert refusal(excinfo) == ["Des heures sont déjà déclarées hors de la nouvelle période du contrat (11/2025)."]
    # Shortening to a date inside the month of the last record is fine.
    assert services.update_placement(placement=placement, end_date=date(2025, 11, 15)).end_date == date(2025, 11, 15)


# Outcomes and criteria.


def test_record_outcome_creates_then_updates_one_row_per_stage():
    placement = place()
    first = services.record_outcome(
        placement=placement, stage=OutcomeStage.AT_END, result=OutcomeResult.JOB_SEEKING, observed_on=date(2026, 1, 5)
    )
    second = services.record_outcome(
        placement=placement,
        stage=OutcomeStage.AT_END,
        result=OutcomeResult.DURABLE_CDI,
        observed_on=date(2026, 1, 10),
        notes="Embauché·e",
    )
    assert first.pk == second.pk
    assert Outcome.objects.get().result == OutcomeResult.DURABLE_CDI
    services.record_outcome(
        placement=placement,
        stage=OutcomeStage.AFTER_6_MONTHS,
        result=OutcomeResult.DURABLE_CDI,
        observed_on=date(2026, 7, 1),
    )
    assert Outcome.objects.count() == 2


def test_record_outcome_refuses_a_date_before_the_start():
    placement = place()
    with pytest.raises(ValidationError) as excinfo:
        services.record_outcome(
            placement=placement, stage=OutcomeStage.AT_END, result=OutcomeResult.UNKNOWN, observed_on=date(2024, 12, 1)
        )
    assert refusal(excinfo) == ["Une sortie ne peut pas être constatée avant le début du contrat (01/01/2025)."]


def criterion(person, code=Criterion.RSA, **overrides):
    values = {
        "beneficiary": person,
        "criterion": code,
        "validated_on": date(2025, 1, 1),
        "validated_by": None,
        "evidence_type": EvidenceType.CAF_CERTIFICATE,
    }
    values.update(overrides)
    return services.add_criterion(**values)


def test_add_criterion_records_who_validated_it():
    user = UserFactory()
    person = BeneficiaryFactory()
    row = criterion(person, validated_by=user)
    assert (row.criterion, row.validated_by, row.validated_on) == (Criterion.RSA, user, date(2025, 1, 1))


def test_add_criterion_refuses_a_duplicate():
    person = BeneficiaryFactory()
    criterion(person)
    with pytest.raises(ValidationError) as excinfo:
        criterion(person, validated_on=date(2025, 2, 1))
    assert refusal(excinfo) == ["Ce critère est déjà enregistré pour cette personne."]
    assert BeneficiaryCriterion.objects.count() == 1


def test_add_criterion_requires_a_reason_for_a_derogation():
    person = BeneficiaryFactory()
    with pytest.raises(ValidationError) as excinfo:
        criterion(person, Criterion.DEROGATION, evidence_type=EvidenceType.PRESCRIBER_OPINION, derogation_reason="  ")
    assert refusal(excinfo) == ["Une dérogation doit être motivée."]
    row = criterion(
        person,
        Criterion.DEROGATION,
        evidence_type=EvidenceType.PRESCRIBER_OPINION,
        derogation_reason="Avis motivé de la Mission locale",
    )
    assert row.derogation_reason == "Avis motivé de la Mission locale"


def test_add_criterion_refuses_a_future_date():
    with pytest.raises(ValidationError) as excinfo:
        criterion(BeneficiaryFactory(), validated_on=date(2999, 1, 1))
    assert refusal(excinfo) == ["La date de validation ne peut pas être dans le futur."]


# declare_hours.


def declare(placement, month=date(2025, 3, 1), hours="100", user=None, **fields):
    fields.setdefault("expected_version", services.UNCHECKED)
    entry = HoursEntry(placement=placement, month=month, hours=Decimal(hours), **fields)
    return services.declare_hours(entry=entry, user=user or UserFactory())


def test_declare_hours_creates_a_declared_record_on_the_first_day_of_the_month():
    placement = place()
    user = UserFactory()
    result = declare(placement, month=date(2025, 3, 17), hours="120.5", user=user)
    assert (result.created, result.changed, result.warnings) == (True, True, ())
    record = HoursRecord.objects.get()
    assert record.month == date(2025, 3, 1)
    assert record.hours == Decimal("120.5")
    assert record.status == HoursStatus.DECLARED
    assert record.declared_by == user
    assert record.source == HoursSource.GRID
    assert record.version == 1
    assert record.is_converted is False


def test_declare_hours_refuses_a_month_outside_the_placement():
    placement = place(start_date=date(2025, 2, 10), end_date=date(2025, 6, 5))
    assert declare(placement, month=date(2025, 2, 1)).created  # first and last months, even partial, are open
    assert declare(placement, month=date(2025, 6, 1)).created
    with pytest.raises(ValidationError) as excinfo:
        declare(placement, month=date(2025, 7, 1))
    assert refusal(excinfo) == ["Le mois 07/2025 est hors de la période du contrat (du 10/02/2025 au 05/06/2025)."]


def test_declare_hours_refuses_a_month_outside_the_lot_execution_unless_the_clause_counts_it():
    lot = clause_lot()
    placement = place(lot=lot, start_date=date(2024, 11, 1), end_date=date(2025, 12, 31))
    with pytest.raises(ValidationError) as excinfo:
        declare(placement, month=date(2024, 12, 1))
    assert refusal(excinfo) == [
        "Le mois 12/2024 est hors de la période d'exécution du lot (du 01/01/2025 au 31/12/2026) : "
        "la clause ne compte pas les heures hors période."
    ]
    lot.clause.counts_outside_period = True
    lot.clause.save()
    placement.lot.refresh_from_db()
    assert declare(placement, month=date(2024, 12, 1)).created


def test_declare_hours_refuses_a_lot_whose_clause_was_removed():
    placement = place()
    placement.lot.clause.delete()
    placement.lot.refresh_from_db()
    with pytest.raises(ValidationError) as excinfo:
        declare(placement)
    assert refusal(excinfo) == ["Ce lot ne porte pas de clause sociale : les heures n'y seraient pas comptées."]


def test_declare_hours_refuses_negative_hours():
    placement = place()
    with pytest.raises(ValidationError) as excinfo:
        declare(placement, hours="-1")
    assert refusal(excinfo) == ["Les heures ne peuvent pas être négatives."]
    with pytest.raises(ValidationError) as excinfo:
        declare(placement, training_hours=Decimal("-0.5"))
    assert refusal(excinfo) == ["Les heures de formation ne peuvent pas être négatives."]
    with pytest.raises(ValidationError) as excinfo:
        declare(placement, hours="10.125")
    assert refusal(excinfo) == ["Les heures se saisissent avec au plus deux décimales."]
    assert not HoursRecord.objects.exists()


def test_declare_hours_refuses_more_than_220_hours_a_month():
    placement = place()
    with pytest.raises(ValidationError) as excinfo:
        declare(placement, hours="300")
    assert refusal(excinfo) == ["300 h dépasse le maximum légal de 220 h par mois pour un contrat."]
    with pytest.raises(ValidationError) as excinfo:
        declare(placement, hours="200", training_hours=Decimal("20.5"))
    assert refusal(excinfo) == [
        "220,5 h (dont 20,5 h de formation) dépasse le maximum légal de 220 h par mois pour un contrat."
    ]
    assert not HoursRecord.objects.exists()


def test_declare_hours_accepts_220_hours_with_a_full_time_warning():
    placement = place()
    result = declare(placement, hours="220")
    assert result.warnings == ("220 h dépasse un temps plein (151,67 h par mois) : vérifiez ce relevé.",)
    assert declare(placement, month=date(2025, 4, 1), hours="151.67").warnings == ()
    assert declare(placement, month=date(2025, 5, 1), hours="151.68").warnings == (
        "151,68 h dépasse un temps plein (151,67 h par mois) : vérifiez ce relevé.",
    )


def test_training_hours_are_stored_and_warned_when_the_clause_does_not_count_them():
    placement = place()
    result = declare(placement, hours="100", training_hours=Decimal("14"))
    assert result.record.training_hours == Decimal("14")
    assert result.warnings == (
        "Les heures de formation sont enregistrées mais ne comptent pas pour la clause de ce lot.",
    )
    counted = place(lot=clause_lot(counts_training_hours=True))
    assert declare(counted, hours="100", training_hours=Decimal("14")).warnings == ()


def test_siae_subcontract_declared_as_an_amount_is_converted():
    lot = clause_lot(labour_share=Decimal("0.6"), hourly_cost=Decimal("25"))
    placement = place(
        lot=lot, employer=InsertionStructureFactory(insertion_type=InsertionType.EI), modality=Modality.SIAE_SUBCONTRACT
    )
    result = declare(placement, hours="0", invoiced_amount_excl_vat=Decimal("5000"))
    record = HoursRecord.objects.get()
    # 5,000 € × 0.6 ÷ 25 €/h = 120 h.
    assert record.hours == Decimal("120.00")
    assert record.is_converted is True
    assert record.invoiced_amount_excl_vat == Decimal("5000")
    assert result.record == record
    # An amount worth more than 220 h is refused with the converted figure.
    with pytest.raises(ValidationError) as excinfo:
        declare(placement, month=date(2025, 4, 1), hours="0", invoiced_amount_excl_vat=Decimal("10000"))
    assert refusal(excinfo) == [
        "10\u00a0000 € facturés, soit 240 h : 240 h dépasse le maximum légal de 220 h par mois pour un contrat."
    ]


def test_an_amount_is_refused_for_other_modalities():
    with pytest.raises(ValidationError) as excinfo:
        declare(place(), invoiced_amount_excl_vat=Decimal("5000"))
    assert refusal(excinfo) == [
        "Un montant facturé ne se déclare que pour une sous-traitance ou cotraitance avec une SIAE."
    ]


def test_redeclaring_updates_the_record_and_sends_it_back_to_review():
    placement = place()
    first = declare(placement).record
    services.validate_hours(records=[first], user=UserFactory(), versions=services.UNCHECKED)
    first.refresh_from_db()
    assert (first.status, first.version) == (HoursStatus.VALIDATED, 2)
    other_user = UserFactory()
    result = declare(placement, hours="110", user=other_user)
    assert (result.created, result.changed) == (False, True)
    record = HoursRecord.objects.get()
    assert record.pk == first.pk
    assert record.hours == Decimal("110")
    assert record.status == HoursStatus.DECLARED
    assert record.version == 3
    assert record.reviewed_by is None
    assert record.reviewed_at is None
    assert record.declared_by == other_user


def test_redeclaring_identical_values_writes_nothing():
    placement = place()
    first = declare(placement, hours="100", training_hours=Decimal("5")).record
    services.validate_hours(records=[first], user=UserFactory(), versions=services.UNCHECKED)
    first.refresh_from_db()
    result = declare(placement, hours="100.00", training_hours=Decimal("5.0"))
    assert (result.created, result.changed) == (False, False)
    record = HoursRecord.objects.get()
    assert record.status == HoursStatus.VALIDATED  # still validated: nothing changed
    assert record.version == first.version
    assert record.declared_at == first.declared_at


def test_optimistic_lock_refuses_a_stale_version():
    placement = place()
    declare(placement, hours="100")  # version 1, seen by two people
    declare(placement, hours="110", expected_version=1)  # the first one saves: version 2
    with pytest.raises(ValidationError) as excinfo:
        declare(placement, hours="120", expected_version=1)  # the second one saw version 1
    assert refusal(excinfo) == [CONFLICT]
    record = HoursRecord.objects.get()
    assert (record.hours, record.version) == (Decimal("110"), 2)
    assert declare(placement, hours="120", expected_version=2).changed


def test_optimistic_lock_with_version_zero_means_the_user_saw_no_record():
    placement = place()
    assert declare(placement, expected_version=0).created
    with pytest.raises(ValidationError) as excinfo:
        declare(placement, hours="50", expected_version=0)
    assert refusal(excinfo) == [CONFLICT]


def test_a_concurrent_insert_is_translated_into_a_french_refusal(monkeypatch):
    placement = place()

    def create(*args, **kwargs):
        raise IntegrityError("UNIQUE constraint failed: hours_unique_placement_month")

    monkeypatch.setattr(HoursRecord.objects, "bulk_create", create)
    with pytest.raises(ValidationError) as excinfo:
        declare(placement)
    assert refusal(excinfo) == [CONFLICT]


def test_check_hours_entry_writes_nothing():
    placement = place()
    entry = HoursEntry(
        placement=placement, month=date(2025, 3, 1), hours=Decimal("300"), expected_version=services.UNCHECKED
    )
    assert services.check_hours_entry(entry) == ["300 h dépasse le maximum légal de 220 h par mois pour un contrat."]
    assert (
        services.check_hours_entry(
            HoursEntry(
                placement=placement, month=date(2025, 3, 1), hours=Decimal("1"), expected_version=services.UNCHECKED
            )
        )
        == []
    )
    assert not HoursRecord.objects.exists()


# AI cap: 480 h over 24 months, same person, same AI, same company.


def ai_setup():
    ai = InsertionStructureFactory(insertion_type=InsertionType.AI)
    company = CompanyFactory()
    person = BeneficiaryFactory()

    def ai_placement(company=company, person=person, employer=ai):
        lot = LotFactory(contractor=company, start_date=date(2023, 1, 1), end_date=date(2027, 12, 31))
        ClauseFactory(lot=lot)
        return place(
            lot=lot,
            beneficiary=person,
            employer=employer,
            modality=Modality.AI_PROVISION,
            start_date=date(2023, 1, 1),
            end_date=date(2027, 12, 31),
        )

    return ai_placement


def fill(placement, first: date, count: int, hours: str):
    from beneficiaries.calculations import add_months

    for index in range(count):
        HoursRecordFactory(placement=placement, month=add_months(first, index), hours=Decimal(hours))


AI_CAP_MESSAGE = (
    "Plafond de mise à disposition par une association intermédiaire dépassé de {} h : au plus 480 h sur 24 mois "
    "pour une même personne auprès d'une même entreprise."
)


def test_ai_cap_exactly_480_hours_is_accepted_and_480_5_refused():
    ai_placement = ai_setup()
    placement = ai_placement()
    fill(placement, date(2024, 1, 1), 23, "20")  # 460 h from 01/2024 to 11/2025
    with pytest.raises(ValidationError) as excinfo:
        declare(placement, month=date(2025, 12, 1), hours="20.5")
    assert refusal(excinfo) == [AI_CAP_MESSAGE.format("0,5")]
    assert declare(placement, month=date(2025, 12, 1), hours="20").created


def test_ai_cap_spans_the_placements_of_the_same_person_ai_and_company():
    ai_placement = ai_setup()
    first, second = ai_placement(), ai_placement()
    fill(first, date(2024, 1, 1), 12, "20")  # 240 h
    fill(second, date(2025, 1, 1), 11, "20")  # 220 h
    # Same month on another placement of the same provision counts too.
    HoursRecordFactory(placement=first, month=date(2025, 12, 1), hours=Decimal("15"))
    with pytest.raises(ValidationError) as excinfo:
        declare(second, month=date(2025, 12, 1), hours="10")
    assert refusal(excinfo) == [AI_CAP_MESSAGE.format("5")]
    assert declare(second, month=date(2025, 12, 1), hours="5").created


def test_ai_cap_ignores_other_companies_other_ais_rejected_and_old_hours():
    ai_placement = ai_setup()
    placement = ai_placement()
    fill(ai_placement(company=CompanyFactory()), date(2024, 1, 1), 23, "20")  # another company
    fill(ai_placement(employer=InsertionStructureFactory(insertion_type=InsertionType.AI)), date(2024, 1, 1), 23, "20")
    fill(placement, date(2023, 1, 1), 12, "20")  # 240 h in 2023: out of the window ending 12/2025
    HoursRecordFactory(
        placement=placement,
        month=date(2024, 6, 1),
        hours=Decimal("200"),
        status=HoursStatus.REJECTED,
        rejection_reason="Doublon",
    )
    fill(placement, date(2024, 1, 1), 5, "40")  # 200 h in 2024
    assert declare(placement, month=date(2025, 12, 1), hours="220").created  # 200 + 220 = 420 in window


def test_ai_cap_when_correcting_a_month_counts_the_new_value_only():
    ai_placement = ai_setup()
    placement = ai_placement()
    fill(placement, date(2024, 1, 1), 24, "20")  # 480 h, 12/2025 included
    assert declare(placement, month=date(2025, 12, 1), hours="15").changed
    with pytest.raises(ValidationError) as excinfo:
        declare(placement, month=date(2025, 12, 1), hours="21")
    assert refusal(excinfo) == [AI_CAP_MESSAGE.format("1")]


# declare_month: all or nothing.


def test_declare_month_is_all_or_nothing_with_the_row_index():
    one, two, three = place(), place(), place()
    entries = [
        HoursEntry(placement=one, month=date(2025, 3, 1), hours=Decimal("100"), expected_version=services.UNCHECKED),
        HoursEntry(placement=two, month=date(2025, 3, 1), hours=Decimal("300"), expected_version=services.UNCHECKED),
        HoursEntry(placement=three, month=date(2025, 3, 1), hours=Decimal("-2"), expected_version=services.UNCHECKED),
    ]
    with pytest.raises(HoursBatchError) as excinfo:
        services.declare_month(entries=entries, user=UserFactory())
    assert excinfo.value.row_errors == {
        1: ["300 h dépasse le maximum légal de 220 h par mois pour un contrat."],
        2: ["Les heures ne peuvent pas être négatives."],
    }
    assert excinfo.value.messages == [
        "Ligne 2 : 300 h dépasse le maximum légal de 220 h par mois pour un contrat.",
        "Ligne 3 : Les heures ne peuvent pas être négatives.",
    ]
    assert isinstance(excinfo.value, ValidationError)
    assert not HoursRecord.objects.exists()


def test_declare_month_writes_every_row_then_is_idempotent():
    one, two = place(), place()
    user = UserFactory()
    entries = [
        HoursEntry(placement=one, month=date(2025, 3, 1), hours=Decimal("100"), expected_version=services.UNCHECKED),
        HoursEntry(placement=two, month=date(2025, 3, 1), hours=Decimal("160"), expected_version=services.UNCHECKED),
    ]
    results = services.declare_month(entries=entries, user=user, source=HoursSource.IMPORT)
    assert [result.created for result in results] == [True, True]
    assert results[1].warnings == ("160 h dépasse un temps plein (151,67 h par mois) : vérifiez ce relevé.",)
    assert set(HoursRecord.objects.values_list("source", flat=True)) == {HoursSource.IMPORT}
    again = services.declare_month(entries=entries, user=user, source=HoursSource.IMPORT)
    assert [(result.created, result.changed) for result in again] == [(False, False), (False, False)]
    assert HoursRecord.objects.count() == 2
    assert set(HoursRecord.objects.values_list("version", flat=True)) == {1}


def test_declare_month_refuses_the_same_placement_and_month_twice():
    placement = place()
    entries = [
        HoursEntry(
            placement=placement, month=date(2025, 3, 1), hours=Decimal("10"), expected_version=services.UNCHECKED
        ),
        HoursEntry(
            placement=placement, month=date(2025, 3, 20), hours=Decimal("20"), expected_version=services.UNCHECKED
        ),
    ]
    with pytest.raises(HoursBatchError) as excinfo:
        services.declare_month(entries=entries, user=UserFactory())
    assert excinfo.value.row_errors == {1: ["Ce contrat et ce mois (03/2025) figurent déjà à la ligne 1."]}


def test_declare_month_counts_the_other_rows_of_the_batch_against_the_ai_cap():
    ai_placement = ai_setup()
    first, second = ai_placement(), ai_placement()
    fill(first, date(2024, 1, 1), 22, "20")  # 440 h up to 10/2025
    ok = [
        HoursEntry(placement=first, month=date(2025, 11, 1), hours=Decimal("20"), expected_version=services.UNCHECKED),
        HoursEntry(placement=second, month=date(2025, 12, 1), hours=Decimal("21"), expected_version=services.UNCHECKED),
    ]
    # Each row alone fits (460 h, 461 h), together they reach 481 h.
    assert services.check_hours_entry(ok[0]) == []
    assert services.check_hours_entry(ok[1]) == []
    with pytest.raises(HoursBatchError) as excinfo:
        services.declare_month(entries=ok, user=UserFactory())
    assert excinfo.value.row_errors == {0: [AI_CAP_MESSAGE.format("1")], 1: [AI_CAP_MESSAGE.format("1")]}
    assert HoursRecord.objects.count() == 22
    ok[1] = HoursEntry(
        placement=second, month=date(2025, 12, 1), hours=Decimal("20"), expected_version=services.UNCHECKED
    )
    assert len(services.declare_month(entries=ok, user=UserFactory())) == 2


def test_declare_month_reports_an_optimistic_lock_conflict_on_its_row():
    placement = place()
    declare(placement, hours="100")
    declare(placement, hours="110")
    entries = [
        HoursEntry(placement=place(), month=date(2025, 3, 1), hours=Decimal("10"), expected_version=0),
        HoursEntry(placement=placement, month=date(2025, 3, 1), hours=Decimal("120"), expected_version=1),
    ]
    with pytest.raises(HoursBatchError) as excinfo:
        services.declare_month(entries=entries, user=UserFactory())
    assert excinfo.value.row_errors == {1: [CONFLICT]}
    assert HoursRecord.objects.count() == 1


def test_declare_month_with_no_rows():
    assert services.declare_month(entries=[], user=UserFactory()) == []


# Review.


def test_validate_hours_validates_declared_and_rejected_records():
    placement = place()
    declared = HoursRecordFactory(placement=placement, month=date(2025, 1, 1), status=HoursStatus.DECLARED)
    rejected = HoursRecordFactory(
        placement=placement, month=date(2025, 2, 1), status=HoursStatus.REJECTED, rejection_reason="Illisible"
    )
    validated = HoursRecordFactory(placement=placement, month=date(2025, 3, 1), status=HoursStatus.VALIDATED)
    reviewer = UserFactory()
    count = services.validate_hours(records=[declared, rejected, validated], user=reviewer, versions=services.UNCHECKED)
    assert count == 2
    for record in (declared, rejected):
        record.refresh_from_db()
        assert record.status == HoursStatus.VALIDATED
        assert record.reviewed_by == reviewer
        assert record.reviewed_at is not None
        assert record.rejection_reason == ""
        assert record.version == 2
    validated.refresh_from_db()
    assert (validated.reviewed_by, validated.version) == (None, 1)


def test_reject_hours_requires_a_reason_and_only_rejects_declared_records():
    placement = place()
    declared = HoursRecordFactory(placement=placement, month=date(2025, 1, 1), status=HoursStatus.DECLARED)
    validated = HoursRecordFactory(placement=placement, month=date(2025, 2, 1), status=HoursStatus.VALIDATED)
    reviewer = UserFactory()
    with pytest.raises(ValidationError) as excinfo:
        services.reject_hours(records=[declared], user=reviewer, reason="   ", versions=services.UNCHECKED)
    assert refusal(excinfo) == ["Indiquez le motif du rejet."]
    declared.refresh_from_db()
    assert declared.status == HoursStatus.DECLARED
    count = services.reject_hours(
        records=HoursRecord.objects.filter(placement=placement),
        user=reviewer,
        reason=" Heures en double ",
        versions=services.UNCHECKED,
    )
    assert count == 1
    declared.refresh_from_db()
    validated.refresh_from_db()
    assert (declared.status, declared.rejection_reason, declared.reviewed_by) == (
        HoursStatus.REJECTED,
        "Heures en double",
        reviewer,
    )
    assert validated.status == HoursStatus.VALIDATED


def test_a_rejected_record_corrected_by_the_declarant_goes_back_to_declared():
    placement = place()
    record = declare(placement).record
    services.reject_hours(records=[record], user=UserFactory(), reason="Trop d'heures", versions=services.UNCHECKED)
    result = declare(placement, hours="90")
    result.record.refresh_from_db()
    assert (result.record.status, result.record.rejection_reason) == (HoursStatus.DECLARED, "")


def test_missing_hours_are_refused_and_missing_training_means_zero():
    placement = place()
    entry = HoursEntry(placement=placement, month=date(2025, 3, 1), hours=None, expected_version=services.UNCHECKED)
    assert services.check_hours_entry(entry) == ["Indiquez le nombre d'heures."]
    result = services.declare_hours(
        entry=HoursEntry(
            placement=placement,
            month=date(2025, 3, 1),
            hours=Decimal("7"),
            training_hours=None,
            expected_version=services.UNCHECKED,
        ),
        user=None,
    )
    assert result.record.training_hours == 0
