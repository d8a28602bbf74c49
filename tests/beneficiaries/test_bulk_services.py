"""The batch services (create_beneficiaries, add_criteria, start_placements) give, row for row, what the single-row
services give: the same rows, frozen publics and journal entries, the same refusals with the same messages on the
same fields; and a batch with one refused row writes nothing."""

from datetime import date, timedelta

import pytest
from django.db import transaction
from django.utils import timezone

from audit.models import AccessLog
from beneficiaries import services
from beneficiaries.choices import Criterion, EvidenceType, Modality, PrescriberType, Sex
from beneficiaries.models import Beneficiary, BeneficiaryCriterion, Placement
from tests.beneficiaries.factories import BeneficiaryFactory
from tests.clauses.factories import ClauseFactory
from tests.markets.factories import LotFactory
from tests.organisations.factories import FacilitationStructureFactory, UserFactory
from tests.territories.factories import CommuneFactory

pytestmark = pytest.mark.django_db


def refusal(error) -> dict:
    """A refusal as {field: [(message, code)]}."""
    return {
        field: [(message, item.code) for item in items for message in item.messages]
        for field, items in error.error_dict.items()
    }


def values(instance) -> dict:
    """Every column of a row (frozen publics included) but its key and its time stamps."""
    return {
        field.attname: getattr(instance, field.attname)
        for field in instance._meta.concrete_fields
        if not field.primary_key and not getattr(field, "auto_now", False) and not getattr(field, "auto_now_add", False)
    }


def written(model, before: int) -> list[dict]:
    """The rows of `model` written since primary key `before`, without their keys."""
    return [values(row) for row in model.objects.filter(pk__gt=before).order_by("pk")]


def journal(after: int, keys: dict[int, int]) -> list[tuple]:
    """Journal entries since `after`; the keys of new objects (`keys`: pk -> position) replaced by positions."""
    entries = []
    for entry in AccessLog.objects.filter(pk__gt=after).order_by("pk"):
        detail = entry.detail
        for pk, position in keys.items():
            detail = detail.replace(f"n° {pk} ", f"n° #{position} ")
        person = keys.get(entry.beneficiary_id, entry.beneficiary_id)
        entries.append((entry.user_id, person, entry.action, entry.channel, detail))
    return entries


def last_pk(model) -> int:
    return model.objects.order_by("-pk").values_list("pk", flat=True).first() or 0


def one_by_one(call, rows):
    """Each row through the single-row service, in order: the results and the refusals by row index."""
    results, refused = [], {}
    for index, row in enumerate(rows):
        try:
            with transaction.atomic():
                results.append(call(row))
        except services.ValidationError as error:
            refused[index] = refusal(error)
    return results, refused


def compare(model, rows, single, bulk, *, positions):
    """Run the rows one by one, roll back, run them as a batch: same rows, same journal."""
    start, logged = last_pk(model), last_pk(AccessLog)
    sid = transaction.savepoint_create()
    results, refused = one_by_one(single, rows)
    expected = (written(model, start), journal(logged, positions(results)))
    transaction.savepoint_rollback(sid)
    start, logged = last_pk(model), last_pk(AccessLog)
    if refused:
        with pytest.raises(services.BatchRefused) as caught:
            bulk(rows)
        assert {index: refusal(error) for index, error in caught.value.row_errors.items()} == refused
        assert written(model, start) == [] and journal(logged, {}) == []  # nothing of the batch written
        return refused
    batch = bulk(rows)
    assert [values(item) for item in batch] == expected[0]
    assert (written(model, start), journal(logged, positions(batch))) == expected
    assert expected[0] and expected[1]  # the case writes something
    return refused


def person_fields(**changes):
    fields = {
        "last_name": "Martin",
        "first_name": "Léa",
        "sex": Sex.FEMALE,
        "birth_date": date(1990, 4, 2),
        "commune": CommuneFactory(),
        "prescriber_type": PrescriberType.FRANCE_TRAVAIL,
    }
    return {**fields, **changes}


def test_create_beneficiaries_equals_create_beneficiary():
    structure, user = FacilitationStructureFactory(), UserFactory()
    rows = [person_fields(), person_fields(last_name="Diallo", first_name="Awa", birth_date=date(1975, 1, 31))]
    compare(
        Beneficiary,
        rows,
        lambda row: services.create_beneficiary(structure=structure, user=user, **row),
        lambda rows: services.create_beneficiaries(structure=structure, user=user, rows=rows),
        positions=lambda people: {person.pk: index for index, person in enumerate(people)},
    )


def test_create_beneficiaries_refuses_as_create_beneficiary_and_writes_nothing():
    structure, user = FacilitationStructureFactory(), UserFactory()
    rows = [person_fields(), person_fields(last_name=""), person_fields(sex="X"), person_fields(latitude=45)]
    refused = compare(
        Beneficiary,
        rows,
        lambda row: services.create_beneficiary(structure=structure, user=user, **row),
        lambda rows: services.create_beneficiaries(structure=structure, user=user, rows=rows),
        positions=lambda people: {},
    )
    assert set(refused) == {1, 2, 3}
    assert set(refused[1]) == {"last_name"} and set(refused[2]) == {"sex"} and set(refused[3]) == {"longitude"}


