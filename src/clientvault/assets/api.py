"""The asset ledger over JSON: holdings and AUM, an asset and its ledger, opening an asset, movements
(201 posted / 202 submitted for approval) and the dated exchange rates.

Writes require an ``Idempotency-Key`` header: a retried request with the same key and movement answers with
the first result and posts nothing again; the same key with another movement is a 409 conflict.
"""

from __future__ import annotations

import uuid
from decimal import Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.utils.translation import gettext_lazy as _
from ninja import Router, Status

from clientvault.assets import dispatch, presenting, reference, selectors, services
from clientvault.assets.money import decimal_text, exponent
from clientvault.assets.schemas import (
    AssetOut,
    AumOut,
    EntryOut,
    FxRateIn,
    FxRateOut,
    HoldingsOut,
    LedgerOut,
    MovementIn,
    MovementPostedOut,
    MovementSubmittedOut,
    OpenAssetIn,
    RateOut,
    TotalOut,
)
from clientvault.core.capabilities import CHANGE, FX_RATES, VIEW, allows
from clientvault.core.context import Context
from clientvault.core.errors import PermissionDenied, ValidationFailed
from clientvault.core.http import AppRequest, ctx_of

router = Router(tags=["assets"])
IDEMPOTENCY_HEADER = "Idempotency-Key"


def _idempotency_key(request: AppRequest) -> str:
    key = request.headers.get(IDEMPOTENCY_HEADER, "").strip()
    if not key or len(key) > 64 or any(not (ch.isalnum() or ch in "-_.:") for ch in key):
        raise ValidationFailed({IDEMPOTENCY_HEADER: [_("Send an Idempotency-Key header (letters, digits, - _ . :).")]})
    return key


def _require(ctx: Context, resource: str, action: str) -> None:
    if ctx.actor is None or not allows(ctx.roles, resource, action):
        raise PermissionDenied()


def _aum(found: selectors.AumView | None, balance_shown: bool) -> AumOut:
    if found is None:
        return AumOut(decision="plain" if balance_shown else "masked", customer_currency=None, institution_currency=None)
    rates = [RateOut(currency=r.from_, base=r.to, rate=f"{r.rate.normalize():f}", as_of=r.as_of) for r in found.rates]
    missing = list(found.missing_rates)

    def total(currency: str, minor: int) -> TotalOut:
        return TotalOut(currency=currency, amount=decimal_text(minor, currency), rates=rates, missing=missing)

    return AumOut(
        decision="plain",
        customer_currency=total(found.customer_currency, found.total_customer_minor),
        institution_currency=total(found.base_currency, found.total_base_minor),
    )


def _answer(result: Any) -> Status[Any]:
    if presenting.is_submitted(result):
        return Status(202, MovementSubmittedOut(request_id=result.request.pk))
    moved = sorted(pk for pk, a in result.assets.items() if a.customer_id)
    return Status(201, MovementPostedOut(journal_id=result.journal.pk, asset_ids=moved))


@router.get("/customers/{customer_id}/assets", response=HoldingsOut, summary="A customer's holdings and assets under management")
def customer_assets(request: AppRequest, customer_id: uuid.UUID) -> HoldingsOut:
    found = selectors.holdings(ctx_of(request), customer_id)
    return HoldingsOut(
        customer_id=found.customer.pk, assets=[AssetOut.from_model(a) for a in found.assets], aum=_aum(found.aum, found.balance_shown)
    )


@router.get("/assets/{asset_id}", response=AssetOut, summary="One asset with its running balance")
def get_asset(request: AppRequest, asset_id: uuid.UUID) -> AssetOut:
    return AssetOut.from_model(selectors.ledger(ctx_of(request), asset_id, page=1).asset)


@router.get("/assets/{asset_id}/ledger", response=LedgerOut, summary="An asset's ledger, newest entry first")
def asset_ledger(request: AppRequest, asset_id: uuid.UUID, page: int = 1) -> LedgerOut:
    found = selectors.ledger(ctx_of(request), asset_id, page=max(1, min(page, 100_000)))
    return LedgerOut(
        asset=AssetOut.from_model(found.asset),
        entries=[EntryOut.from_line(line) for line in found.lines],
        page=found.page,
        has_next=found.has_next,
    )


@router.post(
    "/assets",
    response={201: MovementPostedOut, 202: MovementSubmittedOut},
    summary="Open an asset for a customer (requires an Idempotency-Key header)",
)
def open_asset(request: AppRequest, payload: OpenAssetIn) -> Status[Any]:
    key = _idempotency_key(request)
    exponent(payload.currency)  # an unknown currency is a 422 naming the field
    result = services.open_asset(
        ctx=ctx_of(request),
        customer_id=payload.customer_id,
        kind=payload.kind,
        identifier=payload.identifier,
        product=payload.product,
        currency=payload.currency,
        idempotency_key=key,
        reason=payload.reason,
    )
    return _answer(result)


@router.post(
    "/assets/{asset_id}/movements",
    response={201: MovementPostedOut, 202: MovementSubmittedOut},
    summary="Post a movement: 201 posted, or 202 submitted for approval (requires an Idempotency-Key header)",
)
def post_movement(request: AppRequest, asset_id: uuid.UUID, payload: MovementIn) -> Status[Any]:
    key = _idempotency_key(request)
    movement = dispatch.Movement(
        kind=payload.kind,
        asset_id=asset_id,
        amount=payload.amount,
        currency=payload.currency,
        idempotency_key=key,
        reason=payload.reason,
        counter_asset_id=payload.counter_asset_id,
    )
    return _answer(dispatch.post(ctx_of(request), movement))


@router.get("/fx-rates", response=list[FxRateOut], summary="Dated exchange rates, newest first")
def fx_rates(request: AppRequest) -> list[FxRateOut]:
    ctx = ctx_of(request)
    _require(ctx, FX_RATES, VIEW)
    return [FxRateOut.from_model(r) for r in reference.fx_rates(ctx)]


@router.post("/fx-rates", response={201: FxRateOut}, summary="Add a dated exchange rate against the institution's currency")
def add_fx_rate(request: AppRequest, payload: FxRateIn) -> Status[FxRateOut]:
    ctx = ctx_of(request)
    _require(ctx, FX_RATES, CHANGE)
    exponent(payload.currency)
    try:
        rate = Decimal(payload.rate.strip())
    except InvalidOperation:
        raise ValidationFailed({"rate": [_("Enter a rate such as 7.1234.")]}) from None
    if not rate.is_finite() or rate <= 0:
        raise ValidationFailed({"rate": [_("The rate must be greater than zero.")]})
    row = services.record_fx_rate(
        ctx=ctx, currency=payload.currency, base=settings.CLIENTVAULT_BASE_CURRENCY, rate=rate, as_of=payload.as_of, source=payload.source
    )
    return Status(201, FxRateOut.from_model(row))
