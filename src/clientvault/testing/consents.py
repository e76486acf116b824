"""Privacy notices and consents for tests."""

from __future__ import annotations

from typing import Any

from clientvault.customers.models import Customer
from clientvault.testing.actors import subject_ctx

ALL_CATEGORIES = (
    "identity",
    "contact",
    "financial_account",
    "property",
    "transaction",
    "credit",
    "behaviour",
    "location",
    "organisation",
    "other",
)


_NOTICE_TEXT = {
    "title_zh": "隐私政策",
    "title_en": "Privacy notice",
    "body_zh": "我们如何使用您的个人信息。",
    "body_en": "How we use your personal information.",
    "rights_zh": "您可以随时撤回同意。",
    "rights_en": "You can withdraw consent at any time.",
    "necessity_zh": "为向您提供服务所必需。",
    "necessity_en": "Needed to serve you.",
    "impact_zh": "影响有限。",
    "impact_en": "Limited impact.",
}


def notice(
    *,
    code: str = "privacy",
    purposes: tuple[str, ...] = ("marketing", "partner_sharing", "cross_border_transfer"),
    categories: tuple[str, ...] = ALL_CATEGORIES,
    audience: str = "general",
    recipients: tuple[str, ...] = ("合作银行",),
    countries: tuple[str, ...] = ("SG",),
    **text: str,
) -> Any:
    """A published notice version written directly (test setup: no audit event), the next of its code."""
    from clientvault.consents import rules as consent_rules
    from clientvault.consents.models import NoticeVersion
    from clientvault.core import clock

    last = NoticeVersion.objects.filter(notice=code).order_by("-version").first()
    values: dict[str, Any] = {
        **_NOTICE_TEXT,
        **text,
        "purposes": list(purposes),
        "categories": list(categories),
        "recipients": list(recipients),
        "destination_countries": list(countries),
        "audience": audience,
        "retention_days": 1095,
    }
    version = (last.version + 1) if last else 1
    return NoticeVersion.objects.create(
        notice=code,
        version=version,
        published_at=clock.now(),
        content_hash=consent_rules.content_hash({**values, "notice": code, "version": version}),
        **values,
    )


def consent(
    c: Customer,
    purpose: str = "marketing",
    *,
    consent_type: str = "separate",
    categories: tuple[str, ...] | None = None,
    expires_at: Any = None,
    the_notice: Any = None,
    guardian: bool = False,
) -> Any:
    """Consent given through the service, as the customer would in the portal (audited like the real thing)."""
    from clientvault.consents import preconditions
    from clientvault.consents import rules as consent_rules
    from clientvault.consents import services as consent_services

    child = guardian
    chosen = (
        the_notice
        or preconditions.notice_for(purpose, child=child)
        or notice(audience="child" if child else "general", code="child" if child else "privacy")
    )
    capture = consent_rules.Capture(
        purpose=purpose,
        consent_type="guardian" if guardian else consent_type,
        categories=list(categories or chosen.categories),
        recipients=list(chosen.recipients) if purpose == "partner_sharing" else [],
        destination_country=chosen.destination_countries[0] if purpose == "cross_border_transfer" else "",
        not_preticked=True,
        not_bundled=True,
        guardian_relation="parent" if guardian else "",
        guardian_name="王家长" if guardian else "",
        expires_at=expires_at,
    )
    return consent_services.give_consent(ctx=subject_ctx(c), customer_id=c.pk, notice_id=chosen.pk, capture=capture, channel="web")
