"""The credit-control rules and the tier policy over JSON (issue #16): read them, change them, decide changes.

One ninja router the project's API mounts. The catalogues are global, like every other catalogue: the capability
``CREDIT_RULES`` decides (risk officers view and change; compliance, auditors and administrators view). Every write
goes through ``risk.rule_catalogue``: a change that tightens credit control is a new version at once (200 / 201); one
that loosens it is proposed for a second risk officer (202 with the pending change), who approves or rejects it here
(maker ≠ checker: 403 ``maker_is_checker``; a rule changed since: 409 ``stale``; decided already: 409
``already_decided``). Refusals are the domain errors, mapped to the structured error body in ``clientvault.api``.

The errors each operation can answer are declared in ``clientvault.openapi.OPERATION_ERRORS``.
"""

from __future__ import annotations

import uuid
from typing import Any

from ninja import Query, Router, Status

from clientvault.core.capabilities import CHANGE, CREDIT_RULES, VIEW, allows
from clientvault.core.context import Context
from clientvault.core.errors import NotFound, PermissionDenied
from clientvault.core.http import AppRequest, ctx_of
from clientvault.risk import rule_catalogue
from clientvault.risk.models import ControlRule, TierPolicy
from clientvault.risk.rule_schemas import (
    ChangeKind,
    CreditCatalogueChangeOut,
    CreditChangeQuery,
    CreditDecisionIn,
    CreditRuleChangeIn,
    CreditRuleCreateIn,
    CreditRuleOut,
    CreditTierPolicyChangeIn,
    CreditTierPolicyOut,
    CreditVersionOut,
)

router = Router(tags=["risk"])

LIST_LIMIT = 500


def _ctx(request: AppRequest, action: str) -> Context:
    ctx = ctx_of(request)
    if ctx.actor is None or not allows(ctx.roles, CREDIT_RULES, action):
        raise PermissionDenied()
    return ctx


def _change(kind: ChangeKind, change: Any) -> CreditCatalogueChangeOut:
    return CreditCatalogueChangeOut.of(kind, change)


def _decided(kind: ChangeKind, change_id: uuid.UUID) -> CreditCatalogueChangeOut:
    model = rule_catalogue.FLOWS[kind].change_model
    return _change(kind, model._default_manager.select_related("proposed_by", "decided_by").get(pk=change_id))


def _versions(model: type[ControlRule] | type[TierPolicy], code: str) -> list[CreditVersionOut]:
    row = model._default_manager.filter(code=code).first()
    if row is None:
        raise NotFound()
    return [CreditVersionOut.of(v) for v in row.history().select_related("changed_by").order_by("-version")]


# --- Credit-control rules ------------------------------------------------------------------------------------------


@router.get("/risk/control-rules", response=list[CreditRuleOut], summary="The credit-control rules in force (信用控制规则)")
def list_rules(request: AppRequest) -> list[CreditRuleOut]:
    _ctx(request, VIEW)
    return [CreditRuleOut.of(r) for r in ControlRule.objects.order_by("code")]


@router.get("/risk/control-rules/{credit_rule_code}/versions", response=list[CreditVersionOut], summary="A credit-control rule's versions")
def rule_versions(request: AppRequest, credit_rule_code: str) -> list[CreditVersionOut]:
    _ctx(request, VIEW)
    return _versions(ControlRule, credit_rule_code)


@router.post(
    "/risk/control-rules",
    response={201: CreditRuleOut, 202: CreditCatalogueChangeOut},
    summary="Create a credit-control rule (a new collateral advance waits for a second risk officer: 202)",
)
def create_rule(request: AppRequest, payload: CreditRuleCreateIn) -> Status[Any]:
    ctx = _ctx(request, CHANGE)
    data = payload.dict(exclude={"code", "reason"})
    result = rule_catalogue.create_rule(ctx=ctx, code=payload.code, data=data, reason=payload.reason)
    if isinstance(result, ControlRule):
        return Status(201, CreditRuleOut.of(result))
    return Status(202, _change("rule", result))


