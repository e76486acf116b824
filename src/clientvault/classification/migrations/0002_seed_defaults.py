from __future__ import annotations

from typing import Any

from django.db import migrations

from clientvault.classification.catalogue import DEFAULTS

FIELDS = ("label_zh", "label_en", "category", "jrt_class", "pipl_sensitive", "gbt_sensitive", "mask_profile")


def seed(apps: Any, schema_editor: Any) -> None:
    """Defaults from RULES.md §10, each as version 1 with its reason."""
    Classification = apps.get_model("classification", "FieldClassification")
    Version = apps.get_model("classification", "FieldClassificationVersion")
    for d in DEFAULTS:
        if Classification.objects.filter(key=d.key).exists():
            continue
        values = {f: getattr(d, f) for f in FIELDS}
        Classification.objects.create(key=d.key, version=1, **values)
        Version.objects.create(key=d.key, version=1, snapshot=values, reason="default (RULES.md §10)")


class Migration(migrations.Migration):
    dependencies = [("classification", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
