"""The change type lifecycle registers with approvals: ``lifecycle.erase`` (a deletion on request, PIPL-47, where
``CLIENTVAULT_DELETION_APPROVAL`` is on). The target is the ``Erasure`` row; approving it queues the erasure (the
engine re-checks holds in every step, so a hold placed while the request waited still stops it)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from clientvault.approvals import registry
from clientvault.approvals import services as approvals
from clientvault.approvals.models import ChangeRequest
from clientvault.approvals.registry import ChangeType, DiffRow, Facts, Pending, Proposal, Stale
from clientvault.core.context import Context
from clientvault.core.errors import DomainError
from clientvault.customers.models import Customer
from clientvault.lifecycle.models import Erasure, ErasureState

ERASE = "lifecycle.erase"
TARGET = "lifecycle.erasure"


def fingerprint(target_id: str) -> str:
    erasure = Erasure.objects.select_for_update().filter(pk=target_id).first()
    return "missing" if erasure is None else str(erasure.state)


def submit_erasure(ctx: Context, erasure: Erasure, customer: Customer) -> ChangeRequest:
    """The erasure as a change request waiting for a compliance officer other than the maker (caller's transaction)."""
    proposal = Proposal(
        change_type=ERASE, target_type=TARGET, target_id=str(erasure.pk), field_key="erase", subject_id=customer.pk,
        values={"request_ref": erasure.request_ref or ""}, before={}, fingerprint=str(ErasureState.PENDING_APPROVAL),
        facts=Facts(
            legal_entity_id=customer.legal_entity_id, department_id=customer.department_id, customer_class="C3", core=customer.is_core
        ),
        summary=str(_("Erasure of a customer on request")), fields=(),
    )  # fmt: skip
    return approvals.submit(ctx, proposal, reason=str(_("The customer asked for their data to be deleted (PIPL-47).")))


def apply(ctx: Context, pending: Pending) -> None:
    from clientvault.lifecycle.services import _enqueue

    erasure = Erasure.objects.select_for_update().filter(pk=pending.target_id).first()
    if erasure is None or erasure.state != ErasureState.PENDING_APPROVAL:
        raise Stale(_("This erasure is no longer waiting."))
    erasure.state = ErasureState.QUEUED
    erasure.save(update_fields=["state", "updated_at"])
    _enqueue(erasure.pk)


def close(ctx: Context, pending: Pending, status: str) -> None:
    """The request ended unapplied (rejected, withdrawn, expired): the erasure is off."""
    Erasure.objects.filter(pk=pending.target_id, state=ErasureState.PENDING_APPROVAL).update(state=ErasureState.REJECTED)


def describe(ctx: Context, pending: Pending) -> list[DiffRow]:
    return [DiffRow(field="erasure", label=_("customer erased"), before="—", after=str(_("Erased")), shown_plain=True)]


def in_scope(ctx: Context, pending: Pending) -> bool:
    try:
        return Customer.objects.visible_to(ctx, "view").filter(pk=pending.subject_id).exists()
    except DomainError:
        return False


ERASE_TYPE = ChangeType(
    code=ERASE, label=_("Erasure of a customer"), fingerprint=fingerprint, apply=apply, describe=describe, in_scope=in_scope,
    link=None, extra={"on_close": close},
)  # fmt: skip


def register() -> None:
    registry.register(ERASE_TYPE)
