"""Reminders, escalation and expiry (the worker's periodic tasks), the SLA colour, and the schedule entries."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from clientvault.approvals import deadlines, selectors, services, tasks
from clientvault.approvals.models import ChangeRequest
from clientvault.approvals.tests import support
from clientvault.core import clock
from clientvault.core import roles as R
from clientvault.core.errors import Conflict
from clientvault.core.schedule import SCHEDULE
from clientvault.testing import customers as cf
from clientvault.testing.actors import ctx
from clientvault.testing.organisation import Org

pytestmark = pytest.mark.django_db

MANAGER_1 = [{"stage": 1, "roles": [R.SALES_MANAGER], "required": 1}]
MONDAY = dt.datetime(2026, 11, 30, 2, 0, tzinfo=dt.UTC)  # Monday 10:00 in Shanghai


def _reload(request: ChangeRequest) -> ChangeRequest:
    return ChangeRequest.objects.unrestricted(reason="test").get(pk=request.pk)


@pytest.fixture
def request_(org: Org) -> ChangeRequest:
    customer = cf.customer(org["rep_bj1"], occupation="教师")
    support.rule(support.OCCUPATION, MANAGER_1, sla_working_days=2, expire_after_days=7, escalate_to=[R.SALES_MANAGER])
    with clock.travel(MONDAY):
        return services.submit(ctx(org["rep_bj1"]), support.occupation_proposal(customer, "医生"), reason="r")


def test_schedule_runs_the_three_tasks() -> None:
    paths = {e.task_path for e in SCHEDULE}
    assert {
        "clientvault.approvals.tasks.remind_due",
        "clientvault.approvals.tasks.escalate_overdue",
        "clientvault.approvals.tasks.expire_stale",
    } <= paths
    assert all(callable(getattr(tasks, name).call) for name in ("remind_due", "escalate_overdue", "expire_stale"))


def test_remind_once_when_due_within_a_working_day(request_: ChangeRequest, audit_events: Any) -> None:
    assert _reload(request_).due_at == MONDAY + dt.timedelta(days=2)  # Wednesday 10:00
    with clock.travel(MONDAY + dt.timedelta(hours=12)):  # due in more than one working day
        assert deadlines.remind_due() == 0
    with clock.travel(MONDAY + dt.timedelta(days=1, hours=1)):  # Tuesday 11:00: due within one working day
        assert selectors.sla_state(_reload(request_)) == "near"
        assert deadlines.remind_due() == 1
        assert deadlines.remind_due() == 0  # once
    [event] = audit_events("approval.reminded")
    assert event.detail["notified"] == 1  # manager_bj (manager_sh is outside the customer's subtree)
    assert _reload(request_).reminded_at is not None


def test_escalate_overdue_once(request_: ChangeRequest, audit_events: Any) -> None:
    with clock.travel(MONDAY + dt.timedelta(days=1)):
        assert deadlines.escalate_overdue() == 0
        assert selectors.sla_state(_reload(request_)) == "near"
    with clock.travel(MONDAY + dt.timedelta(days=2, minutes=1)):
        assert selectors.sla_state(_reload(request_)) == "overdue"
        assert deadlines.escalate_overdue() == 1
        assert deadlines.escalate_overdue() == 0
    [event] = audit_events("approval.escalated")
    assert event.detail["roles"] == [R.SALES_MANAGER]
    assert event.detail["notified"] == 1  # manager_bj: manager_sh holds the role but the customer is outside his scope
    assert _reload(request_).status == ChangeRequest.Status.SUBMITTED


def test_expire_stale(org: Org, request_: ChangeRequest, audit_events: Any) -> None:
    with clock.travel(MONDAY + dt.timedelta(days=6)):
        assert deadlines.expire_stale() == 0
    with clock.travel(MONDAY + dt.timedelta(days=7, seconds=1)):
        assert tasks.expire_stale.call() == 1  # through the worker's task
    assert _reload(request_).status == ChangeRequest.Status.EXPIRED
    assert len(audit_events("approval.expired")) == 1
    with pytest.raises(Conflict):
        services.approve(ctx(org["manager_bj"]), request_.id)


def test_decided_requests_are_left_alone(org: Org, request_: ChangeRequest, audit_events: Any) -> None:
    services.reject(ctx(org["manager_bj"]), request_.id, reason="no")
    with clock.travel(MONDAY + dt.timedelta(days=30)):
        assert (deadlines.remind_due(), deadlines.escalate_overdue(), deadlines.expire_stale()) == (0, 0, 0)
    assert not audit_events("approval.expired")


def test_notifications_go_out_on_commit(org: Org, request_: ChangeRequest, django_capture_on_commit_callbacks: Any) -> None:
    with django_capture_on_commit_callbacks() as callbacks, clock.travel(MONDAY + dt.timedelta(days=3)):
        deadlines.escalate_overdue()
    assert len(callbacks) == 1  # nothing is sent before the transaction commits


def test_notices_go_to_eligible_approvers_only(org: Org, request_: ChangeRequest) -> None:
    from clientvault.approvals import routing
    from clientvault.testing.organisation import user

    twin = user("mgr_twin_bj", R.SALES_MANAGER, org.bj)
    user("mgr_gone", R.SALES_MANAGER, org.bj, active=False)
    row = _reload(request_)
    # not the maker, not Shanghai's manager (outside the customer's scope), not an inactive account
    assert routing.eligible_users(row, [R.SALES_MANAGER]) == sorted([org["manager_bj"].pk, twin.pk])
    services.approve(ctx(org["manager_bj"]), request_.id)
    assert _reload(request_).status == ChangeRequest.Status.APPLIED
