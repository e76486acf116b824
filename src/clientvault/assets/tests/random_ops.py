"""The random-operations driver: seeded operations against the database and the pure model side by side.

Two executors share the generator and the model: ``CoreExecutor`` posts through ``assets/ledger.py`` (the
posting core every service calls, minus sight checks, approval routing, alerts and audit) and
``ServiceExecutor`` through ``assets/services.py`` as a sales rep. After every step the touched assets are
read back and compared with the model; after every seed all of them are, the replay (``rebuild_balances``)
must equal the running balances, balances must sum to zero per currency (double entry through the clearing
accounts) and the journal count must match. Each seed runs in a savepoint that is rolled back.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.db.models import Sum

from clientvault.assets import ledger, services
from clientvault.assets.ledger import Leg, Movement
from clientvault.assets.models import Asset, EntryKind, Journal, JournalKind, Kind
from clientvault.assets.tests.ledger_model import Ledger, ModelAsset, Refused
from clientvault.core import clock
from clientvault.core.context import Context
from clientvault.core.errors import DomainError

CURRENCIES = ("CNY", "USD")
OPS = ("open", "deposit", "withdraw", "transfer", "pledge", "release", "close", "retry")
WEIGHTS = (3, 20, 15, 25, 8, 8, 2, 8)
ROLLBACK_RATE = 0.05
_QS = "random-operations test: comparing the database with the model"


class _Injected(Exception):
    """Raised inside a successful operation's transaction to roll it back (an injected rollback)."""


@dataclass
class Spec:
    op: str
    a: uuid.UUID | None = None
    b: uuid.UUID | None = None
    amount: int = 0


@dataclass
class State:
    customers: list[Any]
    model: Ledger = field(default_factory=Ledger)
    ids: list[uuid.UUID] = field(default_factory=list)
    clearing: dict[str, uuid.UUID] = field(default_factory=dict)
    history: list[tuple[str, Spec]] = field(default_factory=list)


class CoreExecutor:
    def __init__(self, entity_id: uuid.UUID) -> None:
        self.entity_id = entity_id

    def clearing(self, state: State, currency: str) -> uuid.UUID:
        if currency not in state.clearing:
            cid = services.clearing_account(self.entity_id, currency)
            state.clearing[currency] = cid
            state.model.assets[cid] = ModelAsset(currency, True, customer=False)
        return state.clearing[currency]

    def open(self, state: State, key: str, rng: random.Random) -> uuid.UUID:
        c = rng.choice(state.customers)
        kind = Kind.LOAN if rng.random() < 0.15 else Kind.DEPOSIT
        now = clock.now()
        asset = Asset(
            id=uuid.UUID(int=rng.getrandbits(128), version=4),
            customer=c,
            kind=kind,
            currency=rng.choice(CURRENCIES),
            opened_on=now.date(),
            allow_negative=kind == Kind.LOAN,
            department_id=c.department_id,
            legal_entity_id=c.legal_entity_id,
            created_at=now,
        )
        asset.save(force_insert=True)
        ledger.post(Movement(JournalKind.OPEN, (Leg(asset.pk, EntryKind.OPEN),)), idempotency_key=key, operator_id=None, purpose="test")
        return asset.pk

    def move(self, state: State, key: str, spec: Spec) -> None:
        ledger.post(self.movement(state, spec), idempotency_key=key, operator_id=None, purpose="test")

    def movement(self, state: State, spec: Spec) -> Movement:
        assert spec.a is not None
        m = state.model.assets
        if spec.op in ("deposit", "withdraw"):
            c = self.clearing(state, m[spec.a].currency)
            sign = 1 if spec.op == "deposit" else -1
            kind = EntryKind.DEPOSIT if sign > 0 else EntryKind.WITHDRAW
            return Movement(spec.op, (Leg(spec.a, kind, sign * spec.amount), Leg(c, kind, -sign * spec.amount)))
        if spec.op == "transfer":
            assert spec.b is not None
            legs = (Leg(spec.a, EntryKind.TRANSFER_OUT, -spec.amount), Leg(spec.b, EntryKind.TRANSFER_IN, spec.amount))
            return Movement(JournalKind.TRANSFER, legs)
        if spec.op in ("pledge", "release"):
            delta = spec.amount if spec.op == "pledge" else -spec.amount
            return Movement(spec.op, (Leg(spec.a, EntryKind.PLEDGE if delta > 0 else EntryKind.RELEASE, 0, delta),))
        return Movement(JournalKind.CLOSE, (Leg(spec.a, EntryKind.CLOSE),))