@router.patch(
    "/risk/control-rules/{credit_rule_code}",
    response={200: CreditRuleOut, 202: CreditCatalogueChangeOut},
    summary="Change a credit-control rule (a loosening waits for a second risk officer: 202)",
)
def change_rule(request: AppRequest, credit_rule_code: str, payload: CreditRuleChangeIn) -> Status[Any]:
    ctx = _ctx(request, CHANGE)
    data = payload.dict(exclude_unset=True, exclude={"reason"})
    result = rule_catalogue.change_rule(ctx=ctx, code=credit_rule_code, data=data, reason=payload.reason)
    if isinstance(result, ControlRule):
        return Status(200, CreditRuleOut.of(result))
    return Status(202, _change("rule", result))


# --- Tier policies -------------------------------------------------------------------------------------------------


@router.get(
    "/risk/tier-policies", response=list[CreditTierPolicyOut], summary="The tier policies (分层策略): thresholds and review intervals"
)
def list_policies(request: AppRequest) -> list[CreditTierPolicyOut]:
    _ctx(request, VIEW)
    return [CreditTierPolicyOut.of(p) for p in TierPolicy.objects.order_by("code")]


@router.get("/risk/tier-policies/{tier_policy_code}/versions", response=list[CreditVersionOut], summary="A tier policy's versions")
def policy_versions(request: AppRequest, tier_policy_code: str) -> list[CreditVersionOut]:
    _ctx(request, VIEW)
    return _versions(TierPolicy, tier_policy_code)


@router.patch(
    "/risk/tier-policies/{tier_policy_code}",
    response={200: CreditTierPolicyOut, 202: CreditCatalogueChangeOut},
    summary="Change a tier policy (lowering protection waits for a second risk officer: 202)",
)
def change_policy(request: AppRequest, tier_policy_code: str, payload: CreditTierPolicyChangeIn) -> Status[Any]:
    ctx = _ctx(request, CHANGE)
    data = payload.dict(exclude_unset=True, exclude={"reason"})
    result = rule_catalogue.change_policy(ctx=ctx, code=tier_policy_code, data=data, reason=payload.reason)
    if isinstance(result, TierPolicy):
        return Status(200, CreditTierPolicyOut.of(result))
    return Status(202, _change("policy", result))


# --- Changes waiting for a second risk officer ----------------------------------------------------------------------


@router.get(
    "/risk/catalogue-changes", response=list[CreditCatalogueChangeOut], summary="Changes to the rules and tier policies (default: pending)"
)
def list_changes(request: AppRequest, query: Query[CreditChangeQuery]) -> list[CreditCatalogueChangeOut]:
    _ctx(request, VIEW)
    found: list[CreditCatalogueChangeOut] = []
    kinds: tuple[ChangeKind, ...] = ("rule", "policy")
    for kind in kinds:
        rows = rule_catalogue.FLOWS[kind].change_model._default_manager.select_related("proposed_by", "decided_by")
        if query.status != "all":
            rows = rows.filter(status=query.status)
        found += [_change(kind, c) for c in rows.order_by("-proposed_at")[:LIST_LIMIT]]
    return sorted(found, key=lambda c: c.proposed_at, reverse=True)[:LIST_LIMIT]


@router.post(
    "/risk/catalogue-changes/{kind}/{credit_change_id}/approve",
    response=CreditCatalogueChangeOut,
    summary="Approve a change another risk officer proposed: it becomes the next version",
)
def approve_change(
    request: AppRequest, kind: ChangeKind, credit_change_id: uuid.UUID, payload: CreditDecisionIn
) -> CreditCatalogueChangeOut:
    ctx = _ctx(request, CHANGE)
    rule_catalogue.approve(kind, ctx=ctx, change_id=credit_change_id, reason=payload.reason)
    return _decided(kind, credit_change_id)


@router.post(
    "/risk/catalogue-changes/{kind}/{credit_change_id}/reject",
    response=CreditCatalogueChangeOut,
    summary="Reject a change another risk officer proposed: nothing takes effect",
)
def reject_change(
    request: AppRequest, kind: ChangeKind, credit_change_id: uuid.UUID, payload: CreditDecisionIn
) -> CreditCatalogueChangeOut:
    ctx = _ctx(request, CHANGE)
    rule_catalogue.reject(kind, ctx=ctx, change_id=credit_change_id, reason=payload.reason)
    return _decided(kind, credit_change_id)
