"""The classification versions keep the audit event that recorded them, and the database refuses UPDATE and
DELETE on them (``core/catalogues.py``, issue #12)."""

from django.db import migrations, models

from clientvault.core.catalogues import AppendOnly


class Migration(migrations.Migration):

    dependencies = [
        ('classification', '0004_personal_model_defaults'),
    ]

    operations = [
        migrations.AddField(
            model_name='fieldclassificationversion',
            name='audit_event_id',
            field=models.UUIDField(blank=True, null=True, verbose_name='audit event'),
        ),
        migrations.AlterField(
            model_name='fieldclassificationversion',
            name='snapshot',
            field=models.JSONField(verbose_name='values'),
        ),
        AppendOnly("classification_fieldclassificationversion"),
    ]
