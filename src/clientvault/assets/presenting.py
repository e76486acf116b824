"""What the asset pages show, built from what the selectors return: amounts formatted per currency,
labels in the user's language, links to approval requests. No reads of its own beyond the non-personal
request summaries of ``approvals.selectors.open_for`` (the caller has checked sight of the assets)."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.urls import NoReverseMatch, reverse
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from clientvault.access.models import Purpose
from clientvault.approvals import selectors as approvals
from clientvault.assets.approval import TARGET_TYPE
from clientvault.assets.models import Kind
from clientvault.assets.money import format_minor

MASKED = "******"  # the catalogue's mask profile for balances is "hidden": nothing of the amount shows
WITHHELD = "—"


def is_submitted(result: Any) -> bool:
    """A movement that went to a second person (``Submitted``) rather than posted now (``Posted``)."""
    return hasattr(result, "request") and not hasattr(result, "journal")


def request_url(request_id: Any) -> str:
    try:
        return reverse("approvals:detail", args=[request_id])
    except NoReverseMatch:  # the approvals pages are not wired on this branch: the request is shown without a link
        return ""


def _decision(a: Any, field: str) -> str:
    view = (getattr(a, "field_views", None) or {}).get(field)
    return str(view.decision) if view is not None else "withheld"


def shown_identifier(a: Any) -> tuple[str | None, str]:
    """The identifier as the selector left it for this viewer, and its decision (plain / masked / withheld)."""
    decision = _decision(a, "identifier")
    return (getattr(a, "identifier", None) if decision != "withheld" else None), decision


def balance_decision(a: Any) -> str:
    return _decision(a, "balance")


def money_text(minor: int | None, currency: str, decision: str) -> str:
    """An amount as this viewer may see it: in full, masked, or withheld (an em dash)."""
    if decision == "plain" and minor is not None:
        return format_minor(minor, currency)
    return MASKED if decision == "masked" else WITHHELD


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


def holding(a: Any) -> HoldingRow:
    shown, decision = shown_identifier(a)
    amounts = balance_decision(a)
    return HoldingRow(
        id=a.pk,
        customer_id=a.customer_id,
        kind=a.kind,
        kind_label=str(a.get_kind_display()),
        identifier=shown or "",
        identifier_decision=decision,
        product=a.product,
        currency=a.currency,
        balance=money_text(a.balance, a.currency, amounts),
        pledged=money_text(a.pledged, a.currency, amounts),
        available=money_text(a.balance - a.pledged, a.currency, amounts),
        negative=a.balance < 0 and amounts == "plain",
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
    approved: bool  # posted on an approved change request
    approval_url: str


def purpose_names() -> dict[str, str]:
    """Purpose code → its name in the user's language (the catalogue of purposes: nothing personal)."""
    language = get_language()
    return {p.code: p.name(language) for p in Purpose.objects.all()}


def entry(line: Any, shown: bool, purposes: dict[str, str] | None = None) -> EntryRow:
    """One ledger line (``selectors.LedgerLine``); its amounts are None unless the balance is shown plain."""
    decision = "plain" if shown else "masked"
    moved = line.amount if line.amount else line.pledged_delta
    sign = "+" if shown and moved is not None and moved > 0 else ""
    return EntryRow(
        seq=line.seq,
        created_at=line.created_at,
        kind_label=line.kind_label,
        amount=sign + money_text(moved, line.currency, decision),
        negative=bool(shown and moved is not None and moved < 0),
        balance_after=money_text(line.balance_after, line.currency, decision),
        pledged_after=money_text(line.pledged_after, line.currency, decision),
        operator=line.operator,
        purpose=(purposes or {}).get(line.purpose, line.purpose),
        approved=line.approval_id is not None,
        approval_url=request_url(line.approval_id) if line.approval_id else "",
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
    """Open change requests on these assets (approvals' non-personal summaries), newest first."""
    rows = []
    for asset_id in asset_ids:
        for r in approvals.open_for(TARGET_TYPE, str(asset_id)):
            rows.append(
                RequestRow(r.id, r.submitted_at, r.due_at, r.summary, str(REQUEST_STATUS.get(r.status, r.status)), request_url(r.id))
            )
    return sorted(rows, key=lambda r: r.submitted_at or dt.datetime.min.replace(tzinfo=dt.UTC), reverse=True)


@dataclass(frozen=True)
class RateRow:
    currency: str
    base: str
    rate: str
    as_of: dt.date | None


@dataclass(frozen=True)
class Total:
    kind: str  # "customer" | "institution"
    currency: str
    text: str
    negative: bool
    rates: list[RateRow]
    missing: list[str]


@dataclass(frozen=True)
class AumView:
    totals: list[Total]
    decision: str  # the viewer's decision on balances: totals are shown only when plain


def aum(found: Any, balance_shown: bool) -> AumView:
    """``selectors.AumView`` (or None when balances are not shown) as cards: the customer's currency, then the base."""
    if found is None:
        return AumView([], "plain" if balance_shown else "masked")
    rates = [RateRow(r.from_, r.to, f"{r.rate.normalize():f}", r.as_of) for r in found.rates]
    missing = list(found.missing_rates)
    totals = []
    if found.customer_currency != found.base_currency:
        totals.append(
            Total(
                "customer",
                found.customer_currency,
                format_minor(found.total_customer_minor, found.customer_currency),
                found.total_customer_minor < 0,
                rates,
                missing,
            )
        )
    totals.append(
        Total(
            "institution",
            found.base_currency,
            format_minor(found.total_base_minor, found.base_currency),
            found.total_base_minor < 0,
            rates,
            missing,
        )
    )
    return AumView(totals, "plain")


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
    kind = getattr(a, "asset_kind", "")
    return AlertRow(
        id=a.pk,
        asset_id=a.asset_id,
        asset_label=str(Kind(kind).label) if kind in Kind.values else "—",
        kind_label=str(a.get_kind_display()),
        operator=str(a.operator) if a.operator_id else "",
        detail_text=", ".join(f"{k}: {v}" for k, v in sorted(detail.items())),
        status=a.status,
        created_at=a.created_at,
    )
