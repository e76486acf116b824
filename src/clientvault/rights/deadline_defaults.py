"""The deadline policies a new installation starts with (RULES.md; [M] values are editable data, not law).

``seed(apps, schema_editor)`` is idempotent and listed in ``core/seeding.py`` (re-run after a flush and by the
demo); ``rights.requests`` also seeds on first use, so an installation never runs without them.
"""

from __future__ import annotations

from typing import Any

ONLINE = ("portal", "email", "api")
OFFLINE = ("counter", "phone", "letter")
CHANNELS = ONLINE + OFFLINE

# (jurisdiction, channel) -> unit, amount, outer limit (calendar days), extension months, notify within months, source
DEFAULTS: dict[tuple[str, str], tuple[str, int, int | None, int, int, str]] = {
    # APP-15WD / PIPL-44-48: 15 working days on online channels, 30 days outer limit (GBT35273-8.7).
    **{("CN", c): ("working_days", 15, 30, 0, 0, "PIPL-44-48; APP-15WD; GBT35273-8.7") for c in ONLINE},
    # GBT35273-8.7: 30 days [M] at the counter, by phone or letter.
    **{("CN", c): ("calendar_days", 30, 30, 0, 0, "PIPL-44-48; GBT35273-8.7 [M]") for c in OFFLINE},
    # GDPR-12: one month, extendable by two if told within the first month.
    **{("EU", c): ("months", 1, None, 2, 1, "GDPR-12") for c in CHANNELS},
}


def seed(apps: Any, schema_editor: Any) -> None:
    Policy = apps.get_model("rights", "DeadlinePolicy")
    from django.db import connection

    if Policy._meta.db_table not in connection.introspection.table_names():
        return
    for (jurisdiction, channel), (unit, amount, outer, ext, notify, source) in DEFAULTS.items():
        if Policy.objects.filter(jurisdiction=jurisdiction, channel=channel).exists():
            continue
        Policy.objects.create(
            jurisdiction=jurisdiction,
            channel=channel,
            version=1,
            unit=unit,
            amount=amount,
            outer_limit_days=outer,
            extension_months=ext,
            notify_extension_within_months=notify,
            source=source,
        )
