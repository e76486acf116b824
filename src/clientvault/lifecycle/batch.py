"""The deletion engine for a chunk of erasures (the retention sweep, issue #15): the same three steps as
``lifecycle/erasure.py`` (shred, rows, certify), each one transaction for the whole chunk instead of one per
customer, with the same guarantees:

- **holds re-checked inside every step's transaction**: the chunk's customer rows are locked in id order (placing
  a hold takes the same lock; the order keeps two sweeps from deadlocking), then the holds in force on the whole
  chunk are read in one query; a held customer leaves the chunk, is restricted and its erasure ends
  ``restricted`` (PIPL-47), in that same transaction; nothing already committed is undone;
- each step commits its work together with every erasure's next state: a ``kill -9`` between (or inside) steps
  leaves each erasure in its last committed state, and the next run picks each step's erasures by state, so a
  step never runs twice and a certificate is issued once (one-to-one with the erasure);
- set-based work: one event insert per step (``audit.record_each``), key destruction requested for the chunk and
  done after the commit in one key-store transaction (``crypto.keystore.shred_keys``), one DELETE/UPDATE per table
  of the lineage registry (``customers.lineage``), certificates signed one by one and inserted together.
"""

from __future__ import annotations

import logging
import uuid
from collections import defaultdict
from collections.abc import Callable
from typing import Any

from django.db import transaction
from django.db.models import Count, F

from clientvault.audit import recording as audit
from clientvault.core import clock
from clientvault.core.context import Context, system_context
from clientvault.customers import lineage, shredding
from clientvault.customers.models import Customer
from clientvault.lifecycle import erasure, queries, restriction
from clientvault.lifecycle.erasure import _CT_COLUMNS, ANONYMISE, DELETE, EXTRA_DELETE, KEEP, ROW_ACTIONS, deleters
from clientvault.lifecycle.models import Erasure, ErasureState

log = logging.getLogger(__name__)
_REASON = "erasure: the engine works on the records it erases"


def _shred(ctx: Context, erasures: list[Erasure]) -> None:
    had = shredding.shred_customers(ctx=ctx, customer_ids=[e.customer_id for e in erasures])
    with_key = [e.pk for e in erasures if e.customer_id in had]
    Erasure.objects.filter(pk__in=with_key).update(key_shredded=True)
    _advance(erasures, ErasureState.SHREDDED)


def _rows(ctx: Context, erasures: list[Erasure]) -> None:
    cids = [e.customer_id for e in erasures]
    counts: dict[uuid.UUID, dict[str, dict[str, int]]] = {cid: {} for cid in cids}
    for repointer in lineage.registered():
        model = lineage.model_of(repointer.model)
        action = ROW_ACTIONS.get(repointer.model, KEEP)
        rows = model._base_manager.filter(customer_id__in=cids)
        per = dict(rows.order_by().values_list("customer_id").annotate(n=Count("pk")))
        if action == DELETE:
            rows.delete()
        elif action == ANONYMISE:
            rows.update(identifier_ct=b"", identifier_bidx=b"")
        for cid in cids:
            counts[cid][repointer.model] = {action: int(per.get(cid, 0))}
    for label in EXTRA_DELETE:
        rows = lineage.model_of(label)._base_manager.filter(customer_id__in=cids)
        per = dict(rows.order_by().values_list("customer_id").annotate(n=Count("pk")))
        rows.delete()
        for cid in cids:
            counts[cid][label] = {DELETE: int(per.get(cid, 0))}
    for label, deleter in deleters().items():
        deleted = deleter(ctx, cids)
        for cid in cids:
            counts[cid][label] = {DELETE: deleted.get(cid, 0)}
    blank: dict[str, Any] = dict.fromkeys(_CT_COLUMNS, b"")
    Customer.objects.unrestricted(reason=_REASON).filter(pk__in=cids).update(**blank, minor_until=None, erased_at=clock.now())
    for cid in cids:
        counts[cid]["customers.customer"] = {ANONYMISE: 1}
    events = audit.record_each(
        ctx,
        (
            ("lifecycle.customer_erased", None, "customers.customer", str(e.customer_id), e.customer_id,
             {"erasure_id": str(e.pk), "tables": sorted(counts[e.customer_id])})
            for e in erasures
        ),
    )  # fmt: skip
    for e, event in zip(erasures, events, strict=True):  # per erasure its own values: one small UPDATE each
        Erasure.objects.filter(pk=e.pk).update(counts=counts[e.customer_id], event_ids=[*e.event_ids, str(event.event_id)])
    _advance(erasures, ErasureState.ROWS_DONE)


