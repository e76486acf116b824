"""Undoing an import (issue #14): change type ``intake.undo``, decided by a compliance officer other than the
maker (seeded rule ``intake-undo``; ARCHITECTURE.md rule 12), within CLIENTVAULT_IMPORT_UNDO_DAYS [M].

Applying it deletes the batch's customers that were not touched since the import, with their keys' destruction
requested (``customers.shredding.delete_entered_in_error``); the touched ones are kept and listed on the batch
(``kept_after_undo``) and in the ``import.undone`` event.

Touched (defined here, tested in ``tests/test_undo.py``): since the import the customer has
- a row in any model that points at it (follow-ups, consents, assets, and whatever app adds one later —
  found through the model graph, so a new owner of a customer FK is covered without a change here;
  the import's own provenance row and tag links excepted), or
- a change request other than its entry review, or
- an audit event of kind "write" other than its creation and its entry review's decision (an update,
  an owner change, a merge, a shredding …).
Reads do not touch a record.

The request's sealed values (the batch id only) are sealed under a data key of the batch's own id, not under
a customer's: the customers' keys are destroyed by the undo, the request must stay readable.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from clientvault.approvals import registry
from clientvault.approvals import services as approvals
from clientvault.approvals.models import ChangeRequest
from clientvault.approvals.registry import ChangeType, DiffRow, Facts, Pending, Proposal, Stale
from clientvault.audit import recording as audit
from clientvault.audit.models import AuditEvent
from clientvault.audit.registry import EVENT_TYPES
from clientvault.core import clock
from clientvault.core.context import Context
from clientvault.core.errors import Conflict, NotFound, ValidationFailed
from clientvault.crypto import keystore
from clientvault.customers import shredding
from clientvault.customers.models import Customer
from clientvault.intake.models import ImportBatch, ImportedRecord, State

CODE = "intake.undo"
TARGET_TYPE = "intake.importbatch"
UNTOUCHING_EVENTS = frozenset({"customer.created", "customer.entry_approved", "customer.entry_rejected"})
ENTRY_REVIEW = "customers.entry_review"


def window() -> dt.timedelta:
    return dt.timedelta(days=int(settings.CLIENTVAULT_IMPORT_UNDO_DAYS))


def _locked(target_id: str) -> ImportBatch:
    try:
        return ImportBatch.objects.select_for_update().get(pk=uuid.UUID(target_id))
    except (ValueError, ImportBatch.DoesNotExist):
        raise NotFound() from None


def fingerprint(target_id: str) -> str:
    try:
        batch = _locked(target_id)
    except NotFound:
        return "missing"
    return f"{batch.state}:{batch.checkpoint_row}"


def check_undoable(batch: ImportBatch) -> None:
    if batch.state != State.DONE or batch.finished_at is None:
        raise Conflict(_("Only a finished import can be undone."), code="import_not_done")
    if clock.now() > batch.finished_at + window():
        raise Conflict(_("This import is past its undo window."), code="undo_window_passed")


def touched(customer_ids: list[uuid.UUID]) -> set[uuid.UUID]:
    """The customers among these that were touched since their import (see the module's docstring)."""
    if not customer_ids:
        return set()
    found: set[uuid.UUID] = set()
    through = Customer.tags.through
    for rel in Customer._meta.related_objects:
        model = rel.related_model
        if model in (ImportedRecord, through) or not rel.field.concrete:
            continue
        manager = model._base_manager  # type: ignore[union-attr]
        found |= set(manager.filter(**{f"{rel.field.name}__in": customer_ids}).values_list(rel.field.attname, flat=True))
    held = ChangeRequest.objects.unrestricted(reason="an import undo keeps customers with a change request since their import")
    requests = held.filter(subject_id__in=customer_ids).exclude(change_type=ENTRY_REVIEW)
    found |= set(requests.values_list("subject_id", flat=True))
    writes = [
        name for name, t in EVENT_TYPES.items() if t.kind == "write" and name not in UNTOUCHING_EVENTS and not name.startswith("approval.")
    ]
    events = AuditEvent.objects.filter(customer_id__in=customer_ids, event_type__in=writes)
    found |= {c for c in events.values_list("customer_id", flat=True) if c is not None}
    return {uuid.UUID(str(c)) for c in found}


def request(ctx: Context, batch: ImportBatch, *, reason: str) -> ChangeRequest:
    """The maker's side, in the caller's transaction (``services.request_undo`` audits it)."""
    with transaction.atomic():
        locked = _locked(str(batch.pk))
        check_undoable(locked)
        if not (reason or "").strip():
            raise ValidationFailed({"reason": [_("Say why the import should be undone.")]})
        assert locked.legal_entity_id is not None
        keystore.create_customer_key(locked.pk)  # the request's own sealing key (see the module's docstring)
        proposal = Proposal(
            change_type=CODE,
            target_type=TARGET_TYPE,
            target_id=str(locked.pk),
            field_key="undo",
            subject_id=locked.pk,
            values={"batch": str(locked.pk)},
            before={"state": str(locked.state), "created": locked.created},
            fingerprint=fingerprint(str(locked.pk)),
            facts=Facts(legal_entity_id=locked.legal_entity_id),
            summary=str(_("Undo an import of %(n)d customers") % {"n": locked.created}),
            fields=(),
        )
        return approvals.submit(ctx, proposal, reason=reason)


def apply(ctx: Context, pending: Pending) -> None:
    batch = _locked(pending.target_id)
    try:
        check_undoable(batch)
    except Conflict as exc:
        raise Stale(exc.message) from None
    ids = list(ImportedRecord.objects.filter(batch=batch).values_list("customer_id", flat=True))
    kept = touched(ids)
    doomed = [c for c in ids if c not in kept]
    detail: dict[str, Any] = {"import_batch": str(batch.pk), "change_request": str(pending.id)}
    removed = shredding.delete_entered_in_error(ctx=ctx, customer_ids=doomed, detail=detail)
    batch.state = State.UNDONE
    batch.kept_after_undo = sorted(str(c) for c in kept)
    batch.save(update_fields=["state", "kept_after_undo"])
    audit.record(
        ctx,
        "import.undone",
        obj=batch,
        detail={**detail, "removed": removed, "kept": len(kept), "kept_ids": batch.kept_after_undo[:1000]},
    )
    from clientvault.intake import storage

    stored = batch.stored_name
    transaction.on_commit(lambda: storage.delete(stored))


def describe(ctx: Context, pending: Pending) -> list[DiffRow]:
    batch = ImportBatch.objects.filter(pk=pending.target_id).first()
    if batch is None:
        return []
    return [
        DiffRow(
            field="import.state", label=_("Import"), before=str(State(batch.state).label), after=str(State.UNDONE.label), shown_plain=True
        )
    ]


def in_scope(ctx: Context, pending: Pending) -> bool:
    """Whoever sees the batch (its operator, compliance, administrators: intake.selectors)."""
    from clientvault.intake import selectors

    try:
        selectors.batch_for(ctx, uuid.UUID(pending.target_id))
    except (NotFound, ValueError):
        return False
    return True


CHANGE_TYPE = ChangeType(code=CODE, label=_("Undo an import"), fingerprint=fingerprint, apply=apply, describe=describe, in_scope=in_scope)


def register() -> None:
    registry.register(CHANGE_TYPE)
