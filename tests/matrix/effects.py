"""URL parameter values, payloads and effects (database assertions) of the permission matrix's write cases."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.test import Client
from django.urls import reverse
from django_otp import DEVICE_ID_SESSION_KEY

from clientvault.access.models import Policy
from clientvault.accounts import services as account_services
from clientvault.accounts.models import User
from clientvault.audit.models import AuditEvent
from clientvault.core.web import PURPOSE_SESSION_KEY
from clientvault.customers.models import Customer, CustomFieldDefinition, FollowUp
from clientvault.testing.actors import ctx, default_purpose, subject_ctx
from clientvault.testing.consents import consent, notice
from clientvault.testing.customers import all_rows, find, followup_text, reload
from tests.matrix import approvals, merges
from tests.matrix import assets as matrix_assets
from tests.matrix import calendar as matrix_calendar
from tests.matrix import credit_rules as matrix_credit_rules
from tests.matrix import dedupe as matrix_dedupe
from tests.matrix import intake as matrix_intake
from tests.matrix import lifecycle as matrix_lifecycle
from tests.matrix import rights as matrix_rights
from tests.matrix import risk as matrix_risk
from tests.matrix import risk_limits as matrix_risk_limits
from tests.matrix import warnings as matrix_warnings
from tests.matrix.world import CHANGE_OUT, EDITED_NAME, NEW_FIELD_KEY, NEW_NAME, NEW_USERNAME, NO_CUSTOMER_GRANT, USERS, World

# URL parameters, by name, for web routes and API path templates. A new parameter needs a value here.
PARAMS: dict[str, Callable[[World, bool], Any]] = {
    "customer_id": lambda w, foreign: w.customer_for(foreign).pk,
    "followup_id": lambda w, foreign: w.followup_for(foreign).pk,
    "user_id": lambda w, foreign: w.org["rep_bj2"].pk,
    "key": lambda w, foreign: w.field.key,
    "field_key": lambda w, foreign: "customer.mobile",
    "code": lambda w, foreign: "marketing",
    "policy_code": lambda w, foreign: "risk-customers",
    "field": lambda w, foreign: "name",
    "event_id": lambda w, foreign: sealed_event_id(w),
    "purpose": lambda w, foreign: "marketing",
    "record_id": lambda w, foreign: consent_with_evidence(w.customer_for(foreign)),
    "grant_id": lambda w, foreign: pending_grant(w),
    "change_id": lambda w, foreign: proposed_change(w),
    "request_id": lambda w, foreign: pending_mfa_reset(w),
    "asset_id": lambda w, foreign: matrix_assets.asset_id(w, foreign),
    "alert_id": lambda w, foreign: matrix_assets.alert_id(w, foreign),
    "cluster_id": lambda w, foreign: matrix_dedupe.cluster_id(w, foreign),
    "change_request_id": lambda w, foreign: approvals.change_request_id(w, foreign),
    "rule_code": lambda w, foreign: approvals.EDITED_RULE,
    "rule_change_id": lambda w, foreign: approvals.rule_change_id(w, foreign),
    "batch_id": lambda w, foreign: matrix_intake.batch_id(w, foreign),
    "template_id": lambda w, foreign: matrix_intake.template_id(w, foreign),
    "merge_id": lambda w, foreign: merges.merge_id(w, foreign),
    "survivorship_change_id": lambda w, foreign: merges.survivorship_change_id(w, foreign),
    "year": lambda w, foreign: matrix_calendar.year(w, foreign),
    "hold_id": lambda w, foreign: matrix_lifecycle.hold_id(w, foreign),
    "certificate_id": lambda w, foreign: matrix_lifecycle.certificate_id(w, foreign),
    "rights_request_id": lambda w, foreign: matrix_rights.rights_request_id(w, foreign),
    "part": lambda w, foreign: "package_pdf",
    "retention_code": lambda w, foreign: matrix_lifecycle.PROPOSED_RULE,
    "retention_change_id": lambda w, foreign: matrix_lifecycle.retention_change_id(w, foreign),
    "lifting_hold_id": lambda w, foreign: matrix_lifecycle.lifting_hold_id(w, foreign),
    "credit_file_id": lambda w, foreign: matrix_risk_limits.credit_file_id(w, foreign),
    "credit_hold_id": lambda w, foreign: matrix_risk_limits.credit_hold_id(w, foreign),
    "credit_review_id": lambda w, foreign: matrix_risk_limits.credit_review_id(w, foreign),
    "warning_id": lambda w, foreign: matrix_warnings.warning_id(w, foreign),
    "file_id": lambda w, foreign: matrix_risk.file_id(w, foreign),
    "score_id": lambda w, foreign: matrix_risk.score_id(w, foreign),
    "credit_rule_code": matrix_credit_rules.rule_code,
    "tier_policy_code": matrix_credit_rules.policy_code,
    "kind": lambda w, foreign: "rule",  # the catalogue-change kind of the credit-control rules (risk/rule_api.py)
    "credit_change_id": matrix_credit_rules.change_id,
    **matrix_credit_rules.WEB_PARAMS,
}


# --- Role grants (issue #11): compliance decides a grant the administrator asked for ------------------


def pending_grant(w: World) -> str:
    """The administrator asks for the risk officer's role for ``norole``: a pending grant."""
    from clientvault.accounts.models import RoleGrant

    target = w.org["norole"]
    data = {"display_name": "", "email": "", "department_id": str(target.department_id), "roles": ["risk_officer"]}
    account_services.update_user(ctx=ctx(w.org["admin"]), user_id=target.pk, data=data)
    return str(RoleGrant.objects.get(user=target, status="pending").pk)


