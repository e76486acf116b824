"""The lifecycle API (issue #15): retention rules, legal holds, deletion certificates. Compliance's desk; auditors
read; administrators read the rules. Holds and certificates are those of the caller's legal entity."""

from __future__ import annotations

import uuid
from typing import Any

from ninja import Router

from clientvault.core.capabilities import DELETION_CERTIFICATES, LEGAL_HOLDS, RETENTION_RULES, VIEW, allows
from clientvault.core.context import Context
from clientvault.core.errors import PermissionDenied
from clientvault.core.http import AppRequest, ctx_of
from clientvault.lifecycle import certificates, holds, queries, selectors
from clientvault.lifecycle.models import LegalHold, RetentionRule
from clientvault.lifecycle.schemas import CertificateOut, CertificateSummary, HoldIn, HoldOut, LiftIn, RetentionRuleOut

router = Router(tags=["lifecycle"])


def _ctx(request: AppRequest, capability: str) -> Context:
    ctx = ctx_of(request)
    if not allows(ctx.roles, capability, VIEW):
        raise PermissionDenied()
    return ctx


def _hold(h: LegalHold) -> HoldOut:
    return HoldOut(
        id=h.pk, customer_id=h.customer_id, basis=h.basis, category=h.category, reference=h.reference, starts_on=h.starts_on,
        until=h.until, status=h.status, automatic=h.automatic,
    )  # fmt: skip


@router.get("/lifecycle/rules", response=list[RetentionRuleOut], summary="The retention rules in force (PIPL-19)")
def list_rules(request: AppRequest) -> list[RetentionRuleOut]:
    _ctx(request, RETENTION_RULES)
    return [
        RetentionRuleOut(**{"code": r.code, "version": r.version, **r.snapshot()})
        for r in RetentionRule.objects.order_by("category", "code")
    ]


@router.get("/lifecycle/holds", response=list[HoldOut], summary="Legal holds of the caller's legal entity")
def list_holds(request: AppRequest) -> list[HoldOut]:
    ctx = _ctx(request, LEGAL_HOLDS)
    return [_hold(h) for h in queries.holds_for(ctx).order_by("-placed_at")[:500]]


@router.post("/lifecycle/holds", response={201: HoldOut}, summary="Place a legal hold on a customer")
def place_hold(request: AppRequest, payload: HoldIn) -> tuple[int, HoldOut]:
    ctx = _ctx(request, LEGAL_HOLDS)
    hold = holds.place_hold(
        ctx, customer_id=payload.customer_id, basis=payload.basis, reference=payload.reference, starts_on=payload.starts_on,
        until=payload.until, category=payload.category,
    )  # fmt: skip
    return 201, _hold(hold)


@router.post("/lifecycle/holds/{hold_id}/lift", response=HoldOut, summary="Ask to lift a hold, or decide a pending lift (maker ≠ checker)")
def lift_hold(request: AppRequest, hold_id: uuid.UUID, payload: LiftIn) -> HoldOut:
    ctx = _ctx(request, LEGAL_HOLDS)
    if payload.decide:
        return _hold(holds.decide_lift(ctx, hold_id=hold_id, approve=payload.approve))
    return _hold(holds.request_lift(ctx, hold_id=hold_id, reason=payload.reason))


@router.get("/lifecycle/certificates", response=list[CertificateSummary], summary="Deletion certificates of the caller's legal entity")
def list_certificates(request: AppRequest) -> list[Any]:
    ctx = _ctx(request, DELETION_CERTIFICATES)
    rows = queries.certificates_for(ctx).order_by("-issued_at")[:500]
    return [CertificateSummary(id=c.pk, customer_id=c.customer_id, issued_at=c.issued_at, key_id=c.key_id) for c in rows]


@router.get("/lifecycle/certificates/{certificate_id}", response=CertificateOut, summary="A signed deletion certificate (verify offline)")
def get_certificate(request: AppRequest, certificate_id: uuid.UUID) -> CertificateOut:
    ctx = _ctx(request, DELETION_CERTIFICATES)
    cert = selectors.get_certificate(ctx, certificate_id, download="json")
    return CertificateOut(**certificates.as_file(cert))
