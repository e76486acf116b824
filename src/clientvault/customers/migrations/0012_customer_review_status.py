"""Review on entry (issue #13): customers stored before it were entered under the old rules and count as
approved; a row written from now on without a decision is pending (the model's default, fail closed)."""

from __future__ import annotations

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("customers", "0011_followup_drop_plaintext")]
    operations = [
        migrations.AddField(
            model_name="customer",
            name="review_status",
            field=models.CharField(
                choices=[("pending", "Pending review"), ("approved", "Approved"), ("rejected", "Rejected at review")],
                default="approved",
                max_length=10,
                verbose_name="entry review",
            ),
        ),
        migrations.AlterField(
            model_name="customer",
            name="review_status",
            field=models.CharField(
                choices=[("pending", "Pending review"), ("approved", "Approved"), ("rejected", "Rejected at review")],
                default="pending",
                max_length=10,
                verbose_name="entry review",
            ),
        ),
    ]
