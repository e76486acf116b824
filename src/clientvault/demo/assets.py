"""Demo assets: dated exchange rates, and for the first customers of each rep a year of ledger history —
accounts opened a year ago, salary deposits, withdrawals, transfers between customers, pledges and their
release, a loan drawn and repaid — all posted through the ledger services with the clock moved to the day
(``clock.travel``), so every entry, journal and audit event carries its own date."""

from __future__ import annotations

import datetime as dt
import random
import uuid
from collections.abc import Callable
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


def seed_rates(keeper: User, *, start: dt.date, rng: random.Random) -> int:
    """A rate per currency on the first of every month from ``start`` to today, recorded by ``keeper`` (an
    administrator: reference data, no customer sight needed)."""
    ctx = for_user(keeper, channel="cli")
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


def _open(
    result: Seeded,
    ctx: Context,
    customer: Customer,
    kind: str,
    currency: str,
    rng: random.Random,
    day: dt.date,
    *,
    since: dt.date | None = None,
) -> Any:
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
            opened_on=since,
            reason="客户开户",
        )
    if outcome is None:
        return None
    result.assets += 1
    (asset,) = outcome.assets.values()
    return asset


Plan = list[tuple[dt.datetime, Callable[[], None]]]  # what happens when, in date order once sorted


def seed_customer_history(ctx: Context, customer: Customer, peers: list[Any], rng: random.Random, result: Seeded, plan: Plan) -> list[Any]:
    """Open one customer's 1–3 holdings (and perhaps a loan) a year ago and add their year of movements to
    ``plan`` — a monthly rhythm of deposits, withdrawals and transfers, perhaps a pledge and its release."""
    start = clock.today() - dt.timedelta(days=365)
    # The first account was opened at the branch long before it was recorded here (0–10 years): the relationship's
    # length, which credit scoring reads as tenure. Its own generator keeps the rest of the demo's draws unchanged.
    since = start - dt.timedelta(days=random.Random(f"since-{customer.pk}").randint(0, 3650))
    opened = [_open(result, ctx, customer, "deposit", "CNY", rng, start + dt.timedelta(days=rng.randint(0, 10)), since=since)]
    for kind in rng.sample(["fund", "securities", "insurance_policy"], k=rng.randint(0, 2)):
        opened.append(_open(result, ctx, customer, kind, "CNY", rng, start + dt.timedelta(days=rng.randint(10, 60))))
    if rng.random() < 0.15:
        opened.append(_open(result, ctx, customer, "deposit", "USD", rng, start + dt.timedelta(days=rng.randint(20, 90))))
    loan = _open(result, ctx, customer, "loan", "CNY", rng, start + dt.timedelta(days=rng.randint(60, 90))) if rng.random() < 0.1 else None
    assets = [a for a in opened if a is not None]
    if not assets:
        return []
    main = assets[0]
    others = [a for a in assets[1:] if a.currency == "CNY"]

    def at(day: dt.date, call: Any, **kwargs: Any) -> None:
        plan.append((_at(day, rng), lambda: _post(result, call, ctx=ctx, **kwargs)))

    def cents(low: int, high: int) -> int:
        return rng.randint(low, high) * 100

    day = start + dt.timedelta(days=12)
    while day < clock.today():
        at(day, services.deposit, asset_id=main.pk, amount_minor=cents(5_000, 60_000), reason="工资入账")
        if rng.random() < 0.5:
            at(day + dt.timedelta(days=3), services.withdraw, asset_id=main.pk, amount_minor=cents(1_000, 20_000), reason="客户取现")
        ready = [a for a in others if a.opened_on < day]
        if ready and rng.random() < 0.4:
            to = rng.choice(ready).pk
            at(
                day + dt.timedelta(days=5),
                services.transfer,
                from_asset_id=main.pk,
                to_asset_id=to,
                amount_minor=cents(1_000, 10_000),
                reason="申购理财产品",
            )
        if peers and rng.random() < 0.04:
            to = rng.choice(peers).pk
            at(
                day + dt.timedelta(days=7),
                services.transfer,
                from_asset_id=main.pk,
                to_asset_id=to,
                amount_minor=cents(500, 5_000),
                reason="转账给其他客户",
            )
        day += dt.timedelta(days=rng.randint(20, 40))
    if rng.random() < 0.3:  # a pledge for a credit line, partly released a few months later
        pledged = start + dt.timedelta(days=rng.randint(120, 200))
        at(pledged, services.pledge, asset_id=main.pk, amount_minor=cents(10_000, 50_000), reason="授信质押")
        at(
            pledged + dt.timedelta(days=rng.randint(30, 120)),
            services.release,
            asset_id=main.pk,
            amount_minor=cents(1_000, 10_000),
            reason="部分解押",
        )
    if loan is not None:  # drawn into the deposit account, repaid monthly
        principal = cents(100_000, 500_000)
        drawn = loan.opened_on + dt.timedelta(days=1)
        at(drawn, services.transfer, from_asset_id=loan.pk, to_asset_id=main.pk, amount_minor=principal, reason="贷款发放")
        repay = drawn + dt.timedelta(days=30)
        while repay < clock.today():
            at(repay, services.transfer, from_asset_id=main.pk, to_asset_id=loan.pk, amount_minor=principal // 24, reason="按月还款")
            repay += dt.timedelta(days=30)
        assets.append(loan)
    return assets


def run(plan: Plan) -> None:
    """Carry the plan out in date order, the clock at each step's time (the alert rules count an asset's changes
    in the hours before each posting, so history must not be written out of order)."""
    for when, step in sorted(plan, key=lambda p: p[0]):
        if when.date() < clock.today():
            with clock.travel(when):
                step()


def plan_large_movements(rep: User, manager: User | None, mains: list[Any], rng: random.Random, result: Seeded, plan: Plan) -> None:
    """Large deposits that need a second person (rule ``assets-movement``): the rep's manager approves the first
    half an hour later (posted then, with the approval), rejects the second; the third is still waiting."""
    from clientvault.approvals import services as approvals

    maker = for_user(rep, channel="web", purpose="sales_followup")
    checker = for_user(manager, channel="web", purpose="sales_followup") if manager is not None else None
    for i, asset in enumerate(mains[:3]):
        day = clock.today() - dt.timedelta(days=[40, 20, 1][i])
        submitted_at = dt.datetime.combine(day, dt.time(0, rng.randint(0, 20)), tzinfo=dt.UTC)  # 08:00 in Shanghai, before the day's work
        waiting: list[Any] = []

        def submit(asset: Any = asset, waiting: list[Any] = waiting) -> None:
            before = len(result.submitted)
            amount = rng.randint(12, 30) * 10_000_000
            _post(result, services.deposit, ctx=maker, asset_id=asset.pk, amount_minor=amount, reason="大额资金转入")
            waiting.extend(result.submitted[before:])

        def decide(approve: bool = i == 0, waiting: list[Any] = waiting) -> None:
            if checker is None or not waiting:
                return
            request = waiting[0]
            if approve:
                approvals.approve(checker, request.pk, reason="资金来源已核实")
            else:
                approvals.reject(checker, request.pk, reason="资金来源证明不全，请补充后重新提交")
            result.submitted.remove(request)

        plan.append((submitted_at, submit))
        if i < 2:
            plan.append((submitted_at + dt.timedelta(minutes=30), decide))


def seed_assets(users: dict[str, User], *, per_rep: int = 15, seed: int = 2026) -> Seeded:
    """Seed rates and a year of asset history for the first ``per_rep`` customers of every rep."""
    rng = random.Random(seed)
    result = Seeded()
    admin = next(u for u in users.values() if "administrator" in u.role_codes())
    seed_rates(admin, start=clock.today() - dt.timedelta(days=400), rng=rng)
    seeded = Customer.objects.unrestricted(reason="the demo seeder opens assets for the demo customers")
    peers: list[Any] = []
    managers = [u for u in users.values() if "sales_manager" in u.role_codes()]
    plan: Plan = []
    mains: dict[int, list[Any]] = {}
    reps = [u for u in users.values() if "sales_rep" in u.role_codes()]
    for rep in reps:
        ctx = for_user(rep, channel="web", purpose="sales_followup")
        for customer in seeded.filter(owner=rep).order_by("created_at")[:per_rep]:
            assets = seed_customer_history(ctx, customer, peers, rng, result, plan)
            mains.setdefault(rep.pk, []).extend(assets[:1])
            peers.extend(a for a in assets[:1] if a.currency == "CNY")
    for rep in reps:
        plan_large_movements(rep, _manager_of(rep, managers), mains.get(rep.pk, []), rng, result, plan)
    run(plan)
    return result


def _manager_of(rep: User, managers: list[User]) -> User | None:
    """The sales manager whose department contains the rep's (the approver of the rep's large movements)."""
    path = rep.department.path if rep.department is not None else ""
    for manager in managers:
        if manager.department is not None and path.startswith(manager.department.path):
            return manager
    return None
