"""What consent enforcement costs a read (ARCHITECTURE.md rule 5), measured side by side in one run.

    python -m benchmarks.consent_gate [--size 5000] [--database-url postgres://…]

The same sales rep lists a page of their own customers under marketing (gated: EXISTS on live consent,
field decisions narrowed by each consent) and under customer service (not gated), and counts the rows
each purpose can reach. ``ratio_list_page`` and ``ratio_count`` are gated ÷ ungated; the query counts of
both pages show that the gate adds one query per page, not one per row.
"""

from __future__ import annotations

from benchmarks.harness import Bench, parse_args, seed_demo, setup_django


def main() -> None:
    args = parse_args(__doc__ or "", default_size=5000)
    engine = setup_django(args.database_url)

    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from clientvault.consents.models import Consent
    from clientvault.customers import selectors
    from clientvault.customers.models import Customer
    from clientvault.testing.actors import ctx

    users, seed_seconds = seed_demo(args.size)
    rep = users["rep_bj1"]
    gated, plain = ctx(rep, purpose="marketing"), ctx(rep, purpose="customer_service")
    filters = selectors.CustomerFilters()
    reachable = {"gated": Customer.objects.visible_to(gated).count(), "plain": Customer.objects.visible_to(plain).count()}
    assert reachable["gated"] >= 50, "the rep needs two pages of consenting customers; raise --size"

    bench = Bench("consent_gate", size=args.size)
    bench.note(
        database=engine,
        seed_seconds=round(seed_seconds, 2),
        consents=Consent.objects.unrestricted(reason="benchmark note: how many consents were seeded").count(),
        rep_customers=reachable["plain"],
        rep_customers_with_live_marketing_consent=reachable["gated"],
    )
    bench.compare(
        "list_page",
        subject=lambda: selectors.list_customers(gated, filters, page=2, per_page=25),
        baseline=lambda: selectors.list_customers(plain, filters, page=2, per_page=25),
        repeat=args.repeat,
    )
    bench.compare(
        "count",
        subject=lambda: Customer.objects.visible_to(gated).count(),
        baseline=lambda: Customer.objects.visible_to(plain).count(),
        repeat=args.repeat,
    )
    queries = {}
    for label, c in (("gated", gated), ("plain", plain)):
        with CaptureQueriesContext(connection) as q:
            selectors.list_customers(c, filters, page=1, per_page=25)
        queries[label] = len(q.captured_queries)
    bench.note(list_queries_gated=queries["gated"], list_queries_plain=queries["plain"])
    bench.emit()


if __name__ == "__main__":
    main()
