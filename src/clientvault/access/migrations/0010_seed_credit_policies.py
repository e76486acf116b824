"""Issue #16: the default policies of the new ``credit`` resource for installations seeded before it existed
(a fresh database gets them from 0004). A rule that already exists is left as compliance keeps it."""

from __future__ import annotations

from typing import Any

from django.db import migrations

from clientvault.access.defaults import DEFAULT_POLICIES



def snapshot(p: Any) -> dict[str, Any]:
    return {
        "role": p.role,
        "resource": p.resource,
        "actions": list(p.actions),
        "purposes": list(p.purposes),
        "scope": int(p.scope),
        "max_clear_class": p.max_clear_class,
        "masking": dict(p.masking),
        "description": p.description,
        "active": True,
    }


def seed(apps: Any, schema_editor: Any) -> None:
    Policy = apps.get_model("access", "Policy")
    Version = apps.get_model("access", "PolicyVersion")
    for p in DEFAULT_POLICIES:
        if p.resource != "credit" or Policy.objects.filter(code=p.code).exists():
            continue
        values = snapshot(p)
        Policy.objects.create(code=p.code, version=1, **values)
        if not Version.objects.filter(code=p.code, version=1).exists():
            Version.objects.create(code=p.code, version=1, snapshot=values, reason="issue #16: default policy for credit files")


class Migration(migrations.Migration):
    dependencies = [("access", "0009_seed_asset_policies")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
