"""The on-entry duplicate check (issue #14, customers/matching.py ``check``) against a plain indexed primary-key
fetch, in one run, on N customers sealed as the services seal them (real Tink ciphertext, blind indexes and
match keys, keys created in batches) from Faker zh_CN with a share of near-duplicates.

    python -m benchmarks.entry_check [--size 100000] [--database-url postgres://…] [--probes 600]

Probes: a third exact hits (a stored ID number: blocking), a third near-duplicates (a stored name and birth
date under another mobile, or a homophone name), a third misses (fresh Faker people). Reports p50/p95/p99 of
``check`` overall and per probe kind, the baseline's, and ``ratio_check_vs_pk_fetch`` (p50 over p50).
Goal (issue #14): p95 < 50 ms at 1M customers on PostgreSQL.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import statistics
import time
from typing import Any

from benchmarks.harness import Bench, ensure_postgres_databases, setup_django


def _args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--size", type=int, default=20000, help="customers seeded (default 20000)")
    parser.add_argument("--probes", type=int, default=600, help="timed checks (default 600)")
    parser.add_argument("--chunk", type=int, default=5000, help="customers per seeding transaction")
    parser.add_argument("--near-share", type=float, default=0.05, help="share of seeded near-duplicates (default 0.05)")
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL", ""), help="default: a fresh SQLite file")
    return parser.parse_args()


def _percentiles(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    q = statistics.quantiles(ordered, n=100, method="inclusive")
    return {"p50": round(statistics.median(ordered) * 1000, 3), "p95": round(q[94] * 1000, 3), "p99": round(q[98] * 1000, 3)}


def _person(fake: Any, rng: random.Random) -> dict[str, Any]:
    born = dt.date(1950, 1, 1) + dt.timedelta(days=rng.randrange(0, 365 * 55))
    number = fake.ssn(min_age=18, max_age=90)
    return {
        "name": fake.name(),
        "id_type": "resident_id",
        "id_number": number,
        "birth_date": born,
        "mobile": fake.phone_number(),
        "email": fake.email(),
    }


def _seed(size: int, chunk: int, near_share: float, rng: random.Random) -> tuple[list[dict[str, Any]], Any, float]:
    from django.db import transaction
    from faker import Faker

    from clientvault.crypto import keystore
    from clientvault.customers import matching, vault
    from clientvault.customers.choices import Kind, ReviewStatus, Status
    from clientvault.customers.models import Customer
    from clientvault.testing.organisation import make_org

    fake = Faker("zh_CN")
    fake.seed_instance(14)
    org = make_org()
    owners = [org["rep_bj1"], org["rep_bj2"], org["rep_sh"]]
    people: list[dict[str, Any]] = []
    started = time.perf_counter()
    for start in range(0, size, chunk):
        batch: list[tuple[Customer, dict[str, Any]]] = []
        for _ in range(min(chunk, size - start)):
            values = _person(fake, rng)
            if people and rng.random() < near_share:  # a near-duplicate of someone already stored
                twin = rng.choice(people)
                values.update(name=twin["name"], birth_date=twin["birth_date"])
            owner = rng.choice(owners)
            c = Customer(
                kind=Kind.INDIVIDUAL, owner=owner, department=owner.department, legal_entity_id=org.entity.pk,
                status=Status.ACTIVE, review_status=ReviewStatus.APPROVED, id_type="resident_id",
            )  # fmt: skip
            batch.append((c, values))
        with transaction.atomic():
            keystore.create_customer_keys([c.pk for c, _v in batch])
            keystore.prefetch([c.pk for c, _v in batch], doomed=set())
            for c, values in batch:
                vault.seal(c, {k: v for k, v in values.items() if k != "id_type"}, ensure_key=False)
            Customer.objects.bulk_create([c for c, _v in batch], batch_size=1000)
            matching.write_keys([c for c, _v in batch], {c.pk: v for c, v in batch}, batch_size=5000)
        for c, values in batch:
            people.append({**values, "pk": c.pk})
    return people, org, time.perf_counter() - started


def main() -> None:
    args = _args()
    if args.database_url.startswith(("postgres://", "postgresql://")):
        ensure_postgres_databases(args.database_url)
    engine = setup_django(args.database_url)

    from django.db import connection
    from faker import Faker

    from clientvault.customers import matching
    from clientvault.customers.choices import Kind
    from clientvault.customers.models import Customer, MatchKey

    rng = random.Random(14)
    people, org, seed_seconds = _seed(args.size, args.chunk, args.near_share, rng)
    if engine == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    fresh = Faker("zh_CN")
    fresh.seed_instance(4114)
    probes: list[tuple[str, dict[str, Any]]] = []
    for i in range(args.probes):
        if i % 3 == 0:
            p = rng.choice(people)
            probes.append(("hit", {"name": p["name"], "id_type": "resident_id", "id_number": p["id_number"]}))
        elif i % 3 == 1:
            p = rng.choice(people)
            probes.append(("near", {"name": p["name"], "birth_date": p["birth_date"], "mobile": fresh.phone_number()}))
        else:
            probes.append(("miss", _person(fresh, rng)))
    raw = Customer.objects.unrestricted(reason="benchmark baseline: a plain primary-key fetch")
    pks = [p["pk"] for p in people]
    entity = org.entity.pk

    def check(values: dict[str, Any]) -> matching.MatchReport:
        return matching.check(legal_entity_id=entity, kind=Kind.INDIVIDUAL, values=values)

    for _kind, values in probes[:20]:  # warm-up
        check(values)
        raw.filter(pk=rng.choice(pks)).values_list("pk", "version").first()
    samples: dict[str, list[float]] = {"hit": [], "near": [], "miss": []}
    baseline: list[float] = []
    found = {"hit": 0, "near": 0, "miss": 0}
    for i, (kind, values) in enumerate(probes):
        target = rng.choice(pks)
        order = ("check", "pk") if i % 2 == 0 else ("pk", "check")
        for what in order:
            t0 = time.perf_counter()
            if what == "check":
                report = check(values)
                samples[kind].append(time.perf_counter() - t0)
                found[kind] += bool(report)
            else:
                raw.filter(pk=target).values_list("pk", "version").first()
                baseline.append(time.perf_counter() - t0)
    every = [s for v in samples.values() for s in v]
    overall, base = _percentiles(every), _percentiles(baseline)
    bench = Bench("entry_check", size=args.size)
    bench.note(
        database=engine,
        seed_seconds=round(seed_seconds, 1),
        seed_customers_per_second=round(args.size / seed_seconds),
        match_keys=MatchKey.objects.unrestricted(reason="benchmark: count the keys").count(),
        probes=len(every),
        check_p50_ms=overall["p50"],
        check_p95_ms=overall["p95"],
        check_p99_ms=overall["p99"],
        **{f"check_{k}_p95_ms": _percentiles(v)["p95"] for k, v in samples.items()},
        **{f"found_{k}_share": round(found[k] / max(1, len(samples[k])), 3) for k in samples},
        pk_fetch_p50_ms=base["p50"],
        pk_fetch_p95_ms=base["p95"],
        ratio_check_vs_pk_fetch=round(overall["p50"] / base["p50"], 2) if base["p50"] else None,
        ratio_check_p95_vs_pk_fetch_p95=round(overall["p95"] / base["p95"], 2) if base["p95"] else None,
    )
    bench.emit()


if __name__ == "__main__":
    main()
