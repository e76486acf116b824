"""Consent enforced where data is read (ARCHITECTURE.md rule 5; PIPL-13/14/15/29-30/31).

For a purpose that needs consent:

- ``live_filter`` is the condition every personal-data queryset adds (``PolicyQuerySet.visible_to``):
  a customer without live consent for the declared purpose is out of sight, like a missing row;
- ``ConsentFacts`` is the provider the app registers with ``access.facts`` (``ConsentsConfig.ready``):
  the access layer's disclosure plan takes each row's consent state from it as an input fact and
  withholds each field the live consent does not cover (category outside its scope, sensitive data
  without separate consent, anything about a child without a guardian's consent) — the read path never
  calls back into this app; ``limit_views`` applies the same narrowing to decisions taken elsewhere;
- ``require_live`` is the check a queued task makes again when it runs (PIPL-15: withdrawal stops
  processing that was already queued).

Withdrawal takes effect on the next request: nothing here is cached beyond one request's context.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Hashable, Iterable, Mapping, Sequence
from typing import Any

from django.db.models import Exists, OuterRef, Q

from clientvault.access import engine, facts
from clientvault.access.policies import Decision, FieldView
from clientvault.consents import rules
from clientvault.consents.choices import Action, ConsentType
from clientvault.core import clock
from clientvault.core.context import Context
from clientvault.core.errors import DomainError

_STATE_KEY = "consent_states"
_WITHHELD_KEY = "consent_withheld"


class ConsentNotLive(DomainError):
    code = "consent_not_live"
    status = 409

    def __init__(self) -> None:
        from django.utils.translation import gettext_lazy as _

        super().__init__(_("The customer's consent for this purpose is not live (withdrawn, expired or never given)."))


def needs_consent(ctx: Context) -> bool:
    return bool(ctx.purpose) and engine.needs_consent(ctx, ctx.purpose)


def live_q(purpose: str | None, now: dt.datetime, today: dt.date, prefix: str = "") -> Q:
    """``Consent`` rows that are live for ``purpose`` (None: for their own purpose) — the queryset twin of
    ``rules.is_live``; a child's consent counts only when a guardian gave it (PIPL-31)."""
    p = prefix
    not_expired = Q(**{f"{p}expires_at__isnull": True}) | Q(**{f"{p}expires_at__gt": now})
    adult_or_guardian = (
        Q(**{f"{p}consent_type": ConsentType.GUARDIAN})
        | Q(**{f"{p}customer__minor_until__isnull": True})
        | Q(**{f"{p}customer__minor_until__lte": today})
    )
    given = Q(**{f"{p}action": Action.GIVEN}) & not_expired & adult_or_guardian
    return given & Q(**{f"{p}purpose": purpose}) if purpose is not None else given


def live_filter(purpose: str, customer_ref: str, minor_field: str) -> Q:
    """The rows whose customer (outer ``customer_ref``, child flag ``minor_field``) has live consent for
    ``purpose``: a live consent and an adult, or a live guardian's consent. The child test reads the outer
    row, so the EXISTS stays on the consent table's (customer, purpose) index with no join."""
    from clientvault.consents.models import Consent

    now, today = clock.now(), clock.today()
    gate = Consent.objects.unrestricted(reason="the consent gate: an EXISTS on the outer row, which is already scoped")
    live = gate.filter(
        Q(expires_at__isnull=True) | Q(expires_at__gt=now), customer_id=OuterRef(customer_ref), purpose=purpose, action=Action.GIVEN
    )
    adult = Q(**{f"{minor_field}__isnull": True}) | Q(**{f"{minor_field}__lte": today})
    return (Q(Exists(live)) & adult) | Q(Exists(live.filter(consent_type=ConsentType.GUARDIAN)))


# --- Field decisions ---------------------------------------------------------------------------------


def prefetch(ctx: Context, customer_ids: Iterable[uuid.UUID]) -> None:
    """Load the consent state of many customers for the declared purpose in one query (list pages)."""
    if not needs_consent(ctx):
        return
    from clientvault.consents.models import Consent

    states: dict[uuid.UUID, Any] = ctx.cache.setdefault(f"{_STATE_KEY}:{ctx.purpose}", {})  # type: ignore[assignment]
    wanted = [cid for cid in customer_ids if cid not in states]
    if not wanted:
        return
    for cid in wanted:
        states[cid] = None
    known = Consent.objects.unrestricted(reason="consent state of customers the caller already reached through visible_to")
    rows = known.filter(purpose=ctx.purpose, customer_id__in=wanted).values_list(
        "customer_id", "action", "consent_type", "categories", "expires_at"
    )
    for cid, action, consent_type, categories, expires_at in rows:
        states[cid] = (action, consent_type, tuple(categories or ()), expires_at)


