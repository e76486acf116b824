from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MergesConfig(AppConfig):
    name = "clientvault.merges"
    label = "merges"
    verbose_name = _("Merges")

    def ready(self) -> None:
        from clientvault.customers import lineage
        from clientvault.merges import change_types

        change_types.register()  # merges.merge and merges.unmerge are decided by a second person
        lineage.exempt("merges.merge", "the merge's own lineage row names its survivor")
