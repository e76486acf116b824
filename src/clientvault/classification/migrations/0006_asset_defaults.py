"""Issue #13: classify the asset fields (``asset.identifier``, ``asset.balance``; RULES.md §10 account number
and account balance rows) on databases seeded before they were in the catalogue. Idempotent, like 0004."""

from __future__ import annotations

from typing import Any

from django.db import migrations

ROWS = {
    "asset.identifier": {
        "label_zh": "账户/保单/合同号",
        "label_en": "Account number",
        "category": "financial_account",
        "jrt_class": "C2",
        "pipl_sensitive": True,
        "gbt_sensitive": True,
        "mask_profile": "bank_card",
    },
    "asset.balance": {
        "label_zh": "余额",
        "label_en": "Balance",
        "category": "property",
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
            Version.objects.create(key=key, version=1, snapshot=values, reason="default (RULES.md §10, issue #13)")


class Migration(migrations.Migration):
    dependencies = [("classification", "0005_versions_append_only")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
