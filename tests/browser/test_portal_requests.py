"""In Chromium (issue #15): a customer signs in to the portal on a phone-sized screen, gets a clear error for a
correction without a field, asks for a copy of their data, sees the request answered and downloads the PDF; the
compliance desk's dashboard lists it done. The portal speaks Chinese; the PDF is a real PDF."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from playwright.sync_api import expect

from clientvault.rights.models import RightsRequest
from clientvault.testing.customers import all_rows, customer
from clientvault.testing.organisation import Org
from tests.browser.conftest import Tab

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def _sign_in(tab: Tab, id_number: str, outbox: list[object]) -> None:
    page = tab.page
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto("/portal/")
    page.fill("#id_identifier", id_number)
    page.click("[data-testid=portal-request-code]")
    page.wait_for_url(re.compile(r"/portal/verify/"))
    code = re.search(r"\b(\d{6})\b", outbox[-1].text)  # type: ignore[attr-defined]
    assert code is not None
    page.fill("#id_code", code.group(1))
    page.click("[data-testid=portal-verify]")
    page.wait_for_url(re.compile(r"/portal/me/"))


def test_a_customer_asks_for_a_copy_and_downloads_it(open_tab: Callable[[str], Tab], org: Org, outbox: list[object]) -> None:
    me = customer(org["rep_bj1"], name="钱多多")
    tab = open_tab("portal-requests")
    page = tab.page
    _sign_in(tab, me.id_number, outbox)

    page.click("[data-testid=portal-nav-requests]")
    page.wait_for_url(re.compile(r"/portal/requests/$"))
    expect(page.locator("h1")).to_have_text("我的请求")
    tab.shot("01-no-requests")

    # A correction without the field to correct: refused with a message in Chinese, nothing recorded.
    page.click("[data-testid=portal-new-request]")
    page.wait_for_url(re.compile(r"/portal/requests/new/"))
    page.select_option("#id_kind", "correction")
    page.fill("#id_text", "我的地址不对")
    page.click("[data-testid=portal-request-submit]")
    form = page.locator("[data-testid=portal-request-form]")
    expect(form.locator(".alert-danger")).to_contain_text("请说明哪些信息有误")
    tab.shot("02-correction-refused")
    assert not all_rows(RightsRequest).filter(subject_id=me.pk).exists()
    # The consent to withdraw is chosen by name, not typed as a code.
    expect(page.locator("#id_purpose option").nth(1)).not_to_have_text(re.compile(r"^[a-z_]+$"))

    page.select_option("#id_kind", "access")
    page.fill("#id_text", "请提供我的个人信息副本")
    page.click("[data-testid=portal-request-submit]")
    page.wait_for_url(re.compile(r"/portal/requests/$"))
    expect(page.locator(".alert-success")).to_be_visible()
    card = page.locator("[data-testid=portal-request]")
    expect(card).to_have_count(1)
    page.reload()  # the worker answered meanwhile
    expect(card.locator("[data-testid=portal-request-status]")).to_have_text("已完成")
    tab.shot("03-request-done")

    link = card.locator("[data-testid=portal-download-package_pdf]")
    expect(link).to_be_visible()
    href = link.get_attribute("href")
    assert href is not None
    download = page.request.get(href)
    assert download.status == 200 and download.headers["content-type"] == "application/pdf"
    assert download.body().startswith(b"%PDF-")
    request = all_rows(RightsRequest).get(subject_id=me.pk)
    assert request.kind == "access" and request.status == "done" and request.channel == "portal"
    tab.assert_clean(allow=("/portal/requests/new/", "400"))  # the refused correction answers 400 with the form
