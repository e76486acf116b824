"""The customer detail read through the JSON API with the full protection path, against a baseline that
serves the same row without protection, side by side in one run (issue #3; goal: median ratio ≤ 1.25).

    python -m benchmarks.read_path [--size 200] [--repeat 30] [--database-url postgres://…]

Both paths are real HTTP requests made with Django's test ``Client``, so both pass the full middleware
stack (request id, session, language, CSRF, authentication, OTP, actor context, MFA gate, messages,
clickjacking, CSP, htmx, axes), URL resolution, django-ninja (path parsing, bearer auth, response
validation, JSON rendering) and the same ``Authorization: Bearer cvt_…`` personal API token.

Full path — ``GET /api/v1/customers/{id}``, the product as shipped:
  token lookup by digest (bringing the actor's roles and the catalogue freshness stamps in the same
  row), the token's purpose checked against the policy engine, ``Customer.objects.visible_to`` (policy
  scope filter; the row also says whether its key's destruction was requested), the disclosure plan
  (``access.plan``: plain / masked / withheld per field from policies, actor, catalogue and consent
  state), the per-customer data key fetched from the separate ``keys`` database and unwrapped, AEAD
  decryption of exactly the fields the plan shows, masking, and one ``customer.viewed`` audit event
  (recording the plan) inserted and committed in the same transaction as the read.

Baseline — ``GET /api/bench-baseline/customers/{id}``, which exists only in this module's URLconf
(``ROOT_URLCONF`` is overridden for the run; the product has no switch that turns protection off):
  the same token lookup by digest (``accounts.services.live_token``) through a ninja ``HttpBearer``,
  then the same ``Customer`` row by primary key with the same ``select_related("owner", "department",
  "legal_entity")`` and ``prefetch_related("tags")``, serialised by the product's own
  ``CustomerOut.from_model`` into the same JSON shape (every field reported as "plain"). The personal
  values come from plaintext the benchmark kept in memory when it created the rows: they stand in for
  the plaintext columns an unprotected system would read in the same row fetch.
  It skips, and only these: loading the actor's roles and checking the purpose (policy engine and its
  catalogue freshness stamps), the scope filter in the query, the transaction, fetching and unwrapping
  the customer's key, decrypting the fields, the masking decisions, and the audit insert.

Why the comparison is fair: the request, middleware, routing, framework, authentication lookup, row
fetch and serialisation are the same code for both, so the difference is the cost of protection alone.
Requests alternate (full, baseline; then baseline, full) over different customers so drift and caches
hit both equally. The customer's key is dropped from the process's key cache before every full-path
request (untimed), so each timed full read includes a key-store query and an unwrap — the case of a
detail page opened without a list page before it. ``detail_warm_key`` repeats the rep's comparison
with the key already cached (within ``CLIENTVAULT_KEY_CACHE_SECONDS``), as after a list page.

Variants: ``detail`` (the sales rep who owns the customers: C2 in clear), ``detail_manager`` (their sales
manager: department subtree, C2 masked), ``detail_warm_key`` (the rep, key cached). Each reads
max(--size, --repeat) customers, one per iteration, after a short warm-up, and reports medians, p95 and
``ratio_<variant>_median`` / ``ratio_<variant>_p95`` (full / baseline). The issue's goal is reported
(``goal_ratio_detail_median_max``) but nothing is tuned to it.

Also reports the queries of ``GET /api/v1/customers?per_page=N`` for N = 10, 25 and 100 (data and key
store, key cache cold), which must not grow with page size (``list_queries_constant``), and the query
counts of one detail read on each path.

With no ``--database-url`` the data and the key store are fresh SQLite files in a temporary directory.
With a PostgreSQL URL the database and its ``<name>_keys`` key store are created if missing and emptied
first (the harness flushes the data database; this benchmark flushes the key store and restores the
roles, purposes, policies and catalogue that migrations seed and a flush removes).
"""

from __future__ import annotations

import os
import random
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from functools import partial
from typing import Any

from benchmarks.harness import Bench, ensure_postgres_databases, parse_args, setup_django, timed

URLCONF = "benchmarks.read_path"
BASELINE_PREFIX = "api/bench-baseline/"
FULL_URL = "/api/v1/customers/{}"
BASELINE_URL = "/" + BASELINE_PREFIX + "customers/{}"
LIST_URL = "/api/v1/customers?per_page={}"
LIST_SIZES = (10, 25, 100)
GOAL_RATIO_DETAIL_MEDIAN = 1.25
WARMUP = 10

# This module is the benchmark's URLconf: main() fills urlpatterns (after django.setup()) with the
# baseline path followed by every real pattern of clientvault.urls.
urlpatterns: list[Any] = []
# Customer id -> plaintext of every encrypted field, kept when the rows were created (baseline only).
PLAINTEXT: dict[uuid.UUID, dict[str, Any]] = {}


def _fresh_sqlite_url() -> str:
    """A fresh data database and, beside it, a fresh key store (not the shared var/keys.sqlite3)."""
    directory = tempfile.mkdtemp(prefix="cvbench-")
    os.environ.setdefault("CLIENTVAULT_KEYS_DATABASE_URL", f"sqlite:///{directory}/keys.sqlite3")
    return f"sqlite:///{directory}/bench.sqlite3"