def criterion_rows(people, user):
    young, old = people
    return [
        {
            "beneficiary": young,
            "criterion": Criterion.RSA,
            "validated_on": date(2024, 5, 1),
            "validated_by": user,
            "evidence_type": EvidenceType.FRANCE_TRAVAIL_CERTIFICATE,
        },
        {
            "beneficiary": old,
            "criterion": Criterion.SENIOR_JOB_SEEKER,
            "validated_on": date(2024, 5, 1),
            "validated_by": user,
            "evidence_type": EvidenceType.FRANCE_TRAVAIL_CERTIFICATE,
        },
        {
            "beneficiary": young,
            "criterion": Criterion.LONG_TERM_JOB_SEEKER,
            "validated_on": date(2024, 2, 1),
            "validated_by": None,
            "evidence_type": EvidenceType.FRANCE_TRAVAIL_CERTIFICATE,
        },
    ]


def single_criterion(row):
    return services.add_criterion(**row)


def test_add_criteria_equals_add_criterion():
    user = UserFactory()
    people = [BeneficiaryFactory(birth_date=date(1998, 1, 1)), BeneficiaryFactory(birth_date=date(1960, 1, 1))]
    compare(
        BeneficiaryCriterion,
        criterion_rows(people, user),
        single_criterion,
        lambda rows: services.add_criteria(rows=rows),
        positions=lambda added: {},
    )


def test_add_criteria_refuses_as_add_criterion_and_writes_nothing():
    user = UserFactory()
    young, old = BeneficiaryFactory(birth_date=date(1998, 1, 1)), BeneficiaryFactory(birth_date=date(1960, 1, 1))
    rows = criterion_rows([young, old], user)
    future = timezone.localdate() + timedelta(days=3)
    rows += [
        {**rows[0]},  # the same criterion twice for one person: refused on its second row
        {**rows[1], "beneficiary": young},  # 50 and over: this person is 26
        {**rows[2], "criterion": Criterion.DEROGATION, "derogation_reason": "  "},
        {**rows[2], "criterion": Criterion.QPV_RESIDENT, "validated_on": future},
    ]
    refused = compare(
        BeneficiaryCriterion,
        rows,
        single_criterion,
        lambda rows: services.add_criteria(rows=rows),
        positions=lambda added: {},
    )
    assert sorted(refused) == [3, 4, 5, 6]
    assert refused[3] == {"criterion": [(services.CRITERION_DUPLICATE, "unique")]}
    assert [code for _message, code in refused[4]["criterion"]] == ["age"]
    assert set(refused[6]) == {"validated_on", "criterion"}


def placement_world():
    clause = ClauseFactory(eligible_criteria=[Criterion.RSA])
    eligible, other = BeneficiaryFactory(), BeneficiaryFactory(birth_date=date(1970, 3, 3))
    services.add_criterion(
        beneficiary=eligible,
        criterion=Criterion.RSA,
        validated_on=date(2024, 1, 1),
        validated_by=None,
        evidence_type=EvidenceType.FRANCE_TRAVAIL_CERTIFICATE,
    )
    services.add_criterion(
        beneficiary=other,
        criterion=Criterion.SENIOR_JOB_SEEKER,
        validated_on=date(2024, 1, 1),
        validated_by=None,
        evidence_type=EvidenceType.FRANCE_TRAVAIL_CERTIFICATE,
    )
    open_lot = ClauseFactory().lot
    base = {
        "lot": clause.lot,
        "employer": clause.lot.contractor,
        "modality": Modality.HIRE_CDD,
        "start_date": date(2024, 6, 1),
        "end_date": date(2024, 12, 31),
    }
    rows = [
        {**base, "beneficiary": eligible, "job_title": "Maçon"},
        {**base, "beneficiary": other, "lot": open_lot, "employer": open_lot.contractor},
        {**base, "beneficiary": eligible, "start_date": date(2025, 1, 1), "end_date": date(2025, 6, 30)},
    ]
    return rows, other


def test_start_placements_equals_start_placement():
    user = UserFactory()
    rows, _other = placement_world()
    compare(
        Placement,
        rows,
        lambda row: services.start_placement(user=user, **row),
        lambda rows: services.start_placements(rows=rows, user=user),
        positions=lambda placements: {placement.pk: index for index, placement in enumerate(placements)},
    )
    batch = services.start_placements(rows=rows[1:2], user=user)
    assert batch[0].is_senior is True  # frozen from the criteria, as start_placement does


def test_start_placements_refuses_as_start_placement_and_writes_nothing():
    user = UserFactory()
    rows, other = placement_world()
    rows += [
        {**rows[0], "beneficiary": other},  # not eligible to this clause
        {**rows[0], "end_date": date(2024, 1, 1)},  # ends before it starts
        {**rows[0], "lot": LotFactory()},  # no clause
    ]
    refused = compare(
        Placement,
        rows,
        lambda row: services.start_placement(user=user, **row),
        lambda rows: services.start_placements(rows=rows, user=user),
        positions=lambda placements: {},
    )
    assert sorted(refused) == [3, 4, 5]
    assert [code for _m, code in refused[3]["beneficiary"]] == ["not_eligible"]
    assert refused[4] == {"end_date": [("La fin du contrat ne peut pas précéder son début.", "ends_before_start")]}
    assert refused[5] == {"lot": [(services.NO_CLAUSE_MESSAGE, "no_clause")]}
