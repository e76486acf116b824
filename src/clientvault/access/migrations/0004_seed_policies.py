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
        if Policy.objects.filter(code=p.code).exists():
            continue
        values = snapshot(p)
        Policy.objects.create(code=p.code, version=1, **values)
        Version.objects.create(code=p.code, version=1, snapshot=values, reason="default policy")


class Migration(migrations.Migration):
    dependencies = [("access", "0003_policies")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