class ServiceExecutor(CoreExecutor):
    def __init__(self, entity_id: uuid.UUID, ctx: Context) -> None:
        super().__init__(entity_id)
        self.ctx = ctx

    def open(self, state: State, key: str, rng: random.Random) -> uuid.UUID:
        c = rng.choice(state.customers)
        kind = Kind.LOAN if rng.random() < 0.15 else Kind.DEPOSIT
        out = services.open_asset(ctx=self.ctx, customer_id=c.pk, kind=kind, currency=rng.choice(CURRENCIES), idempotency_key=key)
        return next(iter(out.assets))

    def move(self, state: State, key: str, spec: Spec) -> None:
        assert spec.a is not None
        ctx, amount = self.ctx, spec.amount
        if spec.op in ("deposit", "withdraw"):
            self.clearing(state, state.model.assets[spec.a].currency)  # the model learns the clearing account
        calls: dict[str, Callable[[], object]] = {
            "deposit": lambda: services.deposit(ctx=ctx, asset_id=spec.a, amount_minor=amount, idempotency_key=key),  # type: ignore[arg-type]
            "withdraw": lambda: services.withdraw(ctx=ctx, asset_id=spec.a, amount_minor=amount, idempotency_key=key),  # type: ignore[arg-type]
            "transfer": lambda: services.transfer(
                ctx=ctx,
                from_asset_id=spec.a,  # type: ignore[arg-type]
                to_asset_id=spec.b,  # type: ignore[arg-type]
                amount_minor=amount,
                idempotency_key=key,
            ),
            "pledge": lambda: services.pledge(ctx=ctx, asset_id=spec.a, amount_minor=amount, idempotency_key=key),  # type: ignore[arg-type]
            "release": lambda: services.release(ctx=ctx, asset_id=spec.a, amount_minor=amount, idempotency_key=key),  # type: ignore[arg-type]
            "close": lambda: services.close_asset(ctx=ctx, asset_id=spec.a, idempotency_key=key),  # type: ignore[arg-type]
        }
        out = calls[spec.op]()
        assert not isinstance(out, services.Submitted), "the random operations stay under the approval threshold"


def _legs(state: State, executor: CoreExecutor, spec: Spec) -> list[tuple[object, int, int, bool]]:
    movement = executor.movement(state, spec)
    return [(leg.asset_id, leg.amount, leg.pledged_delta, leg.kind == EntryKind.CLOSE) for leg in movement.legs]


def _identity(spec: Spec) -> tuple[object, ...]:
    return (spec.op, spec.a, spec.b, spec.amount)


def _pick(rng: random.Random, state: State, step: int, seed: int) -> tuple[str, Spec]:
    op = "open" if len(state.ids) < 2 else rng.choices(OPS, WEIGHTS)[0]
    if op == "retry" and state.history:
        key, spec = rng.choice(state.history)
        if rng.random() < 0.5:  # the same key with a different movement: a conflicting request
            spec = (
                Spec(spec.op, spec.a, spec.b, spec.amount + rng.randint(1, 50)) if spec.op != "close" else Spec("withdraw", spec.a, None, 1)
            )
        return key, spec
    key = f"s{seed}-{step}"
    if op in ("open", "retry"):
        return key, Spec("open")
    a = rng.choice(state.ids)
    if op == "transfer":
        b = rng.choice([i for i in state.ids if i != a])
        return key, Spec(op, a, b, rng.randint(1, 4_000))
    if op == "close":
        return key, Spec(op, a)
    ceiling = {"deposit": 5_000, "withdraw": 6_000, "pledge": 3_000, "release": 3_000}[op]
    return key, Spec(op, a, None, rng.randint(1, ceiling))


