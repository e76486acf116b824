"""What an erasure (PIPL-47, lifecycle/erasure.py) does with a customer's credit file: deletes it and everything
under it. Limits, terms, the tier, score totals and the evaluation's figures are plaintext C2 columns (RULES.md §10):
crypto-shredding the customer's key would leave them readable beside the tombstone, so they go with the record.

An erasure runs only when no legal hold applies (a customer with assets is restricted under the AML hold instead),
so nothing here is kept for a legal duty. Children are deleted before what they point at: a review protects its
score and warning, a hold its warning.

The customer's credit change requests (limits, terms, hold releases) stay as the maker-checker trail, their values
sealed under the destroyed key; the plaintext routing facts that carry credit data (the amount, the tier) are
blanked, and a request still open is cancelled (``approval.cancelled``): nobody could apply it any more. A human
review the customer asked for (PIPL-24) and nobody completed ends its rights request's part with the outcome
``customer_erased``, so the request closes instead of running overdue with nothing left to review.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from clientvault.approvals import services as approval_services
from clientvault.approvals.models import ChangeRequest
from clientvault.core.context import Context
from clientvault.rights import fulfilment as rights_fulfilment
from clientvault.rights.choices import PartKind
from clientvault.risk.models import CreditFile, CreditHold, CreditLimit, CreditReview, CreditScore, EarlyWarning, PaymentTerms, ReviewStatus

_REASON = "erasure: the customer's credit data is deleted with the record (PIPL-47)"


def delete_credit_data(ctx: Context, customer_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, int]:
    """Delete the credit files of ``customer_ids`` with their limits, terms, scores, holds, reviews and warnings, close
    and blank their credit change requests; answer how many files each customer had (0 or 1). Runs inside the erasure
    step's transaction."""
    customers = list(customer_ids)
    _close_requests(ctx, customers)
    files = CreditFile.objects.unrestricted(reason=_REASON).filter(customer_id__in=customers)
    owners = dict(files.values_list("pk", "customer_id"))
    if not owners:
        return {}
    ids = list(owners)
    _end_human_reviews(ctx, ids)
    for model in (CreditReview, CreditHold, EarlyWarning, CreditScore, CreditLimit, PaymentTerms):
        model.objects.unrestricted(reason=_REASON).filter(credit_file_id__in=ids).delete()
    CreditFile.objects.unrestricted(reason=_REASON).filter(pk__in=ids).delete()
    counts: dict[uuid.UUID, int] = {}
    for customer_id in owners.values():
        counts[customer_id] = counts.get(customer_id, 0) + 1
    return counts


def _close_requests(ctx: Context, customers: list[uuid.UUID]) -> None:
    requests = ChangeRequest.objects.unrestricted(reason=_REASON).filter(subject_id__in=customers, change_type__startswith="risk.")
    still_open = (ChangeRequest.Status.DRAFT, ChangeRequest.Status.SUBMITTED)
    for request_id in requests.filter(status__in=still_open).values_list("pk", flat=True):
        approval_services.cancel(ctx, request_id, reason="customer_erased")
    for request_id, facts in requests.values_list("pk", "facts"):
        if (facts or {}).get("amount_minor") is not None or (facts or {}).get("risk"):
            blanked = {**facts, "amount_minor": None, "risk": ""}
            ChangeRequest.objects.unrestricted(reason=_REASON).filter(pk=request_id).update(facts=blanked)


def _end_human_reviews(ctx: Context, file_ids: list[uuid.UUID]) -> None:
    reviews = CreditReview.objects.unrestricted(reason=_REASON).filter(
        credit_file_id__in=file_ids, status=ReviewStatus.OPEN, rights_request__isnull=False
    )
    for review_id, request_id in reviews.values_list("pk", "rights_request_id"):
        rights_fulfilment.complete_linked_part(
            ctx, request_id=request_id, part_kind=PartKind.HUMAN_REVIEW, ref=str(review_id), detail={"outcome": "customer_erased"}
        )
