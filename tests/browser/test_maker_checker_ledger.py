"""In Chromium, end to end (issue #13): a rep asks for a deposit above the approval threshold (maker), the
team's manager approves it from the 待审批 inbox (checker), the movement is applied, the asset's ledger shows the
entry with its running balance and the approved request, and compliance finds the decision in the audit trail."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from playwright.sync_api import expect

from clientvault.approvals.models import ChangeRequest
from clientvault.assets.models import LedgerEntry
from clientvault.testing.assets import open_asset
from clientvault.testing.customers import customer
from clientvault.testing.organisation import PASSWORD, Org
from tests.browser.conftest import Tab
from tests.browser.test_audit_trail import _sign_in_with_second_factor

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _sign_in(tab: Tab, username: str) -> None:
    page = tab.page
    page.goto("/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("form:has(#id_username) button[type=submit]")
    page.wait_for_url(re.compile(r"/access/purpose/"))
    page.check("[data-testid=purpose-sales_followup]")
    page.click("[data-testid=purpose-submit]")
    page.wait_for_url(re.compile(r"/home/$"))


def test_maker_checker_applied_in_the_ledger_and_the_trail(open_tab: Callable[[str], Tab], org: Org) -> None:
    c = customer(org["rep_bj1"], name="审批 流程客户")
    asset = open_asset(c, identifier="6222020200998877665", product="大额存单", balance=50_000_000)  # CNY 500,000.00

    # The maker: a deposit of CNY 1,500,000.00 is above the seeded assets.movement rule (≥ 1,000,000.00).
    rep = open_tab("maker-checker-rep")
    _sign_in(rep, "rep_bj1")
    page = rep.page
    page.goto(f"/assets/{asset.pk}/")
    page.select_option("#id_kind", "deposit")
    page.fill("#id_amount", "1500000.00")
    page.fill("[data-testid=move-form] #id_reason", "客户转入定期资金")
    page.click("[data-testid=move-submit]")
    page.wait_for_url(re.compile(rf"/assets/{asset.pk}/$"))
    expect(page.locator(".alert-info")).to_contain_text("已提交审批")
    expect(page.locator("[data-testid=asset-balance]")).to_have_text("500,000.00")  # nothing posted yet
    expect(page.locator("[data-testid=pending-requests]")).to_be_visible()
    rep.shot("01-submitted")
    request = ChangeRequest.objects.unrestricted(reason="test: the request the page made").get(change_type="assets.movement")
    assert request.status == ChangeRequest.Status.SUBMITTED and request.maker_id == org["rep_bj1"].pk
    rep.assert_clean()

    # The checker: the manager finds it in the inbox and approves it with a reason.
    manager = open_tab("maker-checker-manager")
    _sign_in(manager, "manager_bj")
    mpage = manager.page
    expect(mpage.locator("[data-testid=inbox-count]")).to_have_text("1")
    mpage.goto("/approvals/")
    expect(mpage.locator("[data-testid=request-row]")).to_have_count(1)
    mpage.click(f"a[href='/approvals/{request.id}/']")
    mpage.wait_for_url(re.compile(rf"/approvals/{request.id}/$"))
    expect(mpage.locator("[data-testid=request-status]")).to_have_text("待审批")
    manager.shot("02-request")
    mpage.fill("#id_reason", "已电话核实资金来源")
    mpage.click("[data-testid=approve]")
    mpage.wait_for_url(re.compile(rf"/approvals/{request.id}/$"))
    expect(mpage.locator("[data-testid=request-status]")).to_have_text("已生效")
    expect(mpage.locator("[data-testid=trail]")).to_contain_text("已电话核实资金来源")
    manager.shot("03-applied")
    manager.assert_clean()

    # Applied: the ledger shows the entry, its running balance and the request that allowed it.
    page.goto(f"/assets/{asset.pk}/")
    expect(page.locator("[data-testid=asset-balance]")).to_have_text("2,000,000.00")
    expect(page.locator("[data-testid=running-balance]").first).to_have_text("2,000,000.00")
    expect(page.locator("[data-testid=approval-link]").first).to_have_attribute("href", f"/approvals/{request.id}/")
    rep.shot("04-ledger")
    entry = LedgerEntry.objects.get(asset_id=asset.pk, approval_id=request.id)
    # The maker is the operator; the approved request is the authority the entry carries.
    assert (entry.amount, entry.balance_after, entry.operator_id) == (150_000_000, 200_000_000, org["rep_bj1"].pk)
    rep.assert_clean()

    # The audit trail: compliance sees the submission, the approval and the application for this customer.
    officer = open_tab("maker-checker-compliance")
    _sign_in_with_second_factor(officer, "compliance", "compliance_review")
    opage = officer.page
    opage.goto(f"/audit/customers/{c.pk}/")
    rows = opage.locator("[data-testid=audit-row]")
    for label in ("变更申请已提交审批", "复核人批准了变更申请", "已批准的变更已生效"):
        expect(rows.filter(has_text=label).first).to_be_visible()
    officer.shot("05-trail")
    officer.assert_clean()
