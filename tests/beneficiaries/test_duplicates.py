"""People duplicates (issue 20, point 2): the detection rules and the merge (beneficiaries.duplicates)."""

import datetime

import pytest
from django.core.exceptions import ValidationError

from audit.models import AccessLog, HoursChange
from beneficiaries import services
from beneficiaries.choices import Criterion, EvidenceType, Sex
from beneficiaries.duplicates import (
    MERGE_OTHER_STRUCTURE,
    MERGE_SAME_PERSON,
    DuplicateFinder,
    DuplicateRule,
    edit_distance,
    fold,
    likely_duplicates,
    match_rule,
    merge_people,
)
from beneficiaries.models import Beneficiary, BeneficiaryCriterion, HoursRecord, Outcome, Placement
from markets.models import Market
from reporting import queries
from reporting.models import PlacementYear
from tests.audit.world import build_world
from tests.beneficiaries.factories import BeneficiaryFactory

BORN = datetime.date(1988, 2, 29)


# Detection rules (pure) -------------------------------------------------------------------------------------------


def test_fold_removes_accents_case_hyphens_and_ligatures():
    assert fold("  Lefèvre-Dupré ") == "lefevre dupre"
    assert fold("LEFEVRE  DUPRE") == "lefevre dupre"
    assert fold("Cœur d’Alène") == "coeur d alene"


def test_edit_distance_counts_swaps_as_one_edit():
    assert edit_distance("martin", "martin") == 0
    assert edit_distance("martin", "matrin") == 1  # two neighbouring letters swapped
    assert edit_distance("martin", "martine") == 1
    assert edit_distance("martin", "morton", limit=5) == 2


@pytest.mark.parametrize(
    ("typed", "stored", "rule"),
    [
        (("Lefèvre-Dupré", "Zoé", BORN), ("LEFEVRE DUPRE", "zoe", BORN), DuplicateRule.SAME_IDENTITY),
        (("Martin", "Paul", BORN), ("Paul", "Martin", BORN), DuplicateRule.SWAPPED_NAMES),
        (("Martin", "Paul", BORN), ("Matrin", "Paul", BORN), DuplicateRule.CLOSE_SPELLING),
        (("Martin", "Paul", BORN), ("Martine", "Paul", BORN), DuplicateRule.CLOSE_SPELLING),
        (("Bensalah", "Mohammed", BORN), ("Ben Salah", "Mohamed", BORN), DuplicateRule.CLOSE_SPELLING),
        (("Paul", "Martinn", BORN), ("Martin", "Paul", BORN), DuplicateRule.CLOSE_SPELLING),  # swapped and a typo
        (("Martin", "Paul", None), ("Martin", "Paul", BORN), DuplicateRule.BIRTH_DATE_MISSING),
        (("Martin", "Paul", BORN), ("MARTIN", "Paul", None), DuplicateRule.BIRTH_DATE_MISSING),
    ],
)
def test_match_rule_positive_cases(typed, stored, rule):
    assert match_rule(*typed, *stored) == rule


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        (("Martin", "Paul", BORN), ("Martin", "Paul", datetime.date(1988, 3, 1))),  # homonyms born another day
        (("Martin", "Paul", BORN), ("Martin", "Pauline", BORN)),  # 3 edits on a short name
        (("Martin", "Paul", BORN), ("Morton", "Paul", BORN)),  # 2 edits on 10 letters: 1 tolerated
        (("Martin", "Paul", None), ("Martin", "Pierre", None)),  # no date: only the same names count
        (("Martin", "Paul", BORN), ("Durand", "Paul", BORN)),
    ],
)
def test_match_rule_negative_cases(typed, stored):
    assert match_rule(*typed, *stored) is None


def test_likely_duplicates_looks_in_the_structure_only_and_says_the_rule(structure, other_structure):
    same = BeneficiaryFactory(structure=structure, last_name="Lefèvre", first_name="Zoé", birth_date=BORN)
    swapped = BeneficiaryFactory(structure=structure, last_name="Zoe", first_name="Lefevre", birth_date=BORN)
    BeneficiaryFactory(structure=structure, last_name="Lefèvre", first_name="Zoé", birth_date=datetime.date(1990, 1, 1))
    BeneficiaryFactory(structure=other_structure, last_name="Lefèvre", first_name="Zoé", birth_date=BORN)
    anonymised = BeneficiaryFactory(structure=structure, last_name="Lefèvre", first_name="Zoé", birth_date=BORN)
    anonymised_at = datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC)
    Beneficiary.objects.filter(pk=anonymised.pk).update(anonymised_at=anonymised_at)

    found = likely_duplicates(structure, last_name="LEFEVRE", first_name="zoe", birth_date=BORN)

    assert [(item.person, item.rule) for item in found] == [
        (same, DuplicateRule.SAME_IDENTITY),
        (swapped, DuplicateRule.SWAPPED_NAMES),
    ]
    assert found[0].reason == "mêmes nom, prénom et date de naissance"
    assert likely_duplicates(structure, last_name="Lefèvre", first_name="Zoé", birth_date=BORN, exclude=same) == [
        found[1]
    ]


