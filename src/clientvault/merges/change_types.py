"""The change types merges registers with approvals: ``merges.merge`` and ``merges.unmerge`` (issue #14).

The target is the ``Merge`` row; its fingerprint is the digest of every row the merge touches as stored
(customer rows and every child row the re-pointers report), read under the records' locks: any change to any
of them between proposal and approval makes the request stale (it fails, nothing is written).
"""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from clientvault.approvals import registry
from clientvault.approvals.registry import ChangeType, DiffRow, Pending
from clientvault.core.context import Context
from clientvault.core.errors import DomainError
from clientvault.customers import approval_types, merging
from clientvault.customers.models import Customer
from clientvault.merges import applying, services, snapshots
from clientvault.merges.models import Merge, MergeStatus


def merge_fingerprint(target_id: str) -> str:
    merge = Merge.objects.filter(pk=target_id).first()
    if merge is None:
        return "missing"
    if merge.status != MergeStatus.PROPOSED:
        return merge.status
    merging.lock(merge.customer_ids)
    return snapshots.digest(snapshots.take(merge.customer_ids))


def unmerge_fingerprint(target_id: str) -> str:
    merge = Merge.objects.filter(pk=target_id).first()
    if merge is None:
        return "missing"
    merging.lock(merge.customer_ids)
    return f"{merge.status}:{snapshots.digest(snapshots.take(merge.customer_ids))}"


def in_scope(ctx: Context, pending: Pending) -> bool:
    """Whoever sees every record of a waiting merge (the survivor only, once merged away records are lineage)."""
    merge = Merge.objects.filter(pk=pending.target_id).first()
    if merge is None:
        return False
    ids = merge.customer_ids if merge.status == MergeStatus.PROPOSED else [str(merge.survivor_id)]
    try:
        return Customer.objects.visible_to(ctx, "view").filter(pk__in=ids).count() == len(ids)
    except DomainError:
        return False


def describe_merge(ctx: Context, pending: Pending) -> list[DiffRow]:
    """The survivor's fields before and after, masked by the viewer's plan for the survivor."""
    merge = Merge.objects.filter(pk=pending.target_id).first()
    held = Customer.objects.unrestricted(reason="approvals: describe a merge to a viewer the selector let see the request")
    survivor = held.select_related("department").filter(pk=pending.subject_id).first()
    if merge is None or survivor is None:
        return []
    after: dict[str, Any] = dict(pending.values.get("values") or {})
    custom_after = after.pop("custom_data", None) or {}
    before: dict[str, Any] = {}
    if merge.status == MergeStatus.PROPOSED:
        current = merging.values_of(survivor)
        custom_before = current.pop("custom_data", None) or {}
        before = {f: current.get(f) for f in after}
        before.update({f"custom.{k}": v for k, v in custom_before.items()})
    after.update({f"custom.{k}": v for k, v in custom_after.items()})
    rows = [DiffRow(field="records", label=_("records merged"), before=str(len(merge.customer_ids)), after="1", shown_plain=True)]
    return rows + approval_types.masked_rows(ctx, survivor, before, after)


def describe_unmerge(ctx: Context, pending: Pending) -> list[DiffRow]:
    merge = Merge.objects.filter(pk=pending.target_id).first()
    n = str(len(merge.customer_ids)) if merge is not None else "—"
    return [DiffRow(field="records", label=_("records restored"), before="1", after=n, shown_plain=True)]


def link(pending: Pending) -> str:
    return reverse("merges:detail", args=[pending.target_id])


MERGE_TYPE = ChangeType(
    code=services.MERGE, label=_("Merge of customer records"), fingerprint=merge_fingerprint, apply=applying.apply_merge,
    describe=describe_merge, in_scope=in_scope, link=link, extra={"on_close": applying.close},
)  # fmt: skip
UNMERGE_TYPE = ChangeType(
    code=services.UNMERGE, label=_("Undoing a merge"), fingerprint=unmerge_fingerprint, apply=applying.apply_unmerge,
    describe=describe_unmerge, in_scope=in_scope, link=link,
)  # fmt: skip


def register() -> None:
    registry.register(MERGE_TYPE)
    registry.register(UNMERGE_TYPE)