def grant_decided(w: World, foreign: bool, ok: bool) -> None:
    assert ("risk_officer" in User.objects.get(pk=w.org["norole"].pk).role_codes()) is ok
    assert AuditEvent.objects.filter(event_type="role_grant.approved").count() == (1 if ok else 0)


def pending_mfa_reset(w: World) -> Any:
    """A second-factor reset of the auditor, asked for by a second administrator: ``admin`` and ``compliance``
    may approve it (neither asked, neither is concerned)."""
    from clientvault.accounts import resets
    from clientvault.accounts.models import MfaResetRequest
    from clientvault.core.roles import ADMINISTRATOR
    from clientvault.testing.organisation import user as make_user

    pending = MfaResetRequest.objects.filter(target=w.org["auditor"], status="pending").first()
    if pending is not None:
        return pending.pk
    asker = User.objects.filter(username="matrix_admin2").first() or make_user("matrix_admin2", ADMINISTRATOR, w.org.hq, mfa=True)
    request = resets.reset_mfa(ctx=ctx(asker), user_id=w.org["auditor"].pk)
    assert request is not None
    return request.pk


def user_password_was_not_reset(w: World, foreign: bool, ok: bool) -> None:
    """The target sees customer data: even the administrator is refused (rule 12) — nothing changes."""
    assert User.objects.get(pk=w.org["rep_bj2"].pk).must_change_password is False
    assert AuditEvent.objects.filter(event_type="user.password_reset").count() == 0


def auditor_factor_reset(w: World, foreign: bool, ok: bool) -> None:
    from django_otp.plugins.otp_totp.models import TOTPDevice

    assert TOTPDevice.objects.filter(user=w.org["auditor"]).exists() is not ok
    audit_left("user.mfa_reset")(w, foreign, ok)


# --- Consents (issue #5) ------------------------------------------------------------------------
# Recording a customer's consent: whoever may change the customer (owner, manager) and compliance (the
# consents capability); risk and auditors see consents but record none. Coverage and notices: compliance
# and auditors; publishing a notice: compliance. Evidence scans: see EVIDENCE_IN.
CONSENT_RECORDERS = ("rep_bj1", "manager_bj", "compliance")
CONSENT_READ_ONLY = ("risk", "auditor")
CONSENT_NO_SIGHT = ("admin", "norole", "risk_other")
CONSENT_OUT = (*CHANGE_OUT, "compliance@foreign")
CONSENT_DESK = ("compliance", "auditor")
# A scanned form shows name and ID number in the open: whoever sees both in clear (owner, compliance) or may
# reveal both (manager, risk — the download is then a reveal); auditors see them masked without reveal: 404.
EVIDENCE_IN = ("rep_bj1", "manager_bj", "risk", "compliance")
EVIDENCE_WRONG = (*NO_CUSTOMER_GRANT, "auditor")
NOT_CONSENT_DESK = tuple(u for u in USERS if u not in CONSENT_DESK)
NOT_COMPLIANCE = tuple(u for u in USERS if u != "compliance")


def consent_with_evidence(c: Customer) -> str:
    """A written consent to provision to partners, with a scanned form; returns the record id."""
    from clientvault.consents import preconditions, rules
    from clientvault.consents import services as consent_services

    chosen = preconditions.notice_for("partner_sharing", child=False) or notice()
    evidence = consent_services.Evidence(filename="signed.pdf", content_type="application/pdf", data=b"%PDF-1.4 matrix")
    data = rules.Capture(
        purpose="partner_sharing", consent_type="written", categories=["identity"], recipients=list(chosen.recipients),
        not_preticked=True, not_bundled=True,
    )  # fmt: skip
    record = consent_services.give_consent(
        ctx=subject_ctx(c), customer_id=c.pk, notice_id=chosen.pk, capture=data, channel="paper", evidence=evidence
    )
    return str(record.pk)


