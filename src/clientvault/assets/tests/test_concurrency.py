"""Concurrent postings on PostgreSQL (real row locks; SQLite serialises writers): transfers in both directions
between the same accounts never deadlock (locks in sorted id order) and leave the right balances; the same
request sent twice at once is applied once (issue #13)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection

from clientvault.assets import ledger, services
from clientvault.assets.models import Asset, Journal
from clientvault.testing import assets as A
from clientvault.testing.actors import ctx
from clientvault.testing.customers import customer
from clientvault.testing.organisation import make_org

pytestmark = [
    pytest.mark.django_db(transaction=True),
]


def _threads(n: int, work: Callable[[int], None]) -> list[str]:
    barrier = threading.Barrier(n)
    errors: list[str] = []

    def run(i: int) -> None:
        try:
            barrier.wait(timeout=30)
            work(i)
        except BaseException as exc:  # surfaced by the caller
            errors.append(repr(exc))
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=300)
    return errors


def _postgres() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("row-lock concurrency is tested on PostgreSQL (SQLite serialises writers)")


def test_transfers_both_ways_between_the_same_accounts_do_not_deadlock() -> None:
    _postgres()
    org = make_org()
    rep = org["rep_bj1"]
    c1, c2 = customer(rep), customer(rep)
    a, b = A.asset(c1, balance=1_000_000), A.asset(c2, balance=1_000_000)
    rounds = 40

    def work(i: int) -> None:
        src, dst = (a, b) if i % 2 == 0 else (b, a)
        for r in range(rounds):
            services.transfer(ctx=ctx(rep), from_asset_id=src.pk, to_asset_id=dst.pk, amount_minor=100 + i, idempotency_key=f"c{i}-{r}")

    errors = _threads(6, work)
    assert errors == []
    # Threads 0, 2, 4 move a → b (100, 102, 104 each round), threads 1, 3, 5 move b → a (101, 103, 105).
    delta = rounds * ((100 + 102 + 104) - (101 + 103 + 105))
    assert (A.reload(a).balance, A.reload(b).balance) == (1_000_000 - delta, 1_000_000 + delta)
    assert A.reload(a).version == a.version + 6 * rounds
    running = {x.pk: (x.balance, x.pledged, x.version) for x in Asset.objects.unrestricted(reason="test").filter(pk__in=[a.pk, b.pk])}
    assert ledger.rebuild_balances([a.pk, b.pk]) == running


def test_the_same_request_sent_twice_at_once_is_applied_once() -> None:
    _postgres()
    org = make_org()
    rep = org["rep_bj1"]
    a, b = A.asset(customer(rep), balance=10_000), A.asset(customer(rep))
    outcomes: list[Any] = []

    def work(i: int) -> None:
        outcomes.append(services.transfer(ctx=ctx(rep), from_asset_id=a.pk, to_asset_id=b.pk, amount_minor=700, idempotency_key="once"))

    assert _threads(4, work) == []
    assert sorted(o.replayed for o in outcomes) == [False, True, True, True]
    assert Journal.objects.filter(idempotency_key="once").count() == 1
    assert (A.reload(a).balance, A.reload(b).balance) == (9_300, 700)
