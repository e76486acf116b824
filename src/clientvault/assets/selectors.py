"""Every read of the asset ledger that reveals personal data (ARCHITECTURE.md rules 1, 4 and 11).

A customer's assets are decided per field like the customer's own fields: the account number
(``asset.identifier``, sealed, decrypted only when shown) and the balance (``asset.balance``: balances,
pledges, ledger amounts and AUM all follow it) are plain, masked or withheld per the actor's asset
policy for the declared purpose and the customer's row facts (a core customer counts as C3), and every
read leaves its event with the fields it showed (``asset.viewed``, ``asset.ledger_viewed``), also when
nothing changed. Out of sight == missing == 404.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from django.conf import settings
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import QuerySet

from clientvault.access.plan import PlanRow, disclosure_plan
from clientvault.access.policies import ASSET, Decision, FieldView
from clientvault.assets import fx
from clientvault.assets.models import NEGATIVE_KINDS, AlertStatus, Asset, AssetAlert, FxRate, LedgerEntry, Status
from clientvault.assets.services import IDENTIFIER_AD_MODEL
from clientvault.audit import recording as audit
from clientvault.classification.masking import MaskSettings
from clientvault.core import clock
from clientvault.core.capabilities import ASSET_ALERTS, FX_RATES, VIEW, allows
from clientvault.core.context import Context
from clientvault.core.errors import NotFound, PermissionDenied
from clientvault.crypto import cipher, keystore
from clientvault.customers import disclosure
from clientvault.customers.models import Customer

FIELDS = {"asset.identifier": "asset.identifier", "asset.balance": "asset.balance"}
LEDGER_PAGE = 50


# --- Deciding and showing -------------------------------------------------------------------------


def _visible_customer(ctx: Context, customer_id: uuid.UUID) -> Customer:
    customer = Customer.objects.visible_to(ctx, VIEW).select_related("department").filter(pk=customer_id).first()
    if customer is None:
        raise NotFound()
    return customer


def _present(ctx: Context, customer: Customer, assets: Sequence[Asset]) -> list[str]:
    """Decide, decrypt what is shown, mask; set ``identifier`` and ``field_views`` on each asset. Returns the
    fields shown in any form (for the caller's event)."""
    if not assets:
        return []
    plan = disclosure_plan(ctx, [PlanRow(a.pk, disclosure.row_facts(customer), customer) for a in assets], FIELDS, ASSET)
    mask_settings = MaskSettings.from_mapping(getattr(settings, "CLIENTVAULT_MASKING", None))
    shown: set[str] = set()
    for a in assets:
        row = plan[a.pk]
        views: dict[str, FieldView] = row.views(list(FIELDS))
        identifier_field = row["asset.identifier"]
        value = ""
        if identifier_field.decision is not Decision.WITHHELD and bytes(a.identifier_ct):
            try:
                value = cipher.decrypt(customer.pk, IDENTIFIER_AD_MODEL, "identifier", bytes(a.identifier_ct), row=a.pk)
            except keystore.KeyDestroyed:  # the customer was crypto-shredded: the number went with the key
                value = ""
        a.identifier = disclosure.shown_value(identifier_field.decision, identifier_field.profile, value, mask_settings)
        a.field_views = views
        if value and identifier_field.decision is not Decision.WITHHELD:
            shown.add("identifier")
        if views["asset.balance"].decision is not Decision.WITHHELD:
            shown.add("balance")
    return sorted(shown)


def balance_decision(a: Asset) -> Decision:
    view = getattr(a, "field_views", {}).get("asset.balance")
    return view.decision if view is not None else Decision.WITHHELD


# --- Assets under management ----------------------------------------------------------------------


@dataclass(frozen=True)
class RateUsed:
    currency: str
    base: str
    rate: Decimal
    as_of: dt.date | None


@dataclass(frozen=True)
class Total:
    """A total in ``currency`` (minor units), the rate used for each other currency (with its date), and the
    currencies held that have no rate on or before the day (left out)."""

    currency: str
    amount_minor: int
    rates: list[RateUsed] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Aum:
    """Assets under management (open holdings; loans are liabilities and stay out) in the customer's currency
    (that of their largest holding) and the institution's. ``decision``: the balance's for this viewer."""

    customer_total: Total | None
    base_total: Total | None
    decision: Decision


def _total(holdings: Sequence[Asset], currency: str, on: dt.date) -> Total:
    amount, rates, missing = 0, {}, set()
    for a in holdings:
        try:
            r = fx.rate(a.currency, currency, on)
        except fx.NoRate:
            missing.add(a.currency)
            continue
        amount += r.convert(a.balance)
        if a.currency != currency:
            rates[a.currency] = RateUsed(a.currency, currency, r.rate, r.as_of)
    return Total(currency, amount, [rates[c] for c in sorted(rates)], sorted(missing))


def _aum(assets: Sequence[Asset]) -> Aum:
    held = [a for a in assets if a.status == Status.OPEN and a.kind not in NEGATIVE_KINDS]
    decisions = {balance_decision(a) for a in assets} or {Decision.PLAIN}
    decision = min(decisions, key=[Decision.WITHHELD, Decision.MASKED, Decision.PLAIN].index)
    if decision is not Decision.PLAIN or not held:
        return Aum(None, None, decision)
    today = clock.today()
    base = fx.base_currency()
    base_total = _total(held, base, today)

    def in_base(a: Asset) -> int:
        try:
            return fx.rate(a.currency, base, today).convert(a.balance)
        except fx.NoRate:
            return 0

    largest = max(held, key=in_base).currency
    customer_total = _total(held, largest, today) if largest != base else None
    return Aum(customer_total, base_total, decision)


# --- Reads ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CustomerAssets:
    customer_id: uuid.UUID
    holdings: list[Asset]
    aum: Aum


def _customer_assets(ctx: Context, customer_id: uuid.UUID) -> tuple[Customer, list[Asset], list[str]]:
    customer = _visible_customer(ctx, customer_id)
    assets = list(Asset.objects.visible_to(ctx, VIEW).filter(customer_id=customer.pk).order_by("status", "opened_on", "created_at", "id"))
    return customer, assets, _present(ctx, customer, assets)


@transaction.atomic
def customer_assets(ctx: Context, customer_id: uuid.UUID) -> CustomerAssets:
    """A customer's holdings (identifier and balance as the viewer's policy shows them) and AUM; audited."""
    customer, assets, shown = _customer_assets(ctx, customer_id)
    aum = _aum(assets)
    audit.record(
        ctx, "asset.viewed", object_type="assets.asset", customer_id=customer.pk, fields=shown, detail={"result_count": len(assets)}
    )
    return CustomerAssets(customer.pk, assets, aum)


@transaction.atomic
def holdings(ctx: Context, customer_id: uuid.UUID) -> list[Asset]:
    """A customer's holdings; audited (``asset.viewed``)."""
    customer, assets, shown = _customer_assets(ctx, customer_id)
    audit.record(
        ctx, "asset.viewed", object_type="assets.asset", customer_id=customer.pk, fields=shown, detail={"result_count": len(assets)}
    )
    return assets


@transaction.atomic
def aum(ctx: Context, customer_id: uuid.UUID) -> Aum:
    """A customer's assets under management in their currency and the institution's, with each rate's date; audited."""
    customer, assets, shown = _customer_assets(ctx, customer_id)
    found = _aum(assets)
    audit.record(ctx, "asset.viewed", object_type="assets.asset", customer_id=customer.pk, fields=shown, detail={"aum": True})
    return found


@dataclass(frozen=True)
class AssetLedger:
    asset: Asset
    entries: list[LedgerEntry]
    page: int
    pages: int
    decision: Decision  # the balance's: entry amounts and running balances follow it


@transaction.atomic
def ledger(ctx: Context, asset_id: uuid.UUID, *, page: int = 1, per_page: int = LEDGER_PAGE) -> AssetLedger:
    """One asset and a page of its ledger, newest entry first; audited (``asset.ledger_viewed``)."""
    asset = Asset.objects.visible_to(ctx, VIEW).filter(pk=asset_id, customer__isnull=False).first()
    if asset is None or asset.customer_id is None:
        raise NotFound()
    customer = _visible_customer(ctx, asset.customer_id)
    shown = _present(ctx, customer, [asset])
    decision = balance_decision(asset)
    qs: QuerySet[LedgerEntry] = LedgerEntry.objects.filter(asset_id=asset.pk).select_related("operator").order_by("-seq")
    paginator = Paginator(qs, max(1, min(per_page, 200)))
    page_obj = paginator.get_page(page)
    entries = list(page_obj.object_list) if decision is not Decision.WITHHELD else []
    audit.record(
        ctx,
        "asset.ledger_viewed",
        obj=asset,
        customer_id=customer.pk,
        fields=shown,
        detail={"page": page_obj.number, "result_count": len(entries)},
    )
    return AssetLedger(asset, entries, page_obj.number, paginator.num_pages, decision)


def asset_currency(ctx: Context, asset_id: uuid.UUID) -> str:
    """The currency of an asset the actor may see (not personal: it says how an amount is to be read)."""
    currency = Asset.objects.visible_to(ctx, VIEW).filter(pk=asset_id, customer__isnull=False).values_list("currency", flat=True).first()
    if currency is None:
        raise NotFound()
    return str(currency)


def fx_rates(ctx: Context, *, limit: int = 500) -> list[FxRate]:
    """Dated exchange rates, newest first (reference data, nothing personal)."""
    if ctx.actor is None or not allows(ctx.roles, FX_RATES, VIEW):
        raise PermissionDenied()
    return list(FxRate.objects.order_by("-as_of", "currency")[:limit])


def alerts(ctx: Context, *, status: str = AlertStatus.OPEN, limit: int = 500) -> list[AssetAlert]:
    """Asset alerts of the actor's legal entity (ids, codes and counts; nothing personal), newest first."""
    if ctx.actor is None or not allows(ctx.roles, ASSET_ALERTS, VIEW):
        raise PermissionDenied()
    dept = ctx.actor.department
    if dept is None:
        return []
    qs = AssetAlert.objects.filter(legal_entity_id=dept.legal_entity_id, status=status).select_related("operator")
    found = list(qs.order_by("-created_at")[:limit])
    # The desk sees the alert, not the asset: only its kind and currency (no identifier, no balance).
    kinds = dict(
        Asset.objects.unrestricted(reason="the alert desk names the kind and currency of an alert's asset")
        .filter(pk__in={a.asset_id for a in found})
        .values_list("pk", "kind")
    )
    for a in found:
        a.asset_kind = kinds.get(a.asset_id, "")  # type: ignore[attr-defined]
    return found
