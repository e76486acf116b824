"""The demo's asset history (issue #13): seeded through the ledger services in date order, with rates,
pledges, loans and large movements approved, rejected and still waiting."""

from __future__ import annotations

from typing import Any

import pytest

from clientvault.approvals.models import ChangeRequest
from clientvault.assets.ledger import rebuild_balances
from clientvault.assets.models import Asset, FxRate, LedgerEntry
from clientvault.core.context import for_user, system_context
from clientvault.customers import entry_review
from clientvault.customers.imports import import_customers
from clientvault.demo import assets as demo_assets
from clientvault.demo import seeding
from clientvault.testing.organisation import ensure_roles

pytestmark = pytest.mark.django_db


def test_the_demo_seeds_a_year_of_asset_history_through_the_services(audit_events: Any) -> None:
    ensure_roles()
    ctx = system_context(channel="cli")
    users = seeding.build_organisation(ctx)
    import_customers(ctx=ctx, rows=seeding.customer_rows(40, users))
    # Review on entry: compliance accepts the imported customers first, as the demo does.
    entry_review.accept_imported(ctx=for_user(users["compliance"], channel="cli", purpose="compliance_review"))
    result = demo_assets.seed_assets(users, per_rep=3)

    customer_assets = Asset.objects.unrestricted(reason="test assertion").filter(customer__isnull=False)
    assert result.assets == customer_assets.count() >= 12
    assert FxRate.objects.filter(currency="USD").count() >= 12  # a rate on the first of every month
    # Every entry through the services: one audit event per customer entry moved, each at the clock's time.
    entries = LedgerEntry.objects.filter(asset__customer__isnull=False)
    kinds = set(entries.values_list("kind", flat=True))
    assert {"open", "deposit", "withdraw", "transfer_out", "transfer_in"} <= kinds
    assert len(audit_events("asset.opened")) == result.assets
    # History is written in date order: each asset's entries are in time order by sequence number.
    for asset_id in customer_assets.values_list("pk", flat=True):
        times = list(entries.filter(asset_id=asset_id).order_by("seq").values_list("created_at", flat=True))
        assert times == sorted(times)
    # The running balances equal a replay of the entries, to the cent.
    replay = rebuild_balances()
    for asset in Asset.objects.unrestricted(reason="test assertion"):
        assert replay[asset.pk][:2] == (asset.balance, asset.pledged)
    # Large movements: the first approved and posted with its approval, the second rejected, the third waiting.
    statuses = sorted(ChangeRequest.objects.unrestricted(reason="test assertion").values_list("status", flat=True))
    reps = 4
    assert statuses == sorted(["applied"] * reps + ["rejected"] * reps + ["submitted"] * reps)
    assert entries.filter(approval_id__isnull=False).count() == reps
