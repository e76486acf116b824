"""Reads: the inbox, one's own requests, one request (its read event), open requests of a target, counts;
the default-deny queryset."""

from __future__ import annotations

from typing import Any

import pytest

from clientvault.approvals import selectors, services
from clientvault.approvals.models import ChangeRequest
from clientvault.approvals.tests import support
from clientvault.core import roles as R
from clientvault.core.errors import NotFound
from clientvault.core.querysets import UnscopedQuery
from clientvault.testing import customers as cf
from clientvault.testing.actors import ctx
from clientvault.testing.organisation import Org

pytestmark = pytest.mark.django_db

MANAGER_1 = [{"stage": 1, "roles": [R.SALES_MANAGER], "required": 1}]


@pytest.fixture
def request_(org: Org) -> ChangeRequest:
    customer = cf.customer(org["rep_bj1"], occupation="教师")
    support.rule(support.OCCUPATION, MANAGER_1)
    return services.submit(ctx(org["rep_bj1"]), support.occupation_proposal(customer, "医生"), reason="r")


def test_change_requests_are_default_deny(request_: ChangeRequest) -> None:
    with pytest.raises(UnscopedQuery):
        list(ChangeRequest.objects.all())


def test_visibility(org: Org, request_: ChangeRequest) -> None:
    def sees(username: str) -> bool:
        return ChangeRequest.objects.visible_to(ctx(org[username])).filter(id=request_.id).exists()

    assert sees("rep_bj1")  # maker
    assert sees("manager_bj") and sees("manager_sh")  # role in the plan, same entity (in_scope is checked on top)
    assert sees("compliance") and sees("auditor")  # oversight of the entity
    assert not sees("rep_bj2") and not sees("rep_other") and not sees("admin") and not sees("norole")


def test_inbox_mine_and_counts(org: Org, request_: ChangeRequest) -> None:
    assert [r.id for r in selectors.inbox(ctx(org["manager_bj"]))] == [request_.id]
    assert list(selectors.inbox(ctx(org["rep_bj1"]))) == []  # the maker never decides
    assert list(selectors.inbox(ctx(org["compliance"]))) == []  # sees it, but the plan does not name compliance
    assert list(selectors.inbox(ctx(org["manager_bj"]), filters={"change_type": support.JOB})) == []
    assert list(selectors.inbox(ctx(org["manager_bj"]), filters={"overdue": True})) == []
    assert [r.id for r in selectors.mine(ctx(org["rep_bj1"]), status="open")] == [request_.id]
    assert selectors.counts(ctx(org["manager_bj"])) == {"inbox": 1, "overdue": 0, "near_due": 0, "mine_open": 0}
    assert selectors.counts(ctx(org["rep_bj1"]))["mine_open"] == 1
    services.approve(ctx(org["manager_bj"]), request_.id)
    assert list(selectors.inbox(ctx(org["manager_bj"]))) == []
    assert list(selectors.mine(ctx(org["rep_bj1"]), status="open")) == []


def test_get_request_records_its_read(org: Org, request_: ChangeRequest, audit_events: Any) -> None:
    view = selectors.get_request(ctx(org["manager_bj"]), request_.id)
    assert [(d.field, d.before, d.after) for d in view.diff] == [("occupation", "教师", "医生")]
    assert view.may_decide and not view.may_withdraw and view.sla == "ok"
    [event] = audit_events("approval.viewed")
    assert event.fields == ["occupation"] and event.customer_id == request_.subject_id
    mine = selectors.get_request(ctx(org["rep_bj1"]), request_.id)
    assert mine.may_withdraw and not mine.may_decide
    with pytest.raises(NotFound):
        selectors.get_request(ctx(org["rep_bj2"]), request_.id)
    with pytest.raises(NotFound):
        selectors.get_request(ctx(org["manager_bj"]), "not-a-uuid")
    assert len(audit_events("approval.viewed")) == 2


def test_open_for_gives_non_personal_summaries(request_: ChangeRequest) -> None:
    [summary] = selectors.open_for("customers.customer", request_.target_id)
    assert summary.id == request_.id and summary.summary == "Occupation change" and summary.status == "submitted"
    assert not hasattr(summary, "values_ct")
    assert selectors.open_for("customers.customer", "elsewhere") == []


def test_a_draft_is_the_makers_alone(org: Org) -> None:
    customer = cf.customer(org["rep_bj1"], occupation="教师")
    support.rule(support.OCCUPATION, MANAGER_1)
    draft = services.submit(ctx(org["rep_bj1"]), support.occupation_proposal(customer, "医生"), reason="r", draft=True)
    for username in ("manager_bj", "compliance", "auditor"):
        with pytest.raises(NotFound):
            selectors.get_request(ctx(org[username]), draft.id)
    assert selectors.get_request(ctx(org["rep_bj1"]), draft.id).may_withdraw
    services.submit_draft(ctx(org["rep_bj1"]), draft.id)
    assert selectors.get_request(ctx(org["manager_bj"]), draft.id).may_decide
