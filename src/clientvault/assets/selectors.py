"""Every read of the asset ledger that reveals personal data (issue #13; ARCHITECTURE.md rules 1, 3 and 11).

A customer's holdings, an asset's ledger and the customer's AUM are decided per field like the customer's own
fields: the catalogue's ``asset.identifier`` / ``asset.balance`` class × the actor's asset rules for the
declared purpose × the customer (a core customer counts as C3) × live consent. A withheld identifier is
never decrypted; a balance the plan does not show in clear is not shown (its mask profile is "hidden").
Each read records its event with the fields it showed, also when nothing changed.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.db.models import QuerySet, Sum

from clientvault.access.plan import DisclosurePlan, disclosure_plan
from clientvault.access.policies import ASSET, VIEW, Decision
from clientvault.assets import fx
from clientvault.assets.ledger import rebuild_balances as rebuild_balances
from clientvault.assets.models import AlertStatus, Asset, AssetAlert, LedgerEntry, Status
from clientvault.audit import recording as audit
from clientvault.core import clock
from clientvault.core.context import Context
from clientvault.core.errors import NotFound
from clientvault.crypto import cipher, keystore
from clientvault.customers import disclosure
from clientvault.customers.models import Customer

FIELDS = {"identifier": "asset.identifier", "balance": "asset.balance"}
PAGE_SIZE = 50


def _customer(ctx: Context, customer_id: uuid.UUID) -> Customer:
    """The customer, if the actor's asset rules reach them (404 otherwise: out of scope == missing)."""
    found = Customer.objects.visible_to(ctx, VIEW, resource=ASSET).select_related("department").filter(pk=customer_id).first()
    if found is None:
        raise NotFound()
    return found


def _plan(ctx: Context, customer: Customer) -> DisclosurePlan:
    return disclosure_plan(ctx, disclosure.rows_of([customer]), FIELDS, ASSET)


def _detail(the_plan: DisclosurePlan, **extra: Any) -> dict[str, Any]:
    detail: dict[str, Any] = {"disclosure": the_plan.audit_codes(), **extra}
    if the_plan.consent_gated:
        detail = {**detail, "consent_gated": True, "withheld_for_consent": the_plan.withheld_for_consent()}
    return detail


@dataclass
class AumView:
    """A customer's assets under management: in their currency (their largest holding's) and the base currency."""

    customer_currency: str
    total_customer_minor: int
    base_currency: str
    total_base_minor: int
    rates: list[fx.Rate] = field(default_factory=list)  # each rate used, with its date
    missing_rates: list[str] = field(default_factory=list)  # currencies without a rate (left out of the totals)


@dataclass
class Holdings:
    customer: Customer
    assets: list[Asset]
    balance_shown: bool
    aum: AumView | None


def _present(ctx: Context, customer: Customer, assets: list[Asset], the_plan: DisclosurePlan) -> list[str]:
    row = the_plan[customer.pk]
    ident, bal = row["identifier"], row["balance"]
    settings_ = disclosure._mask_settings()
    shown: set[str] = set()
    for asset in assets:
        value = ""
        if ident.shown and asset.identifier_ct:
            try:
                value = cipher.decrypt(customer.pk, "assets.asset", "identifier", bytes(asset.identifier_ct), row=asset.pk)
            except keystore.KeyDestroyed:
                value = ""
        asset.identifier = disclosure.shown_value(ident.decision, ident.profile, value, settings_)
        if value:
            shown.add("identifier")
        asset.shown_balance = asset.balance if bal.decision is Decision.PLAIN else None
        asset.field_views = row.views()
    if assets and bal.decision is Decision.PLAIN:
        shown.add("balance")
    return sorted(shown)


def _aum(assets: list[Asset], on: dt.date) -> AumView:
    base = fx.base_currency()
    by_currency: dict[str, int] = defaultdict(int)
    for asset in assets:
        if asset.status == Status.OPEN:
            by_currency[asset.currency] += asset.balance
    rates: dict[str, fx.Rate] = {}
    missing: list[str] = []
    for currency in sorted(by_currency):
        try:
            rates[currency] = fx.rate(currency, base, on)
        except fx.NoRate:
            missing.append(currency)
    in_base = {c: rates[c].convert(v) for c, v in by_currency.items() if c in rates}
    customer_currency = max(in_base, key=lambda c: (in_base[c], c == base), default=base)
    total_base = sum(in_base.values())
    to_customer = fx.rate(base, customer_currency, on) if customer_currency in rates else fx.Rate(base, base, fx.ONE, None)
    used = [r for c, r in sorted(rates.items()) if c != base]
    return AumView(customer_currency, to_customer.convert(total_base), base, total_base, used, missing)


@transaction.atomic
def holdings(ctx: Context, customer_id: uuid.UUID) -> Holdings:
    """The customer's assets, identifiers masked per the plan, balances and AUM when the plan shows them."""
    customer = _customer(ctx, customer_id)
    assets = list(Asset.objects.visible_to(ctx, VIEW).filter(customer_id=customer.pk).order_by("status", "opened_on", "id"))
    the_plan = _plan(ctx, customer)
    shown = _present(ctx, customer, assets, the_plan)
    balance_shown = the_plan[customer.pk]["balance"].decision is Decision.PLAIN
    aum = _aum(assets, clock.today()) if balance_shown else None
    audit.record(
        ctx, "asset.viewed", obj=customer, customer_id=customer.pk, fields=shown, detail=_detail(the_plan, result_count=len(assets))
    )
    return Holdings(customer, assets, balance_shown, aum)


