"""The permission matrix's expectations: what every user gets from every web route and API operation."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.urls import reverse

from clientvault.accounts import services as account_services
from clientvault.testing.identifiers import resident_id
from clientvault.testing.organisation import PASSWORD
from tests.matrix import approvals as A
from tests.matrix import assets as AS
from tests.matrix import calendar as CAL
from tests.matrix import credit_portal as CP
from tests.matrix import credit_rules as CR
from tests.matrix import dedupe as DD
from tests.matrix import intake as IN
from tests.matrix import lifecycle as LC
from tests.matrix import merges as MG
from tests.matrix import rights as RR
from tests.matrix import risk as RK
from tests.matrix import risk_limits as RL
from tests.matrix import warnings as EW
from tests.matrix.effects import (
    CONSENT_DESK,
    CONSENT_NO_SIGHT,
    CONSENT_OUT,
    CONSENT_READ_ONLY,
    CONSENT_RECORDERS,
    EVIDENCE_IN,
    EVIDENCE_WRONG,
    NOT_COMPLIANCE,
    NOT_CONSENT_DESK,
    Effect,
    Payload,
    audit_left,
    auditor_factor_reset,
    capture_form,
    capture_payload,
    change_approved,
    classification_changed,
    classification_form,
    consent_recorded,
    consent_withdrawn,
    core_clearing_proposed,
    customer_created,
    customer_deleted,
    customer_edited,
    customer_form,
    evidence_opened,
    evidence_query,
    field_created,
    field_edit_form,
    field_edited,
    followup_created,
    followup_deleted,
    followup_edited,
    followup_form,
    grant_decided,
    landing,
    made_core,
    name_revealed,
    new_customer_form,
    new_field_form,
    new_policy_form,
    new_user_form,
    notice_form,
    notice_published,
    policy_changed,
    policy_created,
    policy_form,
    purpose_changed,
    purpose_form,
    user_created,
    user_edit_form,
    user_edited,
    user_password_was_not_reset,
    withdrawal_payload,
)
from tests.matrix.world import (
    ADMIN_ONLY,
    AUDIT_READERS,
    AUDIT_READERS_ANY_ENTITY,
    CHANGE_IN,
    CHANGE_OUT,
    CHANGE_WRONG,
    EDITED_NAME,
    EVERYONE,
    NEW_NAME,
    NO_CUSTOMER_GRANT,
    NOT_ADMIN,
    NOT_AUDIT,
    NOT_SALES,
    POLICY_READERS,
    REVEAL_DENIED,
    REVEAL_IN,
    SALES,
    USERS,
    VIEW_IN,
    VIEW_OUT,
    World,
)

# --- The web matrix ---------------------------------------------------------------------------

Response = Any  # the test client's response (django.test.client's patched HttpResponse)
Location = str | Callable[[World, str, bool], str]  # a regex the Location header must fully match
LOGIN = "<login>"  # the sign-in page with ?next= the requested path


@dataclass(frozen=True)
class Web:
    """One method of one URL pattern: who gets what."""

    method: str
    ok: tuple[str, ...] = ()  # in scope: 200 for GET, ``success`` redirect for POST
    wrong: tuple[str, ...] = ()  # no grant: 404
    out: tuple[str, ...] = ()  # out of scope: ``out_status`` without the customer's name
    success: Location | None = None  # Location regex for in-scope users (implies a 302)
    anon_status: int = 302
    anon_location: Location | None = LOGIN
    out_status: int = 404
    data: Payload | None = None
    effect: Effect | None = None
    reveals: bool = False  # in-scope responses show the customer's name
    audited_view: bool = False  # in-scope responses write exactly one customer.viewed
    query: Payload | None = None  # query-string parameters (GET)
    event: str | None = None  # writes: the audit event a success leaves exactly once ("" none), a refusal never
    anon_event: str = ""  # the event an anonymous visitor's successful write leaves (signing in)


def _detail(w: World, user: str, foreign: bool) -> str:
    return re.escape(reverse("customers:detail", args=[w.customer_for(foreign).pk]))


def _landing(w: World, user: str, foreign: bool) -> str:
    return re.escape(landing(w, user))


def _mfa_landing(w: World, user: str, foreign: bool) -> str:
    if account_services.confirmed_device(w.org[user]) is None:
        return re.escape(reverse("accounts:mfa_setup"))
    return _landing(w, user, foreign)


NEW_DETAIL = r"/customers/[0-9a-f-]{36}/"
MFA_RESET_APPROVERS = ("admin", "compliance")
NOT_MFA_RESET_APPROVERS = tuple(u for u in USERS if u not in MFA_RESET_APPROVERS)


def _user_edit(w: World, user: str, foreign: bool) -> str:
    return re.escape(reverse("accounts:user_edit", args=[w.org["rep_bj2"].pk]))


def consent_write_web(data: Payload, effect: Effect, event: str) -> Web:
    """Recording a consent or its withdrawal on the customer's consent page: who may, who may not."""
    return Web(
        "POST",
        ok=CONSENT_RECORDERS,
        wrong=CONSENT_READ_ONLY + CONSENT_NO_SIGHT,
        out=CONSENT_OUT,
        success=lambda w, u, f: re.escape(reverse("consents:customer", args=[w.customer_for(f).pk])),
        data=data,
        effect=effect,
        event=event,
    )


