"""The purpose and policy versions keep the audit event that recorded them, and the database refuses UPDATE and
DELETE on them (``core/catalogues.py``, issue #12)."""

from django.db import migrations, models

from clientvault.core.catalogues import AppendOnly


class Migration(migrations.Migration):

    dependencies = [
        ('access', '0007_policy_changes'),
    ]

    operations = [
        migrations.AddField(
            model_name='policyversion',
            name='audit_event_id',
            field=models.UUIDField(blank=True, null=True, verbose_name='audit event'),
        ),
        migrations.AddField(
            model_name='purposeversion',
            name='audit_event_id',
            field=models.UUIDField(blank=True, null=True, verbose_name='audit event'),
        ),
        migrations.AlterField(
            model_name='policyversion',
            name='snapshot',
            field=models.JSONField(verbose_name='values'),
        ),
        migrations.AlterField(
            model_name='purposeversion',
            name='snapshot',
            field=models.JSONField(verbose_name='values'),
        ),
        AppendOnly("access_purposeversion", "access_policyversion"),
    ]
