"""The demo's data-subject requests are made and fulfilled through the services, in every state (issue #15)."""

from __future__ import annotations

from typing import Any

import pytest

from clientvault.approvals.models import ChangeRequest
from clientvault.core import clock
from clientvault.core.context import system_context
from clientvault.customers.models import Customer
from clientvault.demo import seeding
from clientvault.demo.rights import seed_rights_requests
from clientvault.lifecycle.models import DeletionCertificate
from clientvault.rights.choices import Status
from clientvault.rights.models import RightsRequest
from clientvault.testing.customers import all_rows, customer

pytestmark = pytest.mark.django_db


def test_demo_requests_cover_every_state(settings: Any, audit_events: Any) -> None:
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    users = seeding.build_organisation(system_context(channel="cli"))
    for _ in range(7):
        customer(users["rep_bj1"])
    # No prospect without assets exists here: the demo enters a web lead (the rep), compliance accepts it.
    made = seed_rights_requests(users)
    assert len(made) == 7
    rows = {r.pk: r for r in all_rows(RightsRequest)}
    access, correction, deletion, overdue, letter, refused, today = (rows[r.pk] for r in made)
    assert correction.status == Status.DONE
    assert access.status == Status.DONE
    # The deletion was proposed by 李娜 and approved by the second compliance officer 黄静; it ends deleted, certified.
    leaving = all_rows(Customer).get(pk=deletion.subject_id)
    assert leaving.status == "prospect" and deletion.status == Status.DONE
    erase = all_rows(ChangeRequest).get(change_type="lifecycle.erase", subject_id=leaving.pk)
    assert erase.status == "applied" and erase.maker_id == users["compliance"].pk
    (approved,) = [e for e in audit_events("approval.approved") if e.object_id == str(erase.pk)]
    assert approved.actor_id == users["compliance2"].pk
    certificate = DeletionCertificate.objects.get(customer_id=leaving.pk)
    assert certificate.erasure.state == "deleted"
    assert all_rows(Customer).get(pk=leaving.pk).erased_at is not None
    assert overdue.status == Status.IN_PROGRESS and overdue.due_on is not None and overdue.due_on < clock.today()
    assert letter.status == Status.VERIFYING and letter.pauses
    assert refused.status == Status.REFUSED and refused.refusal_code == "portability_conditions"
    assert today.status == Status.IN_PROGRESS and (today.due_on is not None or today.calendar_flag == "calendar_not_covered")
    assert len(audit_events("rights.request_submitted")) == 7  # no customer holds assets here: no AML deletion
    assert len(audit_events("customer.created")) == 1  # the lead


def test_a_demo_deletion_under_an_aml_hold_ends_restricted(settings: Any) -> None:
    from clientvault.merges.tests import support as merges_support

    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    users = seeding.build_organisation(system_context(channel="cli"))
    for _ in range(7):
        customer(users["rep_bj1"])
    customer(users["rep_bj1"], status="prospect")
    holder = customer(users["rep_bj1"])
    merges_support.asset_with_identifier(holder, "6222020200112299")
    made = seed_rights_requests(users)
    assert len(made) == 8
    held = all_rows(RightsRequest).get(pk=made[-1].pk)
    assert held.kind == "deletion" and held.subject_id == holder.pk
    assert held.status == Status.RESTRICTED and held.outcome["hold_bases"] == ["aml"]  # the customer is told why (PIPL-47)
