"""An erasure (PIPL-47) deletes the customer's credit file and everything under it — limits, terms, scores, holds,
reviews and warnings — on the single path and in the sweep's chunked path, and the signed certificate counts it.
Those rows hold plaintext C2 columns (RULES.md §10) that crypto-shredding alone would leave beside the tombstone."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest

from clientvault.approvals import services as approvals
from clientvault.approvals.models import ChangeRequest
from clientvault.core import clock
from clientvault.customers.models import Customer
from clientvault.lifecycle import batch, erasure, services
from clientvault.lifecycle.models import DeletionCertificate, Erasure, ErasureState, RetentionRule
from clientvault.lifecycle.tests.support import SYSTEM, no_approval, prospect
from clientvault.rights.choices import PartKind, PartStatus, Status
from clientvault.rights.models import RequestPart, RightsRequest
from clientvault.risk import human_review, limits
from clientvault.risk.models import CreditFile, CreditHold, CreditLimit, CreditReview, CreditScore, EarlyWarning, PaymentTerms
from clientvault.risk.tests import desk
from clientvault.risk.tests.credit_factory import credit_file, credit_score
from clientvault.risk.tests.limits_support import second_risk_officer
from clientvault.testing.actors import ctx, subject_ctx
from clientvault.testing.organisation import Org

pytestmark = pytest.mark.django_db
REASON = "test assertion"
CHILDREN = (CreditLimit, PaymentTerms, CreditScore, CreditHold, CreditReview, EarlyWarning)


def _full_file(customer: Customer) -> CreditFile:
    """A file with one of everything, the protected references included (a review of a score and a warning, a hold
    placed by that warning)."""
    f = desk.credit_file(customer, tier="high", evaluation={"figures": {"exposure": 500_000, "days_overdue": 40}})
    desk.limit(f, 1_000_000)
    desk.terms(f, 45)
    score = desk.score(f, tier="high")
    warning = desk.warning(f, "overdue", "critical")
    hold = desk.hold(f, "诉讼中")
    CreditHold.objects.unrestricted(reason=REASON).filter(pk=hold.pk).update(warning=warning)
    review = desk.review(f, clock.today() + dt.timedelta(days=10))
    CreditReview.objects.unrestricted(reason=REASON).filter(pk=review.pk).update(score=score, warning=warning)
    return f


def _nothing_left(f: CreditFile) -> None:
    assert not CreditFile.objects.unrestricted(reason=REASON).filter(pk=f.pk).exists()
    for model in CHILDREN:
        assert not model.objects.unrestricted(reason=REASON).filter(credit_file_id=f.pk).exists(), model.__name__


@no_approval
def test_an_erasure_deletes_the_credit_file_and_everything_under_it(org: Org, audit_events: Any) -> None:
    c = prospect(org["rep_bj1"], name="王芳")
    f = _full_file(c)
    other = _full_file(prospect(org["rep_bj1"], name="赵磊"))
    services.erase_on_request(ctx(org["compliance"]), customer_id=c.pk, request_ref="req-credit")
    assert erasure.run(Erasure.objects.get(request_ref="req-credit").pk) == ErasureState.DELETED
    _nothing_left(f)
    assert CreditFile.objects.unrestricted(reason=REASON).filter(pk=other.pk).exists()  # only the erased customer's
    assert all(m.objects.unrestricted(reason=REASON).filter(credit_file_id=other.pk).exists() for m in CHILDREN)
    body = json.loads(DeletionCertificate.objects.get(customer_id=c.pk).document)
    assert body["rows"]["risk.creditfile"] == {"deleted": 1}
    kept = {x["what"] for x in body["exemptions"]}
    assert "risk.creditfile" not in kept and {"approvals.changerequest", "consents.consent"} <= kept  # each with its basis
    [erased] = audit_events("lifecycle.customer_erased")
    assert "risk.creditfile" in erased.detail["tables"]


@no_approval
def test_a_customer_without_a_credit_file_is_erased_as_before(org: Org) -> None:
    c = prospect(org["rep_bj1"])
    services.erase_on_request(ctx(org["compliance"]), customer_id=c.pk, request_ref="req-none")
    assert erasure.run(Erasure.objects.get(request_ref="req-none").pk) == ErasureState.DELETED
    assert json.loads(DeletionCertificate.objects.get(customer_id=c.pk).document)["rows"]["risk.creditfile"] == {"deleted": 0}


def test_the_sweeps_chunked_erasure_deletes_credit_files_too(org: Org) -> None:
    customers = [prospect(org["rep_bj1"]) for _ in range(3)]
    files = [_full_file(c) for c in customers[:2]]
    codes = list(RetentionRule.objects.filter(category="profile").values_list("code", flat=True))
    ids = [Erasure.objects.create(customer_id=c.pk, trigger=Erasure.Trigger.SWEEP, rule_codes=codes).pk for c in customers]
    assert batch.run_many(ids, ctx=SYSTEM) == {ErasureState.DELETED: 3}
    for f in files:
        _nothing_left(f)
    rows = {c.pk: json.loads(DeletionCertificate.objects.get(customer_id=c.pk).document)["rows"] for c in customers}
    assert [rows[c.pk]["risk.creditfile"] for c in customers] == [{"deleted": 1}, {"deleted": 1}, {"deleted": 0}]


@no_approval
def test_the_customers_credit_change_requests_are_closed_and_their_credit_facts_blanked(org: Org, audit_events: Any) -> None:
    """The requests stay as the maker-checker trail (values sealed under the destroyed key), but the routing facts
    held the limit and the tier in plaintext: blanked. One still waiting is cancelled: nobody could apply it."""
    c = prospect(org["rep_bj1"], name="钱多")
    f = _full_file(c)
    applied = limits.propose_limit(
        ctx(org["risk"]), file_id=f.pk, kind="permanent", amount_minor=2_000_000, valid_from=None, valid_until=None, reason="授信"
    )
    approvals.approve(ctx(second_risk_officer(org)), applied.pk)
    waiting = limits.propose_limit(
        ctx(org["risk"]), file_id=f.pk, kind="permanent", amount_minor=3_000_000, valid_from=None, valid_until=None, reason="提额"
    )
    rows = ChangeRequest.objects.unrestricted(reason=REASON)
    assert rows.get(pk=waiting.pk).facts["amount_minor"] == 3_000_000 and rows.get(pk=waiting.pk).facts["risk"] == "high"
    services.erase_on_request(ctx(org["compliance"]), customer_id=c.pk, request_ref="req-requests")
    assert erasure.run(Erasure.objects.get(request_ref="req-requests").pk) == ErasureState.DELETED
    assert rows.get(pk=waiting.pk).status == ChangeRequest.Status.WITHDRAWN
    assert rows.get(pk=applied.pk).status == ChangeRequest.Status.APPLIED
    for pk in (applied.pk, waiting.pk):
        facts = rows.get(pk=pk).facts
        assert facts["amount_minor"] is None and facts["risk"] == "", facts
    assert [e.object_id for e in audit_events("approval.cancelled")] == [str(waiting.pk)]


@no_approval
def test_a_human_review_nobody_completed_ends_its_rights_request_when_the_customer_is_erased(org: Org, audit_events: Any) -> None:
    """PIPL-24: the customer asked for a person to review the score, then was erased. The review is gone with the file;
    its rights request's part ends with the outcome customer_erased and the request closes, instead of running overdue
    with nothing left to review."""
    c = prospect(org["rep_bj1"], name="孙丽")
    score = credit_score(credit_file(c))
    asked = human_review.open_human_review(subject_ctx(c), score_id=score.pk, view="请人工复核")
    services.erase_on_request(ctx(org["compliance"]), customer_id=c.pk, request_ref="req-review")
    assert erasure.run(Erasure.objects.get(request_ref="req-review").pk) == ErasureState.DELETED
    assert asked.review.rights_request_id is not None
    request = RightsRequest.objects.unrestricted(reason=REASON).get(pk=asked.review.rights_request_id)
    assert request.status == Status.DONE
    part = RequestPart.objects.unrestricted(reason=REASON).get(request=request, kind=PartKind.HUMAN_REVIEW)
    assert part.status == PartStatus.DONE
    [done] = [e for e in audit_events("rights.part_done") if e.detail.get("part") == PartKind.HUMAN_REVIEW]
    assert done.detail["outcome"] == "customer_erased"
