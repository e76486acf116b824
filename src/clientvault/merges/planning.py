"""What a merge needs to decide, read without writing (issue #14): who may propose, the survivorship rules in
force, the records as the rules see them (values opened in memory only), the approval facts, and whether an
applied merge can still be undone."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Mapping, Sequence
from typing import Any

from django.conf import settings
from django.utils.translation import gettext_lazy as _

from clientvault.approvals import selectors as approvals_selectors
from clientvault.approvals.registry import Facts
from clientvault.core import clock
from clientvault.core.capabilities import CHANGE, DUPLICATES, allows
from clientvault.core.context import Context
from clientvault.core.errors import Conflict, NotFound, PermissionDenied
from clientvault.customers import merging
from clientvault.customers.models import Customer
from clientvault.merges import snapshots, survivorship
from clientvault.merges.models import Merge, MergeStatus, SurvivorshipRule


def require_maker(ctx: Context) -> None:
    if ctx.actor is None or not allows(ctx.roles, DUPLICATES, CHANGE):
        raise PermissionDenied()


def rule_specs() -> dict[str, survivorship.RuleSpec]:
    return {r.field: survivorship.RuleSpec(r.rule, list(r.source_order or []), r.version) for r in SurvivorshipRule.objects.all()}


def candidates(customers: Sequence[Customer]) -> list[survivorship.Candidate]:
    """The records as the rules see them (values opened in this process's memory only)."""
    return [survivorship.Candidate(c.pk, merging.values_of(c), c.updated_at, c.created_at, c.source) for c in customers]


def visible_all(ctx: Context, ids: Sequence[uuid.UUID]) -> None:
    seen = set(Customer.objects.visible_to(ctx, "view").filter(pk__in=ids).values_list("pk", flat=True))
    if seen != set(ids):
        raise NotFound()  # out of sight == missing (rule 4); the maker must see every record


def facts_for(customers: Sequence[Customer], survivor: Customer) -> Facts:
    return Facts(
        legal_entity_id=survivor.legal_entity_id, department_id=survivor.department_id, customer_class="C3",
        core=any(c.is_core for c in customers),
    )  # fmt: skip


def plan(
    customers: Sequence[Customer], survivor_id: uuid.UUID, picks: Mapping[str, uuid.UUID]
) -> tuple[dict[str, uuid.UUID], dict[str, Any]]:
    """Per field: the record it comes from and the survivor's value (plaintext, memory only)."""
    kind = customers[0].kind
    return survivorship.decide(kind, candidates(customers), rule_specs(), survivor=survivor_id, picks=picks)


def unmerge_deadline(merge: Merge) -> dt.datetime | None:
    if merge.applied_at is None:
        return None
    return merge.applied_at + dt.timedelta(days=settings.CLIENTVAULT_UNMERGE_DAYS)


def can_unmerge(merge: Merge) -> list[str]:
    """Why this merge cannot be undone now (translated sentences; empty: it can)."""
    if merge.status != MergeStatus.APPLIED:
        return [str(_("Only an applied merge can be undone."))]
    deadline = unmerge_deadline(merge)
    if deadline is None or clock.now() > deadline:
        return [str(_("The window for undoing this merge has passed."))]
    changed = snapshots.unrestorable(merge.after, snapshots.take(merge.customer_ids), survivor_id=str(merge.survivor_id))
    if changed:
        return [str(_("Changed since the merge, so it cannot be restored exactly: %(what)s.") % {"what": ", ".join(changed)})]
    return []


def refuse_open_requests(ids: Sequence[uuid.UUID], *, merge_id: str | None = None) -> None:
    exclude = ("merges.merge", merge_id) if merge_id else None
    if approvals_selectors.open_on_subjects([str(i) for i in ids], exclude_target=exclude):
        raise Conflict(
            _("One of these records has an open change request. Decide or withdraw it before merging."), code="open_change_request"
        )
