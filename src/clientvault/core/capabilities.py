"""Capabilities that stay in code: who may use which admin resource, and the action and resource names.

Customer rows are granted by policy rules (data; ``access.policies``/``access.engine``). The capabilities
here are not about customer rows (managing users, catalogues, policies, the audit trail): a policy table
that could grant the right to edit itself would be no control. They live in the kernel next to the roles
so that every layer can check them without importing ``access`` (issue #12); ``access.policies``
re-exports them.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from clientvault.core import roles as R

VIEW, CREATE, CHANGE, DELETE, EXPORT, REVEAL = "view", "create", "change", "delete", "export", "reveal"
DATA_ACTIONS = (VIEW, CREATE, CHANGE, DELETE, EXPORT, REVEAL)
CUSTOMER, FOLLOWUP, ASSET = "customer", "followup", "asset"
# A customer's credit file, limits, terms, scores, holds, reviews and warnings (issue #16).
CREDIT = "credit"
DATA_RESOURCES = (CUSTOMER, FOLLOWUP, ASSET, CREDIT)
# Capabilities that are not about customer rows: what the navigation and admin pages check.
MANAGE_USERS, MANAGE_CUSTOM_FIELDS = "manage_users", "manage_custom_fields"
MANAGE_CLASSIFICATION = "manage_classification"
MANAGE_PURPOSES = "manage_purposes"
MANAGE_POLICIES = "manage_policies"
# The audit trail (search, a customer's history, evidence packs): compliance and auditors. Administrators
# run `clientvault audit verify` but get no default sight of who touched which customer (ARCHITECTURE.md roles).
AUDIT_TRAIL = "audit_trail"
# Consents: notices and coverage for compliance (and read-only for auditors); recording a customer's consent
# also needs sight of the customer (consents/services.py).
CONSENTS = "consents"
# Deciding pending role grants (ARCHITECTURE.md rule 12): a data role takes effect only when a compliance
# officer other than the requester approves it (accounts/grants.py).
ROLE_GRANTS = "role_grants"
# Lowering a record's protection (clearing "core") is a compliance decision (rule 12; customers/protection.py).
LOWER_PROTECTION = "lower_protection"
# Compliance review on entry (issue #13): compliance sees customers pending or rejected at review, which
# nobody else but their creator does (customers/querysets.py), and decides them.
ENTRY_REVIEW = "entry_review"
# Maker-checker change requests (issue #13): the inbox and one's own requests for every staff role that can
# make or decide them (who decides a request is the rule's business, not this capability's); the approval
# rules are compliance's to change, and auditors and administrators read them.
APPROVALS = "approvals"
APPROVAL_RULES = "approval_rules"
# Dated exchange rates (reference data for multi-currency totals, issue #13): compliance officers and administrators
# record them; risk officers and auditors read them. Asset alerts: compliance's desk, auditors read.
FX_RATES = "fx_rates"
ASSET_ALERTS = "asset_alerts"
# Importing customers from files (issue #14): sales managers and compliance officers run imports and see their
# own batches; administrators see every batch's metadata (counts, states; never a value) for operations.
IMPORTS = "imports"
# The duplicate review queue (issue #14): compliance officers and sales managers review and dismiss clusters
# (only those whose every member they can see, dedupe/querysets.py); auditors read.
DUPLICATES = "duplicates"
# Survivorship rules (issue #14): which record each field of a merged customer keeps. Compliance proposes a change
# and a second compliance officer decides it (rule 12); auditors, administrators and the duplicates desk read them.
SURVIVORSHIP_RULES = "survivorship_rules"
# The working-day calendar (issue #15): public holidays and make-up working days behind every deadline. Every
# staff role reads it; administrators enter days (effective-dated, citing the State Council notice).
CALENDAR = "calendar"
# Data lifecycle (issue #15): retention rules, legal holds, deletion certificates are compliance's desk (a change
# that lowers protection — shortening a period, lifting a hold — is decided by a second compliance officer);
# auditors read; administrators read the rules. Restricted records (PIPL-47): compliance alone reads them.
RETENTION_RULES, LEGAL_HOLDS, DELETION_CERTIFICATES = "retention_rules", "legal_holds", "deletion_certificates"
RESTRICTED_RECORDS = "restricted_records"
# Data-subject requests (issue #15): compliance handles every request of its legal entity (verifies, extends,
# refuses, retries); sales reps and managers log requests at the counter, by phone or letter and see those they
# logged; auditors read the metadata (rights/querysets.py scopes the rows).
RIGHTS_REQUESTS = "rights_requests"
# Credit risk (issue #16): the risk desk (portfolio, early-warning queue, reviews due, the monthly report) is the
# risk officers'; compliance and auditors read it. The credit-control rules and tier policies are versioned data
# the risk officers change (each change a new version with its reason); compliance, auditors and administrators
# read them. Which customers' files a person sees is the ``credit`` policy resource's business.
RISK_DESK, CREDIT_RULES = "risk_desk", "credit_rules"
BREAK_GLASS = "break_glass"  # the purpose code of emergency access
CLASSES = ("C1", "C2", "C3")
_RANK = {c: i + 1 for i, c in enumerate(CLASSES)}


def class_rank(jrt_class: str) -> int:
    """C1 → 1 … C3 → 3; an unknown or empty class ranks as C3 (fail closed)."""
    return _RANK.get(jrt_class, 3)


@dataclass(frozen=True)
class Grant:
    """A capability in code: a role may use an admin resource."""

    role: str
    resource: str
    actions: frozenset[str]


def _g(role: str, resource: str, actions: str) -> Grant:
    return Grant(role, resource, frozenset(actions.split()))


CAPABILITY_GRANTS: tuple[Grant, ...] = (
    _g(R.COMPLIANCE_OFFICER, MANAGE_CUSTOM_FIELDS, "view"),
    _g(R.COMPLIANCE_OFFICER, MANAGE_CLASSIFICATION, "view change"),
    _g(R.AUDITOR, MANAGE_CLASSIFICATION, "view"),
    _g(R.COMPLIANCE_OFFICER, MANAGE_PURPOSES, "view change"),
    _g(R.AUDITOR, MANAGE_PURPOSES, "view"),
    _g(R.COMPLIANCE_OFFICER, MANAGE_POLICIES, "view change"),
    # Data policies are compliance's alone (rule 12): administrators read them and change none.
    _g(R.ADMINISTRATOR, MANAGE_POLICIES, "view"),
    _g(R.AUDITOR, MANAGE_POLICIES, "view"),
    _g(R.ADMINISTRATOR, MANAGE_USERS, "view create change"),
    _g(R.ADMINISTRATOR, MANAGE_CUSTOM_FIELDS, "view create change"),
    _g(R.COMPLIANCE_OFFICER, AUDIT_TRAIL, "view export"),
    _g(R.AUDITOR, AUDIT_TRAIL, "view export"),
    _g(R.COMPLIANCE_OFFICER, CONSENTS, "view change"),
    # Who records rates follows assets.services.record_fx_rate (compliance, administrators); see design13 Changes.
    _g(R.COMPLIANCE_OFFICER, FX_RATES, "view change"),
    _g(R.ADMINISTRATOR, FX_RATES, "view change"),
    _g(R.RISK_OFFICER, FX_RATES, "view"),
    _g(R.AUDITOR, FX_RATES, "view"),
    _g(R.COMPLIANCE_OFFICER, ASSET_ALERTS, "view change"),
    _g(R.AUDITOR, ASSET_ALERTS, "view"),
    _g(R.AUDITOR, CONSENTS, "view"),
    _g(R.COMPLIANCE_OFFICER, ROLE_GRANTS, "view change"),
    _g(R.COMPLIANCE_OFFICER, LOWER_PROTECTION, "change"),
    _g(R.COMPLIANCE_OFFICER, ENTRY_REVIEW, "view change"),
    _g(R.SALES_REP, APPROVALS, "view"),
    _g(R.SALES_MANAGER, APPROVALS, "view"),
    _g(R.RISK_OFFICER, APPROVALS, "view"),
    _g(R.COMPLIANCE_OFFICER, APPROVALS, "view"),
    _g(R.AUDITOR, APPROVALS, "view"),
    _g(R.COMPLIANCE_OFFICER, APPROVAL_RULES, "view change"),
    _g(R.AUDITOR, APPROVAL_RULES, "view"),
    _g(R.ADMINISTRATOR, APPROVAL_RULES, "view"),
    _g(R.SALES_MANAGER, IMPORTS, "view create"),
    _g(R.COMPLIANCE_OFFICER, IMPORTS, "view create"),
    _g(R.ADMINISTRATOR, IMPORTS, "view"),
    _g(R.COMPLIANCE_OFFICER, DUPLICATES, "view change"),
    _g(R.SALES_MANAGER, DUPLICATES, "view change"),
    _g(R.AUDITOR, DUPLICATES, "view"),
    _g(R.COMPLIANCE_OFFICER, SURVIVORSHIP_RULES, "view change"),
    _g(R.AUDITOR, SURVIVORSHIP_RULES, "view"),
    _g(R.ADMINISTRATOR, SURVIVORSHIP_RULES, "view"),
    _g(R.SALES_MANAGER, SURVIVORSHIP_RULES, "view"),
    _g(R.ADMINISTRATOR, CALENDAR, "view change"),
    *(_g(role, CALENDAR, "view") for role in (R.COMPLIANCE_OFFICER, R.AUDITOR, R.RISK_OFFICER, R.SALES_MANAGER, R.SALES_REP)),
    _g(R.COMPLIANCE_OFFICER, RETENTION_RULES, "view change"),
    _g(R.AUDITOR, RETENTION_RULES, "view"),
    _g(R.ADMINISTRATOR, RETENTION_RULES, "view"),
    _g(R.COMPLIANCE_OFFICER, LEGAL_HOLDS, "view change"),
    _g(R.AUDITOR, LEGAL_HOLDS, "view"),
    _g(R.COMPLIANCE_OFFICER, DELETION_CERTIFICATES, "view change"),
    _g(R.AUDITOR, DELETION_CERTIFICATES, "view"),
    _g(R.COMPLIANCE_OFFICER, RESTRICTED_RECORDS, "view"),
    _g(R.COMPLIANCE_OFFICER, RIGHTS_REQUESTS, "view create change"),
    _g(R.SALES_REP, RIGHTS_REQUESTS, "view create"),
    _g(R.SALES_MANAGER, RIGHTS_REQUESTS, "view create"),
    _g(R.AUDITOR, RIGHTS_REQUESTS, "view"),
    _g(R.RISK_OFFICER, RISK_DESK, "view change"),
    _g(R.COMPLIANCE_OFFICER, RISK_DESK, "view"),
    _g(R.AUDITOR, RISK_DESK, "view"),
    _g(R.RISK_OFFICER, CREDIT_RULES, "view change"),
    _g(R.COMPLIANCE_OFFICER, CREDIT_RULES, "view"),
    _g(R.AUDITOR, CREDIT_RULES, "view"),
    _g(R.ADMINISTRATOR, CREDIT_RULES, "view"),
)


def allows(roles: Iterable[str], resource: str, action: str) -> bool:
    """Whether the roles hold a code capability (never customer data: see ``access.engine.can``)."""
    held = set(roles)
    return any(g.role in held and g.resource == resource and action in g.actions for g in CAPABILITY_GRANTS)


def code_capabilities(roles: Iterable[str]) -> frozenset[str]:
    held = set(roles)
    return frozenset(f"{g.resource}.{a}" for g in CAPABILITY_GRANTS if g.role in held for a in g.actions)
