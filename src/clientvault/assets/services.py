"""Every write to the customer asset ledger (issue #13; ARCHITECTURE.md rules 1, 2 and 12).

Each service checks the actor's grant on the ``asset`` resource and sight of the asset (404 out of scope,
403 visible but not allowed), then hands the movement to ``_execute``: it locks the assets in sorted id
order, asks the approval rules whether a second person must decide (``assets.movement``: then the answer
is ``Submitted(request)`` and nothing is posted), else posts through ``assets/ledger.py`` and records the
audit events in the same transaction — one per customer asset moved (``asset.moved``, ``asset.pledged``…).
A retried request (same idempotency key, same movement) returns its first journal and posts nothing.

``reason`` goes with a change request (sealed there); a direct posting records the purpose, not free text.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from django.db import IntegrityError, transaction
from django.utils.translation import gettext_lazy as _

from clientvault.access import engine
from clientvault.access.policies import ASSET, CHANGE, CREATE, VIEW
from clientvault.assets import alerts, credit_hooks, fx, ledger
from clientvault.assets.ledger import Leg, Movement
from clientvault.assets.models import NEGATIVE_KINDS, Asset, EntryKind, FxRate, Journal, JournalKind, Kind
from clientvault.audit import recording as audit
from clientvault.core import clock
from clientvault.core.context import Context
from clientvault.core.errors import NotFound, PermissionDenied, ValidationFailed
from clientvault.core.text import clean_text
from clientvault.crypto import cipher
from clientvault.customers import permissions

IDENTIFIER_AD_MODEL = "assets.asset"
_SIGHT_REASON = "asset service: the rows are checked against the actor's sight first"


@dataclass(frozen=True)
class Posted:
    """The movement was posted (or, ``replayed``, had been posted by an earlier try with the same key)."""

    journal: Journal
    assets: Mapping[uuid.UUID, Asset] = field(default_factory=dict)
    replayed: bool = False


@dataclass(frozen=True)
class Submitted:
    """A second person must decide: the change request waits; nothing was posted."""

    request: Any  # approvals.models.ChangeRequest


Outcome = Posted | Submitted

# What a movement's audit event is called, by journal kind.
EVENTS = {
    JournalKind.OPEN: "asset.opened",
    JournalKind.DEPOSIT: "asset.moved",
    JournalKind.WITHDRAW: "asset.moved",
    JournalKind.TRANSFER: "asset.moved",
    JournalKind.FX_TRANSFER: "asset.moved",
    JournalKind.PLEDGE: "asset.pledged",
    JournalKind.RELEASE: "asset.released",
    JournalKind.CHANGE_TERMS: "asset.terms_changed",
    JournalKind.CLOSE: "asset.closed",
}


# --- Checks -------------------------------------------------------------------------------------


def _require(ctx: Context, action: str) -> None:
    if ctx.actor is None:
        raise PermissionDenied()
    engine.require_purpose(ctx)
    if not engine.can(ctx, ASSET, action):
        raise PermissionDenied()


def _sight(ctx: Context, asset_id: uuid.UUID, action: str = CHANGE) -> None:
    """The actor may ``action`` the asset: 404 when they may not even see it, 403 when they see it only."""
    if Asset.objects.visible_to(ctx, action).filter(pk=asset_id).exists():
        return
    if Asset.objects.visible_to(ctx, VIEW).filter(pk=asset_id).exists():
        raise PermissionDenied()
    raise NotFound()


def _amount(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise ValidationFailed({"amount": [_("Enter an amount greater than zero (in minor units).")]})
    if value > 10**15:
        raise ValidationFailed({"amount": [_("The amount is too large.")]})
    return value


def _uuid(value: object) -> uuid.UUID:
    try:
        return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))
    except ValueError:
        raise NotFound() from None


def clearing_account(legal_entity_id: uuid.UUID, currency: str, *, now: dt.datetime | None = None) -> uuid.UUID:
    """The institution's clearing account of ``currency`` (opened on first use; every deposit and withdrawal
    posts against it, so the ledger stays double-entry)."""
    qs = Asset.objects.unrestricted(reason="the institution's clearing account: no customer data").filter(
        legal_entity_id=legal_entity_id, currency=currency, kind=Kind.CLEARING
    )
    found = qs.values_list("pk", flat=True).first()
    if found is not None:
        return found
    when = now or clock.now()
    asset = Asset(
        kind=Kind.CLEARING, currency=currency, legal_entity_id=legal_entity_id, allow_negative=True, opened_on=when.date(), created_at=when
    )
    try:
        with transaction.atomic():
            asset.save(force_insert=True)
    except IntegrityError:  # opened by a concurrent posting
        return qs.values_list("pk", flat=True).get()
    return asset.pk


# --- Movements ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Row:
    currency: str
    legal_entity_id: uuid.UUID
    customer_id: uuid.UUID | None
    core: bool


def _rows(ids: list[uuid.UUID]) -> dict[uuid.UUID, _Row]:
    """What planning a movement needs of its assets (one query; nothing personal); NotFound if one is missing."""
    found = {
        pk: _Row(currency, entity, customer, bool(core))
        for pk, currency, entity, customer, core in Asset.objects.unrestricted(reason=_SIGHT_REASON)
        .filter(pk__in=ids)
        .values_list("pk", "currency", "legal_entity_id", "customer_id", "customer__is_core")
    }
    if len(found) != len(set(ids)):
        raise NotFound()
    return found


def _plan(op: str, values: Mapping[str, Any], now: dt.datetime) -> tuple[list[uuid.UUID], Any, bool]:
    """The assets a movement touches (to lock), a builder of its legs from the locked rows, and whether the
    debited customer is a core customer (an approval fact)."""
    asset_id = _uuid(values["asset"])
    amount = _amount(values["amount"])
    target = _uuid(values["to"]) if op in ("transfer", "fx_transfer") else None
    rows = _rows([asset_id] if target is None else [asset_id, target])
    core = rows[asset_id].core
    if op in ("deposit", "withdraw"):
        currency, entity = rows[asset_id].currency, rows[asset_id].legal_entity_id
        clearing = clearing_account(entity, currency, now=now)
        sign = 1 if op == "deposit" else -1
        kind = EntryKind.DEPOSIT if op == "deposit" else EntryKind.WITHDRAW
        legs: tuple[Leg, ...] = (Leg(asset_id, kind, sign * amount), Leg(clearing, kind, -sign * amount))
        return [asset_id, clearing], lambda assets: Movement(op, legs), core
    if op in ("pledge", "release"):
        delta = amount if op == "pledge" else -amount
        leg = Leg(asset_id, EntryKind.PLEDGE if op == "pledge" else EntryKind.RELEASE, 0, delta)
        return [asset_id], lambda assets: Movement(op, (leg,)), core
    assert target is not None
    if target == asset_id:
        raise ValidationFailed({"to": [_("Choose a different asset to transfer to.")]})
    src_currency, src_entity = rows[asset_id].currency, rows[asset_id].legal_entity_id
    dst_currency, dst_entity, dst_customer = rows[target].currency, rows[target].legal_entity_id, rows[target].customer_id
    if dst_entity != src_entity or dst_customer is None:
        raise NotFound()  # another institution's books, or a clearing account: not a transfer target
    if op == "transfer":
        if src_currency != dst_currency:
            raise ValidationFailed({"to": [_("Transfers between currencies go through an exchange at a dated rate.")]})
        legs = (Leg(asset_id, EntryKind.TRANSFER_OUT, -amount), Leg(target, EntryKind.TRANSFER_IN, amount))
        return [asset_id, target], lambda assets: Movement(JournalKind.TRANSFER, legs), core
    if src_currency == dst_currency:
        raise ValidationFailed({"to": [_("Both assets hold the same currency: use a transfer.")]})
    on = dt.date.fromisoformat(str(values.get("on") or now.date().isoformat()))
    conversion = fx.rate(src_currency, dst_currency, on)
    converted = conversion.convert(amount)
    if converted <= 0:
        raise ValidationFailed({"amount": [_("The amount is too small to convert.")]})
    c_src = clearing_account(src_entity, src_currency, now=now)
    c_dst = clearing_account(src_entity, dst_currency, now=now)
    legs = (
        Leg(asset_id, EntryKind.FX_OUT, -amount),
        Leg(c_src, EntryKind.FX_IN, amount),
        Leg(c_dst, EntryKind.FX_OUT, -converted),
        Leg(target, EntryKind.FX_IN, converted),
    )
    fx_movement = Movement(JournalKind.FX_TRANSFER, legs, rate=conversion.rate, rate_date=conversion.as_of)
    return [asset_id, target, c_src, c_dst], lambda assets: fx_movement, core


def _execute(
    ctx: Context,
    op: str,
    values: Mapping[str, Any],
    *,
    idempotency_key: str,
    reason: str,
    approval_id: uuid.UUID | None = None,
    operator_id: int | None = None,
) -> Outcome:
    """Lock, route to approval when a rule says so, else post, raise alerts and audit (the caller's transaction)."""
    from clientvault.assets import approval

    now = clock.now()
    ids, build, core = _plan(op, values, now)
    assets = ledger.lock(ids)
    movement: Movement = build(assets)
    if approval_id is None:
        previous = ledger.replay_of(idempotency_key, movement.fingerprint())
        if previous is not None:
            return Posted(previous, assets, replayed=True)
    _credit_checkpoint(ctx, movement, assets)  # before routing or posting: a blocked drawdown writes nothing
    if approval_id is None:
        request = approval.route(ctx, op, values, movement, assets, core=core, idempotency_key=idempotency_key, reason=reason)
        if request is not None:
            return Submitted(request)
    operator = operator_id if operator_id is not None else ctx.actor_id
    posting = ledger.post(
        movement,
        idempotency_key=idempotency_key,
        operator_id=operator,
        purpose=ctx.purpose,
        approval_id=approval_id,
        locked=assets,
        now=now,
        replay_checked=approval_id is None,
    )
    if posting.replayed:
        return Posted(posting.journal, assets, replayed=True)
    _audit_posting(ctx, posting, approval_id=approval_id)
    _credit_payments(movement, assets)
    alerts.raise_alerts(ctx, [assets[leg.asset_id] for leg in movement.legs], journal_id=posting.journal.pk, now=now, operator_id=operator)
    return Posted(posting.journal, assets)


def _credit_checkpoint(ctx: Context, movement: Movement, assets: Mapping[uuid.UUID, Asset]) -> None:
    """Issue #16: a leg debiting a customer's LOAN asset is a drawdown: credit control may block it (CreditBlocked)."""
    for leg in movement.legs:
        asset = assets[leg.asset_id]
        if asset.kind == Kind.LOAN and asset.customer_id is not None and leg.amount < 0:
            credit_hooks.check(ctx, credit_hooks.DRAWDOWN, asset.customer_id, -leg.amount, asset.currency)


def _credit_payments(movement: Movement, assets: Mapping[uuid.UUID, Asset]) -> None:
    """Issue #16: a leg crediting a customer's LOAN asset is a repayment: credit control re-evaluates after commit."""
    paying: set[uuid.UUID] = set()
    for leg in movement.legs:
        asset = assets[leg.asset_id]
        if asset.kind == Kind.LOAN and asset.customer_id is not None and leg.amount > 0:
            paying.add(asset.customer_id)
    for customer_id in sorted(paying):
        credit_hooks.payment_received(customer_id)


def _audit_posting(
    ctx: Context, posting: ledger.Posting, *, approval_id: uuid.UUID | None = None, fields: tuple[str, ...] = ("balance",)
) -> None:
    journal = posting.journal
    event = EVENTS[JournalKind(journal.kind)]
    for entry in posting.entries:
        asset = posting.assets[entry.asset_id]
        if asset.customer_id is None:
            continue  # the institution's clearing leg: recorded with the journal on the customer's event
        detail: dict[str, Any] = {
            "journal": str(journal.pk),
            "entry_kind": entry.kind,
            "seq": entry.seq,
            "amount_minor": entry.amount,
            "pledged_delta_minor": entry.pledged_delta,
            "currency": entry.currency.lower(),
        }
        if approval_id is not None:
            detail["approval"] = str(approval_id)
        audit.record(ctx, event, obj=asset, customer_id=asset.customer_id, fields=list(fields), detail=detail)


def _movement(ctx: Context, op: str, values: dict[str, Any], *, idempotency_key: str, reason: str) -> Outcome:
    _require(ctx, CHANGE)
    _sight(ctx, _uuid(values["asset"]))
    return _execute(ctx, op, values, idempotency_key=idempotency_key, reason=reason)


@credit_hooks.records_refusal
@transaction.atomic
def deposit(*, ctx: Context, asset_id: uuid.UUID, amount_minor: int, idempotency_key: str, reason: str = "") -> Outcome:
    """Credit the asset against the institution's clearing account of its currency."""
    return _movement(ctx, "deposit", {"asset": str(asset_id), "amount": amount_minor}, idempotency_key=idempotency_key, reason=reason)


@credit_hooks.records_refusal
@transaction.atomic
def withdraw(*, ctx: Context, asset_id: uuid.UUID, amount_minor: int, idempotency_key: str, reason: str = "") -> Outcome:
    """Debit the asset (its available balance: pledged funds stay) against the clearing account."""
    return _movement(ctx, "withdraw", {"asset": str(asset_id), "amount": amount_minor}, idempotency_key=idempotency_key, reason=reason)


@credit_hooks.records_refusal
@transaction.atomic
def transfer(
    *, ctx: Context, from_asset_id: uuid.UUID, to_asset_id: uuid.UUID, amount_minor: int, idempotency_key: str, reason: str = ""
) -> Outcome:
    """Move an amount to another asset of the same currency (any customer of the same institution)."""
    values = {"asset": str(from_asset_id), "to": str(to_asset_id), "amount": amount_minor}
    return _movement(ctx, "transfer", values, idempotency_key=idempotency_key, reason=reason)


@credit_hooks.records_refusal
@transaction.atomic
def fx_transfer(
    *,
    ctx: Context,
    from_asset_id: uuid.UUID,
    to_asset_id: uuid.UUID,
    amount_minor: int,
    idempotency_key: str,
    on: dt.date | None = None,
    reason: str = "",
) -> Outcome:
    """Exchange into another currency: explicit legs through both clearing accounts at the dated rate."""
    values = {"asset": str(from_asset_id), "to": str(to_asset_id), "amount": amount_minor, "on": (on or clock.today()).isoformat()}
    return _movement(ctx, "fx_transfer", values, idempotency_key=idempotency_key, reason=reason)


@credit_hooks.records_refusal
@transaction.atomic
def pledge(*, ctx: Context, asset_id: uuid.UUID, amount_minor: int, idempotency_key: str, reason: str = "") -> Outcome:
    """Pledge part of the available balance (it can then be neither withdrawn nor transferred)."""
    return _movement(ctx, "pledge", {"asset": str(asset_id), "amount": amount_minor}, idempotency_key=idempotency_key, reason=reason)


@credit_hooks.records_refusal
@transaction.atomic
def release(*, ctx: Context, asset_id: uuid.UUID, amount_minor: int, idempotency_key: str, reason: str = "") -> Outcome:
    """Release a pledged amount."""
    return _movement(ctx, "release", {"asset": str(asset_id), "amount": amount_minor}, idempotency_key=idempotency_key, reason=reason)


# --- Opening, terms, closing ----------------------------------------------------------------------


def _identity(*parts: object) -> tuple[tuple[str, str], ...]:
    digest = hashlib.sha256(json.dumps([str(p) for p in parts]).encode()).hexdigest()
    return (("request", digest),)


@credit_hooks.records_refusal
@transaction.atomic
def open_asset(
    *,
    ctx: Context,
    customer_id: uuid.UUID,
    kind: str,
    currency: str,
    idempotency_key: str,
    identifier: str = "",
    product: str = "",
    terms: Mapping[str, Any] | None = None,
    opened_on: dt.date | None = None,
    reason: str = "",
) -> Posted:
    """Open an asset for a customer the actor may serve: the asset row, then its ``open`` entry."""
    _require(ctx, CREATE)
    customer = permissions.locked_customer(ctx, _uuid(customer_id), CREATE, resource=ASSET)
    errors: dict[str, list[Any]] = {}
    if kind not in Kind.values or kind == Kind.CLEARING:
        errors["kind"] = [_("Choose a valid asset type.")]
    if not fx.valid_currency(currency):
        errors["currency"] = [_("Enter a three-letter ISO 4217 currency code.")]
    identifier = clean_text(identifier).strip()
    product = " ".join(clean_text(product).split())
    if len(identifier) > 64:
        errors["identifier"] = [_("Use at most %(n)d characters.") % {"n": 64}]
    if len(product) > 120:
        errors["product"] = [_("Use at most %(n)d characters.") % {"n": 120}]
    if terms is not None and not isinstance(terms, Mapping):
        errors["terms"] = [_("Terms must be a set of named values.")]
    if errors:
        raise ValidationFailed(errors)
    if kind == Kind.LOAN:  # issue #16: a new loan is a credit checkpoint (the principal, if the terms name it)
        principal = (terms or {}).get("principal_minor", 0)
        amount = principal if isinstance(principal, int) and not isinstance(principal, bool) and principal > 0 else 0
        credit_hooks.check(ctx, credit_hooks.NEW_CREDIT, customer.pk, amount, currency)
    bidx = cipher.blind_index("asset_identifier", identifier) if identifier else b""
    identity = _identity(customer.pk, kind, currency, product, bidx.hex(), opened_on)
    previous = ledger.replay_of(idempotency_key, Movement(JournalKind.OPEN, (), extra=identity).fingerprint())
    if previous is not None:
        first = previous.entries.get()
        return Posted(previous, {first.asset_id: first.asset}, replayed=True)
    now = clock.now()
    asset = Asset(
        customer=customer,
        kind=kind,
        product=product,
        currency=currency,
        opened_on=opened_on or clock.today(),
        terms=dict(terms or {}),
        allow_negative=kind in NEGATIVE_KINDS,
        department_id=customer.department_id,
        legal_entity_id=customer.legal_entity_id,
        created_at=now,
        identifier_bidx=bidx,
    )
    if identifier:
        asset.identifier_ct = cipher.encrypt(customer.pk, IDENTIFIER_AD_MODEL, "identifier", identifier, row=asset.pk)
    asset.save(force_insert=True)
    movement = Movement(JournalKind.OPEN, (Leg(asset.pk, EntryKind.OPEN),), extra=identity)
    posting = _post_fixed(ctx, movement, {asset.pk: asset}, idempotency_key, identity)
    _audit_posting(ctx, posting, fields=("identifier", "balance") if identifier else ("balance",))
    return Posted(posting.journal, {asset.pk: asset})


def _post_fixed(
    ctx: Context, movement: Movement, locked: Mapping[uuid.UUID, Asset], key: str, identity: tuple[tuple[str, str], ...]
) -> ledger.Posting:
    """Post a movement whose fingerprint is its request (``identity``), not its legs (the open leg's id is new)."""
    return ledger.post(
        movement,
        idempotency_key=key,
        operator_id=ctx.actor_id,
        purpose=ctx.purpose,
        locked=locked,
        fingerprint=Movement(movement.kind, (), extra=identity).fingerprint(),
    )


@transaction.atomic
def change_terms(*, ctx: Context, asset_id: uuid.UUID, terms: Mapping[str, Any], idempotency_key: str, reason: str = "") -> Posted:
    """Replace the asset's terms (rate, maturity, limits); the ledger records the change as an entry."""
    _require(ctx, CHANGE)
    _sight(ctx, _uuid(asset_id))
    if not isinstance(terms, Mapping):
        raise ValidationFailed({"terms": [_("Terms must be a set of named values.")]})
    assets = ledger.lock([_uuid(asset_id)])
    asset = assets[_uuid(asset_id)]
    digest = hashlib.sha256(json.dumps(terms, sort_keys=True, default=str).encode()).hexdigest()
    movement = Movement(JournalKind.CHANGE_TERMS, (Leg(asset.pk, EntryKind.CHANGE_TERMS),), extra=(("terms", digest),))
    posting = ledger.post(movement, idempotency_key=idempotency_key, operator_id=ctx.actor_id, purpose=ctx.purpose, locked=assets)
    if posting.replayed:
        return Posted(posting.journal, assets, replayed=True)
    asset.terms = json.loads(json.dumps(terms, default=str))
    asset.save(update_fields=["terms"])
    _audit_posting(ctx, posting, fields=())
    return Posted(posting.journal, assets)


@transaction.atomic
def close_asset(*, ctx: Context, asset_id: uuid.UUID, idempotency_key: str, reason: str = "") -> Posted:
    """Close an empty asset with nothing pledged; its ledger stays (AML-34-retain-10y)."""
    _require(ctx, CHANGE)
    _sight(ctx, _uuid(asset_id))
    assets = ledger.lock([_uuid(asset_id)])
    asset = assets[_uuid(asset_id)]
    movement = Movement(JournalKind.CLOSE, (Leg(asset.pk, EntryKind.CLOSE),))
    posting = ledger.post(movement, idempotency_key=idempotency_key, operator_id=ctx.actor_id, purpose=ctx.purpose, locked=assets)
    if posting.replayed:
        return Posted(posting.journal, assets, replayed=True)
    asset.closed_on = clock.today()
    asset.save(update_fields=["closed_on"])
    _audit_posting(ctx, posting)
    return Posted(posting.journal, assets)


# --- Exchange rates and alerts ------------------------------------------------------------------


@transaction.atomic
def record_fx_rate(*, ctx: Context, currency: str, rate: Any, as_of: dt.date, source: str = "", base: str | None = None) -> FxRate:
    """Record a dated rate (1 ``currency`` = ``rate`` ``base``); compliance or administrators (reference data)."""
    from decimal import Decimal, InvalidOperation

    if ctx.actor is None or not ctx.has_role("compliance_officer", "administrator"):
        raise PermissionDenied()
    base = base or fx.base_currency()
    try:
        value = Decimal(str(rate))
    except InvalidOperation:
        value = Decimal(0)
    errors: dict[str, list[Any]] = {}
    if not fx.valid_currency(currency) or currency == base:
        errors["currency"] = [_("Enter a currency code (ISO 4217) other than the base currency.")]
    if not value.is_finite() or value <= 0 or value >= Decimal(10) ** 10:
        errors["rate"] = [_("Enter a positive rate.")]
    if errors:
        raise ValidationFailed(errors)
    try:
        with transaction.atomic():
            row = FxRate.objects.create(
                currency=currency, base=base, rate=value, as_of=as_of, source=" ".join(clean_text(source).split())[:60]
            )
    except IntegrityError:
        raise ValidationFailed({"as_of": [_("A rate for this currency and date already exists.")]}) from None
    audit.record(ctx, "fxrate.recorded", obj=row, detail={"currency": currency.lower(), "base": base.lower()})
    return row


@transaction.atomic
def acknowledge_alert(*, ctx: Context, alert_id: int) -> None:
    """Compliance marks an alert as seen."""
    from clientvault.assets.models import AlertStatus, AssetAlert

    if ctx.actor is None or not ctx.has_role("compliance_officer"):
        raise PermissionDenied()
    dept = ctx.actor.department
    alert = AssetAlert.objects.select_for_update().filter(pk=alert_id, legal_entity_id=dept.legal_entity_id if dept else None).first()
    if alert is None:
        raise NotFound()
    if alert.status == AlertStatus.OPEN:
        alert.status = AlertStatus.ACKNOWLEDGED
        alert.save(update_fields=["status"])
        audit.record(ctx, "asset.alert_acknowledged", obj=alert, detail={"alert_kind": alert.kind})
