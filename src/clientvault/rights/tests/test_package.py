"""The access package (issue #15; PIPL-44-48, PIPL-45 access and copy, GDPR-15 access, GDPR-20 portability):
every section for a rich customer, nothing of another customer, one audit event, an erased customer is
NotFound, a stable JSON schema, formula-safe CSV, and a PDF that embeds a CJK font."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
import uuid
import zipfile
import zlib
from collections.abc import Mapping
from typing import Any

import pytest
from django.utils import translation

from clientvault.audit.models import AuditEvent
from clientvault.consents import services as consent_services
from clientvault.consents.choices import Action
from clientvault.core.context import system_context
from clientvault.core.errors import NotFound
from clientvault.crypto import keystore
from clientvault.customers import changes, profiles
from clientvault.customers import selectors as customer_selectors
from clientvault.customers.shredding import shred_customer
from clientvault.rights import package
from clientvault.testing.actors import ctx, subject_ctx
from clientvault.testing.assets import asset
from clientvault.testing.consents import consent
from clientvault.testing.customers import customer, followup
from clientvault.testing.identifiers import resident_id
from clientvault.testing.organisation import Org

pytestmark = pytest.mark.django_db

SECTIONS = [
    "profile", "custom_fields", "tags", "consents", "consent_history", "assets", "ledger", "followups", "change_requests",
    "provenance", "access_summary", "access_log",
]  # fmt: skip


def _rich(org: Org, *, name: str = "张三丰", summary: str = "电话回访：介绍理财产品") -> Any:
    rep = org["rep_bj1"]
    c = customer(rep, name=name, address="北京市海淀区中关村大街1号", occupation='=HYPERLINK("http://x")')
    consent(c, "marketing")
    consent_services.withdraw_consent(ctx=subject_ctx(c), customer_id=c.pk, purpose="marketing", channel="web")
    consent(c, "marketing")
    followup(c, rep, summary=summary, next_step="+下周再联系", next_step_due=dt.date(2026, 2, 1))
    asset(c, balance=123456, product="定期存款")
    customer_selectors.get_customer(ctx(rep), c.pk)  # an access by staff: customer.viewed
    new_number = resident_id(birth=dt.date(1985, 3, 9), sex="M")
    profiles.update_customer(ctx=ctx(rep), customer_id=c.pk, changes={"id_number": new_number})  # becomes a change request
    return c


def _rows(p: package.AccessPackage, code: str) -> tuple[Mapping[str, Any], ...]:
    section = p.section(code)
    assert section is not None, code
    return section.rows


def test_every_section_is_there_for_a_rich_customer_decrypted(org: Org) -> None:
    c = _rich(org)
    p = package.gather(subject_ctx(c), c.pk, language="zh-hans")
    assert [s.code for s in p.sections] == SECTIONS
    profile = {r["field"]: r for r in _rows(p, "profile")}
    assert profile["name"]["value"] == "张三丰" and profile["name"]["label"] == "姓名 / 名称"
    assert profile["id_number"]["value"] == c.id_number and profile["id_number"]["sensitive"] is True  # unmasked: their own
    assert profile["address"]["value"] == "北京市海淀区中关村大街1号"
    history = _rows(p, "consent_history")
    with translation.override("zh-hans"):
        given, withdrawn = str(Action.GIVEN.label), str(Action.WITHDRAWN.label)
    assert [r["action"] for r in history] == [given, withdrawn, given]
    assert all(r["notice"] == "privacy" and r["notice_version"] == 1 and r["channel"] for r in history)
    [current] = _rows(p, "consents")
    assert current["purpose"] == "marketing"
    [held] = _rows(p, "assets")
    assert held["balance"] == "1234.56" and held["currency"] == "CNY"
    ledger = _rows(p, "ledger")
    assert [r["seq"] for r in ledger] == [1, 2] and ledger[-1]["balance_after"] == "1234.56"
    [contact] = _rows(p, "followups")
    assert contact["summary"] == "电话回访：介绍理财产品" and contact["next_step_due"] == "2026-02-01"
    [change] = _rows(p, "change_requests")
    assert change["change_type"] == changes.SENSITIVE_FIELD and "证件号码" in str(change["fields"])  # labelled from the catalogue
    log = _rows(p, "access_log")
    viewed = [r for r in log if r["event_type"] == "customer.viewed"]
    assert viewed and viewed[0]["role"] == "客户经理" and viewed[0]["department"] == "财富一部"
    assert "rep_bj1" not in json.dumps(package.as_document(p), ensure_ascii=False)  # staff by role and department only
    summary = {(r["event_type"], r["role"]): r["count"] for r in _rows(p, "access_summary")}
    assert summary[("customer.viewed", "客户经理")] >= 1


def test_nothing_of_another_customer_leaks_in(org: Org) -> None:
    mine = _rich(org, name="李四", summary="我的跟进")
    other = _rich(org, name="王五", summary="别人的跟进")
    p = package.gather(subject_ctx(mine), mine.pk)
    text = package.render_json(p).decode("utf-8")
    assert "李四" in text and "我的跟进" in text
    for leaked in ("王五", "别人的跟进", other.id_number, str(other.pk)):
        assert leaked not in text
    assert {r["asset_id"] for r in _rows(p, "ledger")} == {r["asset_id"] for r in _rows(p, "assets")}


def test_one_audit_event_per_gathering_naming_the_request(org: Org, audit_events: Any) -> None:
    c = _rich(org)
    request_id = uuid.uuid4()
    before = len(audit_events())
    p = package.gather(system_context(channel="task", purpose="rights_request"), c.pk, request_id=request_id)
    events = audit_events()[before:]
    [event] = events
    assert event.event_type == "rights.package_gathered" and event.customer_id == c.pk
    assert event.detail["request_id"] == str(request_id) and event.detail["sections"] == SECTIONS
    assert event.detail["n_followups"] == 1 and event.event_id == p.event_id
    assert "张三丰" not in json.dumps(event.detail, ensure_ascii=False)


def test_who_may_have_a_package_gathered(org: Org) -> None:
    c = _rich(org)
    other = customer(org["rep_bj1"])
    with pytest.raises(NotFound):
        package.gather(subject_ctx(other), c.pk)  # someone else in the portal
    with pytest.raises(NotFound):
        package.gather(ctx(org["rep_bj1"]), c.pk)  # staff, but not for the rights-request purpose
    with pytest.raises(NotFound):
        package.gather(ctx(org["rep_other"], purpose="rights_request"), c.pk)  # out of scope
    p = package.gather(ctx(org["compliance"], purpose="rights_request"), c.pk)
    assert p.customer_id == c.pk
    assert not AuditEvent.objects.filter(event_type="rights.package_gathered", customer_id=c.pk, actor=org["rep_other"]).exists()


def test_an_erased_customer_has_no_package(org: Org) -> None:
    c = _rich(org)
    shred_customer(ctx=system_context(), customer_id=c.pk)
    keystore.finish_pending_destructions()
    with pytest.raises(NotFound):
        package.gather(subject_ctx(c), c.pk)


def test_json_schema_is_stable(org: Org) -> None:
    c = _rich(org)
    p = package.gather(subject_ctx(c), c.pk, language="en")
    doc = json.loads(package.render_json(p))
    assert doc["schema"] == "clientvault.access-package/1"
    assert sorted(doc) == ["audit_event_id", "customer_id", "generated_at", "holder", "language", "request_id", "schema", "sections"]
    assert dt.datetime.fromisoformat(doc["generated_at"]).tzinfo is not None
    for s in doc["sections"]:
        assert sorted(s) == ["code", "columns", "count", "note", "rows", "title", "total"]
        keys = [col["key"] for col in s["columns"]]
        assert all(sorted(row) == sorted(keys) for row in s["rows"])
        assert all(isinstance(v, str | int | bool) or v is None for row in s["rows"] for v in row.values())
    assets = next(s for s in doc["sections"] if s["code"] == "assets")
    assert assets["title"] == "Your assets" and isinstance(assets["rows"][0]["balance"], str)
    assert package.render_json(p) == package.render_json(p)


def test_csv_zip_is_utf8_with_bom_and_formula_safe(org: Org) -> None:
    c = _rich(org)
    p = package.gather(subject_ctx(c), c.pk)
    archive = zipfile.ZipFile(io.BytesIO(package.render_csv_zip(p)))
    names = archive.namelist()
    assert names[0] == "01_profile.csv" and "package.json" in names and len(names) == len(SECTIONS) + 1
    raw = archive.read("01_profile.csv")
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert rows[0] == ["field", "label", "category", "class", "sensitive", "value"]
    occupation = next(r for r in rows if r[0] == "occupation")
    assert occupation[-1] == '\'=HYPERLINK("http://x")'  # opened as text, never run
    followups = list(csv.reader(io.StringIO(archive.read("08_followups.csv").decode("utf-8-sig"))))
    assert followups[2][3] == "'+下周再联系"
    index = json.loads(archive.read("package.json"))
    assert index["schema"] == "clientvault.access-package/1" and "rows" not in index["sections"][0]


def test_pdf_is_a_pdf_with_a_cjk_font(org: Org) -> None:
    c = _rich(org)
    p = package.gather(subject_ctx(c), c.pk, language="zh-hans")
    pdf = package.render_pdf(p)
    assert pdf.startswith(b"%PDF-") and pdf.rstrip().endswith(b"%%EOF")
    assert any(name.endswith(b"Noto-Sans-CJK-SC") for name in _embedded_fonts(pdf)), _embedded_fonts(pdf)


def _embedded_fonts(pdf: bytes) -> set[bytes]:
    """The /BaseFont names in the PDF, its compressed object streams inflated (WeasyPrint compresses them)."""
    names = set(re.findall(rb"/BaseFont\s*/([^\s/<>\[\]]+)", pdf))
    for m in re.finditer(rb"stream\r?\n", pdf):
        end = pdf.find(b"endstream", m.end())
        try:
            names.update(re.findall(rb"/BaseFont\s*/([^\s/<>\[\]]+)", zlib.decompress(pdf[m.end() : end])))
        except zlib.error:
            continue
    return names


def test_the_printed_copy_lists_the_most_recent_events_and_says_so(settings: Any) -> None:
    from clientvault.rights import package_pdf

    settings.CLIENTVAULT_ACCESS_PACKAGE_PDF_EVENTS = 2
    log = package.Section(
        "access_log",
        "Who used your data",
        (package.Column("occurred_at", "Time"), package.Column("event", "What")),
        tuple({"occurred_at": f"2026-01-0{i}T10:00:00+00:00", "event": f"event {i}"} for i in range(1, 6)),
    )
    p = package.AccessPackage(uuid.uuid4(), dt.datetime(2026, 1, 9, tzinfo=dt.UTC), "en", [log], holder="Bank")
    page = package_pdf.html(p)
    assert "event 1" in page and "event 2" in page and "event 3" not in page
    assert "the JSON and CSV copies list all 5" in page


def test_a_restricted_customer_still_gets_their_package(org: Org) -> None:
    """PIPL-47 stops processing except storage; it does not stop answering the person (their right of access)."""
    lifecycle_services = pytest.importorskip("clientvault.lifecycle.services", reason="the lifecycle slice (issue #15) is not merged here")
    if not hasattr(lifecycle_services, "restrict_on_request"):
        pytest.skip("lifecycle.services.restrict_on_request is provided by the lifecycle slice, not merged here yet")
    c = _rich(org)
    lifecycle_services.restrict_on_request(
        ctx(org["compliance"], purpose="rights_request"), customer_id=c.pk, request_ref="req-1", reason="contested accuracy"
    )
    with pytest.raises(NotFound):
        package.gather(ctx(org["rep_bj1"], purpose="rights_request"), c.pk)  # out of the rep's sight now
    p = package.gather(subject_ctx(c), c.pk)
    assert {r["field"]: r["value"] for r in _rows(p, "profile")}["name"] == "张三丰" and _rows(p, "followups")
