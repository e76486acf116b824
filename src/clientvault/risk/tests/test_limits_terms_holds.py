"""Payment terms and forced-hold releases (issue #16; ARCHITECTURE.md rule 12): shortening applies at once as the
risk officer's service call, lengthening waits for another person; a forced hold's release is decided by neither
its maker nor the person who placed it; rule holds are not released by people. Each write leaves its one event."""

from __future__ import annotations

from typing import Any

import pytest

from clientvault.approvals import services as approvals
from clientvault.approvals.models import ChangeRequest
from clientvault.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from clientvault.risk import hold_release, holds, limits
from clientvault.risk.models import CreditHold, HoldStatus, PaymentTerms
from clientvault.risk.tests.limits_support import credit_file, reload, request, second_risk_officer
from clientvault.testing.actors import ctx
from clientvault.testing.organisation import Org

pytestmark = pytest.mark.django_db


def _terms(file_id: Any) -> list[PaymentTerms]:
    return list(PaymentTerms.objects.unrestricted(reason="test").filter(credit_file_id=file_id).order_by("created_at"))


def _hold(hold: CreditHold) -> CreditHold:
    return CreditHold.objects.unrestricted(reason="test").get(pk=hold.pk)


@pytest.mark.parametrize("days", [15, 30])
def test_shortening_or_equal_applies_at_once(org: Org, days: int, audit_events: Any) -> None:
    f = credit_file(org, terms_days=30)
    outcome = limits.change_terms(ctx(org["risk"]), file_id=f.pk, days=days, reason="回款变慢")
    assert outcome.request is None and outcome.terms is not None
    assert reload(f).terms_days == days and reload(f).version == f.version + 1
    [row] = _terms(f.pk)
    assert (row.days, row.approval_id, row.created_by_id) == (days, None, org["risk"].pk)
    [event] = audit_events("credit.terms_changed")
    assert event.detail["direction"] == ("shorter" if days < 30 else "same") and "days" not in event.detail
    assert not ChangeRequest.objects.unrestricted(reason="test").filter(target_id=str(f.pk)).exists()


def test_lengthening_waits_for_another_risk_officer(org: Org, audit_events: Any) -> None:
    f = credit_file(org, terms_days=30)
    outcome = limits.change_terms(ctx(org["risk"]), file_id=f.pk, days=60, reason="大客户")
    assert outcome.terms is None and outcome.request is not None
    assert outcome.request.rule_code == "risk-terms-lengthen"
    assert reload(f).terms_days == 30 and _terms(f.pk) == [] and audit_events("credit.terms_changed") == []
    with pytest.raises(PermissionDenied):
        approvals.approve(ctx(org["risk"]), outcome.request.pk)
    approvals.approve(ctx(second_risk_officer(org)), outcome.request.pk)
    assert reload(f).terms_days == 60
    [row] = _terms(f.pk)
    assert row.approval_id == outcome.request.pk and row.created_by_id == org["risk"].pk
    [event] = audit_events("credit.terms_changed")
    assert event.detail["direction"] == "longer" and event.detail["request"] == str(outcome.request.pk)


def test_lengthening_is_stale_after_a_shortening(org: Org) -> None:
    f = credit_file(org, terms_days=30)
    waiting = limits.change_terms(ctx(org["risk"]), file_id=f.pk, days=60, reason="大客户").request
    assert waiting is not None
    limits.change_terms(ctx(second_risk_officer(org)), file_id=f.pk, days=10, reason="预警")
    approvals.approve(ctx(second_risk_officer(org)), waiting.pk)
    assert request(waiting.pk).status == ChangeRequest.Status.FAILED and reload(f).terms_days == 10


def test_longer_terms_a_control_rule_blocks_are_refused_and_nothing_is_proposed(org: Org, audit_events: Any) -> None:
    """The terms-change checkpoint: beyond the tier's maximum (medium: 60 days), or while a hold is in force."""
    from clientvault.assets.credit_hooks import CreditBlocked

    f = credit_file(org, terms_days=30)
    with pytest.raises(CreditBlocked) as refused:
        limits.change_terms(ctx(org["risk"]), file_id=f.pk, days=90, reason="大客户")
    assert "terms-over-tier-max" in str(refused.value.details)
    held = credit_file(org, terms_days=30)
    holds.place_forced_hold(ctx(org["risk"]), file_id=held.pk, reason_code="manual", note="涉诉")
    with pytest.raises(CreditBlocked):
        limits.change_terms(ctx(org["risk"]), file_id=held.pk, days=45, reason="大客户")
    assert limits.change_terms(ctx(org["risk"]), file_id=held.pk, days=20, reason="收紧").terms is not None  # shorter: allowed
    assert not ChangeRequest.objects.unrestricted(reason="test").filter(change_type="risk.terms").exists()
    assert reload(f).terms_days == 30
    refusals = audit_events("credit.checkpoint_blocked")  # each refusal leaves its event, the rules named
    assert [(e.detail["checkpoint"], e.customer_id, e.outcome) for e in refusals] == [
        ("terms_change", f.customer_id, "denied"),
        ("terms_change", held.customer_id, "denied"),
    ]
    assert "terms-over-tier-max" in refusals[0].detail["rules"] and "hold-in-force" in refusals[1].detail["rules"]


