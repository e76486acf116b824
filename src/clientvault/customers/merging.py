"""The customer side of a merge and an unmerge (issue #14): the writes to customer rows themselves.

The merges app orchestrates (change requests, survivorship, lineage, re-pointing through ``lineage``); the
customer rows are written here, by the app that owns them (ARCHITECTURE.md rule 1):

- ``lock`` takes the row locks of every record, sorted by id (two merges over the same records cannot deadlock);
- ``values_of`` opens a record's editable values in memory (for the survivorship rules; never logged);
- ``absorb`` marks the merged-away records (``merged_into``), clears their blind indexes — they would collide
  with the survivor's unique identifiers and keep matching — writes the survivor's values through the same
  validation and sealing as any approved change (``profiles.write_approved``) and records ``customer.merged``
  per record with the merge id;
- ``restore`` writes the customer rows back exactly as snapshotted (the survivor first, so that the merged
  records' identifiers are free again) and records ``customer.unmerged`` per record.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from typing import Any

from clientvault.audit import recording as audit
from clientvault.core.context import Context
from clientvault.customers import lineage, profiles, vault
from clientvault.customers.models import Customer

MODEL = "customers.customer"
_WHY = "merge: the records of an approved merge or unmerge, under lock"


def lock(ids: Sequence[uuid.UUID | str]) -> list[Customer]:
    """Every record, locked in id order (a missing one is simply absent from the answer)."""
    held = Customer.objects.unrestricted(reason=_WHY).select_related("department")
    return list(held.select_for_update().filter(pk__in=sorted(str(i) for i in ids)).order_by("pk"))


def records(ids: Sequence[uuid.UUID | str]) -> list[Customer]:
    """The records (no lock), for a selector that has already checked the viewer's sight of every one."""
    held = Customer.objects.unrestricted(reason="merge: the rules' choices over records the viewer sees")
    return list(held.filter(pk__in=[str(i) for i in ids]))


def values_of(customer: Customer) -> dict[str, Any]:
    """The record's editable values and custom data, in plaintext (memory only)."""
    values, custom = profiles._current_values(customer)
    return {**values, "custom_data": custom}


def snapshot(ids: Sequence[uuid.UUID | str]) -> lineage.Rows:
    return lineage.dump(MODEL, pk__in=[str(i) for i in ids])


def absorb(ctx: Context, *, survivor: Customer, members: Sequence[Customer], values: Mapping[str, Any], merge_id: uuid.UUID) -> list[str]:
    """Fold ``members`` into ``survivor`` (all locked by the caller): returns the survivor's fields changed."""
    held = Customer.objects.unrestricted(reason=_WHY)
    cleared = {vault.index_column(f): b"" for f in vault.BLIND_INDEXED}
    held.filter(pk__in=[m.pk for m in members]).update(merged_into=survivor.pk, **cleared)
    standard = {f: v for f, v in values.items() if f != "custom_data"}
    custom = dict(values.get("custom_data") or {})
    changed = profiles.write_approved(ctx, survivor, standard, custom)
    if any(m.is_core for m in members) and not survivor.is_core:
        # A merge never lowers protection: a core record stays core in its survivor (rule 12).
        held.filter(pk=survivor.pk).update(is_core=True)
        changed.append("is_core")
    member_ids = [str(m.pk) for m in members]
    audit.record(
        ctx, "customer.merged", obj=survivor, customer_id=survivor.pk, fields=changed,
        detail={"merge_id": str(merge_id), "role": "survivor", "merged": member_ids},
    )  # fmt: skip
    for member in members:
        audit.record(
            ctx, "customer.merged", obj=member, customer_id=member.pk,
            detail={"merge_id": str(merge_id), "role": "merged", "survivor": str(survivor.pk)},
        )  # fmt: skip
    return changed


def restore(ctx: Context, rows: lineage.Rows, *, survivor_id: uuid.UUID, merge_id: uuid.UUID) -> None:
    """Write every record back as snapshotted, survivor first, and record ``customer.unmerged`` per record."""
    first = [r for r in rows if lineage.row_key(r)[1] == str(survivor_id)]
    rest = [r for r in rows if lineage.row_key(r)[1] != str(survivor_id)]
    lineage.restore_rows(first + rest)
    for row in first + rest:
        cid = uuid.UUID(lineage.row_key(row)[1])
        role = "survivor" if cid == survivor_id else "merged"
        audit.record(
            ctx, "customer.unmerged", object_type=MODEL, object_id=str(cid), customer_id=cid,
            detail={"merge_id": str(merge_id), "role": role},
        )  # fmt: skip
