"""End to end in Chromium (issue #5): a customer signs in to the portal with a one-time code, withdraws their
marketing consent, and the sales rep's marketing list loses them on the next request."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from playwright.sync_api import expect

from clientvault.classification.masking import mask_name
from clientvault.consents.models import Consent
from clientvault.testing.consents import consent
from clientvault.testing.customers import all_rows, customer
from clientvault.testing.organisation import PASSWORD, Org
from tests.browser.conftest import Tab

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def _rep_on_marketing_list(tab: Tab) -> None:
    page = tab.page
    page.goto("/accounts/login/")
    page.fill("#id_username", "rep_bj1")
    page.fill("#id_password", PASSWORD)
    page.click("form:has(#id_username) button[type=submit]")
    page.wait_for_url(re.compile(r"/access/purpose/"))
    page.check("[data-testid=purpose-marketing]")
    page.click("[data-testid=purpose-submit]")
    page.wait_for_url(re.compile(r"/home/$"))  # every role lands on the home page (issue #13)
    page.goto("/customers/")


def test_customer_withdraws_marketing_consent_and_the_marketing_list_loses_them(
    open_tab: Callable[[str], Tab], org: Org, outbox: list[object]
) -> None:
    leaving = customer(org["rep_bj1"], name="孙八方")
    staying = customer(org["rep_bj1"], name="周九州")
    customer(org["rep_bj1"], name="吴十全")  # never consented: never on the marketing list
    consent(leaving, "marketing")
    consent(staying, "marketing")

    rep = open_tab("consent-rep")
    _rep_on_marketing_list(rep)
    rows = rep.page.locator("table tbody")
    expect(rep.page.locator("[data-testid=purpose-badge]")).to_contain_text("营销推广")
    expect(rows).to_contain_text(mask_name("孙八方"))
    expect(rows).to_contain_text(mask_name("周九州"))
    expect(rows).not_to_contain_text(mask_name("吴十全"))
    rep.shot("01-rep-marketing-list-before")
    # The export button follows the filters: HTMX swaps it with the table (count and link), issue #11.
    export = rep.page.locator("[data-testid=export-customers]")
    expect(export).to_have_attribute("data-count", "2")
    rep.page.select_option("form.cv-filters select[name=kind]", "organisation")
    expect(export).to_have_attribute("data-count", "0")
    expect(export).to_have_attribute("href", re.compile(r"kind=organisation"))
    rep.page.select_option("form.cv-filters select[name=kind]", "")
    expect(export).to_have_attribute("data-count", "2")
    expect(rows).to_contain_text(mask_name("周九州"))

    # The customer, on a phone-sized screen, signs in with their ID number and the code sent to their mobile.
    me = open_tab("consent-portal")
    page = me.page
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto("/portal/")
    expect(page.locator("html")).to_have_attribute("lang", "zh-Hans")
    page.fill("#id_identifier", leaving.id_number)
    page.click("[data-testid=portal-request-code]")
    page.wait_for_url(re.compile(r"/portal/verify/"))
    me.shot("02-portal-code-sent")
    assert len(outbox) == 1 and outbox[0].destination == leaving.mobile  # type: ignore[attr-defined]
    code = re.search(r"\b(\d{6})\b", outbox[0].text)  # type: ignore[attr-defined]
    assert code is not None
    page.fill("#id_code", code.group(1))
    page.click("[data-testid=portal-verify]")
    page.wait_for_url(re.compile(r"/portal/me/"))
    expect(page.locator("[data-field=name]")).to_have_text("孙八方")  # their own data, in clear
    me.shot("03-portal-my-data")

    page.click("[data-testid=portal-nav-consents]")
    card = page.locator("[data-testid=portal-consent][data-purpose=marketing]")
    expect(card).to_have_attribute("data-state", "live")
    me.shot("04-portal-consents-live")
    card.locator("[data-testid=portal-withdraw]").click()
    page.wait_for_url(re.compile(r"/withdraw/"))
    me.shot("05-portal-withdraw-confirm")
    page.click("[data-testid=portal-withdraw-confirm]")
    page.wait_for_url(re.compile(r"/portal/consents/$"))
    expect(page.locator("[data-testid=portal-consent][data-purpose=marketing]")).to_have_attribute("data-state", "withdrawn")
    expect(page.locator(".alert-success")).to_be_visible()
    me.shot("06-portal-consent-withdrawn")
    assert all_rows(Consent).get(customer=leaving, purpose="marketing").action == "withdrawn"

    # The rep's next request: the customer who withdrew is gone from the marketing list; the other stays.
    rep.page.reload()
    expect(rows).to_contain_text(mask_name("周九州"))
    expect(rows).not_to_contain_text(mask_name("孙八方"))
    rep.shot("07-rep-marketing-list-after")
    # Opening the withdrawn customer's record directly under marketing answers like a missing one.
    response = rep.page.goto(f"/customers/{leaving.pk}/")
    assert response is not None and response.status == 404
    rep.assert_clean(allow=(f"/customers/{leaving.pk}/", "404"))
    me.assert_clean()
