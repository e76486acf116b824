"""Credit reviews (issue #16, 定期复核): the schedule opens one periodic review per file within the lead (idempotent,
a database constraint), other parts open WARNING and HUMAN (PIPL-24) reviews, and a risk officer completes them —
note sealed, next review date from the tier policy (data), one audit event with no note or tier in it."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import IntegrityError, transaction
from django.test import override_settings

from clientvault.core import clock
from clientvault.core.context import system_context
from clientvault.core.errors import Conflict, NotFound, ValidationFailed
from clientvault.core.schedule import SCHEDULE
from clientvault.risk import reviews, vault
from clientvault.risk.models import CreditReview, ReviewKind, ReviewStatus, TierPolicy
from clientvault.risk.tests.limits_support import credit_file, reload
from clientvault.testing.actors import ctx
from clientvault.testing.organisation import Org

pytestmark = pytest.mark.django_db

DAY = dt.date(2026, 12, 1)


def _reviews(file_id: Any) -> list[CreditReview]:
    return list(CreditReview.objects.unrestricted(reason="test").filter(credit_file_id=file_id).order_by("opened_at"))


def test_add_months_clamps_to_the_month_end() -> None:
    assert reviews.add_months(dt.date(2026, 1, 31), 1) == dt.date(2026, 2, 28)
    assert reviews.add_months(dt.date(2026, 11, 30), 3) == dt.date(2027, 2, 28)
    assert reviews.add_months(dt.date(2027, 12, 15), 12) == dt.date(2028, 12, 15)


@override_settings(CLIENTVAULT_RISK_REVIEW_LEAD_DAYS=14)
def test_schedule_opens_due_files_within_the_lead_once(org: Org, audit_events: Any) -> None:
    due = credit_file(org, next_review_on=DAY + dt.timedelta(days=10))
    overdue = credit_file(org, next_review_on=DAY - dt.timedelta(days=40))
    later = credit_file(org, next_review_on=DAY + dt.timedelta(days=30))
    untiered = credit_file(org, tier="", next_review_on=None)
    assert reviews.schedule_reviews(DAY) == 2
    assert reviews.schedule_reviews(DAY) == 0  # idempotent
    [first] = _reviews(due.pk)
    assert (first.kind, first.status, first.due_on) == (ReviewKind.PERIODIC, ReviewStatus.OPEN, DAY + dt.timedelta(days=10))
    assert len(_reviews(overdue.pk)) == 1 and _reviews(later.pk) == [] and _reviews(untiered.pk) == []
    events = audit_events("credit.review_opened")
    assert len(events) == 2 and {e.customer_id for e in events} == {due.customer_id, overdue.customer_id}
    assert all(e.detail["kind"] == "periodic" and e.channel == "task" for e in events)


def test_one_open_periodic_review_per_file_is_a_database_constraint(org: Org) -> None:
    f = credit_file(org, next_review_on=DAY)
    reviews.schedule_reviews(DAY)
    with pytest.raises(IntegrityError), transaction.atomic():
        CreditReview(credit_file=f, kind=ReviewKind.PERIODIC, due_on=DAY, opened_at=clock.now()).save(force_insert=True)


def test_open_review_for_a_warning_and_a_human_review(org: Org, audit_events: Any) -> None:
    f = credit_file(org)
    warning = reviews.open_review(system_context(channel="task"), file_id=f.pk, kind=ReviewKind.WARNING, due_on=DAY)
    human = reviews.open_review(ctx(org["risk"]), file_id=f.pk, kind=ReviewKind.HUMAN, due_on=DAY)  # PIPL-24
    assert {r.kind for r in _reviews(f.pk)} == {"warning", "human"} and warning.pk != human.pk
    assert [e.detail["kind"] for e in audit_events("credit.review_opened")] == ["warning", "human"]
    periodic = reviews.open_review(ctx(org["risk"]), file_id=f.pk, kind=ReviewKind.PERIODIC, due_on=DAY)
    assert reviews.open_review(ctx(org["risk"]), file_id=f.pk, kind=ReviewKind.PERIODIC, due_on=DAY).pk == periodic.pk
    with pytest.raises(ValidationFailed):
        reviews.open_review(ctx(org["risk"]), file_id=f.pk, kind="yearly", due_on=DAY)
    with pytest.raises(NotFound):
        reviews.open_review(ctx(org["rep_bj1"]), file_id=f.pk, kind=ReviewKind.HUMAN, due_on=DAY)


def test_complete_seals_the_note_and_dates_the_next_review_by_the_tier(org: Org, audit_events: Any) -> None:
    f = credit_file(org, tier="medium", next_review_on=DAY)
    reviews.schedule_reviews(DAY)
    [review] = _reviews(f.pk)
    with clock.travel(dt.datetime(2026, 12, 2, 10, 0, tzinfo=dt.UTC)):
        done = reviews.complete_review(ctx(org["risk"]), review_id=review.pk, outcome="changed", note="经营恶化，调为高风险", tier="high")
    after = reload(f)
    policy = TierPolicy.objects.get(code="default")
    assert after.tier == "high" and after.last_reviewed_on == dt.date(2026, 12, 2)
    assert after.next_review_on == reviews.add_months(dt.date(2026, 12, 2), policy.review_months_high)
    stored = CreditReview.objects.unrestricted(reason="test").get(pk=done.pk)
    assert stored.status == "done" and stored.outcome == "changed" and stored.outcome_tier == "high"
    assert stored.completed_by_id == org["risk"].pk
    assert "经营恶化".encode() not in bytes(stored.note_ct)
    assert vault.open_text(stored, "note", customer_id=f.customer_id) == "经营恶化，调为高风险"
    [event] = audit_events("credit.review_completed")
    assert event.fields == ["note"] and event.detail["tier_changed"] is True and event.detail["outcome"] == "changed"
    assert "high" not in event.detail.values()
    # Completed: a new periodic review can be opened by the next schedule (the constraint counts open ones only).
    assert reviews.schedule_reviews(after.next_review_on) == 1


def test_confirmed_keeps_the_tier_and_uses_its_interval(org: Org) -> None:
    f = credit_file(org, tier="low")
    review = reviews.open_review(ctx(org["risk"]), file_id=f.pk, kind=ReviewKind.WARNING, due_on=DAY)
    with clock.travel(dt.datetime(2026, 12, 2, 10, 0, tzinfo=dt.UTC)):
        reviews.complete_review(ctx(org["risk"]), review_id=review.pk, outcome="confirmed", note="维持")
    months = TierPolicy.objects.get(code="default").review_months_low
    assert reload(f).tier == "low" and reload(f).next_review_on == reviews.add_months(dt.date(2026, 12, 2), months)


@pytest.mark.parametrize(
    ("outcome", "note", "tier", "field"),
    [("", "x", None, "outcome"), ("confirmed", " ", None, "note"), ("changed", "x", None, "tier"), ("changed", "x", "extreme", "tier")],
)
def test_invalid_completion_writes_nothing(org: Org, outcome: str, note: str, tier: str | None, field: str, audit_events: Any) -> None:
    f = credit_file(org)
    review = reviews.open_review(ctx(org["risk"]), file_id=f.pk, kind=ReviewKind.WARNING, due_on=DAY)
    with pytest.raises(ValidationFailed) as refused:
        reviews.complete_review(ctx(org["risk"]), review_id=review.pk, outcome=outcome, note=note, tier=tier)
    assert field in refused.value.fields
    assert _reviews(f.pk)[0].status == "open" and audit_events("credit.review_completed") == []


def test_only_a_risk_officer_in_scope_completes_once(org: Org) -> None:
    f = credit_file(org)
    review = reviews.open_review(ctx(org["risk"]), file_id=f.pk, kind=ReviewKind.WARNING, due_on=DAY)
    for who in ("rep_bj1", "compliance", "risk_other", "auditor"):
        with pytest.raises(NotFound):
            reviews.complete_review(ctx(org[who]), review_id=review.pk, outcome="confirmed", note="x")
    reviews.complete_review(ctx(org["risk"]), review_id=review.pk, outcome="confirmed", note="x")
    with pytest.raises(Conflict):
        reviews.complete_review(ctx(org["risk"]), review_id=review.pk, outcome="confirmed", note="x")


def test_list_is_scoped_and_filtered(org: Org) -> None:
    f = credit_file(org)
    review = reviews.open_review(ctx(org["risk"]), file_id=f.pk, kind=ReviewKind.WARNING, due_on=DAY - dt.timedelta(days=1))
    assert [r.id for r in reviews.rows(reviews.reviews(ctx(org["risk"])))] == [review.pk]
    assert reviews.rows(reviews.reviews(ctx(org["risk_other"]))) == []
    assert list(reviews.reviews(ctx(org["risk"]), status="done")) == []
    with pytest.raises(ValidationFailed):
        reviews.reviews(ctx(org["risk"]), status="maybe")


def test_the_worker_schedules_reviews_daily() -> None:
    [entry] = [e for e in SCHEDULE if e.task_path == "clientvault.risk.review_tasks.schedule_reviews"]
    assert entry.every == dt.timedelta(days=1)
