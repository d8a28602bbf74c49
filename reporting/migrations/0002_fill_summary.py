"""Fill the reporting summary of an upgraded database (its hours records predate the table).

Runs the same INSERT … SELECT as `manage.py rebuild_summary`, on the historical models, only when the summary
is empty and validated records exist: two cheap queries on a new database, nothing on a second run.
"""

from django.db import migrations

from reporting.summary import fill_if_empty


class Migration(migrations.Migration):
    dependencies = [
        ("reporting", "0001_placement_year_summary"),
        ("beneficiaries", "0003_placement_qpv_at_start"),
        ("clauses", "0003_cleaning_inputs_not_null"),
        ("markets", "0003_default_trades"),
        ("organisations", "0001_initial"),
        ("territories", "0001_initial"),
    ]

    operations = [migrations.RunPython(fill_if_empty, migrations.RunPython.noop, elidable=True)]
