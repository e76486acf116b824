from __future__ import annotations

import importlib
from typing import Any

from django.db import migrations


def seed(apps: Any, schema_editor: Any) -> None:
    # The consent issue added purposes (partner sharing, cross-border transfer); seeding skips existing rows.
    importlib.import_module("clientvault.access.migrations.0002_seed_purposes").seed(apps, schema_editor)


class Migration(migrations.Migration):
    dependencies = [("access", "0004_seed_policies")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
