from __future__ import annotations

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("customers", "0010_followup_encrypt_existing")]
    operations = [
        migrations.RemoveField(model_name="followup", name="next_step"),
        migrations.RemoveField(model_name="followup", name="summary"),
    ]
