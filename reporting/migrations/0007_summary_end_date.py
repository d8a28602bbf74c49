"""The summary copies the placement's end (issue 19): the outcomes of the yearly report read the perimeter's
own rows instead of every placement of the country that ended in the year. Existing rows are filled from their
placement (one UPDATE) before the column becomes NOT NULL; the three covering indexes carry it. As in 0006, an
upgraded database whose summary is still empty is filled here by `fill_if_empty` (which waits for every copied
column)."""

from django.db import migrations, models
from django.db.models import OuterRef, Subquery

from reporting.summary import fill_if_empty


def fill(apps, schema_editor):
    using = schema_editor.connection.alias
    summary = apps.get_model("reporting", "PlacementYear")
    placement = apps.get_model("beneficiaries", "Placement")
    summary.objects.using(using).update(
        end_date=Subquery(placement.objects.filter(pk=OuterRef("placement_id")).values("end_date")[:1])
    )


class Migration(migrations.Migration):
    dependencies = [
        ("beneficiaries", "0006_outcome_result_durable_temp"),
        ("markets", "0004_decp_market"),
        ("organisations", "0002_declaration_deadline_day"),
        ("reporting", "0006_summary_perimeters_and_lean_indexes"),
        ("territories", "0002_qpv_official_outline"),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name="placementyear",
            name="placement_year_report_idx",
        ),
        migrations.RemoveIndex(
            model_name="placementyear",
            name="placement_year_region_idx",
        ),
        migrations.RemoveIndex(
            model_name="placementyear",
            name="placement_year_department_idx",
        ),
        migrations.AddField(
            model_name="placementyear",
            name="end_date",
            field=models.DateField(null=True, verbose_name="fin du contrat"),
        ),
        migrations.RunPython(fill, migrations.RunPython.noop, elidable=True),
        migrations.AlterField(
            model_name="placementyear",
            name="end_date",
            field=models.DateField(verbose_name="fin du contrat"),
        ),
        migrations.AddIndex(
            model_name="placementyear",
            index=models.Index(
                fields=["year"],
                include=(
                    "placement_id",
                    "beneficiary_id",
                    "contractor_id",
                    "market_id",
                    "buyer_id",
                    "buyer_type",
                    "market_type",
                    "region_id",
                    "department_id",
                    "epci_id",
                    "mechanism",
                    "counts_training_hours",
                    "modality",
                    "is_woman",
                    "is_youth",
                    "is_senior",
                    "is_qpv_resident",
                    "is_rqth",
                    "is_long_term_job_seeker",
                    "is_rsa",
                    "qpv_at_start_id",
                    "end_date",
                    "hours",
                    "training_hours",
                ),
                name="placement_year_report_idx",
            ),
        ),
        migrations.AddIndex(
            model_name="placementyear",
            index=models.Index(
                fields=["region", "year"],
                include=(
                    "placement_id",
                    "beneficiary_id",
                    "contractor_id",
                    "market_id",
                    "buyer_id",
                    "buyer_type",
                    "market_type",
                    "department_id",
                    "epci_id",
                    "mechanism",
                    "counts_training_hours",
                    "modality",
                    "is_woman",
                    "is_youth",
                    "is_senior",
                    "is_qpv_resident",
                    "is_rqth",
                    "is_long_term_job_seeker",
                    "is_rsa",
                    "qpv_at_start_id",
                    "end_date",
                    "hours",
                    "training_hours",
                ),
                name="placement_year_region_idx",
            ),
        ),
        migrations.AddIndex(
            model_name="placementyear",
            index=models.Index(
                fields=["department", "year"],
                include=(
                    "placement_id",
                    "beneficiary_id",
                    "contractor_id",
                    "market_id",
                    "buyer_id",
                    "buyer_type",
                    "market_type",
                    "region_id",
                    "epci_id",
                    "mechanism",
                    "counts_training_hours",
                    "modality",
                    "is_woman",
                    "is_youth",
                    "is_senior",
                    "is_qpv_resident",
                    "is_rqth",
                    "is_long_term_job_seeker",
                    "is_rsa",
                    "qpv_at_start_id",
                    "end_date",
                    "hours",
                    "training_hours",
                ),
                name="placement_year_department_idx",
            ),
        ),
        migrations.RunPython(fill_if_empty, migrations.RunPython.noop, elidable=True),
    ]
