"""The database's half of maker ≠ checker (ARCHITECTURE.md rule 12): triggers on ``approvals_decision``.

BEFORE INSERT refuses a decision
- by the request's maker ("maker ≠ checker"),
- by someone whose department belongs to another legal entity than the request's (or who has none),
- on a request that is not waiting for decisions (status other than 'submitted').
BEFORE UPDATE / DELETE (and TRUNCATE on PostgreSQL) refuse any change: decisions are append-only, except
while the test/demo ``flush`` runs (the maintenance mode shared with the audit tables, core/catalogues.py).

The services check all of this first and say it in the user's language; these triggers are the second line
that a shell, a bulk write or a bug cannot pass.
"""

from __future__ import annotations

from django.db import migrations
from django.db.backends.base.schema import BaseDatabaseSchemaEditor
from django.db.migrations.state import StateApps

from clientvault.core.catalogues import MAINTENANCE_PG_SETTING, MAINTENANCE_SQLITE_FUNCTION

DECISION = "approvals_decision"
REQUEST = "approvals_changerequest"
USER = "accounts_user"
DEPARTMENT = "accounts_department"

MAKER_IS_CHECKER = "maker and checker must be different people"
OUTSIDE_ENTITY = "approver is outside the legal entity of the request"
NOT_SUBMITTED = "a decision needs a submitted request"
APPEND_ONLY = "decisions are append-only"

# Table names and messages are the constants above, never input (hence the S608 exemptions).
_ENTITY_OF_APPROVER = (
    f"(SELECT d.legal_entity_id FROM {USER} u JOIN {DEPARTMENT} d "  # noqa: S608
    "ON d.id = u.department_id WHERE u.id = NEW.approver_id)"
)

SQLITE = [
    f"""CREATE TRIGGER {DECISION}_checks BEFORE INSERT ON {DECISION}
BEGIN
    SELECT RAISE(ABORT, '{MAKER_IS_CHECKER}')
        WHERE NEW.approver_id = (SELECT maker_id FROM {REQUEST} WHERE id = NEW.request_id);
    SELECT RAISE(ABORT, '{OUTSIDE_ENTITY}')
        WHERE {_ENTITY_OF_APPROVER} IS NULL
           OR {_ENTITY_OF_APPROVER} IS NOT (SELECT legal_entity_id FROM {REQUEST} WHERE id = NEW.request_id);
    SELECT RAISE(ABORT, '{NOT_SUBMITTED}')
        WHERE (SELECT status FROM {REQUEST} WHERE id = NEW.request_id) IS NOT 'submitted';
END""",  # noqa: S608
    f"CREATE TRIGGER {DECISION}_no_update BEFORE UPDATE ON {DECISION} BEGIN SELECT RAISE(ABORT, '{APPEND_ONLY}: UPDATE refused'); END",
    f"CREATE TRIGGER {DECISION}_no_delete BEFORE DELETE ON {DECISION} WHEN {MAINTENANCE_SQLITE_FUNCTION}() IS NOT 'flush' "
    f"BEGIN SELECT RAISE(ABORT, '{APPEND_ONLY}: DELETE refused'); END",
]
SQLITE_DROP = [f"DROP TRIGGER IF EXISTS {DECISION}_{name}" for name in ("checks", "no_update", "no_delete")]

# check_violation (23514): Django raises IntegrityError on both databases.
POSTGRESQL = [
    f"""CREATE OR REPLACE FUNCTION {DECISION}_checks() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    req RECORD;
    approver_entity uuid;
BEGIN
    SELECT maker_id, legal_entity_id, status INTO req FROM {REQUEST} WHERE id = NEW.request_id;
    IF NEW.approver_id = req.maker_id THEN
        RAISE EXCEPTION '{MAKER_IS_CHECKER}' USING ERRCODE = 'check_violation';
    END IF;
    SELECT d.legal_entity_id INTO approver_entity
        FROM {USER} u JOIN {DEPARTMENT} d ON d.id = u.department_id WHERE u.id = NEW.approver_id;
    IF approver_entity IS NULL OR approver_entity IS DISTINCT FROM req.legal_entity_id THEN
        RAISE EXCEPTION '{OUTSIDE_ENTITY}' USING ERRCODE = 'check_violation';
    END IF;
    IF req.status IS DISTINCT FROM 'submitted' THEN
        RAISE EXCEPTION '{NOT_SUBMITTED}' USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END
$$""",  # noqa: S608
    f"""CREATE OR REPLACE FUNCTION {DECISION}_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP <> 'UPDATE' AND coalesce(current_setting('{MAINTENANCE_PG_SETTING}', true), '') = 'flush' THEN
        IF TG_LEVEL = 'ROW' THEN RETURN OLD; END IF;
        RETURN NULL;
    END IF;
    RAISE EXCEPTION '{APPEND_ONLY}: % refused', TG_OP USING ERRCODE = 'check_violation';
END
$$""",
    f"CREATE TRIGGER {DECISION}_checks BEFORE INSERT ON {DECISION} FOR EACH ROW EXECUTE FUNCTION {DECISION}_checks()",
    f"CREATE TRIGGER {DECISION}_append_only BEFORE UPDATE OR DELETE ON {DECISION} FOR EACH ROW EXECUTE FUNCTION {DECISION}_guard()",
    f"CREATE TRIGGER {DECISION}_no_truncate BEFORE TRUNCATE ON {DECISION} FOR EACH STATEMENT EXECUTE FUNCTION {DECISION}_guard()",
]
POSTGRESQL_DROP = [
    *(f"DROP TRIGGER IF EXISTS {DECISION}_{name} ON {DECISION}" for name in ("checks", "append_only", "no_truncate")),
    f"DROP FUNCTION IF EXISTS {DECISION}_checks()",
    f"DROP FUNCTION IF EXISTS {DECISION}_guard()",
]


def statements(vendor: str, *, drop: bool = False) -> list[str]:
    if vendor == "sqlite":
        return SQLITE_DROP if drop else SQLITE
    if vendor == "postgresql":
        return POSTGRESQL_DROP if drop else POSTGRESQL
    return []


def DecisionGuards() -> migrations.RunPython:
    """The migration operation installing (reversed: removing) the decision triggers.

    SQLite drops a table's triggers when a migration rebuilds it: a later migration altering
    ``approvals_decision`` runs this again after it."""

    def run(schema_editor: BaseDatabaseSchemaEditor, *, drop: bool) -> None:
        for statement in statements(schema_editor.connection.vendor, drop=drop):
            schema_editor.execute(statement, params=None)

    def create(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
        run(schema_editor, drop=False)

    def remove(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
        run(schema_editor, drop=True)

    return migrations.RunPython(create, remove)
