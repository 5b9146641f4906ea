import django.core.validators
import django.db.models.functions.text
import django.db.models.lookups
from django.db import migrations, models
from django.db.models.functions import Length, Substr

REJECTION_REASON_MAX_LENGTH = 2000


def shorten_long_reasons(apps, schema_editor):
    """A reason stored before the limit is cut to it, so the constraint can be added.
    The full text stays in the invoice's change history ("Rejection Reason")."""
    ExportItem = apps.get_model("erp_integrations", "ExportItem")
    ExportItem.objects.annotate(reason_length=Length("rejection_reason")).filter(
        reason_length__gt=REJECTION_REASON_MAX_LENGTH
    ).update(rejection_reason=Substr("rejection_reason", 1, REJECTION_REASON_MAX_LENGTH))


class Migration(migrations.Migration):

    dependencies = [
        ('erp_integrations', '0004_more_erp_systems'),
    ]

    operations = [
        migrations.AlterField(
            model_name='exportitem',
            name='rejection_reason',
            field=models.TextField(blank=True, max_length=2000, validators=[django.core.validators.MaxLengthValidator(2000)]),
        ),
        migrations.RunPython(shorten_long_reasons, migrations.RunPython.noop, elidable=True),
        migrations.AddConstraint(
            model_name='exportitem',
            constraint=models.CheckConstraint(condition=django.db.models.lookups.LessThanOrEqual(django.db.models.functions.text.Length('rejection_reason'), 2000), name='export_item_rejection_reason_max_length'),
        ),
    ]
