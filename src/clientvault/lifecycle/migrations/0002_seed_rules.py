"""The retention rules of RULES.md, each as version 1 (lifecycle/defaults.py), the version table append-only
at the database, and the approval rule of ``lifecycle.erase`` (a deletion on request: a compliance officer
other than the maker approves, rule 12). Idempotent (``core/seeding.py`` runs ``seed`` again after a flush)."""

from __future__ import annotations

from typing import Any

from django.db import migrations
from django.utils.translation import gettext_noop

from clientvault.core.catalogues import AppendOnly

COMPLIANCE = "compliance_officer"
ERASE_RULE = {
    "change_type": "lifecycle.erase",
    "priority": 100,
    "active": True,
    "conditions": {},
    "steps": [{"stage": 1, "roles": [COMPLIANCE], "required": 1}],
    "supervisor_threshold_minor": None,
    "supervisor_roles": [],
    "sla_working_days": 2,
    "escalate_to": [COMPLIANCE],
    "expire_after_days": 30,
    "description": gettext_noop("Erasing a customer on request (PIPL-47): a compliance officer other than the maker approves."),
}
EDITABLE = ("category", "purpose", "legal_basis", "period_months", "start_event", "end_action", "citation", "description")


def seed(apps: Any, schema_editor: Any) -> None:
    from django.db import connection

    from clientvault.lifecycle.defaults import rows

    rule_model = apps.get_model("lifecycle", "RetentionRule")
    version_model = apps.get_model("lifecycle", "RetentionRuleVersion")
    if rule_model._meta.db_table not in connection.introspection.table_names():
        return  # re-seeding on a database migrated back before lifecycle existed
    for row in rows():
        if not rule_model.objects.filter(code=row["code"]).exists():
            rule_model.objects.create(version=1, **row)
        if not version_model.objects.filter(code=row["code"], version=1).exists():
            version_model.objects.create(code=row["code"], version=1, snapshot={k: row[k] for k in EDITABLE}, reason="RULES.md (issue #15)")
    approval = apps.get_model("approvals", "ApprovalRule")
    approval_version = apps.get_model("approvals", "ApprovalRuleVersion")
    if not approval.objects.filter(code="lifecycle-erase").exists():
        approval.objects.create(code="lifecycle-erase", version=1, **ERASE_RULE)
    if not approval_version.objects.filter(code="lifecycle-erase", version=1).exists():
        approval_version.objects.create(code="lifecycle-erase", version=1, snapshot=ERASE_RULE, reason="default (issue #15)")


class Migration(migrations.Migration):
    dependencies = [("lifecycle", "0001_initial"), ("approvals", "0003_rule_changes")]

    operations = [AppendOnly("lifecycle_retentionruleversion"), migrations.RunPython(seed, migrations.RunPython.noop)]
