"""End to end in Chromium: a sales rep's day with one customer, and who may see whose customers."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest
from playwright.sync_api import expect

from clientvault.audit.models import AuditEvent
from clientvault.customers.models import Customer, FollowUp
from clientvault.testing.customers import all_rows, customer, followup_text, reload
from clientvault.testing.organisation import PASSWORD, Org
from tests.browser.conftest import Tab

# The live server needs committed data, hence transaction=True; serialized_rollback restores the rows
# that migrations seed (roles), which the flush after each transactional test deletes.
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

SIGN_IN_BUTTON = "form:has(#id_username) button[type=submit]"
FILTER_BOX = "form.cv-filters input[name=q]"  # the header has a global search box named q too
NOT_A_RELOAD = "window.__cvStillHere"  # set before an HTMX request; a full page load would clear it


def _sign_in(tab: Tab, username: str, purpose: str = "sales_followup") -> None:
    page = tab.page
    page.goto("/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click(SIGN_IN_BUTTON)
    _choose_purpose(tab, purpose, lands=r"/home/$")  # every role lands on the home page (issue #13)
    page.goto("/customers/")


def _choose_purpose(tab: Tab, purpose: str, lands: str = r"/customers/") -> None:
    """Customer pages first ask what the user is working for (ARCHITECTURE.md rule 3)."""
    page = tab.page
    page.wait_for_url(re.compile(r"/access/purpose/"))
    page.check(f"[data-testid=purpose-{purpose}]")
    page.click("[data-testid=purpose-submit]")
    page.wait_for_url(re.compile(lands))


class Defects:
    """Soft checks: the journey goes on so one defect does not hide the next; the test still fails."""

    def __init__(self) -> None:
        self.found: list[str] = []

    def check(self, ok: bool, message: str) -> None:
        if not ok:
            self.found.append(message)

    def assert_none(self) -> None:
        assert not self.found, "defects seen during the journey:\n" + "\n".join(f"- {d}" for d in self.found)


def _is_htmx(url_part: str, method: str = "GET") -> Callable[[Any], bool]:
    def check(response: Any) -> bool:
        request = response.request
        return url_part in response.url and request.method == method and request.headers.get("hx-request") == "true"

    return check


def _mark_page(tab: Tab) -> None:
    tab.page.evaluate(f"{NOT_A_RELOAD} = true")


def _assert_not_reloaded(tab: Tab) -> None:
    assert tab.page.evaluate(f"{NOT_A_RELOAD} === true"), "the page was fully reloaded instead of updated by HTMX"


def _assert_styled(tab: Tab) -> None:
    """Bootstrap and clientvault.css were served (whitenoise finders) and applied."""
    page = tab.page
    header = page.locator("header.cv-header")
    expect(header).to_be_visible()
    style = header.evaluate("h => { const s = getComputedStyle(h); return {position: s.position, display: s.display, height: s.height}; }")
    assert style["position"] == "sticky", f"clientvault.css not applied to the header: {style}"
    assert style["display"] == "flex", f"Bootstrap's .navbar not applied to the header: {style}"
    assert style["height"] == "52px", style
    font = page.evaluate("getComputedStyle(document.body).fontFamily")
    assert "PingFang SC" in font, f"body font is the browser default: {font}"


def _wait_for_tab_shown(tab: Tab, pane: str) -> None:
    """Bootstrap fades tab panes in; wait for the end of the fade so screenshots show the content."""
    tab.page.wait_for_function(f"() => getComputedStyle(document.querySelector({pane!r})).opacity === '1'")


def _dd_after(tab: Tab, label: str) -> Any:
    return tab.page.locator("#tab-profile dt", has_text=label).locator("xpath=following-sibling::dd[1]")


def test_sales_rep_finds_edits_and_follows_up_a_customer(open_tab: Callable[[str], Tab], org: Org) -> None:
    rep = org["rep_bj1"]
    target = customer(rep, name="张三丰", occupation="教师")
    customer(rep, name="张三宝")
    customer(rep, name="李四")
    customer(org["rep_bj2"], name="张三强")  # same branch, another team: a rep must not see it
    original_mobile, original_version = target.mobile, target.version
    new_mobile = "13800138000"

    defects = Defects()  # product defects that do not block the journey: reported together at the end
    tab = open_tab("journey")
    page = tab.page

    # 1. The sign-in page is in Chinese although the browser asks for English.
    response = page.goto("/accounts/login/")
    assert response is not None and response.status == 200
    expect(page.locator("html")).to_have_attribute("lang", "zh-Hans")
    expect(page.locator("h1")).to_have_text("登录")
    body_display = page.evaluate("getComputedStyle(document.body).display")
    assert body_display == "flex", f"clientvault.css not applied on the sign-in page (body display {body_display})"
    tab.shot("01-login-zh")

    # 2. Sign in with the form's own button (the language switch also has submit buttons).
    page.fill("#id_username", "rep_bj1")
    page.fill("#id_password", PASSWORD)
    page.click(SIGN_IN_BUTTON)
    # 2a. Before any customer data: the purpose picker, then the purpose shows in the header.
    page.wait_for_url(re.compile(r"/access/purpose/"))
    expect(page.locator("h1")).to_have_text("选择处理目的")
    expect(page.locator("[data-testid=purpose-break_glass]")).to_have_count(0)
    expect(page.locator("[data-testid=purpose-credit_assessment]")).to_have_count(0)
    tab.shot("02a-purpose-picker")
    page.check("[data-testid=purpose-sales_followup]")
    page.click("[data-testid=purpose-submit]")
    # 2b. The home page says what needs the rep today (issue #13); the navigation leads to the customer list.
    page.wait_for_url(re.compile(r"/home/$"))
    expect(page.locator("[data-card=followups]")).to_be_visible()
    page.click("nav.cv-nav a[href='/customers/']")
    page.wait_for_url(re.compile(r"/customers/$"))
    expect(page.locator("[data-testid=purpose-badge]")).to_contain_text("销售跟进")
    expect(page.locator("h1")).to_have_text("客户")
    expect(page.locator("[data-testid=result-count]")).to_have_text("共 3 个客户")
    _assert_styled(tab)
    tab.shot("02-customer-list")

    # 3. Type into the filter box: HTMX replaces the table and pushes the URL, no page load.
    _mark_page(tab)
    with page.expect_response(_is_htmx("/customers/?")) as filtered:
        page.locator(FILTER_BOX).press_sequentially("张三丰", delay=80)
        page.locator(FILTER_BOX).press("End")  # Playwright types CJK via insertText (no keyup); an IME commit does fire one
    assert filtered.value.status == 200
    page.wait_for_function("() => new URLSearchParams(location.search).get('q') === '张三丰'")
    assert parse_qs(urlparse(page.url).query)["q"] == ["张三丰"]
    # Names are encrypted: search is by exact name (blind index), so 张三宝 does not match.
    expect(page.locator("#customer-table [data-testid=result-count]")).to_have_text("共 1 个客户")
    links = page.locator("#customer-table [data-testid=customer-link]")
    expect(links).to_have_count(1)
    assert links.all_inner_texts() == ["张三丰"]
    expect(page.locator("#customer-table")).not_to_contain_text("张三强")
    _assert_not_reloaded(tab)
    tab.shot("03-list-filtered")

    # 4. Open the customer: name, and the identifiers shown (plain or masked, never absent).
    links.filter(has_text="张三丰").click()
    page.wait_for_url(f"**/customers/{target.pk}/")
    expect(page.locator("[data-testid=customer-name]")).to_have_text("张三丰")
    id_text = page.locator("[data-testid=id-number]").inner_text().strip()
    assert id_text == target.id_number or (id_text.endswith(target.id_number[-4:]) and "*" in id_text), id_text
    mobile_text = page.locator("[data-testid=mobile]").inner_text().strip()
    assert mobile_text == original_mobile or (mobile_text.endswith(original_mobile[-4:]) and "*" in mobile_text), mobile_text
    expect(_dd_after(tab, "职业")).to_have_text("教师")
    tab.shot("04-customer-detail")

    # 5. Edit with an invalid mobile: inline error, nothing saved.
    page.click("[data-testid=edit-customer]")
    page.wait_for_url(f"**/customers/{target.pk}/edit/")
    expect(page.locator("#id_mobile")).to_have_value(original_mobile)
    tab.shot("05-edit-form")
    page.fill("#id_occupation", "律师")
    page.fill("#id_mobile", "12345")
    page.click("[data-testid=save-customer]")
    error = page.locator("[data-testid=error-mobile]")
    expect(error).to_be_visible()
    expect(error).to_have_text("请输入有效的中国大陆手机号。")
    expect(page.locator("#id_mobile")).to_have_value("12345")
    expect(page.locator("#id_occupation")).to_have_value("律师")  # the user's input is kept
    assert re.search(r"/customers/[0-9a-f-]+/edit/$", page.url), page.url
    crumbs = page.locator("ol.breadcrumb").inner_text()
    defects.check("张三丰" in crumbs, f"after a failed save the breadcrumb loses the customer's name: {' / '.join(crumbs.split())!r}")
    target = reload(target)
    assert (target.mobile, target.occupation, target.version) == (original_mobile, "教师", original_version), "an invalid edit was saved"
    tab.shot("06-edit-invalid-mobile")

    # 6. Fix the mobile and save: back on the detail page with the new values and a message.
    page.fill("#id_mobile", new_mobile)
    page.click("[data-testid=save-customer]")
    page.wait_for_url(f"**/customers/{target.pk}/")
    expect(page.locator("#main > .cv-messages .alert-success")).to_have_text("修改已保存。")
    saved_messages = page.locator(".alert", has_text="修改已保存。").count()
    defects.check(saved_messages == 1, f"the 'changes saved' message is rendered {saved_messages} times on the detail page, expected once")
    expect(page.locator("[data-testid=mobile]")).to_contain_text(new_mobile[-4:])
    expect(_dd_after(tab, "职业")).to_have_text("律师")
    target = reload(target)
    assert (target.mobile, target.occupation) == (new_mobile, "律师")
    tab.shot("07-detail-saved")

    # 7. Record a follow-up through the HTMX form; it appears without a page load.
    page.click("[data-testid=tab-followups]")
    form = page.locator("[data-testid=followup-form]")
    expect(form).to_be_visible()
    _wait_for_tab_shown(tab, "#tab-followups")
    expect(page.locator("#followups")).to_contain_text("暂无跟进记录。")
    stale = page.locator("#followups .alert", has_text="修改已保存。")
    defects.check(not stale.is_visible(), "the follow-ups tab shows the 'changes saved' message again (a second copy, inside #followups)")
    tab.shot("08-followups-tab")
    summary = "电话沟通：客户确认职业变更为律师，约定下周面谈。"
    form.locator("select[name=channel]").select_option("phone")
    form.locator("textarea[name=summary]").fill(summary)
    form.locator("input[name=next_step]").fill("寄送资产配置建议书")
    _mark_page(tab)
    with page.expect_response(_is_htmx(f"/customers/{target.pk}/followups/", "POST")) as posted:
        form.locator("button[type=submit]").click()
    assert posted.value.status == 200
    timeline = page.locator("#followups .cv-timeline")
    expect(timeline).to_contain_text(summary)
    expect(timeline).to_contain_text("寄送资产配置建议书")
    expect(page.locator("#followups .alert-success")).to_have_text("跟进记录已保存。")
    expect(page.locator("#tab-followups")).to_be_visible()
    _wait_for_tab_shown(tab, "#tab-followups")
    badge = page.locator("[data-testid=tab-followups] .badge").inner_text().strip()
    defects.check(badge == "1", f"the follow-ups tab badge shows {badge!r} after recording the first follow-up, expected '1'")
    _assert_not_reloaded(tab)
    [recorded] = all_rows(FollowUp).filter(customer=target, author=rep)
    assert followup_text(recorded)["summary"] == summary
    tab.shot("09-followup-recorded")

    # 8. Switch to English and back to Chinese.
    page.click("[data-testid=lang-en]")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    nav = page.locator("nav.cv-nav")
    expect(nav).to_contain_text("Customers")
    expect(nav).to_contain_text("Customer list")
    expect(page.locator("[data-testid=tab-followups]")).to_contain_text("Follow-ups")
    expect(page.locator("[data-testid=customer-name]")).to_have_text("张三丰")
    assert page.url.endswith(f"/customers/{target.pk}/"), page.url
    tab.shot("10-detail-english")
    page.click("[data-testid=lang-zh]")
    expect(page.locator("html")).to_have_attribute("lang", "zh-Hans")
    expect(nav).to_contain_text("客户列表")
    expect(nav).not_to_contain_text("Customer list")
    tab.shot("11-detail-back-to-chinese")

    defects.found += tab.problems()
    defects.assert_none()


def test_manager_sees_team_customer_and_other_branch_rep_gets_404(open_tab: Callable[[str], Tab], org: Org) -> None:
    target = customer(org["rep_bj1"], name="王五福")
    url = f"/customers/{target.pk}/"

    manager = open_tab("access-manager")
    _sign_in(manager, "manager_bj")
    # The manager's policy masks C2 fields of the team's customers (JRT0171-DISPLAY-mask): list and detail.
    expect(manager.page.locator("#customer-table [data-testid=customer-link]")).to_have_text(["王*福"])
    expect(manager.page.locator("#customer-table [data-testid=masked-mobile]")).to_have_text(
        target.mobile[:3] + "****" + target.mobile[-4:]
    )
    manager.shot("00-manager-list-masked")
    response = manager.page.goto(url)
    assert response is not None and response.status == 200
    page = manager.page
    expect(page.locator("[data-testid=customer-name] [data-testid=masked-name]")).to_have_text("王*福")
    expect(page.locator("[data-testid=masked-id_number]")).to_have_text(target.id_number[:3] + "*" * 11 + target.id_number[-4:])
    assert "王五福" not in page.content() and target.id_number not in page.content()
    _assert_styled(manager)
    manager.shot("01-manager-sees-team-customer-masked")
    # Reveal (查看明文): an eye, a confirmation, the clear value for a while, one audit event with the purpose.
    page.once("dialog", lambda dialog: dialog.accept())
    with page.expect_response(_is_htmx(f"/customers/{target.pk}/reveal/id_number/", "POST")) as revealed:
        page.click("[data-testid=reveal-id_number]")
    assert revealed.value.status == 200
    expect(page.locator("[data-testid=revealed-id_number]")).to_have_text(target.id_number)
    manager.shot("01b-manager-revealed-id-number")
    [event] = AuditEvent.objects.filter(event_type="customer.field_revealed", customer_id=target.pk)
    assert (event.fields, event.purpose, event.actor_id) == (["id_number"], "sales_followup", org["manager_bj"].pk)
    manager.assert_clean()

    outsider = open_tab("access-other-branch")
    _sign_in(outsider, "rep_sh", "customer_service")
    response = outsider.page.goto(url)
    assert response is not None and response.status == 404
    page = outsider.page
    expect(page.locator("html")).to_have_attribute("lang", "zh-Hans")
    expect(page.locator(".cv-error h1")).to_have_text("未找到")
    expect(page.locator(".cv-error")).to_contain_text("页面或记录不存在，或您无权查看。")
    expect(page.locator(".cv-error")).to_contain_text("请求 ID")
    _assert_styled(outsider)  # the error page keeps the application's frame and styles
    html = page.content()
    for leak in ("王五福", target.id_number, target.mobile, "Traceback", "Page not found (404)", "URLconf", "DEBUG = True"):
        assert leak not in html, f"the 404 page reveals {leak!r}"
    outsider.shot("02-other-branch-404")
    # Chromium logs the 404 of the document itself; that one is expected.
    outsider.assert_clean(allow=("the server responded with a status of 404",))
    assert all_rows(Customer).filter(pk=target.pk).exists()
