"""Input hygiene (issue #11): a NUL byte in any API input is a 422 on every database; zero-width and
bidirectional control characters are removed before validation and blind indexing, on the web and the API."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from django.test import Client

from clientvault.customers import vault
from clientvault.customers.models import Tag
from clientvault.testing.actors import choose_purpose, default_purpose, sign_in_verified
from clientvault.testing.customers import customer, find, followup_text, reload

pytestmark = pytest.mark.django_db


def _api(u: Any) -> Client:
    client = Client()
    client.force_login(u)
    choose_purpose(client, default_purpose(u))
    return client


def _post(client: Client, path: str, body: dict[str, Any]) -> Any:
    return client.post("/api/v1" + path, json.dumps(body), content_type="application/json")


def test_a_nul_byte_anywhere_in_api_input_is_a_structured_422(org):
    c = customer(org["rep_bj1"])
    client = _api(org["rep_bj1"])
    when = (dt.datetime.now(dt.UTC) - dt.timedelta(hours=1)).isoformat()
    answers = {
        "body field": _post(client, "/customers", {"kind": "individual", "name": "张\x00三"}),
        "nested body": _post(client, "/customers", {"kind": "individual", "name": "张三", "tags": ["ok", "v\x00ip"]}),
        "follow-up": _post(client, f"/customers/{c.pk}/followups", {"occurred_at": when, "channel": "phone", "summary": "a\x00b"}),
        "patch": client.patch(f"/api/v1/customers/{c.pk}", json.dumps({"address": "\x00"}), content_type="application/json"),
        "query": client.get("/api/v1/customers", {"q": "13\x008"}),
    }
    fields = {}
    for where, response in answers.items():
        assert response.status_code == 422, (where, response.status_code)
        error = response.json()["error"]
        assert error["code"] == "validation_failed" and error["request_id"], where
        fields[where] = sorted(error["fields"])
    assert fields == {"body field": ["name"], "nested body": ["tags.1"], "follow-up": ["summary"], "patch": ["address"], "query": ["q"]}
    assert reload(c).address == ""


def test_invisible_characters_are_removed_before_storing_and_indexing_over_the_api(org):
    client = _api(org["rep_bj1"])
    made = _post(
        client, "/customers", {"kind": "individual", "name": "张\u200b三\ufeff", "occupation": "\u202e4321\u202d", "tags": ["V\u2060IP"]}
    )
    assert made.status_code == 201, made.content
    stored = reload(made.json()["id"])
    assert (stored.name, stored.occupation) == ("张三", "4321")
    assert list(stored.tags.values_list("name", flat=True)) == ["VIP"]
    for q in ("张三", "张\u200c三", "\u2066张三\u2069"):
        items = client.get("/api/v1/customers", {"q": q}).json()["items"]
        assert [i["id"] for i in items] == [str(stored.pk)], q


def test_invisible_characters_are_removed_from_web_forms_too(org, client):
    sign_in_verified(client, org["rep_bj1"])
    response = client.post("/customers/new/", {"kind": "individual", "name": "李\u200d四", "status": "prospect", "tags": "病\u200e患"})
    assert response.status_code == 302
    [stored] = find("李四")
    assert reload(stored).name == "李四" and Tag.objects.filter(name="病患").exists()
    c = customer(org["rep_bj1"])
    data = {"occurred_at": "2026-01-05T10:00", "channel": "phone", "summary": "\u202e回访\u202c", "next_step": "寄\u200b资料"}
    assert client.post(f"/customers/{c.pk}/followups/", data).status_code == 302
    from clientvault.customers.models import FollowUp

    [note] = FollowUp.objects.unrestricted(reason="test reads the stored row").filter(customer_id=c.pk)
    assert followup_text(note) == {"summary": "回访", "next_step": "寄资料"}


def test_a_name_stored_with_an_invisible_character_has_the_index_of_the_visible_name():
    assert vault.index("name", "张\u200b三") == vault.index("name", "张三") != b""
