"""The portal's credit pages over HTTP (PIPL-24): the customer's own explanation only (another's score → 404), the
reasons in the scorecard's own words in zh-Hans (default) and English, no automated decision said as such, asking
for a person to review (once while open, stated), errors in the customer's language."""

from __future__ import annotations

import html
import time
from typing import Any

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from clientvault.rights import portal
from clientvault.rights.models import RightsRequest
from clientvault.risk import explanation
from clientvault.risk.explanation import TOP_REASONS, scorecard_spec
from clientvault.risk.human_review import VIEW_LENGTH
from clientvault.risk.models import CreditReview
from clientvault.risk.tests.credit_factory import credit_file, credit_score, reason_codes
from clientvault.testing.customers import all_rows, customer
from clientvault.testing.organisation import Org

pytestmark = pytest.mark.django_db

OVERVIEW = "/portal/credit/"


def portal_client(*customers: Any, language: str = "") -> Client:
    client = Client()
    session = client.session
    session[portal.SUBJECT_KEY] = [str(c.pk) for c in customers]
    session[portal.SEEN_KEY] = time.time()
    session.save()
    if language:
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    return client


def text(response: Any) -> str:
    return html.unescape(str(response.content.decode()))


def test_the_routes_are_the_portals() -> None:
    assert reverse("credit_portal:overview") == OVERVIEW
    assert Client().get(OVERVIEW).status_code == 302  # signed out: to the portal's sign-in


def test_the_customer_sees_their_decision_with_the_scorecards_reasons_in_both_languages(org: Org, audit_events: Any) -> None:
    c = customer(org["rep_bj1"])
    s = credit_score(credit_file(c))
    spec = scorecard_spec()
    codes = reason_codes(s)[:TOP_REASONS]
    zh = portal_client(c).get(OVERVIEW)
    assert zh.status_code == 200
    body = text(zh)
    assert 'lang="zh-Hans"' in body and 'data-testid="portal-nav-credit"' in body and "cv-portal" in body
    for code in codes:
        assert explanation.reason_line(spec, code, "zh") in body
    assert f"{s.score:.1f}" not in body and f"{s.score:.2f}" not in body  # decided: no internal total
    assert s.scored_at.astimezone().strftime("%Y-%m-%d") in body
    assert f'href="/portal/credit/{s.pk}/review/"' in body
    en = text(portal_client(c, language="en").get(reverse("credit_portal:score", args=[s.pk])))
    assert "High risk" in en
    for code in codes:
        assert explanation.reason_line(spec, code, "en") in en
    assert len(audit_events("credit.explanation_viewed")) == 2


def test_no_score_means_no_automated_decision(org: Org) -> None:
    c = customer(org["rep_bj1"])
    credit_file(c)  # a file, never scored
    body = text(portal_client(c, language="en").get(OVERVIEW))
    assert 'data-testid="credit-none"' in body and "No automated credit decision has been made about you" in body
    assert 'data-testid="credit-explanation"' not in body


def test_another_customers_score_is_not_found(org: Org, audit_events: Any) -> None:
    mine, theirs = customer(org["rep_bj1"]), customer(org["rep_bj1"])
    credit_score(credit_file(mine))
    other = credit_score(credit_file(theirs))
    client = portal_client(mine)
    assert client.get(reverse("credit_portal:score", args=[other.pk])).status_code == 404
    assert client.get(reverse("credit_portal:ask_review", args=[other.pk])).status_code == 404
    assert client.post(reverse("credit_portal:ask_review", args=[other.pk]), {"view": "x"}).status_code == 404
    assert list(all_rows(RightsRequest)) == [] and list(all_rows(CreditReview)) == []
    assert audit_events("access.denied")  # 404 like missing, and recorded
    assert not [e for e in audit_events("credit.explanation_viewed") if e.customer_id == theirs.pk]


def test_asking_for_a_person_from_the_portal_once_while_open(org: Org) -> None:
    c = customer(org["rep_bj1"])
    s = credit_score(credit_file(c))
    client = portal_client(c, language="en")
    url = reverse("credit_portal:ask_review", args=[s.pk])
    form = client.get(url)
    assert form.status_code == 200 and 'data-testid="credit-review-form"' in text(form)
    sent = client.post(url, {"view": "I paid the overdue amount last month."})
    assert sent.status_code == 302 and sent["Location"] == reverse("credit_portal:score", args=[s.pk])
    page = text(client.get(sent["Location"]))
    assert "We have received your request" in page and 'data-testid="credit-review-open"' in page
    assert 'data-testid="credit-ask-review"' not in page  # one open review at a time
    assert 'data-testid="credit-review-already"' in text(client.get(url))
    again = client.post(url, {"view": "again"})
    assert again.status_code == 302
    assert "already asked for a review of this credit decision" in text(client.get(again["Location"]))
    assert len(list(all_rows(RightsRequest))) == 1 and len(list(all_rows(CreditReview))) == 1
    mine = text(client.get(reverse("rights:requests")))
    assert "Human review of an automated decision" in mine  # followed like any other request


def test_errors_speak_the_customers_language(org: Org) -> None:
    c = customer(org["rep_bj1"])
    s = credit_score(credit_file(c))
    url = reverse("credit_portal:ask_review", args=[s.pk])
    en = portal_client(c, language="en").post(url, {"view": "x" * (VIEW_LENGTH + 1)})
    assert en.status_code == 400 and "Ensure this value has at most" in text(en)
    zh = portal_client(c).post(url, {"view": "x" * (VIEW_LENGTH + 1)})
    assert zh.status_code == 400 and "确保该变量包含不超过" in text(zh)  # Django's own message, in Chinese
    assert list(all_rows(RightsRequest)) == []