WEB_MATRIX: dict[str, list[Web]] = {
    "home": [Web("GET", ok=EVERYONE, success=_landing)],
    "accounts:login": [
        Web("GET", ok=EVERYONE, success=_landing, anon_status=200, anon_location=None),
        Web(
            "POST",
            ok=EVERYONE,
            success=_landing,
            anon_location=re.escape("/home/"),
            data=lambda w, f: {"username": "rep_bj1", "password": PASSWORD},
            event="",  # whoever is signed in already is sent on, nothing is written
            anon_event="auth.login",
        ),
    ],
    "accounts:logout": [
        Web("POST", ok=EVERYONE, success=re.escape("/accounts/login/"), anon_location=re.escape("/accounts/login/"), event="auth.logout")
    ],
    "accounts:mfa_verify": [Web("GET", ok=EVERYONE, success=_mfa_landing)],
    "accounts:mfa_setup": [Web("GET", ok=EVERYONE)],
    "accounts:profile": [
        Web("GET", ok=EVERYONE),
        Web(
            "POST",
            ok=EVERYONE,
            success=re.escape("/accounts/profile/"),
            data=lambda w, f: {"action": "language", "lang-language": "en"},
            event="user.updated",
        ),
    ],
    "accounts:users": [Web("GET", ok=ADMIN_ONLY, wrong=NOT_ADMIN)],
    "accounts:user_create": [
        Web("GET", ok=ADMIN_ONLY, wrong=NOT_ADMIN),
        Web(
            "POST",
            ok=ADMIN_ONLY,
            wrong=NOT_ADMIN,
            success=re.escape("/accounts/users/"),
            data=new_user_form,
            effect=user_created,
            event="user.created",
        ),
    ],
    "accounts:user_edit": [
        Web("GET", ok=ADMIN_ONLY, wrong=NOT_ADMIN),
        Web(
            "POST",
            ok=ADMIN_ONLY,
            wrong=NOT_ADMIN,
            success=re.escape("/accounts/users/"),
            data=user_edit_form,
            effect=user_edited,
            event="user.updated",
        ),
    ],
    "accounts:role_grants": [Web("GET", ok=("compliance",), wrong=NOT_COMPLIANCE)],
    "accounts:role_grant_decide": [
        Web(
            "POST",
            ok=("compliance",),
            wrong=NOT_COMPLIANCE,
            success=re.escape("/accounts/grants/"),
            data=lambda w, f: {"action": "approve", "reason": "matrix"},
            effect=grant_decided,
            event="role_grant.approved",
        ),
    ],
    # Helping a stuck user (issue #11): administrators; a second-factor reset of an MFA role is approved by
    # another administrator or a compliance officer on the pending page.
    "accounts:user_unlock": [
        Web("POST", ok=ADMIN_ONLY, wrong=NOT_ADMIN, success=_user_edit, effect=audit_left("user.unlocked"), event="user.unlocked"),
    ],
    "accounts:user_password_reset": [
        Web("POST", ok=ADMIN_ONLY, wrong=NOT_ADMIN, success=_user_edit, effect=user_password_was_not_reset, event="")
    ],
    "accounts:user_mfa_reset": [
        Web(
            "POST",
            ok=ADMIN_ONLY,
            wrong=NOT_ADMIN,
            success=_user_edit,
            effect=audit_left("user.mfa_reset_requested"),
            event="user.mfa_reset_requested",
        ),
    ],
    "accounts:mfa_resets": [Web("GET", ok=MFA_RESET_APPROVERS, wrong=NOT_MFA_RESET_APPROVERS)],
    "accounts:mfa_reset_decide": [
        Web(
            "POST",
            ok=MFA_RESET_APPROVERS,
            wrong=NOT_MFA_RESET_APPROVERS,
            success=re.escape("/accounts/mfa-resets/"),
            data=lambda w, f: {"action": "approve"},
            effect=auditor_factor_reset,
            event="user.mfa_reset",
        ),
    ],
    "customers:list": [
        Web("GET", ok=VIEW_IN, wrong=NO_CUSTOMER_GRANT, out=VIEW_OUT, out_status=200, reveals=True),
    ],
    "customers:create": [
        Web("GET", ok=SALES, wrong=NOT_SALES),
        Web(
            "POST", ok=SALES, wrong=NOT_SALES, success=NEW_DETAIL, data=new_customer_form, effect=customer_created, event="customer.created"
        ),
    ],
    # Export is granted under marketing only (rep-marketing); under the purpose each user works for by
    # default nobody holds it, so the page answers like a missing one. The marketing export itself is tested
    # in consents/tests/test_enforcement.py (only customers with live consent leave).
    "customers:export": [Web("GET", wrong=EVERYONE)],
    "customers:detail": [
        Web("GET", ok=VIEW_IN, wrong=NO_CUSTOMER_GRANT, out=VIEW_OUT, reveals=True, audited_view=True),
    ],
    "customers:edit": [
        Web("GET", ok=CHANGE_IN, wrong=CHANGE_WRONG, out=CHANGE_OUT, reveals=True),
        Web(
            "POST",
            ok=CHANGE_IN,
            wrong=CHANGE_WRONG,
            out=CHANGE_OUT,
            success=_detail,
            data=customer_form,
            effect=customer_edited,
            event="customer.updated",
        ),
    ],
    "customers:delete": [
        Web(
            "POST",
            ok=CHANGE_IN,
            wrong=CHANGE_WRONG,
            out=CHANGE_OUT,
            success=re.escape("/customers/"),
            effect=customer_deleted,
            event="customer.deleted",
        ),
    ],
    "customers:followup_create": [
        Web(
            "POST",
            ok=CHANGE_IN,
            wrong=CHANGE_WRONG,
            out=CHANGE_OUT,
            success=_detail,
            data=followup_form,
            effect=followup_created,
            event="followup.created",
        ),
    ],
    "customers:followup_delete": [
        Web("POST", ok=CHANGE_IN, wrong=CHANGE_WRONG, out=CHANGE_OUT, success=_detail, effect=followup_deleted, event="followup.deleted"),
    ],
    "classification:catalogue": [
        Web("GET", ok=("compliance", "auditor"), wrong=tuple(u for u in USERS if u not in ("compliance", "auditor"))),
    ],
    "classification:edit": [
        Web("GET", ok=("compliance",), wrong=tuple(u for u in USERS if u != "compliance")),
        Web(
            "POST",
            ok=("compliance",),
            wrong=tuple(u for u in USERS if u != "compliance"),
            success=re.escape("/classification/"),
            data=classification_form,
            effect=classification_changed,
            event="classification.changed",
        ),
    ],
    "access:purposes": [
        Web("GET", ok=("compliance", "auditor"), wrong=tuple(u for u in USERS if u not in ("compliance", "auditor"))),
    ],
    "access:purpose_edit": [
        Web("GET", ok=("compliance",), wrong=tuple(u for u in USERS if u != "compliance")),
        Web(
            "POST",
            ok=("compliance",),
            wrong=tuple(u for u in USERS if u != "compliance"),
            success=re.escape("/access/purposes/"),
            data=purpose_form,
            effect=purpose_changed,
            event="purpose.changed",
        ),
    ],
    # Lowering a record's protection is compliance's decision (issue #11).
    "customers:clear_core": [
        Web(
            "POST",
            ok=("compliance",),
            wrong=NOT_COMPLIANCE,
            out=("compliance@foreign",),
            success=_detail,
            data=made_core,
            effect=core_clearing_proposed,
            event="approval.submitted",
        ),
    ],
    "customers:reveal": [
        Web(
            "POST",
            ok=REVEAL_IN,
            wrong=REVEAL_DENIED + NO_CUSTOMER_GRANT,
            out=VIEW_OUT,
            reveals=True,
            effect=name_revealed,
            event="customer.field_revealed",
        ),
    ],
    "access:policies": [Web("GET", ok=POLICY_READERS, wrong=tuple(u for u in USERS if u not in POLICY_READERS))],
    # Data policies are compliance's alone (issue #11): administrators read them, change none.
    "access:policy_edit": [
        Web("GET", ok=("compliance",), wrong=NOT_COMPLIANCE),
        Web(
            "POST",
            ok=("compliance",),
            wrong=NOT_COMPLIANCE,
            success=re.escape("/access/policies/"),
            data=policy_form,
            effect=policy_changed,
            event="policy.change_proposed",
        ),
    ],
    "access:policy_create": [
        Web("GET", ok=("compliance",), wrong=NOT_COMPLIANCE),
        Web(
            "POST",
            ok=("compliance",),
            wrong=NOT_COMPLIANCE,
            success=re.escape("/access/policies/"),
            data=new_policy_form,
            effect=policy_created,
            event="policy.change_proposed",
        ),
    ],
    "access:policy_change_decide": [
        Web(
            "POST",
            ok=("compliance",),
            wrong=NOT_COMPLIANCE,
            success=re.escape("/access/policies/"),
            data=lambda w, f: {"action": "approve", "reason": "matrix"},
            effect=change_approved,
            event="policy.change_approved",
        ),
    ],
    "access:choose_purpose": [Web("GET", ok=EVERYONE)],
    "access:break_glass": [Web("GET", ok=ADMIN_ONLY, wrong=NOT_ADMIN)],
    # Nobody here is in a break-glass window: ending none writes nothing.
    "access:break_glass_end": [Web("POST", ok=EVERYONE, success=re.escape("/access/purpose/"), event="")],
    "access:break_glass_log": [Web("GET", ok=POLICY_READERS, wrong=tuple(u for u in USERS if u not in POLICY_READERS))],
    "audit:search": [Web("GET", ok=AUDIT_READERS, wrong=NOT_AUDIT, effect=audit_left("audit.searched"))],
    "audit:customer_history": [
        Web(
            "GET",
            ok=AUDIT_READERS_ANY_ENTITY,
            wrong=NOT_AUDIT,
            effect=audit_left("audit.customer_history_viewed", names_customer=True),
        )
    ],
    "audit:evidence": [
        Web(
            "GET",
            ok=AUDIT_READERS_ANY_ENTITY,
            wrong=NOT_AUDIT,
            query=evidence_query,
            effect=audit_left("audit.evidence_exported", names_customer=True),
        )
    ],
    "consents:customer": [
        Web("GET", ok=VIEW_IN, wrong=NO_CUSTOMER_GRANT, out=VIEW_OUT, effect=audit_left("consent.viewed", names_customer=True)),
        consent_write_web(capture_form, consent_recorded, "consent.given"),
    ],
    "consents:withdraw": [consent_write_web(withdrawal_payload, consent_withdrawn, "consent.withdrawn")],
    "consents:evidence": [Web("GET", ok=EVIDENCE_IN, wrong=EVIDENCE_WRONG, out=VIEW_OUT, effect=evidence_opened)],
    "consents:dashboard": [Web("GET", ok=CONSENT_DESK, wrong=NOT_CONSENT_DESK, effect=audit_left("consent.coverage_viewed"))],
    "consents:notices": [Web("GET", ok=CONSENT_DESK, wrong=NOT_CONSENT_DESK)],
    "consents:publish": [
        Web("GET", ok=("compliance",), wrong=NOT_COMPLIANCE),
        Web(
            "POST",
            ok=("compliance",),
            wrong=NOT_COMPLIANCE,
            success=re.escape("/consents/notices/"),
            data=notice_form,
            effect=notice_published,
            event="notice.published",
        ),
    ],
    # The portal knows no staff: a signed-in employee is a stranger there, sent to the portal's own sign-in.
    "rights:give": [Web("GET", ok=EVERYONE, success=re.escape("/portal/"), anon_location=re.escape("/portal/"))],
    "rights:withdraw": [Web("POST", ok=EVERYONE, success=re.escape("/portal/"), anon_location=re.escape("/portal/"), event="")],
    # Customer assets (issue #13): sight follows the customer; writes by whoever may change the customer's assets.
    "assets:customer": [
        Web("GET", ok=VIEW_IN, wrong=NO_CUSTOMER_GRANT, out=VIEW_OUT, effect=audit_left("asset.viewed", names_customer=True)),
    ],
    "assets:detail": [
        Web("GET", ok=VIEW_IN, wrong=NO_CUSTOMER_GRANT, out=VIEW_OUT, effect=audit_left("asset.ledger_viewed", names_customer=True)),
    ],
    "assets:open": [
        Web(
            "POST",
            ok=AS.ASSET_CHANGE_IN,
            wrong=AS.ASSET_READ_ONLY + AS.ASSET_NO_SIGHT,
            out=CHANGE_OUT,
            success=lambda w, u, f: re.escape(reverse("assets:customer", args=[w.customer_for(f).pk])),
            data=AS.open_form,
            effect=AS.asset_opened,
            event="asset.opened",
        )
    ],
    "assets:move": [
        Web(
            "POST",
            ok=AS.ASSET_CHANGE_IN,
            wrong=AS.ASSET_READ_ONLY + AS.ASSET_NO_SIGHT,
            out=CHANGE_OUT,
            success=lambda w, u, f: re.escape(reverse("assets:detail", args=[AS.asset_id(w, f)])),
            data=AS.move_form,
            effect=AS.moved,
            event="asset.moved",
        )
    ],
    "assets:close": [
        Web(
            "POST",
            ok=AS.ASSET_CHANGE_IN,
            wrong=AS.ASSET_READ_ONLY + AS.ASSET_NO_SIGHT,
            out=CHANGE_OUT,
            success=lambda w, u, f: re.escape(reverse("assets:detail", args=[AS.asset_id(w, f)])),
            data=AS.close_form,
            effect=AS.closed,
            event="asset.closed",
        )
    ],
    "assets:fx_rates": [
        Web("GET", ok=AS.FX_READERS, wrong=AS.NOT_FX_READERS),
        Web(
            "POST",
            ok=AS.FX_EDITORS,
            wrong=AS.NOT_FX_EDITORS,
            success=re.escape("/assets/fx-rates/"),
            data=AS.fx_form,
            effect=AS.fx_added,
            event="fxrate.recorded",
        ),
    ],
    "assets:alerts": [Web("GET", ok=AS.ALERT_READERS, wrong=AS.NOT_ALERT_READERS)],
    "assets:alert_acknowledge": [
        Web(
            "POST",
            ok=("compliance",),
            wrong=AS.NOT_ALERT_DESK,
            success=re.escape("/assets/alerts/"),
            effect=AS.acknowledged,
            event="asset.alert_acknowledged",
        )
    ],
    # The duplicate review queue (issue #14): a cluster is seen by a reader who sees every member.
    "dedupe:queue": [Web("GET", ok=DD.READERS, wrong=DD.NOT_READERS, effect=audit_left("duplicates.listed"))],
    "dedupe:cluster": [Web("GET", ok=DD.CLUSTER_IN, wrong=DD.NOT_READERS, out=DD.CLUSTER_OUT, effect=DD.viewed)],
    "dedupe:dismiss": [
        Web(
            "POST",
            ok=DD.CHANGERS_IN,
            wrong=DD.NOT_CHANGERS,
            out=DD.CHANGERS_OUT,
            success=re.escape("/duplicates/"),
            data=DD.dismiss_form,
            effect=DD.dismissed,
            event="duplicates.dismissed",
        )
    ],
    # Imports (issue #14): a code capability (IMPORTS); a batch outside the importer's scope answers 404.
    "intake:batches": [Web("GET", ok=(*IN.BATCH_READERS, "manager_sh"), wrong=IN.NOT_BATCH_READERS)],
    "intake:upload": [
        Web("GET", ok=IN.UPLOADERS, wrong=IN.NOT_UPLOADERS),
        Web(
            "POST",
            ok=IN.UPLOADERS,
            wrong=IN.NOT_UPLOADERS,
            success=IN.BATCH_URL + "mapping/",
            data=IN.upload_form,
            effect=IN.staged,
            event="import.staged",
        ),
    ],
    "intake:templates": [Web("GET", ok=IN.TEMPLATE_READERS, wrong=IN.NOT_TEMPLATE_READERS)],
    "intake:template": [Web("GET", ok=IN.TEMPLATE_READERS, wrong=IN.NOT_TEMPLATE_READERS)],
    "intake:detail": [Web("GET", ok=IN.BATCH_READERS, wrong=IN.NOT_BATCH_READERS, out=IN.BATCH_OUT)],
    "intake:progress": [Web("GET", ok=IN.BATCH_READERS, wrong=IN.NOT_BATCH_READERS, out=IN.BATCH_OUT)],
    "intake:mapping": [
        Web("GET", ok=IN.OPERATOR, wrong=IN.NOT_OPERATOR, out=IN.BATCH_OUT, effect=audit_left("import.samples_viewed")),
        Web(
            "POST",
            ok=IN.OPERATOR,
            wrong=IN.NOT_OPERATOR,
            out=IN.BATCH_OUT,
            success=IN.BATCH_URL + "dry-run/",
            data=IN.mapping_form,
            effect=IN.mapped,
            event="import.mapped",
        ),
    ],
    "intake:dry_run": [Web("GET", ok=IN.OPERATOR, wrong=IN.NOT_OPERATOR, out=IN.BATCH_OUT)],
    "intake:start": [
        Web(
            "POST",
            ok=IN.OPERATOR,
            wrong=IN.NOT_OPERATOR,
            out=IN.BATCH_OUT,
            success=IN.BATCH_URL,
            data=IN.remember_state,
            effect=IN.started,
            event="import.started",
        )
    ],
    "intake:rejected": [
        Web(
            "GET",
            ok=IN.BATCH_READERS,
            wrong=IN.NOT_BATCH_READERS,
            out=IN.BATCH_OUT,
            query=IN.finished_query,
            effect=audit_left("import.report_downloaded"),
        )
    ],
    "intake:undo": [
        Web(
            "POST",
            ok=IN.IMPORTERS,
            wrong=IN.NOT_IMPORTERS,
            out=IN.BATCH_OUT,
            success=r"/approvals/[0-9a-f-]{36}/",
            data=IN.undo_form,
            effect=IN.undo_requested,
            event="import.undo_requested",
        )
    ],
    # The home page and the notifications behind the bell (issue #13): everyone's own; marking read writes no event.
    "home:index": [Web("GET", ok=EVERYONE)],
    "home:notifications": [
        Web("GET", ok=EVERYONE),
        Web("POST", ok=EVERYONE, success=re.escape("/home/notifications/"), event=""),
    ],
    # Change requests (issue #13): the inbox and my requests for every role with the approvals capability; a
    # request for its maker, its checker in scope, compliance and auditors; a decision for whom it is due.
    "approvals:inbox": [Web("GET", ok=A.APPROVALS_USERS, wrong=A.NO_APPROVALS)],
    "approvals:mine": [Web("GET", ok=A.APPROVALS_USERS, wrong=A.NO_APPROVALS)],
    "approvals:detail": [Web("GET", ok=A.SEES, wrong=A.NO_APPROVALS, out=A.BLIND + A.FOREIGN, effect=A.request_viewed)],
    "approvals:approve": [
        Web(
            "POST",
            ok=("manager_bj",),
            wrong=A.NO_APPROVALS,
            out=tuple(u for u in A.APPROVALS_USERS if u != "manager_bj") + A.FOREIGN,
            success=lambda w, u, f: re.escape(reverse("approvals:detail", args=[A.change_request_id(w, f)])),
            data=lambda w, f: {"reason": "matrix"},
            effect=A.request_became("applied"),
            event="approval.approved",
        )
    ],
    "approvals:reject": [
        Web(
            "POST",
            ok=("manager_bj",),
            wrong=A.NO_APPROVALS,
            out=tuple(u for u in A.APPROVALS_USERS if u != "manager_bj") + A.FOREIGN,
            success=lambda w, u, f: re.escape(reverse("approvals:detail", args=[A.change_request_id(w, f)])),
            data=lambda w, f: {"reason": "matrix"},
            effect=A.request_became("rejected"),
            event="approval.rejected",
        )
    ],
    "approvals:withdraw": [
        Web(
            "POST",
            ok=("rep_bj1",),
            wrong=A.NO_APPROVALS,
            out=tuple(u for u in A.APPROVALS_USERS if u != "rep_bj1") + A.FOREIGN,
            success=lambda w, u, f: re.escape(reverse("approvals:detail", args=[A.change_request_id(w, f)])),
            data=lambda w, f: {"reason": "matrix"},
            effect=A.request_became("withdrawn"),
            event="approval.withdrawn",
        )
    ],
    # Merges (issue #14): the duplicates capability's readers see merges of customers they see; its changers
    # propose a merge (every record in sight) or its undoing; the comparison reads every record (audited).
    # Deletion certificates (issue #15): the compliance desk and auditors of the customer's legal entity.
    "lifecycle:certificates": [Web("GET", ok=LC.DESK_READERS, wrong=LC.NOT_DESK_READERS)],
    "lifecycle:certificate_download": [
        Web("GET", ok=LC.DESK_READERS, wrong=LC.NOT_DESK_READERS, out=LC.READERS_OUT, effect=audit_left("lifecycle.certificate_viewed"))
    ],
    # Lifecycle desk pages (issue #15): rules (readers; compliance proposes, a second officer decides), holds of
    # the caller's legal entity (compliance places, asks to lift, decides another's lift), restricted customers.
    "lifecycle:rules": [Web("GET", ok=LC.RULE_READERS, wrong=LC.NOT_RULE_READERS)],
    "lifecycle:rule_propose": [
        Web(
            "POST",
            ok=("compliance",),
            wrong=LC.NOT_DESK,
            success=re.escape("/lifecycle/rules/"),
            data=lambda w, f: {"period_months": "12", "reason": "matrix"},
            effect=LC.rule_proposed,
            event="lifecycle.rule_change_proposed",
        )
    ],
    "lifecycle:rule_change_decide": [
        Web(
            "POST",
            ok=("compliance",),
            wrong=LC.NOT_DESK,
            success=re.escape("/lifecycle/rules/"),
            data=lambda w, f: {"action": "approve"},
            effect=LC.rule_change_decided,
            event="lifecycle.rule_change_decided",
        )
    ],
    "lifecycle:holds": [Web("GET", ok=LC.DESK_READERS, wrong=LC.NOT_DESK_READERS)],
    "lifecycle:hold_place": [
        Web(
            "POST",
            ok=("compliance",),
            wrong=LC.NOT_DESK,
            out=LC.DESK_OUT,
            success=re.escape("/lifecycle/holds/"),
            data=LC.hold_payload,
            effect=LC.hold_placed,
            event="lifecycle.hold_placed",
        )
    ],
    "lifecycle:hold_lift": [
        Web(
            "POST",
            ok=("compliance",),
            wrong=LC.NOT_DESK,
            out=LC.DESK_OUT,
            success=re.escape("/lifecycle/holds/"),
            data=lambda w, f: {"reason": "matrix"},
            effect=LC.lift_requested,
            event="lifecycle.hold_lift_requested",
        )
    ],
    "lifecycle:hold_decide": [
        Web(
            "POST",
            ok=("compliance",),
            wrong=LC.NOT_DESK,
            out=LC.DESK_OUT,
            success=re.escape("/lifecycle/holds/"),
            data=lambda w, f: {"action": "approve"},
            effect=LC.hold_lifted,
            event="lifecycle.hold_lifted",
        )
    ],
    "lifecycle:restricted": [Web("GET", ok=("compliance",), wrong=LC.NOT_DESK, effect=audit_left("lifecycle.restricted_listed"))],
    "merges:index": [Web("GET", ok=MG.DUP_READERS, wrong=MG.NO_DUP)],
    "merges:rules": [Web("GET", ok=MG.RULE_READERS, wrong=MG.NOT_RULE_READERS)],
    "merges:rule_edit": [
        Web(
            "POST",
            ok=("compliance",),
            wrong=MG.NOT_COMPLIANCE,
            success=re.escape("/merges/rules/"),
            data=lambda w, f: {"rule": "non_null", "source_order": "", "description": "matrix", "reason": "matrix"},
            effect=MG.rule_proposed,
            event="survivorship.change_proposed",
        )
    ],
    "merges:rule_change_decide": [
        Web(
            "POST",
            ok=("compliance",),
            wrong=MG.NOT_COMPLIANCE,
            success=re.escape("/merges/rules/"),
            data=lambda w, f: {"action": "approve", "reason": "matrix"},
            effect=MG.rule_change_approved,
            event="survivorship.change_approved",
        )
    ],
    "merges:detail": [Web("GET", ok=MG.SEES, wrong=MG.NO_DUP, out=MG.OUT, effect=MG.merge_viewed)],
    "merges:propose": [
        Web("GET", ok=MG.DUP_MAKERS, wrong=MG.NOT_MAKERS, out=MG.MAKERS_OUT, query=MG.propose_query, effect=MG.compared),
        Web(
            "POST",
            ok=MG.DUP_MAKERS,
            wrong=MG.NOT_MAKERS,
            out=MG.MAKERS_OUT,
            success=r"/approvals/[0-9a-f-]{36}/",
            data=MG.propose_form,
            effect=MG.merge_proposed,
            event="merge.proposed",
        ),
    ],
    "merges:unmerge": [
        Web(
            "POST",
            ok=MG.DUP_MAKERS,
            wrong=MG.NOT_MAKERS,
            out=MG.MAKERS_OUT,
            success=r"/approvals/[0-9a-f-]{36}/",
            data=lambda w, f: {"reason": "matrix"},
            effect=MG.unmerge_requested,
            event="merge.unmerge_proposed",
        )
    ],
    **RR.web_matrix(Web),
    "approvals:rules": [Web("GET", ok=A.RULE_READERS, wrong=A.NOT_RULE_READERS)],
    "approvals:rule_create": [
        Web("GET", ok=("compliance",), wrong=NOT_COMPLIANCE),
        Web(
            "POST",
            ok=("compliance",),
            wrong=NOT_COMPLIANCE,
            success=re.escape("/approvals/rules/"),
            data=A.new_rule_form,
            effect=A.rule_proposed,
            event="approval_rule.change_proposed",
        ),
    ],
    "approvals:rule_change_decide": [
        Web(
            "POST",
            ok=("compliance",),
            wrong=NOT_COMPLIANCE,
            success=re.escape("/approvals/rules/"),
            data=lambda w, f: {"action": "approve", "reason": "matrix"},
            effect=A.rule_change_approved,
            event="approval_rule.change_approved",
        ),
    ],
    "approvals:rule_edit": [
        Web("GET", ok=("compliance",), wrong=NOT_COMPLIANCE),
        Web(
            "POST",
            ok=("compliance",),
            wrong=NOT_COMPLIANCE,
            success=re.escape("/approvals/rules/"),
            data=A.rule_form,
            effect=A.rule_changed,
            event="approval_rule.changed",
        ),
    ],
    "customers:custom_fields": [
        Web("GET", ok=("admin", "compliance"), wrong=tuple(u for u in USERS if u not in ("admin", "compliance"))),
    ],
    "customers:custom_field_create": [
        Web("GET", ok=ADMIN_ONLY, wrong=NOT_ADMIN),
        Web(
            "POST",
            ok=ADMIN_ONLY,
            wrong=NOT_ADMIN,
            success=re.escape("/customers/custom-fields/"),
            data=new_field_form,
            effect=field_created,
            event="customfield.created",
        ),
    ],
    "customers:custom_field_edit": [
        Web("GET", ok=ADMIN_ONLY, wrong=NOT_ADMIN),
        Web(
            "POST",
            ok=ADMIN_ONLY,
            wrong=NOT_ADMIN,
            success=re.escape("/customers/custom-fields/"),
            data=field_edit_form,
            effect=field_edited,
            event="customfield.updated",
        ),
    ],
}
# The portal's credit pages (issue #16, PIPL-24).
WEB_MATRIX |= CP.web_matrix(Web)
# The working-day calendar (issue #15): every staff role reads it, administrators edit it.
WEB_MATRIX |= {
    "calendars:index": [Web("GET", ok=CAL.READERS, wrong=CAL.NOT_READERS)],
    "calendars:year": [Web("GET", ok=CAL.READERS, wrong=CAL.NOT_READERS)],
    "calendars:day_edit": [
        Web("GET", ok=CAL.EDITORS, wrong=CAL.NOT_EDITORS),
        Web(
            "POST",
            ok=CAL.EDITORS,
            wrong=CAL.NOT_EDITORS,
            success=re.escape("/calendar/2026/"),
            data=CAL.day_form,
            effect=CAL.day_entered,
            event="calendar.day_changed",
        ),
    ],
    "calendars:coverage": [
        Web(
            "POST",
            ok=CAL.EDITORS,
            wrong=CAL.NOT_EDITORS,
            success=re.escape("/calendar/2026/"),
            data=CAL.coverage_form,
            effect=CAL.coverage_withdrawn,
            event="calendar.day_changed",
        ),
    ],
}


