"""declare_month writes a batch grouped (a few statements per 2,000 rows) with the same outcome, row for row, as
declaring each entry alone: records, versions, statuses, history, refusals and all-or-nothing."""

from datetime import date
from decimal import Decimal

import pytest
from django.db import IntegrityError, connection
from django.test.utils import CaptureQueriesContext

from audit.models import AccessLog, Channel, HoursChange
from beneficiaries import services
from beneficiaries.choices import HoursSource, HoursStatus, Modality
from beneficiaries.models import HoursRecord
from beneficiaries.services import CONFLICT_MESSAGE, HoursBatchError, HoursEntry
from organisations.models import InsertionType
from tests.beneficiaries.factories import BeneficiaryFactory, HoursRecordFactory
from tests.clauses.factories import ClauseFactory
from tests.markets.factories import LotFactory
from tests.organisations.factories import CompanyFactory, InsertionStructureFactory, UserFactory

pytestmark = pytest.mark.django_db

MARCH = date(2025, 3, 1)


def place(modality=Modality.HIRE_CDD, beneficiary=None, employer=None, lot=None):
    lot = lot or ClauseFactory().lot
    return services.start_placement(
        beneficiary=beneficiary or BeneficiaryFactory(),
        lot=lot,
        employer=employer or lot.contractor,
        modality=modality,
        start_date=date(2025, 1, 1),
        end_date=date(2025, 12, 31),
    )


def world():
    """Four placements: one without record (created), one with a validated record (changed), one whose record
    is declared again identically (unchanged), one more with a record (changed, optimistic version given)."""
    validator = UserFactory()
    new, changed, same, versioned = place(), place(), place(), place()
    HoursRecordFactory(
        placement=changed,
        month=MARCH,
        hours=Decimal("50"),
        status=HoursStatus.VALIDATED,
        reviewed_by=validator,
        version=3,
    )
    HoursRecordFactory(placement=same, month=MARCH, hours=Decimal("70"), training_hours=Decimal("5"))
    HoursRecordFactory(placement=versioned, month=MARCH, hours=Decimal("10"), version=2)
    return new, changed, same, versioned


def entries_of(new, changed, same, versioned, *, version=2):
    return [
        HoursEntry(
            placement=new,
            month=MARCH,
            hours=Decimal("35.5"),
            training_hours=Decimal("4"),
            expected_version=services.UNCHECKED,
        ),
        HoursEntry(
            placement=changed, month=date(2025, 3, 17), hours=Decimal("60"), expected_version=services.UNCHECKED
        ),
        HoursEntry(
            placement=same,
            month=MARCH,
            hours=Decimal("70"),
            training_hours=Decimal("5"),
            expected_version=services.UNCHECKED,
        ),
        HoursEntry(placement=versioned, month=MARCH, hours=Decimal("12"), expected_version=version),
    ]


def history(placements):
    """What the journal holds about the records of these placements, in placement order, without ids nor dates."""
    rows = []
    for placement in placements:
        record = HoursRecord.objects.filter(placement=placement).first()
        changes = HoursChange.objects.filter(record=record).order_by("pk") if record else []
        rows.append(
            [
                (
                    change.user_id,
                    change.user_email,
                    change.hours_before,
                    change.training_hours_before,
                    change.status_before,
                    change.hours_after,
                    change.training_hours_after,
                    change.status_after,
                    change.reason,
                )
                for change in changes
            ]
        )
        logs = AccessLog.objects.filter(beneficiary_id=placement.beneficiary_id).order_by("pk")
        rows.append(
            [
                (
                    log.user_id,
                    log.user_email,
                    log.structure_id == placement.beneficiary.structure_id,
                    log.action,
                    log.channel,
                    log.detail.replace(f"n° {placement.pk})", "n° …)"),
                )
                for log in logs
            ]
        )
    return rows


