"""The ledger's invariants held by the database itself, on SQLite and PostgreSQL (issue #13).

Python checks all of them first and answers with a domain error; these triggers are the second line,
for code (or a person with a shell) that bypasses the services:

- ``assets_ledgerentry`` and ``assets_journal`` are append-only: UPDATE refused, DELETE/TRUNCATE refused
  unless the connection is in the audit tables' ``flush`` maintenance mode (tests and the demo reset;
  ``audit/append_only.py``, refused in production);
- an entry's ``seq`` is its asset's ``version + 1`` (gap-free, per asset), its ``balance_before`` and
  ``pledged_before`` are the asset's running values, its currency is the asset's, the asset is open, and its
  journal row does not exist yet (entries first, then the journal);
- after an entry is inserted, the asset's ``balance``/``pledged``/``version`` move to the entry's values
  (and a ``close`` entry closes the asset); nothing else may move them: an UPDATE of those columns needs the
  entry with ``seq = version`` and the same values, and ``version`` rising by exactly one;
- a journal is accepted only when exactly ``entry_count`` entries reference it and they sum to zero per
  currency (double entry); the entries' foreign key to the journal is checked at commit (deferred), so
  entries without their journal never commit.

CHECK constraints on the models hold the rest (pledged ≤ balance unless 0, no negative balance unless the
kind allows it, balance_after = balance_before + amount).
"""

# ruff: noqa: S608 - DDL built from the module's constant table names only, no input

from __future__ import annotations

ASSET, ENTRY, JOURNAL = "assets_asset", "assets_ledgerentry", "assets_journal"
_SQLITE_MODE = "clientvault_audit_maintenance()"  # the audit tables' maintenance function (audit/append_only.py)
_PG_MODE = "coalesce(current_setting('clientvault.audit_maintenance', true), '')"

_ENTRY_CHECKS = (
    # (condition that must hold against the asset row a, message)
    ("a.version + 1 = NEW.seq", "ledger: entry seq must be the asset version + 1"),
    ("a.balance = NEW.balance_before AND a.pledged = NEW.pledged_before", "ledger: entry balance_before must be the asset balance"),
    ("a.currency = NEW.currency", "ledger: entry currency must be the asset currency"),
    ("a.status = 'open'", "ledger: the asset is closed"),
)


