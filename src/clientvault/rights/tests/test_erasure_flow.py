"""Deletion requests through the lifecycle end to end (issue #15; PIPL-47, PIPL-50, AML-34, GDPR-17):
approval by a second compliance officer → the erasure runs → the certificate is the part's result; a legal hold
turns the deletion into a restriction the customer is told about; a refusal cancels the waiting erasure."""

from __future__ import annotations

from typing import Any

import pytest

from clientvault.approvals import services as approvals
from clientvault.approvals.models import ChangeRequest
from clientvault.core.errors import Conflict, NotFound
from clientvault.crypto import keystore
from clientvault.customers.choices import Status as CustomerStatus
from clientvault.customers.models import Customer
from clientvault.lifecycle import erasure
from clientvault.lifecycle.models import DeletionCertificate, Erasure, ErasureState
from clientvault.merges.tests import support as merges_support
from clientvault.rights import fulfilment, requests
from clientvault.rights.choices import PartStatus, Status
from clientvault.rights.models import RequestPart, RightsRequest
from clientvault.testing.actors import ctx, subject_ctx
from clientvault.testing.customers import all_rows, customer
from clientvault.testing.organisation import Org, second_officer

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("no_worker", "approval_on")]


@pytest.fixture
def approval_on(settings: Any) -> None:
    settings.CLIENTVAULT_DELETION_APPROVAL = True  # "where configured" (PIPL-47): a second compliance officer decides


def compliance(org: Org) -> Any:
    return ctx(org["compliance"], purpose="rights_request")


def erasure_part(request: RightsRequest) -> RequestPart:
    found: RequestPart = all_rows(RequestPart).get(request=request, kind="erasure")
    return found


def reload(request: RightsRequest) -> RightsRequest:
    found: RightsRequest = all_rows(RightsRequest).get(pk=request.pk)
    return found


def deletion(person: Any) -> RightsRequest:
    return requests.submit_request(ctx=subject_ctx(person), customer_id=person.pk, kind="deletion", channel="portal")


def waiting_erasure(org: Org) -> tuple[Any, RightsRequest, Erasure]:
    person = customer(org["rep_bj1"], status=CustomerStatus.PROSPECT)  # no relationship: no AML duty
    request = deletion(person)
    assert fulfilment.fulfil(request.pk) == Status.WAITING  # nobody has taken it: nothing is proposed by "the system"
    requests.take_over(ctx=compliance(org), request_id=request.pk)
    assert fulfilment.fulfil(request.pk) == Status.WAITING
    found = Erasure.objects.get(request_ref=erasure_part(request).idempotency_key)
    assert found.state == ErasureState.PENDING_APPROVAL and found.change_request_id is not None
    return person, request, found


def test_a_portal_deletion_is_approved_erased_and_done_with_the_certificate(org: Org, audit_events: Any) -> None:
    person, request, row = waiting_erasure(org)
    change = ChangeRequest.objects.unrestricted(reason="test").get(pk=str(row.change_request_id))
    assert change.maker_id == org["compliance"].pk
    change = merges_support.approve(ctx(second_officer(org)), change)  # maker ≠ checker
    assert change.status == ChangeRequest.Status.APPLIED, change.failure_reason
    # The erasure is queued, not yet run: the part waits (it used to fail with "erasure_failed").
    assert fulfilment.fulfil(request.pk) == Status.WAITING
    part = erasure_part(request)
    assert part.status == PartStatus.WAITING and part.last_error == ""
    assert erasure.run(row.pk, stop_after=ErasureState.SHREDDED) == ErasureState.SHREDDED  # half-way, as a crash leaves it
    assert fulfilment.fulfil(request.pk) == Status.WAITING and erasure_part(request).status == PartStatus.WAITING
    assert erasure.run(row.pk) == ErasureState.DELETED
    assert fulfilment.fulfil(request.pk) == Status.DONE
    certificate = DeletionCertificate.objects.get(erasure_id=row.pk)
    part = erasure_part(request)
    assert part.status == PartStatus.DONE and part.result_ref == str(certificate.pk)
    assert reload(request).status == Status.DONE
    assert all_rows(Customer).get(pk=person.pk).erased_at is not None  # a non-personal tombstone is all that is left
    assert not audit_events("rights.part_failed")
    [done] = audit_events("rights.request_done")
    assert done.detail["restricted"] is False


def test_a_deletion_under_an_aml_hold_ends_restricted_and_tells_the_customer_why(org: Org) -> None:
    person = customer(org["rep_bj1"])  # active: a business relationship (AML-34)
    merges_support.asset_with_identifier(person, "6222020200112299")
    request = deletion(person)
    requests.take_over(ctx=compliance(org), request_id=request.pk)
    assert fulfilment.fulfil(request.pk) == Status.RESTRICTED
    found = reload(request)
    assert found.outcome["restricted"] is True and found.outcome["hold_bases"] == ["aml"]
    assert erasure_part(request).status == PartStatus.DONE
    assert keystore.key_exists(person.pk)  # kept (restricted, stored only) until the AML period ends


def test_a_refusal_cancels_the_waiting_erasure_so_nobody_can_approve_it(org: Org, audit_events: Any) -> None:
    person, request, row = waiting_erasure(org)
    requests.refuse(ctx=compliance(org), request_id=request.pk, code="others_rights", text="涉及他人权益")
    change = ChangeRequest.objects.unrestricted(reason="test").get(pk=str(row.change_request_id))
    assert change.status == ChangeRequest.Status.WITHDRAWN
    assert Erasure.objects.get(pk=row.pk).state == ErasureState.REJECTED
    with pytest.raises((Conflict, NotFound)):
        approvals.approve(ctx(second_officer(org)), change.pk, reason="too late")
    assert Erasure.objects.get(pk=row.pk).state == ErasureState.REJECTED and keystore.key_exists(person.pk)
    assert len(audit_events("approval.cancelled")) == 1 and len(audit_events("lifecycle.erasure_cancelled")) == 1
    [refused] = audit_events("rights.request_refused")
    assert refused.detail["cancelled"] == 1


def test_a_refusal_after_the_key_is_destroyed_is_refused(org: Org) -> None:
    _person, request, row = waiting_erasure(org)
    change = ChangeRequest.objects.unrestricted(reason="test").get(pk=str(row.change_request_id))
    merges_support.approve(ctx(second_officer(org)), change)
    erasure.run(row.pk, stop_after=ErasureState.SHREDDED)
    with pytest.raises(Conflict) as refused:
        requests.refuse(ctx=compliance(org), request_id=request.pk, code="others_rights", text="涉及他人权益")
    assert refused.value.code == "erasure_under_way"
    assert reload(request).status == Status.WAITING
