"""Credit reviews (定期复核, issue #16): the periodic schedule, reviews opened by other parts, and their completion.

- ``schedule_reviews(on)`` (daily in the worker) opens a periodic review for every file whose next review date is
  within the lead (``CLIENTVAULT_RISK_REVIEW_LEAD_DAYS``); one open periodic review per file is a database constraint,
  so running it twice, or twice at once, opens nothing more.
- ``open_review`` is how a critical early warning opens a WARNING review and a PIPL-24 request for human review of an
  automated decision opens a HUMAN one.
- ``complete_review`` is a risk officer's: the note is sealed under the customer's key, the file's next review date
  follows the (possibly changed) tier's interval in the tier policy in force (data, not constants).

Each write records its event in the same transaction (``credit.review_opened`` / ``credit.review_completed``); no
note, tier or date enters the audit detail.
"""

from __future__ import annotations

import calendar
import datetime as dt
import uuid
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F, QuerySet
from django.utils.translation import gettext_lazy as _

from clientvault.access.policies import CHANGE, VIEW
from clientvault.audit import recording as audit
from clientvault.core import clock
from clientvault.core.context import Context, system_context
from clientvault.core.errors import Conflict, NotFound, ValidationFailed
from clientvault.risk import vault
from clientvault.risk.models import CreditFile, CreditReview, ReviewKind, ReviewOutcome, ReviewStatus, Tier, TierPolicy

NOTE_LENGTH = 2000
POLICY_CODE = "default"
_SYSTEM = "the review schedule reaches every file (system context: no person's sight is widened)"