def sqlite_statements() -> list[str]:
    entry_checks = " ".join(
        f"SELECT RAISE(ABORT, '{message}') WHERE NOT EXISTS (SELECT 1 FROM {ASSET} a WHERE a.id = NEW.asset_id AND {cond});"
        for cond, message in _ENTRY_CHECKS
    )
    return [
        f"CREATE TRIGGER assets_entry_before_insert BEFORE INSERT ON {ENTRY} BEGIN "
        f"SELECT RAISE(ABORT, 'ledger: an entry cannot join a journal already written') "
        f"WHERE EXISTS (SELECT 1 FROM {JOURNAL} WHERE id = NEW.journal_id); {entry_checks} END",
        f"CREATE TRIGGER assets_entry_after_insert AFTER INSERT ON {ENTRY} BEGIN "
        f"UPDATE {ASSET} SET balance = NEW.balance_after, pledged = NEW.pledged_after, version = NEW.seq, "
        f"status = CASE WHEN NEW.kind = 'close' THEN 'closed' ELSE status END WHERE id = NEW.asset_id; END",
        f"CREATE TRIGGER assets_entry_no_update BEFORE UPDATE ON {ENTRY} BEGIN "
        f"SELECT RAISE(ABORT, 'ledger entries are append-only: UPDATE refused'); END",
        f"CREATE TRIGGER assets_entry_no_delete BEFORE DELETE ON {ENTRY} WHEN {_SQLITE_MODE} NOT IN ('flush') BEGIN "
        f"SELECT RAISE(ABORT, 'ledger entries are append-only: DELETE refused'); END",
        f"CREATE TRIGGER assets_journal_before_insert BEFORE INSERT ON {JOURNAL} BEGIN "
        f"SELECT RAISE(ABORT, 'ledger: journal entry count does not match') "
        f"WHERE (SELECT count(*) FROM {ENTRY} WHERE journal_id = NEW.id) != NEW.entry_count; "
        f"SELECT RAISE(ABORT, 'ledger: journal does not balance per currency') "
        f"WHERE EXISTS (SELECT 1 FROM {ENTRY} WHERE journal_id = NEW.id GROUP BY currency HAVING sum(amount) != 0); END",
        f"CREATE TRIGGER assets_journal_no_update BEFORE UPDATE ON {JOURNAL} BEGIN "
        f"SELECT RAISE(ABORT, 'ledger journals are append-only: UPDATE refused'); END",
        f"CREATE TRIGGER assets_journal_no_delete BEFORE DELETE ON {JOURNAL} WHEN {_SQLITE_MODE} NOT IN ('flush') BEGIN "
        f"SELECT RAISE(ABORT, 'ledger journals are append-only: DELETE refused'); END",
        f"CREATE TRIGGER assets_asset_fixed BEFORE UPDATE ON {ASSET} "
        f"WHEN NEW.currency IS NOT OLD.currency OR NEW.kind IS NOT OLD.kind OR NEW.allow_negative IS NOT OLD.allow_negative BEGIN "
        f"SELECT RAISE(ABORT, 'ledger: an asset''s currency and kind do not change'); END",
        f"CREATE TRIGGER assets_asset_guard BEFORE UPDATE ON {ASSET} "
        f"WHEN ((NEW.balance IS NOT OLD.balance OR NEW.pledged IS NOT OLD.pledged OR NEW.version IS NOT OLD.version "
        f"OR NEW.status IS NOT OLD.status) AND (NEW.version IS NOT OLD.version + 1 OR NOT EXISTS ("
        f"SELECT 1 FROM {ENTRY} e WHERE e.asset_id = NEW.id AND e.seq = NEW.version AND e.balance_after = NEW.balance "
        f"AND e.pledged_after = NEW.pledged AND (e.kind = 'close') = (NEW.status = 'closed')))) BEGIN "
        f"SELECT RAISE(ABORT, 'ledger: an asset balance moves only with a ledger entry'); END",
    ]


def sqlite_drop_statements() -> list[str]:
    names = (
        "assets_entry_before_insert",
        "assets_entry_after_insert",
        "assets_entry_no_update",
        "assets_entry_no_delete",
        "assets_journal_before_insert",
        "assets_journal_no_update",
        "assets_journal_no_delete",
        "assets_asset_fixed",
        "assets_asset_guard",
    )
    return [f"DROP TRIGGER IF EXISTS {n}" for n in names]


