"""Merge and unmerge as change requests (issue #14; ARCHITECTURE.md rules 1, 2, 12).

``propose`` (maker: DUPLICATES capability and sight of every record) computes the survivor's values field by
field (``survivorship``), validates them, and submits a ``merges.merge`` change request; a compliance officer
other than the maker decides it (approval rule seeded by migration 0002). ``apply_merge`` runs on the last
approval, inside the approvals savepoint: a stale fingerprint or a refusal leaves nothing half-merged.

Which key seals what: the request's values (the survivor's computed values, chosen from N records) are sealed
under the **survivor's** key. They are what the survivor record will hold once approved, so the survivor's key
is the one whose destruction must erase them; the merged-away records' own values stay sealed under their own
keys in their own rows and in the lineage snapshot. ``before`` is empty: the checker's diff is computed from
the live records at view time, masked for the viewer.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from clientvault.approvals import services as approvals
from clientvault.approvals.models import ChangeRequest
from clientvault.approvals.registry import Proposal
from clientvault.audit import recording as audit
from clientvault.core import clock
from clientvault.core.context import Context
from clientvault.core.errors import Conflict, ValidationFailed
from clientvault.customers import merging, rules
from clientvault.customers.choices import ReviewStatus
from clientvault.customers.models import Customer
from clientvault.merges import planning, snapshots, survivorship
from clientvault.merges.models import Merge, MergeStatus

MERGE, UNMERGE = "merges.merge", "merges.unmerge"
TARGET = "merges.merge"
MAX_RECORDS = 50


def _refuse_open_merges(ids: Sequence[uuid.UUID]) -> None:
    wanted = {str(i) for i in ids}
    waiting = Merge.objects.filter(status=MergeStatus.PROPOSED, request__status__in=ChangeRequest.OPEN)
    for merge in waiting.only("survivor_id", "member_ids"):
        if wanted & {str(merge.survivor_id), *merge.member_ids}:
            raise Conflict(_("One of these records is already in a merge waiting for approval."), code="merge_pending")


@transaction.atomic
def propose(
    ctx: Context, customer_ids: list[uuid.UUID], *, picks: dict[str, uuid.UUID], reason: str, cluster_id: uuid.UUID | None = None
) -> ChangeRequest:
    """Propose merging ``customer_ids`` into the first of them (the survivor), as a change request."""
    planning.require_maker(ctx)
    ids = list(dict.fromkeys(uuid.UUID(str(i)) for i in customer_ids))
    if len(ids) < 2:
        raise ValidationFailed({"customer_ids": [_("Choose at least two records to merge.")]})
    if len(ids) > MAX_RECORDS:
        raise ValidationFailed({"customer_ids": [_("Merge at most %(n)d records at once.") % {"n": MAX_RECORDS}]})
    if not (reason or "").strip():
        raise ValidationFailed({"reason": [_("Say why these records are the same customer.")]})
    planning.visible_all(ctx, ids)
    customers = merging.lock(ids)
    by_id = {c.pk: c for c in customers}
    survivor = by_id[ids[0]]
    if len({c.legal_entity_id for c in customers}) > 1 or len({c.kind for c in customers}) > 1:
        raise ValidationFailed({"customer_ids": [_("Only records of the same type and legal entity can be merged.")]})
    if any(c.review_status == ReviewStatus.REJECTED for c in customers):
        raise Conflict(_("A record rejected at entry review cannot be merged."), code="rejected_at_review")
    planning.refuse_open_requests(ids)
    _refuse_open_merges(ids)
    bad_picks = {f for f, cid in picks.items() if cid not in by_id}
    if bad_picks:
        raise ValidationFailed({f: [_("Pick one of the records being merged.")] for f in sorted(bad_picks)})
    unknown = set(picks) - set(survivorship.fields_for(survivor.kind))
    if unknown:
        raise ValidationFailed({f: [_("This field cannot be picked.")] for f in sorted(unknown)})
    ordered = [by_id[i] for i in ids]
    defaults, _values = planning.plan(ordered, survivor.pk, {})
    picks = {f: p for f, p in picks.items() if p != defaults[f]}  # only what the maker changed is a manual pick
    sources, values = planning.plan(ordered, survivor.pk, picks)
    standard = {f: v for f, v in values.items() if f != "custom_data"}
    _cleaned, errors = rules.clean_customer(
        {**merging.values_of(survivor), **standard}, kind=survivor.kind, today=clock.today(),
        accept_uscc_checksum_failure=any(c.uscc_needs_review for c in customers),
    )  # fmt: skip
    if errors:
        raise ValidationFailed({f: [_("The merged record would not be valid: pick this field from another record.")] for f in errors})
    specs = planning.rule_specs()
    assert ctx.actor is not None
    merge = Merge.objects.create(
        legal_entity_id=survivor.legal_entity_id,
        survivor=survivor,
        member_ids=[str(i) for i in ids[1:]],
        picks={f: str(s) for f, s in sources.items()},
        rules={f: (["manual", 0] if f in picks else [specs[f].rule, specs[f].version]) for f in sources if f in specs},
        cluster_id=cluster_id,
        proposed_by=ctx.actor,
    )
    from clientvault.merges import change_types

    proposal = Proposal(
        change_type=MERGE, target_type=TARGET, target_id=str(merge.pk), field_key="merge", subject_id=survivor.pk,
        values={"values": snapshots.as_json(values), "sources": merge.picks},
        before={}, fingerprint=change_types.merge_fingerprint(str(merge.pk)), facts=planning.facts_for(customers, survivor),
        summary=str(_("Merge of %(n)d customer records") % {"n": len(ids)}), fields=tuple(sorted(values)),
    )  # fmt: skip
    request = approvals.submit(ctx, proposal, reason=reason)
    merge.request = request
    merge.save(update_fields=["request"])
    audit.record(
        ctx, "merge.proposed", obj=merge, customer_id=survivor.pk,
        detail={"merge_id": str(merge.pk), "records": len(ids), "request_id": str(request.pk)},
    )  # fmt: skip
    return request


@transaction.atomic
def propose_unmerge(ctx: Context, merge: Merge, reason: str) -> ChangeRequest:
    """Propose undoing an applied merge within ``CLIENTVAULT_UNMERGE_DAYS``, as a change request."""
    planning.require_maker(ctx)
    planning.visible_all(ctx, [merge.survivor_id])
    if not (reason or "").strip():
        raise ValidationFailed({"reason": [_("Say why the merge should be undone.")]})
    merge = Merge.objects.select_for_update().get(pk=merge.pk)
    merging.lock(merge.customer_ids)
    why = planning.can_unmerge(merge)
    if why:
        raise Conflict(why[0], code="cannot_unmerge")
    survivor = Customer.objects.unrestricted(reason="merges: the facts of an unmerge request").get(pk=merge.survivor_id)
    from clientvault.merges import change_types

    proposal = Proposal(
        change_type=UNMERGE, target_type=TARGET, target_id=str(merge.pk), field_key="unmerge", subject_id=merge.survivor_id,
        values={}, before={}, fingerprint=change_types.unmerge_fingerprint(str(merge.pk)), facts=planning.facts_for([survivor], survivor),
        summary=str(_("Undo a merge of %(n)d customer records") % {"n": len(merge.customer_ids)}), fields=(),
    )  # fmt: skip
    request = approvals.submit(ctx, proposal, reason=reason)
    merge.unmerge_request = request
    merge.save(update_fields=["unmerge_request"])
    audit.record(
        ctx, "merge.unmerge_proposed", obj=merge, customer_id=merge.survivor_id,
        detail={"merge_id": str(merge.pk), "request_id": str(request.pk)},
    )  # fmt: skip
    return request