@transaction.atomic
def aum(ctx: Context, customer_id: uuid.UUID) -> AumView | None:
    """The customer's AUM (None when the plan does not show balances), with each rate's date."""
    customer = _customer(ctx, customer_id)
    the_plan = _plan(ctx, customer)
    if the_plan[customer.pk]["balance"].decision is not Decision.PLAIN:
        audit.record(ctx, "asset.viewed", obj=customer, customer_id=customer.pk, fields=[], detail=_detail(the_plan, aum=True))
        return None
    assets = list(Asset.objects.visible_to(ctx, VIEW).filter(customer_id=customer.pk))
    view = _aum(assets, clock.today())
    audit.record(ctx, "asset.viewed", obj=customer, customer_id=customer.pk, fields=["balance"], detail=_detail(the_plan, aum=True))
    return view


@dataclass(frozen=True)
class LedgerLine:
    """One entry as the viewer sees it: amounts are None when the plan does not show the balance."""

    seq: int
    kind: str
    kind_label: str
    created_at: dt.datetime
    operator: str
    purpose: str
    approval_id: uuid.UUID | None
    journal_id: uuid.UUID
    currency: str
    amount: int | None
    balance_after: int | None
    pledged_delta: int | None
    pledged_after: int | None


@dataclass
class LedgerPage:
    asset: Asset
    lines: list[LedgerLine]
    page: int
    has_next: bool
    amounts_shown: bool


@transaction.atomic
def ledger(ctx: Context, asset_id: uuid.UUID, page: int = 1, page_size: int = PAGE_SIZE) -> LedgerPage:
    """One page of an asset's ledger, newest first, with the running balance when the plan shows balances."""
    asset = Asset.objects.visible_to(ctx, VIEW).select_related("customer__department").filter(pk=asset_id).first()
    if asset is None or asset.customer is None:
        raise NotFound()
    customer = asset.customer
    the_plan = _plan(ctx, customer)
    shown = _present(ctx, customer, [asset], the_plan)
    page = max(1, int(page))
    start = (page - 1) * page_size
    rows = list(LedgerEntry.objects.filter(asset_id=asset.pk).select_related("operator").order_by("-seq")[start : start + page_size + 1])
    amounts = the_plan[customer.pk]["balance"].decision is Decision.PLAIN
    # What happened, when and by whom stays visible; the amounts follow the balance's decision.
    lines = [
        LedgerLine(
            seq=e.seq,
            kind=e.kind,
            kind_label=str(e.get_kind_display()),
            created_at=e.created_at,
            operator=(e.operator.display_name or e.operator.username) if e.operator else "",
            purpose=e.purpose,
            approval_id=e.approval_id,
            journal_id=e.journal_id,
            currency=e.currency,
            amount=e.amount if amounts else None,
            balance_after=e.balance_after if amounts else None,
            pledged_delta=e.pledged_delta if amounts else None,
            pledged_after=e.pledged_after if amounts else None,
        )
        for e in rows[:page_size]
    ]
    audit.record(
        ctx,
        "asset.ledger_viewed",
        obj=asset,
        customer_id=customer.pk,
        fields=shown,
        detail=_detail(the_plan, page=page, result_count=min(len(rows), page_size)),
    )
    return LedgerPage(asset, lines, page, len(rows) > page_size, amounts)


@dataclass
class DepartmentTotal:
    department_id: uuid.UUID | None
    department: str
    by_currency: dict[str, int]
    total_base_minor: int
    asset_count: int


@transaction.atomic
def department_totals(ctx: Context) -> tuple[list[DepartmentTotal], list[fx.Rate]]:
    """Open assets the actor may see, summed per department and currency and converted to the base currency."""
    rows = (
        Asset.objects.visible_to(ctx, VIEW)
        .filter(status=Status.OPEN, customer__isnull=False)
        .values("customer__department_id", "customer__department__name", "currency")
        .annotate(total=Sum("balance"), n=Sum(1))
        .order_by("customer__department__name", "currency")
    )
    today = clock.today()
    rates: dict[str, fx.Rate] = {}
    out: dict[Any, DepartmentTotal] = {}
    for row in rows:
        key = row["customer__department_id"]
        item = out.setdefault(key, DepartmentTotal(key, row["customer__department__name"] or "", {}, 0, 0))
        currency = row["currency"]
        item.by_currency[currency] = int(row["total"] or 0)
        item.asset_count += int(row["n"] or 0)
        if currency not in rates:
            try:
                rates[currency] = fx.rate(currency, fx.base_currency(), today)
            except fx.NoRate:
                continue
        item.total_base_minor += rates[currency].convert(int(row["total"] or 0))
    audit.record(ctx, "asset.totals_viewed", detail={"result_count": len(out)})
    return list(out.values()), [r for r in rates.values() if r.from_ != r.to]


def open_alerts(ctx: Context) -> QuerySet[AssetAlert]:
    """Open alerts of the actor's legal entity, for compliance (ids and codes only: nothing personal)."""
    actor = ctx.actor
    if actor is None or not ctx.has_role("compliance_officer") or actor.department is None:
        return AssetAlert.objects.none()
    return AssetAlert.objects.filter(legal_entity_id=actor.department.legal_entity_id, status=AlertStatus.OPEN).order_by("-created_at")
