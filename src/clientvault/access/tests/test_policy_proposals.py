"""Issue #11, item 2: data policies are compliance's alone, and a change that widens sight needs a second
compliance officer (ARCHITECTURE.md rule 12). Item 5: break-glass is given to administrators only."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import IntegrityError, transaction
from django.test import Client

from clientvault.access import engine, proposals, services
from clientvault.access.models import Policy, PolicyChange
from clientvault.access.policies import widening
from clientvault.core import clock
from clientvault.core import roles as R
from clientvault.core.errors import Conflict, PermissionDenied, ValidationFailed
from clientvault.testing.actors import ctx, sign_in_verified
from clientvault.testing.audit import not_denials
from clientvault.testing.organisation import second_officer, user

pytestmark = pytest.mark.django_db
POLICIES = "/access/policies/"

AUDITOR_CLEAR = {"max_clear_class": "C3", "masking": {}}  # the auditor's masking lifted


def snapshot(code: str) -> dict[str, Any]:
    return services.policy_snapshot(Policy.objects.get(code=code)) | {"version": Policy.objects.get(code=code).version}


def client_for(u: Any) -> Client:
    client = Client()
    sign_in_verified(client, u, purpose="")
    return client


def test_an_administrator_cannot_widen_the_auditors_masking(org, audit_events):
    """The issue: an administrator lifted the auditor's masking from the policy page."""
    before = snapshot("auditor-customers")
    with pytest.raises(PermissionDenied):
        services.change_policy(ctx=ctx(org["admin"]), code="auditor-customers", data=AUDITOR_CLEAR, reason="audit needs it")
    with pytest.raises(PermissionDenied):
        services.create_policy(
            ctx=ctx(org["admin"]),
            code="auditor-more",
            data={
                "role": R.AUDITOR,
                "resource": "customer",
                "actions": ["view"],
                "purposes": ["audit"],
                "scope": 3,
                "max_clear_class": "C3",
            },
            reason="x",
        )
    client = client_for(org["admin"])
    form = {"actions": ["view"], "purposes": ["audit"], "scope": "3", "max_clear_class": "C3", "active": "on", "reason": "x"}
    assert client.get(POLICIES + "auditor-customers/").status_code == 404
    assert client.post(POLICIES + "auditor-customers/", form).status_code == 404
    assert client.get(POLICIES + "new/").status_code == 404
    assert snapshot("auditor-customers") == before and not PolicyChange.objects.exists() and not_denials(audit_events()) == []


def test_a_widening_change_waits_for_a_second_officer(org, audit_events):
    compliance, second = org["compliance"], second_officer(org)
    change = services.change_policy(ctx=ctx(compliance), code="auditor-customers", data=AUDITOR_CLEAR, reason="full audit")
    assert isinstance(change, PolicyChange) and change.status == "pending" and change.base_version == 1
    assert change.widens == ["fields"]
    assert snapshot("auditor-customers")["max_clear_class"] == "C1", "nothing in force yet"
    [proposed] = audit_events()
    assert (proposed.event_type, proposed.actor_id, proposed.object_id) == ("policy.change_proposed", compliance.pk, "auditor-customers")
    assert proposed.detail == {"change_id": str(change.pk), "base_version": 1, "widens": ["fields"]}

    with pytest.raises(PermissionDenied):  # maker ≠ checker
        proposals.approve(ctx=ctx(compliance), change_id=change.pk, reason="my own")
    with pytest.raises(ValidationFailed):
        proposals.approve(ctx=ctx(second), change_id=change.pk, reason=" ")
    row = proposals.approve(ctx=ctx(second), change_id=change.pk, reason="agreed with DPO")
    assert (row.version, row.max_clear_class) == (2, "C3")
    approved = audit_events("policy.change_approved")[0]
    assert approved.actor_id == second.pk
    assert approved.detail == {"change_id": str(change.pk), "proposed_by": compliance.pk, "decided_by": second.pk, "version": 2}
    assert PolicyChange.objects.get(pk=change.pk).decided_by == second


def test_a_rejected_change_never_takes_effect(org, audit_events):
    change = services.change_policy(ctx=ctx(org["compliance"]), code="risk-customers", data={"scope": 4}, reason="all entities")
    proposals.reject(ctx=ctx(second_officer(org)), change_id=change.pk, reason="no cross-entity need")
    assert snapshot("risk-customers")["scope"] == 3
    [event] = audit_events("policy.change_rejected")
    assert event.detail["decided_by"] == second_officer(org).pk
    with pytest.raises(Conflict):
        proposals.approve(ctx=ctx(second_officer(org)), change_id=change.pk, reason="changed my mind")


def test_narrowing_applies_at_once_without_a_proposal(org, audit_events):
    row = services.change_policy(ctx=ctx(org["compliance"]), code="risk-customers", data={"actions": ["view"]}, reason="no reveals")
    assert isinstance(row, Policy) and row.version == 2 and row.actions == ["view"]
    assert [e.event_type for e in audit_events()] == ["policy.changed"]


