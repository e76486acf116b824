"""JSON shapes of the asset API. Amounts travel as decimal strings in the asset's currency ("1234.56"),
never as floats; the identifier is shown as the viewer's policy shows it (masked, or null when withheld)."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any, Literal

from ninja import Schema
from pydantic import Field

from clientvault.assets.money import decimal_text

AssetKind = Literal["deposit", "securities", "fund", "insurance_policy", "loan", "collateral", "contract", "clearing"]
MovementKind = Literal["deposit", "withdraw", "transfer", "pledge", "release", "close"]
EntryKind = Literal[
    "open", "deposit", "withdraw", "transfer_out", "transfer_in", "pledge", "release", "change_terms", "close", "fx_out", "fx_in"
]


class AssetOut(Schema):
    id: uuid.UUID
    customer_id: uuid.UUID | None
    kind: AssetKind
    identifier: str | None = Field(description="As the viewer's policy shows it: plain, masked, or null when withheld")
    identifier_decision: Literal["plain", "masked", "withheld"]
    product: str
    currency: str
    status: str
    opened_on: dt.date | None
    closed_on: dt.date | None
    balance_decision: Literal["plain", "masked", "withheld"] = Field(description="How the viewer's policy shows amounts")
    balance: str | None = Field(description="Decimal string in the asset's currency; null unless shown plain")
    pledged: str | None
    available: str | None = Field(description="balance − pledged")
    version: int = Field(description="The sequence number of the asset's last ledger entry")

    @staticmethod
    def from_model(a: Any) -> AssetOut:
        from clientvault.assets.presenting import balance_decision, shown_identifier

        shown, decision = shown_identifier(a)
        amounts = balance_decision(a)

        def amount(minor: int) -> str | None:
            return decimal_text(minor, a.currency) if amounts == "plain" else None

        return AssetOut(
            id=a.pk,
            customer_id=a.customer_id,
            kind=a.kind,
            identifier=shown,
            identifier_decision=decision,  # type: ignore[arg-type]
            balance_decision=amounts,  # type: ignore[arg-type]
            product=a.product,
            currency=a.currency,
            status=a.status,
            opened_on=a.opened_on,
            closed_on=a.closed_on,
            balance=amount(a.balance),
            pledged=amount(a.pledged),
            available=amount(a.balance - a.pledged),
            version=a.version,
        )


class RateOut(Schema):
    currency: str
    base: str
    rate: str
    as_of: dt.date | None


class TotalOut(Schema):
    currency: str
    amount: str
    rates: list[RateOut] = Field(description="The rate used for each other currency, with the rate's date")
    missing: list[str] = Field(description="Currencies held without a rate on or before today (left out of the total)")


class AumOut(Schema):
    decision: Literal["plain", "masked", "withheld"] = Field(description="Totals are given only when balances are shown plain")
    customer_currency: TotalOut | None = Field(description="In the currency of the customer's largest holding")
    institution_currency: TotalOut | None


class HoldingsOut(Schema):
    customer_id: uuid.UUID
    assets: list[AssetOut]
    aum: AumOut


class EntryOut(Schema):
    """One ledger line, newest first; amounts are null unless the viewer sees the asset's balance in clear."""

    seq: int
    kind: EntryKind
    amount: str | None
    pledged_delta: str | None
    balance_after: str | None = Field(description="The running balance after this entry")
    pledged_after: str | None
    currency: str
    operator: str = Field(description="Who posted it (the maker, for a movement posted on approval)")
    purpose: str
    approval_id: uuid.UUID | None = Field(description="The change request that allowed it")
    journal_id: uuid.UUID
    created_at: dt.datetime

    @staticmethod
    def from_line(line: Any) -> EntryOut:
        c = line.currency

        def amount(minor: int | None) -> str | None:
            return None if minor is None else decimal_text(minor, c)

        return EntryOut(
            seq=line.seq,
            kind=line.kind,
            amount=amount(line.amount),
            pledged_delta=amount(line.pledged_delta),
            balance_after=amount(line.balance_after),
            pledged_after=amount(line.pledged_after),
            currency=c,
            operator=line.operator,
            purpose=line.purpose,
            approval_id=line.approval_id,
            journal_id=line.journal_id,
            created_at=line.created_at,
        )


class LedgerOut(Schema):
    asset: AssetOut
    entries: list[EntryOut]
    page: int
    has_next: bool


class OpenAssetIn(Schema):
    customer_id: uuid.UUID
    kind: AssetKind
    identifier: str = Field(min_length=1, max_length=64, description="Account, policy or contract number (sealed, blind-indexed)")
    product: str = Field("", max_length=200)
    currency: str = Field(min_length=3, max_length=3, description="ISO 4217 code")
    reason: str = Field(min_length=1, max_length=500)


class MovementIn(Schema):
    kind: MovementKind
    amount: str = Field("", max_length=40, description='Decimal string in the currency\'s units, e.g. "1234.56"; "" for close')
    currency: str = Field("", max_length=3, description="ISO 4217 code; must be the asset's currency")
    counter_asset_id: uuid.UUID | None = Field(None, description="The receiving asset (transfer only)")
    reason: str = Field(min_length=1, max_length=500)


class MovementPostedOut(Schema):
    status: Literal["posted"] = "posted"
    journal_id: uuid.UUID = Field(description="The journal posted (the first one, when a retried key replays it)")
    asset_ids: list[uuid.UUID] = Field(description="The assets it moved (read them with GET /assets/{id})")


class MovementSubmittedOut(Schema):
    status: Literal["submitted"] = "submitted"
    request_id: uuid.UUID = Field(description="The change request waiting for approval")


class FxRateOut(Schema):
    currency: str
    base: str
    rate: str
    as_of: dt.date
    source: str

    @staticmethod
    def from_model(r: Any) -> FxRateOut:
        return FxRateOut(currency=r.currency, base=r.base, rate=str(r.rate), as_of=r.as_of, source=r.source)


class FxRateIn(Schema):
    currency: str = Field(min_length=3, max_length=3)
    rate: str = Field(max_length=40, description='Units of the base currency per unit, as a decimal string ("7.1234")')
    as_of: dt.date
    source: str = Field("", max_length=100)
