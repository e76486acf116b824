"""The retention rules seeded from RULES.md (issue #15). Periods marked [M] in RULES.md are policy choices:
they are seeded here as version 1 and edited as data afterwards (a shorter period needs a second compliance
officer, lifecycle/rules.py). Values are frozen here: a migration seeds them; change them through the catalogue.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_noop

# code: (category, purpose, legal basis, months, start event, end action, citation, description)
RETENTION_DEFAULTS: dict[str, tuple[str, str, str, int, str, str, str, str]] = {
    "profile-service": (
        "profile", "customer_service", "contract", 36, "relationship_end", "delete", "PIPL-19",
        gettext_noop(
            "The profile, kept for the service and then deleted: 3 years after the relationship ends [M] (PIPL-19, GBT35273-8.5)."
        ),
    ),
    "kyc-aml": (
        "kyc", "compliance_review", "legal_duty", 120, "relationship_end", "delete", "AML-34",
        gettext_noop(
            "Customer identification records: 10 years after the relationship ends (AML-34); an AML legal hold restricts meanwhile."
        ),
    ),
    "transactions-aml": (
        "transactions", "compliance_review", "legal_duty", 120, "transaction_date", "delete", "AML-34",
        gettext_noop("Transaction records: 10 years after the transaction (AML-34)."),
    ),
    "followups-sales": (
        "followups", "sales_followup", "contract", 36, "last_contact", "delete", "PIPL-19",
        gettext_noop("Follow-ups: 3 years after the last contact [M] (PIPL-19, GBT35273-6.1)."),
    ),
    "marketing-tags": (
        "marketing_tags", "marketing", "consent", 0, "consent_withdrawn", "delete", "PIPL-47",
        gettext_noop("Marketing tags are personal data (GBT35273-3.1): deleted when marketing consent is withdrawn (PIPL-15, PIPL-47)."),
    ),
    "consent-evidence": (
        "consent_evidence", "compliance_review", "legal_duty", 36, "relationship_end", "delete", "PIPL-69",
        gettext_noop("Consent evidence proves lawful processing (PIPL-69): 3 years after the relationship ends [M]."),
    ),
    "access-logs": (
        "access_logs", "audit", "legal_duty", 6, "transaction_date", "delete", "CSL-21",
        gettext_noop("Access logs: at least 6 months (CSL-21) [M]; archived with their proofs by the audit trail, not by the sweep."),
    ),
    "pipia-records": (
        "pipia", "compliance_review", "legal_duty", 36, "relationship_end", "delete", "PIPL-55-56",
        gettext_noop("Impact assessments and processing records: at least 3 years (PIPL-56)."),
    ),
}  # fmt: skip


def rows() -> list[dict[str, Any]]:
    out = []
    for code, (category, purpose, basis, months, start, action, citation, description) in RETENTION_DEFAULTS.items():
        out.append(
            {
                "code": code, "category": category, "purpose": purpose, "legal_basis": basis, "period_months": months,
                "start_event": start, "end_action": action, "citation": citation, "description": description,
            }
        )  # fmt: skip
    return out
