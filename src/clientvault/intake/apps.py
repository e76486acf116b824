from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IntakeConfig(AppConfig):
    name = "clientvault.intake"
    label = "intake"
    verbose_name = _("Customer import")

    def ready(self) -> None:
        from clientvault.intake import undo

        undo.register()
