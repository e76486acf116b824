from __future__ import annotations

from typing import Any

from django.db import migrations

from clientvault.access.purposes import DEFAULT_PURPOSES

FIELDS = ("name_zh", "name_en", "legal_basis", "needs_consent", "description")


def seed(apps: Any, schema_editor: Any) -> None:
    Purpose = apps.get_model("access", "Purpose")
    Version = apps.get_model("access", "PurposeVersion")
    for p in DEFAULT_PURPOSES:
        if Purpose.objects.filter(code=p.code).exists():
            continue
        values = {f: getattr(p, f) for f in FIELDS}
        Purpose.objects.create(code=p.code, version=1, active=True, **values)
        Version.objects.create(code=p.code, version=1, snapshot={**values, "active": True}, reason="default purpose")


class Migration(migrations.Migration):
    dependencies = [("access", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
