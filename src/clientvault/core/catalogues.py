"""The versioned catalogue: a row whose every change is kept as an append-only version with its reason,
who made it and the audit event that recorded it (ARCHITECTURE.md rules 7 and 9).

Purposes, access policies and field classifications are catalogues; so will be approval, survivorship and
retention rules and deadline calendars. This module holds what they share and knows no domain app:

- ``VersionedEntry`` / ``EntryVersion``: the abstract row and version models;
- the store: ``apply`` changes a locked row to its next version, ``append_version`` writes the version;
- the database guard: triggers refusing UPDATE and DELETE on the version tables (SQLite and PostgreSQL),
  installed by each app's migration through ``AppendOnly``;
- ``edit_versioned``: the edit page, a form of the current values plus a reason beside the history.

The "save a new version" service (permission, lock, reason, rule 12 proposals, one audit event) is
``core.catalogue_service``: it needs permissions and the audit trail, which the kernel does not import.
"""

from __future__ import annotations

import ast
import functools
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, ClassVar

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import migrations, models
from django.db.backends.base.schema import BaseDatabaseSchemaEditor
from django.db.migrations.state import StateApps
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.functional import Promise
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods

from clientvault.core.errors import DomainError, ValidationFailed
from clientvault.core.forms import apply_errors

REASON_LENGTH = 300


class VersionedEntry(models.Model):
    """A catalogue row: the values in force, and the number of the version they are.

    A concrete entry declares its key field (``KEY``), the fields a version keeps (``EDITABLE``) and its
    version model (``VERSIONS``)."""

    KEY: ClassVar[str] = "code"
    EDITABLE: ClassVar[tuple[str, ...]] = ()
    VERSIONS: ClassVar[type[EntryVersion]]

    version = models.PositiveIntegerField(_("version"), default=1)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        abstract = True

    @property
    def entry_key(self) -> str:
        return str(getattr(self, self.KEY))

    def snapshot(self) -> dict[str, Any]:
        """The editable values, as a version keeps them."""
        return {f: getattr(self, f) for f in self.EDITABLE}

    def changed_fields(self, cleaned: Mapping[str, Any]) -> list[str]:
        return [f for f, v in cleaned.items() if getattr(self, f) != v]

    def history(self) -> QuerySet[Any]:
        return self.VERSIONS._default_manager.filter(**{self.VERSIONS.KEY: self.entry_key})


class EntryVersion(models.Model):
    """One version of a catalogue row: its values, why, by whom, when, and the audit event that recorded
    the change. Never updated or deleted — the database refuses both (``AppendOnly``)."""

    KEY: ClassVar[str] = "code"

    version = models.PositiveIntegerField(_("version"))
    snapshot = models.JSONField(_("values"))
    reason = models.CharField(_("reason"), max_length=REASON_LENGTH, blank=True)
    changed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    changed_at = models.DateTimeField(_("changed"), auto_now_add=True)
    # The ``event_id`` of the audit event that recorded this version (no foreign key: the retention
    # archive may remove event rows once written out with their proofs). Empty on versions written
    # before it was kept, and on the seeded first versions.
    audit_event_id = models.UUIDField(_("audit event"), null=True, blank=True)

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return f"{getattr(self, self.KEY)} v{self.version}"


# --- The store ------------------------------------------------------------------------------------


def apply(row: VersionedEntry, cleaned: Mapping[str, Any], *, create: bool = False) -> VersionedEntry:
    """Give a (locked) row the cleaned values as its next version — version 1 when ``create``."""
    for field, value in cleaned.items():
        setattr(row, field, value)
    if create:
        row.version = 1
        row.save(force_insert=True)
    else:
        row.version += 1
        row.save()
    return row


def append_version(row: VersionedEntry, *, reason: str, changed_by: Any, audit_event_id: Any) -> EntryVersion:
    """Write the version the row now is (insert only)."""
    versions = row.VERSIONS
    return versions._default_manager.create(
        **{versions.KEY: row.entry_key},
        version=row.version,
        snapshot=row.snapshot(),
        reason=(reason or "")[:REASON_LENGTH],
        changed_by=changed_by,
        audit_event_id=audit_event_id,
    )


