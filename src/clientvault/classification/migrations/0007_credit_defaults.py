"""Issue #16: classify the credit-risk fields (RULES.md §10: credit and loan records, credit scores — PIPL-28 and
GB/T 35273 sensitive, JR/T 0171 C2) on databases seeded before they were in the catalogue. Idempotent, like 0006;
values frozen here."""

from __future__ import annotations

from typing import Any

from django.db import migrations

LABELS = {
    "creditfile.tier": ("风险分层", "Risk tier"),
    "creditfile.evaluation": ("信用控制评估", "Credit-control evaluation"),
    "creditlimit.amount": ("信用额度", "Credit limit"),
    "paymentterms.days": ("账期", "Payment terms"),
    "creditscore.score": ("信用评分", "Credit score"),
    "creditscore.record": ("评分明细", "Score details"),
    "credithold.note": ("冻结说明", "Hold note"),
    "creditreview.note": ("复核意见", "Review note"),
    "earlywarning.evidence": ("预警证据", "Warning evidence"),
}


def seed(apps: Any, schema_editor: Any) -> None:
    Classification = apps.get_model("classification", "FieldClassification")
    Version = apps.get_model("classification", "FieldClassificationVersion")
    for key, (label_zh, label_en) in LABELS.items():
        if Classification.objects.filter(key=key).exists():
            continue
        values = {
            "label_zh": label_zh,
            "label_en": label_en,
            "category": "credit",
            "jrt_class": "C2",
            "pipl_sensitive": True,
            "gbt_sensitive": True,
            "mask_profile": "hidden",
        }
        Classification.objects.create(key=key, version=1, **values)
        if not Version.objects.filter(key=key, version=1).exists():
            Version.objects.create(key=key, version=1, snapshot=values, reason="default (RULES.md §10, issue #16)")


class Migration(migrations.Migration):
    dependencies = [("classification", "0006_asset_defaults")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
