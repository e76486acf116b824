"""The demo's risk officer's day (issue #16): files and limits decided by two people, loans checked against them,
a late payer held by rule and by a critical warning, a forced hold with its note, a limit change waiting for the
second risk officer, and a customer's request for a person to review the automated decision (PIPL-24)."""

from __future__ import annotations

from typing import Any

import pytest

from clientvault.approvals.models import ChangeRequest
from clientvault.core.context import for_user, system_context
from clientvault.customers import entry_review
from clientvault.customers.imports import import_customers
from clientvault.demo import assets as demo_assets
from clientvault.demo import seeding
from clientvault.demo.risk import LOANS, seed_risk_day
from clientvault.rights.choices import RequestKind, Status
from clientvault.rights.models import RightsRequest
from clientvault.risk import vault
from clientvault.risk.models import (
    ControlRule,
    ControlRuleChange,
    CreditHold,
    CreditLimit,
    CreditReview,
    CreditScore,
    EarlyWarning,
    HoldKind,
    ReviewKind,
)
from clientvault.testing.customers import all_rows
from clientvault.testing.organisation import ensure_roles

pytestmark = pytest.mark.django_db
_T = "test assertion"


def test_the_demo_risk_officers_day(settings: Any, audit_events: Any) -> None:
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    ensure_roles()
    ctx = system_context(channel="cli")
    users = seeding.build_organisation(ctx)
    import_customers(ctx=ctx, rows=seeding.customer_rows(40, users))
    entry_review.accept_imported(ctx=for_user(users["compliance"], channel="cli", purpose="compliance_review"))
    demo_assets.seed_assets(users, per_rep=3)

    day = seed_risk_day(users)

    assert len(day.files) == len(LOANS)
    # Every permanent limit was proposed by 陈刚 and approved by 许峰 (maker ≠ checker).
    limits = list(CreditLimit.objects.unrestricted(reason=_T).filter(kind="permanent"))
    assert len(limits) == len(LOANS) and all(limit.approval_id is not None for limit in limits)
    for request in all_rows(ChangeRequest).filter(change_type="risk.limit", status="applied"):
        assert request.maker_id == users["risk"].pk
    approvers = {e.actor_id for e in audit_events("approval.approved")}
    assert users["risk2"].pk in approvers and users["risk"].pk not in approvers
    # Tonight's run scored every file and evaluated its rules.
    assert CreditScore.objects.unrestricted(reason=_T).filter(trigger="nightly").count() == len(LOANS)
    # The late payer: rule holds, and a critical overdue warning that placed a forced hold and opened a review.
    late = next(f for f in day.files if f.customer_id == day.late_payer)
    held = CreditHold.objects.unrestricted(reason=_T).filter(credit_file=late, status="active")
    assert {"days-overdue", "overdue-ratio"} <= set(held.filter(kind=HoldKind.RULE).values_list("reason_code", flat=True))
    warning = EarlyWarning.objects.unrestricted(reason=_T).get(credit_file=late, kind="overdue")
    assert warning.severity == "critical"
    assert held.filter(kind=HoldKind.FORCED, warning=warning).exists()
    assert CreditReview.objects.unrestricted(reason=_T).filter(credit_file=late, kind=ReviewKind.WARNING, status="open").exists()
    # 陈刚's own forced hold carries his note, sealed.
    assert day.manual_hold is not None and day.pending_limit is not None and day.human_review is not None
    manual = CreditHold.objects.unrestricted(reason=_T).get(pk=day.manual_hold)
    assert manual.kind == HoldKind.FORCED and "诉讼" in (vault.open_text(manual, "note") or "")
    assert "诉讼".encode() not in bytes(manual.note_ct)
    # A temporary limit waits for the second risk officer.
    assert all_rows(ChangeRequest).get(pk=day.pending_limit).status == "submitted"
    # A customer asked in the portal for a person to review the automated decision: a request with a clock.
    review = CreditReview.objects.unrestricted(reason=_T).get(pk=day.human_review)
    request = all_rows(RightsRequest).get(pk=review.rights_request_id)
    assert review.kind == ReviewKind.HUMAN and review.status == "open"
    assert request.kind == RequestKind.HUMAN_REVIEW and request.status == Status.IN_PROGRESS and request.due_on is not None
    # The rules: 陈刚's tightening is in force; 许峰's loosening waits for 陈刚 (rule 12).
    assert ControlRule.objects.get(code="utilisation-warning").params == {"at": 0.75}
    assert day.rule_change is not None
    change = ControlRuleChange.objects.get(pk=day.rule_change)
    assert (change.status, change.lowers, change.proposed_by_id) == ("pending", ["params"], users["risk2"].pk)
    assert ControlRule.objects.get(code="terms-over-tier-max").params["max_days"]["medium"] == 60