# --- Append-only at the database --------------------------------------------------------------------

# The connection's maintenance mode, shared with the audit tables (``audit/append_only.py``): the test,
# development and demo ``flush`` command enters "flush", in which the version tables may be emptied too.
MAINTENANCE_SQLITE_FUNCTION = "clientvault_audit_maintenance"
MAINTENANCE_PG_SETTING = "clientvault.audit_maintenance"
PG_GUARD = "clientvault_version_guard"


def sqlite_statements(tables: tuple[str, ...]) -> list[str]:
    statements = []
    for table in tables:
        statements += [
            f"CREATE TRIGGER {table}_no_update BEFORE UPDATE ON {table} "
            f"BEGIN SELECT RAISE(ABORT, 'catalogue versions are append-only: UPDATE refused'); END",
            f"CREATE TRIGGER {table}_no_delete BEFORE DELETE ON {table} "
            f"WHEN {MAINTENANCE_SQLITE_FUNCTION}() IS NOT 'flush' "
            f"BEGIN SELECT RAISE(ABORT, 'catalogue versions are append-only: DELETE refused'); END",
        ]
    return statements


def sqlite_drop_statements(tables: tuple[str, ...]) -> list[str]:
    return [f"DROP TRIGGER IF EXISTS {t}_{op}" for t in tables for op in ("no_update", "no_delete")]


def postgresql_statements(tables: tuple[str, ...]) -> list[str]:
    statements = [
        f"""CREATE OR REPLACE FUNCTION {PG_GUARD}() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP <> 'UPDATE' AND coalesce(current_setting('{MAINTENANCE_PG_SETTING}', true), '') = 'flush' THEN
        IF TG_LEVEL = 'ROW' THEN RETURN OLD; END IF;
        RETURN NULL;
    END IF;
    RAISE EXCEPTION 'catalogue versions are append-only: % refused on %', TG_OP, TG_TABLE_NAME;
END
$$"""
    ]
    for table in tables:
        statements += [
            f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} FOR EACH ROW EXECUTE FUNCTION {PG_GUARD}()",
            f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} FOR EACH STATEMENT EXECUTE FUNCTION {PG_GUARD}()",
        ]
    return statements


def postgresql_drop_statements(tables: tuple[str, ...]) -> list[str]:
    # The guard function stays: other apps' version tables may still use it.
    return [f"DROP TRIGGER IF EXISTS {t}_{name} ON {t}" for t in tables for name in ("append_only", "no_truncate")]


def guard_statements(vendor: str, tables: tuple[str, ...], *, drop: bool = False) -> list[str]:
    if vendor == "sqlite":
        return (sqlite_drop_statements if drop else sqlite_statements)(tables)
    if vendor == "postgresql":
        return (postgresql_drop_statements if drop else postgresql_statements)(tables)
    return []


