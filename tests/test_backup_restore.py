"""Backup and restore (scripts/backup.sh, scripts/restore.sh): a restored database gives the same yearly report.

Runs on the suite's backend: PostgreSQL (pg_dump -Fc, pg_restore into a fresh database) or SQLite (online
backup API). The report is computed by a separate process on each database, as a deployer would check it.
"""

import os
import sqlite3
import subprocess
import sys
import uuid
from pathlib import Path
from urllib.parse import quote

import pytest
from django.conf import settings
from django.db import connection

from tests.reporting.conftest import build_world

ROOT = Path(settings.BASE_DIR)
REPORT = """
import django
django.setup()
from beneficiaries.models import HoursRecord
from markets.models import Market
from reporting.models import PlacementYear
from reporting.queries import yearly_report
for year in (2024, 2025):
    print(repr(yearly_report(records=PlacementYear.objects.all(), markets=Market.objects.all(), year=year)))
print("relevés", HoursRecord.objects.count(), "marchés", Market.objects.count())
"""


def run(command: list[str], database_url: str) -> str:
    environment = {**os.environ, "DATABASE_URL": database_url, "SECRET_KEY": "sauvegarde-test"}
    environment.pop("REPORTING_DATABASE_URL", None)
    result = subprocess.run(command, cwd=ROOT, env=environment, capture_output=True, text=True, check=False)  # noqa: S603
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def report_of(database_url: str) -> str:
    return run([sys.executable, "-c", REPORT], database_url)


def postgres_url(name: str) -> str:
    params = connection.settings_dict
    user = quote(params["USER"] or "", safe="")
    password = quote(params["PASSWORD"] or "", safe="")
    return f"postgres://{user}:{password}@{params['HOST'] or '127.0.0.1'}:{params['PORT'] or 5432}/{name}"


@pytest.mark.django_db(transaction=True)
def test_a_restored_backup_gives_the_same_yearly_report(tmp_path):
    build_world()
    dump = tmp_path / "clausier.dump"
    if connection.vendor == "postgresql":
        source_url = postgres_url(connection.settings_dict["NAME"])
        target_name = f"clausier_restauration_{uuid.uuid4().hex[:8]}"
        with connection.cursor() as cursor:
            cursor.execute(f'CREATE DATABASE "{target_name}"')
        target_url = postgres_url(target_name)
    else:
        # The SQLite test database lives in memory: copy it to a file, the database the scripts work on.
        source_path = tmp_path / "source.sqlite3"
        copy = sqlite3.connect(source_path)
        connection.ensure_connection()
        connection.connection.backup(copy)
        copy.close()
        source_url = f"sqlite:///{source_path}"
        target_url = f"sqlite:///{tmp_path / 'restauree.sqlite3'}"
    try:
        output = run([str(ROOT / "scripts/backup.sh"), str(dump)], source_url)
        assert "Sauvegarde écrite" in output
        assert dump.stat().st_size > 0
        assert "Sauvegarde restaurée" in run([str(ROOT / "scripts/restore.sh"), str(dump), target_url], source_url)
        before, after = report_of(source_url), report_of(target_url)
        assert "relevés 5 marchés 2" in before  # the world is there, and the report is not empty
        assert after == before
    finally:
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute(f'DROP DATABASE IF EXISTS "{target_name}" WITH (FORCE)')


def test_the_scripts_refuse_an_unknown_database(tmp_path):
    environment = {**os.environ, "DATABASE_URL": "mysql://base/inconnue"}
    result = subprocess.run(  # noqa: S603
        [str(ROOT / "scripts/backup.sh"), str(tmp_path / "x.dump")],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 2
    assert "DATABASE_URL non prise en charge" in result.stderr
    result = subprocess.run(  # noqa: S603
        [str(ROOT / "scripts/restore.sh"), str(tmp_path / "absente.dump"), "sqlite:////tmp/x"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 1
    assert "Sauvegarde introuvable" in result.stderr