def postgresql_statements() -> list[str]:
    entry_checks = "\n".join(f"    IF NOT ({cond}) THEN RAISE EXCEPTION '{message}'; END IF;" for cond, message in _ENTRY_CHECKS)
    return [
        f"""CREATE OR REPLACE FUNCTION assets_entry_before_insert() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE a record;
BEGIN
    IF EXISTS (SELECT 1 FROM {JOURNAL} WHERE id = NEW.journal_id) THEN
        RAISE EXCEPTION 'ledger: an entry cannot join a journal already written';
    END IF;
    -- Lock the asset: entries of one asset are serialised even when the caller took no lock.
    SELECT version, balance, pledged, currency, status INTO a FROM {ASSET} WHERE id = NEW.asset_id FOR UPDATE;
    IF NOT FOUND THEN RAISE EXCEPTION 'ledger: unknown asset'; END IF;
{entry_checks}
    RETURN NEW;
END
$$""",
        f"""CREATE OR REPLACE FUNCTION assets_entry_after_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE {ASSET} SET balance = NEW.balance_after, pledged = NEW.pledged_after, version = NEW.seq,
        status = CASE WHEN NEW.kind = 'close' THEN 'closed' ELSE status END
    WHERE id = NEW.asset_id;
    RETURN NULL;
END
$$""",
        f"""CREATE OR REPLACE FUNCTION assets_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP <> 'UPDATE' AND {_PG_MODE} = 'flush' THEN
        IF TG_LEVEL = 'ROW' THEN RETURN OLD; END IF;
        RETURN NULL;
    END IF;
    RAISE EXCEPTION 'ledger rows are append-only: % refused on %', TG_OP, TG_TABLE_NAME;
END
$$""",
        f"""CREATE OR REPLACE FUNCTION assets_journal_before_insert() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE n bigint;
BEGIN
    SELECT count(*) INTO n FROM {ENTRY} WHERE journal_id = NEW.id;
    IF n <> NEW.entry_count THEN RAISE EXCEPTION 'ledger: journal entry count does not match'; END IF;
    IF EXISTS (SELECT 1 FROM {ENTRY} WHERE journal_id = NEW.id GROUP BY currency HAVING sum(amount) <> 0) THEN
        RAISE EXCEPTION 'ledger: journal does not balance per currency';
    END IF;
    RETURN NEW;
END
$$""",
        f"""CREATE OR REPLACE FUNCTION assets_asset_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.currency IS DISTINCT FROM OLD.currency OR NEW.kind IS DISTINCT FROM OLD.kind
       OR NEW.allow_negative IS DISTINCT FROM OLD.allow_negative THEN
        RAISE EXCEPTION 'ledger: an asset''s currency and kind do not change';
    END IF;
    IF (NEW.balance, NEW.pledged, NEW.version, NEW.status) IS DISTINCT FROM (OLD.balance, OLD.pledged, OLD.version, OLD.status) THEN
        IF NEW.version <> OLD.version + 1 OR NOT EXISTS (
            SELECT 1 FROM {ENTRY} e WHERE e.asset_id = NEW.id AND e.seq = NEW.version AND e.balance_after = NEW.balance
            AND e.pledged_after = NEW.pledged AND (e.kind = 'close') = (NEW.status = 'closed')) THEN
            RAISE EXCEPTION 'ledger: an asset balance moves only with a ledger entry';
        END IF;
    END IF;
    RETURN NEW;
END
$$""",
        *(
            f"CREATE TRIGGER {name} {when} ON {table} FOR EACH ROW EXECUTE FUNCTION {name}()"
            for name, when, table in (
                ("assets_entry_before_insert", "BEFORE INSERT", ENTRY),
                ("assets_entry_after_insert", "AFTER INSERT", ENTRY),
                ("assets_journal_before_insert", "BEFORE INSERT", JOURNAL),
                ("assets_asset_guard", "BEFORE UPDATE", ASSET),
            )
        ),
        *(
            statement
            for table in (ENTRY, JOURNAL)
            for statement in (
                f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} FOR EACH ROW EXECUTE FUNCTION assets_append_only()",
                f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} FOR EACH STATEMENT EXECUTE FUNCTION assets_append_only()",
            )
        ),
    ]


def postgresql_drop_statements() -> list[str]:
    triggers = [
        ("assets_entry_before_insert", ENTRY),
        ("assets_entry_after_insert", ENTRY),
        ("assets_journal_before_insert", JOURNAL),
        ("assets_asset_guard", ASSET),
        *((f"{t}_{n}", t) for t in (ENTRY, JOURNAL) for n in ("append_only", "no_truncate")),
    ]
    functions = (
        "assets_entry_before_insert",
        "assets_entry_after_insert",
        "assets_append_only",
        "assets_journal_before_insert",
        "assets_asset_fixed",
        "assets_asset_guard",
    )
    return [f"DROP TRIGGER IF EXISTS {name} ON {table}" for name, table in triggers] + [f"DROP FUNCTION IF EXISTS {f}()" for f in functions]
