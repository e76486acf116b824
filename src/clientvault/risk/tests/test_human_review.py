"""PIPL-24 / GDPR-22(3): the customer asks for a person to review an automated credit decision — a data-subject
request with a clock and a human review linked to the score — and a risk officer (a person, never the system)
confirms or changes it; the outcome stands beside the automated score and the request ends done."""

from __future__ import annotations

import json
from typing import Any

import pytest

from clientvault.core.context import system_context
from clientvault.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from clientvault.rights import fulfilment, requests
from clientvault.rights.choices import PartKind, PartStatus, RequestKind, Status
from clientvault.rights.models import RequestPart, RightsRequest
from clientvault.rights.request_forms import RequestDetailsForm
from clientvault.risk import explanation, human_review, vault
from clientvault.risk.models import CreditFile, CreditReview, CreditScore, ReviewKind, ReviewStatus
from clientvault.risk.tests.credit_factory import credit_file, credit_score
from clientvault.testing.actors import ctx, subject_ctx
from clientvault.testing.customers import all_rows, customer
from clientvault.testing.organisation import Org

pytestmark = pytest.mark.django_db

VIEW = "我上个月已经还清了逾期款项，请人工复核。"
NOTE = "已核实客户于上月结清逾期，调整为中风险。"


@pytest.fixture
def scored(org: Org) -> tuple[Any, CreditScore]:
    c = customer(org["rep_bj1"])
    return c, credit_score(credit_file(c))


def _requests() -> list[RightsRequest]:
    return list(all_rows(RightsRequest))


def _reviews() -> list[CreditReview]:
    return list(all_rows(CreditReview))


def test_asking_opens_one_request_with_a_clock_and_one_review(scored: Any, audit_events: Any) -> None:
    c, s = scored
    asked = human_review.open_human_review(subject_ctx(c), score_id=s.pk, view=VIEW, language="zh-hans")
    assert asked.created
    [request] = _requests()
    [review] = _reviews()
    assert request.kind == RequestKind.HUMAN_REVIEW and request.channel == "portal" and request.status == Status.IN_PROGRESS
    assert request.subject_id == c.pk and (request.due_on or request.outer_due_on) is not None  # the clock runs
    assert requests.details_of(request)["text"] == VIEW  # the customer's view, sealed in the request
    assert review.pk == asked.review.pk and review.kind == ReviewKind.HUMAN and review.status == ReviewStatus.OPEN
    assert review.score_id == s.pk and review.rights_request_id == request.pk
    assert review.due_on == (request.due_on or request.outer_due_on)
    types = [e.event_type for e in audit_events()]
    assert types.count("rights.request_submitted") == 1 and types.count("credit.human_review_requested") == 1
    [event] = audit_events("credit.human_review_requested")
    assert event.customer_id == c.pk and event.detail["rights_request"] == str(request.pk) and event.detail["with_view"] is True
    assert VIEW not in json.dumps([e.detail for e in audit_events()], ensure_ascii=False)


def test_asking_twice_while_one_is_open_answers_with_the_open_one(scored: Any, audit_events: Any) -> None:
    c, s = scored
    first = human_review.open_human_review(subject_ctx(c), score_id=s.pk)
    again = human_review.open_human_review(subject_ctx(c), score_id=s.pk, view="再问一次")
    assert not again.created and again.review.pk == first.review.pk
    assert len(_requests()) == 1 and len(_reviews()) == 1
    assert len(audit_events("credit.human_review_requested")) == 1
    assert explanation.explain_score(subject_ctx(c), s.pk, "en").open_review is not None


def test_only_the_person_asks_about_their_own_score(org: Org, scored: Any) -> None:
    c, s = scored
    other = customer(org["rep_bj1"])
    with pytest.raises(NotFound):
        human_review.open_human_review(subject_ctx(other), score_id=s.pk)
    with pytest.raises(NotFound):
        human_review.open_human_review(ctx(org["risk"]), score_id=s.pk)
    with pytest.raises(ValidationFailed):
        human_review.open_human_review(subject_ctx(c), score_id=s.pk, view="x" * (human_review.VIEW_LENGTH + 1))
    assert _requests() == [] and _reviews() == []


