"""The summary copies the age at the placement's start and the person's qualification level (issue 18: the
European Social Fund bands of the yearly report); existing rows are filled from their placement and person."""

from django.db import migrations, models
from django.db.models import OuterRef, Subquery


def fill(apps, schema_editor):
    using = schema_editor.connection.alias
    summary = apps.get_model("reporting", "PlacementYear")
    placement = apps.get_model("beneficiaries", "Placement")
    beneficiary = apps.get_model("beneficiaries", "Beneficiary")
    summary.objects.using(using).update(
        age_at_start=Subquery(placement.objects.filter(pk=OuterRef("placement_id")).values("age_at_start")[:1]),
        qualification_level=Subquery(
            beneficiary.objects.filter(pk=OuterRef("beneficiary_id")).values("qualification_level")[:1]
        ),
    )


class Migration(migrations.Migration):
    dependencies = [
        ("reporting", "0003_export_request"),
        ("beneficiaries", "0006_outcome_result_durable_temp"),
    ]

    operations = [
        migrations.AddField(
            model_name="placementyear",
            name="age_at_start",
            field=models.PositiveSmallIntegerField(blank=True, null=True, verbose_name="âge au début"),
        ),
        migrations.AddField(
            model_name="placementyear",
            name="qualification_level",
            field=models.CharField(blank=True, default="", max_length=15, verbose_name="niveau de qualification"),
        ),
        migrations.RunPython(fill, migrations.RunPython.noop, elidable=True),
    ]
