"""Every read of consents (ARCHITECTURE.md rule 1), each audited: a customer's consents and history, the
evidence scan of one record, coverage per purpose, and the change feed for integrations."""

from __future__ import annotations

import datetime as dt
import uuid
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.db.models import Count, Exists, OuterRef
from django.db.models.functions import TruncMonth

from clientvault.access import engine
from clientvault.access.models import Purpose
from clientvault.access.policies import CONSENTS, REVEAL, VIEW, allows
from clientvault.audit import recording as audit
from clientvault.consents import rules
from clientvault.consents.choices import Action, State
from clientvault.consents.enforcement import live_q
from clientvault.consents.models import Consent, ConsentEvidence, ConsentRecord
from clientvault.core import clock
from clientvault.core.context import Context
from clientvault.core.errors import NotFound, PermissionDenied
from clientvault.crypto import cipher, keystore
from clientvault.customers.choices import Kind
from clientvault.customers.models import Customer


@dataclass
class PurposeConsent:
    """One consent-based purpose and where the customer stands on it (the badge and the toggle)."""

    purpose: Purpose
    state: State
    consent: Consent | None
    history: list[ConsentRecord] = field(default_factory=list)

    @property
    def live(self) -> bool:
        return self.state is State.LIVE

    @property
    def category_labels(self) -> list[str]:
        """The consented categories as people read them (the catalogue's labels, in the active language)."""
        from clientvault.classification.catalogue import category_labels

        return category_labels(self.consent.categories if self.consent else [])


@dataclass
class CustomerConsents:
    customer_id: uuid.UUID
    minor: bool
    purposes: list[PurposeConsent]
    may_open_evidence: bool = False  # the scans' links are offered (consent_evidence checks again)
    # The customer's name as the viewer's policy shows it (masked if masked, None if withheld); staff only.
    name: str | None = None
    name_decision: str = ""

    @property
    def history(self) -> list[ConsentRecord]:
        return sorted((r for p in self.purposes for r in p.history), key=lambda r: r.occurred_at, reverse=True)


def consent_purposes() -> list[Purpose]:
    return list(Purpose.objects.filter(needs_consent=True, active=True).order_by("id"))


def _visible_customer(ctx: Context, customer_id: uuid.UUID) -> Customer:
    """The customer if the actor may see it: a signed-in customer their own; staff within their scope."""
    customer = Customer.objects.visible_to(ctx, VIEW).select_related("department").filter(pk=customer_id).first()
    if customer is None:
        raise NotFound()
    found: Customer = customer
    return found


def states_of(customer: Customer, *, now: dt.datetime | None = None, today: dt.date | None = None) -> list[PurposeConsent]:
    """The customer's standing on every consent-based purpose, with each purpose's history (newest first).
    No audit: callers that show it record their own event."""
    now, today = now or clock.now(), today or clock.today()
    minor = rules.is_minor(customer.minor_until, today)
    reason = "the consent history of one customer the caller already reached"
    current = {c.purpose: c for c in Consent.objects.unrestricted(reason=reason).filter(customer=customer).select_related("record")}
    history: dict[str, list[ConsentRecord]] = {}
    scans = ConsentEvidence.objects.unrestricted(reason=reason).filter(record=OuterRef("pk"))
    records = (
        ConsentRecord.objects.unrestricted(reason=reason)
        .filter(customer=customer)
        .select_related("notice", "captured_by")
        .annotate(has_evidence=Exists(scans))
        .order_by("-seq")
    )
    purposes = consent_purposes()
    by_code = {p.code: p for p in purposes}
    for record in records:
        record.purpose_ref = by_code.get(record.purpose)  # type: ignore[attr-defined]
        history.setdefault(record.purpose, []).append(record)
    out = []
    for purpose in purposes:
        consent = current.get(purpose.code)
        state = rules.state(consent.action if consent else None, consent.expires_at if consent else None, now)
        if (
            state is State.LIVE
            and consent is not None
            and not rules.is_live(consent.action, consent.consent_type, consent.expires_at, now, minor=minor)
        ):
            state = State.NONE  # a child's consent given by the child is no consent (PIPL-31)
        out.append(PurposeConsent(purpose, state, consent, history.get(purpose.code, [])))
    return out


def badges(customer: Customer) -> CustomerConsents:
    """The consent badges of a record's header (green live, grey none, red withdrawn). No personal data and
    no audit of its own: the page that shows them records the customer view."""
    return CustomerConsents(customer.pk, rules.is_minor(customer.minor_until, clock.today()), states_of(customer))


