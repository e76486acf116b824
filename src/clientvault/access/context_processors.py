"""Template context: the navigation each role may use — never a link that ends in 'forbidden'."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from django.http import HttpRequest
from django.urls import reverse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from clientvault.access import engine
from clientvault.access.engine import capabilities
from clientvault.access.landing import landing_url
from clientvault.access.policies import CREATE, CUSTOMER
from clientvault.core import clock
from clientvault.core.roles import ROLE_LABELS


@dataclass(frozen=True)
class NavItem:
    label: str | Promise
    url_name: str
    icon: str
    needs: str  # a capability "resource.action"

    @property
    def url(self) -> str:
        return reverse(self.url_name)


NAVIGATION: tuple[tuple[str | Promise, tuple[NavItem, ...]], ...] = (
    (
        _("Customers"),
        (
            NavItem(_("Customer list"), "customers:list", "bi-people", "customer.view"),
            NavItem(_("New customer"), "customers:create", "bi-person-plus", "customer.create"),
            NavItem(_("Break-glass access"), "access:break_glass", "bi-exclamation-octagon", "break_glass.start"),
            NavItem(_("Duplicate review"), "dedupe:queue", "bi-intersect", "duplicates.view"),
            NavItem(_("Import customers"), "intake:batches", "bi-file-earmark-arrow-up", "imports.view"),
        ),
    ),
    (
        _("Approvals"),
        (
            NavItem(_("Approval inbox"), "approvals:inbox", "bi-inbox", "approvals.view"),
            NavItem(_("My requests"), "approvals:mine", "bi-send", "approvals.view"),
            NavItem(_("Approval rules"), "approvals:rules", "bi-diagram-3", "approval_rules.view"),
        ),
    ),
    (
        # The risk desk (issue #16): risk officers work here; compliance and auditors read it (capability risk_desk).
        _("Credit risk"),
        (
            NavItem(_("Credit portfolio"), "risk:portfolio", "bi-pie-chart", "risk_desk.view"),
            NavItem(_("Credit files"), "risk:files", "bi-folder2-open", "risk_desk.view"),
            NavItem(_("Early warnings"), "risk_warnings:queue", "bi-exclamation-triangle", "risk_desk.view"),
            NavItem(_("Reviews due"), "risk:reviews", "bi-calendar-check", "risk_desk.view"),
            NavItem(_("Monthly risk report"), "risk:report", "bi-file-earmark-bar-graph", "risk_desk.view"),
            NavItem(_("Credit-control rules"), "risk_rules:list", "bi-sliders", "credit_rules.view"),
        ),
    ),
    (
        _("Compliance"),
        (
            NavItem(_("Field catalogue"), "classification:catalogue", "bi-tags", "manage_classification.view"),
            NavItem(_("Purposes"), "access:purposes", "bi-bullseye", "manage_purposes.view"),
            NavItem(_("Who may see what"), "access:policies", "bi-shield-check", "manage_policies.view"),
            NavItem(_("Break-glass log"), "access:break_glass_log", "bi-exclamation-octagon", "manage_policies.view"),
            NavItem(_("Role grants"), "accounts:role_grants", "bi-person-check", "role_grants.view"),
            NavItem(_("Consent coverage"), "consents:dashboard", "bi-check2-square", "consents.view"),
            NavItem(_("Privacy notices"), "consents:notices", "bi-file-earmark-text", "consents.view"),
            NavItem(_("Asset alerts"), "assets:alerts", "bi-bell", "asset_alerts.view"),
            NavItem(_("Rights requests"), "rights_staff:dashboard", "bi-person-lines-fill", "rights_requests.view"),
            NavItem(_("Retention rules"), "lifecycle:rules", "bi-hourglass-split", "retention_rules.view"),
            NavItem(_("Legal holds"), "lifecycle:holds", "bi-lock", "legal_holds.view"),
            NavItem(_("Restricted customers"), "lifecycle:restricted", "bi-slash-circle", "restricted_records.view"),
            NavItem(_("Deletion certificates"), "lifecycle:certificates", "bi-file-earmark-check", "deletion_certificates.view"),
        ),
    ),
    (
        _("Audit"),
        (NavItem(_("Audit trail"), "audit:search", "bi-journal-check", "audit_trail.view"),),
    ),
    (
        _("System"),
        (
            NavItem(_("Users"), "accounts:users", "bi-person-gear", "manage_users.view"),
            NavItem(_("Custom fields"), "customers:custom_fields", "bi-ui-checks", "manage_custom_fields.view"),
            NavItem(_("Exchange rates"), "assets:fx_rates", "bi-currency-exchange", "fx_rates.view"),
            NavItem(_("Working-day calendar"), "calendars:index", "bi-calendar3", "calendar.view"),
        ),
    ),
)


def navigation(request: HttpRequest) -> dict[str, Any]:
    from django.utils.translation import get_language

    # How lists of labels are joined in running text: 、in Chinese, a comma in English.
    sep = ", " if (get_language() or "").startswith("en") else "、"
    ctx = getattr(request, "cv_ctx", None)
    if ctx is None or ctx.actor is None:
        return {"nav_groups": [], "role_labels": [], "list_sep": sep}
    caps = capabilities(ctx)
    window = getattr(request, "cv_break_glass", None)
    if window is not None:
        caps = caps | {"customer.view"}
    elif engine.may_break_glass(ctx):
        caps = caps | {"break_glass.start"}
    if ctx.purpose and "customer.create" in caps and not engine.can(ctx, CUSTOMER, CREATE):
        caps = caps - {"customer.create"}  # held for another purpose, not the one declared: no dead link
    groups = []
    for title, items in NAVIGATION:
        allowed = [i for i in items if i.needs in caps]
        if allowed:
            groups.append((title, allowed))
    labels = [ROLE_LABELS.get(r, r) for r in sorted(ctx.roles)]
    return {
        "nav_groups": groups,
        "role_labels": labels,
        "capabilities": caps,
        "landing_url": landing_url(ctx, break_glass=window is not None),
        "current_purpose": _purpose_name(ctx.purpose),
        "break_glass": window,
        "break_glass_minutes": _minutes_left(window),
        "list_sep": sep,
    }


def _purpose_name(code: str) -> str:
    if not code:
        return ""
    from django.utils.translation import get_language

    from clientvault.access.models import Purpose

    row = Purpose.objects.filter(code=code).first()
    return row.name(get_language()) if row else code


def _minutes_left(window: Any) -> int:
    if window is None:
        return 0

    seconds: float = (window.expires_at - clock.now()).total_seconds()
    return max(1, math.ceil(seconds / 60))
