"""The access policies seeded into a new installation — a sensible start the compliance team edits.

Sales reps see their own customers in clear up to C2 and mask core (C3) records until revealed; managers
see their department subtree with C2 masked; risk, compliance and audit read the legal entity for their
own purposes; administrators see customer data only under break-glass (ARCHITECTURE.md rule 3).
Marketing (a consent-based purpose, PIPL-13) gets contact data masked beyond C1.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from clientvault.access.policies import ASSET, BREAK_GLASS, CREDIT, CUSTOMER, FOLLOWUP, Scope
from clientvault.core import roles as R


@dataclass(frozen=True)
class DefaultPolicy:
    code: str
    role: str
    resource: str
    actions: tuple[str, ...]
    purposes: tuple[str, ...]
    scope: Scope
    max_clear_class: str
    masking: dict[str, str] = field(default_factory=dict)
    description: str = ""


SERVICE = ("customer_service", "sales_followup")
ALL_ACTIONS = ("view", "create", "change", "delete", "reveal")
M, W = "masked", "withheld"

DEFAULT_POLICIES: tuple[DefaultPolicy, ...] = (
    DefaultPolicy(
        "rep-customers", R.SALES_REP, CUSTOMER, ALL_ACTIONS, SERVICE, Scope.OWN, "C2", {"C3": M}, "Own customers; core records masked."
    ),
    DefaultPolicy("rep-followups", R.SALES_REP, FOLLOWUP, ALL_ACTIONS[:4], SERVICE, Scope.OWN, "C2", {"C3": M}),
    DefaultPolicy(
        "rep-marketing",
        R.SALES_REP,
        CUSTOMER,
        ("view", "export"),
        ("marketing",),
        Scope.OWN,
        "C1",
        {"C2": M, "C3": W},
        "Own customers who consented; a rep may export the marketing list.",
    ),
    DefaultPolicy("manager-customers", R.SALES_MANAGER, CUSTOMER, ALL_ACTIONS, SERVICE, Scope.SUBTREE, "C1", {"C2": M, "C3": M}),
    DefaultPolicy("manager-followups", R.SALES_MANAGER, FOLLOWUP, ALL_ACTIONS[:4], SERVICE, Scope.SUBTREE, "C1", {"C2": M, "C3": M}),
    DefaultPolicy(
        "risk-customers", R.RISK_OFFICER, CUSTOMER, ("view", "reveal"), ("credit_assessment",), Scope.ENTITY, "C1", {"C2": M, "C3": W}
    ),
    DefaultPolicy("risk-followups", R.RISK_OFFICER, FOLLOWUP, ("view",), ("credit_assessment",), Scope.ENTITY, "C1", {"C2": M, "C3": W}),
    DefaultPolicy(
        "compliance-customers",
        R.COMPLIANCE_OFFICER,
        CUSTOMER,
        ("view", "reveal"),
        ("compliance_review", "rights_request"),
        Scope.ENTITY,
        "C2",
        {"C3": M},
    ),
    DefaultPolicy(
        "compliance-followups",
        R.COMPLIANCE_OFFICER,
        FOLLOWUP,
        ("view",),
        ("compliance_review", "rights_request"),
        Scope.ENTITY,
        "C2",
        {"C3": M},
    ),
    # PIPL-46 / GDPR-16: a correction the customer asked for is written by the compliance officer handling the
    # request (rights/fulfilment.py), under the rights-request purpose only; sensitive fields still become change
    # requests a second person decides (customers/changes.py), and C3 values stay masked (written blind: refused).
    DefaultPolicy(
        "compliance-corrections",
        R.COMPLIANCE_OFFICER,
        CUSTOMER,
        ("change",),
        ("rights_request",),
        Scope.ENTITY,
        "C2",
        {"C3": M},
        "Corrections asked for in a data-subject request (PIPL-46).",
    ),
    DefaultPolicy("auditor-customers", R.AUDITOR, CUSTOMER, ("view",), ("audit",), Scope.ENTITY, "C1", {"C2": M, "C3": W}),
    DefaultPolicy("auditor-followups", R.AUDITOR, FOLLOWUP, ("view",), ("audit",), Scope.ENTITY, "C1", {"C2": M, "C3": W}),
    DefaultPolicy(
        "admin-break-glass", R.ADMINISTRATOR, CUSTOMER, ("view",), (BREAK_GLASS,), Scope.ENTITY, "C3", {}, "Emergency access only."
    ),
    DefaultPolicy("admin-break-glass-followups", R.ADMINISTRATOR, FOLLOWUP, ("view",), (BREAK_GLASS,), Scope.ENTITY, "C3", {}),
    # Customer assets (issue #13) follow the customer like follow-ups: reps open and move their own customers'
    # assets, managers their team's; risk, compliance and audit read the legal entity for their purposes.
    # Nobody deletes an asset: it is closed through the ledger (entries are kept, AML-34-retain-10y).
    DefaultPolicy("rep-assets", R.SALES_REP, ASSET, ALL_ACTIONS[:3], SERVICE, Scope.OWN, "C2", {"C3": M}),
    DefaultPolicy("manager-assets", R.SALES_MANAGER, ASSET, ALL_ACTIONS[:3], SERVICE, Scope.SUBTREE, "C1", {"C2": M, "C3": M}),
    DefaultPolicy("risk-assets", R.RISK_OFFICER, ASSET, ("view",), ("credit_assessment",), Scope.ENTITY, "C1", {"C2": M, "C3": W}),
    DefaultPolicy(
        "compliance-assets", R.COMPLIANCE_OFFICER, ASSET, ("view",), ("compliance_review", "rights_request"), Scope.ENTITY, "C2", {"C3": M}
    ),
    DefaultPolicy("auditor-assets", R.AUDITOR, ASSET, ("view",), ("audit",), Scope.ENTITY, "C1", {"C2": M, "C3": W}),
    DefaultPolicy("admin-break-glass-assets", R.ADMINISTRATOR, ASSET, ("view",), (BREAK_GLASS,), Scope.ENTITY, "C3", {}),
    # Credit files (issue #16): risk officers read and act on every file of their legal entity for credit assessment
    # (scores, limits and holds in clear up to C2); reps and managers see their customers' files with the amounts,
    # tier and notes hidden (they learn that a hold exists, not why); compliance and audit read for their purposes.
    DefaultPolicy(
        "risk-credit", R.RISK_OFFICER, CREDIT, ("view", "create", "change"), ("credit_assessment",), Scope.ENTITY, "C2", {"C3": M}
    ),
    DefaultPolicy("rep-credit", R.SALES_REP, CREDIT, ("view",), SERVICE, Scope.OWN, "C1", {"C2": M, "C3": W}),
    DefaultPolicy("manager-credit", R.SALES_MANAGER, CREDIT, ("view",), SERVICE, Scope.SUBTREE, "C1", {"C2": M, "C3": W}),
    DefaultPolicy(
        "compliance-credit", R.COMPLIANCE_OFFICER, CREDIT, ("view",), ("compliance_review", "rights_request"), Scope.ENTITY, "C2", {"C3": M}
    ),
    DefaultPolicy("auditor-credit", R.AUDITOR, CREDIT, ("view",), ("audit",), Scope.ENTITY, "C1", {"C2": M, "C3": W}),
    DefaultPolicy("admin-break-glass-credit", R.ADMINISTRATOR, CREDIT, ("view",), (BREAK_GLASS,), Scope.ENTITY, "C3", {}),
)