@transaction.atomic
def customer_consents(ctx: Context, customer_id: uuid.UUID, *, with_name: bool = False) -> CustomerConsents:
    """A customer's consents and their complete history; audited as a read of that customer. ``with_name``:
    also the customer's name as the viewer's policy shows it (the staff page names whom it is about)."""
    customer = _visible_customer(ctx, customer_id)
    purposes = states_of(customer)
    may_open = _evidence_sight(ctx, customer) is not None
    name, decision, shown = _shown_name(ctx, customer) if with_name else (None, "", [])
    audit.record(
        ctx,
        "consent.viewed",
        obj=customer,
        customer_id=customer.pk,
        fields=shown,
        detail={"purposes": [p.purpose.code for p in purposes], "records": sum(len(p.history) for p in purposes)},
    )
    return CustomerConsents(
        customer.pk,
        rules.is_minor(customer.minor_until, clock.today()),
        purposes,
        may_open_evidence=may_open,
        name=name,
        name_decision=decision,
    )


def _shown_name(ctx: Context, customer: Customer) -> tuple[str | None, str, list[str]]:
    """The customer's name as the viewer's policy shows it, its decision, and the fields shown (for the
    event). A customer in the portal reads their own consents: the page names no one."""
    from clientvault.customers import disclosure

    if ctx.subject_ids:
        return None, "", []
    shown = disclosure.present(ctx, [customer], ("name",))
    view = customer.field_views["name"]  # type: ignore[attr-defined]
    return customer.name, str(view.decision), shown


@dataclass(frozen=True)
class EvidenceFile:
    filename: str
    content_type: str
    data: bytes
    sha256: str


# The fields a signed consent form shows in the open (the scan cannot be masked): the download follows the
# strictest decision among them (JRT0171-DISPLAY-mask, PIPL-28 for the ID number).
EVIDENCE_FIELDS: dict[str, tuple[str, ...]] = {
    Kind.INDIVIDUAL: ("name", "id_number"),
    Kind.ORGANISATION: ("name", "uscc", "legal_representative"),
}


def _evidence_sight(ctx: Context, customer: Customer) -> tuple[str, ...] | None:
    """How the actor may open the consent form of ``customer``: ``()`` when every field the form shows is
    plain to them, the fields to reveal when some are masked but all revealable, None otherwise (a masked
    field without reveal rights, or a withheld one: the scan would show what the policy hides)."""
    from clientvault.access.policies import Decision
    from clientvault.customers import disclosure

    if ctx.subject_ids:
        return () if customer.pk in ctx.subject_ids else None
    views = disclosure.decisions(ctx, customer, EVIDENCE_FIELDS.get(str(customer.kind), EVIDENCE_FIELDS[Kind.INDIVIDUAL]))
    if all(v.decision is Decision.PLAIN for v in views.values()):
        return ()
    if all(v.decision is Decision.PLAIN or v.revealable for v in views.values()):
        return tuple(sorted(f for f, v in views.items() if v.decision is not Decision.PLAIN))
    return None


@transaction.atomic
def consent_evidence(ctx: Context, record_id: uuid.UUID) -> EvidenceFile:
    """The decrypted scan of a signed consent form. The form shows the customer's name and ID number in the
    open, so the actor must see those in clear or hold reveal rights on each — then the download is a reveal
    and says so in its event. Anyone else gets NotFound, like a record they cannot see. Always audited."""
    record = ConsentRecord.objects.visible_to(ctx, VIEW).filter(pk=record_id).first()
    if record is None:
        raise NotFound()
    customer = _visible_customer(ctx, record.customer_id)
    revealed = _evidence_sight(ctx, customer)
    if revealed is None:
        raise NotFound()
    if revealed and not Customer.objects.visible_to(ctx, REVEAL).filter(pk=customer.pk).exists():
        raise NotFound()
    evidence = ConsentEvidence.objects.visible_to(ctx, VIEW).filter(record=record).first()
    if evidence is None:
        raise NotFound()
    cid = record.customer_id
    try:
        data = cipher.decrypt_bytes(cid, "consents.consentevidence", "data", bytes(evidence.data_ct))
        name = cipher.decrypt(cid, "consents.consentevidence", "filename", bytes(evidence.filename_ct))
    except keystore.KeyDestroyed:
        raise NotFound() from None
    audit.record(
        ctx,
        "consent.evidence_revealed" if revealed else "consent.evidence_viewed",
        obj=record,
        customer_id=cid,
        fields=revealed,
        detail={"evidence_id": str(evidence.pk), "purpose": ctx.purpose, "sha256": "sha256:" + evidence.sha256[:32]},
    )
    return EvidenceFile(name, evidence.content_type, data, evidence.sha256)


# --- Coverage (compliance) ----------------------------------------------------------------------------


@dataclass
class Coverage:
    purpose: Purpose
    customers: int
    counts: dict[str, int]
    needs_renewal: int

    @property
    def share_live(self) -> float:
        return self.counts.get(State.LIVE, 0) / self.customers if self.customers else 0.0


