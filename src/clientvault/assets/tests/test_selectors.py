"""What a reader sees of a customer's assets, and the read event each view leaves (issue #13)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from clientvault.assets import selectors, services
from clientvault.assets.models import Asset
from clientvault.core import clock
from clientvault.core.errors import NotFound
from clientvault.testing.actors import ctx
from clientvault.testing.customers import customer

pytestmark = pytest.mark.django_db


@pytest.fixture
def holder(org: Any) -> Any:
    rep = org["rep_bj1"]
    c = customer(rep)
    services.record_fx_rate(ctx=ctx(org["compliance"]), currency="USD", rate="7.0", as_of=clock.today() - dt.timedelta(days=1))
    for ident, currency, amount in (("6222020012345678", "CNY", 100_000), ("US-778899", "USD", 50_000)):
        out = services.open_asset(
            ctx=ctx(rep), customer_id=c.pk, kind="deposit", currency=currency, identifier=ident, idempotency_key=ident
        )
        [asset] = out.assets.values()
        services.deposit(ctx=ctx(rep), asset_id=asset.pk, amount_minor=amount, idempotency_key=f"dep-{ident}")
    return c


def test_the_owner_sees_identifiers_balances_and_aum_and_the_read_is_recorded(org: Any, holder: Any, audit_events: Any) -> None:
    view = selectors.holdings(ctx(org["rep_bj1"]), holder.pk)
    assert sorted(str(a.identifier) for a in view.assets) == ["6222020012345678", "US-778899"]
    assert sorted(a.shown_balance or 0 for a in view.assets) == [50_000, 100_000]
    assert view.aum is not None
    # USD 500.00 at 7.0 = CNY 3,500.00, plus CNY 1,000.00; the customer's currency is their largest holding's.
    assert (view.aum.total_base_minor, view.aum.customer_currency, view.aum.total_customer_minor) == (450_000, "USD", 64_286)
    assert [(r.from_, r.as_of) for r in view.aum.rates] == [("USD", clock.today() - dt.timedelta(days=1))]
    [event] = audit_events("asset.viewed")
    assert (event.customer_id, sorted(event.fields)) == (holder.pk, ["balance", "identifier"])


def test_a_manager_sees_masked_identifiers_and_no_balance(org: Any, holder: Any, audit_events: Any) -> None:
    view = selectors.holdings(ctx(org["manager_bj"]), holder.pk)
    assert sorted(str(a.identifier) for a in view.assets) == ["****5678", "****8899"]
    assert {a.shown_balance for a in view.assets} == {None}
    assert view.aum is None and selectors.aum(ctx(org["manager_bj"]), holder.pk) is None
    page = selectors.ledger(ctx(org["manager_bj"]), view.assets[0].pk)
    assert not page.amounts_shown and {line.amount for line in page.lines} == {None}
    assert [line.kind for line in page.lines] == ["deposit", "open"]
    assert all(e.fields == [] or "balance" not in e.fields for e in audit_events("asset.viewed"))


@pytest.mark.parametrize("who", ["rep_bj2", "rep_other", "norole", "admin"])
def test_out_of_scope_is_not_found(org: Any, holder: Any, who: str) -> None:
    with pytest.raises(NotFound):
        selectors.holdings(ctx(org[who]), holder.pk)
    asset = Asset.objects.unrestricted(reason="test").filter(customer=holder).get(currency="CNY")
    with pytest.raises(NotFound):
        selectors.ledger(ctx(org[who]), asset.pk)


def test_the_ledger_page_shows_the_running_balance_and_records_its_read(org: Any, holder: Any, audit_events: Any) -> None:
    rep = org["rep_bj1"]
    asset = Asset.objects.unrestricted(reason="test").get(customer=holder, currency="CNY")
    services.withdraw(ctx=ctx(rep), asset_id=asset.pk, amount_minor=30_000, idempotency_key="w")
    page = selectors.ledger(ctx(rep), asset.pk, page_size=2)
    assert [(line.seq, line.amount, line.balance_after) for line in page.lines] == [(3, -30_000, 70_000), (2, 100_000, 100_000)]
    assert page.has_next and page.lines[0].operator == "rep_bj1"
    assert len(audit_events("asset.ledger_viewed")) == 1


def test_department_totals_convert_to_the_base_currency(org: Any, holder: Any, audit_events: Any) -> None:
    totals, rates = selectors.department_totals(ctx(org["compliance"]))
    [dept] = totals
    assert (dept.by_currency, dept.total_base_minor, dept.asset_count) == ({"CNY": 100_000, "USD": 50_000}, 450_000, 2)
    assert [r.from_ for r in rates] == ["USD"]
    assert len(audit_events("asset.totals_viewed")) == 1
