from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CustomersConfig(AppConfig):
    name = "clientvault.customers"
    label = "customers"
    verbose_name = _("Customers")

    def ready(self) -> None:
        from clientvault.customers import checks  # noqa: F401  (registers the catalogue check)
