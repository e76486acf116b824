"""Compliance review on entry (入库合规审核, issue #13).

A new customer enters as pending review when ``CLIENTVAULT_ENTRY_REVIEW`` says so (all / core / high_risk /
none); until compliance approves it only its creator and compliance see or use the record
(``querysets.review_filter``). A customer entered by a person opens a ``customers.entry_review`` change
request (``approval_types``); customers imported by the operator's command have no maker and are accepted
in bulk by a compliance officer (``accept_entries``). Either way the decision leaves ``customer.reviewed``.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils.translation import gettext_lazy as _

from clientvault.access.policies import CHANGE, allows
from clientvault.audit import recording as audit
from clientvault.core.capabilities import ENTRY_REVIEW
from clientvault.core.context import Context
from clientvault.core.errors import Conflict, PermissionDenied, ValidationFailed
from clientvault.customers import rules
from clientvault.customers.choices import ReviewStatus
from clientvault.customers.models import Customer


def mode() -> str:
    return str(getattr(settings, "CLIENTVAULT_ENTRY_REVIEW", "all"))


def risk_of(customer: Customer) -> str:
    return rules.entry_risk(
        is_core=bool(customer.is_core),
        kind=customer.kind,
        residency=customer.residency,
        nationality=customer.nationality,
        uscc_needs_review=bool(customer.uscc_needs_review),
    )


def status_at_entry(customer: Customer) -> str:
    """The review status a new customer enters with under the configured mode."""
    if rules.needs_entry_review(mode(), is_core=bool(customer.is_core), risk=risk_of(customer)):
        return ReviewStatus.PENDING
    return ReviewStatus.APPROVED


EVENT_OF: dict[str, str] = {ReviewStatus.APPROVED: "customer.entry_approved", ReviewStatus.REJECTED: "customer.entry_rejected"}
IMPORT_BATCH = 2000


def record_decision(ctx: Context, customer: Customer, outcome: str, *, request_id: uuid.UUID | None = None) -> None:
    """Set the review outcome of a pending customer the caller holds locked, and record it."""
    if customer.review_status != ReviewStatus.PENDING:
        raise Conflict(_("This customer is not waiting for review."), code="not_pending")
    customer.review_status = outcome
    customer.version += 1
    customer.save(update_fields=["review_status", "version", "updated_at"])
    detail: dict[str, Any] = {"version": customer.version, "decided_by_role": ctx.primary_role}
    if request_id is not None:
        detail["change_request"] = str(request_id)
    audit.record(ctx, EVENT_OF[outcome], obj=customer, customer_id=customer.pk, fields=["review_status"], detail=detail)


@transaction.atomic
def accept_imported(*, ctx: Context, customer_ids: Sequence[uuid.UUID] | None = None, outcome: str = ReviewStatus.APPROVED) -> int:
    """A compliance officer decides pending customers that entered without a maker — imported by the operator's
    command — all of them it can see, or ``customer_ids``; a customer entered by a person is decided on its
    change request. One event per customer; returns how many were decided."""
    if ctx.actor is None or not allows(ctx.roles, ENTRY_REVIEW, CHANGE):
        raise PermissionDenied()
    if outcome not in EVENT_OF:
        raise ValidationFailed({"outcome": [_("Choose approve or reject.")]})
    waiting = Customer.objects.visible_to(ctx, "view").filter(review_status=ReviewStatus.PENDING, created_by__isnull=True)
    if customer_ids is not None:
        wanted = set(customer_ids)
        if waiting.filter(pk__in=wanted).count() != len(wanted):
            # Out of sight, already decided, or entered by a person: refused whole, nothing half-done.
            raise Conflict(_("Some of these customers are not waiting for your review here."), code="not_reviewable")
        waiting = waiting.filter(pk__in=wanted)
    done = 0
    while batch := list(waiting.select_for_update().order_by("pk")[:IMPORT_BATCH]):
        Customer.objects.unrestricted(reason="the batch a compliance officer just decided, read under its lock").filter(
            pk__in=[c.pk for c in batch]
        ).update(review_status=outcome, version=F("version") + 1)
        audit.record_many(ctx, ((EVENT_OF[outcome], c, c.pk, ["review_status"]) for c in batch))
        done += len(batch)
    return done
