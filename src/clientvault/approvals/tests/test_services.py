"""Maker-checker services: submit, approve (stages, n-of-m, supervisor re-check), reject, withdraw, apply
in a savepoint (stale → failed), duplicates refused, scope (404), and the event each transition leaves."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from clientvault.approvals import selectors, services
from clientvault.approvals.models import ChangeRequest, Decision
from clientvault.approvals.registry import Facts
from clientvault.approvals.tests import support
from clientvault.core import clock
from clientvault.core import roles as R
from clientvault.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from clientvault.core.models import ScheduledJob
from clientvault.crypto import cipher
from clientvault.testing import customers as cf
from clientvault.testing.actors import ctx
from clientvault.testing.organisation import Org, second_officer, user

pytestmark = pytest.mark.django_db

MANAGER_1 = [{"stage": 1, "roles": [R.SALES_MANAGER], "required": 1}]
COMPLIANCE_1 = [{"stage": 1, "roles": [R.COMPLIANCE_OFFICER], "required": 1}]


def _reload(request: ChangeRequest) -> ChangeRequest:
    return ChangeRequest.objects.unrestricted(reason="test").get(pk=request.pk)


def _occupation(c: Any) -> str:
    return str(cf.reload(c).occupation)


@pytest.fixture
def customer(org: Org) -> Any:
    return cf.customer(org["rep_bj1"], occupation="教师")


def test_submit_seals_values_routes_and_records(org: Org, customer: Any, audit_events: Any) -> None:
    support.rule(support.OCCUPATION, MANAGER_1)
    request = services.submit(ctx(org["rep_bj1"]), support.occupation_proposal(customer, "医生"), reason="customer asked")
    row = _reload(request)
    assert row.status == ChangeRequest.Status.SUBMITTED
    assert b"\xe5\x8c\xbb\xe7\x94\x9f" not in bytes(row.values_ct)  # "医生" is not stored in clear
    text = cipher.decrypt(customer.pk, "approvals.changerequest", "values", bytes(row.values_ct), row=row.id)
    assert "医生" in text
    assert row.plan == [{"stage": 1, "roles": [R.SALES_MANAGER], "required": 1}]
    assert row.due_at is not None and row.expires_at is not None
    [event] = audit_events("approval.submitted")
    assert event.customer_id == customer.pk and event.fields == ["customer.occupation"]
    assert event.detail["change_type"] == support.OCCUPATION
    assert "医生" not in str(event.detail)
    assert _occupation(customer) == "教师"  # nothing written until approved


def test_no_matching_rule_is_refused_and_needs_approval_says_so(org: Org, customer: Any) -> None:
    support.rule(support.OCCUPATION, MANAGER_1, conditions={"min_amount_minor": 1000})
    facts = Facts(legal_entity_id=customer.legal_entity_id, amount_minor=999)
    assert not services.needs_approval(support.OCCUPATION, facts)
    assert services.needs_approval(support.OCCUPATION, Facts(legal_entity_id=customer.legal_entity_id, amount_minor=1000))
    with pytest.raises(ValidationFailed):
        services.submit(ctx(org["rep_bj1"]), support.occupation_proposal(customer, "医生", amount_minor=5), reason="x")
    assert not ChangeRequest.objects.unrestricted(reason="test").exists()


def test_approve_applies_through_the_owning_service(org: Org, customer: Any, audit_events: Any) -> None:
    support.rule(support.OCCUPATION, MANAGER_1)
    request = services.submit(ctx(org["rep_bj1"]), support.occupation_proposal(customer, "医生"), reason="r")
    services.approve(ctx(org["manager_bj"]), request.id, reason="ok")
    row = _reload(request)
    assert row.status == ChangeRequest.Status.APPLIED and row.applied_at is not None
    assert _occupation(customer) == "医生"
    assert [e.event_type for e in audit_events() if e.event_type.startswith(("approval.", "customer.updated"))] == [
        "approval.submitted",
        "approval.approved",
        "customer.updated",
        "approval.applied",
    ]
    [decision] = Decision.objects.filter(request=row)
    assert decision.approver == org["manager_bj"] and decision.approver_role == R.SALES_MANAGER and decision.stage == 1


def test_maker_cannot_approve_own_request(org: Org, customer: Any) -> None:
    maker = user("mgr_maker", R.SALES_MANAGER, org.bj)
    support.rule(support.OCCUPATION, MANAGER_1)
    request = services.submit(ctx(maker), support.occupation_proposal(customer, "医生"), reason="r")
    with pytest.raises(PermissionDenied) as refused:
        services.approve(ctx(maker), request.id)
    assert refused.value.code == "maker_is_checker"
    assert _reload(request).status == ChangeRequest.Status.SUBMITTED
    assert not Decision.objects.exists()


def test_withdraw_only_by_maker(org: Org, customer: Any, audit_events: Any) -> None:
    support.rule(support.OCCUPATION, MANAGER_1)
    request = services.submit(ctx(org["rep_bj1"]), support.occupation_proposal(customer, "医生"), reason="r")
    with pytest.raises(PermissionDenied):
        services.withdraw(ctx(org["manager_bj"]), request.id)
    services.withdraw(ctx(org["rep_bj1"]), request.id)
    assert _reload(request).status == ChangeRequest.Status.WITHDRAWN
    assert len(audit_events("approval.withdrawn")) == 1
    with pytest.raises(Conflict):
        services.withdraw(ctx(org["rep_bj1"]), request.id)
    with pytest.raises(Conflict):
        services.approve(ctx(org["manager_bj"]), request.id)


def test_reject_needs_a_reason(org: Org, customer: Any, audit_events: Any) -> None:
    support.rule(support.OCCUPATION, MANAGER_1)
    request = services.submit(ctx(org["rep_bj1"]), support.occupation_proposal(customer, "医生"), reason="r")
    with pytest.raises(ValidationFailed) as missing:
        services.reject(ctx(org["manager_bj"]), request.id, reason="  ")
    assert "reason" in missing.value.fields
    services.reject(ctx(org["manager_bj"]), request.id, reason="no evidence")
    row = _reload(request)
    assert row.status == ChangeRequest.Status.REJECTED
    assert Decision.objects.get(request=row).outcome == Decision.Outcome.REJECT
    assert len(audit_events("approval.rejected")) == 1
    assert _occupation(customer) == "教师"


def test_duplicate_open_request_is_a_conflict(org: Org, customer: Any) -> None:
    support.rule(support.OCCUPATION, MANAGER_1)
    services.submit(ctx(org["rep_bj1"]), support.occupation_proposal(customer, "医生"), reason="r")
    with pytest.raises(Conflict) as conflict:
        services.submit(ctx(org["rep_bj2"]), support.occupation_proposal(customer, "律师"), reason="r")
    assert conflict.value.code == "already_waiting"
    assert ChangeRequest.objects.unrestricted(reason="test").count() == 1


def test_draft_then_submit_then_duplicate_draft_conflicts_on_submit(org: Org, customer: Any, audit_events: Any) -> None:
    support.rule(support.OCCUPATION, MANAGER_1)
    draft = services.submit(ctx(org["rep_bj1"]), support.occupation_proposal(customer, "医生"), reason="r", draft=True)
    other = services.submit(ctx(org["rep_bj1"]), support.occupation_proposal(customer, "律师"), reason="r", draft=True)
    assert _reload(draft).status == ChangeRequest.Status.DRAFT and _reload(draft).due_at is None
    assert len(audit_events("approval.drafted")) == 2
    with pytest.raises(NotFound):  # a draft is the maker's alone
        services.submit_draft(ctx(org["manager_bj"]), draft.id)
    services.submit_draft(ctx(org["rep_bj1"]), draft.id)
    assert _reload(draft).status == ChangeRequest.Status.SUBMITTED
    with pytest.raises(Conflict):
        services.submit_draft(ctx(org["rep_bj1"]), other.id)
    assert _reload(other).status == ChangeRequest.Status.DRAFT


def test_stale_target_fails_with_reason_and_is_untouched(org: Org, customer: Any, audit_events: Any) -> None:
    support.rule(support.OCCUPATION, MANAGER_1)
    request = services.submit(ctx(org["rep_bj1"]), support.occupation_proposal(customer, "医生"), reason="r")
    from clientvault.customers import profiles

    profiles.update_customer(ctx=ctx(org["rep_bj1"]), customer_id=customer.pk, changes={"occupation": "工程师"})
    services.approve(ctx(org["manager_bj"]), request.id)
    row = _reload(request)
    assert row.status == ChangeRequest.Status.FAILED
    assert row.failure_reason == str(services.STALE)
    assert _occupation(customer) == "工程师"
    [failed] = audit_events("approval.failed")
    assert failed.detail["why"] == "stale"
    assert not audit_events("approval.applied")


def test_refusing_apply_rolls_back_its_writes(org: Org, customer: Any, audit_events: Any) -> None:
    support.rule(support.JOB, MANAGER_1)
    job = ScheduledJob.objects.create(name="approvals-test-job")
    request = services.submit(ctx(org["rep_bj1"]), support.job_proposal(customer, job, "refuse"), reason="r")
    services.approve(ctx(org["manager_bj"]), request.id)
    job.refresh_from_db()
    assert job.last_enqueued_at is None  # apply wrote, then refused: the savepoint undid it
    row = _reload(request)
    assert row.status == ChangeRequest.Status.FAILED and row.failure_reason
    assert audit_events("approval.failed")[0].detail["why"] == "validation_failed"


def test_job_type_applies_to_a_real_row(org: Org, customer: Any) -> None:
    support.rule(support.JOB, MANAGER_1)
    job = ScheduledJob.objects.create(name="approvals-test-job2")
    at = "2031-05-06T07:08:09+00:00"
    request = services.submit(ctx(org["rep_bj1"]), support.job_proposal(customer, job, at), reason="r")
    services.approve(ctx(org["manager_bj"]), request.id)
    job.refresh_from_db()
    assert job.last_enqueued_at == dt.datetime.fromisoformat(at)
    assert _reload(request).status == ChangeRequest.Status.APPLIED


def test_two_of_three_then_sequential_stage(org: Org, customer: Any, audit_events: Any) -> None:
    managers = [org["manager_bj"], user("mgr_b", R.SALES_MANAGER, org.bj), user("mgr_c", R.SALES_MANAGER, org.bj)]
    c2 = second_officer(org)
    support.rule(
        support.OCCUPATION,
        [{"stage": 1, "roles": [R.SALES_MANAGER], "required": 2}, {"stage": 2, "roles": [R.SALES_MANAGER], "required": 1}],
    )
    support.rule(support.JOB, [*MANAGER_1, {"stage": 2, "roles": [R.COMPLIANCE_OFFICER], "required": 1}])
    request = services.submit(ctx(org["rep_bj1"]), support.occupation_proposal(customer, "医生"), reason="r")
    services.approve(ctx(managers[0]), request.id)
    assert _reload(request).stage == 1
    with pytest.raises(Conflict):  # one decision per person
        services.approve(ctx(managers[0]), request.id)
    services.approve(ctx(managers[1]), request.id)
    assert _reload(request).stage == 2 and _reload(request).status == ChangeRequest.Status.SUBMITTED
    with pytest.raises(Conflict):  # who decided in stage 1 does not decide stage 2 too
        services.approve(ctx(managers[1]), request.id)
    services.approve(ctx(managers[2]), request.id)
    assert _reload(request).status == ChangeRequest.Status.APPLIED
    assert len(audit_events("approval.approved")) == 3
    # stages in order: compliance cannot act on stage 1 of a manager-then-compliance plan
    job = ScheduledJob.objects.create(name="approvals-test-seq")
    other = services.submit(ctx(org["rep_bj1"]), support.job_proposal(customer, job, "2031-01-01T00:00:00+00:00"), reason="r")
    with pytest.raises(PermissionDenied):
        services.approve(ctx(c2), other.id)
    services.approve(ctx(org["manager_bj"]), other.id)
    services.approve(ctx(c2), other.id)
    assert _reload(other).status == ChangeRequest.Status.APPLIED


def test_parallel_steps_in_one_stage(org: Org, customer: Any) -> None:
    support.rule(
        support.OCCUPATION,
        [{"stage": 1, "roles": [R.SALES_MANAGER], "required": 1}, {"stage": 1, "roles": [R.COMPLIANCE_OFFICER], "required": 1}],
    )
    request = services.submit(ctx(org["rep_bj1"]), support.occupation_proposal(customer, "医生"), reason="r")
    services.approve(ctx(org["compliance"]), request.id)
    row = _reload(request)
    assert row.status == ChangeRequest.Status.SUBMITTED and row.stage == 1
    with pytest.raises(PermissionDenied):  # the compliance step is full; a second officer is not needed
        services.approve(ctx(second_officer(org)), request.id)
    services.approve(ctx(org["manager_bj"]), request.id)
    assert _reload(request).status == ChangeRequest.Status.APPLIED


def test_supervisor_recheck_above_threshold(org: Org, customer: Any) -> None:
    support.rule(support.JOB, MANAGER_1, supervisor_threshold_minor=500, supervisor_roles=[R.COMPLIANCE_OFFICER])
    small_job = ScheduledJob.objects.create(name="approvals-small")
    big_job = ScheduledJob.objects.create(name="approvals-big")
    at = "2031-01-01T00:00:00+00:00"
    small = services.submit(ctx(org["rep_bj1"]), support.job_proposal(customer, small_job, at, amount_minor=499), reason="r")
    big = services.submit(ctx(org["rep_bj1"]), support.job_proposal(customer, big_job, at, amount_minor=500), reason="r")
    assert _reload(small).last_stage == 1
    assert _reload(big).plan[-1] == {"stage": 2, "roles": [R.COMPLIANCE_OFFICER], "required": 1, "supervisor": True}
    services.approve(ctx(org["manager_bj"]), small.id)
    services.approve(ctx(org["manager_bj"]), big.id)
    assert _reload(small).status == ChangeRequest.Status.APPLIED
    assert _reload(big).status == ChangeRequest.Status.SUBMITTED and _reload(big).stage == 2
    services.approve(ctx(org["compliance"]), big.id)
    assert _reload(big).status == ChangeRequest.Status.APPLIED


def test_approver_outside_scope_gets_not_found(org: Org, customer: Any) -> None:
    support.rule(support.OCCUPATION, MANAGER_1)
    request = services.submit(ctx(org["rep_bj1"]), support.occupation_proposal(customer, "医生"), reason="r")
    # manager_sh holds the plan's role in the same legal entity, but the customer is outside Shanghai's subtree
    for action in (lambda c: services.approve(c, request.id), lambda c: services.reject(c, request.id, reason="x")):
        with pytest.raises(NotFound):
            action(ctx(org["manager_sh"]))
    with pytest.raises(NotFound):
        selectors.get_request(ctx(org["manager_sh"]), request.id)
    assert request.id not in {r.id for r in selectors.inbox(ctx(org["manager_sh"]))}
    assert request.id in {r.id for r in selectors.inbox(ctx(org["manager_bj"]))}
    # another legal entity does not see it at all
    with pytest.raises(NotFound):
        services.approve(ctx(org["rep_other"]), request.id)


def test_approver_without_the_stage_role_is_refused(org: Org, customer: Any) -> None:
    support.rule(support.OCCUPATION, MANAGER_1)
    request = services.submit(ctx(org["rep_bj1"]), support.occupation_proposal(customer, "医生"), reason="r")
    with pytest.raises(PermissionDenied):  # compliance sees every request of the entity, decides none of this plan
        services.approve(ctx(org["compliance"]), request.id)
    with pytest.raises(NotFound):  # a rep of the department is neither maker nor in the plan
        services.approve(ctx(org["rep_bj2"]), request.id)


def test_timestamps_follow_the_clock(org: Org, customer: Any) -> None:
    support.rule(support.OCCUPATION, MANAGER_1, sla_working_days=2, expire_after_days=10)
    friday = dt.datetime(2026, 12, 4, 2, 0, tzinfo=dt.UTC)  # Friday 10:00 in Shanghai
    with clock.travel(friday):
        request = services.submit(ctx(org["rep_bj1"]), support.occupation_proposal(customer, "医生"), reason="r")
    row = _reload(request)
    assert row.due_at == dt.datetime(2026, 12, 8, 2, 0, tzinfo=dt.UTC)  # Tuesday: the weekend does not count
    assert row.expires_at == friday + dt.timedelta(days=10)