def test_a_mixed_batch_creates_updates_and_leaves_unchanged_rows_in_entry_order():
    new, changed, same, versioned = world()
    user = UserFactory()
    before_same = HoursRecord.objects.get(placement=same)
    results = services.declare_month(entries=entries_of(new, changed, same, versioned), user=user)
    assert [(result.created, result.changed) for result in results] == [
        (True, True),
        (False, True),
        (False, False),
        (False, True),
    ]
    assert [result.record.placement_id for result in results] == [new.pk, changed.pk, same.pk, versioned.pk]
    created = HoursRecord.objects.get(placement=new)
    assert (created.hours, created.training_hours, created.version, created.status) == (
        Decimal("35.5"),
        Decimal("4"),
        1,
        HoursStatus.DECLARED,
    )
    assert created.declared_by == user and created.declared_at is not None
    updated = HoursRecord.objects.get(placement=changed)
    # A changed record goes back to "declared", its review forgotten, its version moved on.
    assert (updated.hours, updated.version, updated.status, updated.reviewed_by, updated.reviewed_at) == (
        Decimal("60"),
        4,
        HoursStatus.DECLARED,
        None,
        None,
    )
    assert updated.declared_by == user and updated.declared_at > before_same.declared_at
    assert results[1].record.version == 4 and results[1].record.hours == Decimal("60")
    unchanged = HoursRecord.objects.get(placement=same)
    assert (unchanged.version, unchanged.declared_at, unchanged.declared_by) == (
        1,
        before_same.declared_at,
        before_same.declared_by,
    )
    assert HoursRecord.objects.get(placement=versioned).version == 3
    # One history entry per created or changed record, none for the unchanged one.
    assert HoursChange.objects.count() == 3
    assert not HoursChange.objects.filter(record=unchanged).exists()
    assert AccessLog.objects.filter(beneficiary_id=same.beneficiary_id).count() == 0
    assert results[0].warnings == (
        "Les heures de formation sont enregistrées mais ne comptent pas pour la clause de ce lot.",
    )


def test_the_history_of_a_batch_is_the_history_of_its_entries_declared_one_by_one():
    user = UserFactory()
    grouped = world()
    services.declare_month(entries=entries_of(*grouped), user=user, source=HoursSource.API)
    alone = world()
    for entry in entries_of(*alone):
        services.declare_hours(entry=entry, user=user, source=HoursSource.API)
    assert history(grouped) == history(alone)
    assert history(grouped)[0] == [(user.pk, user.email, None, None, "", Decimal("35.5"), Decimal("4"), "declared", "")]
    assert history(grouped)[2] == [
        (user.pk, user.email, Decimal("50"), Decimal("0"), "validated", Decimal("60"), Decimal("0"), "declared", "")
    ]
    log = AccessLog.objects.filter(beneficiary_id=grouped[1].beneficiary_id).get()
    assert log.channel == Channel.API
    assert log.detail == f"Relevé d'heures de 03/2025 modifié (contrat n° {grouped[1].pk})"


def test_a_stale_version_refuses_the_whole_batch_on_its_row():
    new, changed, same, versioned = world()
    with pytest.raises(HoursBatchError) as excinfo:
        services.declare_month(entries=entries_of(new, changed, same, versioned, version=1), user=UserFactory())
    assert excinfo.value.row_errors == {3: [CONFLICT_MESSAGE]}
    assert not HoursRecord.objects.filter(placement=new).exists()
    assert HoursRecord.objects.get(placement=changed).hours == Decimal("50")
    assert not HoursChange.objects.exists()


def test_a_refusal_by_the_database_while_writing_undoes_the_whole_batch(monkeypatch):
    """Someone inserts the record of a row between the checks and the insert: the batch is refused on that row
    and the rows already written are undone."""
    new, changed, same, versioned = world()
    plan = services._plan

    def plan_then_insert_concurrently(index, entry, record, **kwargs):
        write = plan(index, entry, record, **kwargs)
        if entry.placement == new:
            HoursRecordFactory(placement=new, month=MARCH, hours=Decimal("1"))
        return write

    monkeypatch.setattr(services, "_plan", plan_then_insert_concurrently)
    entries = [entries_of(new, changed, same, versioned)[index] for index in (1, 3, 2, 0)]
    with pytest.raises(HoursBatchError) as excinfo:
        services.declare_month(entries=entries, user=UserFactory())
    assert excinfo.value.row_errors == {3: [CONFLICT_MESSAGE]}
    assert not HoursRecord.objects.filter(placement=new).exists()
    assert HoursRecord.objects.get(placement=changed).hours == Decimal("50")
    assert HoursRecord.objects.get(placement=versioned).version == 2
    assert not HoursChange.objects.exists() and not AccessLog.objects.exists()