def _install_urlpatterns() -> None:
    """The real URLconf plus one baseline endpoint on a benchmark-only ninja API."""
    from django.http import Http404, HttpRequest
    from django.urls import path
    from ninja import NinjaAPI
    from ninja.security import HttpBearer

    from clientvault import urls as real_urls
    from clientvault.access.policies import Decision, FieldView
    from clientvault.accounts.models import User
    from clientvault.accounts.services import live_token
    from clientvault.customers import disclosure
    from clientvault.customers.models import Customer

    RAW = "benchmark baseline: the raw query without the policy layer"
    raw = Customer.objects.unrestricted(reason=RAW)
    from clientvault.customers.schemas import CustomerOut

    class DigestLookup(HttpBearer):
        """The same token lookup by digest as the product's TokenAuth, without roles or purpose."""

        def authenticate(self, request: HttpRequest, token: str) -> User | None:
            found = live_token(token)
            return found.user if found is not None else None

    baseline = NinjaAPI(
        title="read_path baseline", version="bench", urls_namespace="bench-baseline", auth=DigestLookup(), docs_url=None, openapi_url=None
    )
    plain = FieldView(Decision.PLAIN)

    @baseline.get("/customers/{customer_id}", response=CustomerOut)
    def baseline_detail(request: HttpRequest, customer_id: uuid.UUID) -> CustomerOut:
        qs = raw.select_related("owner", "department", "legal_entity").prefetch_related("tags")
        customer = qs.filter(pk=customer_id).first()
        if customer is None:
            raise Http404()
        values = PLAINTEXT[customer.pk]
        for name, value in values.items():
            setattr(customer, name, value)
        views = dict.fromkeys(disclosure.DISCLOSED, plain)
        views.update(dict.fromkeys((disclosure.CUSTOM_PREFIX + k for k in values["custom_data"]), plain))
        views[disclosure.TAGS] = plain  # tags are decided like a field; the baseline shows their names
        customer.shown_tags = [t.name for t in customer.tags.all()]  # type: ignore[attr-defined]
        customer.field_views = views  # type: ignore[attr-defined]
        return CustomerOut.from_model(customer)

    urlpatterns[:] = [path(BASELINE_PREFIX, baseline.urls), *real_urls.urlpatterns]


def _p95(samples: list[float]) -> float:
    return statistics.quantiles(samples, n=20, method="inclusive")[-1]