def add_months(day: dt.date, months: int) -> dt.date:
    """``day`` plus ``months`` calendar months, clamped to the month's last day (31 Jan + 1 → 28/29 Feb)."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return day.replace(year=year, month=month, day=min(day.day, calendar.monthrange(year, month)[1]))


def review_months(tier: str) -> int:
    """The review interval of a tier in the tier policy in force; a file not yet tiered is reviewed as high risk."""
    policy = TierPolicy.objects.filter(code=POLICY_CODE).first()
    if policy is None:
        raise Conflict(_("No tier policy is in force."), code="no_tier_policy")
    by_tier = {Tier.HIGH: policy.review_months_high, Tier.MEDIUM: policy.review_months_medium, Tier.LOW: policy.review_months_low}
    return int(by_tier.get(tier, policy.review_months_high))  # type: ignore[call-overload]


def _record_opened(ctx: Context, review: CreditReview, customer_id: uuid.UUID) -> None:
    audit.record(
        ctx,
        "credit.review_opened",
        obj=review,
        customer_id=customer_id,
        detail={
            "kind": review.kind,
            "credit_file": str(review.credit_file_id),
            "warning": str(review.warning_id) if review.warning_id else None,
            "score": str(review.score_id) if review.score_id else None,
        },
    )


def schedule_reviews(on: dt.date | None = None) -> int:
    """Open the periodic reviews falling due within the lead; returns how many were opened (idempotent)."""
    today = on or clock.today()
    horizon = today + dt.timedelta(days=int(settings.CLIENTVAULT_RISK_REVIEW_LEAD_DAYS))
    ctx = system_context(channel="task", purpose="credit_assessment")
    files = CreditFile.objects.unrestricted(reason=_SYSTEM)
    open_periodic = CreditReview.objects.unrestricted(reason=_SYSTEM).filter(kind=ReviewKind.PERIODIC, status=ReviewStatus.OPEN)
    due = (
        files.filter(next_review_on__isnull=False, next_review_on__lte=horizon)
        .exclude(pk__in=open_periodic.values("credit_file_id"))
        .values_list("pk", "customer_id", "next_review_on")
        .order_by("next_review_on", "pk")
    )
    opened = 0
    for file_id, customer_id, due_on in due.iterator():
        assert due_on is not None  # filtered on next_review_on__isnull=False
        with transaction.atomic():
            review = CreditReview(credit_file_id=file_id, kind=ReviewKind.PERIODIC, due_on=due_on, opened_at=clock.now())
            try:
                with transaction.atomic():
                    review.save(force_insert=True)
            except IntegrityError:  # another run opened it first (creditreview_one_open_periodic)
                continue
            _record_opened(ctx, review, customer_id)
            opened += 1
    return opened


@transaction.atomic
def open_review(
    ctx: Context,
    *,
    file_id: uuid.UUID,
    kind: str,
    due_on: dt.date,
    warning_id: uuid.UUID | None = None,
    score_id: uuid.UUID | None = None,
) -> CreditReview:
    """Open a review task on a file (a critical warning: WARNING; a PIPL-24 human review: HUMAN). A periodic one
    already open is answered as it is. The system reaches every file; a person needs ``change`` on it."""
    if kind not in ReviewKind.values:
        raise ValidationFailed({"kind": [_("Choose the kind of review.")]})
    files = CreditFile.objects.unrestricted(reason=_SYSTEM) if ctx.actor is None else CreditFile.objects.visible_to(ctx, CHANGE)
    credit_file = files.select_for_update().filter(pk=file_id).first()
    if credit_file is None:
        raise NotFound()
    if kind == ReviewKind.PERIODIC:
        existing = _open_periodic(credit_file.pk)
        if existing is not None:
            return existing
    review = CreditReview(
        credit_file=credit_file, kind=kind, due_on=due_on, warning_id=warning_id, score_id=score_id, opened_at=clock.now()
    )
    review.save(force_insert=True)
    _record_opened(ctx, review, credit_file.customer_id)
    return review


def _open_periodic(file_id: uuid.UUID) -> CreditReview | None:
    rows = CreditReview.objects.unrestricted(reason=_SYSTEM)
    found: CreditReview | None = rows.filter(credit_file_id=file_id, kind=ReviewKind.PERIODIC, status=ReviewStatus.OPEN).first()
    return found


def _clean_completion(outcome: str, note: str, tier: str | None) -> tuple[str, str]:
    errors: dict[str, list[Any]] = {}
    if outcome not in ReviewOutcome.values:
        errors["outcome"] = [_("Choose the outcome of the review.")]
    text = (note or "").strip()
    if not text:
        errors["note"] = [_("Write the review's conclusion.")]
    elif len(text) > NOTE_LENGTH:
        errors["note"] = [_("The note may be at most %(limit)d characters.") % {"limit": NOTE_LENGTH}]
    new_tier = tier or ""
    if new_tier and new_tier not in Tier.values:
        errors["tier"] = [_("Choose a risk tier.")]
    elif outcome == ReviewOutcome.CHANGED and not new_tier:
        errors["tier"] = [_("A changed decision needs the new risk tier.")]
    if errors:
        raise ValidationFailed(errors)
    return text, new_tier


@transaction.atomic
def complete_review(ctx: Context, *, review_id: uuid.UUID, outcome: str, note: str, tier: str | None = None) -> CreditReview:
    """Complete an open review: seal the note, set the tier if changed, date the next review by the tier policy."""
    text, new_tier = _clean_completion(outcome, note, tier)
    review: CreditReview | None = CreditReview.objects.visible_to(ctx, CHANGE).select_for_update().filter(pk=review_id).first()
    if review is None:
        raise NotFound()
    if review.status != ReviewStatus.OPEN:
        raise Conflict(_("This review has already been completed."), code="review_done")
    if review.kind == ReviewKind.HUMAN:  # PIPL-24: its outcome is recorded beside the score and answers the rights request
        from clientvault.risk import human_review

        return human_review.complete_human_review(ctx, review.pk, outcome, note, tier or "")
    credit_file = CreditFile.objects.unrestricted(reason=_SYSTEM).select_for_update().get(pk=review.credit_file_id)
    today = clock.today()
    tier_after = new_tier or credit_file.tier
    review.status, review.outcome, review.outcome_tier = ReviewStatus.DONE, outcome, new_tier
    review.completed_by, review.completed_at = ctx.actor, clock.now()
    vault.seal(review, "note", text, customer_id=credit_file.customer_id)
    review.save(update_fields=["status", "outcome", "outcome_tier", "completed_by", "completed_at", "note_ct"])
    next_on = add_months(today, review_months(tier_after))
    CreditFile.objects.unrestricted(reason=_SYSTEM).filter(pk=credit_file.pk).update(
        tier=tier_after, last_reviewed_on=today, next_review_on=next_on, version=F("version") + 1
    )
    audit.record(
        ctx,
        "credit.review_completed",
        obj=review,
        customer_id=credit_file.customer_id,
        fields=["note"],
        detail={
            "kind": review.kind,
            "outcome": outcome,
            "tier_changed": bool(new_tier) and new_tier != credit_file.tier,
            "credit_file": str(credit_file.pk),
        },
    )
    return review


@dataclass(frozen=True)
class ReviewRow:
    """One review in a list: ids, kind, dates and status only (nothing personal, no note)."""

    id: uuid.UUID
    credit_file_id: uuid.UUID
    kind: str
    status: str
    due_on: dt.date
    opened_at: dt.datetime
    overdue: bool


def reviews(ctx: Context, *, status: str = ReviewStatus.OPEN) -> QuerySet[CreditReview]:
    """The reviews of the files the person sees (default deny), soonest due first."""
    if status and status not in ReviewStatus.values:
        raise ValidationFailed({"status": [_("Choose open or done.")]})
    qs = CreditReview.objects.visible_to(ctx, VIEW)
    if status:
        qs = qs.filter(status=status)
    return qs.order_by("due_on", "opened_at", "id")  # type: ignore[no-any-return]


def rows(qs: QuerySet[CreditReview]) -> list[ReviewRow]:
    today = clock.today()
    return [
        ReviewRow(r.id, r.credit_file_id, r.kind, r.status, r.due_on, r.opened_at, r.status == ReviewStatus.OPEN and r.due_on < today)
        for r in qs.only("id", "credit_file_id", "kind", "status", "due_on", "opened_at")
    ]


def review_for_completion(ctx: Context, review_id: uuid.UUID) -> CreditReview:
    """An open review the person may complete (404 otherwise); no note is opened."""
    review: CreditReview | None = CreditReview.objects.visible_to(ctx, CHANGE).filter(pk=review_id).first()
    if review is None:
        raise NotFound()
    return review
