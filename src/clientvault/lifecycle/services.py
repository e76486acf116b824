"""What the rights requests call (contract of issue #15): erase, restrict, lift a request's restriction.

``erase_on_request`` is idempotent by ``request_ref``: a second call answers the first call's outcome. Under a
legal hold (an AML hold is placed when the erasure ends a relationship, lifecycle/holds.py) the deletion becomes a
restriction and the outcome names the hold's bases, so the customer can be told why (PIPL-47, GDPR-17(3)). Where
configured (``CLIENTVAULT_DELETION_APPROVAL``) the deletion is a change request ``lifecycle.erase`` that a
compliance officer other than the maker approves; that needs a maker, so a context without a staff actor is
refused (``deletion_needs_maker``) rather than silently deleting without the second person.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils.translation import gettext_lazy as _

from clientvault.audit import recording as audit
from clientvault.core.context import Context
from clientvault.core.errors import Conflict, NotFound
from clientvault.lifecycle import holds, queries, restriction
from clientvault.lifecycle.models import Erasure, ErasureState
from clientvault.lifecycle.selectors import ErasureOutcome, erasure_status

REQUEST_BASIS = "request"


def _enqueue(erasure_id: uuid.UUID) -> None:
    from clientvault.lifecycle.tasks import run_erasure

    transaction.on_commit(lambda: run_erasure.enqueue(str(erasure_id)))


@transaction.atomic
def erase_on_request(ctx: Context, *, customer_id: uuid.UUID, request_ref: str) -> ErasureOutcome:
    """Erase a customer because they asked (PIPL-47, GDPR-17); idempotent by ``request_ref``."""
    if Erasure.objects.select_for_update().filter(request_ref=request_ref).exists():
        outcome = erasure_status(request_ref)
        assert outcome is not None
        return outcome
    customer = queries.lock_customer(customer_id)
    if customer is None or customer.erased_at is not None:
        raise NotFound()
    approval = settings.CLIENTVAULT_DELETION_APPROVAL
    if approval and ctx.actor is None:
        raise Conflict(_("A deletion that needs approval needs the staff member who asks for it."), code="deletion_needs_maker")
    holds.place_aml_holds(ctx, customer)  # the erasure ends the relationship (AML-34)
    bases = queries.hold_bases(customer_id)
    try:
        with transaction.atomic():
            erasure = Erasure.objects.create(
                customer_id=customer_id, request_ref=request_ref, trigger=Erasure.Trigger.REQUEST, requested_by=ctx.actor,
                state=ErasureState.RESTRICTED if bases else (ErasureState.PENDING_APPROVAL if approval else ErasureState.QUEUED),
                hold_bases=list(bases),
            )  # fmt: skip
    except IntegrityError:
        raise Conflict(_("This customer is already being erased."), code="erasure_running") from None
    event = audit.record(
        ctx, "lifecycle.erasure_requested", object_type="lifecycle.erasure", object_id=str(erasure.pk), customer_id=customer_id,
        detail={"request_ref": queries.ref_code(request_ref), "hold_bases": list(bases), "approval": bool(approval and not bases)},
    )  # fmt: skip
    erasure.event_ids = [str(event.event_id)]
    if bases:
        restriction.restrict(ctx, customer_id=customer_id, basis=bases[0], detail={"request_ref": queries.ref_code(request_ref)})
    elif approval:
        from clientvault.lifecycle.change_types import submit_erasure

        erasure.change_request_id = submit_erasure(ctx, erasure, customer).pk
    else:
        _enqueue(erasure.pk)
    erasure.save(update_fields=["event_ids", "change_request_id", "updated_at"])
    outcome = erasure_status(request_ref)
    assert outcome is not None
    return outcome


@transaction.atomic
def restrict_on_request(ctx: Context, *, customer_id: uuid.UUID, request_ref: str, reason: str) -> None:
    """Restrict processing because the customer asked (PIPL-44, GDPR-18); idempotent (already restricted: no-op)."""
    changed = restriction.restrict(ctx, customer_id=customer_id, basis=REQUEST_BASIS, detail={"request_ref": queries.ref_code(request_ref)})
    if not changed:
        audit.record(
            ctx, "lifecycle.restricted", object_type="customers.customer", object_id=str(customer_id), customer_id=customer_id,
            detail={"request_ref": queries.ref_code(request_ref), "already": True},
        )  # fmt: skip


@transaction.atomic
def lift_request_restriction(ctx: Context, *, customer_id: uuid.UUID, request_ref: str) -> None:
    """Lift a restriction the customer asked for; a legal hold keeps the customer restricted regardless."""
    changed = restriction.unrestrict(ctx, customer_id=customer_id, detail={"request_ref": queries.ref_code(request_ref)})
    if not changed:
        audit.record(
            ctx, "lifecycle.unrestricted", object_type="customers.customer", object_id=str(customer_id), customer_id=customer_id,
            detail={"request_ref": queries.ref_code(request_ref), "already": True},
        )  # fmt: skip


@transaction.atomic
def cancel_erasure_request(ctx: Context, *, request_ref: str) -> str:
    """The data-subject request behind ``request_ref`` was refused (PIPL-50): the erasure is off. A waiting one's
    change request ``lifecycle.erase`` is cancelled (nobody can approve it afterwards) and the erasure marked
    rejected; a queued one not yet started is marked rejected (the engine locks the row and skips it). One whose
    key is already destroyed cannot be called back: Conflict ``erasure_under_way``. Returns the state left;
    "" when there is no erasure for the ref. Idempotent."""
    from clientvault.approvals import services as approvals

    erasure = Erasure.objects.select_for_update().filter(request_ref=request_ref).first()
    if erasure is None:
        return ""
    if erasure.state in (ErasureState.SHREDDED, ErasureState.ROWS_DONE):
        raise Conflict(_("The erasure is already under way and cannot be called back."), code="erasure_under_way")
    if erasure.state not in (ErasureState.PENDING_APPROVAL, ErasureState.QUEUED):
        return str(erasure.state)
    previous = str(erasure.state)
    if erasure.change_request_id is not None:
        approvals.cancel(ctx, erasure.change_request_id, reason="rights_request_refused")
    erasure.state = ErasureState.REJECTED
    erasure.save(update_fields=["state", "updated_at"])
    audit.record(
        ctx, "lifecycle.erasure_cancelled", object_type="lifecycle.erasure", object_id=str(erasure.pk), customer_id=erasure.customer_id,
        detail={"request_ref": queries.ref_code(request_ref), "previous": previous},
    )  # fmt: skip
    return str(erasure.state)
