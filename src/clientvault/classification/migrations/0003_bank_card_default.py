"""Classify the new customer field ``bank_card`` (RULES.md §10) on databases seeded before it existed.

Idempotent: a fresh database already has the row from 0002 (which seeds every current default), and a
row the compliance officer has since changed is left alone. Values are frozen here, not read from the
live catalogue, so later edits to the defaults do not rewrite history.
"""

from __future__ import annotations

from typing import Any

from django.db import migrations

KEY = "customer.bank_card"
VALUES = {
    "label_zh": "银行卡号",
    "label_en": "Bank card number",
    "category": "financial_account",
    "jrt_class": "C2",
    "pipl_sensitive": True,
    "gbt_sensitive": True,
    "mask_profile": "bank_card",
}


def seed(apps: Any, schema_editor: Any) -> None:
    Classification = apps.get_model("classification", "FieldClassification")
    Version = apps.get_model("classification", "FieldClassificationVersion")
    if Classification.objects.filter(key=KEY).exists():
        return
    Classification.objects.create(key=KEY, version=1, **VALUES)
    if not Version.objects.filter(key=KEY, version=1).exists():
        Version.objects.create(key=KEY, version=1, snapshot=VALUES, reason="default (RULES.md §10)")


class Migration(migrations.Migration):
    dependencies = [("classification", "0002_seed_defaults")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
