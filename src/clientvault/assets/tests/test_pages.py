"""The Assets tab and the asset page (issue #13): who sees what, masked identifiers, the movement forms with
their idempotency key, errors in the user's language, the exchange-rate page and the alert desk."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client

from clientvault.assets.models import AlertKind, AssetAlert, FxRate, LedgerEntry
from clientvault.core import clock
from clientvault.testing.actors import sign_in_verified
from clientvault.testing.assets import open_asset, reload
from clientvault.testing.customers import customer
from clientvault.testing.organisation import Org

pytestmark = pytest.mark.django_db
IDENTIFIER = "6222020200112233445"


def _client(u: Any) -> Client:
    client = Client()
    sign_in_verified(client, u)
    return client


def _key_of(page: str, form: str) -> str:
    block = page.split(f'data-testid="{form}"', 1)[1]
    match = re.search(r'name="idempotency_key" value="([^"]+)"', block)
    assert match, f"no idempotency key in {form}"
    return match.group(1)


def test_the_customer_page_links_to_the_assets_tab(org: Org) -> None:
    c = customer(org["rep_bj1"])
    page = _client(org["rep_bj1"]).get(f"/customers/{c.pk}/").content.decode()
    assert f'href="/assets/customers/{c.pk}/" data-testid="tab-assets"' in page


def test_the_tab_shows_the_identifier_in_clear_to_the_owner_and_masked_to_the_manager(org: Org, audit_events: Any) -> None:
    c = customer(org["rep_bj1"])
    open_asset(c, identifier=IDENTIFIER, balance=1_234_567)
    mark = len(audit_events())
    owner = _client(org["rep_bj1"]).get(f"/assets/customers/{c.pk}/")
    assert owner.status_code == 200
    page = owner.content.decode()
    assert f'data-testid="plain-identifier">{IDENTIFIER}<' in page
    assert "12,345.67" in page  # the balance, with separators
    manager = _client(org["manager_bj"]).get(f"/assets/customers/{c.pk}/").content.decode()
    assert IDENTIFIER not in manager
    masked = re.search(r'data-testid="masked-identifier">([^<]+)<', manager)
    assert masked and masked.group(1).endswith(IDENTIFIER[-4:]) and "*" in masked.group(1)
    viewed = [e for e in audit_events()[mark:] if e.event_type == "asset.viewed"]
    assert [(e.actor_id, e.customer_id) for e in viewed] == [(org["rep_bj1"].pk, c.pk), (org["manager_bj"].pk, c.pk)]


def test_a_rep_of_another_team_gets_404_and_no_asset_data(org: Org) -> None:
    c = customer(org["rep_bj1"])
    asset = open_asset(c, identifier=IDENTIFIER)
    other = _client(org["rep_bj2"])
    assert other.get(f"/assets/customers/{c.pk}/").status_code == 404
    response = other.get(f"/assets/{asset.pk}/")
    assert response.status_code == 404 and IDENTIFIER not in response.content.decode()


def test_a_double_submitted_movement_is_posted_once(org: Org, audit_events: Any) -> None:
    c = customer(org["rep_bj1"])
    asset = open_asset(c, balance=100_000)
    client = _client(org["rep_bj1"])
    page = client.get(f"/assets/{asset.pk}/").content.decode()
    key = _key_of(page, "move-form")
    form = {"kind": "withdraw", "amount": "250.50", "currency": "CNY", "reason": "客户取现", "idempotency_key": key}
    mark = len(audit_events())
    first = client.post(f"/assets/{asset.pk}/move/", form)
    second = client.post(f"/assets/{asset.pk}/move/", form)
    assert first.status_code == second.status_code == 302
    assert reload(asset).balance == 100_000 - 25_050
    assert LedgerEntry.objects.filter(asset=asset, kind="withdraw").count() == 1
    assert [e.event_type for e in audit_events()[mark:] if e.event_type == "asset.moved"] == ["asset.moved"]
    ledger = client.get(f"/assets/{asset.pk}/").content.decode()
    assert "-250.50" in ledger and 'data-testid="running-balance">749.50<' in ledger


def test_each_rendering_of_the_form_carries_a_fresh_key(org: Org) -> None:
    asset = open_asset(customer(org["rep_bj1"]))
    client = _client(org["rep_bj1"])
    keys = {_key_of(client.get(f"/assets/{asset.pk}/").content.decode(), "move-form") for _ in range(2)}
    assert len(keys) == 2


@pytest.mark.parametrize(
    ("amount", "message"),
    [("12.345", "该币种不支持这么多位小数。"), ("abc", "请输入金额，例如 1234.56。"), ("-3", "金额必须大于零。")],
)
def test_a_bad_amount_is_refused_in_chinese_and_posts_nothing(org: Org, amount: str, message: str) -> None:
    asset = open_asset(customer(org["rep_bj1"]), balance=100_000)
    client = _client(org["rep_bj1"])
    form = {"kind": "deposit", "amount": amount, "currency": "CNY", "reason": "存入", "idempotency_key": "k-" + amount}
    response = client.post(f"/assets/{asset.pk}/move/", form)
    assert response.status_code == 422
    assert message in response.content.decode()
    assert reload(asset).balance == 100_000


def test_a_read_only_role_cannot_post_a_movement(org: Org, audit_events: Any) -> None:
    c = customer(org["rep_bj1"])
    asset = open_asset(c, balance=100_000)
    mark = len(audit_events())
    form = {"kind": "withdraw", "amount": "1.00", "currency": "CNY", "reason": "x", "idempotency_key": "risk-try"}
    assert _client(org["risk"]).post(f"/assets/{asset.pk}/move/", form).status_code == 404
    assert reload(asset).balance == 100_000
    assert [e.event_type for e in audit_events()[mark:] if e.event_type.startswith("asset.")] == []


def test_the_owner_opens_an_asset_from_the_tab(org: Org, audit_events: Any) -> None:
    c = customer(org["rep_bj1"])
    client = _client(org["rep_bj1"])
    key = _key_of(client.get(f"/assets/customers/{c.pk}/").content.decode(), "open-form")
    form = {"kind": "fund", "identifier": "F123456789", "product": "货币基金", "currency": "CNY", "reason": "开户", "idempotency_key": key}
    response = client.post(f"/assets/customers/{c.pk}/open/", form)
    assert response.status_code == 302 and response["Location"] == f"/assets/customers/{c.pk}/"
    assert client.post(f"/assets/customers/{c.pk}/open/", form).status_code == 302  # the double submit opens nothing more
    assert len(audit_events("asset.opened")) == 1
    page = client.get(f"/assets/customers/{c.pk}/").content.decode()
    assert "F123456789" in page


def test_compliance_adds_a_dated_rate_risk_reads_it_and_a_rep_cannot_see_the_page(org: Org, audit_events: Any) -> None:
    compliance = _client(org["compliance"])
    response = compliance.post("/assets/fx-rates/", {"currency": "USD", "rate": "7.1234", "as_of": "2026-01-05", "source": "外汇交易中心"})
    assert response.status_code == 302
    row = FxRate.objects.get(currency="USD")
    assert str(row.rate).startswith("7.1234") and row.as_of.isoformat() == "2026-01-05"
    assert len(audit_events("fxrate.recorded")) == 1
    risk = _client(org["risk"])
    page = risk.get("/assets/fx-rates/").content.decode()
    assert "7.1234" in page and 'data-testid="fx-form"' not in page
    assert risk.post("/assets/fx-rates/", {"currency": "EUR", "rate": "7.7", "as_of": "2026-01-05"}).status_code == 404
    assert _client(org["rep_bj1"]).get("/assets/fx-rates/").status_code == 404
    assert FxRate.objects.count() == 1


def test_compliance_acknowledges_an_alert(org: Org, audit_events: Any) -> None:
    asset = open_asset(customer(org["rep_bj1"]))
    alert = AssetAlert.objects.create(
        asset=asset,
        kind=AlertKind.FOREIGN_OPERATOR,
        operator=org["rep_sh"],
        legal_entity_id=asset.legal_entity_id,
        detail={},
        created_at=clock.now(),
    )
    assert _client(org["auditor"]).get("/assets/alerts/").status_code == 200
    assert _client(org["auditor"]).post(f"/assets/alerts/{alert.pk}/acknowledge/").status_code == 404
    compliance = _client(org["compliance"])
    assert 'data-testid="acknowledge"' in compliance.get("/assets/alerts/").content.decode()
    assert compliance.post(f"/assets/alerts/{alert.pk}/acknowledge/").status_code == 302
    alert.refresh_from_db()
    assert alert.status == "acknowledged"
    assert len(audit_events("asset.alert_acknowledged")) == 1


def test_a_movement_above_the_threshold_is_submitted_for_approval_and_shown_as_pending(org: Org, audit_events: Any) -> None:
    asset = open_asset(customer(org["rep_bj1"]), balance=100_000)
    client = _client(org["rep_bj1"])
    mark = len(audit_events())
    form = {"kind": "deposit", "amount": "1000000.00", "currency": "CNY", "reason": "大额存入", "idempotency_key": "big-1"}
    response = client.post(f"/assets/{asset.pk}/move/", form, follow=True)
    page = response.content.decode()
    assert "已提交审批" in page
    assert reload(asset).balance == 100_000  # nothing posted until a second person approves
    assert [e.event_type for e in audit_events()[mark:] if e.event_type in ("approval.submitted", "asset.moved")] == ["approval.submitted"]
    pending = page.split('data-testid="pending-requests"', 1)[1].split("</table>", 1)[0]
    assert "1000000" in pending and "待审批" in pending
    assert client.post(f"/assets/{asset.pk}/move/", form).status_code == 302  # the double submit opens no second request
    assert len(audit_events("approval.submitted")) == 1
