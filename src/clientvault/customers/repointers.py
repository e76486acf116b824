"""What customers registers with the re-pointer registry (``lineage.py``; issue #14), and what it declares exempt.

- Follow-ups move to the survivor. Their text is sealed under the customer's key and bound to the row
  (``vault.seal_followup``), so moving one re-seals it under the survivor's key: decrypted in this process's
  memory only, never logged.
- Match keys (the on-entry duplicate check's derived digests) do not move; they are snapshotted and restored.
- Tags: the survivor gets the union; the merged-away record keeps its own (lineage), so the unmerge only
  removes the tag rows the merge added.
"""

from __future__ import annotations

import uuid

from clientvault.core.context import Context
from clientvault.customers import lineage, vault
from clientvault.customers.models import Customer, FollowUp

FOLLOWUP = "customers.followup"
TAGS = "customers.customer_tags"


def _followups(ids: list[uuid.UUID]) -> lineage.Rows:
    return lineage.dump(FOLLOWUP, customer_id__in=ids)


def _repoint_followups(ctx: Context, from_id: uuid.UUID, survivor_id: uuid.UUID) -> int:
    rows = list(FollowUp.objects.unrestricted(reason="merge: re-point a merged record's follow-ups").filter(customer_id=from_id))
    for followup in rows:
        text = vault.unseal_followup(followup)
        followup.customer_id = survivor_id
        vault.seal_followup(followup, text)
        # update(), not save(): the follow-up was not edited, its updated_at stays what it was.
        FollowUp.objects.unrestricted(reason="merge: re-point").filter(pk=followup.pk).update(
            customer_id=survivor_id, summary_ct=followup.summary_ct, next_step_ct=followup.next_step_ct
        )
    return len(rows)


def _restore(ctx: Context, rows: lineage.Rows) -> None:
    lineage.restore_rows(rows)


def _tags(ids: list[uuid.UUID]) -> lineage.Rows:
    return lineage.dump(TAGS, customer_id__in=ids)


def _repoint_tags(ctx: Context, from_id: uuid.UUID, survivor_id: uuid.UUID) -> int:
    through = Customer.tags.through
    have = set(through.objects.filter(customer_id=survivor_id).values_list("tag_id", flat=True))
    add = [t for t in through.objects.filter(customer_id=from_id).values_list("tag_id", flat=True) if t not in have]
    through.objects.bulk_create([through(customer_id=survivor_id, tag_id=t) for t in add])
    return len(add)


MATCH_KEYS = "customers.matchkey"


def _match_keys(ids: list[uuid.UUID]) -> lineage.Rows:
    return lineage.dump(MATCH_KEYS, customer_id__in=ids)


def _repoint_match_keys(ctx: Context, from_id: uuid.UUID, survivor_id: uuid.UUID) -> int:
    """Nothing moves: the survivor's keys are rewritten from its merged values (``profiles.write_approved``), and a
    merged-away record's keys stay with it as lineage; look-ups drop records with ``merged_into`` (matching.py).
    Registered all the same so that an unmerge puts every key row back exactly as it was."""
    return 0


def register() -> None:
    lineage.register(lineage.Repointer("match keys", MATCH_KEYS, _match_keys, _repoint_match_keys, _restore))
    lineage.register(lineage.Repointer("follow-ups", FOLLOWUP, _followups, _repoint_followups, _restore))
    lineage.register(lineage.Repointer("tags", TAGS, _tags, _repoint_tags, _restore))
    lineage.exempt("customers.customer", "merged_into is the lineage itself: it points at the survivor")
    lineage.exempt("audit.auditevent", "audit events are append-only and name the record they were about")
    lineage.exempt("crypto.customerkey", "each record keeps its own key: lineage rows stay sealed under it")
    lineage.exempt("crypto.shreddedkey", "a shredded key belongs to the record that was erased")
    lineage.exempt("crypto.keydestruction", "a key destruction belongs to the record that was erased")
