"""The asset ledger under load (issue #13): transfers through the service against plain inserts of the same
rows, 1 and 8 clients, hot accounts, and the balance read at 1M entries.

    python -m benchmarks.ledger [--size 300] [--entries 1000000] [--database-url postgres://…]

- ``transfers_per_s_1`` / ``transfers_per_s_8``: ``assets.services.transfer`` as the sales rep who owns the
  customers (a fresh request context per call: grant and sight checks, sorted row locks, idempotency key,
  the approval rules — every amount is under the threshold —, entries, journal, the database's triggers,
  two ``asset.moved`` audit events, alerts), between random pairs of 40 accounts; 8 clients are 8
  processes on PostgreSQL (2 cores: the GIL would serialise threads) and 8 threads on SQLite (one writer).
- ``plain_inserts_per_s_1`` / ``_8``: the same rows (two entries and a journal per transfer) inserted with
  plain SQL into tables of the same columns without triggers, constraints or checks, one transaction each,
  in the same run; ``ratio_service_vs_plain_insert_1`` / ``_8`` = plain rate / service rate (how many times
  slower the protected path is).
- ``hot_*``: 8 clients transferring at random among 10 accounts; ``hot_deadlocks`` counts deadlocks reported
  by the database (the sorted lock order should leave none) and ``hot_retries`` every retried attempt
  (deadlocks, and SQLite's "database is locked").
- ``balance_read_ms``: one asset with ``--entries`` ledger entries (bulk-loaded with the triggers off, the
  chain consistent), its balance read from the asset row (O(1): the entries are not touched), median of 200.

The issue's goals on PostgreSQL (≥ 1,000 transfers/s with 1 client, ≥ 2,000 with 8, 0 deadlocks, balance read
< 2 ms) are reported next to the figures; nothing is tuned to them.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import random
import statistics
import threading
import time
import uuid
from collections.abc import Callable
from functools import partial
from typing import Any

from benchmarks.harness import Bench, ensure_postgres_databases, setup_django, timed

ACCOUNTS, HOT_ACCOUNTS, CLIENTS = 40, 10, 8
_PLAIN_DDL = (
    "CREATE TABLE IF NOT EXISTS bench_plain_entry (id {serial} PRIMARY KEY, journal_id char(36), asset_id char(36), seq bigint, "
    "kind varchar(20), amount bigint, pledged_delta bigint, balance_before bigint, balance_after bigint, pledged_before bigint, "
    "pledged_after bigint, currency varchar(3), operator_id bigint, purpose varchar(64), created_at timestamp)",
    "CREATE TABLE IF NOT EXISTS bench_plain_journal (id char(36) PRIMARY KEY, kind varchar(20), idempotency_key varchar(100), "
    "fingerprint varchar(64), operator_id bigint, purpose varchar(64), entry_count int, created_at timestamp)",
)


def _retrying(fn: Callable[[], Any], counters: dict[str, int]) -> None:
    from django.db import DatabaseError

    for _ in range(200):
        try:
            fn()
            return
        except DatabaseError as exc:
            text = str(exc).lower()
            if "deadlock" in text:
                counters["deadlocks"] += 1
            elif "locked" not in text and "could not serialize" not in text:
                raise
            counters["retries"] += 1
            time.sleep(0.002)
    raise RuntimeError("gave up after 200 retries")


def _transfer_loop(rep_id: int, ids: list[str], n: int, seed: int, prefix: str) -> dict[str, int]:
    from django.db import connection

    from clientvault.accounts.models import User
    from clientvault.assets import services

    rep = User.objects.get(pk=rep_id)
    rng = random.Random(seed)
    counters = {"deadlocks": 0, "retries": 0, "done": 0}
    for i in range(n):
        a, b = rng.sample(ids, 2)
        key = f"{prefix}-{seed}-{i}"
        move = partial(
            services.transfer, from_asset_id=uuid.UUID(a), to_asset_id=uuid.UUID(b), amount_minor=rng.randint(1, 100), idempotency_key=key
        )
        _retrying(partial(_call_with_ctx, move, rep), counters)
        counters["done"] += 1
    connection.close()
    return counters


def _call_with_ctx(move: Callable[..., Any], rep: Any) -> None:
    from clientvault.testing import actors

    move(ctx=actors.ctx(rep))  # a fresh request context per transfer, as a web or API request would have


def _plain_loop(ids: list[str], n: int, seed: int, prefix: str) -> dict[str, int]:
    from django.db import connection, transaction

    rng = random.Random(seed)
    now = time.strftime("%Y-%m-%d %H:%M:%S")
    for i in range(n):
        a, b = rng.sample(ids, 2)
        amount = rng.randint(1, 100)
        jid = str(uuid.uuid4())
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.executemany(
                "INSERT INTO bench_plain_entry (journal_id, asset_id, seq, kind, amount, pledged_delta, balance_before, balance_after, "
                "pledged_before, pledged_after, currency, operator_id, purpose, created_at) VALUES (%s, %s, %s, %s, %s, 0, %s, %s, 0, 0, "
                "'CNY', 1, 'sales_followup', %s)",
                [(jid, a, i, "transfer_out", -amount, 0, -amount, now), (jid, b, i, "transfer_in", amount, 0, amount, now)],
            )
            cursor.execute(
                "INSERT INTO bench_plain_journal VALUES (%s, 'transfer', %s, 'x', 1, 'sales_followup', 2, %s)",
                [jid, f"{prefix}-{seed}-{i}", now],
            )
    connection.close()
    return {"deadlocks": 0, "retries": 0, "done": n}


def _child(queue: Any, target: Callable[..., dict[str, int]], args: tuple[Any, ...]) -> None:
    queue.put(target(*args))


def _run_clients(
    postgres: bool, clients: int, target: Callable[..., dict[str, int]], args_of: Callable[[int], tuple[Any, ...]]
) -> tuple[float, dict[str, int]]:
    """Run ``clients`` copies of ``target`` at once (processes on PostgreSQL, threads on SQLite); seconds and summed counters."""
    from django.db import connections

    totals = {"deadlocks": 0, "retries": 0, "done": 0}
    if clients == 1:
        started = time.perf_counter()
        out = target(*args_of(0))
        elapsed = time.perf_counter() - started
        return elapsed, out
    if postgres:
        connections.close_all()
        mp = multiprocessing.get_context("fork")
        queue = mp.Queue()
        procs = [mp.Process(target=_child, args=(queue, target, args_of(i))) for i in range(clients)]
        started = time.perf_counter()
        for p in procs:
            p.start()
        results = [queue.get(timeout=900) for _ in procs]
        for p in procs:
            p.join()
        elapsed = time.perf_counter() - started
    else:
        results = []
        lock = threading.Lock()

        def run(i: int) -> None:
            out = target(*args_of(i))
            with lock:
                results.append(out)

        threads = [threading.Thread(target=run, args=(i,)) for i in range(clients)]
        started = time.perf_counter()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        elapsed = time.perf_counter() - started
        assert len(results) == clients, "a client thread failed"
    for r in results:
        for k in totals:
            totals[k] += r[k]
    return elapsed, totals


def _args_transfer(rep_id: int, ids: list[str], n: int, prefix: str, i: int) -> tuple[Any, ...]:
    return (rep_id, ids, n, 100 * len(prefix) + i, prefix)


def _args_plain(ids: list[str], n: int, prefix: str, i: int) -> tuple[Any, ...]:
    return (ids, n, i, prefix)


def _bulk_entries(asset_id: uuid.UUID, n: int, postgres: bool) -> None:
    """``n`` entries (+1 each) and their journals for one asset, the chain consistent, loaded with the triggers off."""
    from django.db import connection, transaction

    from clientvault.assets import triggers

    hexid = asset_id.hex if not postgres else str(asset_id)
    with transaction.atomic(), connection.cursor() as cursor:
        if postgres:
            cursor.execute("SET LOCAL session_replication_role = replica")  # the benchmark's superuser: triggers off
            cursor.execute(
                "INSERT INTO assets_journal (id, kind, idempotency_key, fingerprint, purpose, entry_count, created_at) "
                "SELECT md5('j' || g)::uuid, 'deposit', 'bulk-' || g, 'x', 'bench', 1, now() FROM generate_series(1, %s) g",
                [n],
            )
            cursor.execute(
                "INSERT INTO assets_ledgerentry (journal_id, asset_id, seq, kind, amount, pledged_delta, balance_before, balance_after, "
                "pledged_before, pledged_after, currency, purpose, created_at) SELECT md5('j' || g)::uuid, %s, g + 1, 'deposit', 1, 0, "
                "g - 1, g, 0, 0, 'CNY', 'bench', now() FROM generate_series(1, %s) g",
                [hexid, n],
            )
            cursor.execute("UPDATE assets_asset SET balance = %s, version = %s WHERE id = %s", [n - 1 + 1, n + 1, hexid])
        else:
            for statement in triggers.sqlite_drop_statements():
                cursor.execute(statement)
            cursor.execute(
                "WITH RECURSIVE g(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM g WHERE x < %s) "
                "INSERT INTO assets_journal (id, kind, idempotency_key, fingerprint, purpose, entry_count, created_at) "
                "SELECT printf('%%032x', x), 'deposit', 'bulk-' || x, 'x', 'bench', 1, datetime('now') FROM g",
                [n],
            )
            cursor.execute(
                "WITH RECURSIVE g(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM g WHERE x < %s) "
                "INSERT INTO assets_ledgerentry (journal_id, asset_id, seq, kind, amount, pledged_delta, balance_before, balance_after, "
                "pledged_before, pledged_after, currency, purpose, created_at) SELECT printf('%%032x', x), %s, x + 1, 'deposit', 1, 0, "
                "x - 1, x, 0, 0, 'CNY', 'bench', datetime('now') FROM g",
                [n, hexid],
            )
            cursor.execute("UPDATE assets_asset SET balance = %s, version = %s WHERE id = %s", [n, n + 1, hexid])
            for statement in triggers.sqlite_statements():
                cursor.execute(statement)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--size", type=int, default=300, help="transfers per measurement (default 300)")
    parser.add_argument("--entries", type=int, default=1_000_000, help="ledger entries behind the balance read (default 1,000,000)")
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL", ""), help="default: a fresh SQLite file")
    args = parser.parse_args()
    entries = args.entries
    postgres = args.database_url.startswith(("postgres://", "postgresql://"))
    if postgres:
        ensure_postgres_databases(args.database_url)
    setup_django(args.database_url)

    from django.core.management import call_command
    from django.db import connection

    from clientvault.assets import ledger
    from clientvault.assets.models import Asset
    from clientvault.testing import assets as A
    from clientvault.testing import customers, organisation

    if postgres:
        call_command("flush", database="keys", interactive=False, verbosity=0)
    organisation.ensure_roles()
    bench = Bench("ledger", size=args.size)
    org = organisation.make_org()
    rep = org["rep_bj1"]
    owners = [customers.customer(rep) for _ in range(ACCOUNTS)]
    ids = [str(A.asset(c, balance=10**12).pk) for c in owners]
    hot = ids[:HOT_ACCOUNTS]
    with connection.cursor() as cursor:
        for ddl in _PLAIN_DDL:
            cursor.execute(ddl.format(serial="bigserial" if postgres else "integer"))
    n = args.size

    # Warm-up (imports, caches, the policy engine), untimed.
    _transfer_loop(rep.pk, ids, 20, 999, "warm")
    _plain_loop(ids, 20, 999, "warm")

    for clients in (1, CLIENTS):
        per = max(1, n // clients)
        t_service, c_service = _run_clients(postgres, clients, _transfer_loop, partial(_args_transfer, rep.pk, ids, per, f"s{clients}"))
        t_plain, c_plain = _run_clients(postgres, clients, _plain_loop, partial(_args_plain, ids, per, f"p{clients}"))
        service_rate, plain_rate = c_service["done"] / t_service, c_plain["done"] / t_plain
        bench.note(
            **{
                f"transfers_per_s_{clients}": round(service_rate, 1),
                f"plain_inserts_per_s_{clients}": round(plain_rate, 1),
                f"ratio_service_vs_plain_insert_{clients}": round(plain_rate / service_rate, 2),
                f"deadlocks_{clients}": c_service["deadlocks"],
            }
        )

    per = max(1, n // CLIENTS)
    t_hot, c_hot = _run_clients(postgres, CLIENTS, _transfer_loop, partial(_args_transfer, rep.pk, hot, per, "hot"))
    bench.note(hot_transfers_per_s=round(c_hot["done"] / t_hot, 1), hot_deadlocks=c_hot["deadlocks"], hot_retries=c_hot["retries"])
    connection.close()
    running = {x.pk: (x.balance, x.pledged, x.version) for x in Asset.objects.unrestricted(reason="benchmark check").filter(pk__in=ids)}
    bench.note(rebuild_equals_running=ledger.rebuild_balances(list(running)) == running)

    # Balance read at --entries entries: the asset row holds the running balance (O(1)).
    big = A.asset(customers.customer(rep))
    started = time.perf_counter()
    _bulk_entries(big.pk, entries, postgres)
    load_s = time.perf_counter() - started
    qs = Asset.objects.unrestricted(reason="benchmark: the balance read")
    assert qs.filter(pk=big.pk).values_list("version", flat=True).get() == entries + 1
    samples = [timed(lambda: qs.filter(pk=big.pk).values_list("balance", flat=True).get()) for _ in range(200)]
    bench.note(
        entries=entries,
        bulk_load_s=round(load_s, 1),
        balance_read_ms=round(statistics.median(samples) * 1000, 3),
        database="postgresql" if postgres else "sqlite",
        goal_transfers_per_s_1=1000,
        goal_transfers_per_s_8=2000,
        goal_balance_read_ms=2,
    )
    bench.emit()


if __name__ == "__main__":
    main()
