"""Triggers that refuse UPDATE and DELETE on the audit tables (see ``audit/append_only.py``)."""

from django.db import migrations
from django.db.backends.base.schema import BaseDatabaseSchemaEditor
from django.db.migrations.state import StateApps

from clientvault.audit import append_only


def _run(schema_editor: BaseDatabaseSchemaEditor, statements: list[str]) -> None:
    for statement in statements:
        schema_editor.execute(statement, params=None)  # no placeholders: the function body uses % itself


def create(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    vendor = schema_editor.connection.vendor
    if vendor == "sqlite":
        _run(schema_editor, append_only.sqlite_statements(append_only.TABLES_0003))
    elif vendor == "postgresql":
        _run(schema_editor, append_only.postgresql_statements(append_only.TABLES_0003))


def drop(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    vendor = schema_editor.connection.vendor
    if vendor == "sqlite":
        _run(schema_editor, append_only.sqlite_drop_statements(append_only.TABLES_0003))
    elif vendor == "postgresql":
        _run(schema_editor, append_only.postgresql_drop_statements(append_only.TABLES_0003))


class Migration(migrations.Migration):
    dependencies = [("audit", "0002_sealing")]

    operations = [migrations.RunPython(create, drop, elidable=False)]
