from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ConsentsConfig(AppConfig):
    name = "clientvault.consents"
    label = "consents"
    verbose_name = _("Consents")
