"""Where each person starts: a page their role may open (the logo, the error pages' way back, after sign-in).

Administrators hold no customer data (ARCHITECTURE.md rule 3; no default sight), so the customer list is not
everyone's home. The first entry whose role the person holds and whose page they may open wins.
"""

from __future__ import annotations

from django.urls import reverse

from clientvault.access.engine import capabilities
from clientvault.core import roles as R
from clientvault.core.context import Context

# (role, page, the capability the page needs) in order of preference.
LANDING: tuple[tuple[str, str, str], ...] = (
    (R.SALES_REP, "customers:list", "customer.view"),
    (R.SALES_MANAGER, "customers:list", "customer.view"),
    (R.RISK_OFFICER, "customers:list", "customer.view"),
    (R.COMPLIANCE_OFFICER, "consents:dashboard", "consents.view"),
    (R.AUDITOR, "audit:search", "audit_trail.view"),
    (R.ADMINISTRATOR, "accounts:users", "manage_users.view"),
)
# For roles not listed (or a page their policy no longer grants): the first of these the person may open.
FALLBACK: tuple[tuple[str, str], ...] = (
    ("customers:list", "customer.view"),
    ("audit:search", "audit_trail.view"),
    ("consents:dashboard", "consents.view"),
    ("accounts:users", "manage_users.view"),
    ("classification:catalogue", "manage_classification.view"),
    ("access:policies", "manage_policies.view"),
)


def landing_url(ctx: Context, *, break_glass: bool = False) -> str:
    """The start page of the person in ``ctx``; their profile when nothing else is open to them."""
    if ctx.actor is None:
        return reverse("accounts:login")
    if break_glass:  # an open emergency window is what they came for: its list first
        return reverse("customers:list")
    caps = capabilities(ctx)
    for role, page, needs in LANDING:
        if role in ctx.roles and needs in caps:
            return reverse(page)
    for page, needs in FALLBACK:
        if needs in caps:
            return reverse(page)
    return reverse("accounts:profile")
