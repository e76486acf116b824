"""A person reviews an automated credit decision when the customer asks (PIPL-24, GDPR-22(3)).

- ``open_human_review``: the customer, signed in to the portal, asks about one of their scores, optionally with
  their view in words. It becomes a data-subject request of kind ``human_review`` with its clock (the rights app's
  deadline policy for the channel: data, seeded; the view is sealed in the request's details under the customer's
  key) and a ``CreditReview`` of kind ``human`` linked to the score and the request. Asking again while a review of
  the file is open answers with the open one (``created`` False) — one clock, one review.
- ``review_case``: what the reviewing risk officer reads — the automated tier and reasons and the customer's view —
  decided per field by the disclosure plan, recorded as ``credit.human_review_viewed``.
- ``complete_human_review``: a risk officer — a person, never the system — confirms or changes the decision. The
  outcome and the tier after review are recorded beside the automated score (the review row; the score row is never
  rewritten); if changed, the file's tier follows the person's decision. The reviewer's note is sealed and is the
  reason given to the customer, who reads it in the portal. The rights request's part is done and the request
  settles (``rights.fulfilment.complete_linked_part``), so it ends done.

Every write records its event in its transaction: ``credit.human_review_requested`` / ``credit.human_review_completed``
(ids and codes only: never the view, the note or a tier), with the rights app's own ``rights.request_submitted``,
``rights.part_done`` and ``rights.request_done``.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import NamedTuple

from django.db import transaction
from django.db.models import F
from django.utils.translation import gettext as _

from clientvault.access.plan import disclosure_plan
from clientvault.access.policies import CHANGE, CREDIT, VIEW, Decision
from clientvault.audit import recording as audit
from clientvault.core import clock
from clientvault.core.capabilities import RISK_DESK, allows
from clientvault.core.context import Context
from clientvault.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from clientvault.customers import disclosure
from clientvault.rights import fulfilment as rights_fulfilment
from clientvault.rights import requests as rights_requests
from clientvault.rights.choices import PartKind, RequestChannel, RequestKind
from clientvault.risk import explanation, vault
from clientvault.risk.models import CreditFile, CreditReview, CreditScore, ReviewKind, ReviewOutcome, ReviewStatus, Tier

VIEW_LENGTH = 4000
NOTE_LENGTH = 2000
_LOCK = "serialise a customer's requests for review of their own credit file (one open review at a time)"


# What the reviewing officer reads, decided per field like every credit read (the customer's own words are credit
# information about them, classified as a review note: C2, hidden when not shown in clear).
CASE_FIELDS = {"reasons": "creditscore.record", "view": "creditreview.note"}


class Asked(NamedTuple):
    review: CreditReview
    created: bool  # False: a review of this file was already open, and this is it


def _due_on(request_due: dt.date | None, outer_due: dt.date | None) -> dt.date:
    """The review is due when the request is (the outer limit when the calendar does not cover the working days)."""
    return request_due or outer_due or clock.today() + dt.timedelta(days=30)


@transaction.atomic
def open_human_review(ctx: Context, *, score_id: uuid.UUID, view: str = "", language: str = "zh-hans") -> Asked:
    """Ask for a person to review one of the signed-in customer's own scores (another's: 404 like missing)."""
    if ctx.actor is not None or not ctx.subject_ids:
        raise NotFound()  # the person asks for themselves, from the portal
    view = (view or "").strip()
    if len(view) > VIEW_LENGTH:
        raise ValidationFailed({"view": [_("Your view may be at most %(limit)d characters.") % {"limit": VIEW_LENGTH}]})
    score = CreditScore.objects.visible_to(ctx).filter(pk=score_id).first()
    if score is None:
        raise NotFound()
    credit_file = CreditFile.objects.unrestricted(reason=_LOCK).select_for_update().get(pk=score.credit_file_id)
    reviews = CreditReview.objects.unrestricted(reason="is a review of the customer's own file already open (PIPL-24)")
    existing = reviews.filter(credit_file=credit_file, kind=ReviewKind.HUMAN, status=ReviewStatus.OPEN).order_by("opened_at").first()
    if existing is not None:
        return Asked(existing, False)
    request = rights_requests.submit_request(
        ctx=ctx,
        customer_id=credit_file.customer_id,
        kind=RequestKind.HUMAN_REVIEW,
        channel=RequestChannel.PORTAL,
        text=view,
        language=language,
        linked=True,
    )
    review = CreditReview(
        credit_file=credit_file,
        kind=ReviewKind.HUMAN,
        due_on=_due_on(request.due_on, request.outer_due_on),
        score=score,
        rights_request=request,
        opened_at=clock.now(),
    )
    review.save(force_insert=True)
    detail = {"score": str(score.pk), "rights_request": str(request.pk), "with_view": bool(view), "credit_file": str(credit_file.pk)}
    audit.record(ctx, "credit.human_review_requested", obj=review, customer_id=credit_file.customer_id, detail=detail)
    return Asked(review, True)


def _clean(outcome: str, note: str, tier: str, automated_tier: str) -> str:
    """The tier after review, or ValidationFailed: "changed" names a tier other than the automated one; "confirmed"
    keeps it; the person always says why (the reason the customer is given)."""
    errors: dict[str, list[str]] = {}
    after = ""
    if outcome not in ReviewOutcome.values:
        errors["outcome"] = [_("Choose whether the decision is confirmed or changed.")]
    elif outcome == ReviewOutcome.CHANGED:
        if tier not in Tier.values:
            errors["tier"] = [_("Choose the tier you decide on.")]
        elif tier == automated_tier:
            errors["tier"] = [_("That is the automated decision's tier: confirm it instead.")]
        after = tier
    else:
        if tier and tier != automated_tier:
            errors["tier"] = [_("A confirmed decision keeps the automated tier; choose changed to set another.")]
        after = automated_tier
    if not note:
        errors["note"] = [_("Give the reasons for your decision; the customer reads them.")]
    elif len(note) > NOTE_LENGTH:
        errors["note"] = [_("The note may be at most %(limit)d characters.") % {"limit": NOTE_LENGTH}]
    if errors:
        raise ValidationFailed(errors)
    return after


@transaction.atomic
def complete_human_review(ctx: Context, review_id: uuid.UUID, outcome: str, note: str, tier: str = "") -> CreditReview:
    """A risk officer confirms or changes the automated decision; recorded beside it, the request ends done."""
    if ctx.actor is None or not ctx.actor.is_active:
        raise PermissionDenied(_("A person reviews an automated decision, never the system."))  # PIPL-24
    if not allows(ctx.roles, RISK_DESK, CHANGE):
        raise PermissionDenied()
    review: CreditReview | None = (
        CreditReview.objects.visible_to(ctx, CHANGE)
        .select_for_update(of=("self",))  # PostgreSQL: no FOR UPDATE on the nullable side of the join to the score
        .select_related("credit_file", "score")
        .filter(pk=review_id, kind=ReviewKind.HUMAN)
        .first()
    )
    if review is None or review.score is None:
        raise NotFound()
    if review.status != ReviewStatus.OPEN:
        raise Conflict(_("This review is already completed."), code="review_done")
    note = (note or "").strip()
    after = _clean(outcome, note, (tier or "").strip(), review.score.tier)
    credit_file = CreditFile.objects.unrestricted(reason=_LOCK).select_for_update().get(pk=review.credit_file_id)
    changed = outcome == ReviewOutcome.CHANGED and credit_file.tier != after
    if outcome == ReviewOutcome.CHANGED:
        # The person's decision stands over the automated one; the score row keeps what the scorecard said.
        CreditFile.objects.unrestricted(reason="a person's review decides the file's tier (PIPL-24)").filter(pk=credit_file.pk).update(
            tier=after, version=F("version") + 1
        )
    review.status, review.outcome, review.outcome_tier = ReviewStatus.DONE, outcome, after
    review.completed_by, review.completed_at = ctx.actor, clock.now()
    vault.seal(review, "note", note, customer_id=credit_file.customer_id)
    review.save(update_fields=["status", "outcome", "outcome_tier", "completed_by", "completed_at", "note_ct"])
    detail = {
        "outcome": str(outcome),
        "tier_changed": changed,
        "score": str(review.score_id),
        "rights_request": str(review.rights_request_id) if review.rights_request_id else None,
        "credit_file": str(credit_file.pk),
    }
    audit.record(
        ctx,
        "credit.human_review_completed",
        obj=review,
        customer_id=credit_file.customer_id,
        fields=["outcome", "outcome_tier", "note"],
        detail=detail,
    )
    if review.rights_request_id is not None:
        # A request compliance refused stays refused; the person's decision is still recorded beside the score.
        rights_fulfilment.complete_linked_part(
            ctx, request_id=review.rights_request_id, part_kind=PartKind.HUMAN_REVIEW, ref=str(review.pk), detail={"outcome": str(outcome)}
        )
    return review


class ReviewCase(NamedTuple):
    """A human review as the reviewing risk officer reads it: None where the disclosure plan withholds."""

    review: CreditReview
    automated_tier: str
    reasons: tuple[explanation.Reason, ...] | None
    view: str | None  # the customer's own words ("" when they gave none)


@transaction.atomic
def review_case(ctx: Context, review_id: uuid.UUID, language: str) -> ReviewCase:
    """The automated decision under review (tier, reasons in plain words) and the customer's view, for a risk officer."""
    if ctx.actor is None or not allows(ctx.roles, RISK_DESK, VIEW):
        raise PermissionDenied()
    review: CreditReview | None = (
        CreditReview.objects.visible_to(ctx, VIEW)
        .select_related("credit_file__customer", "score", "rights_request")
        .filter(pk=review_id, kind=ReviewKind.HUMAN)
        .first()
    )
    if review is None or review.score is None:
        raise NotFound()
    customer = review.credit_file.customer
    the_plan = disclosure_plan(ctx, disclosure.rows_of([customer]), CASE_FIELDS, CREDIT)
    plan = the_plan[customer.pk]
    shown = [name for name in CASE_FIELDS if plan[name].decision is Decision.PLAIN]
    reasons: tuple[explanation.Reason, ...] | None = None
    if "reasons" in shown:
        record = vault.open_json(review.score, "record", customer_id=customer.pk) or {}
        spec = explanation.scorecard_spec()
        codes = [str(c) for c in record.get("reason_codes") or []]
        reasons = tuple(explanation.Reason(c, explanation.reason_line(spec, c, language)) for c in codes)
    view: str | None = None
    if "view" in shown:
        view = str(rights_requests.details_of(review.rights_request).get("text") or "") if review.rights_request else ""
    detail = {"score": str(review.score_id), "status": str(review.status), "disclosure": the_plan.audit_codes()}
    audit.record(ctx, "credit.human_review_viewed", obj=review, customer_id=customer.pk, fields=shown, detail=detail)
    return ReviewCase(review, review.score.tier, reasons, view)
