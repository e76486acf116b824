"""Issue #16: the catalogue of credit-control rules in force by default (data, versioned: rule 9). Each rule is a
measure the engine knows (``risk/control.py``), its thresholds as parameters, an action and the checkpoints it
acts at. Risk officers change them; every change is a new version with its reason."""

from __future__ import annotations

from typing import Any

from django.db import migrations
from django.utils.translation import gettext_noop

from clientvault.core.seeding import tables_exist

REASON = "default (issue #16)"
NEW, DRAW, TERMS, EVAL = "new_credit", "drawdown", "terms_change", "evaluation"

RULES: list[dict[str, Any]] = [
    {
        "code": "exposure-over-limit",
        "measure": "exposure_over_limit",
        "params": {"ratio": 1.0},
        "action": "block",
        "checkpoints": [NEW, DRAW],
        "description": gettext_noop("A new loan or drawdown that would take the exposure past the effective limit is refused."),
    },
    {
        "code": "exposure-over-limit-hold",
        "measure": "exposure_over_limit",
        "params": {"ratio": 1.0},
        "action": "hold",
        "checkpoints": [EVAL],
        "description": gettext_noop("An exposure past the effective limit holds the file until it is back within it."),
    },
    {
        "code": "utilisation-warning",
        "measure": "utilisation",
        "params": {"at": 0.8},
        "action": "warn",
        "checkpoints": [NEW, DRAW, EVAL],
        "description": gettext_noop("Utilisation of the effective limit at or above the threshold."),
    },
    {
        "code": "days-overdue",
        "measure": "days_overdue",
        "params": {"at": 30},
        "action": "hold",
        "checkpoints": [EVAL],
        "description": gettext_noop("An instalment unpaid for at least the given number of days."),
    },
    {
        "code": "overdue-ratio",
        "measure": "overdue_ratio",
        "params": {"at": 0.1},
        "action": "hold",
        "checkpoints": [EVAL],
        "description": gettext_noop("The overdue amount is at least the given share of the exposure."),
    },
    {
        "code": "limit-expired",
        "measure": "limit_expired",
        "params": {},
        "action": "block",
        "checkpoints": [NEW, DRAW, TERMS],
        "description": gettext_noop("A limit lapsed while exposure remains and no valid limit replaced it."),
    },
    {
        "code": "review-overdue",
        "measure": "review_overdue",
        "params": {},
        "action": "hold",
        "checkpoints": [EVAL],
        "description": gettext_noop("The periodic review is past its date."),
    },
    {
        "code": "hold-in-force",
        "measure": "hold_in_force",
        "params": {"forced_only": False},
        "action": "block",
        "checkpoints": [NEW, DRAW, TERMS],
        "description": gettext_noop("A credit hold in force blocks new credit, drawdowns and longer payment terms."),
    },
    {
        "code": "terms-over-tier-max",
        "measure": "terms_over_tier_max",
        "params": {"max_days": {"high": 30, "medium": 60, "low": 90, "": 30}},
        "action": "block",
        "checkpoints": [TERMS],
        "description": gettext_noop("Payment terms longer than the tier allows."),
    },
    {
        "code": "tier-policy-high",
        "measure": "tier_policy",
        "params": {"tiers": ["high"]},
        "action": "block",
        "checkpoints": [NEW],
        "description": gettext_noop("No new credit for a high-risk tier."),
    },
    {
        "code": "temporary-limit-expiring",
        "measure": "temporary_limit_expiring",
        "params": {"days": 14},
        "action": "warn",
        "checkpoints": [EVAL],
        "description": gettext_noop("A temporary limit in force ends within the given number of days."),
    },
    {
        "code": "collateral-advance",
        "measure": "collateral_advance",
        "params": {"advance_rate": 0.5},
        "action": "warn",
        "checkpoints": [NEW, DRAW, TERMS, EVAL],
        "description": gettext_noop("Collateral raises the effective limit by its amount times the advance rate (never fires)."),
    },
]
EDITABLE = ("measure", "params", "action", "checkpoints", "active", "citation", "description")


def seed(apps: Any, schema_editor: Any) -> None:
    Rule = apps.get_model("risk", "ControlRule")
    Version = apps.get_model("risk", "ControlRuleVersion")
    if not tables_exist(Rule, Version):  # a re-seed on a schema migrated back before this app (tests)
        return
    for values in RULES:
        if Rule.objects.filter(code=values["code"]).exists():
            continue
        row = Rule.objects.create(version=1, active=True, citation="", **values)
        Version.objects.create(code=row.code, version=1, snapshot={f: getattr(row, f) for f in EDITABLE}, reason=REASON)


class Migration(migrations.Migration):
    dependencies = [("risk", "0002_seed_tier_policy")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
