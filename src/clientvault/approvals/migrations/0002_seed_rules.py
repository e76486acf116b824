"""The default approval rules of issue #13, each as version 1 with its reason; and the field-catalogue keys
of the change request's sealed columns on databases seeded before they existed.

Idempotent (``core/seeding.py`` runs it again after a flush): a rule that exists is left alone. Values are
frozen here, not read from code that may change. Amounts are in minor units (fen): 1,000,000.00 CNY is
100,000,000. ``assets.open`` has no rule: opening an asset needs no approval.
"""

from __future__ import annotations

import importlib
from typing import Any

from django.db import migrations
from django.utils.translation import gettext_noop

COMPLIANCE, MANAGER = "compliance_officer", "sales_manager"


def _rule(change_type: str, steps: list[dict[str, Any]], description: str, **extra: Any) -> dict[str, Any]:
    return {
        "change_type": change_type,
        "priority": 100,
        "active": True,
        "conditions": extra.pop("conditions", {}),
        "steps": steps,
        "supervisor_threshold_minor": extra.pop("supervisor_threshold_minor", None),
        "supervisor_roles": extra.pop("supervisor_roles", []),
        "sla_working_days": 2,
        "escalate_to": extra.pop("escalate_to", [COMPLIANCE]),
        "expire_after_days": 30,
        "description": description,
    }


def _one(role: str) -> list[dict[str, Any]]:
    return [{"stage": 1, "roles": [role], "required": 1}]


RULES = {
    "customers-sensitive-field": _rule(
        "customers.sensitive_field", _one(COMPLIANCE), gettext_noop("A change of a C3 or PIPL-sensitive profile field: one compliance officer approves.")
    ),
    "customers-lower-protection": _rule(
        "customers.lower_protection", _one(COMPLIANCE), gettext_noop("Lowering a record's protection: a second compliance officer approves.")
    ),
    "customers-reassign-owner": _rule(
        "customers.reassign_owner", _one(MANAGER), gettext_noop("A new owner: a sales manager of the department approves."), escalate_to=[MANAGER, COMPLIANCE]
    ),
    "customers-entry-review": _rule("customers.entry_review", _one(COMPLIANCE), gettext_noop("A new customer record: compliance reviews it.")),
    "assets-movement": _rule(
        "assets.movement",
        _one(MANAGER),
        gettext_noop("A movement of 1,000,000.00 (CNY equivalent) or more: a sales manager approves; from 5,000,000.00 compliance re-checks."),
        conditions={"min_amount_minor": 100_000_000},
        supervisor_threshold_minor=500_000_000,
        supervisor_roles=[COMPLIANCE],
        escalate_to=[MANAGER, COMPLIANCE],
    ),
}


def seed(apps: Any, schema_editor: Any) -> None:
    Rule = apps.get_model("approvals", "ApprovalRule")
    Version = apps.get_model("approvals", "ApprovalRuleVersion")
    for code, values in RULES.items():
        if Rule.objects.filter(code=code).exists():
            continue
        Rule.objects.create(code=code, version=1, **values)
        if not Version.objects.filter(code=code, version=1).exists():
            Version.objects.create(code=code, version=1, snapshot=values, reason="default (issue #13)")


def seed_catalogue_keys(apps: Any, schema_editor: Any) -> None:
    # The classification seed is idempotent and reads the code's defaults, which now hold changerequest.*.
    importlib.import_module("clientvault.classification.migrations.0002_seed_defaults").seed(apps, schema_editor)


class Migration(migrations.Migration):
    dependencies = [("approvals", "0001_initial"), ("classification", "0005_versions_append_only")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop), migrations.RunPython(seed_catalogue_keys, migrations.RunPython.noop)]
