"""Access policies as versioned, audited data (issue #3; ARCHITECTURE.md rules 3 and 9): changing them,
separation of duties, validation, and the "who may see what" pages."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.conf import settings
from django.test import Client

from clientvault.access import engine, proposals, services
from clientvault.access.models import Policy, PolicyChange, PolicyVersion
from clientvault.access.policies import Decision, Scope
from clientvault.accounts.models import User
from clientvault.accounts.services import create_api_token
from clientvault.core import roles as R
from clientvault.core.errors import NotFound, PermissionDenied, ValidationFailed
from clientvault.testing.actors import ctx, sign_in_verified
from clientvault.testing.audit import not_denials
from clientvault.testing.customers import customer
from clientvault.testing.organisation import second_officer, user
from clientvault.testing.policies import widen_policy

pytestmark = pytest.mark.django_db

POLICIES = "/access/policies/"


def signed_in(u: User, purpose: str | None = "") -> Client:
    client = Client()
    sign_in_verified(client, u, purpose=purpose)
    return client


def snapshot_of(code: str) -> dict[str, Any]:
    row = Policy.objects.get(code=code)
    return {f: getattr(row, f) for f in services.POLICY_FIELDS} | {"version": row.version}


def unchanged(code: str, before: dict[str, Any], audit_events: Any) -> None:
    assert snapshot_of(code) == before
    assert list(PolicyVersion.objects.filter(code=code).values_list("version", flat=True)) == [1]
    assert not_denials(audit_events()) == []  # a refused (404) page leaves access.denied, and nothing else


def risk_sees(org: Any, c: Any) -> dict[str, Any]:
    _t, secret = create_api_token(ctx=ctx(org["risk"], purpose=""), name="t", purposes=["credit_assessment"])
    response = Client().get(f"/api/v1/customers/{c.pk}", headers={"Authorization": f"Bearer {secret}"})
    assert response.status_code == 200, response.content
    body: dict[str, Any] = response.json()
    return body


def policy_form(code: str, **overrides: Any) -> dict[str, Any]:
    """The edit form as the page renders it for ``code``, with ``overrides``."""
    row = Policy.objects.get(code=code)
    data: dict[str, Any] = {
        "actions": list(row.actions),
        "purposes": list(row.purposes),
        "scope": str(row.scope),
        "max_clear_class": row.max_clear_class,
        "mask_c1": row.masking.get("C1", ""),
        "mask_c2": row.masking.get("C2", ""),
        "mask_c3": row.masking.get("C3", ""),
        "description": row.description,
        "reason": "审计整改",
    }
    if row.active:
        data["active"] = "on"
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


# --- A change is a new version, audited, in force at once -----------------------------------------


def test_compliance_changes_a_policy_new_version_audit_and_immediate_effect(org, audit_events):
    c = customer(org["rep_bj1"], name="孙悟空")
    assert risk_sees(org, c)["name"] == "孙*空"
    compliance = org["compliance"]
    row = widen_policy(org, "risk-customers", {"max_clear_class": "C2"}, reason="credit files need full names")
    assert row.version == 2 and row.max_clear_class == "C2"
    v2 = PolicyVersion.objects.get(code="risk-customers", version=2)
    assert (v2.reason, v2.changed_by, v2.snapshot["max_clear_class"]) == ("credit files need full names", compliance, "C2")
    assert v2.snapshot == {f: getattr(row, f) for f in services.POLICY_FIELDS}
    assert PolicyVersion.objects.get(code="risk-customers", version=1).snapshot["max_clear_class"] == "C1", "history is kept"
    [event] = audit_events("policy.changed")
    assert (event.actor_id, event.object_id, event.fields, event.detail) == (
        second_officer(org).pk,
        "risk-customers",
        ["max_clear_class"],
        {"version": 2, "proposed_by": compliance.pk, "approved_by": second_officer(org).pk},
    )
    body = risk_sees(org, c)
    assert body["name"] == "孙悟空" and body["fields"]["name"] == {"decision": "plain", "revealable": False}


def test_saving_without_a_change_keeps_the_version(org, audit_events):
    before = snapshot_of("risk-customers")
    row = services.change_policy(ctx=ctx(org["compliance"]), code="risk-customers", data={"actions": ["reveal", "view"]}, reason="no-op")
    assert isinstance(row, Policy) and row.version == 1
    unchanged("risk-customers", before, audit_events)


def test_change_through_the_edit_page(org, audit_events):
    client = signed_in(org["compliance"])
    assert client.get(POLICIES + "risk-customers/").status_code == 200
    response = client.post(POLICIES + "risk-customers/", policy_form("risk-customers", mask_c2="withheld"))  # narrows: at once
    assert response.status_code == 302 and response["Location"] == POLICIES
    row = Policy.objects.get(code="risk-customers")
    assert row.version == 2 and row.masking == {"C2": "withheld", "C3": "withheld"}
    assert PolicyVersion.objects.get(code="risk-customers", version=2).reason == "审计整改"
    [event] = audit_events("policy.changed")
    assert event.fields == ["masking"] and event.channel == "web"


def test_edit_page_needs_a_reason(org, audit_events):
    before = snapshot_of("risk-customers")
    response = signed_in(org["compliance"]).post(
        POLICIES + "risk-customers/", policy_form("risk-customers", max_clear_class="C2", reason="")
    )
    assert response.status_code == 200 and "reason" in response.context["form"].errors
    unchanged("risk-customers", before, audit_events)


def test_deactivating_through_the_edit_page(org, audit_events):
    client = signed_in(org["compliance"])
    response = client.post(POLICIES + "rep-marketing/", policy_form("rep-marketing", active=None))
    assert response.status_code == 302
    assert Policy.objects.get(code="rep-marketing").active is False
    assert "marketing" not in engine.allowed_purposes(ctx(org["rep_bj1"], purpose=""))
    [event] = audit_events("policy.changed")
    assert event.fields == ["active"]


# --- Separation of duties --------------------------------------------------------------------------


@pytest.mark.parametrize("code", ["compliance-customers", "compliance-followups"])
def test_compliance_cannot_change_its_own_roles_policies(org, audit_events, code):
    before = snapshot_of(code)
    with pytest.raises(PermissionDenied):
        services.change_policy(ctx=ctx(org["compliance"]), code=code, data={"scope": 4, "max_clear_class": "C3"}, reason="more for us")
    unchanged(code, before, audit_events)


def test_nobody_moves_a_policy_onto_a_role_they_hold(org, audit_events):
    before = snapshot_of("risk-customers")
    with pytest.raises(PermissionDenied):
        services.change_policy(ctx=ctx(org["compliance"]), code="risk-customers", data={"role": R.COMPLIANCE_OFFICER}, reason="take it")
    unchanged("risk-customers", before, audit_events)


def test_a_user_with_two_roles_can_change_neither_roles_policies(org, audit_events):
    both = user("compliance_and_risk", [R.COMPLIANCE_OFFICER, R.RISK_OFFICER], org.hq)
    before = snapshot_of("risk-customers")
    with pytest.raises(PermissionDenied):
        services.change_policy(ctx=ctx(both), code="risk-customers", data={"max_clear_class": "C3"}, reason="x")
    unchanged("risk-customers", before, audit_events)


def test_administrators_cannot_widen_their_own_break_glass(org, audit_events):
    before = snapshot_of("admin-break-glass")
    with pytest.raises(PermissionDenied):
        services.change_policy(ctx=ctx(org["admin"]), code="admin-break-glass", data={"actions": ["view", "change"]}, reason="x")
    unchanged("admin-break-glass", before, audit_events)


def test_separation_of_duties_refusal_on_the_edit_page_is_not_a_server_error(org, audit_events):
    before = snapshot_of("compliance-customers")
    client = Client(raise_request_exception=False)
    sign_in_verified(client, org["compliance"], purpose="")
    response = client.post(POLICIES + "compliance-customers/", policy_form("compliance-customers", scope="4"))
    assert snapshot_of("compliance-customers") == before, "nothing was written"
    assert response.status_code in (200, 403, 404)


# --- Administrators see customer data only through break-glass -------------------------------------


@pytest.mark.parametrize(
    "code, data",
    [
        ("admin-break-glass", {"purposes": ["break_glass", "audit"]}),
        ("admin-break-glass", {"purposes": ["customer_service"]}),
        ("auditor-customers", {"role": R.ADMINISTRATOR}),
        ("rep-customers", {"role": R.ADMINISTRATOR, "purposes": ["break_glass", "sales_followup"]}),
    ],
)
def test_nobody_gives_administrators_an_ordinary_purpose(org, audit_events, code, data):
    before = snapshot_of(code)
    with pytest.raises(ValidationFailed) as exc:
        services.change_policy(ctx=ctx(org["compliance"]), code=code, data=data, reason="try")
    assert "purposes" in exc.value.fields
    unchanged(code, before, audit_events)
    assert engine.allowed_purposes(ctx(org["admin"], purpose="")) == []


def test_clean_policy_is_pure_and_refuses_admin_purposes_for_any_actor():
    with pytest.raises(ValidationFailed):
        services.clean_policy(
            {"role": R.ADMINISTRATOR, "resource": "customer", "actions": ["view"], "purposes": ["audit"], "scope": 3},
            known_roles={R.ADMINISTRATOR},
            known_purposes={"audit"},
        )
    ok = services.clean_policy(
        {"role": R.ADMINISTRATOR, "resource": "customer", "actions": ["view"], "purposes": ["break_glass"], "scope": 3, "masking": {}},
        known_roles={R.ADMINISTRATOR},
        known_purposes={"break_glass"},
    )
    assert ok["purposes"] == ["break_glass"]


# --- Validation --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "data, field",
    [
        ({"purposes": ["sales_followup", "gossip"]}, "purposes"),
        ({"purposes": []}, "purposes"),
        ({"actions": []}, "actions"),
        ({"actions": ["view", "sell"]}, "actions"),
        ({"actions": "view"}, "actions"),
        ({"masking": {"C2": "blurred"}}, "masking"),
        ({"masking": {"C4": "masked"}}, "masking"),
        ({"scope": 0}, "scope"),
        ({"scope": 9}, "scope"),
        ({"scope": "all"}, "scope"),
        ({"max_clear_class": "C4"}, "max_clear_class"),
        ({"role": "superuser"}, "role"),
        ({"resource": "ledger"}, "resource"),
    ],
)
def test_invalid_policies_are_refused_and_nothing_changes(org, audit_events, data, field):
    before = snapshot_of("rep-customers")
    with pytest.raises(ValidationFailed) as exc:
        services.change_policy(ctx=ctx(org["compliance"]), code="rep-customers", data=data, reason="try")
    assert field in exc.value.fields
    unchanged("rep-customers", before, audit_events)


def test_a_reason_is_required(org, audit_events):
    before = snapshot_of("rep-customers")
    with pytest.raises(ValidationFailed) as exc:
        services.change_policy(ctx=ctx(org["compliance"]), code="rep-customers", data={"scope": 2}, reason="   ")
    assert set(exc.value.fields) == {"reason"}
    unchanged("rep-customers", before, audit_events)


def test_unknown_policy_is_not_found(org, audit_events):
    with pytest.raises(NotFound):
        services.change_policy(ctx=ctx(org["compliance"]), code="nope", data={}, reason="x")
    assert audit_events() == []


@pytest.mark.parametrize("username", ["admin", "auditor", "risk", "manager_bj", "rep_bj1", "norole"])
def test_only_compliance_changes_policies(org, audit_events, username):
    before = snapshot_of("rep-marketing")
    with pytest.raises(PermissionDenied):
        services.change_policy(ctx=ctx(org[username]), code="rep-marketing", data={"active": False}, reason="x")
    unchanged("rep-marketing", before, audit_events)


def test_administrators_change_no_policy_not_even_to_narrow_it(org, audit_events):
    before = snapshot_of("rep-marketing")
    with pytest.raises(PermissionDenied):
        services.change_policy(ctx=ctx(org["admin"]), code="rep-marketing", data={"active": False}, reason="campaign stopped")
    unchanged("rep-marketing", before, audit_events)


# --- The pages ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("username, can_edit", [("compliance", True), ("admin", False), ("auditor", False)])
def test_policy_readers_see_the_rules(org, username, can_edit):
    response = signed_in(org[username]).get(POLICIES)
    assert response.status_code == 200
    assert response.context["can_edit"] is can_edit
    page = response.content.decode()
    assert "risk-customers" in page and "admin-break-glass" in page
    assert (f'href="{POLICIES}risk-customers/"' in page) is can_edit


def test_auditor_cannot_open_or_post_the_edit_page(org, audit_events):
    client = signed_in(org["auditor"])
    before = snapshot_of("risk-customers")
    assert client.get(POLICIES + "risk-customers/").status_code == 404
    assert client.post(POLICIES + "risk-customers/", policy_form("risk-customers", max_clear_class="C3")).status_code == 404
    unchanged("risk-customers", before, audit_events)


@pytest.mark.parametrize("username", ["risk", "manager_bj", "rep_bj1", "norole"])
def test_other_roles_do_not_see_the_policy_pages(org, username):
    client = signed_in(org[username])
    assert client.get(POLICIES).status_code == 404
    assert client.get(POLICIES + "rep-customers/").status_code == 404


def _cell(response: Any, key: str, role: str) -> list[dict[str, Any]]:
    roles = [r.code for r in response.context["roles"]]
    [row] = [f for f in response.context["matrix"] if f["key"] == key]
    cell: list[dict[str, Any]] = row["cells"][roles.index(role)]
    return cell


def test_who_may_see_what_matrix_for_sales_followup(org):
    client = signed_in(org["auditor"])
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    response = client.get(POLICIES, {"purpose": "sales_followup"})
    assert response.status_code == 200 and response.context["chosen"] == "sales_followup"
    normal, core = _cell(response, "customer.name", R.SALES_REP)
    assert (normal["decision"], normal["reveal"]) == (Decision.PLAIN, False)
    assert (core["decision"], core["reveal"]) == (Decision.MASKED, True), "core customers count as C3"
    normal, core = _cell(response, "customer.name", R.SALES_MANAGER)
    assert (normal["decision"], normal["reveal"]) == (Decision.MASKED, True)
    for role in (R.AUDITOR, R.ADMINISTRATOR, R.RISK_OFFICER):
        assert _cell(response, "customer.name", role) == [], f"{role}: no rule for the purpose, no access"
    sex_rep, _core = _cell(response, "customer.sex", R.SALES_MANAGER)
    assert sex_rep["decision"] == Decision.PLAIN
    page = response.content.decode()
    assert "In clear" in page and "Masked" in page and "No access" in page


def test_the_matrix_shows_no_access_in_the_users_language(org):
    client = signed_in(org["compliance"])
    page = client.get(POLICIES, {"purpose": "audit"}).content.decode()
    assert '<th scope="col">客户经理</th>' in page and '<th scope="col">审计员</th>' in page, "role names head the columns"
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    english = client.get(POLICIES, {"purpose": "audit"}).content.decode()
    assert '<th scope="col">Sales rep</th>' in english and '<th scope="col">Auditor</th>' in english
    assert "No access" in english


def test_the_matrix_shows_a_change_at_once(org):
    client = signed_in(org["compliance"])
    before = client.get(POLICIES, {"purpose": "credit_assessment"})
    assert _cell(before, "customer.name", R.RISK_OFFICER)[0]["decision"] == Decision.MASKED
    assert _cell(before, "customer.name", R.SALES_REP) == []
    widen_policy(org, "risk-customers", {"max_clear_class": "C2"}, reason="x")
    after = client.get(POLICIES, {"purpose": "credit_assessment"})
    assert _cell(after, "customer.name", R.RISK_OFFICER)[0]["decision"] == Decision.PLAIN
    assert "v2" in after.content.decode()


def test_the_matrix_under_break_glass_shows_only_administrators(org):
    response = signed_in(org["compliance"]).get(POLICIES, {"purpose": "break_glass"})
    normal, core = _cell(response, "customer.name", R.ADMINISTRATOR)
    assert normal["decision"] == core["decision"] == Decision.PLAIN
    for role in (R.SALES_REP, R.SALES_MANAGER, R.COMPLIANCE_OFFICER, R.AUDITOR, R.RISK_OFFICER):
        assert _cell(response, "customer.name", role) == [], role


def test_version_history_is_listed_on_the_edit_page(org):
    widen_policy(org, "risk-customers", {"max_clear_class": "C2"}, reason="first change")
    page = signed_in(org["compliance"]).get(POLICIES + "risk-customers/")
    history = list(page.context["history"])
    assert [v.version for v in history] == [2, 1]
    assert "first change" in page.content.decode()
    assert json.dumps(history[0].snapshot)  # snapshots are plain JSON


# --- Adding a rule (create_policy) -----------------------------------------------------------------


def _new_rule(**over: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "role": "risk_officer",
        "resource": "customer",
        "actions": ["view"],
        "purposes": ["compliance_review"],
        "scope": int(Scope.ENTITY),
        "max_clear_class": "C1",
        "masking": {"C2": "masked", "C3": "withheld"},
        "active": True,
    }
    return {**data, **over}


def test_compliance_adds_a_rule_that_takes_effect_versioned_and_audited(org, audit_events):
    risk_ctx = ctx(org["risk"], purpose="compliance_review")
    assert "compliance_review" not in engine.allowed_purposes(ctx(org["risk"]))
    change = services.create_policy(ctx=ctx(org["compliance"]), code="risk-review", data=_new_rule(), reason="AML review support")
    assert isinstance(change, PolicyChange) and not Policy.objects.filter(code="risk-review").exists(), "a new rule waits"
    assert "compliance_review" not in engine.allowed_purposes(ctx(org["risk"]))
    row = proposals.approve(ctx=ctx(second_officer(org)), change_id=change.pk, reason="checked")
    assert (row.version, row.role, row.scope) == (1, "risk_officer", int(Scope.ENTITY))
    [version] = PolicyVersion.objects.filter(code="risk-review")
    assert (version.version, version.reason, version.changed_by_id) == (1, "AML review support", org["compliance"].pk)
    [event] = audit_events("policy.created")
    assert (event.object_id, event.actor_id) == ("risk-review", second_officer(org).pk)
    assert event.detail["proposed_by"] == org["compliance"].pk
    assert "compliance_review" in engine.allowed_purposes(ctx(org["risk"]))
    assert engine.scope(risk_ctx, "customer", "view") is Scope.ENTITY


@pytest.mark.parametrize(
    ("code", "data", "field"),
    [
        ("rep-customers", _new_rule(), "code"),  # already exists
        ("Bad Code!", _new_rule(), "code"),
        ("x-admin", _new_rule(role="administrator"), "purposes"),  # administrators: break-glass only
        ("x-empty", _new_rule(actions=[]), "actions"),
        ("x-purpose", _new_rule(purposes=["nonsense"]), "purposes"),
        ("x-mask", _new_rule(masking={"C2": "shown"}), "masking"),
    ],
)
def test_invalid_new_rules_are_refused_and_nothing_is_written(org, audit_events, code, data, field):
    before = Policy.objects.count()
    with pytest.raises(ValidationFailed) as raised:
        services.create_policy(ctx=ctx(org["compliance"]), code=code, data=data, reason="r")
    assert field in raised.value.as_dict()
    assert Policy.objects.count() == before and audit_events("policy.created") == []


def test_nobody_adds_a_rule_for_a_role_they_hold_and_others_may_not_add_at_all(org, audit_events):
    with pytest.raises(PermissionDenied):
        services.create_policy(ctx=ctx(org["compliance"]), code="self-grant", data=_new_rule(role="compliance_officer"), reason="r")
    for who in ("auditor", "risk", "rep_bj1", "manager_bj"):
        with pytest.raises(PermissionDenied):
            services.create_policy(ctx=ctx(org[who]), code=f"x-{who}", data=_new_rule(), reason="r")
    assert not Policy.objects.filter(code__in=["self-grant", "x-auditor"]).exists()
    assert audit_events("policy.created") == []


def test_edit_page_offers_every_action_and_purpose_as_a_checkbox_with_current_ones_checked(org, client):
    sign_in_verified(client, org["compliance"])
    html = client.get("/access/policies/risk-customers/").content.decode()
    for action in ("view", "create", "change", "delete", "export", "reveal"):
        assert f'name="actions" value="{action}"' in html
    assert 'name="actions" value="reveal" id="id_actions_5" checked' in html
    assert 'name="actions" value="change" id="id_actions_2">' in html, "an action the rule lacks is not checked"
    assert 'name="purposes" value="credit_assessment"' in html and "信用评估" in html