# --- The API matrix ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Api:
    """One API operation: who gets what."""

    ok: tuple[str, ...]
    ok_status: int
    denied: tuple[str, ...] = ()  # wrong role, 403 permission_denied
    hidden: tuple[str, ...] = ()  # wrong role that cannot see the object at all, 404 not_found
    out: tuple[str, ...] = ()  # out of scope: 404 not_found (or ``out_status``) without the customer's name
    out_status: int = 404
    denied_statuses: tuple[int, ...] = (403,)
    denied_code: str | None = "permission_denied"  # the error code of a 403 (None: the refusal names its own)
    payload: Payload | None = None
    effect: Effect | None = None
    reveals: bool = False
    audited_view: bool = False
    query: Payload | None = None  # query-string parameters
    event: str | None = None  # writes: the audit event a success leaves exactly once ("" none), a refusal never
    headers: Callable[[World, bool], dict[str, str]] | None = None  # request headers (e.g. Idempotency-Key)


def consent_write_api(payload: Payload, effect: Effect, event: str) -> Api:
    """The same over the API: read-only roles get 403, roles without sight of the customer 404."""
    return Api(
        ok=CONSENT_RECORDERS,
        ok_status=201,
        denied=CONSENT_READ_ONLY,
        hidden=CONSENT_NO_SIGHT,
        out=CONSENT_OUT,
        payload=payload,
        effect=effect,
        event=event,
    )


