"""Credit checkpoints in the asset ledger (issue #16): a new loan and a drawdown are checked against the credit
file's rules before anything is posted; a blocked one leaves the ledger exactly as it was."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from clientvault.assets import credit_hooks
from clientvault.assets import services as asset_services
from clientvault.assets.models import Asset, Journal, LedgerEntry
from clientvault.core import clock
from clientvault.risk import holds
from clientvault.risk.models import CreditFile
from clientvault.risk.tests import files_helpers as H
from clientvault.testing import assets as A
from clientvault.testing import customers as C
from clientvault.testing.actors import ctx

pytestmark = pytest.mark.django_db
D = dt.date


def _ledger_state(*assets: Asset) -> tuple[Any, ...]:
    rows = Asset.objects.unrestricted(reason="test assertion").filter(pk__in=[a.pk for a in assets]).order_by("pk")
    return (list(rows.values_list("pk", "balance", "version")), LedgerEntry.objects.count(), Journal.objects.count())


def test_a_drawdown_over_the_limit_is_refused_with_nothing_posted_and_one_within_passes(org: Any) -> None:
    b = H.book(org, draw=0)
    credit_file = H.open_file(org, b.customer)
    H.limit(credit_file, 5_000_000, valid_from=D(2026, 1, 1))
    before = _ledger_state(b.loan, b.deposit)
    with clock.travel(H.TODAY), pytest.raises(credit_hooks.CreditBlocked) as refused:
        H.transfer(b.owner, b.loan.pk, b.deposit.pk, 5_000_001)
    assert refused.value.status == 409 and refused.value.code == "credit_blocked"
    assert refused.value.details == {"rules": ["exposure-over-limit"]}
    assert str(refused.value.message)  # a translated sentence, no figure in it
    assert _ledger_state(b.loan, b.deposit) == before  # nothing posted
    with clock.travel(H.TODAY):
        outcome = H.transfer(b.owner, b.loan.pk, b.deposit.pk, 5_000_000)  # exactly the limit: allowed
    assert outcome.journal is not None and A.reload(b.loan).balance == -5_000_000
    with clock.travel(H.TODAY), pytest.raises(credit_hooks.CreditBlocked):  # a withdrawal out of the loan is a drawdown too
        asset_services.withdraw(ctx=ctx(b.owner), asset_id=b.loan.pk, amount_minor=1, idempotency_key=A.key("wd"))


def test_collateral_raises_what_may_be_drawn(org: Any) -> None:
    b = H.book(org, draw=0)
    A.open_asset(b.customer, b.owner, kind="collateral", balance=2_000_000, identifier="COL-9")
    credit_file = H.open_file(org, b.customer)
    H.limit(credit_file, 5_000_000, valid_from=D(2026, 1, 1))
    with clock.travel(H.TODAY):
        H.transfer(b.owner, b.loan.pk, b.deposit.pk, 6_000_000)  # 5,000,000 + 2,000,000 × 0.5
        with pytest.raises(credit_hooks.CreditBlocked):
            H.transfer(b.owner, b.loan.pk, b.deposit.pk, 1)


def test_repayments_and_other_movements_are_not_checkpoints(org: Any) -> None:
    b = H.book(org)  # drawn 6,000,000 before any file existed
    credit_file = H.open_file(org, b.customer)
    holds.place_forced_hold(ctx(org["risk"]), file_id=credit_file.pk, reason_code="manual", note="冻结")
    with clock.travel(H.TODAY):
        H.repay(b, 50_000)  # a repayment credits the loan: never blocked
        asset_services.deposit(ctx=ctx(b.owner), asset_id=b.deposit.pk, amount_minor=10, idempotency_key=A.key("dp"))
    assert A.reload(b.loan).balance == -5_950_000


def test_a_customer_without_a_credit_file_passes(org: Any) -> None:
    b = H.book(org, draw=0)
    assert not CreditFile.objects.unrestricted(reason="test assertion").filter(customer=b.customer).exists()
    H.transfer(b.owner, b.loan.pk, b.deposit.pk, 50_000_000)  # no file: credit control does not apply (yet)
    assert A.reload(b.loan).balance == -50_000_000


def test_a_forced_hold_blocks_a_drawdown_and_a_new_loan(org: Any) -> None:
    b = H.book(org, draw=0)
    credit_file = H.open_file(org, b.customer)
    H.limit(credit_file, 50_000_000, valid_from=D(2026, 1, 1))
    holds.place_forced_hold(ctx(org["risk"]), file_id=credit_file.pk, reason_code="manual", note="涉诉")
    with clock.travel(H.TODAY):
        with pytest.raises(credit_hooks.CreditBlocked) as refused:
            H.transfer(b.owner, b.loan.pk, b.deposit.pk, 1_000)
        assert refused.value.details == {"rules": ["hold-in-force"]}
        assets_before = Asset.objects.unrestricted(reason="test assertion").count()
        with pytest.raises(credit_hooks.CreditBlocked):
            asset_services.open_asset(
                ctx=ctx(b.owner), customer_id=b.customer.pk, kind="loan", currency="CNY", idempotency_key=A.key("loan"), terms=H.LOAN_TERMS
            )
        assert Asset.objects.unrestricted(reason="test assertion").count() == assets_before


def test_a_high_risk_tier_gets_no_new_loan_and_a_new_loan_over_the_limit_is_refused(org: Any) -> None:
    b = H.book(org, draw=0)
    credit_file = H.open_file(org, b.customer)
    H.limit(credit_file, 5_000_000, valid_from=D(2026, 1, 1))

    def new_loan(principal: int) -> Any:
        return asset_services.open_asset(
            ctx=ctx(b.owner),
            customer_id=b.customer.pk,
            kind="loan",
            currency="CNY",
            idempotency_key=A.key("loan"),
            terms={**H.LOAN_TERMS, "principal_minor": principal},
        )

    with clock.travel(H.TODAY):
        with pytest.raises(credit_hooks.CreditBlocked) as refused:
            new_loan(5_000_001)
        assert refused.value.details == {"rules": ["exposure-over-limit"]}
        assert new_loan(5_000_000).journal is not None
        CreditFile.objects.unrestricted(reason="test set-up").filter(pk=credit_file.pk).update(tier="high")
        with pytest.raises(credit_hooks.CreditBlocked) as refused:
            new_loan(1)
        assert refused.value.details == {"rules": ["tier-policy-high"]}
        asset_services.open_asset(ctx=ctx(b.owner), customer_id=b.customer.pk, kind="deposit", currency="CNY", idempotency_key=A.key("d"))


def test_a_drawdown_in_another_currency_needs_a_rate(org: Any) -> None:
    from clientvault.assets import fx

    b = H.book(org, draw=0)
    H.open_file(org, b.customer, currency="USD")
    with pytest.raises(fx.NoRate):
        H.transfer(b.owner, b.loan.pk, b.deposit.pk, 100)
    assert A.reload(b.loan).balance == 0


def test_the_api_answers_409_credit_blocked_naming_the_rules(org: Any) -> None:
    import json

    from django.test import Client

    from clientvault.testing.actors import sign_in_verified

    b = H.book(org, draw=0)
    credit_file = H.open_file(org, b.customer)
    H.limit(credit_file, 1_000_000, valid_from=D(2026, 1, 1))
    client = Client(enforce_csrf_checks=True)
    sign_in_verified(client, b.owner)
    client.get("/accounts/profile/")
    headers = {"X-CSRFToken": client.cookies["cv_csrftoken"].value, "Idempotency-Key": "draw-too-much"}
    body = {"kind": "transfer", "counter_asset_id": str(b.deposit.pk), "amount": "10000.01", "currency": "CNY", "reason": "x"}
    with clock.travel(H.TODAY):
        response = client.post(f"/api/v1/assets/{b.loan.pk}/movements", json.dumps(body), content_type="application/json", headers=headers)
    assert response.status_code == 409, response.content
    error = response.json()["error"]
    assert error["code"] == "credit_blocked" and error["details"] == {"rules": ["exposure-over-limit"]} and error["message"]
    assert A.reload(b.loan).balance == 0


@pytest.mark.django_db(transaction=True)
def test_racing_drawdowns_on_two_loans_cannot_overrun_the_limit() -> None:
    import threading

    from django.db import connection

    from clientvault.testing.organisation import make_org

    if connection.vendor != "postgresql":
        pytest.skip("row-lock concurrency is tested on PostgreSQL (SQLite serialises writers)")
    org = make_org()
    rep = org["rep_bj1"]
    customer = C.customer(rep)
    loans = [A.asset(customer, kind="loan"), A.asset(customer, kind="loan")]
    deposits = [A.asset(customer) for _ in range(6)]
    credit_file = H.open_file(org, customer)
    H.limit(credit_file, 1_000_000, valid_from=D(2026, 1, 1))
    barrier = threading.Barrier(6)
    outcomes: list[str] = []

    def run(i: int) -> None:
        try:
            barrier.wait(timeout=30)
            with clock.travel(H.TODAY):
                H.transfer(rep, loans[i % 2].pk, deposits[i].pk, 300_000)
            outcomes.append("posted")
        except credit_hooks.CreditBlocked:
            outcomes.append("blocked")
        except BaseException as exc:  # surfaced below
            outcomes.append(repr(exc))
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=300)
    assert sorted(outcomes) == ["blocked"] * 3 + ["posted"] * 3
    assert -sum(A.reload(loan).balance for loan in loans) == 900_000


def test_a_refusal_is_recorded_after_the_blocked_posting_rolled_back(org: Any, audit_events: Any) -> None:
    """The posting's transaction rolls back, its refusal stays: one ``credit.checkpoint_blocked`` event (outcome denied)
    naming who, the customer, the checkpoint and the rule codes — never the amount."""
    b = H.book(org, draw=0)
    credit_file = H.open_file(org, b.customer)
    H.limit(credit_file, 5_000_000, valid_from=D(2026, 1, 1))
    holds.place_forced_hold(ctx(org["risk"]), file_id=credit_file.pk, reason_code="manual", note="涉诉")
    postings = len(audit_events("asset.moved")) + len(audit_events("asset.opened"))
    with clock.travel(H.TODAY):
        with pytest.raises(credit_hooks.CreditBlocked):
            H.transfer(b.owner, b.loan.pk, b.deposit.pk, 1_234_567)
        with pytest.raises(credit_hooks.CreditBlocked):
            asset_services.open_asset(
                ctx=ctx(b.owner), customer_id=b.customer.pk, kind="loan", currency="CNY", idempotency_key=A.key("loan"), terms=H.LOAN_TERMS
            )
    drawdown, new_loan = audit_events("credit.checkpoint_blocked")
    for event, checkpoint in ((drawdown, "drawdown"), (new_loan, "new_credit")):
        assert (event.actor_id, event.customer_id, event.outcome) == (b.owner.pk, b.customer.pk, "denied")
        assert event.detail["checkpoint"] == checkpoint and "hold-in-force" in event.detail["rules"]
    assert "1234567" not in str(drawdown.detail)
    assert len(audit_events("asset.moved")) + len(audit_events("asset.opened")) == postings  # nothing posted


def test_an_approved_drawdown_blocked_when_applied_names_the_rules_in_approval_failed(org: Any, audit_events: Any) -> None:
    """A large drawdown waits for a sales manager; a forced hold placed meanwhile blocks it when it is applied. The
    apply's savepoint rolls back, and ``approval.failed`` keeps the refusal's rule codes."""
    from clientvault.approvals import services as approvals
    from clientvault.approvals.models import ChangeRequest

    b = H.book(org, draw=0)
    credit_file = H.open_file(org, b.customer)
    H.limit(credit_file, 150_000_000, valid_from=D(2026, 1, 1))
    before = _ledger_state(b.loan, b.deposit)
    with clock.travel(H.TODAY):
        submitted = H.transfer(b.owner, b.loan.pk, b.deposit.pk, 120_000_000)  # ≥ 1,000,000.00: a manager decides
        assert isinstance(submitted, asset_services.Submitted)
        holds.place_forced_hold(ctx(org["risk"]), file_id=credit_file.pk, reason_code="manual", note="涉诉")
        approvals.approve(ctx(org["manager_bj"]), submitted.request.pk)
    request = ChangeRequest.objects.unrestricted(reason="test assertion").get(pk=submitted.request.pk)
    assert request.status == ChangeRequest.Status.FAILED and _ledger_state(b.loan, b.deposit) == before
    [failed] = audit_events("approval.failed")
    assert failed.detail["why"] == "credit_blocked" and failed.detail["rules"] == ["hold-in-force"]
