"""Pure rules (matching, plans, validation) and working days — no database — plus the seeded defaults and
the rule catalogue service."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import pytest

from clientvault.approvals import rule_catalogue, rule_changes, workdays
from clientvault.approvals import rules as R
from clientvault.approvals.models import ApprovalRule, ApprovalRuleVersion, RuleChange
from clientvault.approvals.registry import Facts
from clientvault.approvals.tests import support
from clientvault.core import roles
from clientvault.core.errors import PermissionDenied, ValidationFailed
from clientvault.testing.actors import ctx
from clientvault.testing.organisation import Org, second_officer

ENTITY = uuid.uuid4()
KNOWN = {roles.SALES_MANAGER, roles.COMPLIANCE_OFFICER}
STAGE_1 = {"stage": 1, "roles": [roles.SALES_MANAGER], "required": 1}
STAGE_3 = {"stage": 3, "roles": [roles.SALES_MANAGER], "required": 1}


def _rule(code: str, priority: int = 100, **kw: Any) -> R.RuleValues:
    values: dict[str, Any] = {
        "conditions": {},
        "steps": [{"stage": 1, "roles": [roles.SALES_MANAGER], "required": 1}],
        "supervisor_threshold_minor": None,
        "supervisor_roles": [],
        "sla_working_days": 2,
        "escalate_to": [],
        "expire_after_days": 30,
        **kw,
    }
    return R.RuleValues(code=code, version=1, priority=priority, **values)


def test_conditions_match() -> None:
    facts = Facts(legal_entity_id=ENTITY, amount_minor=100, currency="CNY", customer_class="C3", core=True, risk="high")
    assert R.matches({}, facts)
    assert R.matches({"min_amount_minor": 100, "max_amount_minor": 101}, facts)
    assert not R.matches({"max_amount_minor": 100}, facts)  # exclusive
    assert not R.matches({"min_amount_minor": 1}, Facts(legal_entity_id=ENTITY))  # no amount: no match
    assert R.matches({"currencies": ["CNY", "USD"], "customer_classes": ["C3"], "risks": ["high"]}, facts)
    assert not R.matches({"currencies": ["USD"]}, facts)
    assert R.matches({"core": True}, facts) and not R.matches({"core": False}, facts)


def test_choose_lowest_priority_then_plan_with_supervisor() -> None:
    low = _rule("b", 10, conditions={"min_amount_minor": 1000})
    high = _rule("a", 50, supervisor_threshold_minor=5000, supervisor_roles=[roles.COMPLIANCE_OFFICER])
    assert R.choose([high, low], Facts(legal_entity_id=ENTITY, amount_minor=2000)) == low
    assert R.choose([high, low], Facts(legal_entity_id=ENTITY, amount_minor=10)) == high
    assert R.choose([], Facts(legal_entity_id=ENTITY)) is None
    assert [s["stage"] for s in R.plan(high, Facts(legal_entity_id=ENTITY, amount_minor=4999))] == [1]
    assert R.plan(high, Facts(legal_entity_id=ENTITY, amount_minor=5000))[-1]["roles"] == [roles.COMPLIANCE_OFFICER]


def test_stage_done_and_open_step() -> None:
    steps = [{"stage": 1, "roles": ["a"], "required": 2}, {"stage": 1, "roles": ["b"], "required": 1}]
    assert not R.stage_done(steps, [("a", 1), ("a", 1)])
    assert R.stage_done(steps, [("a", 1), ("a", 1), ("b", 1)])
    assert R.open_step(steps, [("a", 1), ("a", 1)], {"a"}) is None
    assert R.open_step(steps, [("a", 1), ("a", 1)], {"a", "b"}) == (steps[1], "b")


def _valid(**kw: Any) -> dict[str, Any]:
    return {"change_type": "x.y", "steps": [{"stage": 1, "roles": [roles.SALES_MANAGER], "required": 1}], **kw}


@pytest.mark.parametrize(
    ("data", "field"),
    [
        (_valid(steps=[]), "steps"),
        (_valid(steps=[{"stage": 1, "roles": ["nobody"], "required": 1}]), "steps"),
        (_valid(steps=[{"stage": 1, "roles": [roles.SALES_MANAGER], "required": 0}]), "steps"),
        (_valid(steps=[{"stage": 2, "roles": [roles.SALES_MANAGER], "required": 1}]), "steps"),
        (_valid(steps=[STAGE_1, STAGE_3]), "steps"),
        (_valid(conditions={"colour": "red"}), "conditions"),
        (_valid(conditions={"min_amount_minor": 10, "max_amount_minor": 5}), "conditions"),
        (_valid(supervisor_threshold_minor=100), "supervisor_roles"),
        (_valid(escalate_to=["nobody"]), "escalate_to"),
        (_valid(sla_working_days=0), "sla_working_days"),
        (_valid(change_type="unknown.type"), "change_type"),
    ],
)
def test_clean_rule_refuses(data: dict[str, Any], field: str) -> None:
    with pytest.raises(ValidationFailed) as refused:
        R.clean_rule(data, known_roles=KNOWN, change_types={"x.y"})
    assert field in refused.value.fields


def test_clean_rule_accepts_many_approvals_and_parallel_steps() -> None:
    out = R.clean_rule(
        _valid(
            steps=[
                {"stage": 2, "roles": [roles.COMPLIANCE_OFFICER], "required": 1},
                {"stage": 1, "roles": [roles.SALES_MANAGER], "required": 7},
                {"stage": 1, "roles": [roles.COMPLIANCE_OFFICER], "required": 1},
            ]
        ),
        known_roles=KNOWN,
        change_types={"x.y"},
    )
    assert [s["stage"] for s in out["steps"]] == [1, 1, 2] and out["steps"][0]["required"] == 7


def test_working_days_skip_weekends_and_holidays(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(workdays, "_day_source", None)  # the pure rule, without the calendar table (no database)
    friday = dt.datetime(2026, 12, 4, 15, 0)
    assert workdays.add_working_days(friday, 1) == dt.datetime(2026, 12, 7, 15, 0)  # Monday
    assert workdays.add_working_days(friday, 0) == friday
    saturday = dt.datetime(2026, 12, 5, 9, 0)
    assert workdays.add_working_days(saturday, 1) == dt.datetime(2026, 12, 8, 9, 0)  # counted from Monday
    assert workdays.working_days_between(friday, dt.datetime(2026, 12, 8, 1, 0)) == 2
    workdays.set_holiday_source(lambda d: d == dt.date(2026, 12, 7))
    try:
        assert workdays.add_working_days(friday, 1) == dt.datetime(2026, 12, 8, 15, 0)
    finally:
        workdays.set_holiday_source(None)


@pytest.mark.django_db
def test_seeded_default_rules() -> None:
    codes = dict(ApprovalRule.objects.values_list("change_type", "code"))
    assert set(codes) == {
        "customers.sensitive_field",
        "customers.lower_protection",
        "customers.reassign_owner",
        "customers.entry_review",
        "assets.movement",
        "merges.merge",  # issue #14 (merges/migrations/0002_seed_rules.py)
        "merges.unmerge",
        "intake.undo",  # issue #14 (intake/migrations/0002_batch_purpose_undo.py)
        "lifecycle.erase",  # issue #15 (lifecycle/migrations/0002_seed_rules.py): a deletion on request
        "risk.limit",  # issue #16 (risk/migrations/0004_limits_approval_rules.py): two amount bands
        "risk.terms",
        "risk.hold_release",
    }
    movement = ApprovalRule.objects.get(change_type="assets.movement")
    assert movement.conditions == {"min_amount_minor": 100_000_000}
    assert movement.supervisor_threshold_minor == 500_000_000 and movement.supervisor_roles == [roles.COMPLIANCE_OFFICER]
    assert ApprovalRuleVersion.objects.filter(version=1).count() == 13


@pytest.mark.django_db
def test_rule_catalogue_versions_changes_with_a_reason(org: Org, audit_events: Any) -> None:
    officer = ctx(org["compliance"])
    with pytest.raises(PermissionDenied):
        rule_catalogue.change_rule(ctx=ctx(org["auditor"]), code="customers-entry-review", data={"sla_working_days": 3}, reason="x")
    with pytest.raises(ValidationFailed):
        rule_catalogue.change_rule(ctx=officer, code="customers-entry-review", data={"sla_working_days": 3}, reason="")
    with pytest.raises(ValidationFailed) as bad:
        rule_catalogue.change_rule(ctx=officer, code="customers-entry-review", data={"steps": []}, reason="x")
    assert "steps" in bad.value.fields
    row = rule_catalogue.change_rule(ctx=officer, code="customers-entry-review", data={"sla_working_days": 3}, reason="slower team")
    assert isinstance(row, ApprovalRule) and row.version == 2 and row.sla_working_days == 3  # a deadline: written at once
    assert [v.version for v in row.history()] == [2, 1]
    assert len(audit_events("approval_rule.changed")) == 1
    created = rule_catalogue.create_rule(
        ctx=officer,
        code="test-occupation",
        data={"change_type": support.OCCUPATION, "steps": [{"stage": 1, "roles": [roles.SALES_MANAGER], "required": 2}]},
        reason="new",
    )
    assert isinstance(created, RuleChange)  # a new rule is a second officer's decision (rule 12)
    rule_changes.approve(ctx=ctx(second_officer(org)), change_id=created.pk, reason="checked")
    assert ApprovalRule.objects.get(code="test-occupation").version == 1 and len(audit_events("approval_rule.created")) == 1
    with pytest.raises(ValidationFailed) as dup:
        rule_catalogue.create_rule(ctx=officer, code="test-occupation", data={"change_type": support.OCCUPATION}, reason="again")
    assert "code" in dup.value.fields
