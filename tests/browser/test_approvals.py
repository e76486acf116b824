"""In Chromium (issue #13): a sales manager lands on the home page, follows the 待审批 card to the inbox, opens
the request (masked diff, trail) and approves it; the change is applied and the trail says so."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from playwright.sync_api import expect

from clientvault.approvals import services
from clientvault.approvals.models import ChangeRequest
from clientvault.approvals.tests import support
from clientvault.core import roles as R
from clientvault.testing.actors import ctx
from clientvault.testing.customers import customer
from clientvault.testing.organisation import PASSWORD, Org
from tests.browser.conftest import Tab

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_a_checker_finds_the_request_on_the_home_page_and_approves_it(open_tab: Callable[[str], Tab], org: Org) -> None:
    target = customer(org["rep_bj1"], name="郑十一", occupation="教师")
    support.rule(support.OCCUPATION, [{"stage": 1, "roles": [R.SALES_MANAGER], "required": 1}], sla_working_days=2)
    request = services.submit(ctx(org["rep_bj1"]), support.occupation_proposal(target, "医生"), reason="客户换了工作")

    tab = open_tab("approvals")
    page = tab.page
    page.goto("/accounts/login/")
    page.fill("#id_username", "manager_bj")
    page.fill("#id_password", PASSWORD)
    page.click("form:has(#id_username) button[type=submit]")
    page.wait_for_url(re.compile(r"/access/purpose/"))
    page.check("[data-testid=purpose-sales_followup]")
    page.click("[data-testid=purpose-submit]")
    page.wait_for_url(re.compile(r"/home/$"))
    card = page.locator("[data-card=approvals]")
    expect(card.locator("[data-testid=card-count]")).to_have_text("1")
    expect(page.locator("[data-testid=inbox-count]")).to_have_text("1")  # 待审批 in the navigation
    expect(page.locator("nav.cv-nav")).to_contain_text("待审批")
    tab.shot("01-home")

    card.locator("[data-testid=card-count]").click()
    page.wait_for_url(re.compile(r"/approvals/$"))
    expect(page.locator("h1")).to_have_text("待审批")
    expect(page.locator("[data-testid=request-row]")).to_have_count(1)
    tab.shot("02-inbox")

    page.click(f"a[href='/approvals/{request.id}/']")
    page.wait_for_url(re.compile(rf"/approvals/{request.id}/$"))
    expect(page.locator("[data-testid=diff]")).to_contain_text("医生")
    expect(page.locator("[data-testid=request-status]")).to_have_text("待审批")
    tab.shot("03-request")

    page.fill("#id_reason", "已核实")
    page.click("[data-testid=approve]")
    page.wait_for_url(re.compile(rf"/approvals/{request.id}/$"))
    expect(page.locator("[data-testid=request-status]")).to_have_text("已生效")
    expect(page.locator("[data-testid=trail]")).to_contain_text("已核实")
    tab.shot("04-applied")
    assert ChangeRequest.objects.unrestricted(reason="test").get(pk=request.id).status == ChangeRequest.Status.APPLIED
    tab.assert_clean()
