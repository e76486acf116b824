"""The ledger's database-held invariants (``assets/triggers.py``) on SQLite and PostgreSQL."""

from django.db import migrations
from django.db.backends.base.schema import BaseDatabaseSchemaEditor
from django.db.migrations.state import StateApps

from clientvault.assets import triggers


def _run(schema_editor: BaseDatabaseSchemaEditor, statements: list[str]) -> None:
    for statement in statements:
        schema_editor.execute(statement, params=None)  # no placeholders: function bodies use % themselves


def create(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    vendor = schema_editor.connection.vendor
    if vendor == "sqlite":
        _run(schema_editor, triggers.sqlite_statements())
    elif vendor == "postgresql":
        _run(schema_editor, triggers.postgresql_statements())


def drop(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    vendor = schema_editor.connection.vendor
    if vendor == "sqlite":
        _run(schema_editor, triggers.sqlite_drop_statements())
    elif vendor == "postgresql":
        _run(schema_editor, triggers.postgresql_drop_statements())


class Migration(migrations.Migration):
    dependencies = [("assets", "0001_ledger"), ("audit", "0003_append_only")]

    operations = [migrations.RunPython(create, drop, elidable=False)]
