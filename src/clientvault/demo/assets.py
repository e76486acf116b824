"""Demo assets: dated exchange rates, and for the first customers of each rep a year of ledger history —
accounts opened a year ago, salary deposits, withdrawals, transfers between customers, pledges and their
release, a loan drawn and repaid — all posted through the ledger services with the clock moved to the day
(``clock.travel``), so every entry, journal and audit event carries its own date."""

from __future__ import annotations

import datetime as dt
import random
import uuid
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.conf import settings

from clientvault.accounts.models import User
from clientvault.assets import services
from clientvault.core import clock
from clientvault.core.context import Context, for_user
from clientvault.core.errors import DomainError
from clientvault.customers.models import Customer

PRODUCTS = {
    "deposit": ["活期储蓄", "三年期定期存款", "大额存单"],
    "securities": ["A股证券账户", "港股通账户"],
    "fund": ["稳健增利债券基金", "沪深300指数基金", "货币市场基金"],
    "insurance_policy": ["终身寿险", "重大疾病保险", "年金保险"],
    "collateral": ["房产抵押", "存单质押"],
    "loan": ["个人住房贷款", "个人经营贷款"],
}
# Rates against CNY on the first of each month, drifting a little (demo figures, not market data).
RATES = {"USD": Decimal("7.1000"), "HKD": Decimal("0.9100"), "EUR": Decimal("7.7500")}


@dataclass
class Seeded:
    assets: int = 0
    movements: int = 0
    refused: int = 0  # movements the ledger refused (e.g. a withdrawal of pledged funds): kept out, as in life
    submitted: list[Any] = field(default_factory=list)  # movements above the threshold, waiting for approval


def _key() -> str:
    return f"demo-{uuid.uuid4()}"


def seed_rates(officer: User, *, start: dt.date, rng: random.Random) -> int:
    """A rate per currency on the first of every month from ``start`` to today."""
    ctx = for_user(officer, channel="cli", purpose="credit_assessment")
    base = getattr(settings, "CLIENTVAULT_BASE_CURRENCY", "CNY")
    added = 0
    day = start.replace(day=1)
    while day <= clock.today():
        for currency, centre in RATES.items():
            rate = (centre * (Decimal(1) + Decimal(rng.uniform(-0.02, 0.02)))).quantize(Decimal("0.0001"))
            with clock.travel(dt.datetime.combine(day, dt.time(9, 30), tzinfo=dt.UTC)):
                services.record_fx_rate(ctx=ctx, currency=currency, base=base, rate=rate, as_of=day, source="演示数据")
            added += 1
        day = (day + dt.timedelta(days=32)).replace(day=1)
    return added


def _at(day: dt.date, rng: random.Random) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(rng.randint(1, 9), rng.randint(0, 59)), tzinfo=dt.UTC)  # 09:00–17:59 in Shanghai


def _post(result: Seeded, call: Any, **kwargs: Any) -> Any:
    try:
        outcome = call(idempotency_key=_key(), **kwargs)
    except DomainError:
        result.refused += 1
        return None
    if hasattr(outcome, "request") and not hasattr(outcome, "journal"):
        result.submitted.append(outcome.request)
    else:
        result.movements += 1
    return outcome


def _open(result: Seeded, ctx: Context, customer: Customer, kind: str, currency: str, rng: random.Random, day: dt.date) -> Any:
    identifier = (
        "62" + "".join(str(rng.randint(0, 9)) for _ in range(17))
        if kind in ("deposit", "securities")
        else f"P{rng.randint(10**9, 10**10 - 1)}"
    )
    with clock.travel(_at(day, rng)):
        outcome = _post(
            result,
            services.open_asset,
            ctx=ctx,
            customer_id=customer.pk,
            kind=kind,
            identifier=identifier,
            product=rng.choice(PRODUCTS.get(kind, ["—"])),
            currency=currency,
            reason="客户开户",
        )
    if outcome is None:
        return None
    result.assets += 1
    (asset,) = outcome.assets.values()
    return asset


