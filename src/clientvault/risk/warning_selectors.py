"""Reads of early warnings (issue #16; ARCHITECTURE.md rules 1, 3 and 11): the risk desk's queue and one warning.

- The queue shows non-personal columns (indicator, severity, source, status, dates) and the customer's display
  name as the customer list shows it: decided per field by the customer's disclosure plan (masked for a viewer
  who sees C2 masked), and audited like a customer list (``credit.warnings_listed`` with the fields shown).
- One warning opens its evidence only when the plan shows ``earlywarning.evidence`` in clear (a masked dictionary
  would mean nothing); ``credit.warning_viewed`` records the fields shown, also when nothing changed.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass, field
from typing import Any

from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Case, IntegerField, Value, When

from clientvault.access.plan import disclosure_plan
from clientvault.access.policies import CREDIT, VIEW, Decision
from clientvault.audit import recording as audit
from clientvault.core.context import Context
from clientvault.core.errors import NotFound, ValidationFailed
from clientvault.customers import disclosure
from clientvault.customers.models import Customer
from clientvault.risk import vault
from clientvault.risk.indicators import kind_label
from clientvault.risk.models import EarlyWarning, Severity, WarningSource, WarningStatus
from clientvault.risk.warnings import require_desk

MAX_PER_PAGE = 100
EVIDENCE = {"evidence": "earlywarning.evidence"}
_STATUS_ORDER = Case(
    When(status=WarningStatus.OPEN, then=Value(0)),
    When(status=WarningStatus.ACKNOWLEDGED, then=Value(1)),
    default=Value(2),
    output_field=IntegerField(),
)
_SEVERITY_ORDER = Case(
    When(severity=Severity.CRITICAL, then=Value(0)),
    When(severity=Severity.WARNING, then=Value(1)),
    default=Value(2),
    output_field=IntegerField(),
)


@dataclass
class QueueRow:
    id: uuid.UUID
    credit_file_id: uuid.UUID
    customer_id: uuid.UUID
    customer_name: str | None  # as the plan shows it (masked, or None when withheld or out of the viewer's sight)
    kind: str
    kind_label: str
    source: str
    severity: str
    status: str
    detected_at: dt.datetime
    handled_at: dt.datetime | None
    severity_label: str = ""
    status_label: str = ""
    source_label: str = ""


@dataclass
class QueuePage:
    items: list[QueueRow]
    total: int
    number: int
    num_pages: int
    status: str = ""
    severity: str = ""


@dataclass
class WarningDetail:
    row: QueueRow
    evidence: dict[str, Any] | None  # the facts found; None when withheld or erased
    notes: list[dict[str, Any]] = field(default_factory=list)
    evidence_shown: bool = False
    erased: bool = False


def _names(ctx: Context, customer_ids: set[uuid.UUID]) -> tuple[dict[uuid.UUID, str | None], list[str], dict[str, Any]]:
    """Display names as the customer list shows them, the fields shown and the plan's audit detail."""
    customers = list(Customer.objects.visible_to(ctx, VIEW).filter(pk__in=sorted(customer_ids)))
    if not customers:
        return {}, [], {}
    shown, the_plan = disclosure.disclose(ctx, customers, ["name"])
    return {c.pk: (c.name or None) for c in customers}, shown, disclosure.audit_detail(customers, the_plan)


def _row(warning: EarlyWarning, names: dict[uuid.UUID, str | None]) -> QueueRow:
    customer_id = warning.credit_file.customer_id
    return QueueRow(
        id=warning.pk,
        credit_file_id=warning.credit_file_id,
        customer_id=customer_id,
        customer_name=names.get(customer_id),
        kind=warning.kind,
        kind_label=kind_label(warning.kind),
        source=warning.source,
        severity=warning.severity,
        status=warning.status,
        detected_at=warning.detected_at,
        handled_at=warning.handled_at,
        severity_label=str(Severity(warning.severity).label),
        status_label=str(WarningStatus(warning.status).label),
        source_label=str(WarningSource(warning.source).label),
    )


@transaction.atomic
def warning_queue(ctx: Context, *, status: str = "", severity: str = "", page: int = 1, per_page: int = 25) -> QueuePage:
    """The warnings the actor may see, open first, then by severity and newest first; audited like a list."""
    require_desk(ctx, VIEW)
    errors: dict[str, list[str]] = {}
    if status and status not in WarningStatus.values:
        errors["status"] = ["unknown"]
    if severity and severity not in Severity.values:
        errors["severity"] = ["unknown"]
    if errors:
        raise ValidationFailed(errors)
    qs = EarlyWarning.objects.visible_to(ctx, VIEW).select_related("credit_file")
    if status:
        qs = qs.filter(status=status)
    if severity:
        qs = qs.filter(severity=severity)
    qs = qs.annotate(_s=_STATUS_ORDER, _v=_SEVERITY_ORDER).order_by("_s", "_v", "-detected_at", "id")
    paginator = Paginator(qs, max(1, min(per_page, MAX_PER_PAGE)))
    page_obj = paginator.get_page(page)
    warnings = list(page_obj.object_list)
    names, shown, plan_detail = _names(ctx, {w.credit_file.customer_id for w in warnings})
    audit.record(
        ctx,
        "credit.warnings_listed",
        object_type="risk.earlywarning",
        fields=[f"customer.{f}" for f in shown],
        detail={
            "result_count": paginator.count,
            "page": page_obj.number,
            "rows_shown": len(warnings),
            "filter_keys": sorted(k for k, v in (("status", status), ("severity", severity)) if v),
            **plan_detail,
        },
    )
    return QueuePage([_row(w, names) for w in warnings], paginator.count, page_obj.number, paginator.num_pages, status, severity)


@transaction.atomic
def get_warning(ctx: Context, warning_id: uuid.UUID) -> WarningDetail:
    """One warning with its evidence, when the actor's plan shows it in clear; audited with the fields shown."""
    require_desk(ctx, VIEW)
    warning = (
        EarlyWarning.objects.visible_to(ctx, VIEW).select_related("credit_file", "credit_file__customer").filter(pk=warning_id).first()
    )
    if warning is None:
        raise NotFound()
    customer = warning.credit_file.customer
    the_plan = disclosure_plan(ctx, disclosure.rows_of([customer]), EVIDENCE, CREDIT)
    planned = the_plan[customer.pk]["evidence"]
    names, shown_names, _detail = _names(ctx, {customer.pk})
    evidence: dict[str, Any] | None = None
    notes: list[dict[str, Any]] = []
    erased = False
    if planned.decision is Decision.PLAIN and warning.evidence_ct:
        opened = vault.open_json(warning, "evidence", customer_id=customer.pk)
        erased = opened is None
        if isinstance(opened, dict):
            evidence, notes = dict(opened.get("facts") or {}), list(opened.get("notes") or [])
    fields = (["evidence"] if evidence is not None else []) + [f"customer.{f}" for f in shown_names]
    detail: dict[str, Any] = {"kind": warning.kind, "severity": warning.severity, "disclosure": the_plan.audit_codes()}
    if the_plan.consent_gated:
        detail |= {"consent_gated": True, "withheld_for_consent": the_plan.withheld_for_consent()}
    audit.record(ctx, "credit.warning_viewed", obj=warning, customer_id=customer.pk, fields=fields, detail=detail)
    return WarningDetail(_row(warning, names), evidence, notes, evidence is not None, erased)