@dataclass
class CoverageReport:
    rows: list[Coverage]
    months: list[str]
    given: dict[str, list[int]]  # purpose → records given per month
    withdrawn: dict[str, list[int]]  # purpose → withdrawals per month


def _months(today: dt.date, count: int) -> list[dt.date]:
    first = today.replace(day=1)
    out = []
    for _ in range(count):
        out.append(first)
        first = (first - dt.timedelta(days=1)).replace(day=1)
    return list(reversed(out))


@transaction.atomic
def coverage(ctx: Context, *, months: int = 12) -> CoverageReport:
    """Share of customers with live consent per purpose, and consents given and withdrawn per month, within
    the viewer's legal entity (another entity's numbers are its own business: a count of its customers is
    already information about them). Counts only — no customer is identified; for compliance and auditors;
    audited."""
    if ctx.actor is None or not allows(ctx.roles, CONSENTS, VIEW):
        raise PermissionDenied()
    now, today = clock.now(), clock.today()
    entity: Any = engine.actor_facts(ctx).legal_entity_id
    # Consent is a person's: organisations are not counted (their records hold little personal data).
    individuals = Customer.objects.unrestricted(reason="consent coverage counts of the viewer's legal entity").filter(
        kind=Kind.INDIVIDUAL, legal_entity_id=entity
    )
    total = individuals.count() if entity is not None else 0
    in_entity = {"customer__kind": Kind.INDIVIDUAL, "customer__legal_entity_id": entity}
    rows = []
    consents = Consent.objects.unrestricted(reason="consent coverage counts of the viewer's legal entity")
    for purpose in consent_purposes():
        qs = consents.filter(purpose=purpose.code, **in_entity) if entity is not None else consents.none()
        live = qs.filter(live_q(None, now, today)).count()
        withdrawn = qs.filter(action=Action.WITHDRAWN).count()
        expired = qs.filter(action=Action.GIVEN, expires_at__lte=now).count()
        counts: dict[str, int] = {
            State.LIVE: live,
            State.WITHDRAWN: withdrawn,
            State.EXPIRED: expired,
            State.NONE: max(total - live - withdrawn - expired, 0),
        }
        renewal = qs.filter(action=Action.GIVEN, needs_renewal=True).count()
        rows.append(Coverage(purpose, total, counts, renewal))
    month_starts = _months(today, months)
    since = month_starts[0]
    per_month: Counter[tuple[str, str, str]] = Counter()
    all_records = ConsentRecord.objects.unrestricted(reason="consent coverage counts of the viewer's legal entity")
    records = all_records.filter(**in_entity) if entity is not None else all_records.none()
    grouped = (
        records.filter(occurred_at__date__gte=since)
        .annotate(month=TruncMonth("occurred_at"))
        .values("purpose", "action", "month")
        .annotate(n=Count("id"))
    )
    for row in grouped:
        month = row["month"]
        per_month[(row["purpose"], row["action"], f"{month:%Y-%m}")] += row["n"]
    labels = [f"{m:%Y-%m}" for m in month_starts]
    given = {r.purpose.code: [per_month[(r.purpose.code, Action.GIVEN, m)] for m in labels] for r in rows}
    withdrawn_series = {r.purpose.code: [per_month[(r.purpose.code, Action.WITHDRAWN, m)] for m in labels] for r in rows}
    audit.record(
        ctx,
        "consent.coverage_viewed",
        object_type="consents.consent",
        detail={"purposes": [r.purpose.code for r in rows], "legal_entity_id": str(entity) if entity else None},
    )
    return CoverageReport(rows, labels, given, withdrawn_series)


# --- Change feed (integrations) -----------------------------------------------------------------------


def changes(ctx: Context, *, after: int = 0, limit: int = 100) -> list[Any]:
    """Consent and notice events after feed position ``after`` (the last ``seq`` the integration saw),
    in feed order.

    Positions are given by the sequencer (``core.events.sequence``) to committed events only, each after
    every position handed out before, so an event whose id is lower but whose transaction commits later is
    still delivered after a cursor that passed a higher id. The read runs the sequencer first when no other
    run holds its lock (it only ever numbers committed events; otherwise the worker's run does).
    """
    from clientvault.core import events
    from clientvault.core.models import OutboxEvent

    if ctx.actor is None or not allows(ctx.roles, CONSENTS, VIEW):
        raise PermissionDenied()
    limit = max(1, min(limit, 500))
    events.sequence(wait=False)
    rows = list(
        OutboxEvent.objects.filter(seq__gt=max(after, 0), topic__in=("consent.changed", "notice.published")).order_by("seq")[:limit]
    )
    with transaction.atomic():
        audit.record(ctx, "consent.feed_read", object_type="core.outboxevent", detail={"after": after, "events": len(rows)})
    return rows
