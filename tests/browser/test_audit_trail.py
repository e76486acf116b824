"""End to end in Chromium: a compliance officer searches the audit trail, exports an evidence pack and opens
a customer's "who has seen or changed this" page."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import expect

from clientvault.audit import sealing
from clientvault.customers import selectors as customer_selectors
from clientvault.testing.actors import ctx
from clientvault.testing.audit import event
from clientvault.testing.customers import customer
from clientvault.testing.organisation import PASSWORD, Org
from tests.browser.conftest import Tab

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def _one_time_code(username: str) -> str:
    device = TOTPDevice.objects.get(user__username=username, confirmed=True)
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time()
    return f"{totp.token():0{device.digits}d}"


def _sign_in_with_second_factor(tab: Tab, username: str, purpose: str) -> None:
    page = tab.page
    page.goto("/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("form:has(#id_username) button[type=submit]")
    page.wait_for_url(re.compile(r"/accounts/mfa/"))
    page.fill("#id_token", _one_time_code(username))
    page.click("form:has(#id_token) button[type=submit]")
    # Every role lands on the home page (issue #13); one who works with customer data declares a purpose first.
    page.wait_for_url(re.compile(r"/access/purpose/"))
    page.check(f"[data-testid=purpose-{purpose}]")
    page.click("[data-testid=purpose-submit]")
    page.wait_for_url(re.compile(r"/home/$"))  # back where the picker was opened
    expect(page.locator("[data-testid=home-link]")).to_have_attribute("href", "/home/")


def test_compliance_officer_searches_the_trail_and_exports_evidence(open_tab: Callable[[str], Tab], org: Org) -> None:
    target = customer(org["rep_bj1"], name="赵六合")
    other = customer(org["rep_bj2"], name="钱七星")
    customer_selectors.get_customer(ctx(org["rep_bj1"]), target.pk)  # real reads, as the pages make them
    customer_selectors.get_customer(ctx(org["manager_bj"]), target.pk)
    customer_selectors.get_customer(ctx(org["manager_bj"]), other.pk)
    event(ctx(org["manager_bj"]), "customer.field_revealed", customer_id=target.pk, outcome="denied", fields=("id_number",))
    sealing.seal()
    event(ctx(org["rep_bj1"]), "customer.updated", customer_id=target.pk, fields=("mobile",))  # not sealed yet

    tab = open_tab("audit")
    page = tab.page
    _sign_in_with_second_factor(tab, "compliance", "compliance_review")

    # The navigation offers the audit trail; the page opens in Chinese with the newest events first.
    page.click("nav.cv-nav a[href='/audit/']")
    page.wait_for_url(re.compile(r"/audit/$"))
    expect(page.locator("h1")).to_have_text("审计日志")
    expect(page.locator("[data-testid=audit-row]").first).to_be_visible()
    expect(page.locator("[data-testid=evidence-bar]")).to_contain_text("按客户或日期范围筛选后即可导出证据包")
    assert "赵六合" not in page.content() and target.id_number not in page.content()
    tab.shot("01-search-zh")

    # Filter by the customer: the table updates in place (HTMX) and the URL can be shared.
    page.evaluate("window.__cvStillHere = true")
    page.fill("#id_customer", str(target.pk))
    page.click("[data-testid=audit-search]")
    page.wait_for_url(re.compile(rf"customer={target.pk}"))
    expect(page.locator("[data-testid=audit-count]")).to_contain_text("条事件")
    rows = page.locator("[data-testid=audit-row]")
    expect(rows.filter(has_text="修改客户档案")).to_contain_text("尚未封存")
    expect(rows.filter(has_text="拒绝").first).to_be_visible()
    assert page.evaluate("window.__cvStillHere === true"), "the search reloaded the page instead of updating the table"
    expect(page.locator("[data-testid=export-csv]")).to_be_visible()
    tab.shot("02-filtered-by-customer")

    # The CSV evidence pack downloads with the date in its name.
    with page.expect_download() as download_info:
        page.click("[data-testid=export-csv]")
    download = download_info.value
    assert re.fullmatch(r"clientvault-evidence-\d{8}-\d{6}\.csv", download.suggested_filename)
    content = Path(download.path()).read_text(encoding="utf-8-sig")
    assert content.startswith("event_id,occurred_at_utc,") and str(target.pk) in content and "unsealed" in content

    # The customer's page has the tab; it leads to the history, which shows ids only.
    page.goto(f"/customers/{target.pk}/")
    page.click("[data-testid=tab-history]")
    page.wait_for_url(re.compile(rf"/audit/customers/{target.pk}/"))
    expect(page.locator("h1")).to_have_text("谁查看或修改过")
    expect(page.locator("[data-testid=history-customer-id]")).to_have_text(str(target.pk))
    expect(page.locator("[data-testid=audit-row]").first).to_be_visible()
    assert "赵六合" not in page.content()
    expect(page.locator("[data-testid=open-customer]")).to_be_visible()
    tab.shot("03-customer-history")
    tab.assert_clean()