def capture_form(w: World, foreign: bool) -> dict[str, Any]:
    chosen = notice()
    return {
        "purpose": "marketing", "notice": str(chosen.pk), "consent_type": "separate", "categories": ["identity", "contact"],
        "channel": "counter", "not_preticked": "on", "not_bundled": "on",
    }  # fmt: skip


def capture_payload(w: World, foreign: bool) -> dict[str, Any]:
    chosen = notice()
    return {
        "purpose": "marketing", "notice_id": str(chosen.pk), "consent_type": "separate", "categories": ["identity", "contact"],
        "channel": "counter", "not_preticked": True, "not_bundled": True,
    }  # fmt: skip


def consent_recorded(w: World, foreign: bool, ok: bool) -> None:
    from clientvault.consents.models import ConsentRecord

    # Staff capture only: the customer's own consents (payloads of other rows) are given in the portal.
    records = all_rows(ConsentRecord).filter(customer=w.customer_for(foreign), action="given", by_subject=False)
    assert records.exists() is ok
    events = AuditEvent.objects.filter(event_type="consent.given", customer_id=w.customer_for(foreign).pk).exclude(role="data_subject")
    assert events.count() == records.count()


def withdrawal_payload(w: World, foreign: bool) -> dict[str, Any]:
    consent(w.customer_for(foreign))  # a live marketing consent to withdraw
    return {"channel": "counter"}


def consent_withdrawn(w: World, foreign: bool, ok: bool) -> None:
    from clientvault.consents.models import Consent

    assert all_rows(Consent).get(customer=w.customer_for(foreign), purpose="marketing").action == ("withdrawn" if ok else "given")
    assert AuditEvent.objects.filter(event_type="consent.withdrawn").count() == (1 if ok else 0)


def notice_form(w: World, foreign: bool) -> dict[str, Any]:
    return {
        "notice": "matrix-notice", "audience": "general", "title_zh": "规则", "title_en": "Rules", "body_zh": "正文", "body_en": "Body",
        "purposes": ["marketing"], "categories": ["contact"], "retention_days": "365", "rights_zh": "权利", "rights_en": "Rights",
    }  # fmt: skip


def notice_published(w: World, foreign: bool, ok: bool) -> None:
    from clientvault.consents.models import NoticeVersion

    assert NoticeVersion.objects.filter(notice="matrix-notice").exists() is ok


def sealed_event_id(w: World) -> str:
    """An audit event the sealer has reached (made on first use: most tests need none)."""
    if not w.sealed_event:
        from django.db import transaction

        from clientvault.audit import recording as audit
        from clientvault.audit import sealing

        with transaction.atomic():
            event = audit.record(ctx(w.org["rep_bj1"]), "auth.login", object_type="accounts.user", object_id=str(w.org["rep_bj1"].pk))
        sealing.seal()
        w.sealed_event.append(str(event.event_id))
    return w.sealed_event[0]


def sign_in(client: Client, user: User, *, verify_second_factor: bool = True) -> None:
    """Log in; for roles that need a second factor, mark the session verified as django_otp does."""
    client.force_login(user)
    session = client.session
    if verify_second_factor and account_services.mfa_required(user):
        device = account_services.confirmed_device(user)
        assert device is not None, f"{user.username} needs a confirmed TOTP device"
        session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    if purpose := default_purpose(user):  # the purpose picker's choice (the usual one of the role)
        session[PURPOSE_SESSION_KEY] = purpose
    session.save()


def landing(w: World, username: str) -> str:
    """Where sign-in (a verified second factor, ``/``, the logo) sends a user: the home page (issue #13)."""
    return reverse("home:index")


# --- Payloads and effects ---------------------------------------------------------------------

Payload = Callable[[World, bool], dict[str, Any]]
Effect = Callable[[World, bool, bool], None]  # (world, foreign, succeeded): assert the database state


def customer_form(w: World, foreign: bool) -> dict[str, Any]:
    c = w.customer_for(foreign)
    return {
        "name": c.name, "occupation": EDITED_NAME, "status": c.status, "id_type": c.id_type, "id_number": c.id_number,
        "birth_date": c.birth_date.isoformat() if c.birth_date else "", "mobile": c.mobile, "email": c.email,
        "nationality": c.nationality, "version": c.version,
    }  # fmt: skip


