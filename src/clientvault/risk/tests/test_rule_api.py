"""The credit-control rules and the tier policy over /api/v1 (issue #16, risk/rule_api.py): a tightening is in force at
once (200), a loosening waits for a second risk officer (202) who decides it over the API, maker ≠ checker (403
``maker_is_checker``), a stale or decided change 409, bad values 422 with the field named and nothing written; the
catalogues are read by compliance, auditors and administrators, refused to everyone else; each write leaves its one
audit event and each refusal none."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
from django.test import Client

from clientvault.accounts.models import User
from clientvault.audit.models import AuditEvent
from clientvault.rights import portal
from clientvault.risk.models import ControlRule, ControlRuleChange, TierPolicy, TierPolicyChange
from clientvault.risk.tests.limits_support import second_risk_officer
from clientvault.testing.actors import sign_in_verified
from clientvault.testing.customers import customer
from clientvault.testing.organisation import Org

pytestmark = pytest.mark.django_db

API = "/api/v1"
RULES, POLICIES, CHANGES = f"{API}/risk/control-rules", f"{API}/risk/tier-policies", f"{API}/risk/catalogue-changes"


class Caller:
    """A signed-in staff member (second factor verified where the role needs one) calling the JSON API."""

    def __init__(self, u: User, *, language: str = "en") -> None:
        self.client = Client()
        sign_in_verified(self.client, u)
        self.headers = {"Accept-Language": language}

    def get(self, path: str, params: dict[str, Any] | None = None) -> Any:
        return self.client.get(path, params or {}, headers=self.headers)

    def send(self, method: str, path: str, body: dict[str, Any]) -> Any:
        return self.client.generic(method, path, json.dumps(body), content_type="application/json", headers=self.headers)

    def post(self, path: str, body: dict[str, Any]) -> Any:
        return self.send("POST", path, body)

    def patch(self, path: str, body: dict[str, Any]) -> Any:
        return self.send("PATCH", path, body)


def _rule(code: str) -> ControlRule:
    return ControlRule.objects.get(code=code)


def _error(answer: Any, status: int, code: str) -> dict[str, Any]:
    assert answer.status_code == status, answer.content
    error: dict[str, Any] = answer.json()["error"]
    assert error["code"] == code and error["message"] and error["request_id"], error
    return error


def _decide(who: Caller, verb: str, kind: str, change_id: Any, reason: str = "已复核") -> Any:
    return who.post(f"{CHANGES}/{kind}/{change_id}/{verb}", {"reason": reason})


def test_a_tightening_patch_is_in_force_at_once_with_its_version_and_event(org: Org, audit_events: Any) -> None:
    answer = Caller(org["risk"]).patch(f"{RULES}/days-overdue", {"params": {"at": 15}, "reason": "逾期监控收紧"})
    assert answer.status_code == 200, answer.content
    body = answer.json()
    assert (body["code"], body["version"], body["params"], body["action"]) == ("days-overdue", 2, {"at": 15}, "hold")
    assert (_rule("days-overdue").version, _rule("days-overdue").params) == (2, {"at": 15})
    [event] = audit_events("credit.rule_changed")
    assert (event.actor_id, event.object_id, event.fields, event.channel) == (org["risk"].pk, "days-overdue", ["params"], "api")
    assert [e.event_type for e in audit_events()] == ["credit.rule_changed"]
    history = Caller(org["auditor"]).get(f"{RULES}/days-overdue/versions").json()
    assert [(v["version"], v["values"]["params"], v["reason"], v["changed_by"]) for v in history] == [
        (2, {"at": 15}, "逾期监控收紧", "risk"),
        (1, {"at": 30}, "default (issue #16)", None),
    ]


def test_a_loosening_patch_waits_and_a_second_risk_officer_approves_it_over_the_api(org: Org, audit_events: Any) -> None:
    maker, checker = Caller(org["risk"]), Caller(second_risk_officer(org))
    answer = maker.patch(f"{RULES}/days-overdue", {"params": {"at": 60}, "reason": "业务需要"})
    assert answer.status_code == 202, answer.content
    change = answer.json()
    assert (change["kind"], change["code"], change["status"], change["base_version"]) == ("rule", "days-overdue", "pending", 1)
    assert (change["lowers"], change["fields"], change["proposed_by"], change["decided_by"]) == (["params"], ["params"], "risk", None)
    assert change["proposed"]["params"] == {"at": 60}
    assert (_rule("days-overdue").version, _rule("days-overdue").params) == (1, {"at": 30})  # not in force
    [proposed] = audit_events("credit.rule_change_proposed")
    assert proposed.actor_id == org["risk"].pk and proposed.detail["change_id"] == change["id"]
    assert audit_events("credit.rule_changed") == []
    pending = Caller(org["compliance"]).get(CHANGES).json()
    assert [(c["id"], c["status"]) for c in pending] == [(change["id"], "pending")]

    decided = _decide(checker, "approve", "rule", change["id"])
    assert decided.status_code == 200, decided.content
    body = decided.json()
    assert (body["status"], body["decided_by"], body["decision_reason"]) == ("approved", "risk2", "已复核")
    assert body["decided_at"] is not None
    assert (_rule("days-overdue").version, _rule("days-overdue").params) == (2, {"at": 60})
    [approved] = audit_events("credit.rule_change_approved")
    assert (approved.actor_id, approved.detail["proposed_by"], approved.detail["version"]) == (
        second_risk_officer(org).pk,
        org["risk"].pk,
        2,
    )
    assert Caller(org["risk"]).get(CHANGES).json() == []
    assert [c["status"] for c in Caller(org["risk"]).get(CHANGES, {"status": "all"}).json()] == ["approved"]
    assert Caller(org["risk"]).get(CHANGES, {"status": "maybe"}).status_code == 422


def test_the_maker_cannot_decide_their_own_change(org: Org, audit_events: Any) -> None:
    maker = Caller(org["risk"])
    change = maker.patch(f"{RULES}/review-overdue", {"active": False, "reason": "暂停"}).json()
    mark = len(audit_events())
    for verb in ("approve", "reject"):
        _error(_decide(maker, verb, "rule", change["id"]), 403, "maker_is_checker")
    assert ControlRuleChange.objects.get(pk=change["id"]).status == "pending" and _rule("review-overdue").active
    assert len(audit_events()) == mark


def test_a_stale_or_decided_change_answers_409_and_nothing_takes_effect(org: Org, audit_events: Any) -> None:
    maker, checker = Caller(org["risk"]), Caller(second_risk_officer(org))
    change = maker.patch(f"{RULES}/overdue-ratio", {"params": {"at": 0.5}, "reason": "放宽"}).json()
    _error(checker.patch(f"{RULES}/overdue-ratio", {"active": False, "reason": "再放宽"}), 409, "already_waiting")
    assert checker.patch(f"{RULES}/overdue-ratio", {"params": {"at": 0.05}, "reason": "收紧"}).status_code == 200  # v2
    _error(_decide(checker, "approve", "rule", change["id"]), 409, "stale")
    assert (_rule("overdue-ratio").version, _rule("overdue-ratio").params) == (2, {"at": 0.05})
    assert audit_events("credit.rule_change_approved") == []

    rejected = _decide(checker, "reject", "rule", change["id"], reason="已过时")
    assert rejected.status_code == 200 and rejected.json()["status"] == "rejected"
    assert audit_events("credit.rule_change_rejected")[0].actor_id == second_risk_officer(org).pk
    _error(_decide(checker, "approve", "rule", change["id"]), 409, "already_decided")
    _error(_decide(checker, "reject", "rule", change["id"]), 409, "already_decided")
    assert _rule("overdue-ratio").version == 2


def test_a_rejected_change_never_takes_effect(org: Org, audit_events: Any) -> None:
    change = Caller(org["risk"]).patch(f"{RULES}/exposure-over-limit", {"action": "warn", "reason": "放宽"}).json()
    answer = _decide(Caller(second_risk_officer(org)), "reject", "rule", change["id"], reason="风险过高")
    assert answer.status_code == 200 and answer.json()["status"] == "rejected"
    assert (_rule("exposure-over-limit").version, _rule("exposure-over-limit").action) == (1, "block")
    [event] = audit_events("credit.rule_change_rejected")
    assert event.detail["decided_by"] == second_risk_officer(org).pk and event.object_id == "exposure-over-limit"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"params": {"at": "30"}}, "params.at"),  # a string the engine would silently replace by its default
        ({"params": {"at": -1}}, "params.at"),
        ({"params": {"at": 2.5}}, "params.at"),
        ({"params": {"at": 30, "ratio": 2}}, "params"),
        ({"measure": "sunspots"}, "measure"),
        ({"action": "shout"}, "action"),
        ({"checkpoints": []}, "checkpoints"),
        ({"checkpoints": ["evaluation", "evaluation"]}, "checkpoints"),
        ({"active": "no"}, "active"),  # not coerced to false
        ({"description": "x" * 301}, "description"),
        ({"params": {"at": 10}, "reason": " "}, "reason"),
        ({"params": {"at": 10}, "reason": None}, "reason"),
    ],
)
def test_bad_values_are_refused_with_the_field_named_and_nothing_written(
    org: Org, audit_events: Any, body: dict[str, Any], field: str
) -> None:
    answer = Caller(org["risk"]).patch(f"{RULES}/days-overdue", {"reason": "试试", **body})
    error = _error(answer, 422, "validation_failed")
    assert field in error["fields"], error
    assert _rule("days-overdue").version == 1 and not ControlRuleChange.objects.exists()
    assert audit_events() == []


def test_decisions_need_a_reason_and_name_a_change_that_exists(org: Org, audit_events: Any) -> None:
    change = Caller(org["risk"]).patch(f"{RULES}/days-overdue", {"params": {"at": 90}, "reason": "放宽"}).json()
    checker = Caller(second_risk_officer(org), language="zh-hans")
    error = _error(_decide(checker, "approve", "rule", change["id"], reason="  "), 422, "validation_failed")
    assert "reason" in error["fields"]
    _error(_decide(checker, "approve", "policy", change["id"]), 404, "not_found")  # a rule's change is no policy's
    _error(_decide(checker, "approve", "rule", "00000000-0000-0000-0000-000000000000"), 404, "not_found")
    _error(_decide(checker, "approve", "rule", "not-a-uuid"), 404, "not_found")
    _error(_decide(checker, "approve", "limit", change["id"]), 404, "not_found")
    _error(Caller(org["risk"]).patch(f"{RULES}/no-such-rule", {"params": {"at": 1}, "reason": "x"}), 404, "not_found")
    _error(Caller(org["risk"]).get(f"{RULES}/no-such-rule/versions"), 404, "not_found")
    _error(Caller(org["risk"]).patch(f"{POLICIES}/no-such-policy", {"review_months_low": 6, "reason": "x"}), 404, "not_found")
    assert ControlRuleChange.objects.get(pk=change["id"]).status == "pending" and _rule("days-overdue").version == 1
    assert [e.event_type for e in audit_events() if not e.event_type.startswith("access.")] == ["credit.rule_change_proposed"]


def test_a_new_rule_is_201_and_a_new_collateral_advance_202(org: Org, audit_events: Any) -> None:
    risk = Caller(org["risk"])
    data = {"measure": "days_overdue", "params": {"at": 7}, "action": "warn", "checkpoints": ["evaluation"], "description": "早期逾期提醒"}
    created = risk.post(RULES, {"code": "days-overdue-early", "reason": "早期预警", **data})
    assert created.status_code == 201, created.content
    assert (created.json()["version"], created.json()["active"], created.json()["params"]) == (1, True, {"at": 7})
    assert audit_events("credit.rule_created")[0].object_id == "days-overdue-early"
    _error(risk.post(RULES, {"code": "days-overdue-early", "reason": "again", **data}), 409, "exists")
    error = _error(risk.post(RULES, {"code": "Bad Code", "reason": "x", **data}), 422, "validation_failed")
    assert "code" in error["fields"]
    advance = {"measure": "collateral_advance", "params": {"advance_rate": 0.9}, "action": "warn", "checkpoints": ["drawdown"]}
    proposed = risk.post(RULES, {"code": "gold-advance", "reason": "黄金质押", **advance})
    assert proposed.status_code == 202 and proposed.json()["base_version"] is None
    assert not ControlRule.objects.filter(code="gold-advance").exists()
    approved = _decide(Caller(second_risk_officer(org)), "approve", "rule", proposed.json()["id"])
    assert approved.status_code == 200 and _rule("gold-advance").params == {"advance_rate": 0.9}


def test_the_tier_policy_tightens_at_once_and_loosens_through_a_second_officer(org: Org, audit_events: Any) -> None:
    risk = Caller(org["risk"])
    tighter = risk.patch(f"{POLICIES}/default", {"high_risk_below": 560, "review_months_low": 6, "reason": "收紧"})
    assert tighter.status_code == 200, tighter.content
    assert (tighter.json()["version"], tighter.json()["high_risk_below"], tighter.json()["review_months_low"]) == (2, 560.0, 6)
    assert audit_events("credit.tier_policy_changed")[0].fields == ["high_risk_below", "review_months_low"]
    looser = risk.patch(f"{POLICIES}/default", {"low_risk_from": 570.0, "review_months_high": 6, "reason": "放宽"})
    assert looser.status_code == 202 and looser.json()["kind"] == "policy"
    assert looser.json()["lowers"] == ["low_risk_from", "review_months_high"]
    assert TierPolicy.objects.get(code="default").version == 2
    approved = _decide(Caller(second_risk_officer(org)), "approve", "policy", looser.json()["id"], reason="同意")
    assert approved.status_code == 200 and approved.json()["status"] == "approved"
    row = TierPolicy.objects.get(code="default")
    assert (row.version, row.low_risk_from, row.review_months_high) == (3, 570.0, 6)
    assert len(audit_events("credit.tier_policy_change_approved")) == 1
    assert [v["version"] for v in risk.get(f"{POLICIES}/default/versions").json()] == [3, 2, 1]
    for body, field in (
        ({"low_risk_from": 100.0}, "low_risk_from"),
        ({"review_months_medium": 0}, "review_months_medium"),
        ({"high_risk_below": "560"}, "high_risk_below"),  # not coerced
        ({"review_months_low": True}, "review_months_low"),
    ):
        error = _error(risk.patch(f"{POLICIES}/default", {"reason": "错", **body}), 422, "validation_failed")
        assert field in error["fields"], error
    assert TierPolicy.objects.get(code="default").version == 3 and not TierPolicyChange.objects.filter(status="pending").exists()


@pytest.mark.parametrize("who", ["risk", "risk_other", "compliance", "auditor", "admin"])
def test_the_catalogues_are_read_by_risk_compliance_auditors_and_administrators(org: Org, audit_events: Any, who: str) -> None:
    caller = Caller(org[who])
    rules = caller.get(RULES)
    assert rules.status_code == 200
    assert {r["code"] for r in rules.json()} >= {"days-overdue", "exposure-over-limit", "collateral-advance"}
    policies = caller.get(POLICIES).json()
    assert [(p["code"], p["version"], p["high_risk_below"]) for p in policies] == [("default", 1, 538.8)]
    assert caller.get(CHANGES).json() == []
    assert caller.get(f"{RULES}/days-overdue/versions").status_code == 200
    assert caller.get(f"{POLICIES}/default/versions").status_code == 200
    if who not in ("risk", "risk_other"):  # read only
        _error(caller.patch(f"{RULES}/days-overdue", {"params": {"at": 10}, "reason": "x"}), 403, "permission_denied")
        _error(caller.patch(f"{POLICIES}/default", {"review_months_low": 6, "reason": "x"}), 403, "permission_denied")
    assert _rule("days-overdue").version == 1 and audit_events() == []


@pytest.mark.parametrize("who", ["rep_bj1", "manager_bj", "norole"])
def test_reps_managers_and_users_without_a_role_are_refused(org: Org, audit_events: Any, who: str) -> None:
    change = Caller(org["risk"]).patch(f"{RULES}/days-overdue", {"params": {"at": 90}, "reason": "放宽"}).json()
    mark = len(audit_events())
    caller = Caller(org[who])
    for path in (RULES, POLICIES, CHANGES, f"{RULES}/days-overdue/versions", f"{POLICIES}/default/versions"):
        _error(caller.get(path), 403, "permission_denied")
    _error(caller.patch(f"{RULES}/days-overdue", {"params": {"at": 10}, "reason": "x"}), 403, "permission_denied")
    new_rule = {"code": "x-rule", "measure": "limit_expired", "params": {}, "action": "warn", "checkpoints": ["evaluation"], "reason": "x"}
    _error(caller.post(RULES, new_rule), 403, "permission_denied")
    _error(caller.patch(f"{POLICIES}/default", {"review_months_low": 6, "reason": "x"}), 403, "permission_denied")
    _error(_decide(caller, "approve", "rule", change["id"]), 403, "permission_denied")
    assert ControlRuleChange.objects.get(pk=change["id"]).status == "pending" and _rule("days-overdue").version == 1
    assert len(audit_events()) == mark


def test_anonymous_callers_and_customers_signed_in_to_the_portal_get_401(org: Org) -> None:
    me = customer(org["rep_bj1"])
    portal_session = Client()
    session = portal_session.session
    session[portal.SUBJECT_KEY] = [str(me.pk)]
    session[portal.SEEN_KEY] = time.time()
    session.save()
    for client in (Client(), portal_session):
        for path in (RULES, POLICIES, CHANGES):
            _error(client.get(path), 401, "not_authenticated")
        answer = client.generic(
            "PATCH", f"{RULES}/days-overdue", json.dumps({"params": {"at": 1}, "reason": "x"}), content_type="application/json"
        )
        _error(answer, 401, "not_authenticated")
    assert _rule("days-overdue").version == 1
    assert not AuditEvent.objects.filter(event_type__startswith="credit.").exists()
