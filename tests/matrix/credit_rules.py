"""The permission matrix's credit-control rules and tier policies (issue #16, risk/rule_api.py and risk/rule_views.py).

Global catalogues (no legal entity, so nobody is out of scope): the ``credit_rules`` capability lets risk officers of
either legal entity read and change them, and compliance, auditors and administrators read them; everyone else is
refused (403 over the API, 404 on pages). The writes in the matrix tighten (a new version at once); the decisions act
on a loosening a third risk officer proposed, which ``risk`` and ``risk_other`` may each approve or reject (neither is
its maker).
"""

from __future__ import annotations

import re
from typing import Any

from clientvault.accounts.models import User
from clientvault.core import roles as R
from clientvault.risk import rule_catalogue
from clientvault.risk.models import ControlRule, ControlRuleChange, TierPolicy
from clientvault.testing.actors import ctx
from clientvault.testing.organisation import user
from tests.matrix.world import USERS, World

CHANGERS = ("risk", "risk_other")
READERS = (*CHANGERS, "compliance", "auditor", "admin")
NOT_READERS = tuple(u for u in USERS if u not in READERS)
NOT_CHANGERS = tuple(u for u in USERS if u not in CHANGERS)

CHANGED_RULE = "days-overdue"  # tightened by the PATCH: 30 → 15 days
LOOSENED_RULE = "overdue-ratio"  # loosened by the pending change the decisions act on: 0.1 → 0.5
NEW_RULE = "matrix-early-overdue"
POLICY = "default"  # tightened by the PATCH: high risk below 538.8 → 560


def rule_code(w: World, foreign: bool) -> str:
    return CHANGED_RULE


def policy_code(w: World, foreign: bool) -> str:
    return POLICY


def maker(w: World) -> User:
    """A third risk officer: the maker of the pending change (neither ``risk`` nor ``risk_other``)."""
    return User.objects.filter(username="matrix_risk2").first() or user("matrix_risk2", R.RISK_OFFICER, w.org.hq)


def change_id(w: World, foreign: bool) -> str:
    """A loosening of ``overdue-ratio`` waiting for a second risk officer."""
    if "credit_rule_change" not in w.change_requests:
        change = rule_catalogue.change_rule(ctx=ctx(maker(w)), code=LOOSENED_RULE, data={"params": {"at": 0.5}}, reason="matrix")
        assert isinstance(change, ControlRuleChange)
        w.change_requests["credit_rule_change"] = str(change.pk)
    return w.change_requests["credit_rule_change"]


def new_rule_payload(w: World, foreign: bool) -> dict[str, Any]:
    return {
        "code": NEW_RULE, "measure": "days_overdue", "params": {"at": 7}, "action": "warn", "checkpoints": ["evaluation"],
        "reason": "matrix",
    }  # fmt: skip


def rule_created(w: World, foreign: bool, ok: bool) -> None:
    assert ControlRule.objects.filter(code=NEW_RULE).exists() is ok


def rule_changed(w: World, foreign: bool, ok: bool) -> None:
    row = ControlRule.objects.get(code=CHANGED_RULE)
    assert (row.version, row.params) == ((2, {"at": 15}) if ok else (1, {"at": 30}))


def policy_changed(w: World, foreign: bool, ok: bool) -> None:
    row = TierPolicy.objects.get(code=POLICY)
    assert (row.version, row.high_risk_below) == ((2, 560.0) if ok else (1, 538.8))


def change_approved(w: World, foreign: bool, ok: bool) -> None:
    row = ControlRule.objects.get(code=LOOSENED_RULE)
    assert (row.version, row.params) == ((2, {"at": 0.5}) if ok else (1, {"at": 0.1}))


def change_rejected(w: World, foreign: bool, ok: bool) -> None:
    change = ControlRuleChange.objects.get(pk=change_id(w, foreign))
    assert change.status == ("rejected" if ok else "pending")
    assert ControlRule.objects.get(code=LOOSENED_RULE).version == 1


