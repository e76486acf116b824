"""The duplicate check as users meet it (issue #14): the 疑似重复客户 panel on the create and edit forms with
its confirm checkbox, and the API's 409 duplicate_found body with ``confirm_duplicates``."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from clientvault.audit.models import AuditEvent
from clientvault.customers.models import Customer
from clientvault.testing.actors import sign_in_verified
from clientvault.testing.customers import all_rows, customer

pytestmark = pytest.mark.django_db


def _client(u: Any) -> Client:
    client = Client()
    sign_in_verified(client, u)
    return client


def _form(**fields: Any) -> dict[str, Any]:
    return {"kind": "individual", "name": "新客户", "status": "prospect", "id_type": "", **fields}


def test_the_form_shows_the_panel_then_saves_when_confirmed(org):
    existing = customer(org["rep_bj1"], name="王小明")
    client = _client(org["rep_bj1"])
    page = client.post("/customers/new/", _form(mobile=existing.mobile))
    html = page.content.decode()
    assert page.status_code == 200 and 'data-testid="duplicates-panel"' in html
    assert "疑似重复客户" in html and "保存（确认不是重复客户）" in html and 'name="confirm_duplicates"' in html
    assert html.count('data-testid="duplicate-row"') == 1 and f"/customers/{existing.pk}/" in html
    assert "王小明" in html  # their own customer: shown as their policy shows it (the API test checks masking)
    assert all_rows(Customer).count() == 1
    shown = AuditEvent.objects.filter(event_type="customer.duplicates_shown").get()
    assert shown.detail["shown_ids"] == [str(existing.pk)]
    saved = client.post("/customers/new/", _form(mobile=existing.mobile, confirm_duplicates="on"))
    assert saved.status_code == 302 and all_rows(Customer).count() == 2
    created = AuditEvent.objects.filter(event_type="customer.created").get()
    assert created.detail["duplicates_overridden"] == 1


def test_a_blocking_match_shows_the_field_error_and_no_confirm_box(org):
    existing = customer(org["rep_bj2"])  # outside rep_bj1's scope
    html = _client(org["rep_bj1"]).post("/customers/new/", _form(id_type="resident_id", id_number=existing.id_number)).content.decode()
    assert "该证件号码的客户已存在" in html and 'data-testid="duplicates-hidden"' in html
    assert 'name="confirm_duplicates"' not in html and 'data-testid="duplicate-row"' not in html
    assert existing.name not in html


def test_the_edit_form_asks_too(org):
    a, b = customer(org["rep_bj1"]), customer(org["rep_bj1"])
    client = _client(org["rep_bj1"])
    data = _form(name=b.name, status=b.status, id_type=b.id_type, id_number=b.id_number, mobile=b.mobile, email=a.email, version=b.version)
    html = client.post(f"/customers/{b.pk}/edit/", data).content.decode()
    assert 'data-testid="duplicates-panel"' in html
    assert client.post(f"/customers/{b.pk}/edit/", {**data, "confirm_duplicates": "on"}).status_code == 302


def _api(client: Client, method: str, path: str, body: dict[str, Any]) -> Any:
    call = client.post if method == "post" else client.patch
    return call("/api/v1" + path, json.dumps(body), content_type="application/json")


def test_api_answers_409_with_visible_matches_masked_and_saves_when_confirmed(org):
    existing = customer(org["rep_bj1"], name="王小明")
    hidden = customer(org["rep_bj2"])
    client = _client(org["manager_bj"])  # sees both teams
    body = {"kind": "individual", "name": "新客户", "mobile": existing.mobile}
    answer = _api(client, "post", "/customers", body)
    assert answer.status_code == 409
    error = answer.json()["error"]
    assert error["code"] == "duplicate_found" and error["needs_confirmation"] is True and error["hidden_matches"] == 0
    [match] = error["matches"]
    assert match["id"] == str(existing.pk) and match["reasons"] == ["mobile"] and match["exact"] is True and match["blocking"] is False
    assert set(match["values"]) >= {"name", "mobile"} and match["values"]["mobile"] != existing.mobile
    assert existing.mobile not in answer.content.decode()
    created = _api(client, "post", "/customers", {**body, "confirm_duplicates": True})
    assert created.status_code == 201
    # A rep sees the blocking match on the other team's record as a count only.
    rep = _client(org["rep_bj1"])
    refused = _api(rep, "post", "/customers", {"kind": "individual", "name": "x", "id_type": "resident_id", "id_number": hidden.id_number})
    error = refused.json()["error"]
    assert refused.status_code == 409 and error["matches"] == [] and error["hidden_matches"] == 1 and error["needs_confirmation"] is False
    assert "id_number" in error["fields"] and hidden.name not in refused.content.decode()


def test_api_patch_answers_409_too(org):
    a, b = customer(org["rep_bj1"]), customer(org["rep_bj1"])
    client = _client(org["rep_bj1"])
    answer = _api(client, "patch", f"/customers/{b.pk}", {"email": a.email})
    assert answer.status_code == 409 and answer.json()["error"]["matches"][0]["id"] == str(a.pk)
    assert _api(client, "patch", f"/customers/{b.pk}", {"email": a.email, "confirm_duplicates": True}).status_code == 200
