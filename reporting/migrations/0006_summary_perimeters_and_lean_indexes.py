"""Issue 19: the structure perimeter copied on the summary rows (`facilitator`, `structure`), indexes led by each
perimeter instead of 22 partly duplicated ones, and autovacuum thresholds for the table on PostgreSQL.

The two new columns of existing rows are filled from the placements (one UPDATE each), then made mandatory. On
an upgraded database whose summary is still empty, `fill_if_empty` fills it here (0002 waits for the columns).
"""

import django.db.models.deletion
from django.db import migrations, models

from reporting.summary import fill_if_empty, fill_structures, set_autovacuum, unset_autovacuum


class Migration(migrations.Migration):
    dependencies = [
        ("beneficiaries", "0005_hours_source_company"),
        ("markets", "0004_decp_market"),
        ("organisations", "0002_declaration_deadline_day"),
        ("reporting", "0005_published_report"),
        ("territories", "0002_qpv_official_outline"),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name="placementyear",
            name="placement_year_year_lot_idx",
        ),
        migrations.RemoveIndex(
            model_name="placementyear",
            name="placement_year_lot_idx",
        ),
        migrations.RemoveIndex(
            model_name="placementyear",
            name="placement_year_region_idx",
        ),
        migrations.AddField(
            model_name="placementyear",
            name="facilitator",
            field=models.ForeignKey(
                db_constraint=False,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.DO_NOTHING,
                related_name="+",
                to="organisations.organisation",
                verbose_name="structure de facilitation du marché",
            ),
        ),
        migrations.AddField(
            model_name="placementyear",
            name="structure",
            field=models.ForeignKey(
                db_constraint=False,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.DO_NOTHING,
                related_name="+",
                to="organisations.organisation",
                verbose_name="structure qui accompagne la personne",
            ),
        ),
        migrations.AlterField(
            model_name="placementyear",
            name="beneficiary",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="+",
                to="beneficiaries.beneficiary",
                verbose_name="participant·e",
            ),
        ),
        migrations.AlterField(
            model_name="placementyear",
            name="buyer",
            field=models.ForeignKey(
                db_constraint=False,
                db_index=False,
                on_delete=django.db.models.deletion.DO_NOTHING,
                related_name="+",
                to="organisations.organisation",
                verbose_name="acheteur",
            ),
        ),
        migrations.AlterField(
            model_name="placementyear",
            name="contractor",
            field=models.ForeignKey(
                db_constraint=False,
                db_index=False,
                on_delete=django.db.models.deletion.DO_NOTHING,
                related_name="+",
                to="organisations.organisation",
                verbose_name="titulaire",
            ),
        ),
        migrations.AlterField(
            model_name="placementyear",
            name="department",
            field=models.ForeignKey(
                db_constraint=False,
                db_index=False,
                on_delete=django.db.models.deletion.DO_NOTHING,
                related_name="+",
                to="territories.department",
            ),
        ),
        migrations.AlterField(
            model_name="placementyear",
            name="epci",
            field=models.ForeignKey(
                db_constraint=False,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.DO_NOTHING,
                related_name="+",
                to="territories.epci",
            ),
        ),
        migrations.AlterField(
            model_name="placementyear",
            name="lot",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="+",
                to="markets.lot",
                verbose_name="lot",
            ),
        ),
        migrations.AlterField(
            model_name="placementyear",
            name="market",
            field=models.ForeignKey(
                db_constraint=False,
                db_index=False,
                on_delete=django.db.models.deletion.DO_NOTHING,
                related_name="+",
                to="markets.market",
                verbose_name="marché",
            ),
        ),
        migrations.AlterField(
            model_name="placementyear",
            name="placement",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="+",
                to="beneficiaries.placement",
                verbose_name="contrat / mission",
            ),
        ),
        migrations.AlterField(
            model_name="placementyear",
            name="qpv_at_start",
            field=models.ForeignKey(
                blank=True,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="+",
                to="territories.qpv",
                verbose_name="QPV de résidence au début",
            ),
        ),
        migrations.AlterField(
            model_name="placementyear",
            name="region",
            field=models.ForeignKey(
                db_constraint=False,
                db_index=False,
                on_delete=django.db.models.deletion.DO_NOTHING,
                related_name="+",
                to="territories.region",
            ),
        ),
        migrations.RunPython(fill_structures, migrations.RunPython.noop, elidable=True),
        migrations.AlterField(
            model_name="placementyear",
            name="facilitator",
            field=models.ForeignKey(
                db_constraint=False,
                db_index=False,
                on_delete=django.db.models.deletion.DO_NOTHING,
                related_name="+",
                to="organisations.organisation",
                verbose_name="structure de facilitation du marché",
            ),
        ),
        migrations.AlterField(
            model_name="placementyear",
            name="structure",
            field=models.ForeignKey(
                db_constraint=False,
                db_index=False,
                on_delete=django.db.models.deletion.DO_NOTHING,
                related_name="+",
                to="organisations.organisation",
                verbose_name="structure qui accompagne la personne",
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
                    "hours",
                    "training_hours",
                ),
                name="placement_year_department_idx",
            ),
        ),
        migrations.AddIndex(
            model_name="placementyear",
            index=models.Index(fields=["facilitator", "year"], name="placement_year_facilitator_idx"),
        ),
        migrations.AddIndex(
            model_name="placementyear",
            index=models.Index(fields=["structure", "year"], name="placement_year_structure_idx"),
        ),
        migrations.AddIndex(
            model_name="placementyear",
            index=models.Index(fields=["lot", "year"], name="placement_year_lot_idx"),
        ),
        migrations.AddIndex(
            model_name="placementyear",
            index=models.Index(fields=["beneficiary"], name="placement_year_beneficiary_idx"),
        ),
        migrations.AddIndex(
            model_name="placementyear",
            index=models.Index(fields=["qpv_at_start"], name="placement_year_qpv_idx"),
        ),
        migrations.RunPython(fill_if_empty, migrations.RunPython.noop, elidable=True),
        migrations.RunPython(set_autovacuum, unset_autovacuum),
    ]
