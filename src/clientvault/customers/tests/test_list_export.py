"""The list's export button follows the filters (count and link), and the CSV holds what the list shows."""

from __future__ import annotations

import csv
import io
import re
from typing import Any

import pytest
from django.test import Client

from clientvault.accounts.models import User
from clientvault.customers.choices import Status
from clientvault.testing.actors import sign_in_verified
from clientvault.testing.consents import consent
from clientvault.testing.customers import customer
from clientvault.testing.organisation import Org

pytestmark = pytest.mark.django_db


def _web(u: User, purpose: str) -> Client:
    client = Client()
    sign_in_verified(client, u, purpose=purpose)
    return client


def _export_button(html: str) -> tuple[str, int]:
    match = re.search(r'<a [^>]*href="([^"]*)"[^>]*data-testid="export-customers" data-count="(\d+)"', html)
    assert match, "no export button in the page"
    return match.group(1).replace("&amp;", "&"), int(match.group(2))


def _rows(response: Any) -> list[list[str]]:
    text = response.content.decode("utf-8-sig")
    return list(csv.reader(io.StringIO(text)))[1:]


def test_filtering_updates_the_export_button_and_the_csv_holds_the_filtered_rows(org: Org, audit_events: Any) -> None:
    rep = org["rep_bj1"]
    rep.display_name = "王经理"
    rep.save(update_fields=["display_name"])
    active = [customer(rep, status=Status.ACTIVE) for _ in range(2)]
    closed = customer(rep, status=Status.CLOSED)
    for c in [*active, closed]:
        consent(c)
    client = _web(rep, "marketing")

    full = client.get("/customers/").content.decode()
    assert _export_button(full)[1] == 3

    # The filter bar swaps only the table (HTMX): the button must come along, out of band.
    fragment = client.get("/customers/", {"status": "active"}, headers={"HX-Request": "true"}).content.decode()
    assert 'id="customer-export" hx-swap-oob="true"' in fragment
    href, count = _export_button(fragment)
    assert count == 2
    assert "status=active" in href

    rows = _rows(client.get(href))
    assert sorted(r[0] for r in rows) == sorted(str(c.pk) for c in active)
    assert str(closed.pk) not in {r[0] for r in rows}
    assert {r[7] for r in rows} == {"王经理"}  # the owner's display name, not the login name
    [event] = audit_events("customer.exported")
    assert event.detail["rows"] == 2 and event.detail["filter_keys"] == ["status"]


def test_a_role_without_export_gets_no_button_in_the_fragment(org: Org) -> None:
    fragment = _web(org["rep_bj1"], "sales_followup").get("/customers/", headers={"HX-Request": "true"}).content.decode()
    assert 'data-testid="export-customers"' not in fragment


def test_search_says_it_is_exact_in_the_help_and_when_a_term_finds_nothing(org: Org) -> None:
    rep = org["rep_bj1"]
    customer(rep, name="欧阳明华")
    client = _web(rep, "sales_followup")
    page = client.get("/customers/").content.decode()
    assert "精确匹配完整的姓名" in page  # the search box's help text
    assert 'data-testid="exact-search-hint"' not in page
    partial = client.get("/customers/", {"q": "欧阳"}, headers={"HX-Request": "true"}).content.decode()
    assert 'data-testid="empty"' in partial
    assert "没有与“欧阳”完全一致的记录" in partial and "加密存储" in partial
    whole = client.get("/customers/", {"q": "欧阳明华"}, headers={"HX-Request": "true"}).content.decode()
    assert 'data-testid="empty"' not in whole
    filtered = client.get("/customers/", {"status": "closed"}, headers={"HX-Request": "true"}).content.decode()
    assert 'data-testid="empty"' in filtered and 'data-testid="exact-search-hint"' not in filtered
