"""The daily retention sweep (PIPL-19, PIPL-47, GBT35273-6.1): customers past every rule's period are erased;
under a legal hold they are restricted instead. Chunked by customer id, each chunk its own transaction; the
erasures it starts run a chunk at a time, each step one transaction for the chunk (``lifecycle/batch.py``), so a crash at any moment
leaves committed chunks done, and the next run starts over from the first id (idempotent: an erased customer is
out of the walk, a started erasure is resumed, an existing hold is not placed twice).

Which customers are looked at: those whose relationship ended (status closed), and prospects, whose only
rule is the profile's (``last_contact`` = their last follow-up, else when the record was created). A live
customer's purposes are not over: only what a withdrawn consent alone held leaves (``SweepCandidate``).

Consent withdrawal (PIPL-15, PIPL-47): the ``consent.changed`` subscriber notes the customer with the data
categories held only for the withdrawn purpose; the sweep then deletes them (marketing tags, today).
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Max, Q
from django.utils import timezone

from clientvault.audit import recording as audit
from clientvault.core import clock, events
from clientvault.core.context import Context, system_context
from clientvault.customers.choices import Status
from clientvault.customers.models import Customer, FollowUp
from clientvault.lifecycle import batch, erasure, holds, queries, restriction
from clientvault.lifecycle.models import Erasure, ErasureState, RetentionRule, SweepCandidate
from clientvault.lifecycle.policies import retain_until

log = logging.getLogger(__name__)
_REASON = "retention sweep: work done for no one person (PIPL-19)"
SWEPT_CATEGORIES = ("profile", "kyc", "transactions", "followups", "consent_evidence")


def _starts(customer: Customer, last_contact: dt.datetime | None) -> dict[str, dt.date | None]:
    if customer.status == Status.CLOSED:
        end: dt.date | None = holds.relationship_end(customer)
    else:
        end = None
    # No follow-up: a closed customer's last contact is the end of the relationship, a prospect's their entry.
    contact = timezone.localdate(last_contact) if last_contact is not None else end or timezone.localdate(customer.created_at)
    starts: dict[str, dt.date | None] = {"relationship_end": end, "last_contact": max(contact, end) if end else contact}
    starts["transaction_date"] = end  # the AML hold covers the last transaction itself (lifecycle/holds.py)
    starts["consent_withdrawn"] = end
    return starts


def expiry(customer: Customer, rules: list[RetentionRule], last_contact: dt.datetime | None) -> tuple[dt.date | None, dt.date | None]:
    """(the day the first rule ran out, the day the last one did); None where a rule has not started its clock."""
    if customer.status == Status.PROSPECT:
        applying = [(r.code, r.period_months, "last_contact") for r in rules if r.category == "profile"]
    else:
        applying = [(r.code, r.period_months, r.start_event) for r in rules if r.category in SWEPT_CATEGORIES]
    starts = _starts(customer, last_contact)
    firsts = [retain_until([rule], starts) for rule in applying]
    started = [d for d in firsts if d is not None]
    return (min(started) if started else None), retain_until(applying, starts)


def _start_erasure(ctx: Context, customer: Customer, rules: list[RetentionRule]) -> uuid.UUID | None:
    existing = Erasure.objects.filter(customer_id=customer.pk, state__in=list(erasure.STEPS)).values_list("pk", flat=True).first()
    if existing is not None:
        return existing
    try:
        with transaction.atomic():
            started = Erasure.objects.create(
                customer_id=customer.pk, trigger=Erasure.Trigger.SWEEP, rule_codes=[r.code for r in rules], state=ErasureState.QUEUED
            )
    except IntegrityError:
        return None
    event = audit.record(
        ctx, "lifecycle.erasure_requested", object_type="lifecycle.erasure", object_id=str(started.pk), customer_id=customer.pk,
        detail={"trigger": "sweep", "rules": started.rule_codes},
    )  # fmt: skip
    started.event_ids = [str(event.event_id)]
    started.save(update_fields=["event_ids"])
    return started.pk


def _start_erasures(ctx: Context, customers: list[Customer], rules: list[RetentionRule]) -> list[uuid.UUID]:
    """``_start_erasure`` for a chunk: the erasures and their ``lifecycle.erasure_requested`` events in two inserts
    (one at a time if another run started one of them meanwhile: the unique running-erasure constraint)."""
    if not customers:
        return []
    codes = [r.code for r in rules]
    running = Erasure.objects.filter(customer_id__in=[c.pk for c in customers], state__in=list(erasure.STEPS))
    existing = dict(running.values_list("customer_id", "pk"))
    new = [
        Erasure(customer_id=c.pk, trigger=Erasure.Trigger.SWEEP, rule_codes=codes, state=ErasureState.QUEUED)
        for c in customers
        if c.pk not in existing
    ]
    try:
        with transaction.atomic():
            requested = (
                ("lifecycle.erasure_requested", None, "lifecycle.erasure", str(e.pk), e.customer_id, {"trigger": "sweep", "rules": codes})
                for e in new
            )
            for e, event in zip(new, audit.record_each(ctx, requested), strict=True):
                e.event_ids = [str(event.event_id)]
            Erasure.objects.bulk_create(new)
    except IntegrityError:
        started = (_start_erasure(ctx, c, rules) for c in customers)
        return [pk for pk in started if pk is not None]
    return [*existing.values(), *(e.pk for e in new)]


def _chunk(
    ctx: Context, after: uuid.UUID | None, size: int, today: dt.date, rules: list[RetentionRule]
) -> tuple[uuid.UUID | None, list[uuid.UUID], int]:
    """One transaction: the next ``size`` candidates; AML holds placed, held ones restricted, expired ones' erasures created."""
    restricted = 0
    with transaction.atomic():
        qs = Customer.objects.unrestricted(reason=_REASON).filter(
            Q(status=Status.CLOSED) | Q(status=Status.PROSPECT), erased_at__isnull=True, merged_into__isnull=True
        )
        if after is not None:
            qs = qs.filter(pk__gt=after)
        batch = list(qs.order_by("pk")[:size])
        if not batch:
            return None, [], 0
        ids = [c.pk for c in batch]
        contacts = dict(
            FollowUp.objects.unrestricted(reason=_REASON)
            .filter(customer_id__in=ids)
            .values_list("customer_id")
            .annotate(last=Max("occurred_at"))
        )
        for customer in batch:
            if customer.status == Status.CLOSED:
                holds.place_aml_holds(ctx, customer)
        held = queries.hold_bases_of(ids)  # after the AML holds just placed, one query for the chunk
        expired: list[Customer] = []
        for customer in batch:
            first, last = expiry(customer, rules, contacts.get(customer.pk))
            if first is None or first >= today:
                continue  # every purpose still holds
            bases = held.get(customer.pk, ())
            if bases or last is None or last >= today:
                # PIPL-47: a period ran out but a legal duty (a hold) or another rule still keeps data: stored only.
                if customer.restricted_at is None:
                    basis = bases[0] if bases else "retention"
                    restricted += int(restriction.restrict(ctx, customer_id=customer.pk, basis=basis, detail={"trigger": "sweep"}))
                continue
            expired.append(customer)
        to_run = _start_erasures(ctx, expired, [r for r in rules if r.category in SWEPT_CATEGORIES])
        return batch[-1].pk, to_run, restricted


