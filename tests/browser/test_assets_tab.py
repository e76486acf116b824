"""In Chromium, in Chinese: a rep opens a customer's Assets tab, posts a deposit and sees it in the ledger with
its running balance; the team's manager sees the same holding with the account number masked."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from playwright.sync_api import expect

from clientvault.testing.assets import open_asset
from clientvault.testing.customers import customer
from clientvault.testing.organisation import PASSWORD, Org
from tests.browser.conftest import Tab

# The live server needs committed data (transaction=True); the organisation fixture reseeds the catalogues the
# flush removes (serialized_rollback trips over the append-only catalogue versions here).
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
SIGN_IN_BUTTON = "form:has(#id_username) button[type=submit]"
IDENTIFIER = "6222020200112233445"


def _sign_in(tab: Tab, username: str) -> None:
    page = tab.page
    page.goto("/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click(SIGN_IN_BUTTON)
    page.wait_for_url(re.compile(r"/access/purpose/"))
    page.check("[data-testid=purpose-sales_followup]")
    page.click("[data-testid=purpose-submit]")
    page.wait_for_url(re.compile(r"/(home|customers)/"))  # the role's landing page


def test_rep_posts_a_deposit_and_the_manager_sees_the_account_masked(open_tab: Callable[[str], Tab], org: Org) -> None:
    c = customer(org["rep_bj1"], name="资产 测试客户")
    asset = open_asset(c, identifier=IDENTIFIER, product="活期储蓄", balance=1_000_000)
    open_asset(c, kind="fund", identifier="F20260001", product="稳健增利债券基金", balance=250_000)

    rep = open_tab("assets-rep")
    _sign_in(rep, "rep_bj1")
    page = rep.page
    page.goto(f"/customers/{c.pk}/")
    page.click("[data-testid=tab-assets]")
    page.wait_for_url(re.compile(rf"/assets/customers/{c.pk}/"))
    expect(page.locator("h1")).to_have_text("客户资产")
    expect(page.locator("[data-testid=holding]")).to_have_count(2)
    expect(page.locator("[data-testid=plain-identifier]").first).to_have_text(IDENTIFIER)
    rep.shot("tab")

    page.click(f"[data-testid=holding][data-asset='{asset.pk}'] a")
    page.wait_for_url(re.compile(rf"/assets/{asset.pk}/"))
    page.select_option("#id_kind", "deposit")
    page.fill("#id_amount", "2500.50")
    page.fill("[data-testid=move-form] #id_reason", "工资入账")
    page.click("[data-testid=move-submit]")
    page.wait_for_url(re.compile(rf"/assets/{asset.pk}/$"))
    expect(page.locator(".alert-success")).to_contain_text("已入账")
    expect(page.locator("[data-testid=asset-balance]")).to_have_text("12,500.50")
    expect(page.locator("[data-testid=running-balance]").first).to_have_text("12,500.50")
    rep.shot("ledger")
    rep.assert_clean()

    manager = open_tab("assets-manager")
    _sign_in(manager, "manager_bj")
    manager.page.goto(f"/assets/customers/{c.pk}/")
    masked = manager.page.locator("[data-testid=masked-identifier]").first
    expect(masked).to_contain_text(IDENTIFIER[-4:])
    assert IDENTIFIER not in manager.page.content()
    manager.shot("tab")
    manager.assert_clean()
