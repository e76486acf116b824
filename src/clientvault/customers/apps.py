from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CustomersConfig(AppConfig):
    name = "clientvault.customers"
    label = "customers"
    verbose_name = _("Customers")

    def ready(self) -> None:
        from clientvault.audit import links as audit_links
        from clientvault.customers import (
            approval_types,
            checks,  # noqa: F401  (registers the catalogue check)
            repointers,
        )
        from clientvault.customers.permissions import openable_ids

        audit_links.register(openable_ids)  # the audit trail links the customers one may open
        approval_types.register()  # issue #13: the changes a second person decides
        repointers.register()  # issue #14: how follow-ups and tags follow a merge
