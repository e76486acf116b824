"""Issue #5: reps may export their marketing list (only customers with live consent reach it). Existing
installations get the new action on the default rule, as a new version of it — unless compliance had
already changed the rule, which then stays as they left it."""

from __future__ import annotations

from typing import Any

from django.db import migrations


def add_export(apps: Any, schema_editor: Any) -> None:
    Policy = apps.get_model("access", "Policy")
    Version = apps.get_model("access", "PolicyVersion")
    rule = Policy.objects.filter(code="rep-marketing", version=1, actions=["view"]).first()
    if rule is None:
        return
    rule.actions = ["view", "export"]
    rule.description = "Own customers who consented; a rep may export the marketing list."
    rule.version = 2
    rule.save()
    snapshot = {
        "role": rule.role,
        "resource": rule.resource,
        "actions": rule.actions,
        "purposes": rule.purposes,
        "scope": rule.scope,
        "max_clear_class": rule.max_clear_class,
        "masking": rule.masking,
        "description": rule.description,
        "active": rule.active,
    }
    Version.objects.create(code=rule.code, version=2, snapshot=snapshot, reason="issue #5: export of the marketing list")


class Migration(migrations.Migration):
    dependencies = [("access", "0005_seed_consent_purposes")]
    operations = [migrations.RunPython(add_export, migrations.RunPython.noop)]
