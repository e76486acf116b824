"""Data-subject requests: intake, identity pause, extension, refusal, scope (issue #15; PIPL-44-50, GDPR-12)."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import pytest
from django.db import IntegrityError, transaction

from clientvault.core import clock
from clientvault.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from clientvault.rights import requests
from clientvault.rights.choices import CALENDAR_NOT_COVERED, Status
from clientvault.rights.models import RightsRequest
from clientvault.testing.actors import ctx, subject_ctx
from clientvault.testing.customers import all_rows, customer
from clientvault.testing.organisation import Org

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("no_worker")]
AT = dt.datetime(2026, 9, 30, 2, 0, tzinfo=dt.UTC)  # Wed 30 Sep 2026, 10:00 in Shanghai


def compliance(org: Org) -> Any:
    return ctx(org["compliance"], purpose="rights_request")


def test_a_portal_request_is_verified_by_the_sign_in_and_sealed(org: Org, audit_events: Any) -> None:
    person = customer(org["rep_bj1"])
    with clock.travel(AT):
        request = requests.submit_request(
            ctx=subject_ctx(person), customer_id=person.pk, kind="access", channel="counter", text="请把我的全部资料发给我"
        )
    assert request.channel == "portal" and request.verification_method == "portal_code" and request.status == Status.IN_PROGRESS
    assert request.pauses == [] and request.outer_due_on == dt.date(2026, 10, 30)
    assert b"\xe8\xb5\x84\xe6\x96\x99" not in bytes(request.details_ct)  # "资料" is not stored in clear
    assert requests.details_of(request)["text"] == "请把我的全部资料发给我"
    [event] = audit_events("rights.request_submitted")
    assert event.customer_id == person.pk and event.detail["kind"] == "access" and event.channel == "portal"
    assert "请把" not in str(event.detail)


def test_portal_deadline_is_fifteen_working_days_over_the_national_day(org: Org) -> None:
    from clientvault.calendars import services as calendar  # type: ignore[attr-defined,unused-ignore]

    assert {2026} <= set(calendar.covered_years())
    person = customer(org["rep_bj1"])
    with clock.travel(AT):
        request = requests.submit_request(ctx=subject_ctx(person), customer_id=person.pk, kind="access", channel="portal")
    assert request.due_on == dt.date(2026, 10, 27) and request.calendar_flag == ""


def test_without_a_covered_calendar_the_deadline_fails_closed_and_is_flagged(org: Org) -> None:
    person = customer(org["rep_bj1"])
    with clock.travel(dt.datetime(2027, 3, 1, 2, 0, tzinfo=dt.UTC)):  # 2027: not in chinese-calendar 1.11
        request = requests.submit_request(ctx=subject_ctx(person), customer_id=person.pk, kind="access", channel="portal")
    assert request.due_on is None and request.calendar_flag == CALENDAR_NOT_COVERED
    assert request.outer_due_on == dt.date(2027, 3, 31)  # the outer limit still holds


def test_staff_intake_without_verification_pauses_the_clock_until_verified(org: Org, audit_events: Any) -> None:
    person = customer(org["rep_bj1"])
    with clock.travel(AT):
        request = requests.submit_request(ctx=ctx(org["rep_bj1"]), customer_id=person.pk, kind="deletion", channel="letter", text="请删除")
    assert request.status == Status.VERIFYING and request.pauses[0]["to"] is None
    assert request.due_on == request.outer_due_on == dt.date(2026, 10, 30)  # 30 calendar days [M] for letters
    with clock.travel(AT + dt.timedelta(days=5)):
        verified = requests.verify_identity(ctx=compliance(org), request_id=request.pk, method="signed_letter")
    assert verified.status == Status.IN_PROGRESS and verified.pauses[0]["to"] == "2026-10-05"
    assert verified.due_on == dt.date(2026, 11, 4)  # moved by the five days paused
    assert verified.handler_id == org["compliance"].pk
    [event] = audit_events("rights.identity_verified")
    assert event.detail["paused_days"] == 5 and event.detail["method"] == "signed_letter"
    with pytest.raises(Conflict):
        requests.verify_identity(ctx=compliance(org), request_id=request.pk, method="call_back")


def test_a_sales_rep_logs_requests_only_for_customers_they_see(org: Org) -> None:
    person = customer(org["rep_bj1"])
    with pytest.raises(NotFound):  # out of sight answers like missing
        requests.submit_request(ctx=ctx(org["rep_bj2"]), customer_id=person.pk, kind="access", channel="counter")
    with pytest.raises(NotFound):
        requests.submit_request(ctx=ctx(org["rep_bj1"]), customer_id=uuid.uuid4(), kind="access", channel="counter")
    with pytest.raises(PermissionDenied):  # the risk officer logs no requests
        requests.submit_request(ctx=ctx(org["risk"]), customer_id=person.pk, kind="access", channel="counter")
    mine = requests.submit_request(
        ctx=ctx(org["rep_bj1"]), customer_id=person.pk, kind="access", channel="counter", verification_method="id_document"
    )
    assert mine.status == Status.IN_PROGRESS
    assert list(RightsRequest.objects.visible_to(ctx(org["rep_bj1"])).values_list("pk", flat=True)) == [mine.pk]
    assert not RightsRequest.objects.visible_to(ctx(org["rep_bj2"])).exists()
    assert RightsRequest.objects.visible_to(ctx(org["auditor"])).filter(pk=mine.pk).exists()
    with pytest.raises(PermissionDenied):  # the rep who logged it does not decide it
        requests.refuse(ctx=ctx(org["rep_bj1"]), request_id=mine.pk, code="other", text="x")


def test_the_portal_sees_and_asks_only_for_its_own_records(org: Org) -> None:
    me, other = customer(org["rep_bj1"]), customer(org["rep_bj1"])
    with pytest.raises(NotFound):
        requests.submit_request(ctx=subject_ctx(me), customer_id=other.pk, kind="access", channel="portal")
    mine = requests.submit_request(ctx=subject_ctx(me), customer_id=me.pk, kind="access", channel="portal")
    requests.submit_request(ctx=subject_ctx(other), customer_id=other.pk, kind="access", channel="portal")
    assert list(RightsRequest.objects.visible_to(subject_ctx(me)).values_list("pk", flat=True)) == [mine.pk]


def test_a_refusal_needs_a_code_and_a_text(org: Org, audit_events: Any) -> None:
    person = customer(org["rep_bj1"])
    request = requests.submit_request(ctx=subject_ctx(person), customer_id=person.pk, kind="deletion", channel="portal")
    for code, text in (("", "理由"), ("other", "  "), ("made_up", "理由")):
        with pytest.raises(ValidationFailed):
            requests.refuse(ctx=compliance(org), request_id=request.pk, code=code, text=text)
    refused = requests.refuse(ctx=compliance(org), request_id=request.pk, code="legal_obligation", text="反洗钱法要求保存十年")
    assert refused.status == Status.REFUSED and refused.closed_at is not None
    assert requests.unseal(refused, "refusal_text") == "反洗钱法要求保存十年"
    [event] = audit_events("rights.request_refused")
    assert event.detail["code"] == "legal_obligation" and "反洗钱" not in str(event.detail)
    with pytest.raises(Conflict):
        requests.refuse(ctx=compliance(org), request_id=request.pk, code="other", text="again")
    with pytest.raises(IntegrityError), transaction.atomic():  # PIPL-50 at the database too
        all_rows(RightsRequest).filter(pk=request.pk).update(refusal_code="")


def test_gdpr_extension_told_in_time_and_too_late(org: Org, audit_events: Any) -> None:
    person = customer(org["rep_bj1"])
    with clock.travel(AT):
        early = requests.submit_request(ctx=subject_ctx(person), customer_id=person.pk, kind="access", channel="portal", jurisdiction="EU")
        late = requests.submit_request(ctx=subject_ctx(person), customer_id=person.pk, kind="access", channel="portal", jurisdiction="EU")
    assert early.due_on == dt.date(2026, 10, 30)
    with clock.travel(AT + dt.timedelta(days=20)):
        with pytest.raises(ValidationFailed):
            requests.extend(ctx=compliance(org), request_id=early.pk, reason=" ")
        extended = requests.extend(ctx=compliance(org), request_id=early.pk, reason="数据量大，需要从档案库调取")
    assert extended.extended_due_on == dt.date(2026, 12, 30)
    assert requests.unseal(extended, "extension_reason") == "数据量大，需要从档案库调取"
    [event] = audit_events("rights.request_extended")
    assert event.detail["extended_due_on"] == 20261230
    with clock.travel(AT + dt.timedelta(days=31)), pytest.raises(Conflict) as too_late:  # 31 Oct: past the first month
        requests.extend(ctx=compliance(org), request_id=late.pk, reason="太晚了")
    assert too_late.value.code == "extension_too_late"
    cn = requests.submit_request(ctx=subject_ctx(person), customer_id=person.pk, kind="access", channel="portal")
    with pytest.raises(Conflict):  # the CN policy has no extension
        requests.extend(ctx=compliance(org), request_id=cn.pk, reason="理由")


def test_another_legal_entitys_compliance_officer_does_not_see_the_request(org: Org) -> None:
    from clientvault.accounts.models import Department
    from clientvault.testing.organisation import user

    person = customer(org["rep_bj1"])
    request = requests.submit_request(ctx=subject_ctx(person), customer_id=person.pk, kind="access", channel="portal")
    other_dept = Department.objects.filter(legal_entity=org.other_entity).first()
    assert other_dept is not None
    outsider = user("compliance_other", "compliance_officer", other_dept)
    with pytest.raises(NotFound):
        requests.refuse(ctx=ctx(outsider, purpose="rights_request"), request_id=request.pk, code="other", text="x")


def test_recompute_runs_once_per_calendar_change_and_keeps_a_flag_while_not_covered(org: Org, audit_events: Any) -> None:
    person = customer(org["rep_bj1"])
    with clock.travel(dt.datetime(2027, 3, 1, 2, 0, tzinfo=dt.UTC)):
        flagged = requests.submit_request(ctx=subject_ctx(person), customer_id=person.pk, kind="access", channel="portal")
        assert requests.recompute_deadlines(frozenset({2027})) == 0  # still not covered: still flagged, never a guess
    assert all_rows(RightsRequest).get(pk=flagged.pk).calendar_flag == CALENDAR_NOT_COVERED
    [run] = audit_events("rights.deadlines_recomputed")  # one event per run, not per request
    assert run.detail["first_year"] == run.detail["last_year"] == 2027 and run.detail["changed"] == 0


def test_a_calendar_change_recomputes_open_deadlines_after_commit(org: Org, django_capture_on_commit_callbacks: Any) -> None:
    from clientvault.calendars import services as calendar  # type: ignore[attr-defined,unused-ignore]

    admin = ctx(org["admin"])
    person = customer(org["rep_bj1"])
    with clock.travel(AT):
        request = requests.submit_request(ctx=subject_ctx(person), customer_id=person.pk, kind="access", channel="portal")
    assert request.due_on == dt.date(2026, 10, 27)
    with django_capture_on_commit_callbacks(execute=True):
        calendar.set_year_coverage(ctx=admin, year=2026, covered=False, notice="国办发明电〔2025〕7号", reason="test")
    row = all_rows(RightsRequest).get(pk=request.pk)
    assert row.due_on is None and row.calendar_flag == CALENDAR_NOT_COVERED  # fails closed, outer limit kept
    assert row.outer_due_on == dt.date(2026, 10, 30)
    with django_capture_on_commit_callbacks(execute=True):  # the administrator enters the year again
        calendar.set_year_coverage(ctx=admin, year=2026, covered=True, notice="国办发明电〔2025〕7号", reason="test")
    row = all_rows(RightsRequest).get(pk=request.pk)
    assert row.due_on == dt.date(2026, 10, 27) and row.calendar_flag == ""


def test_the_sweep_clears_flags_when_the_calendar_hook_was_lost(org: Org, django_capture_on_commit_callbacks: Any) -> None:
    from clientvault.calendars import services as calendar
    from clientvault.rights import tasks

    admin = ctx(org["admin"])
    person = customer(org["rep_bj1"])
    with clock.travel(AT):
        request = requests.submit_request(ctx=subject_ctx(person), customer_id=person.pk, kind="access", channel="portal")
    with django_capture_on_commit_callbacks(execute=True):
        calendar.set_year_coverage(ctx=admin, year=2026, covered=False, notice="国办发明电〔2025〕7号", reason="test")
    assert all_rows(RightsRequest).get(pk=request.pk).calendar_flag == CALENDAR_NOT_COVERED
    with django_capture_on_commit_callbacks(execute=False):  # kill -9 after the commit: the hook never runs
        calendar.set_year_coverage(ctx=admin, year=2026, covered=True, notice="国办发明电〔2025〕7号", reason="test")
    assert all_rows(RightsRequest).get(pk=request.pk).calendar_flag == CALENDAR_NOT_COVERED
    tasks.sweep_requests.func()
    row = all_rows(RightsRequest).get(pk=request.pk)
    assert row.due_on == dt.date(2026, 10, 27) and row.calendar_flag == ""


def test_a_flagged_request_past_its_outer_limit_shows_overdue_and_a_paused_one_moves_its_due_date(org: Org) -> None:
    from clientvault.rights.request_views import RequestView

    person = customer(org["rep_bj1"])
    with clock.travel(dt.datetime(2027, 3, 1, 2, 0, tzinfo=dt.UTC)):  # 2027 not covered: flagged
        flagged = requests.submit_request(ctx=subject_ctx(person), customer_id=person.pk, kind="access", channel="portal")
    assert RequestView.of(flagged, dt.date(2027, 3, 10), 3).urgency == "flagged"
    assert RequestView.of(flagged, dt.date(2027, 4, 1), 3).urgency == "overdue"  # past the outer limit (31 Mar)
    with clock.travel(AT):  # a letter, identity not yet verified: the clock stands still
        paused = requests.submit_request(ctx=ctx(org["rep_bj1"]), customer_id=person.pk, kind="access", channel="letter")
    assert paused.due_on == dt.date(2026, 10, 30)
    view = RequestView.of(paused, dt.date(2026, 10, 5), 3)  # five days paused so far
    assert view.due_on == dt.date(2026, 11, 4) and view.urgency == "ok"
    assert RequestView.of(paused, dt.date(2026, 12, 1), 3).urgency == "ok"  # still paused: never overdue while waiting on the requester


def test_a_recompute_with_no_open_request_records_nothing(db: Any, audit_events: Any) -> None:
    # Seeding the calendar after migrate runs the hook once per year: a fresh database must not start with events.
    assert requests.recompute_deadlines(frozenset({2026})) == 0
    assert audit_events("rights.deadlines_recomputed") == []