P = "/api/v1"
API_MATRIX: dict[tuple[str, str], Api] = {
    ("GET", f"{P}/me"): Api(ok=EVERYONE, ok_status=200),
    ("GET", f"{P}/custom-fields"): Api(ok=EVERYONE, ok_status=200),  # definitions only, no customer data
    # No customer grant at all: the web list answers 404, so the API must refuse too (403 or 404).
    ("GET", f"{P}/customers"): Api(
        ok=VIEW_IN, ok_status=200, denied=NO_CUSTOMER_GRANT, denied_statuses=(403, 404), out=VIEW_OUT, out_status=200, reveals=True
    ),
    ("POST", f"{P}/customers"): Api(
        ok=SALES,
        ok_status=201,
        denied=NOT_SALES,
        effect=customer_created,
        event="customer.created",
        payload=lambda w, f: {
            "kind": "individual",
            "name": NEW_NAME,
            "id_type": "resident_id",
            "id_number": resident_id(),
            "mobile": "13900001111",
        },
    ),
    ("GET", f"{P}/customers/{{customer_id}}"): Api(
        ok=VIEW_IN, ok_status=200, hidden=NO_CUSTOMER_GRANT, out=VIEW_OUT, reveals=True, audited_view=True
    ),
    ("PATCH", f"{P}/customers/{{customer_id}}"): Api(
        ok=CHANGE_IN,
        ok_status=200,
        denied=CHANGE_WRONG,
        out=CHANGE_OUT,
        effect=customer_edited,
        event="customer.updated",
        payload=lambda w, f: {"occupation": EDITED_NAME, "version": w.customer_for(f).version},
    ),
    ("POST", f"{P}/customers/{{customer_id}}/reveal"): Api(
        ok=REVEAL_IN,
        ok_status=200,
        denied=REVEAL_DENIED,
        hidden=NO_CUSTOMER_GRANT,
        out=VIEW_OUT,
        reveals=True,
        payload=lambda w, f: {"fields": ["name"]},
        effect=name_revealed,
        event="customer.field_revealed",
    ),
    ("POST", f"{P}/customers/{{customer_id}}/clear-core"): Api(
        ok=("compliance",),
        ok_status=202,
        denied=NOT_COMPLIANCE,
        out=("compliance@foreign",),
        payload=made_core,
        effect=core_clearing_proposed,
        event="approval.submitted",
    ),
    ("DELETE", f"{P}/customers/{{customer_id}}"): Api(
        ok=CHANGE_IN, ok_status=204, denied=CHANGE_WRONG, out=CHANGE_OUT, effect=customer_deleted, event="customer.deleted"
    ),
    ("GET", f"{P}/customers/{{customer_id}}/followups"): Api(ok=VIEW_IN, ok_status=200, hidden=NO_CUSTOMER_GRANT, out=VIEW_OUT),
    ("POST", f"{P}/customers/{{customer_id}}/followups"): Api(
        ok=CHANGE_IN,
        ok_status=201,
        denied=CHANGE_WRONG,
        out=CHANGE_OUT,
        effect=followup_created,
        event="followup.created",
        payload=lambda w, f: {"occurred_at": "2026-01-05T10:00:00+08:00", "channel": "phone", "summary": "矩阵回访"},
    ),
    ("GET", f"{P}/followups/{{followup_id}}"): Api(ok=VIEW_IN, ok_status=200, hidden=NO_CUSTOMER_GRANT, out=VIEW_OUT),
    ("PATCH", f"{P}/followups/{{followup_id}}"): Api(
        ok=CHANGE_IN,
        ok_status=200,
        denied=CHANGE_WRONG,
        out=CHANGE_OUT,
        effect=followup_edited,
        event="followup.updated",
        payload=lambda w, f: {"summary": "矩阵更正"},
    ),
    ("DELETE", f"{P}/followups/{{followup_id}}"): Api(
        ok=CHANGE_IN, ok_status=204, denied=CHANGE_WRONG, out=CHANGE_OUT, effect=followup_deleted, event="followup.deleted"
    ),
    ("GET", f"{P}/audit/events"): Api(ok=AUDIT_READERS, ok_status=200, denied=NOT_AUDIT, effect=audit_left("audit.searched")),
    ("GET", f"{P}/audit/customers/{{customer_id}}/events"): Api(
        ok=AUDIT_READERS_ANY_ENTITY,
        ok_status=200,
        denied=NOT_AUDIT,
        effect=audit_left("audit.customer_history_viewed", names_customer=True),
    ),
    ("GET", f"{P}/audit/events/{{event_id}}/proof"): Api(
        ok=AUDIT_READERS, ok_status=200, denied=NOT_AUDIT, effect=audit_left("audit.evidence_exported")
    ),
    ("GET", f"{P}/customers/{{customer_id}}/consents"): Api(
        ok=VIEW_IN, ok_status=200, hidden=NO_CUSTOMER_GRANT, out=VIEW_OUT, effect=audit_left("consent.viewed", names_customer=True)
    ),
    ("POST", f"{P}/customers/{{customer_id}}/consents"): consent_write_api(capture_payload, consent_recorded, "consent.given"),
    ("POST", f"{P}/customers/{{customer_id}}/consents/{{purpose}}/withdraw"): consent_write_api(
        withdrawal_payload, consent_withdrawn, "consent.withdrawn"
    ),
    ("GET", f"{P}/consents/notices"): Api(ok=EVERYONE, ok_status=200),
    ("GET", f"{P}/consents/events"): Api(ok=CONSENT_DESK, ok_status=200, denied=NOT_CONSENT_DESK, effect=audit_left("consent.feed_read")),
    # Customer assets (issue #13).
    ("GET", f"{P}/customers/{{customer_id}}/assets"): Api(
        ok=VIEW_IN, ok_status=200, hidden=NO_CUSTOMER_GRANT, out=VIEW_OUT, effect=audit_left("asset.viewed", names_customer=True)
    ),
    ("GET", f"{P}/assets/{{asset_id}}"): Api(ok=VIEW_IN, ok_status=200, hidden=NO_CUSTOMER_GRANT, out=VIEW_OUT),
    ("GET", f"{P}/assets/{{asset_id}}/ledger"): Api(
        ok=VIEW_IN, ok_status=200, hidden=NO_CUSTOMER_GRANT, out=VIEW_OUT, effect=audit_left("asset.ledger_viewed", names_customer=True)
    ),
    ("POST", f"{P}/assets"): Api(
        ok=AS.ASSET_CHANGE_IN,
        ok_status=201,
        denied=AS.ASSET_READ_ONLY + AS.ASSET_NO_SIGHT,
        denied_statuses=(403, 404),
        out=CHANGE_OUT,
        payload=AS.open_payload,
        headers=AS.idempotency_headers,
        effect=AS.asset_opened,
        event="asset.opened",
    ),
    ("POST", f"{P}/assets/{{asset_id}}/movements"): Api(
        ok=AS.ASSET_CHANGE_IN,
        ok_status=201,
        denied=AS.ASSET_READ_ONLY,
        hidden=AS.ASSET_NO_SIGHT,
        out=CHANGE_OUT,
        payload=AS.move_payload,
        headers=AS.idempotency_headers,
        effect=AS.moved,
        event="asset.moved",
    ),
    ("GET", f"{P}/fx-rates"): Api(ok=AS.FX_READERS, ok_status=200, denied=AS.NOT_FX_READERS),
    # The duplicate review queue (issue #14).
    ("GET", f"{P}/duplicates"): Api(ok=DD.READERS, ok_status=200, denied=DD.NOT_READERS, effect=audit_left("duplicates.listed")),
    ("GET", f"{P}/duplicates/{{cluster_id}}"): Api(
        ok=DD.CLUSTER_IN, ok_status=200, denied=DD.NOT_READERS, out=DD.CLUSTER_OUT, effect=DD.viewed
    ),
    ("POST", f"{P}/duplicates/{{cluster_id}}/dismiss"): Api(
        ok=DD.CHANGERS_IN,
        ok_status=204,
        denied=DD.NOT_CHANGERS,
        out=DD.CHANGERS_OUT,
        payload=DD.dismiss_form,
        effect=DD.dismissed,
        event="duplicates.dismissed",
    ),
    ("POST", f"{P}/fx-rates"): Api(
        ok=AS.FX_EDITORS, ok_status=201, denied=AS.NOT_FX_EDITORS, payload=AS.fx_payload, effect=AS.fx_added, event="fxrate.recorded"
    ),
    ("GET", f"{P}/audit/evidence"): Api(
        ok=AUDIT_READERS_ANY_ENTITY,
        ok_status=200,
        denied=NOT_AUDIT,
        query=evidence_query,
        effect=audit_left("audit.evidence_exported", names_customer=True),
    ),
    # Change requests (issue #13). Seeing a request but not being its checker (the maker, compliance, auditors)
    # is a refusal with its own code (maker_is_checker, not_an_approver, not_maker): 403 all the same.
    ("GET", f"{P}/approvals/inbox"): Api(ok=A.APPROVALS_USERS, ok_status=200, denied=A.NO_APPROVALS),
    ("GET", f"{P}/approvals/mine"): Api(ok=A.APPROVALS_USERS, ok_status=200, denied=A.NO_APPROVALS),
    ("GET", f"{P}/approvals/{{change_request_id}}"): Api(
        ok=A.SEES, ok_status=200, denied=A.NO_APPROVALS, out=A.BLIND + A.FOREIGN, effect=A.request_viewed
    ),
    ("POST", f"{P}/approvals/{{change_request_id}}/approve"): Api(
        ok=("manager_bj",),
        ok_status=200,
        denied=(*A.NO_APPROVALS, "rep_bj1", "compliance", "auditor"),
        denied_code=None,
        out=A.BLIND + A.FOREIGN,
        payload=lambda w, f: {"reason": "matrix"},
        effect=A.request_became("applied"),
        event="approval.approved",
    ),
    ("POST", f"{P}/approvals/{{change_request_id}}/reject"): Api(
        ok=("manager_bj",),
        ok_status=200,
        denied=(*A.NO_APPROVALS, "rep_bj1", "compliance", "auditor"),
        denied_code=None,
        out=A.BLIND + A.FOREIGN,
        payload=lambda w, f: {"reason": "matrix"},
        effect=A.request_became("rejected"),
        event="approval.rejected",
    ),
    ("POST", f"{P}/approvals/{{change_request_id}}/withdraw"): Api(
        ok=("rep_bj1",),
        ok_status=200,
        denied=(*A.NO_APPROVALS, "manager_bj", "compliance", "auditor"),
        denied_code=None,
        out=A.BLIND + A.FOREIGN,
        payload=lambda w, f: {"reason": "matrix"},
        effect=A.request_became("withdrawn"),
        event="approval.withdrawn",
    ),
    ("GET", f"{P}/approval-rules"): Api(ok=A.RULE_READERS, ok_status=200, denied=A.NOT_RULE_READERS),
    # Imports (issue #14).
    ("GET", f"{P}/imports"): Api(ok=(*IN.BATCH_READERS, "manager_sh"), ok_status=200, denied=IN.NOT_BATCH_READERS),
    ("POST", f"{P}/imports"): Api(
        ok=IN.UPLOADERS, ok_status=201, denied=IN.NOT_UPLOADERS, payload=IN.upload_payload, effect=IN.staged, event="import.staged"
    ),
    ("GET", f"{P}/imports/{{batch_id}}"): Api(ok=IN.BATCH_READERS, ok_status=200, denied=IN.NOT_BATCH_READERS, out=IN.BATCH_OUT),
    ("GET", f"{P}/imports/{{batch_id}}/progress"): Api(ok=IN.BATCH_READERS, ok_status=200, denied=IN.NOT_BATCH_READERS, out=IN.BATCH_OUT),
    ("GET", f"{P}/imports/{{batch_id}}/rejected"): Api(
        ok=IN.BATCH_READERS,
        ok_status=200,
        denied=IN.NOT_BATCH_READERS,
        out=IN.BATCH_OUT,
        query=IN.finished_query,
        effect=audit_left("import.report_downloaded"),
    ),
    ("GET", f"{P}/imports/{{batch_id}}/mapping"): Api(ok=IN.OPERATOR, ok_status=200, denied=IN.NOT_OPERATOR, out=IN.BATCH_OUT),
    ("PUT", f"{P}/imports/{{batch_id}}/mapping"): Api(
        ok=IN.OPERATOR,
        ok_status=200,
        denied=IN.NOT_OPERATOR,
        out=IN.BATCH_OUT,
        payload=IN.mapping_payload,
        effect=IN.mapped,
        event="import.mapped",
    ),
    ("POST", f"{P}/imports/{{batch_id}}/dry-run"): Api(
        ok=IN.OPERATOR, ok_status=200, denied=IN.NOT_OPERATOR, out=IN.BATCH_OUT, event="import.checked"
    ),
    ("POST", f"{P}/imports/{{batch_id}}/start"): Api(
        ok=IN.OPERATOR,
        ok_status=202,
        denied=IN.NOT_OPERATOR,
        out=IN.BATCH_OUT,
        headers=IN.remember_state,
        effect=IN.started,
        event="import.started",
    ),
    ("POST", f"{P}/imports/{{batch_id}}/undo"): Api(
        ok=IN.IMPORTERS,
        ok_status=202,
        denied=IN.NOT_IMPORTERS,
        out=IN.BATCH_OUT,
        payload=IN.undo_form,
        effect=IN.undo_requested,
        event="import.undo_requested",
    ),
    # Merges (issue #14): auditors read a merge but propose nothing (403); no duplicates capability: 403.
    ("POST", f"{P}/merges"): Api(
        ok=MG.DUP_MAKERS,
        ok_status=201,
        denied=MG.NOT_MAKERS,
        out=MG.MAKERS_OUT,
        payload=MG.propose_payload,
        effect=MG.merge_proposed,
        event="merge.proposed",
    ),
    **RR.api_matrix(Api, P),
    # Data lifecycle (issue #15).
    ("GET", f"{P}/lifecycle/rules"): Api(ok=LC.RULE_READERS, ok_status=200, denied=LC.NOT_RULE_READERS),
    ("GET", f"{P}/lifecycle/holds"): Api(ok=LC.DESK_READERS, ok_status=200, denied=LC.NOT_DESK_READERS),
    ("POST", f"{P}/lifecycle/holds"): Api(
        ok=("compliance",),
        ok_status=201,
        denied=LC.NOT_DESK,
        out=LC.DESK_OUT,
        payload=LC.hold_payload,
        effect=LC.hold_placed,
        event="lifecycle.hold_placed",
    ),
    ("POST", f"{P}/lifecycle/holds/{{hold_id}}/lift"): Api(
        ok=("compliance",),
        ok_status=200,
        denied=LC.NOT_DESK,
        out=LC.DESK_OUT,
        payload=lambda w, f: {"reason": "matrix"},
        effect=LC.lift_requested,
        event="lifecycle.hold_lift_requested",
    ),
    ("GET", f"{P}/lifecycle/certificates"): Api(ok=LC.DESK_READERS, ok_status=200, denied=LC.NOT_DESK_READERS),
    ("GET", f"{P}/lifecycle/certificates/{{certificate_id}}"): Api(
        ok=LC.DESK_READERS,
        ok_status=200,
        denied=LC.NOT_DESK_READERS,
        out=LC.READERS_OUT,
        effect=audit_left("lifecycle.certificate_viewed"),
    ),
    ("GET", f"{P}/merges/{{merge_id}}"): Api(ok=MG.SEES, ok_status=200, denied=MG.NO_DUP, out=MG.OUT, effect=MG.merge_viewed),
    ("POST", f"{P}/merges/{{merge_id}}/unmerge"): Api(
        ok=MG.DUP_MAKERS,
        ok_status=201,
        denied=MG.NOT_MAKERS,
        out=MG.MAKERS_OUT,
        payload=lambda w, f: {"reason": "matrix"},
        effect=MG.unmerge_requested,
        event="merge.unmerge_proposed",
    ),
}
# Credit limits, payment terms, hold releases and reviews (issue #16).
API_MATRIX |= RL.api_matrix(Api, P)
WEB_MATRIX |= RL.web_matrix(Web)
WEB_MATRIX |= CR.web_matrix(Web)  # credit-control rules and the tier policy (issue #16)
# The working-day calendar (issue #15).
API_MATRIX |= {
    ("GET", f"{P}/calendar/years"): Api(ok=CAL.READERS, ok_status=200, denied=CAL.NOT_READERS),
    ("GET", f"{P}/calendar/{{year}}"): Api(ok=CAL.READERS, ok_status=200, denied=CAL.NOT_READERS),
    ("POST", f"{P}/calendar/days"): Api(
        ok=CAL.EDITORS, ok_status=201, denied=CAL.NOT_EDITORS, payload=CAL.day_payload, effect=CAL.day_entered, event="calendar.day_changed"
    ),
}

