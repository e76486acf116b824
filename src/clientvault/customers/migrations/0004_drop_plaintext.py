from __future__ import annotations

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("customers", "0003_encrypt_existing_rows")]
    operations = [
        migrations.RemoveConstraint(
            model_name='customer',
            name='customer_fields_match_kind',
        ),
        migrations.RemoveConstraint(
            model_name='customer',
            name='customer_unique_id_number',
        ),
        migrations.RemoveConstraint(
            model_name='customer',
            name='customer_unique_uscc',
        ),
        migrations.RemoveIndex(
            model_name='customer',
            name='customer_name',
        ),
        migrations.RemoveIndex(
            model_name='customer',
            name='customer_mobile',
        ),
        migrations.RemoveIndex(
            model_name='customer',
            name='customer_email',
        ),
        migrations.RemoveField(
            model_name='customer',
            name='address',
        ),
        migrations.RemoveField(
            model_name='customer',
            name='birth_date',
        ),
        migrations.RemoveField(
            model_name='customer',
            name='custom_data',
        ),
        migrations.RemoveField(
            model_name='customer',
            name='email',
        ),
        migrations.RemoveField(
            model_name='customer',
            name='id_number',
        ),
        migrations.RemoveField(
            model_name='customer',
            name='legal_representative',
        ),
        migrations.RemoveField(
            model_name='customer',
            name='mobile',
        ),
        migrations.RemoveField(
            model_name='customer',
            name='name',
        ),
        migrations.RemoveField(
            model_name='customer',
            name='occupation',
        ),
        migrations.RemoveField(
            model_name='customer',
            name='registered_address',
        ),
        migrations.RemoveField(
            model_name='customer',
            name='sex',
        ),
        migrations.RemoveField(
            model_name='customer',
            name='uscc',
        ),
        migrations.AddIndex(
            model_name='customer',
            index=models.Index(fields=['name_bidx'], name='customer_name_bidx'),
        ),
        migrations.AddIndex(
            model_name='customer',
            index=models.Index(fields=['mobile_bidx'], name='customer_mobile_bidx'),
        ),
        migrations.AddIndex(
            model_name='customer',
            index=models.Index(fields=['email_bidx'], name='customer_email_bidx'),
        ),
        migrations.AddConstraint(
            model_name='customer',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('kind', 'individual'), ('uscc_bidx', b'')), models.Q(('id_number_bidx', b''), ('kind', 'organisation'), ('mobile_bidx', b'')), _connector='OR'), name='customer_fields_match_kind_v2'),
        ),
        migrations.AddConstraint(
            model_name='customer',
            constraint=models.UniqueConstraint(condition=models.Q(('id_number_bidx', b''), _negated=True), fields=('legal_entity', 'id_type', 'id_number_bidx'), name='customer_unique_id_number_v2'),
        ),
        migrations.AddConstraint(
            model_name='customer',
            constraint=models.UniqueConstraint(condition=models.Q(('uscc_bidx', b''), _negated=True), fields=('legal_entity', 'uscc_bidx'), name='customer_unique_uscc_v2'),
        ),
    ]
