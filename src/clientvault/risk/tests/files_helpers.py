"""Set-up for the credit-file tests (issue #16): a customer with a deposit account and a loan, built through the
asset services as in production, a credit file opened by the risk officer, and limits written as the limits
slice's service would write them."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from typing import Any

from clientvault.assets import services as asset_services
from clientvault.assets.models import Asset
from clientvault.core import clock
from clientvault.customers.models import Customer
from clientvault.risk import services
from clientvault.risk.models import CreditFile, CreditLimit, LimitKind
from clientvault.testing import assets as A
from clientvault.testing import customers as C
from clientvault.testing.actors import ctx

DRAWN_ON = dt.datetime(2026, 1, 5, 2, 0, tzinfo=dt.UTC)
TODAY = dt.datetime(2026, 6, 10, 2, 0, tzinfo=dt.UTC)  # 10:00 in Shanghai
LOAN_TERMS = {"installment_minor": 500_000, "first_due_on": "2026-02-01", "interval_months": 1, "principal_minor": 6_000_000}


@dataclass
class Book:
    customer: Customer
    deposit: Asset
    loan: Asset
    owner: Any


def book(org: Any, *, address: str = "上海市浦东新区世纪大道100号", industry: str = "C", draw: int = 6_000_000) -> Book:
    """A customer of rep_bj1 with a deposit account and a loan drawn into it on DRAWN_ON (no credit file yet)."""
    rep = org["rep_bj1"]
    customer = C.customer(rep, address=address, industry=industry)
    with clock.travel(DRAWN_ON):
        deposit = A.open_asset(customer, rep, kind="deposit", balance=100_000)
        result = asset_services.open_asset(
            ctx=ctx(rep), customer_id=customer.pk, kind="loan", currency="CNY", idempotency_key=A.key("loan"), terms=LOAN_TERMS
        )
        (loan,) = result.assets.values()
        if draw:
            transfer(rep, loan.pk, deposit.pk, draw)
    return Book(customer, A.reload(deposit), A.reload(loan), rep)


def transfer(by: Any, source: uuid.UUID, target: uuid.UUID, amount: int) -> Any:
    return asset_services.transfer(ctx=ctx(by), from_asset_id=source, to_asset_id=target, amount_minor=amount, idempotency_key=A.key("tr"))


def repay(b: Book, amount: int) -> Any:
    return transfer(b.owner, b.deposit.pk, b.loan.pk, amount)


def open_file(org: Any, customer: Customer, currency: str = "CNY") -> CreditFile:
    return services.open_credit_file(ctx(org["risk"]), customer_id=customer.pk, currency=currency)


def limit(
    credit_file: CreditFile, amount: int, *, kind: str = LimitKind.PERMANENT, valid_from: dt.date, valid_until: dt.date | None = None
) -> CreditLimit:
    return CreditLimit.objects.create(
        credit_file=credit_file, kind=kind, amount=amount, valid_from=valid_from, valid_until=valid_until, created_at=clock.now()
    )


def reload_file(credit_file: CreditFile) -> CreditFile:
    return CreditFile.objects.unrestricted(reason="test assertion").get(pk=credit_file.pk)