def seed_customer_history(ctx: Context, customer: Customer, peers: list[Any], rng: random.Random, result: Seeded) -> list[Any]:
    """One customer's year: 1–3 holdings, a monthly rhythm of movements, perhaps a pledge and a loan."""
    start = clock.today() - dt.timedelta(days=365)
    opened = [_open(result, ctx, customer, "deposit", "CNY", rng, start + dt.timedelta(days=rng.randint(0, 10)))]
    for kind in rng.sample(["fund", "securities", "insurance_policy"], k=rng.randint(0, 2)):
        opened.append(_open(result, ctx, customer, kind, "CNY", rng, start + dt.timedelta(days=rng.randint(10, 60))))
    if rng.random() < 0.15:
        opened.append(_open(result, ctx, customer, "deposit", "USD", rng, start + dt.timedelta(days=rng.randint(20, 90))))
    assets = [a for a in opened if a is not None]
    if not assets:
        return []
    main = assets[0]
    day = start + dt.timedelta(days=12)
    while day < clock.today():
        with clock.travel(_at(day, rng)):
            _post(
                result,
                services.deposit,
                ctx=ctx,
                asset_id=main.pk,
                amount_minor=rng.randint(5_000, 60_000) * 100,
                currency="CNY",
                reason="工资入账",
            )
            if rng.random() < 0.5:
                _post(
                    result,
                    services.withdraw,
                    ctx=ctx,
                    asset_id=main.pk,
                    amount_minor=rng.randint(1_000, 20_000) * 100,
                    currency="CNY",
                    reason="客户取现",
                )
            others = [a for a in assets[1:] if a.currency == "CNY"]
            if others and rng.random() < 0.4:
                _post(
                    result, services.transfer, ctx=ctx, from_asset_id=main.pk, to_asset_id=rng.choice(others).pk,
                    amount_minor=rng.randint(1_000, 10_000) * 100, currency="CNY", reason="申购理财产品",
                )  # fmt: skip
            if peers and rng.random() < 0.1:
                _post(
                    result, services.transfer, ctx=ctx, from_asset_id=main.pk, to_asset_id=rng.choice(peers).pk,
                    amount_minor=rng.randint(500, 5_000) * 100, currency="CNY", reason="转账给其他客户",
                )  # fmt: skip
        day += dt.timedelta(days=rng.randint(20, 40))
    if rng.random() < 0.3:  # a pledge for a credit line, released a few months later
        pledge_day = start + dt.timedelta(days=rng.randint(120, 200))
        with clock.travel(_at(pledge_day, rng)):
            _post(
                result,
                services.pledge,
                ctx=ctx,
                asset_id=main.pk,
                amount_minor=rng.randint(10_000, 50_000) * 100,
                currency="CNY",
                reason="授信质押",
            )
        with clock.travel(_at(pledge_day + dt.timedelta(days=rng.randint(30, 120)), rng)):
            outcome = _post(
                result,
                services.release,
                ctx=ctx,
                asset_id=main.pk,
                amount_minor=rng.randint(1_000, 10_000) * 100,
                currency="CNY",
                reason="部分解押",
            )
            del outcome
    if rng.random() < 0.1:  # a loan: drawn into the deposit account, repaid monthly
        loan_day = start + dt.timedelta(days=rng.randint(30, 90))
        loan = _open(result, ctx, customer, "loan", "CNY", rng, loan_day)
        if loan is not None:
            principal = rng.randint(100_000, 500_000) * 100
            with clock.travel(_at(loan_day + dt.timedelta(days=1), rng)):
                _post(
                    result,
                    services.transfer,
                    ctx=ctx,
                    from_asset_id=loan.pk,
                    to_asset_id=main.pk,
                    amount_minor=principal,
                    currency="CNY",
                    reason="贷款发放",
                )
            repay = loan_day + dt.timedelta(days=31)
            while repay < clock.today():
                with clock.travel(_at(repay, rng)):
                    _post(
                        result,
                        services.transfer,
                        ctx=ctx,
                        from_asset_id=main.pk,
                        to_asset_id=loan.pk,
                        amount_minor=principal // 24,
                        currency="CNY",
                        reason="按月还款",
                    )
                repay += dt.timedelta(days=30)
    return assets


def seed_assets(users: dict[str, User], *, per_rep: int = 15, seed: int = 2026) -> Seeded:
    """Seed rates and a year of asset history for the first ``per_rep`` customers of every rep."""
    rng = random.Random(seed)
    result = Seeded()
    risk = next(u for u in users.values() if "risk_officer" in u.role_codes())
    seed_rates(risk, start=clock.today() - dt.timedelta(days=400), rng=rng)
    seeded = Customer.objects.unrestricted(reason="the demo seeder opens assets for the demo customers")
    peers: list[Any] = []
    for rep in (u for u in users.values() if "sales_rep" in u.role_codes()):
        ctx = for_user(rep, channel="web", purpose="sales_followup")
        mine = list(seeded.filter(owner=rep).order_by("created_at")[:per_rep])
        for customer in mine:
            assets = seed_customer_history(ctx, customer, peers, rng, result)
            peers.extend(a for a in assets[:1] if a.currency == "CNY")
    return result
