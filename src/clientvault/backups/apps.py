from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BackupsConfig(AppConfig):
    name = "clientvault.backups"
    label = "backups"
    verbose_name = _("Backups")

    def ready(self) -> None:
        from clientvault.backups import checks  # noqa: F401 - registers the system check
