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

import datetime as dt
import importlib
import uuid
from collections.abc import Mapping, Sequence
from typing import Any

from django.apps import apps as django_apps
from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from clientvault.approvals import selectors as approvals_selectors
from clientvault.approvals import services as approvals
from clientvault.approvals.models import ChangeRequest
from clientvault.approvals.registry import Facts, Pending, Proposal, Stale
from clientvault.audit import recording as audit
from clientvault.core import clock
from clientvault.core.capabilities import CHANGE, DUPLICATES, allows
from clientvault.core.context import Context
from clientvault.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from clientvault.customers import lineage, merging, rules
from clientvault.customers.choices import ReviewStatus
from clientvault.customers.models import Customer
from clientvault.merges import snapshots, survivorship
from clientvault.merges.models import Merge, MergeStatus, SurvivorshipRule

MERGE, UNMERGE = "merges.merge", "merges.unmerge"
TARGET = "merges.merge"
MAX_RECORDS = 50


def require_maker(ctx: Context) -> None:
    if ctx.actor is None or not allows(ctx.roles, DUPLICATES, CHANGE):
        raise PermissionDenied()


def rule_specs() -> dict[str, survivorship.RuleSpec]:
    return {r.field: survivorship.RuleSpec(r.rule, list(r.source_order or []), r.version) for r in SurvivorshipRule.objects.all()}


def candidates(customers: Sequence[Customer]) -> list[survivorship.Candidate]:
    """The records as the rules see them (values opened in this process's memory only)."""
    return [survivorship.Candidate(c.pk, merging.values_of(c), c.updated_at, c.created_at, c.source) for c in customers]


def _visible_all(ctx: Context, ids: Sequence[uuid.UUID]) -> None:
    seen = set(Customer.objects.visible_to(ctx, "view").filter(pk__in=ids).values_list("pk", flat=True))
    if seen != set(ids):
        raise NotFound()  # out of sight == missing (rule 4); the maker must see every record


def _refuse_open_requests(ids: Sequence[uuid.UUID], *, merge_id: str | None = None) -> None:
    exclude = (TARGET, merge_id) if merge_id else None
    if approvals_selectors.open_on_subjects([str(i) for i in ids], exclude_target=exclude):
        raise Conflict(
            _("One of these records has an open change request. Decide or withdraw it before merging."), code="open_change_request"
        )


def _refuse_open_merges(ids: Sequence[uuid.UUID]) -> None:
    wanted = {str(i) for i in ids}
    waiting = Merge.objects.filter(status=MergeStatus.PROPOSED, request__status__in=ChangeRequest.OPEN)
    for merge in waiting.only("survivor_id", "member_ids"):
        if wanted & {str(merge.survivor_id), *merge.member_ids}:
            raise Conflict(_("One of these records is already in a merge waiting for approval."), code="merge_pending")


def facts_for(customers: Sequence[Customer], survivor: Customer) -> Facts:
    return Facts(
        legal_entity_id=survivor.legal_entity_id, department_id=survivor.department_id, customer_class="C3",
        core=any(c.is_core for c in customers),
    )  # fmt: skip


def plan(customers: Sequence[Customer], survivor_id: uuid.UUID, picks: Mapping[str, uuid.UUID]) -> tuple[dict[str, uuid.UUID], dict[str, Any]]:
    """Per field: the record it comes from and the survivor's value (plaintext, memory only)."""
    kind = customers[0].kind
    return survivorship.decide(kind, candidates(customers), rule_specs(), survivor=survivor_id, picks=picks)


