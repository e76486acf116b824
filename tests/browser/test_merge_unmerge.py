"""In Chromium, end to end (issue #14): a sales manager compares two records of one person and proposes the
merge (maker); a compliance officer approves it (checker); the survivor shows the merged data and where it came
from; the manager asks for the unmerge from the merge's page; compliance approves; both records are back."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from playwright.sync_api import expect

from clientvault.approvals.models import ChangeRequest
from clientvault.customers.models import Customer
from clientvault.merges.models import Merge, MergeStatus
from clientvault.testing.customers import all_rows, customer, followup
from clientvault.testing.organisation import Org
from tests.browser.conftest import Tab
from tests.browser.test_audit_trail import _sign_in_with_second_factor
from tests.browser.test_maker_checker_ledger import _sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _approve(officer: Tab, request: ChangeRequest, step: str) -> None:
    page = officer.page
    page.goto(f"/approvals/{request.pk}/")
    expect(page.locator("[data-testid=request-status]")).to_have_text("待审批")
    page.fill("#id_reason", "已核实")
    officer.shot(f"{step}-request")
    page.click("[data-testid=approve]")
    page.wait_for_url(re.compile(rf"/approvals/{request.pk}/$"))
    expect(page.locator("[data-testid=request-status]")).to_have_text("已生效")


def test_merge_then_unmerge_through_two_people(open_tab: Callable[[str], Tab], org: Org) -> None:
    first = customer(org["rep_bj1"], name="欧阳明轩", mobile="", email="")
    second = customer(org["rep_bj1"], name="欧阳明轩", id_number="", id_type="", birth_date=None, sex="", mobile="13912345678")
    followup(first, org["rep_bj1"], summary="网点开户")
    followup(second, org["rep_bj1"], summary="客户咨询理财产品")

    manager = open_tab("merge-manager")
    _sign_in(manager, "manager_bj")
    page = manager.page
    page.goto(f"/merges/propose/?ids={first.pk},{second.pk}")
    expect(page.locator("[data-testid=comparison] tr[data-field=mobile]")).to_be_visible()
    page.fill("[data-testid=merge-reason]", "同一客户，重复录入")
    manager.shot("01-compare")
    page.click("[data-testid=merge-submit]")
    page.wait_for_url(re.compile(r"/approvals/[0-9a-f-]{36}/$"))
    expect(page.locator("[data-testid=request-status]")).to_have_text("待审批")
    manager.assert_clean()
    request = ChangeRequest.objects.unrestricted(reason="test: the request the page made").get(change_type="merges.merge")
    assert request.maker_id == org["manager_bj"].pk

    officer = open_tab("merge-compliance")
    _sign_in_with_second_factor(officer, "compliance", "compliance_review")
    _approve(officer, request, "02")
    merge = Merge.objects.get(request=request)
    assert merge.status == MergeStatus.APPLIED
    officer.page.goto(f"/customers/{first.pk}/")
    expect(officer.page.locator("[data-testid=merged-from]")).to_be_visible()
    expect(officer.page.locator("#followup-count")).to_have_text("2")  # the twin's follow-up moved over
    officer.shot("03-survivor")
    assert all_rows(Customer).get(pk=second.pk).merged_into_id == first.pk

    page.goto(f"/customers/{second.pk}/")
    expect(page.locator("h1")).not_to_contain_text("欧阳")  # merged away: out of every list and page (404)
    page.goto(f"/merges/{merge.pk}/")
    expect(page.locator("[data-testid=merge-status]")).to_have_text(str(MergeStatus.APPLIED.label))
    page.fill("[data-testid=unmerge-reason]", "并非同一人")
    manager.shot("04-merge")
    page.click("[data-testid=unmerge-submit]")
    page.wait_for_url(re.compile(r"/approvals/[0-9a-f-]{36}/$"))
    undo = ChangeRequest.objects.unrestricted(reason="test: the request the page made").get(change_type="merges.unmerge")

    _approve(officer, undo, "05")
    assert Merge.objects.get(pk=merge.pk).status == MergeStatus.UNMERGED
    page.goto(f"/customers/{second.pk}/")
    expect(page.locator("#followup-count")).to_have_text("1")  # back with its own follow-up
    manager.shot("06-restored")
    assert all_rows(Customer).get(pk=second.pk).merged_into_id is None
    manager.assert_clean(allow=("404",))
    officer.assert_clean()
