"""The asset services: who may do what, the audit event each write leaves, failure paths that write nothing,
idempotent retries, FX legs, approval routing and alerts (issue #13)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.test import override_settings

from clientvault.approvals import services as approvals
from clientvault.approvals.models import ChangeRequest
from clientvault.assets import ledger, services
from clientvault.assets.models import AlertKind, Asset, AssetAlert, Journal, LedgerEntry
from clientvault.core import clock
from clientvault.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from clientvault.crypto import cipher
from clientvault.testing import assets as A
from clientvault.testing.actors import ctx
from clientvault.testing.customers import customer

pytestmark = pytest.mark.django_db


def counts() -> tuple[int, int]:
    return Journal.objects.count(), LedgerEntry.objects.count()


def test_open_asset_seals_the_identifier_posts_the_open_entry_and_audits(org: Any, audit_events: Any) -> None:
    rep = org["rep_bj1"]
    c = customer(rep)
    out = services.open_asset(
        ctx=ctx(rep), customer_id=c.pk, kind="deposit", currency="CNY", identifier="6222 0200 1234 5678", idempotency_key="o1"
    )
    assert isinstance(out, services.Posted)
    asset = A.reload(next(iter(out.assets.values())))
    assert (asset.status, asset.version, asset.balance, asset.department_id) == ("open", 1, 0, c.department_id)
    assert b"6222" not in bytes(asset.identifier_ct)
    assert cipher.decrypt(c.pk, "assets.asset", "identifier", bytes(asset.identifier_ct), row=asset.pk) == "6222 0200 1234 5678"
    assert bytes(asset.identifier_bidx) == cipher.blind_index("asset_identifier", "62220200 12345678")
    [event] = audit_events("asset.opened")
    assert (event.customer_id, event.object_id, sorted(event.fields)) == (c.pk, str(asset.pk), ["balance", "identifier"])
    again = services.open_asset(
        ctx=ctx(rep), customer_id=c.pk, kind="deposit", currency="CNY", identifier="6222 0200 1234 5678", idempotency_key="o1"
    )
    assert again.replayed and again.journal.pk == out.journal.pk
    assert Asset.objects.unrestricted(reason="test").filter(customer=c).count() == 1


@pytest.mark.parametrize(
    ("who", "error"), [("rep_other", NotFound), ("rep_bj2", NotFound), ("norole", PermissionDenied), ("compliance", PermissionDenied)]
)
def test_open_asset_is_refused_outside_the_actors_grant_or_sight(org: Any, who: str, error: type[Exception], audit_events: Any) -> None:
    c = customer(org["rep_bj1"])
    with pytest.raises(error):
        services.open_asset(ctx=ctx(org[who]), customer_id=c.pk, kind="deposit", currency="CNY", idempotency_key="x")
    assert not audit_events("asset.opened")
    assert counts() == (0, 0)


def test_deposit_and_withdraw_post_double_entry_against_the_clearing_account(org: Any, audit_events: Any) -> None:
    rep = org["rep_bj1"]
    c = customer(rep)
    a = A.asset(c)
    services.deposit(ctx=ctx(rep), asset_id=a.pk, amount_minor=50_000, idempotency_key="d1")
    services.withdraw(ctx=ctx(rep), asset_id=a.pk, amount_minor=20_000, idempotency_key="w1")
    assert A.reload(a).balance == 30_000
    assert A.clearing(c).balance == -30_000
    events = audit_events("asset.moved")
    assert [(e.customer_id, e.detail["entry_kind"], e.detail["amount_minor"]) for e in events] == [
        (c.pk, "deposit", 50_000),
        (c.pk, "withdraw", -20_000),
    ]
    before = counts()
    with pytest.raises(ledger.InsufficientFunds):
        services.withdraw(ctx=ctx(rep), asset_id=a.pk, amount_minor=30_001, idempotency_key="w2")
    assert counts() == before and A.reload(a).balance == 30_000
    with pytest.raises(ValidationFailed):
        services.deposit(ctx=ctx(rep), asset_id=a.pk, amount_minor=0, idempotency_key="d0")


def test_a_manager_moves_the_teams_assets_a_rep_of_another_team_does_not(org: Any) -> None:
    a = A.asset(customer(org["rep_bj1"]), balance=100)
    services.deposit(ctx=ctx(org["manager_bj"]), asset_id=a.pk, amount_minor=5, idempotency_key="m1")
    with pytest.raises(NotFound):
        services.deposit(ctx=ctx(org["rep_bj2"]), asset_id=a.pk, amount_minor=5, idempotency_key="m2")
    with pytest.raises(PermissionDenied):  # compliance sees the asset (view) but moves nothing
        services.deposit(ctx=ctx(org["compliance"]), asset_id=a.pk, amount_minor=5, idempotency_key="m3")
    assert A.reload(a).balance == 105


def test_transfer_is_idempotent_and_refuses_a_reused_key_pledged_funds_and_mixed_currencies(org: Any, audit_events: Any) -> None:
    rep = org["rep_bj1"]
    c1, c2 = customer(rep), customer(org["rep_sh"])
    a, b = A.asset(c1, balance=10_000), A.asset(c2, balance=0)
    first = services.transfer(ctx=ctx(rep), from_asset_id=a.pk, to_asset_id=b.pk, amount_minor=4_000, idempotency_key="t1")
    retry = services.transfer(ctx=ctx(rep), from_asset_id=a.pk, to_asset_id=b.pk, amount_minor=4_000, idempotency_key="t1")
    assert isinstance(first, services.Posted) and isinstance(retry, services.Posted)
    assert retry.replayed and retry.journal.pk == first.journal.pk
    assert (A.reload(a).balance, A.reload(b).balance) == (6_000, 4_000)
    # One event per customer whose asset moved (the receiving customer's history shows it too).
    assert sorted(str(e.customer_id) for e in audit_events("asset.moved")) == sorted([str(c1.pk), str(c2.pk)])
    with pytest.raises(ledger.IdempotencyConflict):
        services.transfer(ctx=ctx(rep), from_asset_id=a.pk, to_asset_id=b.pk, amount_minor=4_001, idempotency_key="t1")
    services.pledge(ctx=ctx(rep), asset_id=a.pk, amount_minor=5_000, idempotency_key="p1")
    with pytest.raises(ledger.InsufficientFunds):
        services.transfer(ctx=ctx(rep), from_asset_id=a.pk, to_asset_id=b.pk, amount_minor=1_001, idempotency_key="t2")
    services.release(ctx=ctx(rep), asset_id=a.pk, amount_minor=5_000, idempotency_key="r1")
    with pytest.raises(Conflict):
        services.release(ctx=ctx(rep), asset_id=a.pk, amount_minor=1, idempotency_key="r2")
    usd = A.asset(c2, currency="USD")
    with pytest.raises(ValidationFailed):
        services.transfer(ctx=ctx(rep), from_asset_id=a.pk, to_asset_id=usd.pk, amount_minor=1, idempotency_key="t3")
    assert A.reload(a).balance == 6_000


def test_fx_transfer_posts_explicit_legs_at_the_dated_rate(org: Any) -> None:
    rep = org["rep_bj1"]
    c = customer(rep)
    usd, cny = A.asset(c, currency="USD", balance=10_000), A.asset(c, currency="CNY")
    today = clock.today()
    services.record_fx_rate(ctx=ctx(org["compliance"]), currency="USD", rate="7.1000", as_of=today - dt.timedelta(days=3))
    services.record_fx_rate(ctx=ctx(org["compliance"]), currency="USD", rate="7.2000", as_of=today + dt.timedelta(days=3))
    out = services.fx_transfer(ctx=ctx(rep), from_asset_id=usd.pk, to_asset_id=cny.pk, amount_minor=1_000, idempotency_key="fx1", on=today)
    assert isinstance(out, services.Posted)
    assert (out.journal.rate, out.journal.rate_date) == (Decimal("7.1000000000"), today - dt.timedelta(days=3))
    assert (A.reload(usd).balance, A.reload(cny).balance) == (9_000, 7_100)
    assert (A.clearing(c, "USD").balance, A.clearing(c, "CNY").balance) == (-10_000 + 1_000, -7_100)  # funding, then the leg
    assert out.journal.entries.count() == 4
    with pytest.raises(PermissionDenied):
        services.record_fx_rate(ctx=ctx(rep), currency="EUR", rate="7.8", as_of=today)


def test_a_movement_above_the_rule_waits_for_a_manager_and_is_then_posted_with_the_approval(org: Any, audit_events: Any) -> None:
    rep, manager = org["rep_bj1"], org["manager_bj"]
    c = customer(rep)
    a, b = A.asset(c, balance=300_000_000), A.asset(customer(rep))
    before = counts()
    out = services.transfer(
        ctx=ctx(rep), from_asset_id=a.pk, to_asset_id=b.pk, amount_minor=150_000_000, idempotency_key="big", reason="买房"
    )
    assert isinstance(out, services.Submitted)
    assert counts() == before and not audit_events("asset.moved")
    retry = services.transfer(ctx=ctx(rep), from_asset_id=a.pk, to_asset_id=b.pk, amount_minor=150_000_000, idempotency_key="big")
    assert isinstance(retry, services.Submitted) and retry.request.id == out.request.id
    with pytest.raises(PermissionDenied):  # maker ≠ checker (ARCHITECTURE.md rule 12)
        approvals.approve(ctx(rep), out.request.id)
    approvals.approve(ctx(manager), out.request.id)
    request = ChangeRequest.objects.unrestricted(reason="test").get(pk=out.request.id)
    assert request.status == "applied"
    journal = Journal.objects.get(idempotency_key="big")
    assert (journal.approval_id, journal.operator_id) == (request.id, rep.pk)
    assert (A.reload(a).balance, A.reload(b).balance) == (150_000_000, 150_000_000)
    assert {e.detail.get("approval") for e in audit_events("asset.moved")} == {str(request.id)}


def test_an_approved_movement_on_an_asset_that_moved_since_is_stale(org: Any) -> None:
    rep = org["rep_bj1"]
    a = A.asset(customer(rep), balance=300_000_000)
    out = services.withdraw(ctx=ctx(rep), asset_id=a.pk, amount_minor=200_000_000, idempotency_key="big-w")
    assert isinstance(out, services.Submitted)
    services.deposit(ctx=ctx(rep), asset_id=a.pk, amount_minor=1, idempotency_key="small")
    approvals.approve(ctx(org["manager_bj"]), out.request.id)
    request = ChangeRequest.objects.unrestricted(reason="test").get(pk=out.request.id)
    assert request.status == "failed"
    assert A.reload(a).balance == 300_000_001
    assert not Journal.objects.filter(idempotency_key="big-w").exists()


def test_close_asset_needs_an_empty_asset(org: Any, audit_events: Any) -> None:
    rep = org["rep_bj1"]
    a = A.asset(customer(rep), balance=100)
    with pytest.raises(Conflict):
        services.close_asset(ctx=ctx(rep), asset_id=a.pk, idempotency_key="c1")
    services.withdraw(ctx=ctx(rep), asset_id=a.pk, amount_minor=100, idempotency_key="w")
    services.close_asset(ctx=ctx(rep), asset_id=a.pk, idempotency_key="c2")
    closed = A.reload(a)
    assert (closed.status, closed.closed_on) == ("closed", clock.today())
    assert len(audit_events("asset.closed")) == 1
    with pytest.raises(Conflict):
        services.deposit(ctx=ctx(rep), asset_id=a.pk, amount_minor=1, idempotency_key="late")


def test_change_terms_is_a_ledger_entry(org: Any, audit_events: Any) -> None:
    rep = org["rep_bj1"]
    a = A.asset(customer(rep))
    services.change_terms(ctx=ctx(rep), asset_id=a.pk, terms={"rate": "2.15%", "term_months": 12}, idempotency_key="ct")
    fresh = A.reload(a)
    assert (fresh.terms, fresh.version) == ({"rate": "2.15%", "term_months": 12}, a.version + 1)
    assert len(audit_events("asset.terms_changed")) == 1


@override_settings(CLIENTVAULT_ASSET_ALERT_CHANGES=3, CLIENTVAULT_ASSET_ALERT_HOURS=1)
def test_frequent_changes_and_a_foreign_operator_raise_alerts(org: Any, audit_events: Any) -> None:
    rep = org["rep_bj1"]
    a = A.asset(customer(rep))  # one entry (open)
    for i in range(5):
        services.deposit(ctx=ctx(rep), asset_id=a.pk, amount_minor=1, idempotency_key=f"f{i}")
    alerts = list(AssetAlert.objects.filter(asset=a))
    assert [x.kind for x in alerts] == [AlertKind.FREQUENT_CHANGES]  # once per window, not once per entry
    other = A.asset(customer(org["rep_sh"]))
    services.transfer(ctx=ctx(rep), from_asset_id=a.pk, to_asset_id=other.pk, amount_minor=1, idempotency_key="x")
    assert AssetAlert.objects.filter(asset=other, kind=AlertKind.FOREIGN_OPERATOR, operator=rep).count() == 1
    assert len(audit_events("asset.alert_raised")) == 2


def test_rebuilding_balances_from_the_entries_gives_the_running_balances(org: Any) -> None:
    rep = org["rep_bj1"]
    a, b = A.asset(customer(rep), balance=1_000), A.asset(customer(rep), balance=50)
    services.transfer(ctx=ctx(rep), from_asset_id=a.pk, to_asset_id=b.pk, amount_minor=333, idempotency_key="r")
    services.pledge(ctx=ctx(rep), asset_id=b.pk, amount_minor=300, idempotency_key="p")
    running = {x.pk: (x.balance, x.pledged, x.version) for x in Asset.objects.unrestricted(reason="test")}
    assert ledger.rebuild_balances() == running
