"""Consent enforced through every path (ARCHITECTURE.md rule 5): the web list, the API list, a record, its
follow-ups, field decisions, expiry, a child's consent, withdrawal on the next request, and the audit trail."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from django.test import Client

from clientvault.accounts.models import User
from clientvault.accounts.services import create_api_token
from clientvault.audit.models import AuditEvent
from clientvault.classification.masking import mask_name
from clientvault.consents import enforcement
from clientvault.consents import services as consent_services
from clientvault.consents.choices import Action
from clientvault.consents.models import Consent, ConsentRecord
from clientvault.core import clock
from clientvault.core.errors import ValidationFailed
from clientvault.customers import selectors
from clientvault.customers.models import Customer, FollowUp
from clientvault.testing.actors import ctx, sign_in_verified, subject_ctx
from clientvault.testing.consents import consent, notice
from clientvault.testing.customers import all_rows, customer, followup
from clientvault.testing.identifiers import resident_id
from clientvault.testing.organisation import Org

pytestmark = pytest.mark.django_db
API = "/api/v1"


def _api(u: User, path: str, purpose: str) -> Any:
    _t, secret = create_api_token(ctx=ctx(u, purpose=""), name="t", purposes=[purpose])
    return Client().get(API + path, headers={"Authorization": f"Bearer {secret}"})


def _web(u: User, purpose: str) -> Client:
    client = Client()
    sign_in_verified(client, u, purpose=purpose)
    return client


@pytest.fixture
def three(org: Org) -> tuple[Customer, Customer, Customer]:
    """Three customers of rep_bj1: one consents to marketing, one withdrew, one never answered."""
    rep = org["rep_bj1"]
    yes, withdrew, never = customer(rep, name="甲同意"), customer(rep, name="乙撤回"), customer(rep, name="丙未答")
    consent(yes)
    consent(withdrew)
    consent_services.withdraw_consent(ctx=subject_ctx(withdrew), customer_id=withdrew.pk, purpose="marketing", channel="web")
    return yes, withdrew, never


def test_web_marketing_list_holds_only_customers_with_live_consent(org: Org, three: Any, audit_events: Any) -> None:
    page = _web(org["rep_bj1"], "marketing").get("/customers/").content.decode()
    assert mask_name("甲同意") in page
    assert mask_name("乙撤回") not in page and mask_name("丙未答") not in page
    [event] = audit_events("customer.listed")
    assert event.purpose == "marketing" and event.detail["consent_gated"] is True and event.detail["result_count"] == 1


def test_marketing_export_holds_only_customers_with_live_consent(org: Org, three: Any, audit_events: Any) -> None:
    yes, withdrew, never = three
    client = _web(org["rep_bj1"], "marketing")
    assert 'data-testid="export-customers"' in client.get("/customers/").content.decode()
    response = client.get("/customers/export.csv")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    text = response.content.decode("utf-8-sig")
    assert str(yes.pk) in text and mask_name("甲同意") in text
    assert str(withdrew.pk) not in text and str(never.pk) not in text
    assert yes.mobile not in text  # C2 stays masked in the export, as on the page
    [event] = audit_events("customer.exported")
    assert event.purpose == "marketing" and event.detail["rows"] == 1 and event.detail["consent_gated"] is True
    # Under a contract purpose the rep's policy grants no export at all.
    service = _web(org["rep_bj1"], "customer_service")
    assert service.get("/customers/export.csv").status_code == 404
    assert 'data-testid="export-customers"' not in service.get("/customers/").content.decode()


def test_an_export_larger_than_the_limit_is_refused_not_cut(org: Org, three: Any, settings: Any, audit_events: Any) -> None:
    settings.CLIENTVAULT_EXPORT_MAX_ROWS = 0
    response = _web(org["rep_bj1"], "marketing").get("/customers/export.csv")
    assert response.status_code == 302 and response["Location"].startswith("/customers/")
    assert audit_events("customer.exported") == []


def test_the_same_list_for_a_contract_purpose_is_not_gated(org: Org, three: Any, audit_events: Any) -> None:
    page = _web(org["rep_bj1"], "sales_followup").get("/customers/").content.decode()
    assert all(name in page for name in ("甲同意", "乙撤回", "丙未答"))
    assert "consent_gated" not in audit_events("customer.listed")[0].detail


def test_api_marketing_list_and_detail(org: Org, three: Any) -> None:
    yes, withdrew, never = three
    rep = org["rep_bj1"]
    body = _api(rep, "/customers", "marketing").json()
    assert [item["id"] for item in body["items"]] == [str(yes.pk)] and body["total"] == 1
    assert _api(rep, f"/customers/{yes.pk}", "marketing").status_code == 200
    for c in (withdrew, never):
        response = _api(rep, f"/customers/{c.pk}", "marketing")
        assert response.status_code == 404 and response.json()["error"]["code"] == "not_found"
        assert _api(rep, f"/customers/{c.pk}/followups", "marketing").status_code == 404


def test_followups_are_gated_with_their_customer(org: Org, three: Any) -> None:
    yes, withdrew, _never = three
    rep = org["rep_bj1"]
    followup(yes, rep)
    followup(withdrew, rep)
    from clientvault.access.models import Policy

    # The default policies give reps no follow-ups under marketing; a compliance officer may add that rule.
    Policy.objects.create(
        code="rep-marketing-followups", role="sales_rep", resource="followup", actions=["view"], purposes=["marketing"], scope=1
    )
    marketing = ctx(rep, purpose="marketing")
    visible = set(FollowUp.objects.visible_to(marketing, "view").values_list("customer_id", flat=True))
    assert visible == {yes.pk}


def test_withdrawal_takes_effect_on_the_next_request(org: Org, three: Any) -> None:
    yes, _w, _n = three
    rep = org["rep_bj1"]
    client = _web(rep, "marketing")
    assert client.get(f"/customers/{yes.pk}/").status_code == 200
    consent_services.withdraw_consent(ctx=subject_ctx(yes), customer_id=yes.pk, purpose="marketing", channel="web")
    assert client.get(f"/customers/{yes.pk}/").status_code == 404
    assert mask_name("甲同意") not in client.get("/customers/").content.decode()
    with pytest.raises(enforcement.ConsentNotLive):
        enforcement.require_live(yes.pk, "marketing")  # what a queued task checks when it runs


def test_expired_consent_is_not_live(org: Org) -> None:
    rep = org["rep_bj1"]
    c = customer(rep, name="丁过期")
    consent(c, expires_at=clock.now() + dt.timedelta(days=1))
    marketing = ctx(rep, purpose="marketing")
    assert Customer.objects.visible_to(marketing).filter(pk=c.pk).exists()
    with clock.travel(clock.now() + dt.timedelta(days=2)):
        assert not Customer.objects.visible_to(marketing).filter(pk=c.pk).exists()
        with pytest.raises(enforcement.ConsentNotLive):
            enforcement.require_live(c.pk, "marketing")


def test_a_child_needs_a_guardians_consent(org: Org) -> None:
    rep = org["rep_bj1"]
    born = clock.today() - dt.timedelta(days=365 * 10)
    child = customer(rep, name="小明", id_number=resident_id(birth=born), birth_date=born)
    assert child.minor_until is not None
    general = notice()
    with pytest.raises(ValidationFailed) as refused:
        consent(child, the_notice=general)  # separate consent given by the child: not consent (PIPL-31)
    assert "consent_type" in refused.value.fields
    marketing = ctx(rep, purpose="marketing")
    assert not Customer.objects.visible_to(marketing).filter(pk=child.pk).exists()
    notice(code="child", audience="child", purposes=("marketing",))
    record = consent(child, guardian=True)
    assert record.consent_type == "guardian" and record.guardian_relation == "parent" and bytes(record.guardian_name_ct)
    assert Customer.objects.visible_to(marketing).filter(pk=child.pk).exists()


def test_a_guardian_consent_is_refused_for_an_adult(org: Org) -> None:
    adult = customer(org["rep_bj1"])
    notice(code="child", audience="child", purposes=("marketing",))
    with pytest.raises(ValidationFailed) as refused:
        consent(adult, guardian=True)
    assert "consent_type" in refused.value.fields


def test_fields_outside_the_consented_scope_are_withheld(org: Org, audit_events: Any) -> None:
    rep = org["rep_bj1"]
    c = customer(rep, name="戊联系")
    consent(c, consent_type="general", categories=("contact", "behaviour"))
    seen = selectors.get_customer(ctx(rep, purpose="marketing"), c.pk)
    views = seen.field_views  # type: ignore[attr-defined]
    assert views["email"].decision == "plain"  # contact: in scope
    assert views["name"].decision == "withheld" and seen.name is None  # identity: outside the consent
    assert views["id_number"].decision == "withheld"
    [event] = audit_events("customer.viewed")
    assert event.detail["consent_gated"] is True
    assert {"name", "id_number"} <= set(event.detail["withheld_for_consent"])


def test_sensitive_fields_need_separate_consent(org: Org) -> None:
    rep = org["rep_bj1"]
    c = customer(rep, name="己一般")
    with pytest.raises(ValidationFailed):  # identity holds sensitive fields: general consent is refused at capture
        consent(c, consent_type="general", categories=("identity", "contact"))
    consent(c, consent_type="separate", categories=("identity", "contact"))
    views = selectors.get_customer(ctx(rep, purpose="marketing"), c.pk).field_views  # type: ignore[attr-defined]
    assert views["id_number"].decision == "masked"  # the policy's decision stands once consent covers it


def test_pre_ticked_or_bundled_consent_is_refused_and_nothing_is_written(org: Org) -> None:
    from clientvault.consents import rules

    c = customer(org["rep_bj1"])
    chosen = notice()
    for preticked, bundled in ((True, False), (False, True)):
        capture = rules.Capture(
            purpose="marketing", consent_type="separate", categories=["contact"], not_preticked=not preticked, not_bundled=not bundled
        )
        with pytest.raises(ValidationFailed):
            consent_services.give_consent(ctx=subject_ctx(c), customer_id=c.pk, notice_id=chosen.pk, capture=capture, channel="web")
    assert not all_rows(ConsentRecord).filter(customer=c).exists() and not all_rows(Consent).filter(customer=c).exists()
    assert not AuditEvent.objects.filter(event_type="consent.given", customer_id=c.pk).exists()


def test_records_are_immutable_and_history_complete(org: Org) -> None:
    from django.db import DatabaseError, transaction

    c = customer(org["rep_bj1"])
    first = consent(c)
    consent_services.withdraw_consent(ctx=subject_ctx(c), customer_id=c.pk, purpose="marketing", channel="web")
    consent(c)
    history = list(all_rows(ConsentRecord).filter(customer=c, purpose="marketing").order_by("seq").values_list("seq", "action"))
    assert history == [(1, Action.GIVEN), (2, Action.WITHDRAWN), (3, Action.GIVEN)]
    with pytest.raises(DatabaseError), transaction.atomic():
        all_rows(ConsentRecord).filter(pk=first.pk).update(channel="paper")


def test_publishing_a_wider_notice_marks_consents_for_renewal(org: Org, audit_events: Any) -> None:
    c = customer(org["rep_bj1"])
    narrow = consent_services.publish_notice(ctx=ctx(org["compliance"]), notice="mkt", data=_notice_data(categories=["contact"]))
    capture = _capture(["contact"])
    consent_services.give_consent(ctx=subject_ctx(c), customer_id=c.pk, notice_id=narrow.pk, capture=capture, channel="web")
    same = consent_services.publish_notice(ctx=ctx(org["compliance"]), notice="mkt", data=_notice_data(categories=["contact"]))
    assert same.version == 2 and not all_rows(Consent).get(customer=c).needs_renewal
    consent_services.publish_notice(ctx=ctx(org["compliance"]), notice="mkt", data=_notice_data(categories=["contact", "location"]))
    state = all_rows(Consent).get(customer=c)
    assert state.needs_renewal and state.action == Action.GIVEN  # the old scope stays covered (PIPL-14)
    last = audit_events("notice.published")[-1]
    assert last.detail["grown"] == ["categories"] and last.detail["consents_needing_renewal"] == 1


def test_consent_against_a_superseded_notice_is_refused(org: Org) -> None:
    c = customer(org["rep_bj1"])
    old = consent_services.publish_notice(ctx=ctx(org["compliance"]), notice="mkt", data=_notice_data(categories=["contact"]))
    consent_services.publish_notice(ctx=ctx(org["compliance"]), notice="mkt", data=_notice_data(categories=["contact"]))
    from clientvault.core.errors import Conflict

    with pytest.raises(Conflict):
        consent_services.give_consent(ctx=subject_ctx(c), customer_id=c.pk, notice_id=old.pk, capture=_capture(["contact"]), channel="web")


def test_a_consent_change_is_published_for_integrations(org: Org, django_capture_on_commit_callbacks: Any) -> None:
    from clientvault.core import events
    from clientvault.core.models import OutboxEvent

    heard: list[Any] = []
    stop = events.subscribe("consent.", heard.append)
    try:
        c = customer(org["rep_bj1"])
        with django_capture_on_commit_callbacks(execute=False) as pending:
            record = consent(c)
        assert heard == []  # nothing is announced before the change commits (rule 8)
        for callback in pending:
            callback()
    finally:
        stop()
    row = OutboxEvent.objects.filter(topic="consent.changed").latest("id")
    assert row.payload == {
        "customer_id": str(c.pk), "purpose": "marketing", "action": "given", "consent_type": "separate", "seq": 1,
        "record_id": str(record.pk),
    }  # fmt: skip
    assert [e.pk for e in heard] == [row.pk]


def test_consent_api_gives_withdraws_and_feeds_the_change(org: Org) -> None:
    rep, compliance = org["rep_bj1"], org["compliance"]
    c = customer(rep)
    chosen = notice()
    _t, secret = create_api_token(ctx=ctx(rep, purpose=""), name="t", purposes=["customer_service"])
    headers = {"Authorization": f"Bearer {secret}"}
    body = {
        "purpose": "marketing", "notice_id": str(chosen.pk), "consent_type": "separate", "categories": ["contact"],
        "channel": "counter", "not_preticked": True, "not_bundled": True,
    }  # fmt: skip
    response = Client().post(f"{API}/customers/{c.pk}/consents", json.dumps(body), content_type="application/json", headers=headers)
    assert response.status_code == 201 and response.json()["seq"] == 1 and response.json()["captured_by"] == "rep_bj1"
    bad = Client().post(
        f"{API}/customers/{c.pk}/consents", json.dumps({**body, "not_preticked": False}), content_type="application/json", headers=headers
    )
    assert bad.status_code == 422 and "not_preticked" in bad.json()["error"]["fields"]
    withdrawn = Client().post(
        f"{API}/customers/{c.pk}/consents/marketing/withdraw",
        json.dumps({"channel": "phone"}),
        content_type="application/json",
        headers=headers,
    )
    assert withdrawn.status_code == 201 and withdrawn.json()["action"] == "withdrawn"
    again = Client().post(
        f"{API}/customers/{c.pk}/consents/marketing/withdraw",
        json.dumps({"channel": "phone"}),
        content_type="application/json",
        headers=headers,
    )
    assert again.status_code == 409 and again.json()["error"]["code"] == "nothing_to_withdraw"
    state = Client().get(f"{API}/customers/{c.pk}/consents", headers=headers).json()
    assert {p["purpose"]: p["state"] for p in state["consents"]}["marketing"] == "withdrawn"
    assert [r["action"] for r in state["history"]] == ["withdrawn", "given"]
    _t, feed_secret = create_api_token(ctx=ctx(compliance, purpose=""), name="f", purposes=["compliance_review"])
    feed = Client().get(f"{API}/consents/events?after=0", headers={"Authorization": f"Bearer {feed_secret}"}).json()
    changes = [e["payload"]["action"] for e in feed if e["topic"] == "consent.changed"]
    assert changes == ["given", "withdrawn"]
    after = feed[-1]["seq"]
    assert Client().get(f"{API}/consents/events?after={after}", headers={"Authorization": f"Bearer {feed_secret}"}).json() == []


def test_counter_capture_with_an_encrypted_scan(org: Org, audit_events: Any) -> None:
    from clientvault.consents import selectors as consent_selectors
    from clientvault.consents.models import ConsentEvidence

    rep = org["rep_bj1"]
    c = customer(rep)
    chosen = notice()
    pdf = b"%PDF-1.4 signed form of " + c.name.encode()
    client = _web(rep, "customer_service")
    from django.core.files.uploadedfile import SimpleUploadedFile

    response = client.post(
        f"/consents/customers/{c.pk}/",
        {
            "purpose": "marketing",
            "notice": str(chosen.pk),
            "consent_type": "written",
            "categories": ["identity", "contact"],
            "channel": "paper",
            "not_preticked": "on",
            "not_bundled": "on",
            "evidence": SimpleUploadedFile("张三-签字.pdf", pdf, content_type="application/pdf"),
        },
    )
    assert response.status_code == 302
    stored = all_rows(ConsentEvidence).get(record__customer=c)
    assert pdf not in bytes(stored.data_ct) and "张三".encode() not in bytes(stored.filename_ct)
    found = consent_selectors.consent_evidence(ctx(rep), stored.record_id)
    assert found.data == pdf and found.filename == "张三-签字.pdf"
    assert audit_events("consent.evidence_viewed")[0].customer_id == c.pk
    download = client.get(f"/consents/records/{stored.record_id}/evidence/")
    assert download.status_code == 200 and download.content == pdf and "张三" not in download["Content-Disposition"]
    wrong = client.post(
        f"/consents/customers/{c.pk}/",
        {
            "purpose": "marketing",
            "notice": str(chosen.pk),
            "consent_type": "written",
            "categories": ["contact"],
            "channel": "paper",
            "not_preticked": "on",
            "not_bundled": "on",
            "evidence": SimpleUploadedFile("x.pdf", b"MZ not a pdf", content_type="application/pdf"),
        },
    )
    assert wrong.status_code == 400 and all_rows(ConsentRecord).filter(customer=c).count() == 1


def _notice_data(*, categories: list[str]) -> dict[str, Any]:
    return {
        "title_zh": "规则", "title_en": "Rules", "body_zh": "正文", "body_en": "Body", "rights_zh": "权利", "rights_en": "Rights",
        "purposes": ["marketing"], "categories": categories, "retention_days": 365, "audience": "general",
    }  # fmt: skip


def _capture(categories: list[str]) -> Any:
    from clientvault.consents import rules

    return rules.Capture(purpose="marketing", consent_type="general", categories=categories, not_preticked=True, not_bundled=True)


def test_the_upgrade_backfills_minor_until_from_encrypted_birth_dates(org: Org) -> None:
    import importlib

    from django.apps import apps

    born = clock.today() - dt.timedelta(days=365 * 9)
    child = customer(org["rep_bj1"], id_number=resident_id(birth=born), birth_date=born)
    adult = customer(org["rep_bj1"])
    all_rows(Customer).filter(pk__in=[child.pk, adult.pk]).update(minor_until=None)  # as rows were before the column
    importlib.import_module("clientvault.customers.migrations.0008_backfill_minor_until").backfill(apps, None)
    from clientvault.consents.rules import stored_minor_until

    assert all_rows(Customer).get(pk=child.pk).minor_until == stored_minor_until(born, clock.today())
    assert all_rows(Customer).get(pk=adult.pk).minor_until is None


def test_a_naive_expiry_is_refused_with_a_field_error(org: Org) -> None:
    with pytest.raises(ValidationFailed) as refused:
        consent(customer(org["rep_bj1"]), expires_at=dt.datetime(2030, 1, 1))
    assert "expires_at" in refused.value.fields


def test_a_prospect_with_consent_records_is_closed_not_deleted(org: Org) -> None:
    from clientvault.core.errors import Conflict
    from clientvault.customers import profiles

    prospect = customer(org["rep_bj1"], status="prospect")
    consent(prospect)
    with pytest.raises(Conflict) as refused:
        profiles.delete_customer(ctx=ctx(org["rep_bj1"]), customer_id=prospect.pk)
    assert refused.value.code == "has_consent_records" and all_rows(Customer).filter(pk=prospect.pk).exists()


def test_shredding_a_key_clears_the_child_flag(org: Org) -> None:
    from clientvault.customers import shredding

    born = clock.today() - dt.timedelta(days=365 * 8)
    child = customer(org["rep_bj1"], id_number=resident_id(birth=born), birth_date=born)
    assert all_rows(Customer).get(pk=child.pk).minor_until is not None
    shredding.shred_customer(ctx=ctx(org["compliance"]), customer_id=child.pk)
    assert all_rows(Customer).get(pk=child.pk).minor_until is None


@pytest.mark.parametrize("purpose_ref", ["customer", "followup"])
def test_the_queryset_gate_agrees_with_the_rule_at_every_boundary(org: Org, purpose_ref: str) -> None:
    """``enforcement.live_filter`` / ``live_q`` (SQL) and ``rules.is_live`` (Python) decide alike, at the
    expiry instant, around a child's coming of age, for guardians, and across midnight in Shanghai."""
    import itertools

    from clientvault.consents import rules
    from clientvault.consents.enforcement import live_filter, live_q

    rep = org["rep_bj1"]
    chosen = notice()
    now = dt.datetime(2026, 11, 24, 16, 30, 0, 250000, tzinfo=dt.UTC)  # 00:30 the next day in Shanghai
    with clock.travel(now):
        today = clock.today()
        cases = list(
            itertools.product(
                ["given", "withdrawn"],
                ["general", "separate", "guardian"],
                [None, now - dt.timedelta(microseconds=1), now, now + dt.timedelta(microseconds=1)],
                [None, today - dt.timedelta(days=1), today, today + dt.timedelta(days=1)],
            )
        )
        expected: dict[Any, bool] = {}
        for action, kind, expires, until in cases:
            c = customer(rep)
            all_rows(Customer).filter(pk=c.pk).update(minor_until=until)
            record = all_rows(ConsentRecord).create(
                customer=c, purpose="marketing", seq=1, action=action, consent_type=kind, notice=chosen, categories=["contact"],
                channel="web", guardian_relation="parent" if kind == "guardian" else "", occurred_at=now, expires_at=expires,
            )  # fmt: skip
            all_rows(Consent).create(
                customer=c, purpose="marketing", record=record, action=action, consent_type=kind, categories=["contact"],
                expires_at=expires, changed_at=now,
            )  # fmt: skip
            if purpose_ref == "followup":
                followup(c, rep)
            expected[c.pk] = rules.is_live(action, kind, expires, now, minor=rules.is_minor(until, today))
        by_rule = {pk for pk, live in expected.items() if live}
        assert set(all_rows(Consent).filter(live_q("marketing", now, today)).values_list("customer_id", flat=True)) == by_rule
        if purpose_ref == "customer":
            gated = all_rows(Customer).filter(pk__in=expected).filter(live_filter("marketing", "pk", "minor_until"))
            assert set(gated.values_list("pk", flat=True)) == by_rule
        else:
            rows = (
                all_rows(FollowUp).filter(customer_id__in=expected).filter(live_filter("marketing", "customer_id", "customer__minor_until"))
            )
            assert set(rows.values_list("customer_id", flat=True)) == by_rule
        assert 0 < len(by_rule) < len(cases)