def test_the_generic_intake_refuses_the_linked_kind(scored: Any) -> None:
    c, _s = scored
    with pytest.raises(ValidationFailed) as caught:
        requests.submit_request(ctx=subject_ctx(c), customer_id=c.pk, kind=RequestKind.HUMAN_REVIEW, channel="portal")
    assert "kind" in caught.value.fields
    assert RequestKind.HUMAN_REVIEW not in dict(RequestDetailsForm().fields["kind"].choices)  # type: ignore[attr-defined]
    assert _requests() == []


def test_the_worker_leaves_the_review_to_a_person(scored: Any) -> None:
    c, s = scored
    asked = human_review.open_human_review(subject_ctx(c), score_id=s.pk)
    request_id = asked.review.rights_request_id
    assert request_id is not None
    assert fulfilment.fulfil(request_id) == Status.WAITING
    [part] = list(all_rows(RequestPart))
    assert part.kind == PartKind.HUMAN_REVIEW and part.status == PartStatus.WAITING
    assert fulfilment.fulfil(request_id) == Status.WAITING  # polled again: still a person's to do


def test_confirming_records_the_outcome_beside_the_score_and_closes_the_request(org: Org, scored: Any, audit_events: Any) -> None:
    c, s = scored
    asked = human_review.open_human_review(subject_ctx(c), score_id=s.pk, view=VIEW)
    assert asked.review.rights_request_id is not None
    fulfilment.fulfil(asked.review.rights_request_id)  # the worker ran first: the part waits
    before = len(audit_events())
    done = human_review.complete_human_review(ctx(org["risk"]), asked.review.pk, "confirmed", NOTE)
    assert done.status == ReviewStatus.DONE and done.outcome == "confirmed" and done.outcome_tier == s.tier
    assert done.completed_by == org["risk"] and vault.open_text(done, "note") == NOTE
    [request] = _requests()
    assert request.status == Status.DONE and request.closed_at is not None
    [part] = list(all_rows(RequestPart))
    assert part.status == PartStatus.DONE and part.result_ref == str(done.pk)
    events = audit_events()[before:]
    assert [e.event_type for e in events] == ["credit.human_review_completed", "rights.part_done", "rights.request_done"]
    assert events[0].actor_username == "risk" and events[1].actor_username == "risk"  # the person, not the system
    assert events[0].detail["outcome"] == "confirmed" and events[0].detail["tier_changed"] is False
    payload = json.dumps([e.detail for e in events], ensure_ascii=False)
    assert NOTE not in payload and VIEW not in payload and '"high"' not in payload
    unchanged = CreditFile.objects.unrestricted(reason="test").get(pk=s.credit_file_id)
    assert unchanged.tier == s.tier


def test_changing_the_decision_moves_the_file_tier_and_the_portal_shows_both(org: Org, scored: Any, audit_events: Any) -> None:
    c, s = scored
    asked = human_review.open_human_review(subject_ctx(c), score_id=s.pk, view=VIEW)
    version = CreditFile.objects.unrestricted(reason="test").get(pk=s.credit_file_id).version
    human_review.complete_human_review(ctx(org["risk"]), asked.review.pk, "changed", NOTE, "medium")
    f = CreditFile.objects.unrestricted(reason="test").get(pk=s.credit_file_id)
    assert f.tier == "medium" and f.version == version + 1
    assert CreditScore.objects.unrestricted(reason="test").get(pk=s.pk).tier == "high"  # the automated decision stays as it was
    assert audit_events("credit.human_review_completed")[0].detail["tier_changed"] is True
    shown = explanation.explain_score(subject_ctx(c), s.pk, "en")
    assert shown.tier == "high" and shown.current_tier == "medium" and shown.open_review is None
    [review] = shown.reviews
    assert review.outcome == "changed" and review.tier == "medium" and review.note == NOTE
    assert _requests()[0].status == Status.DONE


