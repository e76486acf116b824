"""Fulfilment of requests: parts run idempotently, a failed part shows failed and is retried, the request is
done only when every part is done, an abandoned part resumes (issue #15; PIPL-45..47, PIPL-50)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from clientvault.core import clock
from clientvault.customers.selectors import get_customer
from clientvault.rights import fulfilment, requests
from clientvault.rights.choices import PartStatus, Status
from clientvault.rights.models import RequestPart, RightsRequest
from clientvault.testing.actors import ctx, subject_ctx
from clientvault.testing.consents import consent
from clientvault.testing.customers import all_rows, customer
from clientvault.testing.organisation import Org

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("no_worker")]


def compliance(org: Org) -> Any:
    return ctx(org["compliance"], purpose="rights_request")


def parts(request: RightsRequest) -> dict[str, RequestPart]:
    return {p.kind: p for p in all_rows(RequestPart).filter(request=request)}


def reload(request: RightsRequest) -> RightsRequest:
    found: RightsRequest = all_rows(RightsRequest).get(pk=request.pk)
    return found


def correction(org: Org, person: Any, changes: dict[str, Any]) -> RightsRequest:
    return requests.submit_request(ctx=subject_ctx(person), customer_id=person.pk, kind="correction", channel="portal", changes=changes)


def test_a_portal_correction_waits_for_a_compliance_officer_then_is_written_in_their_name(org: Org, audit_events: Any) -> None:
    person = customer(org["rep_bj1"])
    request = correction(org, person, {"email": "new.address@example.cn"})
    assert fulfilment.fulfil(request.pk) == Status.WAITING  # nobody has taken it: nothing is written by "the system"
    assert parts(request)["correction"].status == PartStatus.WAITING
    requests.take_over(ctx=compliance(org), request_id=request.pk)
    assert fulfilment.fulfil(request.pk) == Status.DONE
    [part] = parts(request).values()
    assert part.status == PartStatus.DONE and part.attempts == 1
    [updated] = audit_events("customer.updated")
    assert updated.actor_id == org["compliance"].pk and updated.purpose == "rights_request" and updated.fields == ["email"]
    assert get_customer(compliance(org), person.pk).email == "new.address@example.cn"
    assert [e.event_type for e in audit_events() if e.event_type.startswith("rights.")] == [
        "rights.request_submitted", "rights.request_taken", "rights.part_done", "rights.request_done",
    ]  # fmt: skip
    assert fulfilment.fulfil(request.pk) == Status.DONE  # idempotent: nothing runs twice
    assert len(audit_events("customer.updated")) == 1


def test_a_failed_part_shows_failed_is_retried_idempotently_and_never_shows_done(org: Org, audit_events: Any, settings: Any) -> None:
    person = customer(org["rep_bj1"])
    request = correction(org, person, {"email": "fixed@example.cn"})
    requests.take_over(ctx=compliance(org), request_id=request.pk)
    officer = org["compliance"]
    officer.is_active = False  # the handler left: the correction cannot be written in anyone's name
    officer.save(update_fields=["is_active"])
    assert fulfilment.fulfil(request.pk) == Status.IN_PROGRESS
    part = parts(request)["correction"]
    assert part.status == PartStatus.FAILED and part.last_error == "permission_denied" and part.attempts == 1
    assert part.next_attempt_at is not None and part.next_attempt_at > clock.now()
    [failed] = audit_events("rights.part_failed")
    assert failed.outcome == "failure" and failed.detail["error"] == "permission_denied"
    assert reload(request).status == Status.IN_PROGRESS and not audit_events("rights.request_done")
    assert fulfilment.fulfil(request.pk) == Status.IN_PROGRESS  # backoff: not due yet, not run again
    assert parts(request)["correction"].attempts == 1
    officer.is_active = True
    officer.save(update_fields=["is_active"])
    requests.retry_part(ctx=compliance(org), request_id=request.pk, part_kind="correction")
    assert fulfilment.fulfil(request.pk) == Status.DONE
    part = parts(request)["correction"]
    assert part.status == PartStatus.DONE and part.attempts == 2 and part.last_error == ""
    assert len(audit_events("customer.updated")) == 1 and len(audit_events("rights.part_retried")) == 1


def test_failed_parts_retry_by_themselves_with_backoff_until_the_limit(org: Org, settings: Any) -> None:
    settings.CLIENTVAULT_RIGHTS_PART_MAX_ATTEMPTS = 2
    person = customer(org["rep_bj1"])
    request = correction(org, person, {"email": "x@example.cn"})
    requests.take_over(ctx=compliance(org), request_id=request.pk)
    org["compliance"].is_active = False
    org["compliance"].save(update_fields=["is_active"])
    fulfilment.fulfil(request.pk)
    later = clock.now() + fulfilment.backoff(1) + dt.timedelta(seconds=1)
    with clock.travel(later):
        assert fulfilment.due_requests() == [request.pk]
        fulfilment.fulfil(request.pk)
    assert parts(request)["correction"].attempts == 2
    with clock.travel(later + dt.timedelta(hours=2)):
        assert fulfilment.due_requests() == []  # the limit: a person retries it (or refuses the request)


def test_a_part_left_running_by_a_killed_worker_resumes(org: Org, settings: Any) -> None:
    person = customer(org["rep_bj1"])
    request = correction(org, person, {"email": "resumed@example.cn"})
    requests.take_over(ctx=compliance(org), request_id=request.pk)
    [part] = fulfilment.ensure_parts(request.pk)
    # A worker claimed the part (committed) and was killed before its work committed: only the claim is left.
    assert fulfilment._claim(part.pk) == PartStatus.PENDING
    assert parts(request)["correction"].status == PartStatus.RUNNING
    assert fulfilment.due_requests() == []  # a live worker may still be on it
    with clock.travel(clock.now() + dt.timedelta(seconds=settings.CLIENTVAULT_RIGHTS_PART_STALE_SECONDS + 1)):
        assert fulfilment.due_requests() == [request.pk]
        assert fulfilment.fulfil(request.pk) == Status.DONE
    assert parts(request)["correction"].attempts == 2


def test_a_withdrawal_request_withdraws_the_consent_once(org: Org, audit_events: Any) -> None:
    person = customer(org["rep_bj1"])
    consent(person, "marketing")
    request = requests.submit_request(
        ctx=subject_ctx(person), customer_id=person.pk, kind="withdrawal", channel="portal", purpose="marketing"
    )
    assert fulfilment.fulfil(request.pk) == Status.DONE
    [withdrawn] = audit_events("consent.withdrawn")
    assert withdrawn.customer_id == person.pk
    assert fulfilment.fulfil(request.pk) == Status.DONE and len(audit_events("consent.withdrawn")) == 1


def test_a_refused_request_runs_nothing(org: Org, audit_events: Any) -> None:
    person = customer(org["rep_bj1"])
    request = correction(org, person, {"email": "never@example.cn"})
    fulfilment.fulfil(request.pk)
    requests.refuse(ctx=compliance(org), request_id=request.pk, code="others_rights", text="涉及他人权益")
    assert parts(request)["correction"].status == PartStatus.REFUSED
    assert fulfilment.fulfil(request.pk) == Status.REFUSED
    assert not audit_events("customer.updated")


def test_an_access_request_is_fulfilled_with_sealed_packages(org: Org, audit_events: Any) -> None:
    person = customer(org["rep_bj1"])
    request = requests.submit_request(ctx=subject_ctx(person), customer_id=person.pk, kind="access", channel="portal")
    assert fulfilment.fulfil(request.pk) == Status.DONE
    found = parts(request)
    assert {p.status for p in found.values()} == {PartStatus.DONE}
    pdf = fulfilment.open_result(request, found["package_pdf"])
    assert pdf.startswith(b"%PDF")
    assert not bytes(found["package_pdf"].result_ct).startswith(b"%PDF")  # sealed under the customer's key
    assert fulfilment.open_result(request, found["package_csv"]).startswith(b"PK")
    assert len(audit_events("rights.part_done")) == 3 and len(audit_events("rights.request_done")) == 1