def _compare(state: State, ids: list[Any], where: str) -> None:
    rows = Asset.objects.unrestricted(reason=_QS).filter(pk__in=ids).values_list("pk", "balance", "pledged", "version", "status")
    for pk, balance, pledged, version, status in rows:
        m = state.model.assets[pk]
        expected = (m.balance, m.pledged, m.version, "closed" if m.closed else "open")
        assert (balance, pledged, version, status) == expected, (
            f"{where}: asset {pk} is {(balance, pledged, version, status)}, model {expected}"
        )


def run_seed(seed: int, ops: int, executor: CoreExecutor, customers: list[Any]) -> None:
    """Run one seed (a failing seed replays exactly: same operations, same ids, same keys)."""
    rng = random.Random(seed)
    state = State(customers)
    try:
        with transaction.atomic():
            for step in range(ops):
                _step(rng, state, executor, step, seed)
            _final_checks(state, seed)
            raise _Injected  # leave nothing behind for the next seed
    except _Injected:
        pass


def _step(rng: random.Random, state: State, executor: CoreExecutor, step: int, seed: int) -> None:
    where = f"seed {seed} step {step}"
    key, spec = _pick(rng, state, step, seed)
    inject = rng.random() < ROLLBACK_RATE
    if spec.op == "open":
        try:
            with transaction.atomic():
                new = executor.open(state, key, rng)
                if inject:
                    raise _Injected
        except _Injected:
            assert not Asset.objects.unrestricted(reason=_QS).filter(pk=new).exists(), where
            return
        currency, allow = Asset.objects.unrestricted(reason=_QS).filter(pk=new).values_list("currency", "allow_negative").get()
        state.model.assets[new] = ModelAsset(currency, allow, version=1)
        state.model.keys[key] = ("open", new)
        state.model.journals += 1
        state.ids.append(new)
        return
    legs = _legs(state, executor, spec)
    touched = [leg[0] for leg in legs]
    try:
        expected: Any = state.model.expect(key, _identity(spec), legs)
    except Refused as refusal:
        expected = refusal
    try:
        if inject:  # a savepoint only where it is rolled back: the other refusals happen before any write
            with transaction.atomic():
                executor.move(state, key, spec)
                raise _Injected
        executor.move(state, key, spec)
    except _Injected:
        assert not isinstance(expected, Refused), f"{where}: {spec} posted, the model says {expected}"
    except DomainError as error:
        code = error.code
        assert isinstance(expected, Refused), f"{where}: {spec} refused ({code}), the model says it posts"
        assert code == expected.code, f"{where}: {spec} refused as {code}, the model says {expected.code}"
    else:
        assert not isinstance(expected, Refused), f"{where}: {spec} posted, the model says {expected.code}"
        state.model.apply(key, _identity(spec), expected)
        state.history.append((key, spec))
    _compare(state, touched, where)


def _final_checks(state: State, seed: int) -> None:
    ids = list(state.model.assets)
    _compare(state, ids, f"seed {seed} end")
    rebuilt = ledger.rebuild_balances([uuid.UUID(str(i)) for i in ids])
    for pk, m in state.model.assets.items():
        assert rebuilt.get(uuid.UUID(str(pk)), (0, 0, 0)) == (m.balance, m.pledged, m.version), f"seed {seed}: replay of {pk} differs"
    sums = Asset.objects.unrestricted(reason=_QS).values("currency").annotate(total=Sum("balance"))
    assert all(row["total"] == 0 for row in sums), f"seed {seed}: balances do not sum to zero per currency: {list(sums)}"
    assert Journal.objects.count() == state.model.journals, f"seed {seed}: journal count"