def test_the_finder_of_an_import_answers_like_the_single_look_up_in_one_query(structure, django_assert_num_queries):
    people = [
        BeneficiaryFactory(structure=structure, last_name="Lefèvre", first_name="Zoé", birth_date=BORN),
        BeneficiaryFactory(structure=structure, last_name="Zoe", first_name="Lefevre", birth_date=BORN),
        BeneficiaryFactory(structure=structure, last_name="Lefevre", first_name="Zoe", birth_date=None),
        BeneficiaryFactory(
            structure=structure, last_name="Lefèvre", first_name="Zoé", birth_date=datetime.date(1990, 1, 1)
        ),
    ]
    with django_assert_num_queries(1):
        finder = DuplicateFinder(structure)
    for birth_date in (BORN, None, datetime.date(1990, 1, 1), datetime.date(2000, 1, 1)):
        for exclude in (None, people[0]):
            typed = {"last_name": "LEFEVRE", "first_name": "zoe", "birth_date": birth_date, "exclude": exclude}
            expected = [(d.person.pk, d.rule) for d in likely_duplicates(structure, **typed)]
            with django_assert_num_queries(0):
                assert [(d.person.pk, d.rule) for d in finder.find(**typed)] == expected, typed


# The merge ----------------------------------------------------------------------------------------------------------


@pytest.fixture
def world(db):
    return build_world()


def _retyped(world, **fields):
    """The same person as world.a.person typed again, with accents and case lost."""
    values = {
        "structure": world.a.structure,
        "last_name": "QUENOUILLARD",
        "first_name": "Philomene",
        "sex": Sex.FEMALE,
        "birth_date": datetime.date(1999, 4, 3),
        "commune": None,
    }
    values.update(fields)
    return BeneficiaryFactory(**values)


def _counts(person_ids):
    return {
        "placements": Placement.objects.filter(beneficiary__in=person_ids).count(),
        "hours": HoursRecord.objects.filter(placement__beneficiary__in=person_ids).count(),
        "history": HoursChange.objects.filter(record__placement__beneficiary__in=person_ids).count(),
        "outcomes": Outcome.objects.filter(placement__beneficiary__in=person_ids).count(),
        "journal": AccessLog.objects.filter(beneficiary__in=person_ids).count(),
    }


def _report(year=2025):
    return queries.yearly_report(records=PlacementYear.objects.all(), markets=Market.objects.all(), year=year)


def test_merge_keeps_every_contract_record_criterion_and_history(world):
    user = world.users["fac_a"]
    duplicate = world.a.person
    keep = _retyped(world)
    services.add_criterion(
        beneficiary=keep,
        criterion=Criterion.LONG_TERM_JOB_SEEKER,  # also held by the duplicate, validated another day
        validated_on=datetime.date(2025, 2, 1),
        validated_by=user,
        evidence_type=EvidenceType.SWORN_STATEMENT,
    )
    before = _counts([keep.pk, duplicate.pk])
    report_before = _report()
    assert before["placements"] == 1 and before["hours"] == 2 and before["outcomes"] == 1 and before["history"] >= 2

    result = merge_people(keep=keep, duplicate=duplicate, user=user)

    assert not Beneficiary.objects.filter(pk=duplicate.pk).exists()
    after = _counts([keep.pk])
    # Every journal entry of both records is kept, plus the merge's own two (the merge, the criterion set aside).
    assert after == {**before, "journal": before["journal"] + 2}
    assert result.placements == 1
    kept = {criterion.criterion: criterion for criterion in BeneficiaryCriterion.objects.filter(beneficiary=keep)}
    assert set(kept) == {Criterion.LONG_TERM_JOB_SEEKER, Criterion.RQTH}
    # Of the two identical criteria, the kept record's one stays (by default), and the other is journalled.
    assert kept[Criterion.LONG_TERM_JOB_SEEKER].validated_on == datetime.date(2025, 2, 1)
    assert result.criteria_dropped == (Criterion.LONG_TERM_JOB_SEEKER,)
    # The summary follows the contract to the kept record; the yearly figures do not move.
    assert set(PlacementYear.objects.values_list("beneficiary_id", flat=True).filter(lot=world.a.lot)) == {keep.pk}
    assert _report() == report_before
    # Blank fields of the kept record are filled from the duplicate.
    keep.refresh_from_db()
    assert keep.commune == world.dijon and keep.qpv == world.qpv and keep.address == "12 rue des Secrets A"