def _expire_categories(ctx: Context) -> int:
    """Data held only for a withdrawn purpose (PIPL-47 (3)): the categories noted for each customer, walked by
    customer id in pages. A customer under a legal hold keeps the note (the data goes once the hold ends); one whose
    consent for that purpose is live again (given anew since) loses the note and keeps the data."""
    done = 0
    after: uuid.UUID | None = None
    while True:
        page = SweepCandidate.objects.order_by("customer_id")
        ids = list((page.filter(customer_id__gt=after) if after else page).values_list("customer_id", flat=True)[:1000])
        if not ids:
            return done
        after = ids[-1]
        for customer_id in ids:
            done += _expire_one(ctx, customer_id)


def _expire_one(ctx: Context, customer_id: uuid.UUID) -> int:
    with transaction.atomic():
        locked = SweepCandidate.objects.select_for_update().filter(pk=customer_id).first()
        if locked is None or queries.hold_bases(customer_id):
            return 0  # a hold keeps everything, the note too (AML-34, PIPL-47)
        categories = [c for c in locked.categories if c not in _categories_consented_again(customer_id)]
        counts: dict[str, int] = {}
        if "marketing_tags" in categories:
            through = Customer.tags.through
            counts["customers.customer_tags"] = through.objects.filter(customer_id=customer_id).delete()[0]
        if categories:
            audit.record(
                ctx, "lifecycle.data_expired", object_type="customers.customer", object_id=str(customer_id), customer_id=customer_id,
                detail={"categories": categories, "trigger": "consent_withdrawn", **{f"deleted:{k}": v for k, v in counts.items()}},
            )  # fmt: skip
        locked.delete()
        return int(bool(categories))