def test_a_stale_proposal_cannot_be_approved(org):
    change = services.change_policy(ctx=ctx(org["compliance"]), code="risk-customers", data={"scope": 4}, reason="wider")
    second = second_officer(org)
    services.change_policy(ctx=ctx(second), code="risk-customers", data={"actions": ["view"]}, reason="narrow meanwhile")
    with pytest.raises(Conflict):
        proposals.approve(ctx=ctx(second), change_id=change.pk, reason="late")
    assert snapshot("risk-customers")["scope"] == 3


def test_one_pending_change_per_policy(org):
    services.change_policy(ctx=ctx(org["compliance"]), code="risk-customers", data={"scope": 4}, reason="wider")
    with pytest.raises(Conflict):
        services.change_policy(ctx=ctx(org["compliance"]), code="risk-customers", data={"max_clear_class": "C2"}, reason="also")


def test_the_approver_may_not_hold_the_policys_role(org):
    change = services.change_policy(ctx=ctx(org["compliance"]), code="risk-customers", data={"scope": 4}, reason="wider")
    both = user("compliance_risk", [R.COMPLIANCE_OFFICER, R.RISK_OFFICER], org.hq)
    with pytest.raises(PermissionDenied):
        proposals.approve(ctx=ctx(both), change_id=change.pk, reason="for us")


def test_the_database_refuses_a_change_decided_by_its_proposer(org):
    me = org["compliance"]
    with pytest.raises(IntegrityError), transaction.atomic():
        PolicyChange.objects.create(
            code="x",
            proposed={},
            reason="r",
            proposed_by=me,
            proposed_at=clock.now(),
            status="approved",
            decided_by=me,
            decided_at=clock.now(),
        )


def test_the_second_officer_decides_on_the_policies_page(org, audit_events):
    change = services.change_policy(ctx=ctx(org["compliance"]), code="risk-customers", data={"max_clear_class": "C2"}, reason="names")
    own = client_for(org["compliance"]).get(POLICIES).content.decode()
    assert "risk-customers" in own and f"/access/policies/changes/{change.pk}/" not in own, "no buttons for the proposer"
    client = client_for(second_officer(org))
    assert f"/access/policies/changes/{change.pk}/" in client.get(POLICIES).content.decode()
    response = client.post(f"/access/policies/changes/{change.pk}/", {"action": "approve", "reason": "ok"})
    assert response.status_code == 302 and response["Location"] == POLICIES
    assert snapshot("risk-customers")["max_clear_class"] == "C2"
    assert engine.policies().scope([R.RISK_OFFICER], "customer", "view", "credit_assessment") == 3
    assert len(audit_events("policy.change_approved")) == 1


@pytest.mark.parametrize(
    ("change", "widens"),
    [
        ({"actions": ["view", "reveal", "export"]}, ["actions"]),
        ({"purposes": ["credit_assessment", "audit"]}, ["purposes"]),
        ({"scope": 4}, ["scope"]),
        ({"max_clear_class": "C2"}, ["fields"]),
        ({"masking": {"C2": "masked", "C3": "masked"}}, ["fields"]),  # withheld → masked
        ({"role": R.AUDITOR}, ["role"]),
        ({"actions": ["view"]}, []),
        ({"masking": {"C2": "withheld", "C3": "withheld"}}, []),
        ({"scope": 1}, []),
        ({"description": "just words"}, []),
        ({"active": False, "scope": 4}, []),
    ],
)
def test_widening_is_decided_per_part(change, widens):
    old = {
        "role": R.RISK_OFFICER,
        "resource": "customer",
        "actions": ["view", "reveal"],
        "purposes": ["credit_assessment"],
        "scope": 3,
        "max_clear_class": "C1",
        "masking": {"C2": "masked", "C3": "withheld"},
        "description": "",
        "active": True,
    }
    assert widening(old, {**old, **change}) == widens
    assert widening(None, old) == ["active"] and widening({**old, "active": False}, old) == ["active"]


# --- Item 5: break-glass is the administrator's alone ------------------------------------------------


@pytest.mark.parametrize("role", [R.SALES_REP, R.AUDITOR, R.RISK_OFFICER])
def test_break_glass_cannot_be_given_to_a_non_administrator_role(org, audit_events, role):
    data = {"role": role, "resource": "customer", "actions": ["view"], "purposes": ["break_glass"], "scope": 3, "max_clear_class": "C3"}
    with pytest.raises(ValidationFailed) as exc:
        services.create_policy(ctx=ctx(org["compliance"]), code="bg-" + role.replace("_", "-"), data=data, reason="emergency")
    assert "purposes" in exc.value.fields
    with pytest.raises(ValidationFailed):
        services.change_policy(
            ctx=ctx(org["compliance"]), code="auditor-customers", data={"purposes": ["audit", "break_glass"]}, reason="x"
        )
    assert audit_events() == [] and not PolicyChange.objects.exists()
    sign_in = ctx(org["auditor"], purpose="")
    assert not engine.may_break_glass(sign_in)
