"""In Chromium (issue #16, PIPL-24): on a phone-sized screen a customer opens the portal's credit page, reads why the
scorecard placed them in the high-risk tier (the scorecard's own words, in Chinese by default), asks for a person to
review it with their view; a risk officer changes the decision; the customer sees the person's outcome beside the
automated one and the request done under My requests."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from playwright.sync_api import expect

from clientvault.rights.models import RightsRequest
from clientvault.risk import explanation, human_review
from clientvault.risk.explanation import scorecard_spec
from clientvault.risk.models import CreditReview
from clientvault.risk.tests.credit_factory import credit_file, credit_score, reason_codes
from clientvault.testing.actors import ctx
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


def test_a_customer_reads_the_reasons_asks_a_person_and_sees_the_outcome(
    open_tab: Callable[[str], Tab], org: Org, outbox: list[object]
) -> None:
    me = customer(org["rep_bj1"], name="孙评分")
    score = credit_score(credit_file(me))
    first_reason = explanation.reason_line(scorecard_spec(), reason_codes(score)[0], "zh")
    tab = open_tab("portal-credit")
    page = tab.page
    _sign_in(tab, me.id_number, outbox)

    page.click("[data-testid=portal-nav-credit]")
    page.wait_for_url(re.compile(r"/portal/credit/$"))
    card = page.locator("[data-testid=credit-explanation]")
    expect(card).to_have_count(1)
    expect(card.locator("[data-testid=credit-tier]")).to_have_text("高风险")
    expect(card.locator("[data-testid=credit-reason]").first).to_have_text(first_reason)
    nav = page.locator(".cv-portal-nav").bounding_box()
    assert nav is not None and nav["width"] <= 390  # the nav fits the phone's width
    assert page.evaluate("document.documentElement.scrollWidth") <= 390  # nothing overflows sideways
    tab.shot("01-explanation")

    page.click("[data-testid=credit-ask-review]")
    page.wait_for_url(re.compile(r"/review/$"))
    page.fill("#id_view", "上个月已结清逾期款项")
    tab.shot("02-ask")
    page.click("[data-testid=credit-review-submit]")
    page.wait_for_url(re.compile(rf"/portal/credit/{score.pk}/$"))
    expect(page.locator("[data-testid=credit-review-open]")).to_be_visible()
    expect(page.locator("[data-testid=credit-ask-review]")).to_have_count(0)
    tab.shot("03-asked")
    [review] = list(all_rows(CreditReview))
    [request] = list(all_rows(RightsRequest))
    assert review.rights_request_id == request.pk and request.kind == "human_review" and request.status == "waiting"

    human_review.complete_human_review(ctx(org["risk"]), review.pk, "changed", "已核实结清，调整为中风险。", "medium")
    page.reload()
    outcome = page.locator("[data-testid=credit-review-outcome]")
    expect(outcome.locator("[data-testid=credit-review-tier]")).to_have_text("中风险")
    expect(outcome.locator("[data-testid=credit-review-note]")).to_have_text("已核实结清，调整为中风险。")
    expect(page.locator("[data-testid=credit-tier]")).to_have_text("高风险")  # the automated decision, beside the person's
    tab.shot("04-reviewed")

    page.click("[data-testid=portal-nav-requests]")
    page.wait_for_url(re.compile(r"/portal/requests/$"))
    expect(page.locator("[data-testid=portal-request-status]")).to_have_text("已完成")
    tab.shot("05-request-done")
    tab.assert_clean()
