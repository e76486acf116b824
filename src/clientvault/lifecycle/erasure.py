"""The deletion engine (PIPL-47, GDPR-17, JRT0171-DELETE): one ``Erasure`` row walks three steps, each its own
transaction that commits the step's work together with the row's next state:

1. ``shred``    — re-check holds; crypto-shred the customer's data key (``customers.shredding``): every copy of
                  their ciphertext (rows, lineage snapshots, sealed audit payloads, backups) becomes unreadable;
2. ``rows``     — re-check holds; delete the rows that only carried personal data and anonymise the rest
                  (the table in ``ROW_ACTIONS``), leaving the customer row as a non-personal tombstone;
3. ``certify``  — re-check holds; issue the signed certificate (``lifecycle/certificates.py``), exactly once
                  (one-to-one with the erasure).

**Holds are re-checked inside every step, under the customer's row lock** (placing a hold takes the same lock):
a hold placed between two steps stops the rest — the erasure ends ``restricted`` with the hold's bases and
the customer is restricted; nothing already committed is undone (a destroyed key stays destroyed).

A ``kill -9`` anywhere leaves the row in the last committed state; ``resume_stalled`` (the sweep) runs it on.

Deleted in step 2 besides the registered relations: import provenance, and what an app above lifecycle registers
with ``delete_with_customer`` (risk: the credit file and everything under it). What is kept, and why (stated in
every certificate): the tombstone customer row (id, legal entity, department,
kind, status, dates; no personal value, every ciphertext column blanked); consent records and their evidence
(proof of what was lawful before, PIPL-69; ciphertext under the destroyed key); asset rows and their ledger as
non-personal aggregates (double-entry balances of the institution; identifiers blanked); merge lineage (ciphertext
under the destroyed key); the audit trail (append-only; ids only, sealed payloads under the destroyed key).
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from typing import Any

from django.db import transaction

from clientvault.audit import recording as audit
from clientvault.core import clock
from clientvault.core.context import Context, system_context
from clientvault.customers import lineage, shredding
from clientvault.customers.models import Customer
from clientvault.lifecycle import queries
from clientvault.lifecycle.models import Erasure, ErasureState

log = logging.getLogger(__name__)

DELETE, ANONYMISE, KEEP = "deleted", "anonymised", "kept"
# Registered relations (customers.lineage) and what an erasure does with them; a relation registered later and
# not named here is kept: its personal columns are sealed under the customer's key (rule 6), so the shredded key
# erases them, and the certificate lists it as kept.
ROW_ACTIONS: dict[str, str] = {
    "customers.followup": DELETE,
    "customers.matchkey": DELETE,
    "customers.customer_tags": DELETE,
    "consents.consentrecord": KEEP,
    "assets.asset": ANONYMISE,
}
KEPT_BASIS: dict[str, str] = {
    "customers.customer": "tombstone: ids, dates and codes (id type, nationality, residency); ciphertext blanked; tags deleted",
    "consents.consentrecord": "PIPL-69 proof of lawful processing; sealed under the destroyed key",
    "assets.asset": "non-personal ledger aggregates (double-entry balances); identifiers blanked",
    "merges.merge": "merge lineage; snapshots sealed under the destroyed key",
    "audit.auditevent": "append-only audit trail (ARCHITECTURE.md rule 7); ids only, payloads under the destroyed key",
    # Plaintext classified fields that stay (tests/test_architecture.py finds every one from the field catalogue).
    "consents.consent": "current consent state per purpose (C1), derived from the consent records kept as PIPL-69 proof",
    "approvals.changerequest": "maker-checker trail (rule 12): C1 reason; values under the destroyed key; credit facts blanked",
    "access.breakglasssession": "emergency-access record (who, why, when) kept as proof the access was justified; C1 reason",
}
# Exempt from merges but personal and deletable with the customer.
EXTRA_DELETE = ("intake.importedrecord",)
# Exempt from merges, personal, and deleted with the customer by their own app (one above lifecycle, which cannot be
# imported here): ``deleter(ctx, customer_ids)`` deletes what it holds about them and answers a count per customer.
# The credit file (risk) keeps limits, tier, scores and figures in plaintext columns: deleted, never left on a tombstone.
Deleter = Callable[[Context, list[uuid.UUID]], dict[uuid.UUID, int]]
_DELETERS: dict[str, Deleter] = {}


def delete_with_customer(label: str, deleter: Deleter) -> None:
    """Register ``deleter`` for the rows of ``label`` ("app.model") an erasure deletes (called from ``AppConfig.ready``)."""
    _DELETERS[label] = deleter


def deleters() -> dict[str, Deleter]:
    return dict(_DELETERS)


_CT_COLUMNS = tuple(f.attname for f in Customer._meta.concrete_fields if f.attname.endswith("_ct") or f.attname.endswith("_bidx"))
_REASON = "erasure: the engine works on the record it erases"


class HoldPlaced(Exception):
    def __init__(self, bases: tuple[str, ...]) -> None:
        super().__init__(",".join(bases))
        self.bases = bases


def _locked(erasure_id: uuid.UUID) -> Erasure:
    return Erasure.objects.select_for_update().get(pk=erasure_id)


def _check_holds(erasure: Erasure) -> None:
    """Inside the step's transaction, under the customer's row lock."""
    queries.lock_customer(erasure.customer_id)
    bases = queries.hold_bases(erasure.customer_id)
    if bases:
        raise HoldPlaced(bases)


def _stop_for_hold(ctx: Context, erasure_id: uuid.UUID, bases: tuple[str, ...]) -> None:
    """A hold stopped the erasure: the customer is restricted instead (PIPL-47), in one transaction."""
    from clientvault.lifecycle import restriction

    with transaction.atomic():
        erasure = _locked(erasure_id)
        restriction.restrict(ctx, customer_id=erasure.customer_id, basis=bases[0], detail={"erasure_id": str(erasure.pk)})
        erasure.state = ErasureState.RESTRICTED
        erasure.hold_bases = list(bases)
        erasure.save(update_fields=["state", "hold_bases", "updated_at"])


def _shred(ctx: Context, erasure: Erasure) -> None:
    had_key = shredding.shred_customer(ctx=ctx, customer_id=erasure.customer_id)
    erasure.key_shredded = had_key
    erasure.state = ErasureState.SHREDDED
    erasure.save(update_fields=["key_shredded", "state", "updated_at"])


def _rows(ctx: Context, erasure: Erasure) -> None:
    cid = erasure.customer_id
    counts: dict[str, dict[str, int]] = {}
    for repointer in lineage.registered():
        rows = repointer.snapshot([cid])
        action = ROW_ACTIONS.get(repointer.model, KEEP)
        pks = [lineage.decoded(r)[lineage.model_of(r["$model"])._meta.pk.attname] for r in rows if r["$model"] == repointer.model]
        if action == DELETE:
            lineage.delete_rows(repointer.model, pks)
        elif action == ANONYMISE and pks:
            model = lineage.model_of(repointer.model)
            model._base_manager.filter(pk__in=pks).update(identifier_ct=b"", identifier_bidx=b"")
        counts[repointer.model] = {action: len(pks)}
    for label in EXTRA_DELETE:
        model = lineage.model_of(label)
        n, _ = model._base_manager.filter(customer_id=cid).delete()
        counts[label] = {DELETE: n}
    for label, deleter in deleters().items():
        counts[label] = {DELETE: deleter(ctx, [cid]).get(cid, 0)}
    blank: dict[str, Any] = dict.fromkeys(_CT_COLUMNS, b"")
    Customer.objects.unrestricted(reason=_REASON).filter(pk=cid).update(**blank, minor_until=None, erased_at=clock.now())
    counts["customers.customer"] = {ANONYMISE: 1}
    event = audit.record(
        ctx, "lifecycle.customer_erased", object_type="customers.customer", object_id=str(cid), customer_id=cid,
        detail={"erasure_id": str(erasure.pk), "tables": sorted(counts)},
    )  # fmt: skip
    erasure.counts = counts
    erasure.event_ids = [*erasure.event_ids, str(event.event_id)]
    erasure.state = ErasureState.ROWS_DONE
    erasure.save(update_fields=["counts", "event_ids", "state", "updated_at"])


def _certify(ctx: Context, erasure: Erasure) -> None:
    from clientvault.lifecycle import certificates

    certificates.issue(ctx, erasure)
    erasure.state = ErasureState.DELETED
    erasure.save(update_fields=["state", "updated_at"])


STEPS = {ErasureState.QUEUED: _shred, ErasureState.SHREDDED: _rows, ErasureState.ROWS_DONE: _certify}


def step(erasure_id: uuid.UUID, *, ctx: Context | None = None) -> str:
    """Run the next step of an erasure in its own transaction; returns the state it left."""
    ctx = ctx or system_context(channel="task")
    try:
        with transaction.atomic():
            erasure = _locked(erasure_id)
            work = STEPS.get(ErasureState(erasure.state))
            if work is None:
                return str(erasure.state)
            erasure.attempts += 1
            if erasure.state != ErasureState.ROWS_DONE:  # once the rows are gone nothing is left to hold: certify
                _check_holds(erasure)
            work(ctx, erasure)
            return str(erasure.state)
    except HoldPlaced as held:
        _stop_for_hold(ctx, erasure_id, held.bases)
        return str(ErasureState.RESTRICTED)


def run(erasure_id: uuid.UUID, *, ctx: Context | None = None, stop_after: str = "") -> str:
    """Run every remaining step (``stop_after`` a state: tests stop between steps, as a crash would)."""
    state = ""
    for _ in range(len(STEPS) + 1):
        state = step(erasure_id, ctx=ctx)
        if state not in STEPS or state == stop_after:
            break
    return state


def resume_stalled(*, limit: int = 200) -> int:
    """Run on the erasures a crash (or a queue loss) left between steps; returns how many finished a step."""
    running = [ErasureState.QUEUED, ErasureState.SHREDDED, ErasureState.ROWS_DONE]
    ids = list(Erasure.objects.filter(state__in=running).order_by("updated_at").values_list("pk", flat=True)[:limit])
    for erasure_id in ids:
        try:
            run(erasure_id)
        except Exception:  # one broken erasure never stops the others; it stays where it was and is retried
            log.exception("erasure %s could not continue", erasure_id)
    return len(ids)
