"""Issue #16: the version tables are append-only at the database, and the tier policy in force is seeded from the
demo scorecard's thresholds (risk/data/demo_tier_policy.json: 538.8 and 585.3 on its PDO scale) with the review
intervals the issue names (high risk every 3 months, medium 6, low 12). Both are data: risk officers change them."""

from __future__ import annotations

from typing import Any

from django.db import migrations

from clientvault.core.catalogues import AppendOnly
from clientvault.core.seeding import tables_exist

DEFAULT = {
    "model_id": "demo-retail-scorecard",
    "high_risk_below": 538.8,
    "low_risk_from": 585.3,
    "review_months_high": 3,
    "review_months_medium": 6,
    "review_months_low": 12,
}


def seed(apps: Any, schema_editor: Any) -> None:
    Policy = apps.get_model("risk", "TierPolicy")
    Version = apps.get_model("risk", "TierPolicyVersion")
    if not tables_exist(Policy, Version):  # a re-seed on a schema migrated back before this app (tests)
        return
    if Policy.objects.filter(code="default").exists():
        return
    Policy.objects.create(code="default", version=1, **DEFAULT)
    Version.objects.create(code="default", version=1, snapshot=DEFAULT, reason="default (issue #16)")


class Migration(migrations.Migration):
    dependencies = [("risk", "0001_initial")]
    operations = [
        AppendOnly("risk_tierpolicyversion"),
        AppendOnly("risk_controlruleversion"),
        migrations.RunPython(seed, migrations.RunPython.noop),
    ]
