"""audit.services.record_hours_changes: the history of a batch of hours records in one insert per table."""

import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from audit import services as audit_services
from audit.models import AccessAction, AccessLog, Channel, HoursChange
from beneficiaries.choices import HoursSource, HoursStatus
from beneficiaries.models import HoursRecord
from tests.beneficiaries.factories import HoursRecordFactory
from tests.organisations.factories import UserFactory

pytestmark = pytest.mark.django_db

AT = datetime.datetime(2025, 4, 2, 9, 30, tzinfo=datetime.UTC)


def test_one_entry_per_record_whose_audited_values_changed_none_otherwise():
    user = UserFactory(email="saisie@exemple.fr")
    created, changed, same = (
        HoursRecordFactory(hours=Decimal(hours), status=HoursStatus.DECLARED) for hours in ("10", "20", "30")
    )
    before_changed = audit_services.HoursState.of(changed)
    changed.hours = Decimal("25")
    changed.source = HoursSource.API
    # Records read without their person: the structures are read in one query for all.
    records = list(HoursRecord.objects.filter(pk__in=[created.pk, changed.pk, same.pk]).order_by("pk"))
    records[1].hours, records[1].source = changed.hours, changed.source
    with CaptureQueriesContext(connection) as captured:
        written = audit_services.record_hours_changes(
            changes=[
                (records[0], None),
                (records[1], before_changed),
                (records[2], audit_services.HoursState.of(same)),
            ],
            user=user,
            reason="Import",
            at=AT,
        )
    assert written == 2
    # One query for the people of the records, one insert per table.
    statements = [query["sql"] for query in captured.captured_queries if "SAVEPOINT" not in query["sql"]]
    assert len(statements) == 3
    history = list(HoursChange.objects.order_by("pk"))
    assert [(c.record_id, c.hours_before, c.status_before, c.hours_after, c.status_after) for c in history] == [
        (created.pk, None, "", Decimal("10"), HoursStatus.DECLARED),
        (changed.pk, Decimal("20"), HoursStatus.DECLARED, Decimal("25"), HoursStatus.DECLARED),
    ]
    assert {(c.user_id, c.user_email, c.reason, c.at) for c in history} == {(user.pk, user.email, "Import", AT)}
    logs = list(AccessLog.objects.order_by("pk"))
    assert [(log.beneficiary_id, log.structure_id, log.action, log.channel, log.at) for log in logs] == [
        (
            created.placement.beneficiary_id,
            created.placement.beneficiary.structure_id,
            AccessAction.CHANGED,
            Channel.WEB,
            AT,
        ),
        (
            changed.placement.beneficiary_id,
            changed.placement.beneficiary.structure_id,
            AccessAction.CHANGED,
            Channel.API,
            AT,
        ),
    ]
    assert logs[0].detail == f"Relevé d'heures de {created.month:%m/%Y} déclaré (contrat n° {created.placement_id})"
    assert logs[1].detail == f"Relevé d'heures de {changed.month:%m/%Y} modifié (contrat n° {changed.placement_id})"


def test_nothing_to_record():
    assert audit_services.record_hours_changes(changes=[], user=None) == 0
    assert not HoursChange.objects.exists() and not AccessLog.objects.exists()
