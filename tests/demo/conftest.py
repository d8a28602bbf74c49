import pytest
from django.core.management import call_command
from django.db import connection, transaction

from demo.seed import seed_demo


@pytest.fixture(scope="module")
def seeded(django_db_setup, django_db_blocker):
    """The demo region seeded once per module, inside a transaction rolled back at the end."""
    with django_db_blocker.unblock(), transaction.atomic():
        call_command("load_territories", region="27")
        summary = seed_demo(log=lambda message: None)
        if connection.vendor == "postgresql":
            # Bulk rows inserted in this still-open transaction carry no statistics yet: without them
            # PostgreSQL plans nested loops over sequential scans and the checks below take minutes.
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")
        yield summary
        transaction.set_rollback(True)
