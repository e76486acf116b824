"""Evaluating a file's rules, re-evaluating it when a payment arrives and every night (issue #16): rule holds are
placed and released by the rules, forced holds never (ARCHITECTURE.md rule 12); the nightly run is chunked,
resumable and idempotent."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest

from clientvault.core import clock
from clientvault.core.schedule import SCHEDULE
from clientvault.core.tasks import RESUMABLE_TASKS
from clientvault.risk import holds, reevaluation, services
from clientvault.risk.models import CreditHold, CreditScore, HoldKind, HoldStatus, Trigger
from clientvault.risk.tests import files_helpers as H
from clientvault.testing import customers as C
from clientvault.testing.actors import ctx

pytestmark = pytest.mark.django_db
D = dt.date


def _holds(credit_file: Any) -> dict[str, str]:
    rows = CreditHold.objects.unrestricted(reason="test assertion").filter(credit_file=credit_file)
    return {f"{h.kind}:{h.reason_code}": h.status for h in rows}


def _overdue_file(org: Any) -> tuple[H.Book, Any]:
    b = H.book(org)
    credit_file = H.open_file(org, b.customer)
    H.limit(credit_file, 10_000_000, valid_from=D(2026, 1, 1))
    with clock.travel(H.DRAWN_ON + dt.timedelta(days=30)):
        H.repay(b, 1_200_000)
    return b, credit_file


def test_evaluation_places_rule_holds_and_keeps_figures_and_codes(org: Any, audit_events: Any) -> None:
    _b, credit_file = _overdue_file(org)
    with clock.travel(H.TODAY):
        outcome = services.evaluate_file(ctx(org["risk"]), file_id=credit_file.pk)
    assert set(outcome.holds) == {"days-overdue", "overdue-ratio"}
    assert _holds(credit_file) == {"rule:days-overdue": HoldStatus.ACTIVE, "rule:overdue-ratio": HoldStatus.ACTIVE}
    after = H.reload_file(credit_file)
    assert after.evaluated_at is not None and after.evaluation["checkpoint"] == "evaluation"
    assert after.evaluation["figures"]["overdue_amount"] == 1_300_000 and after.evaluation["figures"]["exposure"] == 4_800_000
    assert {f["code"] for f in after.evaluation["fired"]} == {"days-overdue", "overdue-ratio"}
    (event,) = audit_events("credit.evaluated")
    assert event.fields == ["evaluation"] and sorted(event.detail["holds_placed"]) == ["days-overdue", "overdue-ratio"]
    assert "1300000" not in json.dumps(event.detail)  # codes, never amounts
    assert len(audit_events("credit.hold_placed")) == 2
    with clock.travel(H.TODAY):  # evaluating again places nothing twice
        services.evaluate_file(ctx(org["risk"]), file_id=credit_file.pk)
    assert len(audit_events("credit.hold_placed")) == 2


def test_a_payment_that_cures_the_overdue_releases_the_rule_holds_never_a_forced_hold(
    org: Any, settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    b, credit_file = _overdue_file(org)
    with clock.travel(H.TODAY):
        services.evaluate_file(ctx(org["risk"]), file_id=credit_file.pk)
        holds.place_forced_hold(ctx(org["risk"]), file_id=credit_file.pk, reason_code="manual", note="人工冻结")
        with django_capture_on_commit_callbacks(execute=True) as callbacks:
            H.repay(b, 1_300_000)  # the overdue instalments paid: the payment enqueues the re-evaluation after commit
    assert callbacks
    assert _holds(credit_file) == {
        "rule:days-overdue": HoldStatus.RELEASED,
        "rule:overdue-ratio": HoldStatus.RELEASED,
        "forced:manual": HoldStatus.ACTIVE,
    }
    assert CreditScore.objects.unrestricted(reason="test assertion").filter(credit_file=credit_file, trigger=Trigger.PAYMENT).count() == 1
    assert H.reload_file(credit_file).evaluation["figures"]["overdue_amount"] == 0


def test_a_payment_of_a_customer_without_a_file_enqueues_nothing(org: Any, settings: Any, django_capture_on_commit_callbacks: Any) -> None:
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    b = H.book(org)
    with django_capture_on_commit_callbacks(execute=True):
        H.repay(b, 1_000)
    assert not CreditScore.objects.unrestricted(reason="test assertion").exists()


def test_the_nightly_run_is_chunked_resumable_and_idempotent(org: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    files = [H.open_file(org, C.customer(org["rep_bj1"])) for _ in range(5)]
    ordered = sorted(f.pk for f in files)
    real = services.evaluate_file
    crash_on = ordered[2]

    def crashing(ctx_: Any, *, file_id: Any, checkpoint: str = "evaluation") -> Any:
        if file_id == crash_on:
            raise RuntimeError("worker killed")
        return real(ctx_, file_id=file_id, checkpoint=checkpoint)

    scores = CreditScore.objects.unrestricted(reason="test assertion")
    with clock.travel(H.TODAY):
        monkeypatch.setattr(services, "evaluate_file", crashing)
        with pytest.raises(RuntimeError):
            reevaluation.nightly(chunk=2)
        # The files before the crash are done; the crashed file has nothing half-written (its score rolled back).
        assert set(scores.values_list("credit_file_id", flat=True)) == set(ordered[:2])
        assert H.reload_file(next(f for f in files if f.pk == crash_on)).evaluated_at is None
        monkeypatch.setattr(services, "evaluate_file", real)
        assert reevaluation.nightly(chunk=2) == 3  # the next run finishes the rest
        assert reevaluation.nightly(chunk=2) == 0  # and again the same day: nothing to do
    assert scores.filter(trigger=Trigger.NIGHTLY).count() == 5
    assert all(H.reload_file(f).evaluated_at is not None for f in files)
    with clock.travel(H.TODAY + dt.timedelta(days=1)):
        assert reevaluation.nightly() == 5  # a new day: every file again


def test_the_nightly_job_is_scheduled_and_resumable() -> None:
    assert any(e.task_path == "clientvault.risk.tasks.reevaluate_all" and e.every == dt.timedelta(days=1) for e in SCHEDULE)
    assert "clientvault.risk.tasks.reevaluate_all" in RESUMABLE_TASKS


def test_the_tasks_run_the_re_evaluation(org: Any, settings: Any) -> None:
    from clientvault.risk import tasks

    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    credit_file = H.open_file(org, C.customer(org["rep_bj1"]))
    assert tasks.reevaluate_on_payment.enqueue(str(credit_file.pk)).return_value is True
    assert tasks.reevaluate_all.enqueue().return_value == 1
    assert CreditHold.objects.unrestricted(reason="test assertion").filter(kind=HoldKind.FORCED).count() == 0


def test_files_of_restricted_or_erased_customers_are_left_out(org: Any) -> None:
    from clientvault.customers.models import Customer

    kept = H.open_file(org, C.customer(org["rep_bj1"]))
    restricted = H.open_file(org, C.customer(org["rep_bj1"]))
    Customer.objects.unrestricted(reason="test set-up").filter(pk=restricted.customer_id).update(
        restricted_at=clock.now(), restriction_basis="legal_hold"
    )
    with clock.travel(H.TODAY):
        assert reevaluation.nightly() == 1
        assert reevaluation.on_payment(restricted.pk) is None  # PIPL-47: stored only, not processed
    assert H.reload_file(kept).evaluated_at is not None and H.reload_file(restricted).evaluated_at is None


def test_re_evaluation_raises_the_overdue_warning_its_figures_give_once(org: Any, audit_events: Any) -> None:
    """The nightly/on-payment path feeds today's figures to the early-warning indicators (70 days overdue: a warning at
    the 30-day threshold and beyond); the same episode re-evaluated again raises nothing new."""
    from clientvault.risk.models import EarlyWarning

    _b, credit_file = _overdue_file(org)
    with clock.travel(H.TODAY):
        reevaluation.reevaluate(credit_file.pk, Trigger.NIGHTLY)
    warnings = list(EarlyWarning.objects.unrestricted(reason="test assertion").filter(credit_file=credit_file))
    assert [w.kind for w in warnings] == ["overdue"] and warnings[0].source == "internal"
    assert len(audit_events("credit.warning_raised")) == 1
    with clock.travel(H.TODAY):
        reevaluation.reevaluate(credit_file.pk, Trigger.PAYMENT)
    assert EarlyWarning.objects.unrestricted(reason="test assertion").filter(credit_file=credit_file).count() == 1
