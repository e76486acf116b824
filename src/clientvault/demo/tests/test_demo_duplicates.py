"""The demo's duplicate review queue (issue #14): planted duplicates found by a real scan, the household not."""

from __future__ import annotations

import pytest

from clientvault.core.context import system_context
from clientvault.customers.imports import import_customers
from clientvault.dedupe import services
from clientvault.dedupe.models import ClusterMember
from clientvault.demo import seeding
from clientvault.demo.duplicates import duplicate_rows
from clientvault.testing.customers import find

pytestmark = pytest.mark.django_db


def test_the_demo_queue_holds_the_planted_duplicates_and_not_the_household() -> None:
    ctx = system_context(channel="cli")
    users = seeding.build_organisation(ctx)
    rows = seeding.customer_rows(120, users)
    extra = duplicate_rows(rows)
    import_customers(ctx=ctx, rows=rows + extra)
    scan = services.scan(ctx=system_context(channel="cli", purpose="compliance_review"), incremental=False)
    assert scan.clusters_open >= 4
    clustered = ClusterMember.objects.filter(active=True).count()
    assert clustered >= 8
    assert scan.customers_scanned == len(rows) + len(extra)
    household = find(str(extra[-1].data["name"]))
    assert not ClusterMember.objects.filter(customer__in=household, active=True).exists()  # a shared phone is not a duplicate
    homophone = find(str(extra[0].data["name"]))
    assert ClusterMember.objects.filter(customer__in=homophone, active=True).exists()
