"""A real PostgreSQL streaming replica for the failover tests (pytest -m replica).

Started next to the primary by scripts/pg_replica.sh (and .ci/run), which exports DATABASE_URL (the primary),
CLAUSIER_REPLICA_URL (the hot standby) and CLAUSIER_REPLICA_DIR (its data folder, to stop and restart it). Without
CLAUSIER_REPLICA_URL, these tests are skipped.

The standby replicates the whole cluster, the test database of the primary included: the "reporting" alias is added
for each test, pointing at the standby and at that test database. The data must be committed (and replayed) for the
standby to see it: the tests use a transactional database and wait for the standby to catch up.
"""

import copy
import os
import subprocess
import time
from pathlib import Path

import dj_database_url
import pytest
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.backends.base.base import BaseDatabaseWrapper

from config import replica as replica_health
from config.replica import REPORTING_ALIAS

REPLICA_URL = os.environ.get("CLAUSIER_REPLICA_URL", "")
REPLICA_DIR = os.environ.get("CLAUSIER_REPLICA_DIR", "")
SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "pg_replica.sh"


def pytest_collection_modifyitems(config, items):
    skip = pytest.mark.skip(reason="pas de réplique PostgreSQL (CLAUSIER_REPLICA_URL, scripts/pg_replica.sh)")
    for item in items:
        if item.get_closest_marker("replica") and not (REPLICA_URL and REPLICA_DIR):
            item.add_marker(skip)


def primary_lsn() -> str:
    with connections[DEFAULT_DB_ALIAS].cursor() as cursor:
        cursor.execute("SELECT pg_current_wal_lsn()")
        return cursor.fetchone()[0]


def replica_sql(sql: str, params=()):
    with connections[REPORTING_ALIAS].cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchone()[0] if cursor.description else None


def wait_for_replica(timeout: float = 60.0) -> None:
    """Until the standby accepts connections to the test database and has replayed what the primary wrote."""
    target = primary_lsn()
    deadline = time.monotonic() + timeout
    while True:
        try:
            connections[REPORTING_ALIAS].close()
            if replica_sql("SELECT pg_wal_lsn_diff(pg_last_wal_replay_lsn(), %s::pg_lsn) >= 0", [target]):
                return
        except Exception:
            if time.monotonic() > deadline:
                raise
        if time.monotonic() > deadline:
            raise AssertionError("La réplique n'a pas rattrapé le primaire à temps.")
        time.sleep(0.1)


def stop_replica() -> None:
    connections[REPORTING_ALIAS].close()
    subprocess.run([str(SCRIPT), "stop-replica", REPLICA_DIR], check=True)  # noqa: S603 (our script)


def start_replica() -> None:
    port = str(dj_database_url.parse(REPLICA_URL)["PORT"])
    subprocess.run([str(SCRIPT), "start-replica", REPLICA_DIR, port], check=True)  # noqa: S603 (our script)


@pytest.fixture
def replica(transactional_db, settings, monkeypatch, django_db_blocker):
    """The "reporting" alias on the real standby, checked at every block (no cache), lag allowed 60 s."""
    if connections[DEFAULT_DB_ALIAS].vendor != "postgresql":
        pytest.skip("la réplique suit un primaire PostgreSQL (DATABASE_URL)")
    assert REPORTING_ALIAS not in connections.settings
    parsed = dj_database_url.parse(REPLICA_URL)
    standby = copy.deepcopy(connections[DEFAULT_DB_ALIAS].settings_dict)  # the test database, replicated
    standby.update({key: parsed[key] for key in ("HOST", "PORT", "USER", "PASSWORD")})
    standby["OPTIONS"] = {**standby.get("OPTIONS", {}), "connect_timeout": 2}
    connections.settings[REPORTING_ALIAS] = standby
    # Django's test case refuses to (re)open a connection to an alias it did not know at set-up; the standby's is
    # closed and opened again on purpose here (stopped, restarted): it gets the real method back.
    guarded = BaseDatabaseWrapper.ensure_connection
    real = django_db_blocker._real_ensure_connection

    def ensure_connection(self, *args, **kwargs):
        if self.alias == REPORTING_ALIAS:
            return real(self, *args, **kwargs)
        return guarded(self, *args, **kwargs)

    monkeypatch.setattr(BaseDatabaseWrapper, "ensure_connection", ensure_connection)
    settings.REPORTING_HEALTH_CACHE_SECONDS = 0
    settings.REPORTING_MAX_LAG_SECONDS = 60
    settings.REPORTING_READ_YOUR_WRITES_SECONDS = 60
    replica_health.reset()
    try:
        wait_for_replica()
        yield connections[REPORTING_ALIAS]
    finally:
        connections[REPORTING_ALIAS].close()
        del connections[REPORTING_ALIAS]
        del connections.settings[REPORTING_ALIAS]
        replica_health.reset()