def test_a_person_with_the_risk_desk_completes_it_once(org: Org, scored: Any) -> None:
    c, s = scored
    review = human_review.open_human_review(subject_ctx(c), score_id=s.pk).review
    with pytest.raises(PermissionDenied):  # never the system
        human_review.complete_human_review(system_context(channel="task", purpose="credit_assessment"), review.pk, "confirmed", NOTE)
    with pytest.raises(PermissionDenied):  # a sales rep has no risk desk
        human_review.complete_human_review(ctx(org["rep_bj1"]), review.pk, "confirmed", NOTE)
    with pytest.raises(NotFound):  # another legal entity's risk officer: out of scope == missing
        human_review.complete_human_review(ctx(org["risk_other"]), review.pk, "confirmed", NOTE)
    for outcome, note, tier, field in [
        ("maybe", NOTE, "", "outcome"),
        ("confirmed", "", "", "note"),
        ("changed", NOTE, "high", "tier"),  # the automated tier: that is a confirmation
        ("changed", NOTE, "", "tier"),
        ("confirmed", NOTE, "low", "tier"),
    ]:
        with pytest.raises(ValidationFailed) as caught:
            human_review.complete_human_review(ctx(org["risk"]), review.pk, outcome, note, tier)
        assert field in caught.value.fields
    human_review.complete_human_review(ctx(org["risk"]), review.pk, "confirmed", NOTE)
    with pytest.raises(Conflict):
        human_review.complete_human_review(ctx(org["risk"]), review.pk, "changed", NOTE, "low")
    # Asked again after the review ended: a new request and a new review.
    again = human_review.open_human_review(subject_ctx(c), score_id=s.pk)
    assert again.created and len(_requests()) == 2 and len(_reviews()) == 2


def test_the_reviewing_officer_reads_the_decision_and_the_customers_view(org: Org, scored: Any, audit_events: Any) -> None:
    c, s = scored
    review = human_review.open_human_review(subject_ctx(c), score_id=s.pk, view=VIEW).review
    case = human_review.review_case(ctx(org["risk"]), review.pk, "zh-hans")
    assert case.view == VIEW and case.automated_tier == "high" and case.review.pk == review.pk
    portal_view = explanation.explain_score(subject_ctx(c), s.pk, "zh-hans")
    assert case.reasons is not None and case.reasons[: len(portal_view.reasons)] == portal_view.reasons  # the same words
    [event] = audit_events("credit.human_review_viewed")
    assert event.actor_username == "risk" and set(event.fields) == {"reasons", "view"} and event.customer_id == c.pk
    assert VIEW not in json.dumps(event.detail, ensure_ascii=False)
    with pytest.raises(PermissionDenied):
        human_review.review_case(ctx(org["rep_bj1"]), review.pk, "en")
    with pytest.raises(NotFound):
        human_review.review_case(ctx(org["risk_other"]), review.pk, "en")


def test_a_review_whose_request_was_refused_can_still_be_completed(org: Org, scored: Any) -> None:
    c, s = scored
    review = human_review.open_human_review(subject_ctx(c), score_id=s.pk).review
    assert review.rights_request_id is not None
    requests.refuse(ctx=ctx(org["compliance"]), request_id=review.rights_request_id, code="manifestly_unfounded", text="重复申请")
    done = human_review.complete_human_review(ctx(org["risk"]), review.pk, "confirmed", NOTE)
    assert done.status == ReviewStatus.DONE
    assert _requests()[0].status == Status.REFUSED  # PIPL-50: the refusal stands


def test_the_review_completion_page_s_service_hands_a_human_review_to_the_pipl_24_path(org: Org, scored: Any) -> None:
    """``reviews.complete_review`` (the desk's review form and API) completes a human review through
    ``complete_human_review``: the rights request ends done, not only the review row."""
    from clientvault.risk import reviews as periodic

    c, s = scored
    asked = human_review.open_human_review(subject_ctx(c), score_id=s.pk)
    done = periodic.complete_review(ctx(org["risk"]), review_id=asked.review.pk, outcome="confirmed", note="维持原评估")
    assert done.status == ReviewStatus.DONE and done.outcome == "confirmed"
    [request] = _requests()
    assert request.status == Status.DONE