def test_a_value_refused_by_the_database_on_an_update_is_told_on_its_row(monkeypatch):
    new, changed, same, versioned = world()
    update = services.bulk.update

    def update_refusing_60_hours(model, names, rows, **kwargs):
        if any(row[1] == Decimal("60") for row in rows):
            raise IntegrityError("CHECK constraint failed")
        return update(model, names, rows, **kwargs)

    monkeypatch.setattr(services.bulk, "update", update_refusing_60_hours)
    with pytest.raises(HoursBatchError) as excinfo:
        services.declare_month(entries=entries_of(new, changed, same, versioned), user=UserFactory())
    assert excinfo.value.row_errors == {
        1: ["Le relevé n'a pas pu être enregistré : ses valeurs sont hors des limites."]
    }
    assert not HoursRecord.objects.filter(placement=new).exists()
    assert HoursRecord.objects.get(placement=versioned).hours == Decimal("10")


def batch(size: int):
    """`size` entries: a third new records, a third changed, a third unchanged; every fifth one an AI provision
    with an optimistic version, so that every kind of check and write runs."""
    ai = InsertionStructureFactory(insertion_type=InsertionType.AI)
    lot = LotFactory(contractor=CompanyFactory(), start_date=date(2024, 1, 1), end_date=date(2026, 12, 31))
    ClauseFactory(lot=lot)
    entries = []
    for index in range(size):
        ai_row = index % 5 == 0
        placement = place(modality=Modality.AI_PROVISION, employer=ai, lot=lot) if ai_row else place(lot=lot)
        version = 0
        if index % 3:
            version = HoursRecordFactory(placement=placement, month=MARCH, hours=Decimal("20")).version
        hours = Decimal("20") if index % 3 == 2 else Decimal("30")
        entries.append(
            HoursEntry(
                placement=placement,
                month=MARCH,
                hours=hours,
                expected_version=version if ai_row else services.UNCHECKED,
            )
        )
    return entries


def test_a_batch_runs_as_many_queries_with_100_rows_as_with_10():
    user = UserFactory()
    counts = []
    for size in (10, 100):
        entries = batch(size)
        with CaptureQueriesContext(connection) as captured:
            results = services.declare_month(entries=entries, user=user)
        assert [(result.created, result.changed) for result in results] == [
            (index % 3 == 0, index % 3 != 2) for index in range(size)
        ]
        counts.append(len(captured.captured_queries))
    assert counts[0] == counts[1]
    assert HoursChange.objects.count() == len([i for i in range(10) if i % 3 != 2]) + len(
        [i for i in range(100) if i % 3 != 2]
    )


def test_checking_a_batch_without_writing_tells_what_each_entry_alone_would_and_reads_a_fixed_few_queries():
    counts = []
    for size in (10, 100):
        entries = batch(size)
        # A stale version on the first AI row, and an excess on the second row.
        entries[0] = HoursEntry(placement=entries[0].placement, month=MARCH, hours=Decimal("1"), expected_version=7)
        entries[1] = HoursEntry(
            placement=entries[1].placement, month=MARCH, hours=Decimal("300"), expected_version=services.UNCHECKED
        )
        with CaptureQueriesContext(connection) as captured:
            refusals = services.check_hours_entries(entries)
        counts.append(len(captured.captured_queries))
        assert refusals == {
            0: [CONFLICT_MESSAGE],
            1: ["300 h dépasse le maximum légal de 220 h par mois pour un contrat."],
        }
        alone = {index: services.check_hours_entry(entry) for index, entry in enumerate(entries)}
        assert {index: errors for index, errors in alone.items() if errors} == refusals
    assert counts[0] == counts[1]
    assert not HoursChange.objects.exists()
