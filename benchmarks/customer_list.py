"""Customer list and detail through the protected path (scope filter, audit event in the same
transaction) against the same rows fetched by a bare queryset, in one run.

    python -m benchmarks.customer_list [--size 2000] [--database-url postgres://…]

Also reports the query count of a list page at 25 and at 100 rows: it must not grow with page size.
"""

from __future__ import annotations

from benchmarks.harness import Bench, parse_args, seed_demo, setup_django


def main() -> None:
    args = parse_args(__doc__ or "", default_size=2000)
    engine = setup_django(args.database_url)

    from django.db import connection, connections
    from django.test.utils import CaptureQueriesContext

    from clientvault.crypto import keystore
    from clientvault.customers import selectors
    from clientvault.customers.models import Customer

    RAW = "benchmark baseline: the raw query without the policy layer"
    raw = Customer.objects.unrestricted(reason=RAW)
    from clientvault.testing.actors import ctx

    users, seed_seconds = seed_demo(args.size)
    manager = ctx(users["manager_bj"])
    filters = selectors.CustomerFilters()
    target = Customer.objects.visible_to(manager).order_by("id").values_list("pk", flat=True)[args.size // 20]

    def protected_list() -> None:
        selectors.list_customers(manager, filters, page=2, per_page=25)

    dept = users["manager_bj"].department
    assert dept is not None
    subtree = dept.path  # the same rows the manager's scope yields

    def raw_list() -> None:
        rows = raw.filter(department__path__startswith=subtree)
        list(rows.select_related("owner", "department").prefetch_related("tags").order_by("-created_at", "id")[25:50])
        rows.count()

    def protected_detail() -> None:
        selectors.get_customer(manager, target)

    def raw_detail() -> None:
        c = raw.select_related("owner", "department", "legal_entity").prefetch_related("tags").get(pk=target)
        list(c.followups.unrestricted(reason=RAW).select_related("author"))

    bench = Bench("customer_list", size=args.size)
    bench.note(database=engine, seed_seconds=round(seed_seconds, 2), seed_customers_per_second=round(args.size / seed_seconds))
    bench.compare("list_page", subject=protected_list, baseline=raw_list, repeat=args.repeat)
    bench.compare("detail", subject=protected_detail, baseline=raw_detail, repeat=args.repeat)
    counts = {}
    for size in (25, 100):
        keystore.cache.clear()  # cold: every key on the page must come from the key store
        with CaptureQueriesContext(connection) as data_q, CaptureQueriesContext(connections["keys"]) as key_q:
            selectors.list_customers(manager, filters, page=1, per_page=size)
        counts[size] = (len(data_q.captured_queries), len(key_q.captured_queries))
    bench.note(
        list_queries_25=counts[25][0], list_queries_100=counts[100][0],
        key_store_queries_25=counts[25][1], key_store_queries_100=counts[100][1],
        list_queries_constant=counts[25] == counts[100],
    )  # fmt: skip
    bench.emit()


if __name__ == "__main__":
    main()