# The risk desk (issue #16): a credit file follows its customer; the desk's pages need the risk_desk capability.
WEB_MATRIX |= {
    **{name: [Web("GET", ok=RK.DESK, wrong=RK.NOT_DESK)] for name in ("risk:portfolio", "risk:files", "risk:reviews", "risk:report")},
    "risk:report_pdf": [Web("GET", ok=RK.DESK, wrong=RK.NOT_DESK, effect=audit_left("credit.report_viewed"))],
    "risk:file": [
        Web(
            "GET", ok=RK.FILE_READERS, wrong=RK.FILE_NO_SIGHT, out=RK.FILE_OUT, effect=audit_left("credit.file_viewed", names_customer=True)
        )
    ],
    "risk:score": [
        Web(
            "GET",
            ok=RK.FILE_READERS,
            wrong=RK.FILE_NO_SIGHT,
            out=RK.FILE_OUT,
            effect=audit_left("credit.score_viewed", names_customer=True),
        )
    ],
    "risk:place_hold": [
        Web(
            "POST",
            ok=RK.HOLD_MAKERS,
            wrong=RK.NOT_HOLD_MAKERS,
            out=RK.HOLD_OUT,
            success=lambda w, u, f: re.escape(reverse("risk:file", args=[RK.file_id(w, f)])),
            data=RK.hold_form,
            effect=RK.hold_placed,
            event="credit.hold_placed",
        )
    ],
}
API_MATRIX |= {
    ("GET", f"{P}/risk/files"): Api(ok=RK.DESK, ok_status=200, denied=RK.NOT_DESK, effect=None),
    ("GET", f"{P}/risk/portfolio"): Api(ok=RK.DESK, ok_status=200, denied=RK.NOT_DESK, effect=audit_left("credit.portfolio_viewed")),
    ("GET", f"{P}/risk/files/{{file_id}}"): Api(
        ok=RK.FILE_READERS,
        ok_status=200,
        hidden=RK.FILE_NO_SIGHT,
        out=RK.FILE_OUT,
        effect=audit_left("credit.file_viewed", names_customer=True),
    ),
    ("GET", f"{P}/risk/scores/{{score_id}}"): Api(
        ok=RK.FILE_READERS,
        ok_status=200,
        hidden=RK.FILE_NO_SIGHT,
        out=RK.FILE_OUT,
        effect=audit_left("credit.score_viewed", names_customer=True),
    ),
    ("POST", f"{P}/risk/files/{{file_id}}/holds"): Api(
        ok=RK.HOLD_MAKERS,
        ok_status=201,
        denied=RK.NOT_HOLD_MAKERS,
        out=RK.HOLD_OUT,
        payload=RK.hold_form,
        effect=RK.hold_placed,
        event="credit.hold_placed",
    ),
}