def AppendOnly(*tables: str) -> migrations.RunPython:
    """The migration operation that installs (and, reversed, removes) the triggers on ``tables``.

    SQLite drops a table's triggers when a migration rebuilds the table: a later migration altering a
    version table runs ``AppendOnly`` again after it."""

    def run(schema_editor: BaseDatabaseSchemaEditor, *, drop: bool) -> None:
        for statement in guard_statements(schema_editor.connection.vendor, tables, drop=drop):
            schema_editor.execute(statement, params=None)  # no placeholders: the function body uses % itself

    def create(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
        run(schema_editor, drop=False)

    def remove(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
        run(schema_editor, drop=True)

    return migrations.RunPython(create, remove)


# --- Seeded text -------------------------------------------------------------------------------------
# The descriptions a migration seeds are English data, marked with ``gettext_noop`` where they are written, so
# the catalogues hold their translations: they are shown in the reader's language. An officer's own text has no
# catalogue entry and is shown as written. Only the named free-text fields: codes are never translated.
SEEDED_TEXT_FIELDS = ("description",)


@functools.cache
def seeded_texts() -> frozenset[str]:
    """Every text a migration or an app's ``defaults.py`` seeds, found where it is marked with ``gettext_noop`` (read
    from the source once per process): only these are translated, never an officer's text that happens to equal some
    other string of the catalogues."""
    root = Path(__file__).resolve().parents[1]
    found: set[str] = set()
    for path in [*sorted(root.glob("*/migrations/*.py")), *sorted(root.glob("*/defaults.py"))]:
        source = path.read_text(encoding="utf-8")
        if "gettext_noop(" not in source:
            continue
        for node in ast.walk(ast.parse(source)):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "gettext_noop" and node.args:
                first = node.args[0]
                if isinstance(first, ast.Constant) and isinstance(first.value, str):
                    found.add(first.value)
    return frozenset(found)


def seeded_text(text: str) -> str:
    """A seeded English text in the reader's language (any other text unchanged)."""
    return gettext(text) if text and text in seeded_texts() else text


def shown_initial(values: Mapping[str, Any]) -> dict[str, Any]:
    """Form values with the seeded texts in the reader's language."""
    return {k: seeded_text(v) if k in SEEDED_TEXT_FIELDS and isinstance(v, str) else v for k, v in values.items()}


def keep_seeded(data: dict[str, Any], stored: Mapping[str, Any]) -> dict[str, Any]:
    """A submitted text equal to the translation the form showed is the stored text unchanged: keep the stored
    English, so saving a form in Chinese neither rewrites nor proposes a change to a field nobody touched."""
    for key in SEEDED_TEXT_FIELDS:
        was = stored.get(key)
        if key in data and isinstance(was, str) and was and " ".join(str(data[key]).split()) == " ".join(seeded_text(was).split()):
            data[key] = was
    return data


# --- The edit page ----------------------------------------------------------------------------------


def edit_versioned(
    request: HttpRequest,
    *,
    row: VersionedEntry,
    form_class: type[forms.Form],
    initial: Mapping[str, Any],
    save: Callable[[dict[str, Any], str], object],
    saved_message: str | Promise | Callable[[object], str | Promise],
    success_url: str,
    template: str,
) -> HttpResponse:
    """GET shows the form of the current values and the history; a valid POST calls ``save(data, reason)``
    and redirects. A refusal (invalid values, separation of duties) is said on the form, nothing written."""
    form = form_class(request.POST or None, initial=shown_initial(initial))
    if request.method == "POST" and form.is_valid():
        data = keep_seeded(dict(form.cleaned_data), initial)
        reason = data.pop("reason")
        try:
            result = save(data, reason)
        except ValidationFailed as exc:
            apply_errors(form, exc)
        except DomainError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, str(saved_message(result) if callable(saved_message) else saved_message))
            return redirect(success_url)
    history = row.history().select_related("changed_by")
    return render(request, template, {"row": row, "form": form, "history": history})


def edit_view(
    model: type[VersionedEntry],
    *,
    may_edit: Callable[[HttpRequest], bool],
    save: Callable[[HttpRequest, str, dict[str, Any], str], object],
    form_class: type[forms.Form],
    saved_message: str | Promise | Callable[[object], str | Promise],
    success_url: str,
    template: str,
    initial: Callable[[dict[str, Any]], Mapping[str, Any]] = dict,
) -> Callable[..., HttpResponse]:
    """The edit page of one catalogue: ``<url kwarg>`` names the row by its key; someone without the change
    capability, or asking for a row that does not exist, gets 404. ``save(request, key, data, reason)``
    calls the app's service; ``success_url`` is a URL name; ``initial`` turns a snapshot into form values."""

    @login_required
    @require_http_methods(["GET", "POST"])
    def view(request: HttpRequest, **kwargs: str) -> HttpResponse:
        [key] = kwargs.values()
        if not may_edit(request):
            raise Http404
        row = model._default_manager.filter(**{model.KEY: key}).first()
        if row is None:
            raise Http404
        return edit_versioned(
            request,
            row=row,
            form_class=form_class,
            initial=initial(row.snapshot()),
            save=lambda data, reason: save(request, key, data, reason),
            saved_message=saved_message,
            success_url=reverse(success_url),
            template=template,
        )

    return view