@transaction.atomic
def propose(
    ctx: Context, customer_ids: list[uuid.UUID], *, picks: dict[str, uuid.UUID], reason: str, cluster_id: uuid.UUID | None = None
) -> ChangeRequest:
    """Propose merging ``customer_ids`` into the first of them (the survivor), as a change request."""
    require_maker(ctx)
    ids = list(dict.fromkeys(uuid.UUID(str(i)) for i in customer_ids))
    if len(ids) < 2:
        raise ValidationFailed({"customer_ids": [_("Choose at least two records to merge.")]})
    if len(ids) > MAX_RECORDS:
        raise ValidationFailed({"customer_ids": [_("Merge at most %(n)d records at once.") % {"n": MAX_RECORDS}]})
    if not (reason or "").strip():
        raise ValidationFailed({"reason": [_("Say why these records are the same customer.")]})
    _visible_all(ctx, ids)
    customers = merging.lock(ids)
    by_id = {c.pk: c for c in customers}
    survivor = by_id[ids[0]]
    if len({c.legal_entity_id for c in customers}) > 1 or len({c.kind for c in customers}) > 1:
        raise ValidationFailed({"customer_ids": [_("Only records of the same type and legal entity can be merged.")]})
    if any(c.review_status == ReviewStatus.REJECTED for c in customers):
        raise Conflict(_("A record rejected at entry review cannot be merged."), code="rejected_at_review")
    _refuse_open_requests(ids)
    _refuse_open_merges(ids)
    bad_picks = {f for f, cid in picks.items() if cid not in by_id}
    if bad_picks:
        raise ValidationFailed({f: [_("Pick one of the records being merged.")] for f in sorted(bad_picks)})
    sources, values = plan([by_id[i] for i in ids], survivor.pk, picks)
    standard = {f: v for f, v in values.items() if f != "custom_data"}
    _cleaned, errors = rules.clean_customer(
        {**merging.values_of(survivor), **standard}, kind=survivor.kind, today=clock.today(),
        accept_uscc_checksum_failure=any(c.uscc_needs_review for c in customers),
    )  # fmt: skip
    if errors:
        raise ValidationFailed({f: [_("The merged record would not be valid: pick this field from another record.")] for f in errors})
    specs = rule_specs()
    assert ctx.actor is not None
    merge = Merge.objects.create(
        legal_entity_id=survivor.legal_entity_id,
        survivor=survivor,
        member_ids=[str(i) for i in ids[1:]],
        picks={f: str(s) for f, s in sources.items()},
        rules={f: [specs[f].rule, specs[f].version] for f in sources if f in specs},
        cluster_id=cluster_id,
        proposed_by=ctx.actor,
    )
    from clientvault.merges import change_types

    proposal = Proposal(
        change_type=MERGE, target_type=TARGET, target_id=str(merge.pk), field_key="merge", subject_id=survivor.pk,
        values={"values": snapshots.as_json(values), "sources": merge.picks},
        before={}, fingerprint=change_types.merge_fingerprint(str(merge.pk)), facts=facts_for(customers, survivor),
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
        selectors = importlib.import_module("clientvault.dedupe.selectors")
    except ImportError:
        return
    models = importlib.import_module("clientvault.dedupe.models")
    cluster = models.DuplicateCluster.objects.filter(pk=merge.cluster_id).first()
    if cluster is None:
        return
    del selectors
    if name == "mark_merged":
        dedupe.mark_merged(ctx, cluster, merge_id=merge.pk)
    else:
        dedupe.reopen(ctx, cluster)


def apply_merge(ctx: Context, pending: Pending) -> None:
    """Apply an approved merge: lock, snapshot, write the survivor, re-point children, mark the merged records."""
    merge = _locked_merge(pending.target_id)
    if merge.status != MergeStatus.PROPOSED:
        raise Stale(_("This merge is no longer waiting."))
    ids = [uuid.UUID(i) for i in merge.customer_ids]
    customers = merging.lock(ids)
    if len(customers) != len(ids) or any(c.merged_into_id is not None for c in customers):
        raise Stale(_("One of the records was merged or removed since the merge was proposed."))
    _refuse_open_requests(ids, merge_id=str(merge.pk))
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


@transaction.atomic
def propose_unmerge(ctx: Context, merge: Merge, reason: str) -> ChangeRequest:
    """Propose undoing an applied merge within ``CLIENTVAULT_UNMERGE_DAYS``, as a change request."""
    require_maker(ctx)
    _visible_all(ctx, [merge.survivor_id])
    if not (reason or "").strip():
        raise ValidationFailed({"reason": [_("Say why the merge should be undone.")]})
    merge = Merge.objects.select_for_update().get(pk=merge.pk)
    merging.lock(merge.customer_ids)
    why = can_unmerge(merge)
    if why:
        raise Conflict(why[0], code="cannot_unmerge")
    survivor = Customer.objects.unrestricted(reason="merges: the facts of an unmerge request").get(pk=merge.survivor_id)
    from clientvault.merges import change_types

    proposal = Proposal(
        change_type=UNMERGE, target_type=TARGET, target_id=str(merge.pk), field_key="unmerge", subject_id=merge.survivor_id,
        values={}, before={}, fingerprint=change_types.unmerge_fingerprint(str(merge.pk)), facts=facts_for([survivor], survivor),
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