# The credit-control rules and tier policies (issue #16): global catalogues; risk officers change, others read or not.
API_MATRIX |= CR.api_matrix(Api, P)


# Early warnings (issue #16): the risk desk's queue and one warning (audited reads); risk officers handle them.
WEB_MATRIX |= {
    "risk_warnings:queue": [Web("GET", ok=EW.DESK_READERS, wrong=EW.NOT_DESK, effect=audit_left("credit.warnings_listed"))],
    "risk_warnings:detail": [Web("GET", ok=EW.SEES, wrong=EW.NOT_DESK, out=EW.SEES_OUT, effect=audit_left("credit.warning_viewed"))],
    "risk_warnings:acknowledge": [
        Web(
            "POST",
            ok=EW.HANDLERS,
            wrong=EW.NOT_HANDLERS,
            out=EW.HANDLERS_OUT,
            success=lambda w, u, f: re.escape(reverse("risk_warnings:detail", args=[EW.warning_id(w, f)])),
            data=lambda w, f: {"ack-note": "matrix"},
            effect=EW.acknowledged,
            event="credit.warning_acknowledged",
        )
    ],
    "risk_warnings:close": [
        Web(
            "POST",
            ok=EW.HANDLERS,
            wrong=EW.NOT_HANDLERS,
            out=EW.HANDLERS_OUT,
            success=lambda w, u, f: re.escape(reverse("risk_warnings:detail", args=[EW.warning_id(w, f)])),
            data=lambda w, f: {"close-note": "matrix"},
            effect=EW.closed,
            event="credit.warning_closed",
        )
    ],
}
API_MATRIX |= {
    ("GET", f"{P}/risk/warnings"): Api(ok=EW.DESK_READERS, ok_status=200, denied=EW.NOT_DESK, effect=audit_left("credit.warnings_listed")),
    ("GET", f"{P}/risk/warnings/{{warning_id}}"): Api(
        ok=EW.SEES, ok_status=200, denied=EW.NOT_DESK, out=EW.SEES_OUT, effect=audit_left("credit.warning_viewed")
    ),
    ("POST", f"{P}/risk/warnings/{{warning_id}}/acknowledge"): Api(
        ok=EW.HANDLERS,
        ok_status=200,
        denied=EW.NOT_HANDLERS,
        out=EW.HANDLERS_OUT,
        payload=lambda w, f: {"note": "matrix"},
        effect=EW.acknowledged,
        event="credit.warning_acknowledged",
    ),
    ("POST", f"{P}/risk/warnings/{{warning_id}}/close"): Api(
        ok=EW.HANDLERS,
        ok_status=200,
        denied=EW.NOT_HANDLERS,
        out=EW.HANDLERS_OUT,
        payload=lambda w, f: {"note": "matrix"},
        effect=EW.closed,
        event="credit.warning_closed",
    ),
}


