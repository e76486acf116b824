from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ApprovalsConfig(AppConfig):
    name = "clientvault.approvals"
    label = "approvals"
    verbose_name = _("Approvals")
