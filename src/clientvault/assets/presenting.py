"""What the asset pages show, built from what the selectors return: amounts formatted per currency,
labels in the user's language, links to approval requests. No reads of its own beyond the non-personal
request summaries of ``approvals.selectors.open_for`` (the caller has checked sight of the assets)."""

from __future__ import annotations

import importlib
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy as _

from clientvault.assets.models import Kind
from clientvault.assets.money import format_minor

MASKED = "******"
WITHHELD = "—"


def is_submitted(result: Any) -> bool:
    """A movement that went to a second person (``Submitted``) rather than posted now (``Posted``)."""
    return hasattr(result, "request") and not hasattr(result, "journal")


def request_url(request_id: Any) -> str:
    try:
        return reverse("approvals:detail", args=[request_id])
    except NoReverseMatch:  # the approvals pages are not wired (yet): show the request without a link
        return ""


@dataclass(frozen=True)
class HoldingRow:
    id: uuid.UUID
    customer_id: uuid.UUID | None
    kind: str
    kind_label: str
    identifier: str
    identifier_decision: str
    product: str
    currency: str
    balance: str
    pledged: str
    available: str
    negative: bool
    status: str
    status_label: str
    opened_on: Any
    closed_on: Any


def shown_identifier(a: Any) -> tuple[str | None, str]:
    """The identifier as the selector left it for this viewer, and its decision (plain / masked / withheld)."""
    view = (getattr(a, "field_views", None) or {}).get("asset.identifier")
    decision = str(view.decision) if view is not None else "withheld"
    shown = getattr(a, "identifier", None)
    return (shown if decision != "withheld" else None), decision


def balance_decision(a: Any) -> str:
    view = (getattr(a, "field_views", None) or {}).get("asset.balance")
    return str(view.decision) if view is not None else "withheld"


def money_text(minor: int, currency: str, decision: str) -> str:
    """An amount as this viewer may see it: in full, masked (the catalogue's profile for balances hides it
    entirely) or withheld (an em dash)."""
    if decision == "plain":
        return format_minor(minor, currency)
    return MASKED if decision == "masked" else WITHHELD


def _money(a: Any, minor: int) -> str:
    return money_text(minor, a.currency, balance_decision(a))


def holding(a: Any) -> HoldingRow:
    shown, decision = shown_identifier(a)
    return HoldingRow(
        id=a.pk,
        customer_id=a.customer_id,
        kind=a.kind,
        kind_label=str(a.get_kind_display()),
        identifier=shown or "",
        identifier_decision=decision,
        product=a.product,
        currency=a.currency,
        balance=_money(a, a.balance),
        pledged=_money(a, a.pledged),
        available=_money(a, a.balance - a.pledged),
        negative=a.balance < 0 and balance_decision(a) == "plain",
        status=a.status,
        status_label=str(a.get_status_display()),
        opened_on=a.opened_on,
        closed_on=a.closed_on,
    )


@dataclass(frozen=True)
class EntryRow:
    seq: int
    created_at: Any
    kind_label: str
    amount: str
    negative: bool
    balance_after: str
    pledged_after: str
    operator: str
    purpose: str
    approval_url: str


def entry(e: Any, decision: str) -> EntryRow:
    """One ledger line; its amounts follow the viewer's decision on the asset's balance."""
    currency = e.currency
    amount = e.amount if e.amount else e.pledged_delta
    sign = "+" if amount > 0 and decision == "plain" else ""
    return EntryRow(
        seq=e.seq,
        created_at=e.created_at,
        kind_label=str(e.get_kind_display()),
        amount=sign + money_text(amount, currency, decision),
        negative=amount < 0 and decision == "plain",
        balance_after=money_text(e.balance_after, currency, decision),
        pledged_after=money_text(e.pledged_after, currency, decision),
        operator=str(e.operator) if e.operator_id else "",
        purpose=e.purpose,
        approval_url=request_url(e.approval_id) if e.approval_id else "",
    )


@dataclass(frozen=True)
class RequestRow:
    id: Any
    submitted_at: Any
    due_at: Any
    summary: str
    status_label: str
    url: str


REQUEST_STATUS = {"draft": _("Draft"), "submitted": _("Waiting for approval"), "approved": _("Approved, being applied")}


def requests_for(asset_ids: Iterable[uuid.UUID]) -> list[RequestRow]:
    """Open change requests on these assets (approvals' non-personal summaries)."""
    approvals = importlib.import_module("clientvault.approvals.selectors")
    rows = []
    for asset_id in asset_ids:
        for r in approvals.open_for("assets.asset", str(asset_id)):
            rows.append(
                RequestRow(
                    id=r.id,
                    submitted_at=r.submitted_at,
                    due_at=r.due_at,
                    summary=r.summary,
                    status_label=str(REQUEST_STATUS.get(r.status, r.status)),
                    url=request_url(r.id),
                )
            )
    return sorted(rows, key=lambda r: (r.submitted_at is None, r.submitted_at), reverse=True)


@dataclass(frozen=True)
class Total:
    kind: str  # "customer" | "institution"
    currency: str
    text: str
    negative: bool
    rates: list[Any]
    missing: list[str]


@dataclass(frozen=True)
class AumView:
    totals: list[Total]
    decision: str  # the viewer's decision on balances: totals are shown only when plain


def aum(found: Any) -> AumView:
    totals = []
    for kind, total in (("customer", found.customer_total), ("institution", found.base_total)):
        if total is None:
            continue
        totals.append(
            Total(
                kind=kind,
                currency=total.currency,
                text=format_minor(total.amount_minor, total.currency),
                negative=total.amount_minor < 0,
                rates=list(total.rates),
                missing=list(getattr(total, "missing", [])),
            )
        )
    return AumView(totals, str(found.decision))


@dataclass(frozen=True)
class AlertRow:
    id: Any
    asset_id: Any
    asset_label: str
    kind_label: str
    operator: str
    detail_text: str
    status: str
    created_at: Any


def alert(a: Any) -> AlertRow:
    detail = a.detail or {}
    text = ", ".join(f"{k}: {v}" for k, v in sorted(detail.items()))
    return AlertRow(
        id=a.pk,
        asset_id=a.asset_id,
        asset_label=str(Kind(a.asset_kind).label) if a.asset_kind in Kind.values else "—",
        kind_label=str(a.get_kind_display()),
        operator=str(a.operator) if a.operator_id else "",
        detail_text=text,
        status=a.status,
        created_at=a.created_at,
    )