def _state(ctx: Context, customer_id: uuid.UUID) -> Any:
    key = f"{_STATE_KEY}:{ctx.purpose}"  # the memo is shared across purposes (Context.with_purpose)
    states: dict[uuid.UUID, Any] = ctx.cache.get(key) or {}  # type: ignore[assignment]
    if customer_id not in states:
        prefetch(ctx, [customer_id])
        states = ctx.cache[key]  # type: ignore[assignment]
    return states[customer_id]


class ConsentFacts:
    """The consent provider of the access layer's disclosure plan (registered in ``ConsentsConfig.ready``)."""

    def facts(self, ctx: Context, rows: Sequence[Any], fields: Mapping[str, facts.FieldMeta]) -> dict[Hashable, facts.ConsentFact]:
        """Which of ``fields`` the live consent of each row (a customer) covers, for the declared purpose."""
        prefetch(ctx, [r.pk for r in rows])
        today, now = clock.today(), clock.now()
        out: dict[Hashable, facts.ConsentFact] = {}
        for row in rows:
            minor = rules.is_minor(getattr(row, "minor_until", None), today)
            found = _state(ctx, row.pk)
            if found is None or not rules.is_live(found[0], found[1], found[3], now, minor=minor):
                out[row.pk] = facts.ConsentFact()
                continue
            consent_type, categories = found[1], found[2]
            covered = frozenset(
                name
                for name, meta in fields.items()
                if rules.field_allowed(consent_type, categories, meta.category, meta.sensitive, minor=minor)
            )
            out[row.pk] = facts.ConsentFact(covered)
        return out

    def row_filter(self, purpose: str, customer_ref: str, minor_field: str) -> Q:
        return live_filter(purpose, customer_ref, minor_field)


def limit_views(ctx: Context, customer: Any, views: Mapping[str, FieldView], meta: Mapping[str, tuple[str, bool]]) -> dict[str, FieldView]:
    """The policy's decisions, narrowed to what the live consent covers (field → (category, sensitive))."""
    if not needs_consent(ctx):
        return dict(views)
    today, now = clock.today(), clock.now()
    minor = rules.is_minor(getattr(customer, "minor_until", None), today)
    found = _state(ctx, customer.pk)
    live = found is not None and rules.is_live(found[0], found[1], found[3], now, minor=minor)
    out: dict[str, FieldView] = {}
    withheld: set[str] = set()
    for name, view in views.items():
        category, sensitive = meta.get(name, ("other", True))
        if view.decision is not Decision.WITHHELD and not (
            live and rules.field_allowed(found[1], found[2], category, sensitive, minor=minor)
        ):
            out[name] = FieldView(Decision.WITHHELD)
            withheld.add(name)
        else:
            out[name] = view
    if withheld:
        per_customer: dict[uuid.UUID, set[str]] = ctx.cache.setdefault(_WITHHELD_KEY, {})  # type: ignore[assignment]
        per_customer.setdefault(customer.pk, set()).update(withheld)
    return out


def withheld_for_consent(ctx: Context, customer_ids: Iterable[uuid.UUID] | None = None) -> list[str]:
    """Fields withheld in this request because the consent did not cover them (for the audit event)."""
    per_customer: dict[uuid.UUID, set[str]] = ctx.cache.get(_WITHHELD_KEY) or {}  # type: ignore[assignment]
    ids = per_customer.keys() if customer_ids is None else customer_ids
    return sorted({f for cid in ids for f in per_customer.get(cid, ())})


def audit_detail(ctx: Context, customer_ids: Iterable[uuid.UUID] | None = None) -> dict[str, Any]:
    """What a read event says about consent: that the purpose was gated, and what was withheld for it."""
    if not needs_consent(ctx):
        return {}
    return {"consent_gated": True, "withheld_for_consent": withheld_for_consent(ctx, customer_ids)}


def require_live(customer_id: uuid.UUID, purpose: str) -> None:
    """Raise ``ConsentNotLive`` unless the customer's consent for ``purpose`` is live now (tasks call this
    when they run, not when they were queued: PIPL-15)."""
    from clientvault.consents.models import Consent

    gate = Consent.objects.unrestricted(reason="a task re-checks one customer's consent when it runs (PIPL-15)")
    if not gate.filter(live_q(purpose, clock.now(), clock.today()), customer_id=customer_id).exists():
        raise ConsentNotLive()
