"""Applying an approved merge or unmerge (issue #14): the ``apply`` of the ``merges.merge`` and ``merges.unmerge``
change types, run by approvals on the last approval inside its savepoint (a stale target or a refusal rolls
back everything written here; the request is then ``failed`` with its reason).

Apply: lock every record (sorted), verify nothing changed (the fingerprint, checked by approvals, covers every
row as stored), refuse while any record has another open change request, snapshot every affected row into the
``Merge`` (ciphertext as it is), write the survivor through the customers service, re-point every child through
the registry, mark the merged records (``customers.merging.absorb`` records ``customer.merged`` per record).
Unmerge: refuse past the window or when a row the merge wrote changed since; otherwise write every row back as
snapshotted and remove what the merge added (``customer.unmerged`` per record).
"""

from __future__ import annotations

import datetime as dt
import importlib
import uuid
from collections.abc import Mapping
from typing import Any

from django.apps import apps as django_apps
from django.utils.translation import gettext_lazy as _

from clientvault.approvals.registry import Pending, Stale
from clientvault.core import clock
from clientvault.core.context import Context
from clientvault.core.errors import Conflict
from clientvault.customers import lineage, merging
from clientvault.merges import snapshots
from clientvault.merges.models import Merge, MergeStatus
from clientvault.merges.planning import can_unmerge, refuse_open_requests


def _locked_merge(merge_id: str) -> Merge:
    merge = Merge.objects.select_for_update().filter(pk=merge_id).first()
    if merge is None:
        raise Stale(_("The merge no longer exists."))
    return merge


def _values(raw: Mapping[str, Any]) -> dict[str, Any]:
    out = dict(raw)
    if out.get("birth_date"):
        out["birth_date"] = dt.date.fromisoformat(str(out["birth_date"]))
    return out


def _dedupe(name: str, ctx: Context, merge: Merge) -> None:
    """Tell the duplicate queue (slice D) that its cluster was merged / is open again; absent app: nothing."""
    if merge.cluster_id is None or not django_apps.is_installed("clientvault.dedupe"):
        return
    try:
        dedupe = importlib.import_module("clientvault.dedupe.services")
    except ImportError:
        return
    if name == "mark_merged":
        dedupe.mark_merged(ctx, merge.cluster_id, merge_id=merge.pk)
    else:
        dedupe.reopen(ctx, merge.cluster_id)


def apply_merge(ctx: Context, pending: Pending) -> None:
    """Apply an approved merge: lock, snapshot, write the survivor, re-point children, mark the merged records."""
    merge = _locked_merge(pending.target_id)
    if merge.status != MergeStatus.PROPOSED:
        raise Stale(_("This merge is no longer waiting."))
    ids = [uuid.UUID(i) for i in merge.customer_ids]
    customers = merging.lock(ids)
    if len(customers) != len(ids) or any(c.merged_into_id is not None for c in customers):
        raise Stale(_("One of the records was merged or removed since the merge was proposed."))
    refuse_open_requests(ids, merge_id=str(merge.pk))
    before = snapshots.take(ids)
    by_id = {c.pk: c for c in customers}
    survivor = by_id[merge.survivor_id]
    members = [by_id[i] for i in ids[1:]]
    merging.absorb(ctx, survivor=survivor, members=members, values=_values(pending.values["values"]), merge_id=merge.pk)
    for member in members:
        for repointer in lineage.registered():
            repointer.repoint(ctx, member.pk, survivor.pk)
    merge.before, merge.after = before, snapshots.take(ids)
    merge.status, merge.applied_at = MergeStatus.APPLIED, clock.now()
    merge.save(update_fields=["before", "after", "status", "applied_at"])
    _dedupe("mark_merged", ctx, merge)


def apply_unmerge(ctx: Context, pending: Pending) -> None:
    """Restore every record and every re-pointed child exactly as snapshotted; remove what the merge added."""
    merge = _locked_merge(pending.target_id)
    merging.lock(merge.customer_ids)
    why = can_unmerge(merge)
    if why:
        raise Conflict(why[0], code="cannot_unmerge")
    before, after = merge.before, merge.after
    added = snapshots.keys(after) - snapshots.keys(before)
    merging.restore(ctx, snapshots.of_model(before, {merging.MODEL}), survivor_id=merge.survivor_id, merge_id=merge.pk)
    for repointer in lineage.registered():
        repointer.restore(ctx, snapshots.of_model(before, {repointer.model, *repointer.covers}))
    for row in reversed(after):  # dependency order reversed: current state before records, evidence before records
        key = lineage.row_key(row)
        if key in added:
            lineage.delete_rows(key[0], [lineage.decoded(row)[lineage.model_of(key[0])._meta.pk.attname]])
    merge.status, merge.unmerged_at = MergeStatus.UNMERGED, clock.now()
    merge.save(update_fields=["status", "unmerged_at"])
    _dedupe("reopen", ctx, merge)


def close(ctx: Context, pending: Pending, status: str) -> None:
    """A merge request ended unapplied (rejected, withdrawn, expired, failed): the merge is off."""
    Merge.objects.filter(pk=pending.target_id, status=MergeStatus.PROPOSED).update(status=MergeStatus.CANCELLED)