def test_merge_is_journalled_with_who_what_and_when(world):
    user = world.users["fac_a"]
    duplicate = world.a.person
    keep = _retyped(world)
    services.add_criterion(
        beneficiary=keep,
        criterion=Criterion.LONG_TERM_JOB_SEEKER,
        validated_on=datetime.date(2025, 2, 1),
        validated_by=user,
        evidence_type=EvidenceType.SWORN_STATEMENT,
    )

    merge_people(keep=keep, duplicate=duplicate, user=user, criteria_from_duplicate=[Criterion.LONG_TERM_JOB_SEEKER])

    entry, dropped = AccessLog.objects.filter(beneficiary=keep).order_by("-pk")[:2][::-1]
    assert entry.user == user and entry.user_email == "fac-a@exemple.fr" and entry.action == "changed"
    assert entry.at is not None
    assert entry.detail == (
        f"Fiche n° {duplicate.pk} fusionnée dans celle-ci (doublon) ; 1 contrat(s) repris ; "
        "2 critère(s) repris, 1 écarté(s) en double ; complété : prescripteur (nom, agence), adresse, observations"
    )
    assert dropped.user == user
    assert dropped.detail == (
        f"Fusion de la fiche n° {duplicate.pk} : critère en double écarté, Demandeur·se d'emploi de longue durée "
        "(12 mois et plus) (validé le 01/02/2025, Déclaration sur l'honneur)"
    )
    # The duplicate's criterion was chosen: it is the one kept.
    kept = BeneficiaryCriterion.objects.get(beneficiary=keep, criterion=Criterion.LONG_TERM_JOB_SEEKER)
    assert kept.validated_on == datetime.date(2024, 6, 1)


def test_merge_of_two_people_counted_the_same_year_keeps_the_hours_and_counts_one_person(world):
    user = world.users["fac_a"]
    keep = world.a.person
    duplicate = _retyped(world)
    placement = services.start_placement(
        beneficiary=duplicate,
        lot=world.a.lot,
        employer=world.company,
        modality=world.a.placement.modality,
        start_date=datetime.date(2025, 2, 1),
        end_date=datetime.date(2025, 6, 30),
    )
    record = services.declare_hours(
        entry=services.HoursEntry(
            placement=placement,
            month=datetime.date(2025, 3, 1),
            hours=40,
            expected_version=services.UNCHECKED,
        ),
        user=user,
    ).record
    services.validate_hours(records=[record], user=user, versions=services.UNCHECKED)
    before = _report()

    merge_people(keep=keep, duplicate=duplicate, user=user)

    after = _report()
    assert after.summary.hours == before.summary.hours and after.summary.contracts == before.summary.contracts
    assert after.summary.participants == before.summary.participants - 1  # one person counted twice, now once
    assert Placement.objects.filter(beneficiary=keep).count() == 2


def test_refused_merges_say_why_in_french_and_change_nothing(world):
    user = world.users["fac_a"]
    counts = _counts([world.a.person.pk, world.b.person.pk])

    with pytest.raises(ValidationError) as same:
        merge_people(keep=world.a.person, duplicate=world.a.person, user=user)
    with pytest.raises(ValidationError) as other:
        merge_people(keep=world.a.person, duplicate=world.b.person, user=user)

    assert same.value.message_dict == {"duplicate": [MERGE_SAME_PERSON]}
    assert other.value.message_dict == {"duplicate": [MERGE_OTHER_STRUCTURE]}
    assert _counts([world.a.person.pk, world.b.person.pk]) == counts
    assert Beneficiary.objects.filter(pk__in=[world.a.person.pk, world.b.person.pk]).count() == 2


def test_a_criterion_the_kept_birth_date_contradicts_refuses_the_whole_merge(world):
    user = world.users["fac_a"]
    duplicate = world.a.person
    keep = _retyped(world, birth_date=datetime.date(1950, 4, 3), last_name="Quenouillard", first_name="Philomène")
    services.add_criterion(
        beneficiary=duplicate,
        criterion=Criterion.YOUTH_LOW_QUALIFICATION,
        validated_on=datetime.date(2024, 6, 1),
        validated_by=user,
        evidence_type=EvidenceType.SCHOOL_CERTIFICATE,
    )
    counts = _counts([keep.pk, duplicate.pk])

    with pytest.raises(ValidationError) as refused:
        merge_people(keep=keep, duplicate=duplicate, user=user)

    assert "du doublon : Ce critère est réservé aux personnes" in refused.value.message_dict["keep"][0]
    assert _counts([keep.pk, duplicate.pk]) == counts
    assert BeneficiaryCriterion.objects.filter(beneficiary=duplicate).count() == 3
