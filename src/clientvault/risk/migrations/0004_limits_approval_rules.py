"""The approval rules of the credit-risk change types (issue #16, slice "limits"), each as version 1 with its reason.

Amount bands are rule data (``conditions``), not code: a limit up to CNY 1,000,000.00 (100,000,000 fen, in the base
currency) is approved by another risk officer; above it a risk officer and then a compliance officer. Lengthening
payment terms needs another risk officer; releasing a forced hold another risk officer or a compliance officer
(rule 12: maker ≠ checker, and the person who placed the hold does not decide, ``risk/change_types.py``).

Idempotent (``core/seeding.py`` runs it again after a flush): a rule that exists is left alone. Values are frozen here.
"""

from __future__ import annotations

from typing import Any

from django.db import migrations
from django.utils.translation import gettext_noop

RISK, COMPLIANCE = "risk_officer", "compliance_officer"
BAND = 100_000_001  # amounts up to and including CNY 1,000,000.00 are the small band (max_amount_minor is exclusive)


def _rule(change_type: str, steps: list[dict[str, Any]], description: str, conditions: dict[str, Any] | None = None) -> dict[str, Any]:
    return {
        "change_type": change_type,
        "priority": 100,
        "active": True,
        "conditions": conditions or {},
        "steps": steps,
        "supervisor_threshold_minor": None,
        "supervisor_roles": [],
        "sla_working_days": 2,
        "escalate_to": [COMPLIANCE],
        "expire_after_days": 30,
        "description": description,
    }


RULES = {
    "risk-limit-standard": _rule(
        "risk.limit",
        [{"stage": 1, "roles": [RISK], "required": 1}],
        gettext_noop("A credit limit up to CNY 1,000,000.00: another risk officer approves."),
        {"max_amount_minor": BAND},
    ),
    "risk-limit-large": _rule(
        "risk.limit",
        [{"stage": 1, "roles": [RISK], "required": 1}, {"stage": 2, "roles": [COMPLIANCE], "required": 1}],
        gettext_noop("A credit limit above CNY 1,000,000.00: another risk officer, then a compliance officer approves."),
        {"min_amount_minor": BAND},
    ),
    "risk-terms-lengthen": _rule(
        "risk.terms", [{"stage": 1, "roles": [RISK], "required": 1}], gettext_noop("Longer payment terms: another risk officer approves.")
    ),
    "risk-hold-release": _rule(
        "risk.hold_release",
        [{"stage": 1, "roles": [RISK, COMPLIANCE], "required": 1}],
        gettext_noop("Releasing a forced credit hold: a risk or compliance officer other than the maker and the placer approves."),
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
            Version.objects.create(code=code, version=1, snapshot=values, reason="default (issue #16)")


class Migration(migrations.Migration):
    dependencies = [("risk", "0003_files_control_rules"), ("approvals", "0003_rule_changes")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
