"""The access package of one customer in a large database (issue #15), against a plain primary-key fetch of
the same rows, side by side in one run.

    python -m benchmarks.rights [--size 1000000] [--events-per-customer 10] [--repeat 30] [--pdf-repeat 5]
                                [--database-url postgres://…]

Data. ``--size`` customers (default 1,000,000, the issue's database) with ``--events-per-customer`` audit
events each (default 10: 10M events at the default size), bulk-inserted (``core.bulk.insert``: COPY on
PostgreSQL, ``bulk_create`` elsewhere) in chunks. Filler customers are rows of the real table with random
ciphertext and blind-index bytes of realistic width (they are never read, so they need no key); their events
are realistic rows (reads weighted, actors from the organisation, purposes from the catalogue, spread over a
year). One customer in the middle of the load is rich and real: created like the services create them (sealed
under its own key), with consents given and withdrawn (history), three assets with a funded ledger, 10
follow-ups, a change request, and its own share of audit events among the others.

Measured (medians over ``--repeat``, interleaved with the baseline so drift hits both):

- ``gather``: ``rights.package.gather`` as the customer in the portal — the subject's default-deny querysets,
  the key fetched (warm cache, as within one request), every field and follow-up decrypted, labels from the
  catalogues, the access log by the (customer_id, occurred_at) index, and the ``rights.package_gathered``
  audit event inserted and committed in the same transaction.
- baseline: the same rows fetched plainly by primary key / customer id (``.values()`` of the customer,
  follow-ups, consents and their records, assets, ledger entries, change requests, provenance and the
  customer's audit events, up to the same limit), no decryption, no labels, no transaction, no audit.
  ``ratio_access_package`` = gather ÷ baseline (goal ≤ 20).
- ``gather_cold_key``: gather with the key dropped from the process cache first (key store query + unwrap).
- ``json`` / ``csv_zip`` / ``pdf``: the renderers on the gathered package (``--pdf-repeat`` for the PDF), and
  ``package_total_ms`` = gather + json + pdf medians (goal < 2 s for gather; the PDF is reported apart).
- ``gather_queries``: the SQL statements one gather runs (data + key store); it must not grow with the log.

With no ``--database-url`` the database and key store are fresh SQLite files in a temporary directory.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import time
import uuid
from typing import Any

from benchmarks.harness import Bench, ensure_postgres_databases, setup_django, timed

DEFAULT_SIZE = 1_000_000
CHUNK = 10_000
EVENT_TYPES = (
    ("customer.viewed", 45),
    ("customer.listed", 25),
    ("followup.listed", 10),
    ("customer.updated", 8),
    ("followup.created", 6),
    ("consent.viewed", 4),
    ("asset.viewed", 2),
)
PURPOSES = ("sales_followup", "customer_service", "credit_assessment", "compliance_review", "marketing")


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size", type=int, default=DEFAULT_SIZE, help=f"customers (default {DEFAULT_SIZE})")
    parser.add_argument("--events-per-customer", type=int, default=10, help="audit events per customer (default 10)")
    parser.add_argument("--repeat", type=int, default=30, help="timed repetitions of gather and the baseline (default 30)")
    parser.add_argument("--pdf-repeat", type=int, default=5, help="timed PDF renderings (default 5)")
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL", ""), help="default: a fresh SQLite file")
    args = parser.parse_args()
    if args.size < 1 or args.repeat < 1 or args.pdf_repeat < 1 or args.events_per_customer < 0:
        parser.error("--size, --repeat and --pdf-repeat must be positive")
    return args


def _filler_customers(n: int, entity_id: Any, department_id: Any, owner_id: int, rng: random.Random) -> list[uuid.UUID]:
    """``n`` customer rows of realistic width (random ciphertext and indexes; never read), bulk-inserted."""
    from django.db import transaction

    from clientvault.core import bulk
    from clientvault.customers.models import Customer

    ids: list[uuid.UUID] = []
    now = dt.datetime.now(dt.UTC)
    for start in range(0, n, CHUNK):
        rows = []
        for _ in range(min(CHUNK, n - start)):
            pk = uuid.uuid4()
            ids.append(pk)
            rows.append(
                Customer(
                    id=pk,
                    kind="individual",
                    legal_entity_id=entity_id,
                    department_id=department_id,
                    owner_id=owner_id,
                    status="active",
                    id_type="resident_id",
                    nationality="CN",
                    review_status="approved",
                    name_ct=rng.randbytes(45),
                    id_number_ct=rng.randbytes(58),
                    birth_date_ct=rng.randbytes(50),
                    sex_ct=rng.randbytes(41),
                    mobile_ct=rng.randbytes(51),
                    email_ct=rng.randbytes(60),
                    address_ct=rng.randbytes(90),
                    name_bidx=rng.randbytes(16),
                    id_number_bidx=rng.randbytes(16),
                    mobile_bidx=rng.randbytes(16),
                    email_bidx=rng.randbytes(16),
                    created_at=now,
                    updated_at=now,
                )
            )
        with transaction.atomic():
            bulk.insert(Customer, rows)
    return ids


def _events(customer_ids: list[uuid.UUID], per_customer: int, actors: list[tuple[int, str, str]], rng: random.Random) -> int:
    """``per_customer`` realistic audit events per customer, spread over the last year, bulk-inserted: COPY on
    PostgreSQL (``core.bulk.insert_values``), one prepared multi-row statement per chunk on SQLite (values
    adapted by the fields themselves, as ``bulk_create`` would, without a model instance per row)."""
    from django.db import connection, transaction

    from clientvault.audit.models import AuditEvent
    from clientvault.core import bulk

    kinds = [k for k, w in EVENT_TYPES for _ in range(w)]
    now = dt.datetime.now(dt.UTC)
    names = (
        "event_id", "occurred_at", "actor_id", "actor_username", "role", "purpose", "request_id", "ip", "channel",
        "event_type", "object_type", "object_id", "customer_id", "fields", "outcome", "detail",
    )  # fmt: skip
    meta = AuditEvent._meta
    fields = [next(f for f in meta.concrete_fields if f.attname == n) for n in names]
    quote = connection.ops.quote_name
    sql = f"INSERT INTO {quote(meta.db_table)} ({', '.join(quote(f.column) for f in fields)}) VALUES ({', '.join(['%s'] * len(fields))})"
    total = 0
    batch: list[tuple[Any, ...]] = []

    def flush() -> None:
        with transaction.atomic():
            if connection.vendor == "postgresql":
                bulk.insert_values(AuditEvent, names, batch)
            else:
                prepared = [[f.get_db_prep_save(v, connection) for f, v in zip(fields, row, strict=True)] for row in batch]
                with connection.cursor() as cursor:
                    cursor.executemany(sql, prepared)
        batch.clear()

    for cid in customer_ids:
        for _ in range(per_customer):
            actor_id, username, role = rng.choice(actors)
            event_type = rng.choice(kinds)
            batch.append(
                (
                    uuid.uuid4(),
                    now - dt.timedelta(seconds=rng.randrange(365 * 86400)),
                    actor_id,
                    username,
                    role,
                    rng.choice(PURPOSES),
                    uuid.uuid4().hex,
                    "10.0.0.1",
                    rng.choice(("web", "web", "api")),
                    event_type,
                    "customers.customer",
                    str(cid),
                    cid,
                    ["name", "mobile"] if event_type == "customer.viewed" else [],
                    "success",
                    {},
                )
            )
            total += 1
            if len(batch) >= CHUNK:
                flush()
    if batch:
        flush()
    return total


def _rich_customer(org: Any) -> Any:
    """The customer whose package is built: created, consented, funded, followed up, changed — like the services do."""
    from clientvault.consents import services as consent_services
    from clientvault.customers import profiles
    from clientvault.customers import selectors as customer_selectors
    from clientvault.testing import actors, assets, consents, customers, identifiers

    rep = org["rep_bj1"]
    c = customers.customer(rep, name="张三丰", address="北京市海淀区中关村大街1号", occupation="工程师")
    consents.consent(c, "marketing")
    consent_services.withdraw_consent(ctx=actors.subject_ctx(c), customer_id=c.pk, purpose="marketing", channel="web")
    consents.consent(c, "marketing")
    consents.consent(c, "partner_sharing")
    for i in range(10):
        customers.followup(c, rep, summary=f"第{i + 1}次电话回访：介绍理财产品", occurred_at=dt.datetime(2026, 1, 5 + i, 10, tzinfo=dt.UTC))
    for balance in (1_000_000, 250_000, 12_345):
        a = assets.asset(c, balance=balance, product="定期存款")
        for _ in range(5):
            assets.fund(a, 1_000)
    customer_selectors.get_customer(actors.ctx(rep), c.pk)
    number = identifiers.resident_id(birth=dt.date(1985, 3, 9), sex="M")
    profiles.update_customer(ctx=actors.ctx(rep), customer_id=c.pk, changes={"id_number": number})
    return c


def _baseline(cid: uuid.UUID, limit: int) -> int:
    """The same rows as the package, fetched plainly: by primary key or customer id, values only."""
    from clientvault.approvals.models import ChangeRequest
    from clientvault.assets.models import Asset, LedgerEntry
    from clientvault.audit.models import AuditEvent
    from clientvault.consents.models import Consent, ConsentRecord
    from clientvault.customers.models import Customer, FollowUp
    from clientvault.intake.models import ImportedRecord

    reason = "benchmark baseline: the plain fetch of one customer's rows"
    n = len(list(Customer.objects.unrestricted(reason=reason).filter(pk=cid).values()))
    n += len(list(FollowUp.objects.unrestricted(reason=reason).filter(customer_id=cid).values()))
    n += len(list(Consent.objects.unrestricted(reason=reason).filter(customer_id=cid).values()))
    n += len(list(ConsentRecord.objects.unrestricted(reason=reason).filter(customer_id=cid).values()))
    asset_ids = [a["id"] for a in Asset.objects.unrestricted(reason=reason).filter(customer_id=cid).values()]
    n += len(asset_ids) + len(list(LedgerEntry.objects.filter(asset_id__in=asset_ids).values()))
    n += len(list(ChangeRequest.objects.unrestricted(reason=reason).filter(subject_id=cid).values()))
    n += len(list(ImportedRecord.objects.filter(customer_id=cid).values()))
    n += len(list(AuditEvent.objects.filter(customer_id=cid).order_by("-occurred_at").values()[:limit]))
    return n


def main() -> None:
    args = parse_args()
    database_url = args.database_url
    if database_url.startswith(("postgres://", "postgresql://")):
        ensure_postgres_databases(database_url)
    vendor = setup_django(database_url)

    from django.conf import settings
    from django.core.management import call_command
    from django.db import connections
    from django.test.utils import CaptureQueriesContext

    from clientvault.crypto import keystore
    from clientvault.rights import package
    from clientvault.testing import actors, organisation

    if vendor == "postgresql":
        call_command("flush", database="keys", interactive=False, verbosity=0)
    bench = Bench("rights", size=args.size)
    rng = random.Random(15)
    org = organisation.make_org()
    staff = [(u.pk, u.username, u.role_codes()[0] if u.role_codes() else "") for u in org.users.values() if u.role_codes()]

    started = time.perf_counter()
    half = args.size // 2
    filler = _filler_customers(half, org.entity.pk, org.bj_team1.pk, org["rep_bj1"].pk, rng)
    rich = _rich_customer(org)
    filler += _filler_customers(args.size - half - 1, org.entity.pk, org.bj_team1.pk, org["rep_bj1"].pk, rng)
    events = _events([*filler[: len(filler) // 2], rich.pk, *filler[len(filler) // 2 :]], args.events_per_customer, staff, rng)
    seed_seconds = time.perf_counter() - started
    del filler

    subject = actors.subject_ctx(rich)
    limit = int(settings.CLIENTVAULT_ACCESS_PACKAGE_MAX_EVENTS)
    built = package.gather(subject, rich.pk)
    with CaptureQueriesContext(connections["default"]) as data_q, CaptureQueriesContext(connections["keys"]) as key_q:
        keystore.cache.drop(rich.pk)
        built = package.gather(subject, rich.pk)
    ratio = bench.compare(
        "access_package", subject=lambda: package.gather(subject, rich.pk), baseline=lambda: _baseline(rich.pk, limit), repeat=args.repeat
    )

    def cold() -> None:
        keystore.cache.drop(rich.pk)
        package.gather(subject, rich.pk)

    gather_cold = bench.measure("gather_cold_key", cold, repeat=max(5, args.repeat // 3))
    json_s = bench.measure("json", lambda: package.render_json(built), repeat=args.repeat)
    bench.measure("csv_zip", lambda: package.render_csv_zip(built), repeat=args.repeat)
    cpu = time.process_time()
    pdf_s = bench.measure("pdf", lambda: package.render_pdf(built), repeat=args.pdf_repeat, warmup=1)
    pdf_cpu_s = (time.process_time() - cpu) / (args.pdf_repeat + 1)
    gather_s = bench.results["access_package_median_ms"] / 1000
    bench.note(
        database=vendor,
        customers=args.size,
        audit_events=events,
        seed_seconds=round(seed_seconds, 1),
        gather_median_ms=bench.results["access_package_median_ms"],
        gather_cold_key_ms=round(gather_cold * 1000, 2),
        package_rows=sum(s.count for s in built.sections),
        package_sections=len(built.sections),
        access_log_rows=built.section("access_log").count if built.section("access_log") else 0,  # type: ignore[union-attr]
        pdf_bytes=len(package.render_pdf(built)),
        json_bytes=len(package.render_json(built)),
        gather_queries=len(data_q.captured_queries) + len(key_q.captured_queries),
        pdf_cpu_mean_ms=round(pdf_cpu_s * 1000, 1),  # CPU time of this process: the wall time includes other load
        load_average_1m=round(os.getloadavg()[0], 2),
        package_total_ms=round((gather_s + json_s + pdf_s) * 1000, 1),
        goal_ratio_access_package_max=20,
        goal_gather_seconds_max=2,
        goal_met=bool(ratio <= 20 and gather_s < 2),
        single_gather_s=round(timed(lambda: package.gather(subject, rich.pk)), 4),
    )
    bench.emit()


if __name__ == "__main__":
    main()
