"""Set ``minor_until`` for customers who existed before consent enforcement (issue #5, PIPL-31).

Birth dates are encrypted: each is opened with its customer's key (migrated before the data database, as
in 0003) and only children get a date; a destroyed key (an erased customer) is skipped.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import migrations


def backfill(apps: Any, schema_editor: Any) -> None:
    from clientvault.consents.rules import stored_minor_until
    from clientvault.core import clock
    from clientvault.crypto import keystore
    from clientvault.customers import vault

    Customer = apps.get_model("customers", "Customer")
    today = clock.today()
    # A data migration acts for no one: the plain base manager (the default one refuses unscoped queries).
    rows = Customer._base_manager.filter(kind="individual", minor_until__isnull=True).exclude(birth_date_ct=b"")
    for customer in rows.iterator(chunk_size=500):
        try:
            born = vault.unseal(customer, ("birth_date",))["birth_date"]
        except keystore.KeyDestroyed:
            continue
        until = stored_minor_until(born, today, settings.CLIENTVAULT_CONSENT_CHILD_AGE)
        if until is not None:
            customer.minor_until = until
            customer.save(update_fields=["minor_until"])


class Migration(migrations.Migration):
    dependencies = [("customers", "0007_customer_minor_until"), ("crypto", "0001_initial")]
    operations = [migrations.RunPython(backfill, migrations.RunPython.noop)]
