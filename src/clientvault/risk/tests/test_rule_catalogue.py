"""Editing the credit-control rules and the tier policy (issue #16; ARCHITECTURE.md rules 9 and 12).

A change that tightens control is one risk officer's new version with its reason and one audit event; one that
loosens it waits for a second risk officer (maker ≠ checker in the service and the database), goes stale when the
row changes meanwhile, and never takes effect when rejected. Seeded rules all pass validation, and the engine reads
the new version at once."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import IntegrityError, transaction

from clientvault.core import clock
from clientvault.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from clientvault.risk import control, rule_catalogue
from clientvault.risk.figures import Figures
from clientvault.risk.models import ControlRule, ControlRuleChange, ControlRuleVersion, TierPolicy, TierPolicyChange, TierPolicyVersion
from clientvault.risk.tests.limits_support import second_risk_officer
from clientvault.testing.actors import ctx
from clientvault.testing.organisation import Org

pytestmark = pytest.mark.django_db


def _rule(code: str) -> ControlRule:
    return ControlRule.objects.get(code=code)


def test_every_seeded_rule_and_the_seeded_policy_pass_validation() -> None:
    for row in ControlRule.objects.all():
        assert rule_catalogue.clean_rule(row.snapshot()) == {
            **row.snapshot(),
            "params": rule_catalogue.clean_rule(row.snapshot())["params"],
        }
        assert rule_catalogue.loosens_rule(row.snapshot(), rule_catalogue.clean_rule(row.snapshot())) == []
    policy = TierPolicy.objects.get(code="default")
    assert rule_catalogue.clean_policy(policy.snapshot()) == policy.snapshot()


def test_a_tighter_threshold_is_one_officers_new_version_and_the_engine_uses_it(org: Org, audit_events: Any) -> None:
    result = rule_catalogue.change_rule(ctx=ctx(org["risk"]), code="days-overdue", data={"params": {"at": 15}}, reason="逾期监控收紧")
    assert isinstance(result, ControlRule) and (result.version, result.params) == (2, {"at": 15})
    [event] = audit_events("credit.rule_changed")
    assert (event.actor_id, event.object_id, event.fields) == (org["risk"].pk, "days-overdue", ["params"])
    version = ControlRuleVersion.objects.get(code="days-overdue", version=2)
    assert (version.reason, version.changed_by_id, version.audit_event_id) == ("逾期监控收紧", org["risk"].pk, event.event_id)
    figures = Figures(currency="CNY", as_of=clock.today(), exposure=100, permanent_limit=1000, days_overdue=20)
    assert control.evaluate(figures, ControlRule.objects.filter(active=True), control.EVALUATION).holds == ("days-overdue",)


@pytest.mark.parametrize(
    ("code", "data", "lowered"),
    [
        ("days-overdue", {"params": {"at": 60}}, ["params"]),
        ("exposure-over-limit", {"action": "warn"}, ["action"]),
        ("hold-in-force", {"checkpoints": ["new_credit"]}, ["checkpoints"]),
        ("review-overdue", {"active": False}, ["active"]),
        ("tier-policy-high", {"params": {"tiers": []}}, ["params"]),
        ("terms-over-tier-max", {"params": {"max_days": {"high": 30, "medium": 90, "low": 90, "": 30}}}, ["params"]),
        ("temporary-limit-expiring", {"params": {"days": 3}}, ["params"]),
        ("collateral-advance", {"params": {"advance_rate": 0.8}}, ["params"]),
        ("hold-in-force", {"params": {"forced_only": True}}, ["params"]),
    ],
)
def test_a_loosening_waits_for_a_second_risk_officer(
    org: Org, audit_events: Any, code: str, data: dict[str, Any], lowered: list[str]
) -> None:
    before = _rule(code).snapshot()
    change = rule_catalogue.change_rule(ctx=ctx(org["risk"]), code=code, data=data, reason="业务需要")
    assert isinstance(change, ControlRuleChange) and change.lowers == lowered and change.base_version == 1
    assert _rule(code).snapshot() == before and _rule(code).version == 1  # nothing in force yet
    [proposed] = audit_events("credit.rule_change_proposed")
    assert proposed.detail["lowers"] == lowered and proposed.detail["change_id"] == str(change.pk)

    with pytest.raises(PermissionDenied):  # maker ≠ checker
        rule_catalogue.approve("rule", ctx=ctx(org["risk"]), change_id=change.pk, reason="我自己")
    with pytest.raises(ValidationFailed):  # a decision has its reason
        rule_catalogue.approve("rule", ctx=ctx(second_risk_officer(org)), change_id=change.pk, reason=" ")
    row = rule_catalogue.approve("rule", ctx=ctx(second_risk_officer(org)), change_id=change.pk, reason="已复核")
    assert row.version == 2 and row.snapshot()[lowered[0]] == rule_catalogue.clean_rule({**before, **data})[lowered[0]]
    version = ControlRuleVersion.objects.get(code=code, version=2)
    assert version.changed_by_id == org["risk"].pk and version.reason == "业务需要"  # the proposer's change
    [approved] = audit_events("credit.rule_change_approved")
    assert (approved.actor_id, approved.detail["proposed_by"], approved.detail["version"]) == (
        second_risk_officer(org).pk,
        org["risk"].pk,
        2,
    )
    with pytest.raises(Conflict):
        rule_catalogue.reject("rule", ctx=ctx(second_risk_officer(org)), change_id=change.pk, reason="again")


def test_a_rejected_or_stale_loosening_never_takes_effect(org: Org, audit_events: Any) -> None:
    risk, second = ctx(org["risk"]), ctx(second_risk_officer(org))
    change = rule_catalogue.change_rule(ctx=risk, code="overdue-ratio", data={"params": {"at": 0.5}}, reason="放宽")
    with pytest.raises(Conflict):  # one pending change per rule
        rule_catalogue.change_rule(ctx=second, code="overdue-ratio", data={"active": False}, reason="再放宽")
    rule_catalogue.reject("rule", ctx=second, change_id=change.pk, reason="风险过高")
    assert _rule("overdue-ratio").params == {"at": 0.1}
    assert audit_events("credit.rule_change_rejected")[0].detail["decided_by"] == second.actor_id

    change = rule_catalogue.change_rule(ctx=risk, code="overdue-ratio", data={"params": {"at": 0.5}}, reason="放宽")
    rule_catalogue.change_rule(ctx=second, code="overdue-ratio", data={"params": {"at": 0.05}}, reason="收紧")  # v2
    with pytest.raises(Conflict) as stale:
        rule_catalogue.approve("rule", ctx=second, change_id=change.pk, reason="ok")
    assert stale.value.code == "stale" and _rule("overdue-ratio").params == {"at": 0.05}


def test_the_database_refuses_a_maker_deciding_their_own_change(org: Org) -> None:
    change = rule_catalogue.change_rule(ctx=ctx(org["risk"]), code="days-overdue", data={"params": {"at": 90}}, reason="放宽")
    with pytest.raises(IntegrityError), transaction.atomic():
        ControlRuleChange.objects.filter(pk=str(change.pk)).update(decided_by=org["risk"], status="approved")


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"params": {"at": "30"}}, "params.at"),  # a string the engine would silently replace by its default
        ({"params": {"at": -1}}, "params.at"),
        ({"params": {"at": 30, "ratio": 2}}, "params"),
        ({"params": {"at": 2.5}}, "params.at"),  # whole days
        ({"params": {"at": float("nan")}}, "params.at"),  # JSON accepts NaN and Infinity: refused, never a crash
        ({"params": {"at": float("inf")}}, "params.at"),
        ({"measure": "sunspots"}, "measure"),
        ({"action": "shout"}, "action"),
        ({"checkpoints": []}, "checkpoints"),
        ({"checkpoints": ["evaluation", "evaluation"]}, "checkpoints"),
        ({"active": "no"}, "active"),
        ({"description": "x" * 301}, "description"),
    ],
)
def test_bad_values_are_refused_with_the_field_named_and_nothing_written(org: Org, data: dict[str, Any], field: str) -> None:
    with pytest.raises(ValidationFailed) as refused:
        rule_catalogue.change_rule(ctx=ctx(org["risk"]), code="days-overdue", data=data, reason="试试")
    assert field in refused.value.fields
    assert _rule("days-overdue").version == 1 and not ControlRuleChange.objects.exists()


def test_a_reason_the_capability_and_an_existing_rule_are_required(org: Org) -> None:
    with pytest.raises(ValidationFailed):
        rule_catalogue.change_rule(ctx=ctx(org["risk"]), code="days-overdue", data={"params": {"at": 10}}, reason="  ")
    for who in ("compliance", "auditor", "admin", "rep_bj1", "manager_bj"):
        with pytest.raises(PermissionDenied):
            rule_catalogue.change_rule(ctx=ctx(org[who]), code="days-overdue", data={"params": {"at": 10}}, reason="x")
    with pytest.raises(NotFound):
        rule_catalogue.change_rule(ctx=ctx(org["risk"]), code="no-such-rule", data={}, reason="x")
    change = rule_catalogue.change_rule(ctx=ctx(org["risk"]), code="days-overdue", data={"params": {"at": 90}}, reason="放宽")
    with pytest.raises(PermissionDenied):  # deciding needs the change capability too
        rule_catalogue.approve("rule", ctx=ctx(org["compliance"]), change_id=change.pk, reason="ok")


def test_a_new_rule_is_version_one_and_a_new_collateral_advance_waits(org: Org, audit_events: Any) -> None:
    data = {"measure": "days_overdue", "params": {"at": 7}, "action": "warn", "checkpoints": ["evaluation"], "description": "早期逾期提醒"}
    row = rule_catalogue.create_rule(ctx=ctx(org["risk"]), code="days-overdue-early", data=data, reason="早期预警")
    assert isinstance(row, ControlRule) and row.version == 1 and row.active
    assert audit_events("credit.rule_created")[0].object_id == "days-overdue-early"
    with pytest.raises(Conflict):
        rule_catalogue.create_rule(ctx=ctx(org["risk"]), code="days-overdue-early", data=data, reason="again")
    for bad in ("Bad Code", "90-days-overdue"):  # a letter first: audit details carry rule codes
        with pytest.raises(ValidationFailed):
            rule_catalogue.create_rule(ctx=ctx(org["risk"]), code=bad, data=data, reason="x")
    advance = {"measure": "collateral_advance", "params": {"advance_rate": 0.9}, "action": "warn", "checkpoints": ["drawdown"]}
    change = rule_catalogue.create_rule(ctx=ctx(org["risk"]), code="gold-advance", data=advance, reason="黄金质押")
    assert isinstance(change, ControlRuleChange) and change.base_version is None
    assert not ControlRule.objects.filter(code="gold-advance").exists()
    approved = rule_catalogue.approve("rule", ctx=ctx(second_risk_officer(org)), change_id=change.pk, reason="已核")
    assert isinstance(approved, ControlRule)
    assert (approved.code, approved.version, approved.params) == ("gold-advance", 1, {"advance_rate": 0.9})


def test_the_tier_policy_tightens_at_once_and_loosens_through_a_second_officer(org: Org, audit_events: Any) -> None:
    risk, second = ctx(org["risk"]), ctx(second_risk_officer(org))
    row = rule_catalogue.change_policy(ctx=risk, code="default", data={"high_risk_below": 560.0, "review_months_low": 6}, reason="收紧")
    assert isinstance(row, TierPolicy) and (row.version, row.high_risk_below, row.review_months_low) == (2, 560.0, 6)
    assert audit_events("credit.tier_policy_changed")[0].fields == ["high_risk_below", "review_months_low"]
    change = rule_catalogue.change_policy(ctx=risk, code="default", data={"low_risk_from": 570.0, "review_months_high": 6}, reason="放宽")
    assert isinstance(change, TierPolicyChange) and change.lowers == ["low_risk_from", "review_months_high"]
    assert TierPolicy.objects.get(code="default").version == 2
    rule_catalogue.approve("policy", ctx=second, change_id=change.pk, reason="同意")
    row = TierPolicy.objects.get(code="default")
    assert (row.version, row.low_risk_from, row.review_months_high) == (3, 570.0, 6)
    assert TierPolicyVersion.objects.filter(code="default").count() == 3
    with pytest.raises(ValidationFailed) as refused:
        rule_catalogue.change_policy(ctx=risk, code="default", data={"low_risk_from": 100.0}, reason="错")
    assert "low_risk_from" in refused.value.fields
    with pytest.raises(ValidationFailed):
        rule_catalogue.change_policy(ctx=risk, code="default", data={"review_months_medium": 0}, reason="错")


def test_loosening_is_read_as_the_engine_reads_the_rule() -> None:
    """A tier without its own maximum takes the "" entry: adding a higher one for it loosens. For collateral (it raises
    the effective limit), switching the rule on and acting at more checkpoints loosen; for the other measures they
    tighten."""
    terms = {"measure": "terms_over_tier_max", "action": "block", "checkpoints": ["terms_change"], "active": True}
    narrow = {**terms, "params": {"max_days": {"": 30}}}
    assert rule_catalogue.loosens_rule(narrow, {**terms, "params": {"max_days": {"": 30, "high": 3650}}}) == ["params"]
    assert rule_catalogue.loosens_rule(narrow, {**terms, "params": {"max_days": {"": 30, "high": 10}}}) == []
    assert rule_catalogue.loosens_rule({**terms, "params": {"max_days": {"high": 30}}}, {**terms, "params": {"max_days": {}}}) == ["params"]
    advance = {"measure": "collateral_advance", "params": {"advance_rate": 0.5}, "action": "warn", "checkpoints": ["drawdown"]}
    off, on = {**advance, "active": False}, {**advance, "active": True}
    assert rule_catalogue.loosens_rule(off, on) == ["active"]
    assert rule_catalogue.loosens_rule(on, off) == []
    assert rule_catalogue.loosens_rule(on, {**on, "checkpoints": ["drawdown", "new_credit"]}) == ["checkpoints"]
    assert rule_catalogue.loosens_rule(on, {**on, "checkpoints": []}) == []
    assert rule_catalogue.loosens_rule(None, off) == []  # inert until switched on, which then waits
    overdue = {"measure": "days_overdue", "params": {"at": 30}, "action": "hold", "checkpoints": ["evaluation"]}
    assert rule_catalogue.loosens_rule({**overdue, "active": False}, {**overdue, "active": True}) == []
    assert rule_catalogue.loosens_rule({**overdue, "active": True}, {**overdue, "active": False}) == ["active"]


def test_switching_a_collateral_advance_on_waits_for_a_second_officer(org: Org) -> None:
    advance = {
        "measure": "collateral_advance",
        "params": {"advance_rate": 0.9},
        "action": "warn",
        "checkpoints": ["drawdown"],
        "active": False,
    }
    row = rule_catalogue.create_rule(ctx=ctx(org["risk"]), code="gold-advance", data=advance, reason="先建后启")
    assert isinstance(row, ControlRule) and not row.active
    change = rule_catalogue.change_rule(ctx=ctx(org["risk"]), code="gold-advance", data={"active": True}, reason="启用")
    assert isinstance(change, ControlRuleChange) and change.lowers == ["active"]
    assert not _rule("gold-advance").active