def api_matrix(Api: Any, P: str) -> dict[tuple[str, str], Any]:
    """The API rows (``tables.API_MATRIX``)."""
    read = Api(ok=READERS, ok_status=200, denied=NOT_READERS)
    decision = {"reason": "matrix"}
    return {
        ("GET", f"{P}/risk/control-rules"): read,
        ("GET", f"{P}/risk/control-rules/{{credit_rule_code}}/versions"): read,
        ("POST", f"{P}/risk/control-rules"): Api(
            ok=CHANGERS, ok_status=201, denied=NOT_CHANGERS, payload=new_rule_payload, effect=rule_created, event="credit.rule_created"
        ),
        ("PATCH", f"{P}/risk/control-rules/{{credit_rule_code}}"): Api(
            ok=CHANGERS,
            ok_status=200,
            denied=NOT_CHANGERS,
            payload=lambda w, f: {"params": {"at": 15}, "reason": "matrix"},
            effect=rule_changed,
            event="credit.rule_changed",
        ),
        ("GET", f"{P}/risk/tier-policies"): read,
        ("GET", f"{P}/risk/tier-policies/{{tier_policy_code}}/versions"): read,
        ("PATCH", f"{P}/risk/tier-policies/{{tier_policy_code}}"): Api(
            ok=CHANGERS,
            ok_status=200,
            denied=NOT_CHANGERS,
            payload=lambda w, f: {"high_risk_below": 560.0, "reason": "matrix"},
            effect=policy_changed,
            event="credit.tier_policy_changed",
        ),
        ("GET", f"{P}/risk/catalogue-changes"): read,
        ("POST", f"{P}/risk/catalogue-changes/{{kind}}/{{credit_change_id}}/approve"): Api(
            ok=CHANGERS,
            ok_status=200,
            denied=NOT_CHANGERS,
            payload=lambda w, f: decision,
            effect=change_approved,
            event="credit.rule_change_approved",
        ),
        ("POST", f"{P}/risk/catalogue-changes/{{kind}}/{{credit_change_id}}/reject"): Api(
            ok=CHANGERS,
            ok_status=200,
            denied=NOT_CHANGERS,
            payload=lambda w, f: decision,
            effect=change_rejected,
            event="credit.rule_change_rejected",
        ),
    }


def _rule_form(w: World, f: bool) -> dict[str, Any]:
    return {"action": "hold", "checkpoints": ["evaluation"], "active": "on", "p_at": "15", "reason": "matrix"}


def _new_rule_form(w: World, f: bool) -> dict[str, Any]:
    return {"code": NEW_RULE, "action": "warn", "checkpoints": ["evaluation"], "active": "on", "p_at": "7", "reason": "matrix"}


def _policy_form(w: World, f: bool) -> dict[str, Any]:
    values = {"model_id": "demo-retail-scorecard", "high_risk_below": "560", "low_risk_from": "585.3", "review_months_high": "3"}
    return {**values, "review_months_medium": "6", "review_months_low": "12", "reason": "matrix"}


WEB_PARAMS = {
    "control_rule_code": rule_code,
    "credit_change_kind": lambda w, foreign: "rule",
}


def web_matrix(Web: Any) -> dict[str, list[Any]]:
    """The page rows (``tables.WEB_MATRIX``): the list for readers, the forms and the decision for risk officers."""
    listed = re.escape("/risk/control-rules/")
    measure = lambda w, f: {"measure": "days_overdue"}  # noqa: E731
    approve = lambda w, f: {"action": "approve", "reason": "matrix"}  # noqa: E731
    return {
        "risk_rules:list": [Web("GET", ok=READERS, wrong=NOT_READERS)],
        "risk_rules:rule_edit": [
            Web("GET", ok=CHANGERS, wrong=NOT_CHANGERS),
            Web("POST", ok=CHANGERS, wrong=NOT_CHANGERS, success=listed, data=_rule_form, effect=rule_changed, event="credit.rule_changed"),
        ],
        "risk_rules:rule_new": [
            Web("GET", ok=CHANGERS, wrong=NOT_CHANGERS, query=measure),
            Web(
                "POST",
                ok=CHANGERS,
                wrong=NOT_CHANGERS,
                success=listed,
                data=_new_rule_form,
                query=measure,
                effect=rule_created,
                event="credit.rule_created",
            ),
        ],
        "risk_rules:policy_edit": [
            Web("GET", ok=CHANGERS, wrong=NOT_CHANGERS),
            Web(
                "POST",
                ok=CHANGERS,
                wrong=NOT_CHANGERS,
                success=listed,
                data=_policy_form,
                effect=policy_changed,
                event="credit.tier_policy_changed",
            ),
        ],
        "risk_rules:decide": [
            Web(
                "POST",
                ok=CHANGERS,
                wrong=NOT_CHANGERS,
                success=listed,
                data=approve,
                effect=change_approved,
                event="credit.rule_change_approved",
            ),
        ],
    }
