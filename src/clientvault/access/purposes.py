"""Purposes of processing (处理目的) and their legal bases — the defaults seeded into the catalogue.

PIPL-13-lawful-basis: seven bases, no "legitimate interests". Purposes whose basis is consent need a
live consent record before customer data is used for them (enforced by the consent issue).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import models
from django.utils.translation import gettext_lazy as _


class LegalBasis(models.TextChoices):
    """PIPL Art. 13 (1)–(7)."""

    CONSENT = "consent", _("Consent (PIPL Art. 13(1))")
    CONTRACT = "contract", _("Necessary for a contract with the person (Art. 13(2))")
    LEGAL_DUTY = "legal_duty", _("Statutory duty or obligation (Art. 13(3))")
    EMERGENCY = "emergency", _("Public-health emergency or protection of life and property (Art. 13(4))")
    NEWS = "news", _("News reporting in the public interest (Art. 13(5))")
    PUBLIC = "public", _("Information the person made public (Art. 13(6))")
    OTHER_LAW = "other_law", _("Other circumstances provided by law (Art. 13(7))")


@dataclass(frozen=True)
class DefaultPurpose:
    code: str
    name_zh: str
    name_en: str
    legal_basis: str
    needs_consent: bool
    description: str


DEFAULT_PURPOSES: tuple[DefaultPurpose, ...] = (
    DefaultPurpose(
        "customer_service", "客户服务", "Customer service", LegalBasis.CONTRACT, False, "Serving the customer under their contract."
    ),
    DefaultPurpose(
        "sales_followup", "销售跟进", "Sales follow-up", LegalBasis.CONTRACT, False, "Managing the relationship the customer has with us."
    ),
    DefaultPurpose("marketing", "营销推广", "Marketing", LegalBasis.CONSENT, True, "Offers and campaigns; needs the customer's consent."),
    DefaultPurpose(
        "credit_assessment", "信用评估", "Credit assessment", LegalBasis.CONTRACT, False, "Assessing and monitoring credit risk."
    ),
    DefaultPurpose("compliance_review", "合规审查", "Compliance review", LegalBasis.LEGAL_DUTY, False, "AML, KYC and regulatory reviews."),
    DefaultPurpose(
        "rights_request",
        "个人信息权利请求处理",
        "Rights-request fulfilment",
        LegalBasis.LEGAL_DUTY,
        False,
        "Answering data-subject requests.",
    ),
    DefaultPurpose("audit", "审计", "Audit", LegalBasis.LEGAL_DUTY, False, "Internal and external audit of processing."),
    # PIPL-23: giving data to another processor, and PIPL-38-39-40: sending it abroad — each needs the
    # customer's separate consent, naming the recipients or the destination country.
    DefaultPurpose(
        "partner_sharing",
        "向合作机构提供",
        "Provision to partners",
        LegalBasis.CONSENT,
        True,
        "Giving data to named partner institutions; needs separate consent.",
    ),
    DefaultPurpose(
        "cross_border_transfer",
        "跨境提供",
        "Cross-border transfer",
        LegalBasis.CONSENT,
        True,
        "Sending data abroad to a named recipient; needs separate consent.",
    ),
    DefaultPurpose(
        "break_glass", "紧急访问", "Break-glass", LegalBasis.EMERGENCY, False, "Time-boxed emergency access; every action audited."
    ),
)