def followup_form(w: World, foreign: bool) -> dict[str, Any]:
    return {"occurred_at": "2026-01-05T10:00", "channel": "phone", "summary": "矩阵回访"}


def new_customer_form(w: World, foreign: bool) -> dict[str, Any]:
    return {"kind": "individual", "name": NEW_NAME, "status": "prospect", "mobile": "13900001111"}


def new_user_form(w: World, foreign: bool) -> dict[str, Any]:
    return {
        "username": NEW_USERNAME, "display_name": "Matrix", "email": "matrix@example.cn",
        "department_id": str(w.org.bj_team1.pk), "roles": ["sales_rep"], "password": "Matrix-Pass-2026!x",
    }  # fmt: skip


def user_edit_form(w: World, foreign: bool) -> dict[str, Any]:
    target = w.org["rep_bj2"]
    return {"display_name": "Matrix edited", "email": "", "department_id": str(target.department_id), "roles": ["sales_rep"]}


def new_field_form(w: World, foreign: bool) -> dict[str, Any]:
    return {
        "key": NEW_FIELD_KEY, "field_type": "text", "label_zh": "备注", "label_en": "Note", "applies_to": "both",
        "active": "on", "position": "0", "choices_text": "",
    }  # fmt: skip


def field_edit_form(w: World, foreign: bool) -> dict[str, Any]:
    return {"label_zh": "新标签", "label_en": "New label", "applies_to": "both", "active": "on", "position": "1", "choices_text": ""}


def classification_form(w: World, foreign: bool) -> dict[str, Any]:
    return {
        "label_zh": "手机号", "label_en": "Mobile", "category": "contact", "jrt_class": "C3", "mask_profile": "hidden",
        "pipl_sensitive": "on", "reason": "matrix",
    }  # fmt: skip


def classification_changed(w: World, foreign: bool, ok: bool) -> None:
    from clientvault.classification.models import FieldClassification

    assert (FieldClassification.objects.get(key="customer.mobile").jrt_class == "C3") is ok


def purpose_form(w: World, foreign: bool) -> dict[str, Any]:
    return {
        "name_zh": "营销推广", "name_en": "Marketing", "legal_basis": "consent", "needs_consent": "on",
        "description": "matrix", "active": "on", "reason": "matrix",
    }  # fmt: skip


def purpose_changed(w: World, foreign: bool, ok: bool) -> None:
    from clientvault.access.models import Purpose

    assert (Purpose.objects.get(code="marketing").description == "matrix") is ok


def customer_created(w: World, foreign: bool, ok: bool) -> None:
    assert find(NEW_NAME).exists() is ok


def customer_edited(w: World, foreign: bool, ok: bool) -> None:
    c = w.customer_for(foreign)
    assert reload(c).occupation == (EDITED_NAME if ok else c.occupation)


def name_revealed(w: World, foreign: bool, ok: bool) -> None:
    events = AuditEvent.objects.filter(event_type="customer.field_revealed", customer_id=w.customer_for(foreign).pk)
    assert [e.fields for e in events] == ([["name"]] if ok else [])
    assert all(e.purpose for e in events), "a reveal records the purpose it was made for"


def policy_form(w: World, foreign: bool) -> dict[str, Any]:
    return {
        "actions": ["view", "reveal"], "purposes": ["credit_assessment"], "scope": "3", "max_clear_class": "C2",
        "mask_c3": "withheld", "description": "", "active": "on", "reason": "matrix",
    }  # fmt: skip


def policy_changed(w: World, foreign: bool, ok: bool) -> None:
    """The form widens the risk officer's sight (C1 → C2 in clear): proposed, not in force (rule 12)."""
    from clientvault.access.models import PolicyChange

    row = Policy.objects.get(code="risk-customers")
    assert (row.version, row.max_clear_class) == (1, "C1")
    assert PolicyChange.objects.filter(code="risk-customers", status="pending", proposed__max_clear_class="C2").exists() is ok
    assert AuditEvent.objects.filter(event_type="policy.change_proposed").count() == (1 if ok else 0)


def new_policy_form(w: World, foreign: bool) -> dict[str, Any]:
    return {**policy_form(w, foreign), "code": "risk-audit-extra", "role": "risk_officer", "resource": "followup"}


