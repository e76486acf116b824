"""The deletion engine (PIPL-47, GDPR-17, JRT0171-DELETE): steps, hold re-check inside every step, resumption after a
crash between steps, AML holds turning a deletion into a restriction, the change-request path, and the certificate
(signed, offline-verifiable, tamper-evident)."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from django.test import override_settings
from django.utils import timezone

from clientvault.approvals.models import ChangeRequest
from clientvault.assets.models import Asset
from clientvault.audit import signing
from clientvault.core.errors import Conflict, NotFound
from clientvault.crypto import keystore
from clientvault.crypto.models import KeyDestruction
from clientvault.customers.models import Customer, FollowUp
from clientvault.lifecycle import certificates, erasure, holds, selectors, services
from clientvault.lifecycle.models import DeletionCertificate, Erasure, ErasureState
from clientvault.lifecycle.tests.support import SYSTEM, no_approval, prospect, raw
from clientvault.merges.tests import support as merges_support
from clientvault.testing import customers as cf
from clientvault.testing.actors import ctx
from clientvault.testing.organisation import Org, second_officer

pytestmark = pytest.mark.django_db
SCRIPT = Path(__file__).resolve().parents[4] / "scripts" / "verify_deletion_certificate.py"


def _erasure(ref: str) -> Erasure:
    return Erasure.objects.get(request_ref=ref)


@no_approval
def test_erasure_shreds_the_key_deletes_rows_keeps_a_tombstone_and_signs_a_certificate(org: Org, audit_events: Any) -> None:
    rep = org["rep_bj1"]
    c = prospect(rep, name="李娜")
    cf.followup(c, rep, summary="电话回访", next_step="寄送资料")
    outcome = services.erase_on_request(ctx(org["compliance"]), customer_id=c.pk, request_ref="req-1")
    assert outcome.state == "queued"
    assert erasure.run(_erasure("req-1").pk) == ErasureState.DELETED
    row = raw(c)
    assert row.erased_at is not None and bytes(row.name_ct) == b"" and bytes(row.id_number_bidx) == b"" and bytes(row.mobile_ct) == b""
    assert KeyDestruction.objects.filter(pk=c.pk).exists()
    assert not cf.all_rows(FollowUp).filter(customer_id=c.pk).exists()
    assert not Customer.objects.visible_to(ctx(org["compliance"], purpose="compliance_review")).filter(pk=c.pk).exists()
    types = [e.event_type for e in audit_events()]
    for expected in ("lifecycle.erasure_requested", "crypto.key_shredded", "lifecycle.customer_erased", "lifecycle.certificate_issued"):
        assert types.count(expected) == 1, expected
    cert = DeletionCertificate.objects.get(erasure__request_ref="req-1")
    body = json.loads(cert.document)
    assert body["rows"]["customers.followup"] == {"deleted": 1} and body["key_shredded"] is True
    assert body["customer_id"] == str(c.pk) and body["request_ref"] == "req-1" and len(body["audit_events"]) == 2
    assert {x["what"] for x in body["exemptions"]} >= {"customers.customer", "audit.auditevent"}
    assert selectors.erasure_status("req-1") == selectors.ErasureOutcome("deleted", cert.pk, None, ())
    # Idempotent by request: a second call answers the first outcome and writes nothing.
    again = services.erase_on_request(ctx(org["compliance"]), customer_id=c.pk, request_ref="req-1")
    assert again.certificate_id == cert.pk and DeletionCertificate.objects.count() == 1


@no_approval
def test_certificate_verifies_offline_and_a_tampered_one_fails(org: Org, tmp_path: Path) -> None:
    c = prospect(org["rep_bj1"])
    services.erase_on_request(ctx(org["compliance"]), customer_id=c.pk, request_ref="req-2")
    erasure.run(_erasure("req-2").pk)
    cert = DeletionCertificate.objects.get(erasure__request_ref="req-2")
    document = certificates.as_file(cert)
    key = signing.public_keys_b64()[cert.key_id]
    assert certificates.verify(document, signing.public_keys()[cert.key_id])
    good = tmp_path / "cert.json"
    good.write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")
    run = subprocess.run([sys.executable, str(SCRIPT), str(good), key], capture_output=True, text=True, check=False)
    assert run.returncode == 0 and run.stdout.startswith("OK"), run.stdout + run.stderr
    document["certificate"]["rows"]["customers.followup"] = {"deleted": 7}  # someone edits what was deleted
    bad = tmp_path / "tampered.json"
    bad.write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")
    run = subprocess.run([sys.executable, str(SCRIPT), str(bad), key], capture_output=True, text=True, check=False)
    assert run.returncode == 1 and "signature does not verify" in run.stdout
    assert not certificates.verify(document, signing.public_keys()[cert.key_id])


@no_approval
def test_a_hold_placed_between_steps_stops_the_rest(org: Org) -> None:
    c = prospect(org["rep_bj1"])
    services.erase_on_request(ctx(org["compliance"]), customer_id=c.pk, request_ref="req-3")
    e = _erasure("req-3")
    assert erasure.run(e.pk, stop_after=ErasureState.SHREDDED) == ErasureState.SHREDDED  # as if the process died here
    holds.place_hold(ctx(org["compliance"]), customer_id=c.pk, basis="litigation", reference="(2026)沪01民初9号")
    assert erasure.run(e.pk) == ErasureState.RESTRICTED
    e.refresh_from_db()
    assert e.hold_bases == ["litigation"] and not DeletionCertificate.objects.filter(erasure=e).exists()
    row = raw(c)
    assert row.erased_at is None and row.restricted_at is not None and row.restriction_basis == "litigation"
    assert selectors.erasure_status("req-3") == selectors.ErasureOutcome("restricted", None, None, ("litigation",))


@no_approval
def test_a_crash_between_steps_resumes_and_never_issues_twice(org: Org) -> None:
    c = prospect(org["rep_bj1"])
    services.erase_on_request(ctx(org["compliance"]), customer_id=c.pk, request_ref="req-4")
    e = _erasure("req-4")
    erasure.run(e.pk, stop_after=ErasureState.ROWS_DONE)
    assert erasure.resume_stalled() == 1  # the worker's sweep picks it up
    assert erasure.resume_stalled() == 0
    assert erasure.run(e.pk) == ErasureState.DELETED
    assert DeletionCertificate.objects.filter(erasure=e).count() == 1


@no_approval
def test_a_customer_with_a_relationship_is_restricted_under_an_aml_hold(org: Org) -> None:
    c = cf.customer(org["rep_bj1"], name="赵强")  # active: a business relationship (AML-34)
    merges_support.asset_with_identifier(c, "6222020200112299")
    outcome = services.erase_on_request(ctx(org["compliance"]), customer_id=c.pk, request_ref="req-5")
    assert outcome.state == "restricted" and outcome.hold_bases == ("aml",) and outcome.certificate_id is None
    held = selectors.active_holds(c.pk)
    assert {h.category for h in held} == {"kyc", "transactions"} and all(h.until is not None for h in held)
    row = raw(c)
    assert row.restricted_at is not None and row.restriction_basis == "aml" and keystore.key_exists(c.pk)
    # Restricted: stored only — compliance reads it, nobody else, no export, no marketing (PIPL-47).
    officer = ctx(org["compliance"], purpose="compliance_review")
    assert Customer.objects.visible_to(officer).filter(pk=c.pk).exists()
    assert not Customer.objects.visible_to(officer, "export").filter(pk=c.pk).exists()
    assert not Customer.objects.visible_to(ctx(org["rep_bj1"])).filter(pk=c.pk).exists()
    assert not Customer.objects.visible_to(ctx(org["manager_bj"])).filter(pk=c.pk).exists()
    assert not Asset.objects.visible_to(ctx(org["rep_bj1"])).filter(customer_id=c.pk).exists()


def test_on_request_with_approval_a_second_compliance_officer_decides(org: Org) -> None:
    c = prospect(org["rep_bj1"])
    outcome = services.erase_on_request(ctx(org["compliance"]), customer_id=c.pk, request_ref="req-6")
    assert outcome.state == "pending_approval" and outcome.change_request_id is not None
    request = ChangeRequest.objects.unrestricted(reason="test").get(pk=outcome.change_request_id)
    request = merges_support.approve(ctx(second_officer(org)), request)
    assert request.status == ChangeRequest.Status.APPLIED, request.failure_reason
    assert erasure.run(_erasure("req-6").pk) == ErasureState.DELETED


@override_settings(CLIENTVAULT_DELETION_APPROVAL=True)
def test_a_deletion_needing_approval_needs_a_maker(org: Org) -> None:
    c = prospect(org["rep_bj1"])
    with pytest.raises(Conflict) as refused:
        services.erase_on_request(SYSTEM, customer_id=c.pk, request_ref="req-7")
    assert refused.value.code == "deletion_needs_maker"


@no_approval
def test_the_certificate_pdf_renders_in_chinese_and_english(org: Org) -> None:
    from clientvault.lifecycle.pdf import render_pdf

    c = prospect(org["rep_bj1"])
    services.erase_on_request(ctx(org["compliance"]), customer_id=c.pk, request_ref="req-pdf")
    erasure.run(_erasure("req-pdf").pk)
    cert = DeletionCertificate.objects.get(erasure__request_ref="req-pdf")
    for language in ("zh-hans", "en"):
        pdf = render_pdf(cert, language)
        assert pdf.startswith(b"%PDF") and len(pdf) > 2000


@no_approval
def test_once_the_rows_are_gone_the_erasure_is_certified_whatever_came_since(org: Org) -> None:
    from clientvault.lifecycle.models import LegalHold

    c = prospect(org["rep_bj1"])
    services.erase_on_request(ctx(org["compliance"]), customer_id=c.pk, request_ref="req-9")
    e = _erasure("req-9")
    assert erasure.run(e.pk, stop_after=ErasureState.ROWS_DONE) == ErasureState.ROWS_DONE
    with pytest.raises(NotFound):  # the customer is a tombstone: no hold can be placed any more
        holds.place_hold(ctx(org["compliance"]), customer_id=c.pk, basis="litigation", reference="迟到的保全")
    # Even a hold row written behind the services' back cannot leave the erasure uncertified.
    LegalHold.objects.create(customer_id=c.pk, basis="litigation", starts_on=dt.date.today(), placed_at=timezone.now())
    assert erasure.run(e.pk) == ErasureState.DELETED
    assert DeletionCertificate.objects.filter(erasure=e).count() == 1
