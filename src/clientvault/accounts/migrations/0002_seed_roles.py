from __future__ import annotations

from typing import Any

from django.db import migrations

ROLES = [
    ("administrator", "系统管理员", "Administrator", "Users, roles, policies, keys, retention — no default sight of customer data."),
    ("compliance_officer", "合规专员", "Compliance officer", "Consents, classifications, approvals, alerts, audits, rights requests."),
    ("auditor", "审计员", "Auditor", "Read-only: audit trail, evidence packs, verification."),
    ("risk_officer", "风控专员", "Risk officer", "Credit files, scores, early warnings, credit holds."),
    ("sales_manager", "销售主管", "Sales manager", "Sees the team's customers, approves changes, reassigns on departure."),
    ("sales_rep", "客户经理", "Sales rep", "Owns customers, records follow-ups, requests changes and transfers."),
]


def seed(apps: Any, schema_editor: Any) -> None:
    Role = apps.get_model("accounts", "Role")
    for code, zh, en, description in ROLES:
        Role.objects.update_or_create(code=code, defaults={"name_zh": zh, "name_en": en, "description": description})


class Migration(migrations.Migration):
    dependencies = [("accounts", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
