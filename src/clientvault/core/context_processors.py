"""Template context: the navigation each role may use — never a link that ends in 'forbidden'."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.http import HttpRequest
from django.urls import reverse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from clientvault.access.policies import capabilities
from clientvault.accounts.roles import ROLE_LABELS


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
        ),
    ),
    (
        _("Compliance"),
        (
            NavItem(_("Field catalogue"), "classification:catalogue", "bi-tags", "manage_classification.view"),
            NavItem(_("Purposes"), "access:purposes", "bi-bullseye", "manage_purposes.view"),
        ),
    ),
    (
        _("System"),
        (
            NavItem(_("Users"), "accounts:users", "bi-person-gear", "manage_users.view"),
            NavItem(_("Custom fields"), "customers:custom_fields", "bi-ui-checks", "manage_custom_fields.view"),
        ),
    ),
)


def navigation(request: HttpRequest) -> dict[str, Any]:
    ctx = getattr(request, "cv_ctx", None)
    if ctx is None or ctx.actor is None:
        return {"nav_groups": [], "role_labels": []}
    caps = capabilities(ctx.roles)
    groups = []
    for title, items in NAVIGATION:
        allowed = [i for i in items if i.needs in caps]
        if allowed:
            groups.append((title, allowed))
    labels = [ROLE_LABELS.get(r, r) for r in sorted(ctx.roles)]
    return {"nav_groups": groups, "role_labels": labels, "capabilities": caps}
