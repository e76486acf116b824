"""Interior nodes of the audit tree (issue #12): insert-only, like the other audit tables.

Existing logs get their nodes from ``clientvault audit backfill-nodes``; until then inclusion proofs
rebuild the tree from the leaves as before.
"""

from django.db import migrations, models
from django.db.backends.base.schema import BaseDatabaseSchemaEditor
from django.db.migrations.state import StateApps

from clientvault.audit import append_only

TABLES = ("audit_auditnode",)


def _run(schema_editor: BaseDatabaseSchemaEditor, statements: list[str]) -> None:
    for statement in statements:
        schema_editor.execute(statement, params=None)  # no placeholders: the function body uses % itself


def create(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    vendor = schema_editor.connection.vendor
    if vendor == "sqlite":
        _run(schema_editor, append_only.sqlite_statements(TABLES))
    elif vendor == "postgresql":
        _run(schema_editor, append_only.postgresql_statements(TABLES))


def drop(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    vendor = schema_editor.connection.vendor
    if vendor == "sqlite":
        _run(schema_editor, append_only.sqlite_drop_statements(TABLES))
    elif vendor == "postgresql":
        _run(schema_editor, append_only.postgresql_drop_statements(TABLES, function=False))


class Migration(migrations.Migration):
    dependencies = [("audit", "0005_denied_access_window")]

    operations = [
        migrations.CreateModel(
            name="AuditNode",
            fields=[
                ("key", models.BigIntegerField(primary_key=True, serialize=False, verbose_name="node key")),
                ("level", models.SmallIntegerField(verbose_name="level")),
                ("index", models.BigIntegerField(verbose_name="index within the level")),
                ("node_hash", models.BinaryField(max_length=32, verbose_name="node hash")),
            ],
            options={
                "verbose_name": "audit tree node",
                "verbose_name_plural": "audit tree nodes",
                "ordering": ["key"],
            },
        ),
        migrations.RunPython(create, drop, elidable=False),
    ]