def policy_created(w: World, foreign: bool, ok: bool) -> None:
    """A new active rule grants sight: proposed for a second compliance officer (rule 12)."""
    from clientvault.access.models import PolicyChange

    assert not Policy.objects.filter(code="risk-audit-extra").exists()
    assert PolicyChange.objects.filter(code="risk-audit-extra", status="pending").exists() is ok
    assert AuditEvent.objects.filter(event_type="policy.change_proposed", object_id="risk-audit-extra").count() == (1 if ok else 0)


def made_core(w: World, foreign: bool) -> dict[str, Any]:
    """Test setup: the subject becomes a core customer (no domain write, no event), for compliance to clear."""
    Customer.objects.unrestricted(reason="permission matrix setup").filter(pk=w.customer_for(foreign).pk).update(is_core=True)
    return {}


def core_clearing_proposed(w: World, foreign: bool, ok: bool) -> None:
    """Issue #13: compliance proposes; nothing changes until another compliance officer approves."""
    c = w.customer_for(foreign)
    assert reload(c).is_core is True
    proposed = AuditEvent.objects.filter(
        event_type="approval.submitted", customer_id=c.pk, detail__change_type="customers.lower_protection"
    )
    assert proposed.count() == (1 if ok else 0)
    assert not AuditEvent.objects.filter(event_type="customer.protection_lowered").exists()


def proposed_change(w: World) -> str:
    """A second compliance officer proposes to show risk officers C2 in clear; ``compliance`` may decide it."""
    from clientvault.access import services as access_services
    from clientvault.testing.organisation import second_officer

    change = access_services.change_policy(
        ctx=ctx(second_officer(w.org)), code="risk-customers", data={"max_clear_class": "C2"}, reason="matrix"
    )
    return str(change.pk)


def change_approved(w: World, foreign: bool, ok: bool) -> None:
    row = Policy.objects.get(code="risk-customers")
    assert (row.version, row.max_clear_class) == ((2, "C2") if ok else (1, "C1"))
    assert AuditEvent.objects.filter(event_type="policy.change_approved").count() == (1 if ok else 0)


def customer_deleted(w: World, foreign: bool, ok: bool) -> None:
    assert all_rows(Customer).filter(pk=w.customer_for(foreign).pk).exists() is not ok


def followup_created(w: World, foreign: bool, ok: bool) -> None:
    assert all_rows(FollowUp).filter(customer=w.customer_for(foreign)).count() == (2 if ok else 1)


def followup_deleted(w: World, foreign: bool, ok: bool) -> None:
    assert all_rows(FollowUp).filter(pk=w.followup_for(foreign).pk).exists() is not ok


def followup_edited(w: World, foreign: bool, ok: bool) -> None:
    f = w.followup_for(foreign)
    assert followup_text(f)["summary"] == ("矩阵更正" if ok else f.summary)


def user_created(w: World, foreign: bool, ok: bool) -> None:
    assert User.objects.filter(username=NEW_USERNAME).exists() is ok


def user_edited(w: World, foreign: bool, ok: bool) -> None:
    assert (User.objects.get(pk=w.org["rep_bj2"].pk).display_name == "Matrix edited") is ok


def field_created(w: World, foreign: bool, ok: bool) -> None:
    assert CustomFieldDefinition.objects.filter(key=NEW_FIELD_KEY).exists() is ok


def field_edited(w: World, foreign: bool, ok: bool) -> None:
    assert (CustomFieldDefinition.objects.get(pk=w.field.pk).label_zh == "新标签") is ok


def audit_left(event_type: str, *, names_customer: bool = False) -> Effect:
    """Reading the audit trail is itself audited: exactly one ``event_type`` if it succeeded, none if refused."""

    def effect(w: World, foreign: bool, ok: bool) -> None:
        events = list(AuditEvent.objects.filter(event_type=event_type))
        assert len(events) == (1 if ok else 0), f"expected {1 if ok else 0} {event_type}, got {len(events)}"
        if ok and names_customer:
            assert events[0].customer_id == w.customer_for(foreign).pk

    return effect


def evidence_opened(w: World, foreign: bool, ok: bool) -> None:
    """One download event naming the customer: a plain view, or a reveal for who sees the fields masked."""
    events = list(AuditEvent.objects.filter(event_type__in=("consent.evidence_viewed", "consent.evidence_revealed")))
    assert len(events) == (1 if ok else 0), f"expected {1 if ok else 0} evidence event(s), got {len(events)}"
    if ok:
        assert events[0].customer_id == w.customer_for(foreign).pk and events[0].detail["evidence_id"]


def evidence_query(w: World, foreign: bool) -> dict[str, Any]:
    return {"customer": str(w.customer_for(foreign).pk), "format": "csv"}
