"""Tags describe a person ("VIP", "病患", "欠款"): they are decided like the customer's other fields (issue #11)."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from clientvault.customers import profiles, selectors
from clientvault.testing.actors import ctx, signed_in
from clientvault.testing.customers import customer, reload

pytestmark = pytest.mark.django_db

TAG = "欠款"


def _client(u: Any) -> Client:
    client: Client = signed_in(u)
    return client


def _tagged(owner: Any, **fields: Any) -> Any:
    c = customer(owner, **fields)
    profiles._set_tags(c, [TAG])
    return c


def test_a_core_customers_tags_are_masked_for_a_rep_and_withheld_for_the_auditor(org, audit_events):
    core = _tagged(org["rep_bj1"], is_core=True)
    plain = _tagged(org["rep_bj1"])
    rep = _client(org["rep_bj1"])
    body = rep.get(f"/api/v1/customers/{core.pk}").json()
    assert body["tags"] and TAG not in body["tags"] and body["fields"]["tags"]["decision"] == "masked"
    assert rep.get(f"/api/v1/customers/{plain.pk}").json()["tags"] == [TAG]
    page = rep.get(reverse("customers:detail", args=[core.pk])).content.decode()
    assert TAG not in page
    listed = rep.get("/api/v1/customers").json()["items"]
    tags = {i["id"]: i["tags"] for i in listed}
    assert tags[str(plain.pk)] == [TAG] and tags[str(core.pk)] and TAG not in tags[str(core.pk)]
    auditor = selectors.get_customer(ctx(org["auditor"]), core.pk, with_followups=False)
    assert auditor.shown_tags is None and auditor.field_views["tags"].decision == "withheld"  # type: ignore[attr-defined]
    assert "tags" not in audit_events("customer.viewed")[-1].fields


def test_filtering_by_tag_does_not_find_customers_whose_tags_are_not_in_clear(org):
    core = _tagged(org["rep_bj1"], is_core=True)
    plain = _tagged(org["rep_bj1"])
    found = selectors.list_customers(ctx(org["rep_bj1"]), selectors.CustomerFilters(tag=TAG)).items
    assert [c.pk for c in found] == [plain.pk] and core.pk not in [c.pk for c in found]


def test_tags_not_seen_in_clear_cannot_be_changed_and_the_edit_form_leaves_them_alone(org):
    core = _tagged(org["rep_bj1"], is_core=True)
    rep = _client(org["rep_bj1"])
    response = rep.patch(f"/api/v1/customers/{core.pk}", {"tags": ["VIP"]}, content_type="application/json")
    assert response.status_code == 422 and "tags" in response.json()["error"]["fields"]
    form = rep.get(reverse("customers:edit", args=[core.pk]))
    assert form.status_code == 200 and 'name="tags"' not in form.content.decode()
    assert list(reload(core).tags.values_list("name", flat=True)) == [TAG]
