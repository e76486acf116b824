"""An update that changes nothing still answers with the record: that read leaves its event (issue #11)."""

from __future__ import annotations

import pytest
from django.test import Client

from clientvault.testing.actors import choose_purpose, default_purpose, sign_in_verified
from clientvault.testing.customers import customer, reload

pytestmark = pytest.mark.django_db


def _api(u: object) -> Client:
    client = Client()
    client.force_login(u)  # type: ignore[arg-type]
    choose_purpose(client, default_purpose(u))  # type: ignore[arg-type]
    return client


@pytest.mark.parametrize("body", ["empty", "same values"])
def test_an_api_patch_that_changes_nothing_records_the_read_it_answers_with(org, audit_events, body):
    c = customer(org["rep_bj1"])
    payload = {} if body == "empty" else {"name": c.name, "mobile": c.mobile}
    mark = len(audit_events())
    response = _api(org["rep_bj1"]).patch(f"/api/v1/customers/{c.pk}", payload, content_type="application/json")
    assert response.status_code == 200 and response.json()["name"] == c.name
    [event] = audit_events()[mark:]
    assert event.event_type == "customer.viewed" and event.customer_id == c.pk
    assert {"name", "mobile", "id_number"} <= set(event.fields) and event.detail["unchanged"] is True
    assert reload(c).version == 1


def test_a_core_customers_unchanged_patch_says_what_was_not_in_clear(org, audit_events):
    c = customer(org["rep_bj1"], is_core=True)
    mark = len(audit_events())
    response = _api(org["rep_bj1"]).patch(f"/api/v1/customers/{c.pk}", {}, content_type="application/json")
    assert response.status_code == 200 and response.json()["name"] != c.name
    [event] = audit_events()[mark:]
    assert event.event_type == "customer.viewed" and "name" in event.detail["not_in_clear"]


def test_the_web_edit_form_saved_without_changes_leaves_a_read_and_no_write(org, audit_events, client):
    c = customer(org["rep_bj1"])
    sign_in_verified(client, org["rep_bj1"])
    data = {
        "name": c.name, "status": "active", "id_type": "resident_id", "id_number": c.id_number, "mobile": c.mobile,
        "email": c.email, "nationality": "CN", "birth_date": str(c.birth_date), "version": "1",
    }  # fmt: skip
    mark = len(audit_events())
    response = client.post(f"/customers/{c.pk}/edit/", data)
    assert response.status_code == 302
    types = [e.event_type for e in audit_events()[mark:]]
    assert "customer.updated" not in types and types.count("customer.viewed") >= 1
    assert reload(c).version == 1
