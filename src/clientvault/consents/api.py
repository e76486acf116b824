"""Consents over JSON: a customer's consents and history, give and withdraw, notices, and the change feed
integrations read (``consent.changed`` and ``notice.published`` events, oldest first from a cursor)."""

from __future__ import annotations

import uuid

from django.http import HttpRequest
from ninja import Router, Status

from clientvault.consents import rules, selectors, services
from clientvault.consents.choices import ConsentType
from clientvault.consents.models import NoticeVersion
from clientvault.consents.schemas import (
    ConsentRecordOut,
    CustomerConsentsOut,
    EventOut,
    GiveConsentIn,
    NoticeOut,
    PurposeConsentOut,
    WithdrawIn,
)
from clientvault.core.context import Context
from clientvault.core.errors import PermissionDenied

router = Router(tags=["consents"])


def _ctx(request: HttpRequest) -> Context:
    return request.cv_ctx  # type: ignore[attr-defined, no-any-return]


def _consents_out(found: selectors.CustomerConsents) -> CustomerConsentsOut:
    history = found.history
    return CustomerConsentsOut(
        customer_id=found.customer_id,
        minor=found.minor,
        consents=[
            PurposeConsentOut(
                purpose=p.purpose.code,
                state=p.state,
                consent_type=ConsentType(p.consent.consent_type) if p.consent else None,
                categories=list(p.consent.categories) if p.consent else [],
                expires_at=p.consent.expires_at if p.consent else None,
                needs_renewal=bool(p.consent and p.consent.needs_renewal),
            )
            for p in found.purposes
        ],
        history=[ConsentRecordOut.from_model(r) for r in history],
    )


@router.get("/customers/{customer_id}/consents", response=CustomerConsentsOut, summary="A customer's consents and their history")
def customer_consents(request: HttpRequest, customer_id: uuid.UUID) -> CustomerConsentsOut:
    return _consents_out(selectors.customer_consents(_ctx(request), customer_id))


@router.post(
    "/customers/{customer_id}/consents", response={201: ConsentRecordOut}, summary="Record consent given, against the notice shown"
)
def give_consent(request: HttpRequest, customer_id: uuid.UUID, payload: GiveConsentIn) -> Status[ConsentRecordOut]:
    capture = rules.Capture(
        purpose=payload.purpose,
        consent_type=payload.consent_type,
        categories=payload.categories,
        recipients=payload.recipients,
        destination_country=payload.destination_country.upper(),
        not_preticked=payload.not_preticked,
        not_bundled=payload.not_bundled,
        guardian_relation=payload.guardian_relation,
        guardian_name=payload.guardian_name,
        expires_at=payload.expires_at,
    )
    record = services.give_consent(
        ctx=_ctx(request), customer_id=customer_id, notice_id=payload.notice_id, capture=capture, channel=payload.channel
    )
    return Status(201, ConsentRecordOut.from_model(record))


@router.post(
    "/customers/{customer_id}/consents/{purpose}/withdraw", response={201: ConsentRecordOut}, summary="Record a withdrawal (PIPL-15)"
)
def withdraw_consent(request: HttpRequest, customer_id: uuid.UUID, purpose: str, payload: WithdrawIn) -> Status[ConsentRecordOut]:
    record = services.withdraw_consent(ctx=_ctx(request), customer_id=customer_id, purpose=purpose, channel=payload.channel)
    return Status(201, ConsentRecordOut.from_model(record))


@router.get("/consents/notices", response=list[NoticeOut], summary="Published privacy notice versions, newest first")
def notices(request: HttpRequest) -> list[NoticeOut]:
    ctx = _ctx(request)
    if ctx.actor is None:
        raise PermissionDenied()
    return [NoticeOut.from_orm(n) for n in NoticeVersion.objects.order_by("notice", "-version")]


@router.get("/consents/events", response=list[EventOut], summary="Consent and notice events after a cursor, oldest first")
def events(request: HttpRequest, after: int = 0, limit: int = 100) -> list[EventOut]:
    return [EventOut.from_orm(e) for e in selectors.changes(_ctx(request), after=after, limit=limit)]
