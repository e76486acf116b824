"""The default survivorship rules (issue #14), each as version 1, the version table append-only at the
database, and the approval rules of ``merges.merge`` and ``merges.unmerge``: one compliance officer other
than the maker approves (rule 12; the approvals triggers refuse a decision by the maker).

Idempotent (``core/seeding.py`` runs seeds again after a flush). Values are frozen here.
"""

from __future__ import annotations

from typing import Any

from django.db import migrations
from django.utils.translation import gettext_noop

from clientvault.core.catalogues import AppendOnly

TRUST = ["branch", "partner", "referral", "online", "campaign", "other"]
SURVIVORSHIP: dict[str, tuple[str, list[str], str]] = {
    "name": ("most_trusted_source", TRUST, gettext_noop("The name as recorded by the most trusted source.")),
    "id_number": ("non_null", [], gettext_noop("The survivor's ID number, else the first record that has one (its ID type goes with it).")),
    "birth_date": ("non_null", [], gettext_noop("The survivor's date of birth, else the first known.")),
    "sex": ("non_null", [], gettext_noop("The survivor's value, else the first known.")),
    "mobile": ("most_recent", [], gettext_noop("The mobile of the record updated last.")),
    "email": ("most_recent", [], gettext_noop("The e-mail of the record updated last.")),
    "address": ("most_recent", [], gettext_noop("The address of the record updated last.")),
    "nationality": ("non_null", [], gettext_noop("The survivor's value, else the first known.")),
    "residency": ("most_recent", [], gettext_noop("The residency of the record updated last.")),
    "occupation": ("most_recent", [], gettext_noop("The occupation of the record updated last.")),
    "uscc": ("non_null", [], gettext_noop("The survivor's credit code, else the first known.")),
    "legal_representative": ("most_recent", [], gettext_noop("The legal representative of the record updated last.")),
    "registered_address": ("most_recent", [], gettext_noop("The registered address of the record updated last.")),
    "industry": ("non_null", [], gettext_noop("The survivor's industry, else the first known.")),
    "bank_card": ("most_recent", [], gettext_noop("The bank card of the record updated last.")),
    "status": ("manual", [], gettext_noop("Picked by the person proposing the merge (default: the survivor's).")),
    "source": ("most_trusted_source", TRUST, gettext_noop("The most trusted source among the records.")),
    "custom_data": ("most_complete", [], gettext_noop("The custom fields of the most complete record.")),
}
COMPLIANCE = "compliance_officer"


def _approval_rule(change_type: str, description: str) -> dict[str, Any]:
    return {
        "change_type": change_type,
        "priority": 100,
        "active": True,
        "conditions": {},
        "steps": [{"stage": 1, "roles": [COMPLIANCE], "required": 1}],
        "supervisor_threshold_minor": None,
        "supervisor_roles": [],
        "sla_working_days": 2,
        "escalate_to": [COMPLIANCE],
        "expire_after_days": 30,
        "description": description,
    }


APPROVAL_RULES = {
    "merges-merge": _approval_rule("merges.merge", gettext_noop("A merge of customer records: a compliance officer other than the maker approves.")),
    "merges-unmerge": _approval_rule("merges.unmerge", gettext_noop("Undoing a merge: a compliance officer other than the maker approves.")),
}


def seed(apps: Any, schema_editor: Any) -> None:
    Rule = apps.get_model("merges", "SurvivorshipRule")
    Version = apps.get_model("merges", "SurvivorshipRuleVersion")
    from django.db import connection

    if Rule._meta.db_table not in connection.introspection.table_names():
        return  # re-seeding (core/seeding.py) on a database migrated back before merges existed
    for field, (rule, order, description) in SURVIVORSHIP.items():
        if not Rule.objects.filter(field=field).exists():
            Rule.objects.create(field=field, version=1, rule=rule, source_order=order, description=description)
        if not Version.objects.filter(field=field, version=1).exists():
            snapshot = {"rule": rule, "source_order": order, "description": description}
            Version.objects.create(field=field, version=1, snapshot=snapshot, reason="default (issue #14)")
    Approval = apps.get_model("approvals", "ApprovalRule")
    ApprovalVersion = apps.get_model("approvals", "ApprovalRuleVersion")
    for code, values in APPROVAL_RULES.items():
        if Approval.objects.filter(code=code).exists():
            continue
        Approval.objects.create(code=code, version=1, **values)
        if not ApprovalVersion.objects.filter(code=code, version=1).exists():
            ApprovalVersion.objects.create(code=code, version=1, snapshot=values, reason="default (issue #14)")


class Migration(migrations.Migration):
    dependencies = [("merges", "0001_merges_survivorship_rules"), ("approvals", "0003_rule_changes")]
    operations = [AppendOnly("merges_survivorshipruleversion"), migrations.RunPython(seed, migrations.RunPython.noop)]
