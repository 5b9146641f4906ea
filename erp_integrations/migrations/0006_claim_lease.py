from datetime import timedelta

from django.db import migrations, models
from django.db.models import F


def expire_claims_after_the_old_lease(apps, schema_editor):
    """A claim taken before the claim's own expiry was recorded lasted the old lease of
    300 seconds from its start."""
    ExportItem = apps.get_model("erp_integrations", "ExportItem")
    ExportItem.objects.filter(export_started_at__isnull=False).update(
        claim_expires_at=F("export_started_at") + timedelta(seconds=300)
    )


class Migration(migrations.Migration):
    dependencies = [
        ("erp_integrations", "0005_rejection_reason_max_length"),
    ]

    operations = [
        migrations.AddField(
            model_name="exportitem",
            name="claim_expires_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="exportitem",
            name="claimed_by",
            field=models.CharField(blank=True, max_length=64),
        ),
        migrations.AddIndex(
            model_name="exportitem",
            index=models.Index(fields=["claim_expires_at"], name="export_item_claim_expiry"),
        ),
        migrations.RunPython(expire_claims_after_the_old_lease, migrations.RunPython.noop),
    ]
