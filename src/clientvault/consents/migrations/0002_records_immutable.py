"""Consent records and published notices are never updated (issue #5): the database refuses UPDATE.

A change is a new record; the history is the evidence (PIPL-14/15, GDPR-7). DELETE stays possible for
the retention and erasure engine (PIPL-47), which removes whole customers.
"""

from __future__ import annotations

from typing import Any

from django.db import migrations

TABLES = ("consents_consentrecord", "consents_noticeversion", "consents_consentevidence")


def create(apps: Any, schema_editor: Any) -> None:
    vendor = schema_editor.connection.vendor
    for table in TABLES:
        if vendor == "sqlite":
            schema_editor.execute(
                f"CREATE TRIGGER {table}_no_update BEFORE UPDATE ON {table} "
                f"BEGIN SELECT RAISE(ABORT, '{table} rows are immutable: UPDATE refused'); END"
            )
        elif vendor == "postgresql":
            schema_editor.execute(
                "CREATE OR REPLACE FUNCTION clientvault_refuse_update() RETURNS trigger LANGUAGE plpgsql AS $$ "
                "BEGIN RAISE EXCEPTION '%% rows are immutable: UPDATE refused', TG_TABLE_NAME; END $$"
            )
            schema_editor.execute(
                f"CREATE TRIGGER {table}_no_update BEFORE UPDATE ON {table} FOR EACH ROW EXECUTE FUNCTION clientvault_refuse_update()"
            )


def drop(apps: Any, schema_editor: Any) -> None:
    vendor = schema_editor.connection.vendor
    for table in TABLES:
        if vendor == "sqlite":
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_no_update")
        elif vendor == "postgresql":
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_no_update ON {table}")


class Migration(migrations.Migration):
    dependencies = [("consents", "0001_initial")]
    operations = [migrations.RunPython(create, drop)]
