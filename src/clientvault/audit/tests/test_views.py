"""Audit trail pages: search, "who has seen or changed this", evidence downloads (CSV and JSON)."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
import uuid
from typing import Any

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from clientvault.audit import sealing
from clientvault.audit.evidence import CSV_COLUMNS, VERIFIER
from clientvault.audit.models import AuditEvent
from clientvault.customers.models import Customer
from clientvault.testing.actors import ctx, sign_in_verified
from clientvault.testing.audit import event, trusted_public_key, verifier
from clientvault.testing.customers import customer
from clientvault.testing.organisation import Org

pytestmark = pytest.mark.django_db
SEARCH = "/audit/"
EVIDENCE = "/audit/evidence/"


@pytest.fixture
def target(org: Org) -> Customer:
    return customer(org["rep_bj1"], name="审计目标 张三")


@pytest.fixture
def trail(org: Org, target: Customer) -> list[AuditEvent]:
    rep = ctx(org["rep_bj1"])
    at = dt.datetime(2026, 3, 1, 2, 30, tzinfo=dt.UTC)  # 10:30 in Shanghai
    return [event(rep, at=at, customer_id=target.pk), event(rep, "customer.updated", at=at + dt.timedelta(hours=1), customer_id=target.pk)]


def signed_in(client: Client, org: Org, who: str, *, language: str = "") -> Client:
    sign_in_verified(client, org[who])
    if language:
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    return client


def test_search_page_lists_events_in_the_users_time_zone_and_records_the_search(
    client: Client, org: Org, target: Customer, trail: list[AuditEvent], audit_events: Any
) -> None:
    signed_in(client, org, "compliance")
    response = client.get(SEARCH)
    assert response.status_code == 200
    body = response.content.decode()
    assert "审计日志" in body and "查看客户" in body, "the page and the event labels are in Chinese by default"
    assert "2026-03-01 10:30:00" in body, "times are shown in the user's zone (Asia/Shanghai by default)"
    assert str(target.pk)[-12:] in body and target.name not in body, "the trail never shows personal data"
    [searched] = audit_events("audit.searched")
    assert searched.detail == {"filter_keys": [], "result_count": searched.detail["result_count"], "page": 1}
    assert searched.channel == "web" and searched.actor_id == org["compliance"].pk

    org["compliance"].time_zone = "Europe/Berlin"
    org["compliance"].save(update_fields=["time_zone"])
    assert "2026-03-01 03:30:00" in client.get(SEARCH).content.decode()


def test_filters_narrow_the_table_and_offer_the_evidence_pack(client: Client, org: Org, target: Customer, trail: list[AuditEvent]) -> None:
    signed_in(client, org, "auditor", language="en")
    response = client.get(SEARCH, {"customer": str(target.pk), "event_type": "customer.updated", "from": "2026-03-01", "to": "2026-03-01"})
    body = response.content.decode()
    assert response.status_code == 200 and body.count('data-testid="audit-row"') == 1
    assert "Customer updated" in body
    csv_link = re.search(r'href="(/audit/evidence/\?[^"]+format=csv)"', body)
    assert csv_link is not None
    assert f"customer={target.pk}" in csv_link.group(1) and "from=2026-03-01" in csv_link.group(1)
    assert "Evidence pack: 2 events with their proofs" in body  # customer + dates; the type filter does not apply


def test_htmx_search_answers_the_results_fragment(client: Client, org: Org, trail: list[AuditEvent]) -> None:
    signed_in(client, org, "compliance")
    response = client.get(SEARCH, {"outcome": "success"}, headers={"HX-Request": "true"})
    assert response.status_code == 200
    body = response.content.decode()
    assert "<html" not in body and 'data-testid="audit-table"' in body


@pytest.mark.parametrize(
    ("query", "expected_zh", "expected_en"),
    [
        ({"customer": "138 0013 8000"}, "UUID", "UUID"),
        ({"from": "2026-03-05", "to": "2026-03-01"}, "时间范围的结束必须晚于开始", "The end of the time range must be after its start"),
        ({"from": "next tuesday"}, "日期", "date"),
    ],
)
def test_bad_filters_are_explained_in_the_users_language_and_nothing_is_searched(
    client: Client, org: Org, query: dict[str, str], expected_zh: str, expected_en: str, audit_events: Any
) -> None:
    for language, expected in (("zh-hans", expected_zh), ("en", expected_en)):
        signed_in(client, org, "compliance", language=language)
        response = client.get(SEARCH, query)
        body = response.content.decode()
        assert response.status_code == 200 and 'data-testid="audit-invalid"' in body
        assert expected in body
        assert "138 0013 8000" not in body.split('data-testid="audit-invalid"')[1], "a typed value is not echoed in the message"
    assert audit_events("audit.searched") == []


@pytest.mark.parametrize("who", ["admin", "risk", "manager_bj", "rep_bj1", "norole"])
def test_other_roles_get_404_and_no_navigation(client: Client, org: Org, target: Customer, who: str) -> None:
    signed_in(client, org, who)
    for url in (SEARCH, f"/audit/customers/{target.pk}/", f"{EVIDENCE}?customer={target.pk}&format=csv"):
        assert client.get(url).status_code == 404, url
    assert 'href="/audit/"' not in client.get(reverse("accounts:profile")).content.decode()


@pytest.mark.parametrize("who", ["compliance", "auditor"])
def test_navigation_and_customer_tab_for_the_trail_readers(client: Client, org: Org, target: Customer, who: str) -> None:
    signed_in(client, org, who)
    assert 'href="/audit/"' in client.get(reverse("accounts:profile")).content.decode()
    detail = client.get(reverse("customers:detail", args=[target.pk])).content.decode()
    assert f'href="/audit/customers/{target.pk}/"' in detail and "谁查看或修改过" in detail


def test_customer_page_has_no_history_tab_for_sales(client: Client, org: Org, target: Customer) -> None:
    signed_in(client, org, "rep_bj1")
    detail = client.get(reverse("customers:detail", args=[target.pk])).content.decode()
    assert "/audit/customers/" not in detail


def test_customer_history_page(client: Client, org: Org, target: Customer, trail: list[AuditEvent], audit_events: Any) -> None:
    signed_in(client, org, "compliance")
    response = client.get(f"/audit/customers/{target.pk}/")
    body = response.content.decode()
    assert response.status_code == 200 and body.count('data-testid="audit-row"') == 2
    assert target.name not in body and str(target.pk) in body
    assert f'href="{reverse("customers:detail", args=[target.pk])}"' in body, "compliance may open this customer"
    [viewed] = audit_events("audit.customer_history_viewed")
    assert viewed.customer_id == target.pk and viewed.channel == "web"
    assert audit_events("customer.viewed") == [], "the history page decrypts nothing"
    # A customer of the other legal entity: its history answers, but no link that would end in 404.
    foreign = customer(org["rep_other"])
    body = client.get(f"/audit/customers/{foreign.pk}/").content.decode()
    assert f'href="{reverse("customers:detail", args=[foreign.pk])}"' not in body


def _csv_rows(response: Any) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))


def test_csv_evidence_rows_are_self_contained_proofs(
    client: Client, org: Org, target: Customer, trail: list[AuditEvent], audit_events: Any
) -> None:
    sealing.seal()
    late = event(ctx(org["rep_bj1"]), customer_id=target.pk)
    signed_in(client, org, "auditor")
    response = client.get(EVIDENCE, {"customer": str(target.pk), "format": "csv"})
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    assert re.fullmatch(r'attachment; filename="clientvault-evidence-\d{8}-\d{6}\.csv"', response["Content-Disposition"])
    assert response.content.startswith("\ufeff".encode())
    rows = _csv_rows(response)
    assert list(rows[0]) == list(CSV_COLUMNS)
    assert [r["event_id"] for r in rows] == [str(trail[0].event_id), str(trail[1].event_id), str(late.event_id)]
    assert [r["sealed"] for r in rows] == ["sealed", "sealed", "unsealed"] and rows[2]["leaf_hash"] == ""
    check = verifier().check
    for row in rows[:2]:
        document = {
            "entry": row["entry"],
            "leaf_index": int(row["leaf_index"]),
            "proof": [h for h in row["audit_path"].split(";") if h],
            "tree_size": int(row["tree_size"]),
            "checkpoint": {"body": row["checkpoint_body"], "signature": row["checkpoint_signature"], "key_id": row["checkpoint_key_id"]},
        }
        assert row["public_key"] == trusted_public_key(document)
        assert check(document, trusted_public_key(document)) == []
        assert json.loads(row["entry"])["event_id"] == row["event_id"]
    [exported] = audit_events("audit.evidence_exported")
    assert exported.detail["format"] == "csv" and exported.detail["event_count"] == 3 and exported.customer_id == target.pk


def test_json_evidence_pack_for_a_date_range(
    client: Client, org: Org, target: Customer, trail: list[AuditEvent], audit_events: Any
) -> None:
    sealing.seal()
    signed_in(client, org, "compliance", language="en")
    response = client.get(EVIDENCE, {"from": "2026-03-01", "to": "2026-03-01", "format": "json"})
    assert response.status_code == 200 and response["Content-Disposition"].endswith('.json"')
    pack = response.json()
    assert pack["format"] == "clientvault-evidence-pack" and pack["generated_by"] == "compliance"
    assert pack["filters"] == {"customer": None, "from": "2026-03-01T00:00:00+08:00", "to": "2026-03-02T00:00:00+08:00"}
    assert [e["event_id"] for e in pack["events"]] == [str(e.event_id) for e in trail] and pack["unsealed"] == []
    assert VERIFIER in pack["verification"] and "SHA-256" in pack["verification"]
    for proof in pack["proofs"]:
        document = {**proof, "checkpoint": pack["checkpoint"], "tree_size": pack["tree_size"]}
        assert verifier().check(document, trusted_public_key(document)) == []
    [exported] = audit_events("audit.evidence_exported")
    assert exported.detail["filter_keys"] == ["from", "to"] and exported.detail["format"] == "json"


@pytest.mark.parametrize(
    ("query", "zh", "en"),
    [
        ({"format": "csv"}, "请选择客户或时间范围", "Choose a customer or a time range"),
        ({"customer": "abc", "format": "csv"}, "请输入有效的客户 ID", "Enter a valid customer id"),
        ({"from": "2026-02-30", "format": "json"}, "YYYY-MM-DD", "YYYY-MM-DD"),
        ({"from": "2026-03-01", "format": "xlsx"}, "json 或 csv", "json or csv"),
    ],
)
def test_refused_export_returns_to_the_search_with_a_clear_message(
    client: Client, org: Org, query: dict[str, str], zh: str, en: str, audit_events: Any
) -> None:
    for language, expected in (("zh-hans", zh), ("en", en)):
        signed_in(client, org, "auditor", language=language)
        response = client.get(EVIDENCE, query)
        assert response.status_code == 302 and response["Location"].startswith(SEARCH)
        assert "format=" not in response["Location"]
        page = client.get(response["Location"]).content.decode()
        assert expected in page, (language, expected)
    assert audit_events("audit.evidence_exported") == []


def test_export_above_the_maximum_is_refused_and_the_button_says_why(
    client: Client, org: Org, target: Customer, trail: list[AuditEvent], settings: Any
) -> None:
    settings.CLIENTVAULT_AUDIT_EVIDENCE_MAX_EVENTS = 1
    signed_in(client, org, "compliance")
    page = client.get(SEARCH, {"customer": str(target.pk)}).content.decode()
    assert 'data-testid="evidence-too-large"' in page and 'data-testid="export-csv"' not in page
    response = client.get(EVIDENCE, {"customer": str(target.pk), "format": "csv"}, follow=True)
    assert "最多可导出 1 条" in response.content.decode()


def test_pagination_keeps_the_filters(client: Client, org: Org, target: Customer, monkeypatch: pytest.MonkeyPatch) -> None:
    from clientvault.audit import selectors

    rep = ctx(org["rep_bj1"])
    for _ in range(3):
        event(rep, customer_id=target.pk)
    signed_in(client, org, "compliance")
    monkeypatch.setattr(selectors, "PER_PAGE", 2)
    body = client.get(SEARCH, {"customer": str(target.pk)}).content.decode()
    next_link = re.search(r'href="(/audit/\?[^"]*page=2)"', body)
    assert next_link is not None and f"customer={target.pk}" in next_link.group(1).replace("&amp;", "&")


def test_unknown_customer_history_is_empty_not_an_error(client: Client, org: Org) -> None:
    signed_in(client, org, "auditor")
    response = client.get(f"/audit/customers/{uuid.uuid4()}/")
    assert response.status_code == 200 and 'data-testid="empty"' in response.content.decode()


def test_csv_cells_a_spreadsheet_would_run_as_formulas_are_quoted(client: Client, org: Org, target: Customer) -> None:
    """CSV injection: a recorded object id like ``=HYPERLINK(…)`` must reach the spreadsheet as text."""
    from django.db import transaction

    from clientvault.audit import recording as audit

    with transaction.atomic():
        audit.record(
            ctx(org["rep_bj1"]),
            "customer.viewed",
            object_type="customers.customer",
            object_id='=HYPERLINK("http://x")',
            customer_id=target.pk,
        )
    signed_in(client, org, "compliance")
    [row] = _csv_rows(client.get(EVIDENCE, {"customer": str(target.pk), "format": "csv"}))
    assert row["object_id"] == '\'=HYPERLINK("http://x")'
    assert row["sealed"] == "unsealed" and row["customer_id"] == str(target.pk)
