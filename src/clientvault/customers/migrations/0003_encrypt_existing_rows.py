"""Encrypt every existing customer's personal data with their own key (issue #3).

The key store is migrated before the data database (`clientvault migrate`), so keys can be made here.
"""

from __future__ import annotations

from typing import Any

from django.db import migrations

PLAIN_TO_SEAL = (
    "name", "id_number", "birth_date", "sex", "mobile", "email", "address", "occupation",
    "uscc", "legal_representative", "registered_address", "custom_data",
)  # fmt: skip
# Frozen: the blind indexes that existed at this migration (later ones, e.g. bank_card, are not columns yet).
INDEXED = ("name", "id_number", "mobile", "email", "uscc")


def encrypt_existing(apps: Any, schema_editor: Any) -> None:
    from clientvault.customers import vault

    Customer = apps.get_model("customers", "Customer")
    # A data migration acts for no one: the plain base manager (the default one refuses unscoped queries).
    for customer in Customer._base_manager.all().iterator(chunk_size=500):
        vault.seal(customer, {field: getattr(customer, field) for field in PLAIN_TO_SEAL})
        customer.save(update_fields=[f"{f}_ct" for f in PLAIN_TO_SEAL] + [f"{f}_bidx" for f in INDEXED])


class Migration(migrations.Migration):
    dependencies = [
        ("customers", "0002_encrypt_personal_data"),
        ("crypto", "0001_initial"),
    ]
    operations = [migrations.RunPython(encrypt_existing, migrations.RunPython.noop)]