# --- Public routes (explicitly excluded from the matrix, and asserted public) --------------------


@dataclass(frozen=True)
class Public:
    method: str
    status: int
    data: dict[str, Any] = field(default_factory=dict)
    contains: str = ""
    location: str | None = None


PUBLIC_ROUTES: dict[str, Public] = {
    "health": Public("GET", 200, contains="ok"),
    "set_language": Public("POST", 302, data={"language": "en", "next": "/health"}, location="/health"),
    "api-v1:openapi-json": Public("GET", 200, contains='"paths"'),
    "api-v1:openapi-view": Public("GET", 200),
    # ninja's anchor for reversing the API base; it answers a JSON 404 to anyone and reveals nothing.
    "api-v1:api-root": Public("GET", 404, contains='"not_found"'),
    # The customer portal: its own sign-in; its other pages send a visitor who has not signed in there back to it.
    "rights:sign_in": Public("GET", 200, contains='name="identifier"'),
    "rights:verify": Public("GET", 302, location="/portal/"),
    "rights:sign_out": Public("POST", 302, location="/portal/"),
    "rights:home": Public("GET", 302, location="/portal/"),
    "rights:consents": Public("GET", 302, location="/portal/"),
    "rights:requests": Public("GET", 302, location="/portal/"),
    "rights:request_new": Public("GET", 302, location="/portal/"),
    "credit_portal:overview": Public("GET", 302, location="/portal/"),  # issue #16: the credit decision explained
}
STATIC_ASSET = "css/clientvault.css"
API_NAMESPACE = "api-v1"
