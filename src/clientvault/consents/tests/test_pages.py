"""What users hit on the consent and portal pages (issue #11): the code field's label, action words that
must not stack vertically, distinct withdrawal colours, readable notice text, and a demo notice that
promises only what the portal offers."""

from __future__ import annotations

import json
import re
import time
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from django.utils import translation

from clientvault.consents import services as consent_services
from clientvault.demo import consents as demo_consents
from clientvault.rights import portal
from clientvault.rights.forms import CodeForm
from clientvault.testing.actors import sign_in_verified, subject_ctx
from clientvault.testing.consents import consent, notice
from clientvault.testing.customers import customer
from clientvault.testing.organisation import Org

pytestmark = pytest.mark.django_db
CSS = (Path(__file__).resolve().parents[2] / "static" / "css" / "clientvault.css").read_text(encoding="utf-8")
MULTILINE = "第一段：我们如何使用您的信息。\n第二段：您可以随时撤回同意。"


def _rule(selector: str) -> str:
    match = re.search(re.escape(selector) + r"\s*\{([^}]*)\}", CSS)
    assert match, f"no CSS rule for {selector}"
    return match.group(1)


def _staff(u: Any) -> Client:
    client = Client()
    sign_in_verified(client, u)
    return client


def _portal(*customers: Any) -> Client:
    client = Client()
    session = client.session
    session[portal.SUBJECT_KEY] = [str(c.pk) for c in customers]
    session[portal.SEEN_KEY] = time.time()
    session.save()
    return client


def test_the_portal_code_field_is_labelled_verification_code() -> None:
    with translation.override("zh-hans"):
        assert str(CodeForm().fields["code"].label) == "验证码"
    with translation.override("en"):
        assert str(CodeForm().fields["code"].label) == "Code"


def test_withdrawn_in_the_consent_history_does_not_wrap(org: Org) -> None:
    c = customer(org["rep_bj1"])
    consent(c)
    consent_services.withdraw_consent(ctx=subject_ctx(c), customer_id=c.pk, purpose="marketing", channel="web")
    assert "white-space: nowrap" in _rule(".cv-action")
    page = _staff(org["rep_bj1"]).get(f"/consents/customers/{c.pk}/").content.decode()
    cells = re.findall(r'<td class="cv-action" data-testid="history-action">([^<]*)</td>', page)
    assert cells == ["已撤回", "已同意"]
    portal_page = _portal(c).get("/portal/consents/").content.decode()
    assert re.findall(r'<span class="cv-action" data-testid="portal-history-action">([^<]*)</span>', portal_page) == ["已撤回", "已同意"]


def test_the_withdrawn_button_does_not_wrap(org: Org) -> None:
    c = customer(org["rep_bj1"])
    consent(c)
    page = _staff(org["rep_bj1"]).get(f"/consents/customers/{c.pk}/").content.decode()
    assert re.search(r'<button class="[^"]*\bcv-action\b[^"]*" type="submit" data-testid="withdraw-marketing"', page)


def test_each_withdrawal_series_has_its_own_colour(org: Org) -> None:
    page = _staff(org["compliance"]).get("/consents/").content.decode()
    data = json.loads(re.search(r'<script id="consent-chart-data" type="application/json">(.*?)</script>', page, re.S).group(1))  # type: ignore[union-attr]
    withdrawn = [s["color"] for s in data["series"] if s["kind"] == "withdrawn"]
    given = [s["color"] for s in data["series"] if s["kind"] == "given"]
    assert len(withdrawn) >= 3 and len(set(withdrawn)) == len(withdrawn)
    assert not set(withdrawn) & set(given)


def test_the_notice_page_shows_the_published_text_readably(org: Org) -> None:
    notice(body_zh=MULTILINE)
    page = _staff(org["compliance"]).get("/consents/notices/").content.decode()
    article = re.search(r'<article class="cv-notice"[^>]*data-testid="notice-text".*?</article>', page, re.S)
    assert article and MULTILINE in article.group(0)
    rule = _rule(".cv-notice p")
    assert "white-space: pre-line" in rule
    box = _rule(".cv-notice")
    assert "max-width" in box and "color: var(--bs-body-color)" in box


def test_the_portal_shows_the_notice_text_with_its_line_breaks(org: Org) -> None:
    c = customer(org["rep_bj1"])
    notice(body_zh=MULTILINE)
    page = _portal(c).get(f"/portal/consents/{c.pk}/marketing/give/").content.decode()
    article = re.search(r'<article class="cv-notice[^"]*" data-testid="portal-notice">(.*?)</article>', page, re.S)
    assert article and f"<p>{MULTILINE}</p>" in article.group(1)
    assert "white-space: pre-line" in _rule(".cv-notice p")


def test_the_demo_notice_promises_only_what_the_portal_offers() -> None:
    for language in ("zh", "en"):
        rights = demo_consents.NOTICE[f"rights_{language}"]
        sentences = [s for s in re.split(r"[。\n;；]|(?<=\.) ", str(rights)) if s.strip()]
        portal_words = ("门户",) if language == "zh" else ("portal",)
        fix_words = ("更正", "删除") if language == "zh" else ("correct", "delete")
        in_portal = " ".join(s for s in sentences if any(w in s for w in portal_words))
        assert not any(w in in_portal for w in fix_words), f"the notice promises portal corrections: {in_portal}"
        assert all(w in str(rights) for w in fix_words)  # … and says how to ask for them otherwise
        assert demo_consents.HOTLINE in str(rights)
        assert ("柜台" if language == "zh" else "counter") in str(rights)
        assert ("查看" if language == "zh" else "see") in in_portal and ("撤回" if language == "zh" else "withdraw") in in_portal
