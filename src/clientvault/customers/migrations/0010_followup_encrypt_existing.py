"""Encrypt every existing follow-up's summary and next step under its customer's key (issue #11).

Like 0003 did for the customer's own fields: the key store is migrated before the data database, so a
missing key can be made here. A customer whose key was already shredded keeps nothing: their follow-ups'
text is erased with the key, as it would have been had it been sealed from the start.
"""

from __future__ import annotations

from typing import Any

from django.db import migrations


def encrypt_existing(apps: Any, schema_editor: Any) -> None:
    from clientvault.crypto import keystore
    from clientvault.customers import vault

    FollowUp = apps.get_model("customers", "FollowUp")
    for followup in FollowUp.objects.all().iterator(chunk_size=500):
        try:
            keystore.create_customer_key(followup.customer_id)
            vault.seal_followup(followup, {"summary": followup.summary, "next_step": followup.next_step})
        except keystore.KeyDestroyed:
            followup.summary_ct, followup.next_step_ct = b"", b""
        followup.save(update_fields=["summary_ct", "next_step_ct"])


class Migration(migrations.Migration):
    dependencies = [
        ("customers", "0009_followup_encrypted_columns"),
        ("crypto", "0001_initial"),
    ]
    operations = [migrations.RunPython(encrypt_existing, migrations.RunPython.noop)]
