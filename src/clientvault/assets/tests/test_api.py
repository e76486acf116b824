"""The asset API at /api/v1/ (issue #13): idempotent movements, clear 422s for bad amounts and currencies,
masked identifiers per policy, the ledger with running balances, and the exchange rates."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from clientvault.accounts.models import User
from clientvault.assets.models import Journal
from clientvault.testing.actors import sign_in_verified
from clientvault.testing.assets import open_asset, reload
from clientvault.testing.customers import customer
from clientvault.testing.organisation import Org

pytestmark = pytest.mark.django_db
API = "/api/v1"
IDENTIFIER = "6222020200112233445"


class Session:
    """A signed-in browser calling the API, CSRF enforced."""

    def __init__(self, u: User) -> None:
        self.client = Client(enforce_csrf_checks=True)
        sign_in_verified(self.client, u)  # the second factor verified where the role needs one
        self.client.get("/accounts/profile/")
        self.headers = {"X-CSRFToken": self.client.cookies["cv_csrftoken"].value}

    def get(self, path: str) -> Any:
        return self.client.get(API + path, headers=self.headers)

    def post(self, path: str, body: dict[str, Any], *, key: str | None = None) -> Any:
        headers = dict(self.headers)
        if key is not None:
            headers["Idempotency-Key"] = key
        return self.client.post(API + path, json.dumps(body), content_type="application/json", headers=headers)


def _error(response: Any, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.content
    error: dict[str, Any] = response.json()["error"]
    assert error["code"] == code and error["message"]
    return error


def test_a_movement_needs_an_idempotency_key(org: Org) -> None:
    asset = open_asset(customer(org["rep_bj1"]), balance=10_000)
    response = Session(org["rep_bj1"]).post(
        f"/assets/{asset.pk}/movements", {"kind": "withdraw", "amount": "1.00", "currency": "CNY", "reason": "x"}
    )
    error = _error(response, 422, "validation_failed")
    assert "Idempotency-Key" in error["fields"]
    assert reload(asset).balance == 10_000


def test_a_retried_movement_is_applied_once_and_answers_the_same_journal(org: Org, audit_events: Any) -> None:
    asset = open_asset(customer(org["rep_bj1"]), balance=100_000)
    api = Session(org["rep_bj1"])
    body = {"kind": "withdraw", "amount": "100.00", "currency": "CNY", "reason": "客户取现"}
    mark = len(audit_events())
    first = api.post(f"/assets/{asset.pk}/movements", body, key="retry-1")
    second = api.post(f"/assets/{asset.pk}/movements", body, key="retry-1")
    assert first.status_code == second.status_code == 201, (first.content, second.content)
    assert first.json()["status"] == "posted" and first.json()["journal_id"] == second.json()["journal_id"]
    assert reload(asset).balance == 90_000
    assert Journal.objects.filter(idempotency_key="retry-1").count() == 1
    moved = [e for e in audit_events()[mark:] if e.event_type == "asset.moved"]
    assert len(moved) == 1 and moved[0].actor_id == org["rep_bj1"].pk and moved[0].channel == "api"
    other = api.post(f"/assets/{asset.pk}/movements", body | {"amount": "200.00"}, key="retry-1")
    assert other.status_code == 409 and reload(asset).balance == 90_000


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"amount": "12.345"}, "amount"),
        ({"amount": "ten"}, "amount"),
        ({"amount": "0"}, "amount"),
        ({"amount": "-5.00"}, "amount"),
        ({"currency": "XYZ"}, "currency"),
        ({"currency": ""}, "currency"),
    ],
)
def test_bad_amounts_and_currencies_answer_422_naming_the_field(org: Org, body: dict[str, str], field: str) -> None:
    asset = open_asset(customer(org["rep_bj1"]), balance=10_000)
    payload = {"kind": "deposit", "amount": "1.00", "currency": "CNY", "reason": "x"} | body
    error = _error(
        Session(org["rep_bj1"]).post(f"/assets/{asset.pk}/movements", payload, key=f"bad-{abs(hash(str(body)))}"),
        422,
        "validation_failed",
    )
    assert list(error["fields"]) == [field] and error["fields"][field][0]
    assert reload(asset).balance == 10_000 and reload(asset).version == asset.version


def test_a_movement_in_another_currency_than_the_assets_is_refused(org: Org) -> None:
    asset = open_asset(customer(org["rep_bj1"]), balance=10_000)
    payload = {"kind": "deposit", "amount": "1.00", "currency": "USD", "reason": "x"}
    response = Session(org["rep_bj1"]).post(f"/assets/{asset.pk}/movements", payload, key="usd-on-cny")
    assert response.status_code == 422, response.content
    assert reload(asset).balance == 10_000


def test_overdrawing_is_a_conflict_and_posts_nothing(org: Org) -> None:
    asset = open_asset(customer(org["rep_bj1"]), balance=10_000)
    payload = {"kind": "withdraw", "amount": "100.01", "currency": "CNY", "reason": "x"}
    response = Session(org["rep_bj1"]).post(f"/assets/{asset.pk}/movements", payload, key="overdraw")
    assert response.status_code == 409, response.content
    assert reload(asset).balance == 10_000


def test_holdings_mask_the_identifier_for_the_manager_and_not_for_the_owner(org: Org) -> None:
    c = customer(org["rep_bj1"])
    open_asset(c, identifier=IDENTIFIER, balance=50_000)
    owner = Session(org["rep_bj1"]).get(f"/customers/{c.pk}/assets").json()
    assert [(a["identifier"], a["identifier_decision"], a["balance"]) for a in owner["assets"]] == [(IDENTIFIER, "plain", "500.00")]
    manager = Session(org["manager_bj"]).get(f"/customers/{c.pk}/assets").json()
    (held,) = manager["assets"]
    assert held["identifier_decision"] == "masked" and held["identifier"] != IDENTIFIER and held["identifier"].endswith(IDENTIFIER[-4:])
    assert IDENTIFIER not in json.dumps(manager)


def test_the_ledger_lists_entries_with_running_balances(org: Org) -> None:
    asset = open_asset(customer(org["rep_bj1"]), balance=10_000)
    api = Session(org["rep_bj1"])
    api.post(f"/assets/{asset.pk}/movements", {"kind": "pledge", "amount": "30.00", "currency": "CNY", "reason": "质押"}, key="p1")
    found = api.get(f"/assets/{asset.pk}/ledger").json()
    assert found["asset"]["balance"] == "100.00" and found["asset"]["pledged"] == "30.00" and found["asset"]["available"] == "70.00"
    kinds = [(e["kind"], e["balance_after"], e["pledged_after"]) for e in found["entries"]]
    assert ("pledge", "100.00", "30.00") in kinds and ("deposit", "100.00", "0.00") in kinds
    assert all(e["operator"] == "rep_bj1" for e in found["entries"])


def test_the_open_endpoint_needs_a_key_and_opens_once(org: Org) -> None:
    c = customer(org["rep_bj1"])
    api = Session(org["rep_bj1"])
    body = {"customer_id": str(c.pk), "kind": "securities", "identifier": "A123456789", "currency": "CNY", "reason": "开户"}
    _error(api.post("/assets", body), 422, "validation_failed")
    first = api.post("/assets", body, key="open-1")
    second = api.post("/assets", body, key="open-1")
    assert first.status_code == second.status_code == 201, first.content
    holdings = api.get(f"/customers/{c.pk}/assets").json()["assets"]
    assert len(holdings) == 1 and holdings[0]["kind"] == "securities"


def test_fx_rates_are_added_by_compliance_and_read_by_risk(org: Org) -> None:
    body = {"currency": "HKD", "rate": "0.9123", "as_of": "2026-02-01"}
    assert Session(org["risk"]).post("/fx-rates", body).status_code == 403
    assert Session(org["compliance"]).post("/fx-rates", body | {"rate": "abc"}).status_code == 422
    created = Session(org["compliance"]).post("/fx-rates", body)
    assert created.status_code == 201 and created.json()["base"] == "CNY"
    assert [r["currency"] for r in Session(org["risk"]).get("/fx-rates").json()] == ["HKD"]
    assert Session(org["rep_bj1"]).get("/fx-rates").status_code == 403


def test_a_movement_above_the_threshold_answers_202_with_the_request(org: Org) -> None:
    asset = open_asset(customer(org["rep_bj1"]), balance=100_000)
    body = {"kind": "deposit", "amount": "2000000.00", "currency": "CNY", "reason": "大额存入"}
    response = Session(org["rep_bj1"]).post(f"/assets/{asset.pk}/movements", body, key="big-api")
    assert response.status_code == 202, response.content
    assert response.json()["status"] == "submitted" and response.json()["request_id"]
    assert reload(asset).balance == 100_000
