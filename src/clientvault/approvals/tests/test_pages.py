"""The approvals pages (issue #13): inbox with SLA colouring and filters, my requests, the request page (masked
diff, trail, ``approval.viewed``), approve / reject / withdraw through the UI with their events, refusals as 404,
the navigation's 待审批 count and the home page's approval cards."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from django.test import Client

from clientvault.approvals import services
from clientvault.approvals.models import ChangeRequest, Decision
from clientvault.approvals.tests import support
from clientvault.core import clock
from clientvault.core import roles as R
from clientvault.testing import customers as cf
from clientvault.testing.actors import ctx, sign_in_verified
from clientvault.testing.organisation import Org

pytestmark = pytest.mark.django_db

MANAGER_1 = [{"stage": 1, "roles": [R.SALES_MANAGER], "required": 1}]


@pytest.fixture
def cr(org: Org) -> ChangeRequest:
    customer = cf.customer(org["rep_bj1"], occupation="教师")
    support.rule(support.OCCUPATION, MANAGER_1, sla_working_days=2)
    return services.submit(ctx(org["rep_bj1"]), support.occupation_proposal(customer, "医生"), reason="客户换了工作")


def _client(org: Org, username: str) -> Client:
    client = Client()
    sign_in_verified(client, org[username])
    return client


def _due(cr: ChangeRequest) -> dt.datetime:
    assert cr.due_at is not None
    return cr.due_at


def _occupation(org: Org, cr: ChangeRequest) -> str:
    from clientvault.customers import selectors

    return str(selectors.get_customer(ctx(org["rep_bj1"]), cr.subject_id).occupation)


def test_the_inbox_lists_what_waits_for_the_checker_with_its_sla_colour(org: Org, cr: ChangeRequest) -> None:
    manager = _client(org, "manager_bj")
    page = manager.get("/approvals/").content.decode()
    assert f"/approvals/{cr.id}/" in page and 'data-sla="ok"' in page
    assert re.search(r'data-testid="inbox-count">1<', page)  # the navigation's 待审批 count
    assert "待审批" in page
    # Past the due date the row turns red and the overdue filter finds it; the near filter does not.
    with clock.travel(_due(cr) + dt.timedelta(hours=1)):
        late = manager.get("/approvals/").content.decode()
        assert 'data-sla="overdue"' in late and "cv-sla-badge-overdue" in late
        assert f"/approvals/{cr.id}/" in manager.get("/approvals/?due=overdue").content.decode()
        assert f"/approvals/{cr.id}/" not in manager.get("/approvals/?due=near").content.decode()
    with clock.travel(_due(cr) - dt.timedelta(hours=2)):
        assert 'data-sla="near"' in manager.get("/approvals/").content.decode()
    # The maker never sees their own request in their inbox, but in "my requests".
    maker = _client(org, "rep_bj1")
    assert f"/approvals/{cr.id}/" not in maker.get("/approvals/").content.decode()
    assert f"/approvals/{cr.id}/" in maker.get("/approvals/mine/?status=open").content.decode()
    assert f"/approvals/{cr.id}/" not in maker.get("/approvals/mine/?status=applied").content.decode()


def test_viewing_the_request_page_leaves_approval_viewed_and_shows_the_diff_and_forms(
    org: Org, cr: ChangeRequest, audit_events: Any
) -> None:
    page = _client(org, "manager_bj").get(f"/approvals/{cr.id}/")
    assert page.status_code == 200
    body = page.content.decode()
    assert "教师" in body and "医生" in body  # the test change type shows the field in clear
    assert 'data-testid="decide-form"' in body and 'data-testid="withdraw-form"' not in body
    [viewed] = audit_events("approval.viewed")
    assert viewed.actor_id == org["manager_bj"].pk and viewed.customer_id == cr.subject_id and viewed.channel == "web"
    maker_page = _client(org, "rep_bj1").get(f"/approvals/{cr.id}/").content.decode()
    assert 'data-testid="withdraw-form"' in maker_page and 'data-testid="decide-form"' not in maker_page


@pytest.mark.parametrize("username", ["rep_bj2", "manager_sh", "rep_other", "admin", "norole", "risk"])
def test_people_without_sight_of_the_request_get_404_and_nothing_is_recorded(
    org: Org, cr: ChangeRequest, audit_events: Any, username: str
) -> None:
    client = _client(org, username)
    assert client.get(f"/approvals/{cr.id}/").status_code == 404
    assert client.post(f"/approvals/{cr.id}/approve/", {"reason": "x"}).status_code == 404
    assert audit_events("approval.viewed") == [] and audit_events("approval.approved") == []


def test_approving_through_the_ui_leaves_approval_approved_and_applies_the_change(org: Org, cr: ChangeRequest, audit_events: Any) -> None:
    response = _client(org, "manager_bj").post(f"/approvals/{cr.id}/approve/", {"reason": "核实无误"})
    assert response.status_code == 302 and response["Location"] == f"/approvals/{cr.id}/"
    [approved] = audit_events("approval.approved")
    assert approved.actor_id == org["manager_bj"].pk and approved.channel == "web"
    assert len(audit_events("approval.applied")) == 1
    assert ChangeRequest.objects.unrestricted(reason="test").get(pk=cr.id).status == ChangeRequest.Status.APPLIED
    assert _occupation(org, cr) == "医生"
    trail = _client(org, "rep_bj1").get(f"/approvals/{cr.id}/").content.decode()
    assert "核实无误" in trail and 'data-testid="decision"' in trail and "已生效" in trail


def test_the_maker_cannot_approve_their_own_request_through_the_ui(org: Org, cr: ChangeRequest, audit_events: Any) -> None:
    assert _client(org, "rep_bj1").post(f"/approvals/{cr.id}/approve/", {}).status_code == 404
    assert not Decision.objects.filter(request_id=cr.id).exists() and audit_events("approval.approved") == []


def test_a_rejection_needs_a_reason_said_on_the_form(org: Org, cr: ChangeRequest, audit_events: Any) -> None:
    client = _client(org, "manager_bj")
    refused = client.post(f"/approvals/{cr.id}/reject/", {"reason": " "})
    assert refused.status_code == 422 and "请说明驳回原因" in refused.content.decode()
    assert audit_events("approval.rejected") == [] and not Decision.objects.filter(request_id=cr.id).exists()
    assert client.post(f"/approvals/{cr.id}/reject/", {"reason": "材料不全"}).status_code == 302
    [rejected] = audit_events("approval.rejected")
    assert rejected.actor_id == org["manager_bj"].pk
    assert ChangeRequest.objects.unrestricted(reason="test").get(pk=cr.id).status == ChangeRequest.Status.REJECTED
    assert _occupation(org, cr) == "教师"
    # Deciding again: the request no longer waits — said as a message, nothing written.
    again = client.post(f"/approvals/{cr.id}/approve/", {}, follow=True)
    assert again.status_code == 200 and "已不在待审批状态" in again.content.decode()
    assert len(audit_events("approval.approved")) == 0


def test_only_the_maker_withdraws(org: Org, cr: ChangeRequest, audit_events: Any) -> None:
    assert _client(org, "manager_bj").post(f"/approvals/{cr.id}/withdraw/", {}).status_code == 404
    assert _client(org, "rep_bj1").post(f"/approvals/{cr.id}/withdraw/", {"reason": "不改了"}).status_code == 302
    [withdrawn] = audit_events("approval.withdrawn")
    assert withdrawn.actor_id == org["rep_bj1"].pk
    assert ChangeRequest.objects.unrestricted(reason="test").get(pk=cr.id).status == ChangeRequest.Status.WITHDRAWN


def _cards(page: str) -> dict[str, int]:
    return {k: int(n) for k, n in re.findall(r'data-card="([a-z_]+)".*?data-testid="card-count">(\d+)<', page, re.S)}


def test_the_home_page_shows_approvals_waiting_and_my_open_requests(org: Org, cr: ChangeRequest) -> None:
    manager = _cards(_client(org, "manager_bj").get("/home/").content.decode())
    assert manager["approvals"] == 1 and manager["my_requests"] == 0
    maker = _cards(_client(org, "rep_bj1").get("/home/").content.decode())
    assert maker["approvals"] == 0 and maker["my_requests"] == 1
    with clock.travel(_due(cr) + dt.timedelta(hours=1)):
        page = _client(org, "manager_bj").get("/home/").content.decode()
        assert 'href="/approvals/?due=overdue" data-testid="card-part">1 逾期' in page
    assert "approvals" not in _cards(_client(org, "admin").get("/home/").content.decode())  # no approvals capability


def test_the_approver_is_notified_and_the_bell_counts_it(org: Org, django_capture_on_commit_callbacks: Any) -> None:
    customer = cf.customer(org["rep_bj1"], occupation="教师")
    support.rule(support.OCCUPATION, MANAGER_1)
    with django_capture_on_commit_callbacks(execute=True):
        cr = services.submit(ctx(org["rep_bj1"]), support.occupation_proposal(customer, "医生"), reason="r")
    page = _client(org, "manager_bj").get("/home/notifications/").content.decode()
    assert f"/approvals/{cr.id}/" not in page  # the link is behind the "open" button, not in the markup
    assert re.search(r'data-testid="bell-count">1<', page)