def main() -> None:
    args = parse_args(__doc__ or "", default_size=200)
    database_url = args.database_url or _fresh_sqlite_url()
    postgres = database_url.startswith(("postgres://", "postgresql://"))
    if postgres:
        ensure_postgres_databases(database_url)
    setup_django(database_url)
    sys.modules.setdefault(URLCONF, sys.modules[__name__])  # run as __main__: let Django import this module by name

    from django.core.management import call_command
    from django.db import connections
    from django.test import Client, override_settings
    from django.test.utils import CaptureQueriesContext

    from clientvault.accounts.services import create_api_token
    from clientvault.core import clock
    from clientvault.core.context import system_context
    from clientvault.crypto import keystore
    from clientvault.customers import custom_fields, rules, vault
    from clientvault.customers.models import Tag
    from clientvault.demo import seeding
    from clientvault.testing import actors, customers, organisation

    if postgres:
        call_command("flush", database="keys", interactive=False, verbosity=0)
    organisation.ensure_roles()  # a flushed database lost what the migrations seeded
    _install_urlpatterns()

    # --- Seed: the demo organisation, realistic customers all owned by one sales rep ---------------
    started = time.perf_counter()
    users = seeding.build_organisation(system_context(channel="cli"))
    rep, manager = users["rep_bj1"], users["manager_bj"]
    definitions = custom_fields.field_definitions()
    today = clock.today()
    tags: dict[str, Tag] = {}
    ids: list[uuid.UUID] = []
    for row in seeding.customer_rows(args.size, users):
        cleaned, errors = rules.clean_customer(row.data, kind=row.kind, today=today)
        custom, custom_errors = rules.clean_custom_values(row.custom, definitions, kind=row.kind)
        assert not errors and not custom_errors, (errors, custom_errors)
        customer = customers.customer(rep, kind=row.kind, custom_data=custom, **cleaned)
        for name in row.tags:
            if name not in tags:
                tags[name] = Tag.objects.get_or_create(name=name)[0]
        customer.tags.set([tags[name] for name in row.tags])
        PLAINTEXT[customer.pk] = {f: getattr(customer, f) for f in vault.ENCRYPTED_FIELDS}
        ids.append(customer.pk)
    seed_seconds = time.perf_counter() - started
    random.Random(2026).shuffle(ids)

    rep_token = create_api_token(ctx=actors.ctx(rep), name="read_path bench", purposes=["sales_followup"])[1]
    manager_token = create_api_token(ctx=actors.ctx(manager), name="read_path bench", purposes=["sales_followup"])[1]
    rep_client = Client(headers={"authorization": f"Bearer {rep_token}"})
    manager_client = Client(headers={"authorization": f"Bearer {manager_token}"})

    def get(client: Client, url: str) -> dict[str, Any]:
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code, response.content[:300])
        body: dict[str, Any] = response.json()
        return body

    def drop_key(cid: uuid.UUID) -> None:
        keystore.cache.drop(cid)

    def load_key(cid: uuid.UUID) -> None:
        keystore.prefetch([cid])

    def check_same_shape(client: Client, cid: uuid.UUID, *, same_values: bool) -> None:
        full, base = get(client, FULL_URL.format(cid)), get(client, BASELINE_URL.format(cid))
        assert full.keys() == base.keys() and full["fields"].keys() == base["fields"].keys(), "baseline must serve the same JSON shape"
        if same_values:  # whatever the policy shows in clear must equal the kept plaintext
            clear = [f for f, v in full["fields"].items() if v["decision"] == "plain" and not f.startswith("custom.")]
            assert {f: full[f] for f in clear} == {f: base[f] for f in clear}, "full path and baseline disagree"

    bench = Bench("read_path", size=args.size)
    iterations = max(args.size, args.repeat)

    def compare(label: str, client: Client, before_full: Callable[[uuid.UUID], None]) -> None:
        """Alternate full path and baseline (order flipped every iteration) over different customers."""
        for i in range(min(WARMUP, len(ids))):
            before_full(ids[i])
            get(client, FULL_URL.format(ids[i]))
            get(client, BASELINE_URL.format(ids[i]))
        full_s: list[float] = []
        base_s: list[float] = []
        for i in range(iterations):
            cid = ids[i % len(ids)]
            full, base = partial(get, client, FULL_URL.format(cid)), partial(get, client, BASELINE_URL.format(cid))
            before_full(cid)
            if i % 2 == 0:
                full_s.append(timed(full))
                base_s.append(timed(base))
            else:
                base_s.append(timed(base))
                full_s.append(timed(full))
        f_med, b_med, f_p95, b_p95 = statistics.median(full_s), statistics.median(base_s), _p95(full_s), _p95(base_s)
        bench.note(**{
            f"{label}_median_ms": round(f_med * 1000, 4),
            f"{label}_baseline_median_ms": round(b_med * 1000, 4),
            f"{label}_p95_ms": round(f_p95 * 1000, 4),
            f"{label}_baseline_p95_ms": round(b_p95 * 1000, 4),
            f"ratio_{label}_median": round(f_med / b_med, 3),
            f"ratio_{label}_p95": round(f_p95 / b_p95, 3),
        })  # fmt: skip

    def count_queries(client: Client, url: str) -> tuple[tuple[int, int], dict[str, Any]]:
        """Queries one request makes on the data database and on the key store, and its body."""
        with CaptureQueriesContext(connections["default"]) as data_q, CaptureQueriesContext(connections["keys"]) as key_q:
            body = get(client, url)
        return (len(data_q.captured_queries), len(key_q.captured_queries)), body

    with override_settings(ROOT_URLCONF=URLCONF):
        check_same_shape(rep_client, ids[0], same_values=True)
        check_same_shape(manager_client, ids[0], same_values=False)
        bench.note(
            database=connections["default"].vendor,
            seed_seconds=round(seed_seconds, 2),
            iterations=iterations,
            goal_ratio_detail_median_max=GOAL_RATIO_DETAIL_MEDIAN,
        )
        compare("detail", rep_client, drop_key)
        compare("detail_manager", manager_client, drop_key)
        compare("detail_warm_key", rep_client, load_key)
        bench.note(detail_within_goal=bench.results["ratio_detail_median"] <= GOAL_RATIO_DETAIL_MEDIAN)

        cid = ids[1 % len(ids)]
        drop_key(cid)
        full_q = count_queries(rep_client, FULL_URL.format(cid))[0]
        drop_key(cid)
        manager_q = count_queries(manager_client, FULL_URL.format(cid))[0]
        base_q = count_queries(rep_client, BASELINE_URL.format(cid))[0]
        bench.note(
            detail_queries=full_q[0], detail_key_store_queries=full_q[1],
            detail_manager_queries=manager_q[0], detail_manager_key_store_queries=manager_q[1],
            detail_baseline_queries=base_q[0], detail_baseline_key_store_queries=base_q[1],
        )  # fmt: skip

        counts: dict[int, tuple[int, int]] = {}
        rows: dict[int, int] = {}
        for per_page in LIST_SIZES:
            keystore.cache.clear()  # cold: every key on the page must come from the key store
            counts[per_page], page = count_queries(rep_client, LIST_URL.format(per_page))
            rows[per_page] = len(page["items"])
    for per_page in LIST_SIZES:
        bench.note(**{
            f"list_rows_{per_page}": rows[per_page],
            f"list_queries_{per_page}": counts[per_page][0],
            f"key_store_queries_{per_page}": counts[per_page][1],
        })  # fmt: skip
    bench.note(list_queries_constant=len(set(counts.values())) == 1)
    bench.emit()


if __name__ == "__main__":
    main()
