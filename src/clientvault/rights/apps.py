from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RightsConfig(AppConfig):
    name = "clientvault.rights"
    label = "rights"
    verbose_name = _("Data-subject rights")

    def ready(self) -> None:
        from clientvault.rights import checks  # noqa: F401 - registers the system checks
