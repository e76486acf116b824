"""Role codes. Roles are rows (``Role``) so names and descriptions are data; code refers to them by code."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

SALES_REP = "sales_rep"
SALES_MANAGER = "sales_manager"
RISK_OFFICER = "risk_officer"
COMPLIANCE_OFFICER = "compliance_officer"
AUDITOR = "auditor"
ADMINISTRATOR = "administrator"

# Seeded by migration; (code, zh name, en name). Ordered from most to least privileged for audit.
DEFAULT_ROLES = [
    (ADMINISTRATOR, "系统管理员", "Administrator"),
    (COMPLIANCE_OFFICER, "合规专员", "Compliance officer"),
    (AUDITOR, "审计员", "Auditor"),
    (RISK_OFFICER, "风控专员", "Risk officer"),
    (SALES_MANAGER, "销售主管", "Sales manager"),
    (SALES_REP, "客户经理", "Sales rep"),
]
ROLE_LABELS = {
    ADMINISTRATOR: _("Administrator"),
    COMPLIANCE_OFFICER: _("Compliance officer"),
    AUDITOR: _("Auditor"),
    RISK_OFFICER: _("Risk officer"),
    SALES_MANAGER: _("Sales manager"),
    SALES_REP: _("Sales rep"),
    "system": _("System"),
    "data_subject": _("Customer (self-service portal)"),
}
_RANK = {code: i for i, (code, _zh, _en) in enumerate(DEFAULT_ROLES)}


def primary_role(roles: frozenset[str] | set[str]) -> str:
    """The most privileged role held; recorded on audit events."""
    if not roles:
        return ""
    return min(roles, key=lambda r: _RANK.get(r, len(_RANK)))
