"""Which checkpoints the witness acknowledged (issue #11): insert-only, like the other audit tables."""

from django.db import migrations, models
from django.db.backends.base.schema import BaseDatabaseSchemaEditor
from django.db.migrations.state import StateApps

from clientvault.audit import append_only

TABLES = ("audit_witnesspublication",)


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
    dependencies = [("audit", "0003_append_only")]

    operations = [
        migrations.CreateModel(
            name="WitnessPublication",
            fields=[
                ("id", models.BigAutoField(primary_key=True, serialize=False)),
                ("tree_size", models.BigIntegerField(db_index=True, verbose_name="tree size")),
                ("published_at", models.DateTimeField(verbose_name="time")),
            ],
            options={
                "verbose_name": "witness publication",
                "verbose_name_plural": "witness publications",
                "ordering": ["id"],
            },
        ),
        migrations.RunPython(create, drop, elidable=False),
    ]
