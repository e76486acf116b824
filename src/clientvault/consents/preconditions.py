"""Questions the consent services, pages and portal ask before they act: who may act on a customer's
consents, which notice is current for a purpose, what a portal tick consents to. No writes, no personal data."""

from __future__ import annotations

import datetime as dt
import uuid

from django.conf import settings

from clientvault.access import engine
from clientvault.access.models import Purpose
from clientvault.access.policies import CHANGE, CONSENTS, VIEW, allows
from clientvault.consents import rules
from clientvault.consents.choices import Audience, ConsentType
from clientvault.consents.models import NoticeVersion
from clientvault.core.context import Context
from clientvault.core.errors import NotFound, PermissionDenied
from clientvault.customers.models import Customer

NOTICE_OPTIONAL_TEXT = ("necessity_zh", "necessity_en", "impact_zh", "impact_en")


def acting_on(ctx: Context, customer_id: uuid.UUID, *, lock: bool = False) -> Customer:
    """The customer whose consents the actor may record; NotFound when out of sight.

    A customer signed in to the portal acts on their own records only. Staff need sight of the customer
    under their purpose and either may change it (the rep at the counter) or hold the consents capability
    (compliance, recording a form that reached the back office).
    """
    qs = Customer.objects.visible_to(ctx, VIEW)  # a signed-in customer: their own records only
    if lock:
        qs = qs.select_for_update()
    if ctx.subject_ids:
        own: Customer | None = qs.filter(pk=customer_id).first()
        if own is None:
            raise NotFound()
        return own
    if ctx.actor is None:
        raise PermissionDenied()
    engine.require_purpose(ctx)
    if not Customer.objects.visible_to(ctx, VIEW).filter(pk=customer_id).exists():
        raise NotFound()
    may_change = Customer.objects.visible_to(ctx, CHANGE).filter(pk=customer_id).exists()
    if not (may_change or allows(ctx.roles, CONSENTS, "change")):
        raise PermissionDenied()
    customer: Customer | None = qs.filter(pk=customer_id).first()
    if customer is None:
        raise NotFound()
    return customer


def may_record(ctx: Context, customer_id: uuid.UUID) -> bool:
    """Whether the page should offer the capture and withdraw forms (the services check again)."""
    try:
        acting_on(ctx, customer_id)
    except (NotFound, PermissionDenied):
        return False
    return True


def purpose_facts(code: str) -> rules.PurposeFacts:
    purpose = Purpose.objects.filter(code=code, active=True).first()
    if purpose is None:
        return rules.PurposeFacts(code, needs_consent=False)
    return rules.PurposeFacts(
        code,
        needs_consent=purpose.needs_consent,
        cross_border=code in settings.CLIENTVAULT_CONSENT_CROSS_BORDER_PURPOSES,
        third_party=code in settings.CLIENTVAULT_CONSENT_THIRD_PARTY_PURPOSES,
    )


def notice_facts(notice: NoticeVersion) -> rules.NoticeFacts:
    return rules.NoticeFacts(
        purposes=list(notice.purposes),
        categories=list(notice.categories),
        recipients=list(notice.recipients),
        destination_countries=list(notice.destination_countries),
        audience=notice.audience,
        has_necessity_and_impact=all(str(getattr(notice, f)).strip() for f in NOTICE_OPTIONAL_TEXT),
    )


def current_notices() -> list[NoticeVersion]:
    """The latest version of every notice, those for adults first."""
    latest: dict[str, NoticeVersion] = {}
    for n in NoticeVersion.objects.order_by("notice", "-version"):
        latest.setdefault(n.notice, n)
    return sorted(latest.values(), key=lambda n: (n.audience != Audience.GENERAL, n.notice))


def notice_for(purpose: str, *, child: bool) -> NoticeVersion | None:
    """The current notice that asks consent for ``purpose`` (the child-specific one for a minor)."""
    wanted = Audience.CHILD if child else Audience.GENERAL
    found = [n for n in current_notices() if purpose in n.purposes and n.audience == wanted]
    return max(found, key=lambda n: n.published_at, default=None)


def self_service_capture(purpose: str, notice: NoticeVersion) -> rules.Capture:
    """What a customer ticking the box under a notice in the portal consents to: the notice's whole scope,
    asked on a page of its own (not bundled) with an empty box (not pre-ticked); separate consent when the
    scope is sensitive, third-party or cross-border (PIPL-23/29-30/39)."""
    facts = purpose_facts(purpose)
    heightened = facts.cross_border or facts.third_party or bool(set(notice.categories) & sensitive_categories())
    return rules.Capture(
        purpose=purpose,
        consent_type=ConsentType.SEPARATE if heightened else ConsentType.GENERAL,
        categories=list(notice.categories),
        recipients=list(notice.recipients),
        destination_country=notice.destination_countries[0] if facts.cross_border and notice.destination_countries else "",
        not_preticked=True,
        not_bundled=True,
    )


def sensitive_categories() -> set[str]:
    """Categories holding any field the catalogue marks sensitive (PIPL Art. 28 or GB/T 35273)."""
    return {meta[2] for key, meta in engine.field_classes().items() if key.startswith("customer.") and meta[3]}


def parse_expiry(value: dt.date | None) -> dt.datetime | None:
    """The end of the chosen day in the server's zone (a consent valid "until 2027-12-31" lasts that day)."""
    if value is None:
        return None
    from django.utils import timezone

    return timezone.make_aware(dt.datetime.combine(value + dt.timedelta(days=1), dt.time.min))
