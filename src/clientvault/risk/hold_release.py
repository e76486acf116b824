"""The release of a forced credit hold (issue #16; ARCHITECTURE.md rule 12): always a change request (``risk.hold_release``,
registered in ``risk/change_types.py``), decided by someone other than its maker and other than the person who placed
the hold; approvals calls ``apply_hold_release`` in its transaction when the last approver decides. A rule hold is
the evaluation's to release, never a person's."""

from __future__ import annotations

import uuid
from typing import Any

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from clientvault.access.policies import CHANGE
from clientvault.approvals import services as approvals
from clientvault.approvals.models import ChangeRequest
from clientvault.approvals.registry import Pending, Proposal
from clientvault.core.context import Context
from clientvault.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from clientvault.risk import limits
from clientvault.risk.limits import HOLD_RELEASE, HOLD_TARGET
from clientvault.risk.models import CreditFile, CreditHold, HoldKind, HoldStatus


def hold_fingerprint(target_id: str) -> str:
    """The hold's status, read under a row lock."""
    try:
        hold_id = uuid.UUID(str(target_id))
    except ValueError:
        return "missing"
    row = CreditHold.objects.unrestricted(reason=limits.APPLY).select_for_update().filter(pk=hold_id).values_list("status", flat=True)
    return str(row.first() or "missing")


def request_hold_release(ctx: Context, *, hold_id: uuid.UUID, reason: str) -> ChangeRequest:
    """Ask for a forced hold to be released; the placer and the maker may not decide it (rule 12)."""
    errors: dict[str, list[Any]] = {}
    text = limits.clean_reason(reason, errors)
    if errors:
        raise ValidationFailed(errors)
    with transaction.atomic():
        hold = CreditHold.objects.visible_to(ctx, CHANGE).select_for_update().filter(pk=hold_id).first()
        if hold is None:
            raise NotFound()
        if hold.kind != HoldKind.FORCED:
            raise Conflict(_("A rule hold is released by the credit-control evaluation, not by a person."), code="rule_hold")
        if hold.status != HoldStatus.ACTIVE:
            raise Conflict(_("This hold has already been released."), code="not_active")
        credit_file = CreditFile.objects.unrestricted(reason=limits.APPLY).select_related("customer").get(pk=hold.credit_file_id)
        values = {"status": HoldStatus.RELEASED, "file": str(credit_file.pk)}
        existing = limits.existing_request(ctx, HOLD_TARGET, str(hold.pk), "release", values)
        if existing is not None:
            return existing
        proposal = Proposal(
            change_type=HOLD_RELEASE,
            target_type=HOLD_TARGET,
            target_id=str(hold.pk),
            field_key="release",
            subject_id=credit_file.customer_id,
            values=values,
            before={"status": hold.status, "reason_code": hold.reason_code},
            fingerprint=hold.status,
            facts=limits.facts(credit_file),
            summary=f"release of a forced hold ({hold.reason_code})"[:200],
            fields=(),
        )
        return approvals.submit(ctx, proposal, reason=text)


def placed_by(hold_id: str) -> int | None:
    """Who placed the hold (None: a critical warning or the system)."""
    rows = CreditHold.objects.unrestricted(reason="who placed a hold: the release's deciders must differ")
    found: int | None = rows.filter(pk=hold_id).values_list("placed_by_id", flat=True).first()
    return found


def apply_hold_release(ctx: Context, pending: Pending) -> None:
    """Release the forced hold on the approved request; refused if its placer was among the deciders."""
    from clientvault.risk import holds

    placer = placed_by(pending.target_id)
    if placer is not None and (placer in pending.approver_ids or placer == ctx.actor_id):
        raise PermissionDenied(_("The person who placed a hold cannot decide its release."), code="placer_is_checker")
    holds.release_forced_hold(ctx, hold_id=uuid.UUID(pending.target_id), request_id=pending.id)


def hold_file(ctx: Context, hold_id: uuid.UUID) -> uuid.UUID:
    """The file of a hold the person may ask to release (404 otherwise)."""
    found: uuid.UUID | None = CreditHold.objects.visible_to(ctx, CHANGE).filter(pk=hold_id).values_list("credit_file_id", flat=True).first()
    if found is None:
        raise NotFound()
    return found
