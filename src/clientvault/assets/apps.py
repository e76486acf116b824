from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AssetsConfig(AppConfig):
    name = "clientvault.assets"
    label = "assets"
    verbose_name = _("Customer assets")

    def ready(self) -> None:
        from clientvault.assets import approval, repointers

        approval.register()
        repointers.register()  # issue #14: assets follow a merge
