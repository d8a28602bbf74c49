"""`make test` runs `-n auto`: the number of pytest-xdist workers follows the CPUs this process may really use."""

import pytest

from tests import conftest


@pytest.mark.parametrize(
    ("affinity", "quota", "memory", "expected"),
    [
        (2, None, 24.0, 2),  # this machine: two cores, no quota
        (64, 2.0, 24.0, 2),  # a 2-CPU container on a 64-core host: 2, not 64
        (64, 1.5, 24.0, 1),  # a CPU and a half: one worker
        (64, None, 24.0, 4),  # a large machine: at most 4
        (8, None, 2.0, 1),  # little memory: one worker per 1.5 GiB
        (8, None, None, 4),
    ],
)
def test_workers_follow_the_cpus_the_container_allows(monkeypatch, affinity, quota, memory, expected):
    monkeypatch.delenv("CLAUSIER_TEST_WORKERS", raising=False)
    monkeypatch.setattr(conftest.os, "sched_getaffinity", lambda pid: set(range(affinity)))
    monkeypatch.setattr(conftest, "_cpu_quota", lambda: quota)
    monkeypatch.setattr(conftest, "_available_memory_gib", lambda: memory)
    assert conftest.pytest_xdist_auto_num_workers(None) == expected


def test_an_environment_variable_overrides_the_count(monkeypatch):
    monkeypatch.setenv("CLAUSIER_TEST_WORKERS", "3")
    assert conftest.pytest_xdist_auto_num_workers(None) == 3


def test_the_quota_is_read_from_cgroup_v2_or_v1(monkeypatch):
    files = {"/sys/fs/cgroup/cpu.max": "200000 100000"}
    monkeypatch.setattr(conftest, "_read", lambda path: files.get(path, ""))
    assert conftest._cpu_quota() == 2.0
    files = {"/sys/fs/cgroup/cpu.max": "max 100000"}
    assert conftest._cpu_quota() is None
    files = {"/sys/fs/cgroup/cpu/cpu.cfs_quota_us": "150000", "/sys/fs/cgroup/cpu/cpu.cfs_period_us": "100000"}
    assert conftest._cpu_quota() == 1.5
    files = {"/sys/fs/cgroup/cpu/cpu.cfs_quota_us": "-1", "/sys/fs/cgroup/cpu/cpu.cfs_period_us": "100000"}
    assert conftest._cpu_quota() is None


@pytest.mark.django_db
def test_postgresql_cancels_a_test_statement_stuck_for_minutes():
    """On PostgreSQL (CI), every test connection starts with a statement_timeout below pytest-timeout's, and the
    web requests' own limit (config.database: SET, then RESET) goes back to it, not to unlimited."""
    from django.db import connection

    from config.database import web_statement_timeout

    if connection.vendor != "postgresql":
        pytest.skip("statement_timeout is a PostgreSQL setting (CI runs the suite on PostgreSQL)")

    def current() -> str:
        with connection.cursor() as cursor:
            cursor.execute("SHOW statement_timeout")
            return cursor.fetchone()[0]

    default = f"{conftest.TEST_STATEMENT_TIMEOUT_MS // 60_000}min"
    assert conftest.TEST_STATEMENT_TIMEOUT_MS < 300_000  # pytest.ini: timeout = 300
    assert current() == default
    with web_statement_timeout(1500):
        assert current() == "1500ms"
    assert current() == default
