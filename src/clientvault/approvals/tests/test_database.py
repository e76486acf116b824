"""The database's half of maker ≠ checker (ARCHITECTURE.md rule 12): rows written directly, past the services,
are refused by the triggers and the partial unique index; and two checkers at once apply a change once."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from django.db import DatabaseError, IntegrityError, OperationalError, connection, transaction

from clientvault.approvals import services
from clientvault.approvals.models import ApprovalRuleVersion, ChangeRequest, Decision
from clientvault.approvals.tests import support
from clientvault.core import roles as R
from clientvault.core.errors import Conflict
from clientvault.testing import customers as cf
from clientvault.testing.actors import ctx
from clientvault.testing.organisation import Org, make_org, user

MANAGER_1 = [{"stage": 1, "roles": [R.SALES_MANAGER], "required": 1}]


def _submitted(org: Org) -> tuple[ChangeRequest, Any]:
    customer = cf.customer(org["rep_bj1"], occupation="教师")
    support.rule(support.OCCUPATION, MANAGER_1)
    return services.submit(ctx(org["rep_bj1"]), support.occupation_proposal(customer, "医生"), reason="r"), customer


def _insert_decision(request: ChangeRequest, approver: Any, role: str = R.SALES_MANAGER) -> None:
    with transaction.atomic():
        Decision.objects.create(request=request, stage=1, approver=approver, approver_role=role, outcome=Decision.Outcome.APPROVE)


@pytest.mark.django_db
def test_database_refuses_a_decision_by_the_maker(org: Org) -> None:
    request, _c = _submitted(org)
    with pytest.raises(IntegrityError, match="maker and checker"):
        _insert_decision(request, org["rep_bj1"], R.SALES_REP)
    assert not Decision.objects.exists()


@pytest.mark.django_db
def test_database_refuses_an_approver_of_another_legal_entity(org: Org) -> None:
    request, _c = _submitted(org)
    outsider = user("mgr_other", R.SALES_MANAGER, org.users["rep_other"].department)
    with pytest.raises(IntegrityError, match="legal entity"):
        _insert_decision(request, outsider)
    nowhere = user("mgr_nodept", R.SALES_MANAGER, None)
    with pytest.raises(IntegrityError, match="legal entity"):
        _insert_decision(request, nowhere)
    _insert_decision(request, org["manager_bj"])  # the same row by someone of the entity is accepted
    assert Decision.objects.count() == 1


@pytest.mark.django_db
def test_database_refuses_a_decision_on_a_request_not_waiting(org: Org) -> None:
    request, _c = _submitted(org)
    services.withdraw(ctx(org["rep_bj1"]), request.id)
    with pytest.raises(IntegrityError, match="submitted"):
        _insert_decision(request, org["manager_bj"])


@pytest.mark.django_db
def test_decisions_are_append_only(org: Org) -> None:
    request, _c = _submitted(org)
    services.reject(ctx(org["manager_bj"]), request.id, reason="no")
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        Decision.objects.update(outcome=Decision.Outcome.APPROVE)
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        Decision.objects.all().delete()
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        ApprovalRuleVersion.objects.update(reason="rewritten")
    assert Decision.objects.get().outcome == Decision.Outcome.REJECT


@pytest.mark.django_db
def test_partial_unique_index_refuses_a_second_open_request(org: Org) -> None:
    request, _c = _submitted(org)
    row = ChangeRequest.objects.unrestricted(reason="test").get(pk=request.pk)
    row.pk = None
    row.id = uuid.uuid4()
    with pytest.raises(IntegrityError), transaction.atomic():
        row.save(force_insert=True)
    row.status = ChangeRequest.Status.DRAFT  # drafts and closed requests are not in the open set
    row.save(force_insert=True)
    assert ChangeRequest.objects.unrestricted(reason="test").count() == 2


# --- Two checkers at once (PostgreSQL: real row locks; SQLite serialises writers) ------------------------


def _patient(fn: Callable[[], object]) -> object:
    """SQLite's in-memory shared-cache test database ignores the busy timeout; retry a locked table."""
    for _ in range(2000):
        try:
            return fn()
        except OperationalError as exc:
            if connection.vendor != "sqlite" or "locked" not in str(exc):
                raise
            time.sleep(0.005)
    return fn()


@pytest.mark.django_db(transaction=True)
def test_two_checkers_at_once_apply_the_change_exactly_once() -> None:
    org = make_org()
    managers = [org["manager_bj"], user("mgr_twin", R.SALES_MANAGER, org.bj)]
    customer = cf.customer(org["rep_bj1"], occupation="教师")
    support.rule(support.OCCUPATION, MANAGER_1)
    request = services.submit(ctx(org["rep_bj1"]), support.occupation_proposal(customer, "医生"), reason="r")
    barrier = threading.Barrier(len(managers))
    outcomes: list[str] = []

    def decide(manager: Any) -> None:
        try:
            barrier.wait(timeout=30)
            _patient(lambda: services.approve(ctx(manager), request.id))
            outcomes.append("approved")
        except Conflict as exc:
            outcomes.append(exc.code)
        except BaseException as exc:  # surfaced below
            outcomes.append(repr(exc))
        finally:
            connection.close()

    threads = [threading.Thread(target=decide, args=(m,)) for m in managers]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert sorted(outcomes) == ["approved", "not_waiting"], outcomes
    assert Decision.objects.filter(request_id=request.id).count() == 1
    row = ChangeRequest.objects.unrestricted(reason="test").get(pk=request.pk)
    assert row.status == ChangeRequest.Status.APPLIED
    assert cf.reload(customer).version == customer.version + 1  # applied once
    from clientvault.audit.models import AuditEvent

    assert AuditEvent.objects.filter(event_type="approval.applied", object_id=str(request.id)).count() == 1
