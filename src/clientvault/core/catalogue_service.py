"""Saving a new version of a catalogue row — one service for every versioned catalogue (issue #12).

It lives in the kernel so that every layer's catalogue (classification below access, access itself, and
the domain apps above) can use it: it checks capabilities through ``core.capabilities`` and records
through ``core.auditing``, importing no app.

A catalogue (purposes, access policies, field classifications, …) describes itself once as a
``Catalogue``; ``save_version`` then does what each used to hand-write (ARCHITECTURE.md rules 7, 9, 12):

1. the actor holds the catalogue's change capability (``core.capabilities``);
2. the row is locked (``select_for_update``) so two editors cannot both write version n+1;
3. a reason is required, and the new values are validated by the catalogue's ``clean``;
4. the catalogue's separation-of-duties check runs (e.g. nobody changes a policy of a role they hold);
5. a change that widens sight (the catalogue's ``widening``) is not written but proposed for someone
   else to decide (rule 12: nobody widens their own sight);
6. otherwise ``write``: the row becomes its next version, exactly one audit event records it, and the
   version row — append-only at the database (``core/catalogues.py``) — carries that event's id.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

from django.db import transaction
from django.utils.functional import Promise

from clientvault.core import auditing as audit
from clientvault.core import catalogues as store
from clientvault.core.capabilities import CHANGE, allows
from clientvault.core.catalogues import VersionedEntry
from clientvault.core.context import Context
from clientvault.core.errors import NotFound, PermissionDenied, ValidationFailed

E = TypeVar("E", bound=VersionedEntry)
Snapshot = Mapping[str, Any]


def _no_duties(ctx: Context, row: Any, cleaned: Snapshot) -> None:
    return None


@dataclass(frozen=True)
class Catalogue:
    """What a versioned catalogue is made of; ``save_version`` and ``write`` do the rest."""

    model: type[VersionedEntry]
    capability: str  # the admin resource whose CHANGE action edits this catalogue
    changed_event: str  # audit event of a new version of an existing row
    reason_missing: str | Promise  # said when no reason is given
    clean: Callable[[Snapshot], dict[str, Any]]  # pure validation of the whole set of values
    created_event: str = ""  # audit event of version 1 (rows created by a service)
    check_duties: Callable[[Context, Any, Snapshot], None] = _no_duties  # raises PermissionDenied
    widening: Callable[[Snapshot | None, Snapshot], list[str]] | None = None  # what widens sight (rule 12)
    # Records a widening change for a second person (in the caller's transaction) and returns it.
    propose: Callable[..., Any] | None = None

    def require_reason(self, reason: str) -> None:
        if not (reason or "").strip():
            raise ValidationFailed({"reason": [self.reason_missing]})


def require_change(ctx: Context, catalogue: Catalogue) -> None:
    if not allows(ctx.roles, catalogue.capability, CHANGE):
        raise PermissionDenied()


def write(
    catalogue: Catalogue,
    *,
    ctx: Context,
    row: E | None,
    key: str,
    cleaned: Snapshot,
    reason: str,
    fields: Iterable[str] | None = None,
    changed_by: Any = None,
    detail: Mapping[str, Any] | None = None,
    covered_by: Any = None,
) -> E:
    """Write ``cleaned`` as the next version of the locked ``row`` (version 1 of a new row under ``key``
    when ``row`` is None), in the caller's transaction: one audit event (``created_event`` or
    ``changed_event``; or ``covered_by``, the caller's own event for the action this is part of) and one
    version row carrying its id. ``changed_by`` defaults to the actor (an approved proposal: the proposer)."""
    catalogue.require_reason(reason)
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("a catalogue version is written inside the transaction that locked its row")
    created = row is None
    target: E = catalogue.model(**{catalogue.model.KEY: key}) if created else row  # type: ignore[assignment]
    changed = sorted(cleaned) if created else target.changed_fields(cleaned)
    store.apply(target, cleaned, create=created)
    event = covered_by
    if event is None:
        event_type = catalogue.created_event if created else catalogue.changed_event
        event = audit.record(
            ctx,
            event_type or catalogue.changed_event,
            obj=target,
            object_id=key,
            fields=list(fields) if fields is not None else changed,
            detail={"version": target.version, **(detail or {})},
        )
    event_id = getattr(event, "event_id", None)
    if event_id is None:  # the recorder answers with the event row it wrote (audit.recording.record)
        raise RuntimeError("the audit recorder returned no event id for a catalogue version")
    store.append_version(target, reason=reason, changed_by=changed_by or ctx.actor, audit_event_id=event_id)
    return target


@transaction.atomic
def save_version(catalogue: Catalogue, *, ctx: Context, key: str, data: Snapshot, reason: str) -> Any:
    """Change a catalogue row, with a reason, as a new version (steps 1–6 above).

    ``data`` may name only the values that change. Returns the row (unchanged when nothing changes), or
    the proposal when the change widens sight."""
    require_change(ctx, catalogue)
    model = catalogue.model
    row = model._default_manager.select_for_update().filter(**{model.KEY: key}).first()
    if row is None:
        raise NotFound()
    catalogue.require_reason(reason)
    before = row.snapshot()
    cleaned = catalogue.clean({**before, **data})
    catalogue.check_duties(ctx, row, cleaned)
    changed = row.changed_fields(cleaned)
    if not changed:
        return row
    if catalogue.widening is not None and catalogue.widening(before, cleaned):
        if catalogue.propose is None:
            raise PermissionDenied()
        return catalogue.propose(ctx=ctx, code=key, base=row, cleaned=cleaned, fields=changed, reason=reason)
    return write(catalogue, ctx=ctx, row=row, key=key, cleaned=cleaned, reason=reason, fields=changed)


def create_entry(catalogue: Catalogue, *, ctx: Context, key: str, cleaned: Snapshot, reason: str) -> Any:
    """Version 1 of a new row whose values the caller validated (in its transaction, after its own
    checks): proposed when it widens sight, written otherwise."""
    catalogue.check_duties(ctx, None, cleaned)
    if catalogue.widening is not None and catalogue.widening(None, cleaned):
        if catalogue.propose is None:
            raise PermissionDenied()
        return catalogue.propose(ctx=ctx, code=key, base=None, cleaned=cleaned, fields=sorted(cleaned), reason=reason)
    return write(catalogue, ctx=ctx, row=None, key=key, cleaned=cleaned, reason=reason)
