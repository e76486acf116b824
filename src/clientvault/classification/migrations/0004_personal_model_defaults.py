"""Classify the personal fields held beside the customer record (consents, portal codes, break-glass
reasons: ARCHITECTURE.md rule 11) on databases seeded before they were in the catalogue.

Idempotent, like 0003: a fresh database already has the rows from 0002, and a row the compliance officer
has since changed is left alone. Values are frozen here, not read from the live catalogue.
"""

from __future__ import annotations

from typing import Any

from django.db import migrations


def _v(label_zh: str, label_en: str, category: str, jrt_class: str, sensitive: bool, mask: str) -> dict[str, Any]:
    return {
        "label_zh": label_zh,
        "label_en": label_en,
        "category": category,
        "jrt_class": jrt_class,
        "pipl_sensitive": sensitive,
        "gbt_sensitive": sensitive,
        "mask_profile": mask,
    }


ROWS = {
    "consent.action": _v("同意状态", "Consent state", "behaviour", "C1", False, "none"),
    "consentrecord.guardian_name": _v("监护人姓名", "Guardian's name", "identity", "C2", False, "name"),
    "consentevidence.data": _v("同意书扫描件", "Consent form scan", "identity", "C2", True, "hidden"),
    "consentevidence.filename": _v("同意书文件名", "Consent form file name", "identity", "C1", False, "hidden"),
    "portalcode.identifier": _v("门户登录证件号或手机号", "Portal sign-in identifier", "identity", "C2", True, "hidden"),
    "portalcode.message": _v("门户验证码消息", "Portal sign-in message", "contact", "C2", False, "hidden"),
    "breakglasssession.reason": _v("紧急访问事由", "Break-glass reason", "other", "C1", False, "none"),
}


def seed(apps: Any, schema_editor: Any) -> None:
    Classification = apps.get_model("classification", "FieldClassification")
    Version = apps.get_model("classification", "FieldClassificationVersion")
    for key, values in ROWS.items():
        if Classification.objects.filter(key=key).exists():
            continue
        Classification.objects.create(key=key, version=1, **values)
        if not Version.objects.filter(key=key, version=1).exists():
            Version.objects.create(key=key, version=1, snapshot=values, reason="default (RULES.md §10, ARCHITECTURE.md rule 11)")


class Migration(migrations.Migration):
    dependencies = [("classification", "0003_bank_card_default")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
