"""Change types and rules for the approvals tests, writing real rows.

- ``approvals_test.occupation``: a customer's occupation, applied through ``customers.profiles.update_customer``
  (a real service: permissions, lock, version, ``customer.updated``); fingerprint = the customer's version.
- ``approvals_test.job``: a ``core.ScheduledJob`` row's ``last_enqueued_at``; its apply writes first and then
  refuses ``{"at": "refuse"}`` with a DomainError, so a test can prove the savepoint leaves nothing half-written.

Both use the customer's sight (``Customer.objects.visible_to``) as ``in_scope``.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from clientvault.approvals import registry
from clientvault.approvals.models import ApprovalRule
from clientvault.approvals.registry import ChangeType, DiffRow, Facts, Pending, Proposal
from clientvault.core.context import Context
from clientvault.core.errors import ValidationFailed
from clientvault.core.models import ScheduledJob
from clientvault.customers import profiles
from clientvault.customers.models import Customer

OCCUPATION, JOB = "approvals_test.occupation", "approvals_test.job"


def _in_scope(ctx: Context, pending: Pending) -> bool:
    return bool(Customer.objects.visible_to(ctx).filter(pk=pending.subject_id).exists())


def _describe(ctx: Context, pending: Pending) -> list[DiffRow]:
    return [
        DiffRow(
            field=k,
            label=k,
            before=str(pending.before.get(k, "")),
            after=str(v),
            shown_plain=True,
        )
        for k, v in pending.values.items()
    ]


def _customer_version(target_id: str) -> str:
    row = Customer.objects.unrestricted(reason="approvals test: fingerprint").filter(pk=target_id).values_list("version", flat=True)
    return str(row.first())


def _apply_occupation(ctx: Context, pending: Pending) -> None:
    profiles.update_customer(
        ctx=ctx, customer_id=uuid.UUID(pending.target_id), changes=dict(pending.values), expected_version=int(pending.fingerprint)
    )


def _job_fingerprint(target_id: str) -> str:
    job = ScheduledJob.objects.select_for_update().get(name=target_id)
    return job.last_enqueued_at.isoformat() if job.last_enqueued_at else "-"


def _apply_job(ctx: Context, pending: Pending) -> None:
    job = ScheduledJob.objects.select_for_update().get(name=pending.target_id)
    at = str(pending.values["at"])
    job.last_enqueued_at = dt.datetime(2030, 1, 1, tzinfo=dt.UTC) if at == "refuse" else dt.datetime.fromisoformat(at)
    job.save(update_fields=["last_enqueued_at"])
    if at == "refuse":  # written first, refused after: the savepoint must undo the write
        raise ValidationFailed({"at": ["refused"]})


occupation_type = registry.register(
    ChangeType(
        code=OCCUPATION,
        label="Occupation (test)",
        fingerprint=_customer_version,
        apply=_apply_occupation,
        describe=_describe,
        in_scope=_in_scope,
    )
)
job_type = registry.register(
    ChangeType(code=JOB, label="Job (test)", fingerprint=_job_fingerprint, apply=_apply_job, describe=_describe, in_scope=_in_scope)
)


def rule(change_type: str, steps: list[dict[str, Any]], **values: Any) -> ApprovalRule:
    """A rule row for a test (the catalogue service is tested on its own)."""
    code = values.pop("code", f"t-{change_type.split('.')[-1]}-{uuid.uuid4().hex[:6]}")
    data: dict[str, Any] = {
        "change_type": change_type,
        "priority": 10,
        "active": True,
        "conditions": {},
        "steps": steps,
        "supervisor_threshold_minor": None,
        "supervisor_roles": [],
        "sla_working_days": 2,
        "escalate_to": ["compliance_officer"],
        "expire_after_days": 30,
        **values,
    }
    return ApprovalRule.objects.create(code=code, version=1, **data)


def occupation_proposal(customer: Customer, value: str, **facts: Any) -> Proposal:
    return Proposal(
        change_type=OCCUPATION,
        target_type="customers.customer",
        target_id=str(customer.pk),
        field_key="occupation",
        subject_id=customer.pk,
        values={"occupation": value},
        before={"occupation": getattr(customer, "occupation", "")},
        fingerprint=str(customer.version),
        facts=Facts(legal_entity_id=customer.legal_entity_id, department_id=customer.department_id, **facts),
        summary="Occupation change",
        fields=("customer.occupation",),
    )


def job_proposal(customer: Customer, job: ScheduledJob, at: str, **facts: Any) -> Proposal:
    return Proposal(
        change_type=JOB,
        target_type="core.scheduledjob",
        target_id=job.name,
        field_key="last_enqueued_at",
        subject_id=customer.pk,
        values={"at": at},
        before={"at": job.last_enqueued_at.isoformat() if job.last_enqueued_at else ""},
        fingerprint=job.last_enqueued_at.isoformat() if job.last_enqueued_at else "-",
        facts=Facts(legal_entity_id=customer.legal_entity_id, department_id=customer.department_id, **facts),
        summary="Job change",
    )