def _categories_consented_again(customer_id: uuid.UUID) -> set[str]:
    """The categories whose consent-based purpose is live again for this customer."""
    from clientvault.consents.enforcement import live_q
    from clientvault.consents.models import Consent

    now, today = clock.now(), clock.today()
    live = Consent.objects.unrestricted(reason=_REASON).filter(customer_id=customer_id).filter(live_q(None, now, today))
    purposes = set(live.values_list("purpose", flat=True))
    return {r.category for r in RetentionRule.objects.filter(purpose__in=purposes)} if purposes else set()


def _note_missed_withdrawals() -> int:
    """The durable path of ``note_withdrawal``: every ``consent.changed`` event past the sweep's feed cursor, in
    feed order, so a withdrawal whose after-commit note was lost to a crash is still noted (idempotent)."""
    return events.consume("lifecycle.withdrawals", "consent.changed", note_withdrawal)


def sweep(*, ctx: Context | None = None, today: dt.date | None = None, chunk: int | None = None) -> dict[str, Any]:
    """Walk every candidate once; returns counts (erased, restricted, categories expired, resumed)."""
    ctx = ctx or system_context(channel="task")
    day = today or clock.today()
    size = chunk or settings.CLIENTVAULT_SWEEP_CHUNK
    rules = list(RetentionRule.objects.all())
    resumed = batch.resume_stalled(chunk=size, ctx=ctx)
    after: uuid.UUID | None = None
    erased = restricted = 0
    while True:
        after, to_run, held = _chunk(ctx, after, size, day, rules)
        restricted += held
        if to_run:  # the chunk's erasures, each step one transaction for the whole chunk (lifecycle/batch.py)
            erased += batch.run_many(to_run, ctx=ctx).get(ErasureState.DELETED, 0)
        if after is None:
            break
    _note_missed_withdrawals()
    expired = _expire_categories(ctx)
    result = {"erased": erased, "restricted": restricted, "categories_expired": expired, "resumed": resumed}
    with transaction.atomic():
        audit.record(ctx, "lifecycle.swept", object_type="lifecycle.sweep", detail=result)
    log.info("retention sweep: %s", result)
    return result


def note_withdrawal(event: Any) -> None:
    """``consent.changed`` subscriber (after commit): a withdrawn purpose that alone held a category marks the customer."""
    payload = event.payload or {}
    if payload.get("action") != "withdrawn":
        return
    purpose = str(payload.get("purpose") or "")
    rules = list(RetentionRule.objects.all())
    mine = {r.category for r in rules if r.purpose == purpose}
    others = {r.category for r in rules if r.purpose != purpose}
    only = sorted(mine - others)
    if not only:
        return
    customer_id = uuid.UUID(str(payload["customer_id"]))
    with transaction.atomic():
        noted, created = SweepCandidate.objects.select_for_update().get_or_create(
            customer_id=customer_id, defaults={"categories": only, "noted_at": clock.now()}
        )
        if not created:
            noted.categories = sorted(set(noted.categories) | set(only))
            noted.save(update_fields=["categories"])