def _certify(ctx: Context, erasures: list[Erasure]) -> None:
    from clientvault.lifecycle import certificates

    certificates.issue_many(ctx, erasures)
    _advance(erasures, ErasureState.DELETED)


def _advance(erasures: list[Erasure], state: str) -> None:
    """The chunk's next state, attempt and time in one UPDATE (not ``bulk_update``: its CASE per row is quadratic)."""
    Erasure.objects.filter(pk__in=[e.pk for e in erasures]).update(state=state, attempts=F("attempts") + 1, updated_at=clock.now())
    for e in erasures:
        e.state = state


STEPS: dict[str, Callable[[Context, list[Erasure]], None]] = {
    ErasureState.QUEUED: _shred,
    ErasureState.SHREDDED: _rows,
    ErasureState.ROWS_DONE: _certify,
}


def step(ids: list[uuid.UUID], state: str, *, ctx: Context) -> dict[str, int]:
    """One step for those of these erasures that are in ``state``, in one transaction; returns {state left: count}."""
    with transaction.atomic():
        erasures = list(Erasure.objects.select_for_update().filter(pk__in=ids, state=state).order_by("customer_id", "pk"))
        if not erasures:
            return {}
        cids = sorted({e.customer_id for e in erasures})
        list(Customer.objects.unrestricted(reason=_REASON).select_for_update().filter(pk__in=cids).order_by("pk").values_list("pk"))
        # Once the rows are gone (ROWS_DONE) nothing is left to hold: the certificate is issued whatever came since.
        held = queries.hold_bases_of(cids) if state != ErasureState.ROWS_DONE else {}
        going: list[Erasure] = []
        for e in erasures:
            bases = held.get(e.customer_id)
            if bases:  # PIPL-47: a legal duty keeps the data, stored only
                restriction.restrict(ctx, customer_id=e.customer_id, basis=bases[0], detail={"erasure_id": str(e.pk)})
                e.state = ErasureState.RESTRICTED
                Erasure.objects.filter(pk=e.pk).update(
                    state=e.state, hold_bases=list(bases), attempts=F("attempts") + 1, updated_at=clock.now()
                )
            else:
                going.append(e)
        if going:
            STEPS[state](ctx, going)
        left: dict[str, int] = defaultdict(int)
        for e in erasures:
            left[str(e.state)] += 1
        return dict(left)


_NEXT = {
    ErasureState.QUEUED: ErasureState.SHREDDED,
    ErasureState.SHREDDED: ErasureState.ROWS_DONE,
    ErasureState.ROWS_DONE: ErasureState.DELETED,
}


def run_many(ids: list[uuid.UUID], *, ctx: Context | None = None, stop_after: str = "") -> dict[str, int]:
    """Every remaining step of these erasures, one step at a time for the whole chunk (``stop_after`` a state: tests
    stop the chunk once that state is reached, as a crash between steps would). Returns {state: count} of them after."""
    ctx = ctx or system_context(channel="task")
    ids = list(ids)
    for state in STEPS:
        step(ids, state, ctx=ctx)
        if _NEXT[ErasureState(state)] == stop_after:
            break
    final = Erasure.objects.filter(pk__in=ids).order_by().values_list("state").annotate(n=Count("pk"))
    return {str(s): int(n) for s, n in final}


def resume_stalled(*, chunk: int, limit: int = 100_000, ctx: Context | None = None) -> int:
    """Run on, a chunk at a time, the erasures a crash (or a queue loss) left between steps; returns how many.
    A chunk that fails as a whole falls back to one erasure at a time, so one broken erasure stops no other."""
    running = [ErasureState.QUEUED, ErasureState.SHREDDED, ErasureState.ROWS_DONE]
    ids = list(Erasure.objects.filter(state__in=running).order_by("customer_id").values_list("pk", flat=True)[:limit])
    for start in range(0, len(ids), chunk):
        part = ids[start : start + chunk]
        try:
            run_many(part, ctx=ctx)
        except Exception:
            log.exception("a chunk of %d erasures could not continue together; one at a time", len(part))
            for erasure_id in part:
                try:
                    erasure.run(erasure_id, ctx=ctx)
                except Exception:  # it stays where it was and is retried
                    log.exception("erasure %s could not continue", erasure_id)
    return len(ids)
