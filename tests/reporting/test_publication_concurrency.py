"""Two coordinators publishing the same report at the same moment, on two real connections (PostgreSQL): the
perimeter's row is locked, so the second waits for the first and gets version 2. Without the lock the second one
runs through while the first computes, and the versions come out in the wrong order (or, when both read the last
version before either commits, the second fails on the unique constraint)."""

import threading

import pytest
from django.db import connection, connections

from reporting import publication
from reporting.models import PublishedReport
from tests.organisations.factories import MembershipFactory, UserFactory
from tests.reporting.conftest import build_world

HOLD = 1.0  # seconds the first publication keeps its lock, waiting for the other one

pytestmark = pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks: PostgreSQL (CI) only")


@pytest.mark.django_db(transaction=True)
def test_two_publications_at_once_get_versions_1_and_2(monkeypatch):
    world = build_world()
    other = MembershipFactory(organisation=world["coordination"], user=UserFactory()).user
    started = threading.Event()
    real_live_report = publication.live_report
    errors: list[BaseException] = []

    def live_report(**kwargs):
        report = real_live_report(**kwargs)
        if threading.current_thread().name == "first":
            started.set()
            threading.Event().wait(HOLD)  # the second one starts meanwhile
        return report

    monkeypatch.setattr(publication, "live_report", live_report)

    def run(user):
        try:
            publication.publish(user=user, year=2025, region=world["region"])
        except BaseException as error:
            errors.append(error)
        finally:
            connections.close_all()

    first = threading.Thread(target=run, args=(world["coordinator"],), name="first")
    second = threading.Thread(target=run, args=(other,), name="second")
    first.start()
    started.wait(10)
    second.start()
    first.join(20)
    second.join(20)
    assert not errors, errors
    versions = PublishedReport.objects.order_by("version")
    assert [(v.version, v.published_by_id) for v in versions] == [(1, world["coordinator"].pk), (2, other.pk)]