@pytest.mark.parametrize("days", [-1, 4000, "x"])
def test_invalid_days(org: Org, days: Any, audit_events: Any) -> None:
    f = credit_file(org)
    with pytest.raises(ValidationFailed) as refused:
        limits.change_terms(ctx(org["risk"]), file_id=f.pk, days=days, reason="试")
    assert "days" in refused.value.fields and _terms(f.pk) == [] and audit_events() == []


def test_terms_out_of_scope_is_missing(org: Org) -> None:
    f = credit_file(org)
    with pytest.raises(NotFound):
        limits.change_terms(ctx(org["risk_other"]), file_id=f.pk, days=1, reason="试")
    assert reload(f).terms_days == 30


# --- Forced holds --------------------------------------------------------------------------------------------------


def _forced(org: Org, placer: str = "risk") -> CreditHold:
    f = credit_file(org)
    return holds.place_forced_hold(ctx(org[placer]), file_id=f.pk, reason_code="manual", note="客户涉诉")


def test_release_needs_someone_other_than_maker_and_placer(org: Org, audit_events: Any) -> None:
    hold = _forced(org, placer="risk")  # placed by risk
    change = hold_release.request_hold_release(ctx(second_risk_officer(org)), hold_id=hold.pk, reason="诉讼已撤")  # made by risk2
    assert change.rule_code == "risk-hold-release" and _hold(hold).status == HoldStatus.ACTIVE
    with pytest.raises(NotFound):  # the placer neither sees nor decides the release of their hold
        approvals.approve(ctx(org["risk"]), change.pk)
    with pytest.raises(PermissionDenied) as refused:  # the maker may not decide it
        approvals.approve(ctx(second_risk_officer(org)), change.pk)
    assert refused.value.code == "maker_is_checker"
    assert _hold(hold).status == HoldStatus.ACTIVE
    approvals.approve(ctx(org["compliance"]), change.pk)
    released = _hold(hold)
    assert released.status == HoldStatus.RELEASED and released.release_request_id == change.pk
    [event] = audit_events("credit.hold_released")
    assert event.detail["request"] == str(change.pk) and event.detail["automatic"] is False


def test_the_placer_may_ask_but_not_decide(org: Org) -> None:
    hold = _forced(org, placer="risk")
    change = hold_release.request_hold_release(ctx(org["risk"]), hold_id=hold.pk, reason="已核实")
    with pytest.raises(PermissionDenied):
        approvals.approve(ctx(org["risk"]), change.pk)
    approvals.approve(ctx(second_risk_officer(org)), change.pk)
    assert _hold(hold).status == HoldStatus.RELEASED


def test_apply_refuses_a_release_the_placer_approved(org: Org) -> None:
    """The second line: should a placer's approval get past ``in_scope`` (a rule change, a bug), apply refuses."""
    from clientvault.approvals import routing

    hold = _forced(org, placer="risk")
    change = hold_release.request_hold_release(ctx(second_risk_officer(org)), hold_id=hold.pk, reason="已核实")
    pending = routing.pending(request(change.pk))
    forged = type(pending)(**{**pending.__dict__, "approver_ids": (org["risk"].pk,)})
    with pytest.raises(PermissionDenied) as refused:
        hold_release.apply_hold_release(ctx(org["compliance"]), forged)
    assert refused.value.code == "placer_is_checker" and _hold(hold).status == HoldStatus.ACTIVE


def test_rule_holds_are_not_released_by_people(org: Org) -> None:
    from clientvault.core.context import system_context

    f = credit_file(org)
    rule_hold = holds.ensure_rule_hold(system_context(), f, "days_overdue")
    assert rule_hold is not None
    with pytest.raises(Conflict) as refused:
        hold_release.request_hold_release(ctx(org["risk"]), hold_id=rule_hold.pk, reason="已还款")
    assert refused.value.code == "rule_hold"


def test_release_request_needs_a_reason_and_scope(org: Org) -> None:
    hold = _forced(org)
    with pytest.raises(ValidationFailed):
        hold_release.request_hold_release(ctx(second_risk_officer(org)), hold_id=hold.pk, reason="")
    with pytest.raises(NotFound):
        hold_release.request_hold_release(ctx(org["risk_other"]), hold_id=hold.pk, reason="试")
    with pytest.raises(NotFound):
        hold_release.request_hold_release(ctx(org["rep_bj1"]), hold_id=hold.pk, reason="试")
