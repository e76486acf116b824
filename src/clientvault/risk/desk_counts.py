"""What waits for a risk officer today, as counts for the home page (issue #16): open early warnings (critical among
them), reviews due (overdue among them), and credit-control catalogue changes waiting for a second risk officer that
someone else proposed. Counts over the files the person may see (the ``credit`` policy); no customer, no value — so,
like the home page's other counts, no read event."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from clientvault.access.policies import VIEW
from clientvault.core import clock
from clientvault.core.capabilities import CHANGE, CREDIT_RULES, RISK_DESK, allows
from clientvault.core.context import Context
from clientvault.risk.models import (
    ControlRuleChange,
    CreditReview,
    EarlyWarning,
    ReviewStatus,
    Severity,
    TierPolicyChange,
    WarningStatus,
)
from clientvault.risk.selectors import REVIEW_HORIZON_DAYS


@dataclass(frozen=True)
class DeskCounts:
    warnings_open: int
    warnings_critical: int
    reviews_due: int
    reviews_overdue: int
    rule_changes_waiting: int | None  # None: the person does not decide catalogue changes


def desk_counts(ctx: Context) -> DeskCounts | None:
    """The counts for someone who works the risk desk (``RISK_DESK`` change); None for everyone else."""
    if ctx.actor is None or not allows(ctx.roles, RISK_DESK, CHANGE):
        return None
    today = clock.today()
    warnings = EarlyWarning.objects.visible_to(ctx, VIEW).filter(status=WarningStatus.OPEN)
    reviews = CreditReview.objects.visible_to(ctx, VIEW).filter(
        status=ReviewStatus.OPEN, due_on__lte=today + dt.timedelta(days=REVIEW_HORIZON_DAYS)
    )
    waiting = None
    if allows(ctx.roles, CREDIT_RULES, CHANGE):
        waiting = sum(
            model.objects.filter(status=model.Status.PENDING).exclude(proposed_by_id=ctx.actor_id).count()
            for model in (ControlRuleChange, TierPolicyChange)
        )
    return DeskCounts(
        warnings_open=warnings.count(),
        warnings_critical=warnings.filter(severity=Severity.CRITICAL).count(),
        reviews_due=reviews.count(),
        reviews_overdue=reviews.filter(due_on__lt=today).count(),
        rule_changes_waiting=waiting,
    )
