"""Weakening an approval rule is a second compliance officer's decision (ARCHITECTURE.md rule 12)."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import IntegrityError, transaction

from clientvault.approvals import rule_catalogue, rule_changes
from clientvault.approvals import rules as R
from clientvault.approvals.models import ApprovalRule, RuleChange
from clientvault.core import roles
from clientvault.core.errors import Conflict, PermissionDenied, ValidationFailed
from clientvault.testing.actors import ctx
from clientvault.testing.organisation import Org, second_officer

CODE = "assets-movement"


def test_weakens_is_conservative_about_what_routes_a_change() -> None:
    before = {"active": True, "steps": [{"stage": 1, "roles": ["a"], "required": 1}], "supervisor_threshold_minor": 500, "priority": 1}
    assert R.weakens(before, {**before, "active": False}) == ["active"]
    assert R.weakens({**before, "active": False}, before) == []  # switching a rule on asks for more
    assert R.weakens(before, {**before, "supervisor_threshold_minor": 100}) == []  # a lower threshold re-checks more
    assert R.weakens(before, {**before, "supervisor_threshold_minor": 900}) == ["supervisor_threshold_minor"]
    assert R.weakens(before, {**before, "supervisor_threshold_minor": None}) == ["supervisor_threshold_minor"]
    assert R.weakens(before, {**before, "steps": []}) == ["steps"]
    assert R.weakens(before, {**before, "priority": 2}) == ["priority"]
    assert R.weakens(before, {**before, "sla_working_days": 9, "description": "x"}) == []
    assert R.weakens(None, {"change_type": "x", "steps": [1]}) == ["change_type", "steps"]


@pytest.mark.django_db
def test_deactivating_a_rule_waits_for_a_second_officer(org: Org, audit_events: Any) -> None:
    maker, checker = ctx(org["compliance"]), ctx(second_officer(org))
    change = rule_catalogue.change_rule(ctx=maker, code=CODE, data={"active": False}, reason="too many requests")
    assert isinstance(change, RuleChange) and change.weakens == ["active"] and change.base_version == 1
    assert ApprovalRule.objects.get(code=CODE).active  # nothing took effect
    assert [e.detail["weakens"] for e in audit_events("approval_rule.change_proposed")] == [["active"]]
    with pytest.raises(Conflict):  # one pending change per rule
        rule_catalogue.change_rule(ctx=maker, code=CODE, data={"priority": 5}, reason="again")
    with pytest.raises(PermissionDenied):  # the maker cannot decide it
        rule_changes.approve(ctx=maker, change_id=change.pk, reason="fine")
    with pytest.raises(PermissionDenied):  # nor can someone without the capability
        rule_changes.approve(ctx=ctx(org["admin"]), change_id=change.pk, reason="fine")
    with pytest.raises(ValidationFailed):
        rule_changes.approve(ctx=checker, change_id=change.pk, reason=" ")
    row = rule_changes.approve(ctx=checker, change_id=change.pk, reason="agreed in the committee")
    assert row.version == 2 and not row.active
    version = row.history()[0]
    assert version.changed_by_id == org["compliance"].pk and version.reason == "too many requests"
    [approved] = audit_events("approval_rule.change_approved")
    assert approved.detail["proposed_by"] == org["compliance"].pk and approved.detail["decided_by"] == checker.actor_id
    assert len(audit_events("approval_rule.changed")) == 1
    with pytest.raises(Conflict):
        rule_changes.reject(ctx=checker, change_id=change.pk, reason="late")


@pytest.mark.django_db
def test_a_rejected_or_stale_change_never_takes_effect(org: Org, audit_events: Any) -> None:
    maker, checker = ctx(org["compliance"]), ctx(second_officer(org))
    steps = [{"stage": 1, "roles": [roles.SALES_MANAGER], "required": 1}]
    change = rule_catalogue.change_rule(
        ctx=maker, code=CODE, data={"steps": steps, "supervisor_threshold_minor": None, "supervisor_roles": []}, reason="lighter"
    )
    assert isinstance(change, RuleChange) and set(change.weakens) >= {"supervisor_threshold_minor", "supervisor_roles"}
    rule_changes.reject(ctx=checker, change_id=change.pk, reason="no")
    assert ApprovalRule.objects.get(code=CODE).supervisor_threshold_minor == 500_000_000
    assert len(audit_events("approval_rule.change_rejected")) == 1
    again = rule_catalogue.change_rule(ctx=maker, code=CODE, data={"active": False}, reason="retry")
    assert isinstance(again, RuleChange)
    rule_catalogue.change_rule(ctx=checker, code=CODE, data={"sla_working_days": 5}, reason="faster")  # written at once: version 2
    with pytest.raises(Conflict):
        rule_changes.approve(ctx=checker, change_id=again.pk, reason="ok")
    assert ApprovalRule.objects.get(code=CODE).active


@pytest.mark.django_db
def test_the_database_refuses_a_maker_deciding_their_own_rule_change(org: Org) -> None:
    change = rule_catalogue.change_rule(ctx=ctx(org["compliance"]), code=CODE, data={"active": False}, reason="x")
    assert isinstance(change, RuleChange)
    with pytest.raises(IntegrityError), transaction.atomic():
        RuleChange.objects.filter(pk=change.pk).update(
            status=RuleChange.Status.APPROVED, decided_by=org["compliance"], decided_at=change.proposed_at
        )


@pytest.mark.django_db
def test_pending_rule_changes_are_listed_for_those_who_may_read_the_rules(org: Org) -> None:
    change = rule_catalogue.change_rule(ctx=ctx(org["compliance"]), code=CODE, data={"active": False}, reason="x")
    assert list(rule_changes.pending(ctx(org["auditor"]))) == [change]
    with pytest.raises(PermissionDenied):
        rule_changes.pending(ctx(org["rep_bj1"]))
