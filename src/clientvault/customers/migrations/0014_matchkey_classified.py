"""Issue #14: classify the duplicate-matching keys (``matchkey.digest``) on databases seeded before they were in
the catalogue. Idempotent, like classification 0004/0006. Keys for existing customers are written by
``clientvault matchkeys rebuild`` (a command, resumable: no data migration decrypts every customer)."""

from __future__ import annotations

from typing import Any

from django.db import migrations

ROWS = {
    "matchkey.digest": {
        "label_zh": "查重索引",
        "label_en": "Duplicate-matching key",
        "category": "identity",
        "jrt_class": "C2",
        "pipl_sensitive": True,
        "gbt_sensitive": True,
        "mask_profile": "hidden",
    },
}


def seed(apps: Any, schema_editor: Any) -> None:
    Classification = apps.get_model("classification", "FieldClassification")
    Version = apps.get_model("classification", "FieldClassificationVersion")
    for key, values in ROWS.items():
        if Classification.objects.filter(key=key).exists():
            continue
        Classification.objects.create(key=key, version=1, **values)
        if not Version.objects.filter(key=key, version=1).exists():
            Version.objects.create(key=key, version=1, snapshot=values, reason="default (RULES.md §10, issue #14)")


class Migration(migrations.Migration):
    dependencies = [("customers", "0013_matchkey"), ("classification", "0006_asset_defaults")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
