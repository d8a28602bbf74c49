import gc
import os

import pytest


def pytest_configure(config):
    # Outside DEBUG the settings redirect to HTTPS; the test client, the live server and the WSGI calls made
    # while collecting (schemathesis) speak plain HTTP. tests/security/test_deploy.py checks the real value.
    from django.conf import settings

    settings.SECURE_SSL_REDIRECT = False


def _cpu_quota() -> float | None:
    """The CPUs a container's cgroup lets this process use (cgroup v2 `cpu.max`, v1 `cpu.cfs_quota_us`), if limited."""
    v2 = _read("/sys/fs/cgroup/cpu.max").split()
    v1 = [_read("/sys/fs/cgroup/cpu/cpu.cfs_quota_us"), _read("/sys/fs/cgroup/cpu/cpu.cfs_period_us")]
    for quota, period in (v2 if len(v2) == 2 else ["", ""], v1):
        if quota.lstrip("-").isdigit() and int(quota) > 0 and period.isdigit() and int(period) > 0:
            return int(quota) / int(period)
    return None


def _read(path: str) -> str:
    try:
        with open(path, encoding="ascii") as handle:
            return handle.read().strip()
    except (OSError, ValueError):
        return ""


def _available_memory_gib() -> float | None:
    for line in _read("/proc/meminfo").splitlines():
        if line.startswith("MemAvailable:"):
            return int(line.split()[1]) / 1024 / 1024
    return None


MAX_TEST_WORKERS = 4
MEMORY_PER_TEST_WORKER_GIB = 1.5


def pytest_xdist_auto_num_workers(config):
    """`-n auto` (make test): one worker per CPU this process may really use, never more than 4. xdist alone counts the
    CPUs of the host (its affinity mask), not a container's CPU quota: on a 2-CPU share of a large host it would start
    dozens of workers, each migrating its own test database and launching its own Chromium, and the suite would crawl.
    Each worker also needs about 1.5 GiB (Chromium, WeasyPrint). CLAUSIER_TEST_WORKERS overrides the count."""
    import math

    forced = os.environ.get("CLAUSIER_TEST_WORKERS")
    if forced:
        return max(int(forced), 0)
    counts = [len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)]
    quota = _cpu_quota()
    if quota:
        counts.append(max(math.floor(quota), 1))
    memory = _available_memory_gib()
    if memory:
        counts.append(max(math.floor(memory / MEMORY_PER_TEST_WORKER_GIB), 1))
    return max(min(*counts, MAX_TEST_WORKERS), 1)


@pytest.fixture(autouse=True)
def _finalise_leaked_connections():
    """Threads of the concurrency tests open SQLite connections that Django never closes on an in-memory test
    database (closing would destroy it). Left to the garbage collector, one of them may be finalised in the middle
    of a later statement's Python callback (a date function of SQLite), and its close then waits for the shared
    cache's mutex that very statement holds: the suite hangs. Collect them at the end of the test that made them."""
    yield
    gc.collect()


# Below pytest.ini's `timeout` (300 s): see django_db_modify_db_settings.
TEST_STATEMENT_TIMEOUT_MS = 240_000


@pytest.fixture(scope="session")
def django_db_modify_db_settings(request, tmp_path_factory, django_db_modify_db_settings_parallel_suffix):
    """Tests marked `worker` run the real task worker in a subprocess, which must share the test database: on
    SQLite, when such tests are collected, the test database is a file in a temporary folder, not in memory."""
    from django.db import connections

    worker_tests = any(item.get_closest_marker("worker") for item in request.session.items)
    settings_dict = connections["default"].settings_dict
    if worker_tests and settings_dict["ENGINE"] == "django.db.backends.sqlite3":
        settings_dict.setdefault("TEST", {})["NAME"] = str(tmp_path_factory.mktemp("db") / "test.sqlite3")
    if settings_dict["ENGINE"] == "django.db.backends.postgresql":
        # A statement that runs (or waits on a lock) for minutes is a bad plan, not a slow test: PostgreSQL cancels
        # it before pytest-timeout stops the test, so the failure names the query and its locks are released for
        # the worker's next tests (once, a rebuild planned without statistics held them for 15 minutes in CI).
        options = settings_dict.setdefault("OPTIONS", {})
        options["options"] = f"{options.get('options', '')} -c statement_timeout={TEST_STATEMENT_TIMEOUT_MS}".strip()


@pytest.fixture(autouse=True)
def _immediate_tasks(request, settings):
    """Outside the tests of the real worker (marked `worker`), tasks run at once in the test process, so that a
    view's e-mail is in mail.outbox when the response comes back."""
    if request.node.get_closest_marker("worker") is None:
        settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}


@pytest.fixture(scope="session")
def _exports_folder(tmp_path_factory):
    return tmp_path_factory.mktemp("exports")


@pytest.fixture(autouse=True)
def _plain_static_storage(settings, _exports_folder):
    # whitenoise's manifest storage needs collectstatic; tests use plain storage. Background exports
    # (reporting.background) go to a temporary folder, which the worker subprocess of the tests marked `worker`
    # shares through EXPORTS_ROOT.
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
        "exports": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(_exports_folder)},
        },
    }
    os.environ["EXPORTS_ROOT"] = str(_exports_folder)
    # Hashing passwords properly is slow by design; tests only need it to work.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


# Web fixtures: a facilitation structure with an owner (member role), an admin and a reader, and an outsider
# who belongs to another structure. Reused by every view test (organisations, markets, clauses, beneficiaries).


@pytest.fixture
def structure(db):
    from tests.organisations.factories import FacilitationStructureFactory

    return FacilitationStructureFactory(name="PLIE de la Côte")


@pytest.fixture
def other_structure(db):
    from tests.organisations.factories import FacilitationStructureFactory

    return FacilitationStructureFactory(name="PLIE d'ailleurs")


def _member(organisation, role, email):
    from tests.organisations.factories import MembershipFactory, UserFactory

    user = UserFactory(email=email)
    MembershipFactory(user=user, organisation=organisation, role=role)
    return user


@pytest.fixture
def owner(structure):
    return _member(structure, "member", "proprietaire@exemple.fr")


@pytest.fixture
def structure_admin(structure):
    return _member(structure, "admin", "admin@exemple.fr")


@pytest.fixture
def reader(structure):
    return _member(structure, "reader", "lecteur@exemple.fr")


@pytest.fixture
def outsider(other_structure):
    return _member(other_structure, "admin", "etranger@exemple.fr")


def _client_for(user):
    from django.test import Client

    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def owner_client(owner):
    return _client_for(owner)


@pytest.fixture
def admin_client_of_structure(structure_admin):
    return _client_for(structure_admin)


@pytest.fixture
def reader_client(reader):
    return _client_for(reader)


@pytest.fixture
def outsider_client(outsider):
    return _client_for(outsider)


@pytest.fixture
def market(structure):
    """A market followed by `structure`, with one lot carrying a 833 h clause."""
    from tests.clauses.factories import ClauseFactory
    from tests.markets.factories import MarketFactory

    market = MarketFactory(facilitator=structure)
    ClauseFactory(lot__market=market)
    return market
