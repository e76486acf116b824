"""The permission matrix's credit-control rule and tier-policy pages (issue #16, risk/rule_views.py).

The catalogues are global (like every catalogue): risk officers of either legal entity change them; compliance,
auditors and administrators read them; everyone else gets 404. A loosening waits for a second risk officer: the
decided change here was proposed by ``risk2``, so both desk users may decide it.
"""

from __future__ import annotations

import re
from typing import Any

from clientvault.risk.models import ControlRule, ControlRuleChange, TierPolicy
from tests.matrix.world import USERS, World

EDITORS = ("risk", "risk_other")
NOT_EDITORS = tuple(u for u in USERS if u not in EDITORS)
READERS = (*EDITORS, "compliance", "auditor", "admin")
NOT_READERS = tuple(u for u in USERS if u not in READERS)
EDITED = "days-overdue"  # the edit form tightens it (in force at once)
LOOSENED = "overdue-ratio"  # risk2's pending loosening, decided by the case user


def change_id(w: World, foreign: bool) -> str:
    """A loosening of ``overdue-ratio`` proposed by a second risk officer (``risk2``)."""
    from clientvault.risk import rule_catalogue
    from clientvault.risk.tests.limits_support import second_risk_officer
    from clientvault.testing.actors import ctx

    if "credit_rule_change" not in w.change_requests:
        proposer = ctx(second_risk_officer(w.org))
        change = rule_catalogue.change_rule(ctx=proposer, code=LOOSENED, data={"params": {"at": 0.5}}, reason="matrix")
        assert isinstance(change, ControlRuleChange)
        w.change_requests["credit_rule_change"] = str(change.pk)
    return w.change_requests["credit_rule_change"]


def rule_changed(w: World, foreign: bool, ok: bool) -> None:
    assert ControlRule.objects.get(code=EDITED).version == (2 if ok else 1)


def rule_created(w: World, foreign: bool, ok: bool) -> None:
    assert ControlRule.objects.filter(code="matrix-utilisation").exists() is ok


def policy_changed(w: World, foreign: bool, ok: bool) -> None:
    assert TierPolicy.objects.get(code="default").version == (2 if ok else 1)


def change_decided(w: World, foreign: bool, ok: bool) -> None:
    assert ControlRule.objects.get(code=LOOSENED).params == {"at": 0.5 if ok else 0.1}


def _rule_form(w: World, f: bool) -> dict[str, Any]:
    return {"action": "hold", "checkpoints": ["evaluation"], "active": "on", "p_at": "15", "reason": "matrix"}


def _new_rule(w: World, f: bool) -> dict[str, Any]:
    return {
        "code": "matrix-utilisation",
        "action": "warn",
        "checkpoints": ["evaluation"],
        "active": "on",
        "p_at": "0.9",
        "reason": "matrix",
    }


def _policy_form(w: World, f: bool) -> dict[str, Any]:
    return {"model_id": "demo-retail-scorecard", "high_risk_below": "560", "low_risk_from": "585.3", "review_months_high": "3",
            "review_months_medium": "6", "review_months_low": "12", "reason": "matrix"}  # fmt: skip


PARAMS = {
    "control_rule_code": lambda w, foreign: EDITED,
    "tier_policy_code": lambda w, foreign: "default",
    "credit_change_kind": lambda w, foreign: "rule",
    "credit_change_id": change_id,
}


def web_matrix(Web: Any) -> dict[str, list[Any]]:
    """The page rows (``tables.WEB_MATRIX``)."""
    listed = re.escape("/risk/control-rules/")
    return {
        "risk_rules:list": [Web("GET", ok=READERS, wrong=NOT_READERS)],
        "risk_rules:rule_edit": [
            Web("GET", ok=EDITORS, wrong=NOT_EDITORS),
            Web("POST", ok=EDITORS, wrong=NOT_EDITORS, success=listed, data=_rule_form, effect=rule_changed, event="credit.rule_changed"),
        ],
        "risk_rules:rule_new": [
            Web("GET", ok=EDITORS, wrong=NOT_EDITORS, query=lambda w, f: {"measure": "utilisation"}),
            Web(
                "POST",
                ok=EDITORS,
                wrong=NOT_EDITORS,
                success=listed,
                data=_new_rule,
                query=lambda w, f: {"measure": "utilisation"},
                effect=rule_created,
                event="credit.rule_created",
            ),
        ],
        "risk_rules:policy_edit": [
            Web("GET", ok=EDITORS, wrong=NOT_EDITORS),
            Web(
                "POST",
                ok=EDITORS,
                wrong=NOT_EDITORS,
                success=listed,
                data=_policy_form,
                effect=policy_changed,
                event="credit.tier_policy_changed",
            ),
        ],
        "risk_rules:decide": [
            Web(
                "POST",
                ok=EDITORS,
                wrong=NOT_EDITORS,
                success=listed,
                data=lambda w, f: {"action": "approve", "reason": "matrix"},
                effect=change_decided,
                event="credit.rule_change_approved",
            ),
        ],
    }
